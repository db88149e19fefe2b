"""The currency and phone-region pickers of the first run and Settings › Shop."""
from __future__ import annotations

from babel.numbers import get_currency_name
from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from app import i18n as languages
from app.i18n import babel_locale
from app.services.admin import shop_admin
from app.services.base import region as shop_region


class CodePicker(QWidget):
    """A short list of codes by name in the UI language, plus "Other" with the code typed by hand.
    Subclasses say which codes, how many letters, and the texts."""

    changed = Signal()
    LETTERS = 3
    DEFAULT = ""

    def __init__(self, parent: QWidget | None = None, lang: str = "en") -> None:
        super().__init__(parent)
        self.lang = lang
        self.combo = QComboBox(self)
        self.code = QLineEdit(self)
        self.code.setMaxLength(self.LETTERS)
        self.code.setValidator(QRegularExpressionValidator(QRegularExpression(rf"[A-Za-z]{{0,{self.LETTERS}}}"), self))
        self.code.setFixedWidth(90)
        self.code.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.code)
        self.setFocusProxy(self.combo)
        self.combo.currentIndexChanged.connect(self._chosen)
        self.code.textChanged.connect(lambda _t: self.changed.emit())
        self.retranslate(lang)

    def options(self, lang: str) -> list[tuple[str, str]]:  # pragma: no cover - each picker says
        raise NotImplementedError

    def texts(self) -> tuple[str, str, str]:  # pragma: no cover - (other, placeholder, tooltip)
        raise NotImplementedError

    def retranslate(self, lang: str) -> None:
        self.lang = lang
        chosen = self.combo.currentData() if self.combo.count() else self.DEFAULT
        other, placeholder, tip = self.texts()
        self.combo.blockSignals(True)
        self.combo.clear()
        for code, name in self.options(lang):
            self.combo.addItem(f"{code} · {name}", code)
        self.combo.addItem(other, "")
        self.combo.setCurrentIndex(max(0, self.combo.findData(chosen)))
        self.combo.blockSignals(False)
        self.code.setPlaceholderText(placeholder)
        self.combo.setToolTip(tip)
        self.code.setToolTip(tip)

    def _chosen(self) -> None:
        other = self.combo.currentData() == ""
        self.code.setVisible(other)
        if other:
            self.code.setFocus()
        self.changed.emit()

    def set_code(self, code: str) -> None:
        index = self.combo.findData(code)
        if index < 0:
            self.combo.setCurrentIndex(self.combo.count() - 1)
            self.code.setText(code)
        else:
            self.combo.setCurrentIndex(index)

    def chosen_code(self) -> str:
        return self.combo.currentData() or self.code.text().strip().upper()

    def typed_wrong(self) -> bool:
        return self.combo.currentData() == "" and len(self.code.text().strip()) != self.LETTERS


class CurrencyPicker(CodePicker):
    """A short list of currencies by name, plus any other ISO 4217 code typed by hand."""

    LETTERS = 3
    DEFAULT = "CNY"

    def options(self, lang: str) -> list[tuple[str, str]]:
        return [(code, get_currency_name(code, locale=babel_locale(lang))) for code in shop_admin.COMMON_CURRENCIES]

    def texts(self) -> tuple[str, str, str]:
        return self.tr("Other (type the ISO code)"), self.tr("ISO code"), ""

    def set_currency(self, code: str) -> None:
        self.set_code(code)

    def currency(self) -> str:
        return self.chosen_code()

    def problem(self) -> str | None:
        return self.tr("A currency code has 3 letters, e.g. CNY") if self.typed_wrong() else None


class RegionPicker(CodePicker):
    """The shop's region (ISO 3166): a short list by name in the UI language, plus any other code
    phone numbers are known for, typed by hand (checked by the settings service)."""

    LETTERS = 2
    DEFAULT = shop_region.LEGACY.region

    def options(self, lang: str) -> list[tuple[str, str]]:
        from babel import Locale

        names = Locale.parse(languages.babel_locale(lang)).territories
        return [(code, names.get(code, code)) for code in shop_region.COMMON_REGIONS]

    def texts(self) -> tuple[str, str, str]:
        return (self.tr("Other (type the 2-letter code)"), self.tr("e.g. NZ"),
                self.tr("Phone numbers typed without a country code are read as this region's; "
                        "dates are written the region's way"))

    def set_region(self, code: str) -> None:
        self.set_code(code)

    def region(self) -> str:
        return self.chosen_code()

    def problem(self) -> str | None:
        return self.tr("A region code has 2 letters, e.g. US") if self.typed_wrong() else None
