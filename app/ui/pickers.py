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


class CurrencyPicker(QWidget):
    """A short list of currencies by name, plus any other ISO 4217 code typed by hand."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, lang: str = "en") -> None:
        super().__init__(parent)
        self.lang = lang
        self.combo = QComboBox(self)
        self.code = QLineEdit(self)
        self.code.setMaxLength(3)
        self.code.setValidator(QRegularExpressionValidator(QRegularExpression(r"[A-Za-z]{0,3}"), self))
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

    def retranslate(self, lang: str) -> None:
        self.lang = lang
        chosen = self.combo.currentData() if self.combo.count() else "CNY"
        self.combo.blockSignals(True)
        self.combo.clear()
        for code in shop_admin.COMMON_CURRENCIES:
            self.combo.addItem(f"{code} · {get_currency_name(code, locale=babel_locale(lang))}", code)
        self.combo.addItem(self.tr("Other (type the ISO code)"), "")
        self.combo.setCurrentIndex(max(0, self.combo.findData(chosen)))
        self.combo.blockSignals(False)
        self.code.setPlaceholderText(self.tr("ISO code"))

    def _chosen(self) -> None:
        other = self.combo.currentData() == ""
        self.code.setVisible(other)
        if other:
            self.code.setFocus()
        self.changed.emit()

    def set_currency(self, code: str) -> None:
        index = self.combo.findData(code)
        if index < 0:
            self.combo.setCurrentIndex(self.combo.count() - 1)
            self.code.setText(code)
        else:
            self.combo.setCurrentIndex(index)

    def currency(self) -> str:
        return self.combo.currentData() or self.code.text().strip().upper()

    def problem(self) -> str | None:
        if self.combo.currentData() == "" and len(self.code.text().strip()) != 3:
            return self.tr("A currency code has 3 letters, e.g. CNY")
        return None


class RegionPicker(QWidget):
    """The shop's region (ISO 3166): a short list by name in the UI language, plus any other code
    phone numbers are known for, typed by hand (checked by the settings service)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, lang: str = "en") -> None:
        super().__init__(parent)
        self.lang = lang
        self.combo = QComboBox(self)
        self.code = QLineEdit(self)
        self.code.setMaxLength(2)
        self.code.setValidator(QRegularExpressionValidator(QRegularExpression(r"[A-Za-z]{0,2}"), self))
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

    def retranslate(self, lang: str) -> None:
        from babel import Locale

        self.lang = lang
        chosen = self.combo.currentData() if self.combo.count() else shop_region.LEGACY.region
        names = Locale.parse(languages.babel_locale(lang)).territories
        self.combo.blockSignals(True)
        self.combo.clear()
        for code in shop_region.COMMON_REGIONS:
            self.combo.addItem(f"{code} · {names.get(code, code)}", code)
        self.combo.addItem(self.tr("Other (type the 2-letter code)"), "")
        self.combo.setCurrentIndex(max(0, self.combo.findData(chosen)))
        self.combo.blockSignals(False)
        self.code.setPlaceholderText(self.tr("e.g. NZ"))
        tip = self.tr("Phone numbers typed without a country code are read as this region's; "
                      "dates are written the region's way")
        self.combo.setToolTip(tip)
        self.code.setToolTip(tip)

    def _chosen(self) -> None:
        other = self.combo.currentData() == ""
        self.code.setVisible(other)
        if other:
            self.code.setFocus()
        self.changed.emit()

    def set_region(self, code: str) -> None:
        index = self.combo.findData(code)
        if index < 0:
            self.combo.setCurrentIndex(self.combo.count() - 1)
            self.code.setText(code)
        else:
            self.combo.setCurrentIndex(index)

    def region(self) -> str:
        return self.combo.currentData() or self.code.text().strip().upper()

    def problem(self) -> str | None:
        if self.combo.currentData() == "" and len(self.code.text().strip()) != 2:
            return self.tr("A region code has 2 letters, e.g. US")
        return None
