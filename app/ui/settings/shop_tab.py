"""Settings › Shop: name, currency, language, phone region and the text signature."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.errors import ShopError
from app.money import parse_amount
from app.services.admin import shop_admin
from app.ui import i18n
from app.ui.settings.owner_password import owner_gated
from app.ui.pickers import CurrencyPicker, RegionPicker
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab
from app.ui.widgets import button_row as _buttons
from app.ui.widgets import capped as _capped


# --- shop -----------------------------------------------------------------------------------------
class ShopTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.shop_name = QLineEdit(self)
        self.shop_name.setMaxLength(shop_admin.NAME_MAX)
        self.currency = CurrencyPicker(self, state.lang)
        self.language = QComboBox(self)
        for code, name in i18n.LANGUAGES.items():
            self.language.addItem(name, code)
        self.region = RegionPicker(self, state.lang)
        self.signature = QLineEdit(self)
        self.signature.setMaxLength(shop_admin.SIGNATURE_MAX)
        self.signature.setPlaceholderText(self.tr("The shop name when empty"))
        self.open_price_max = QLineEdit(self)
        self.open_price_max.setToolTip(self.tr("The most the till's open-price key (F3) takes for one item"))
        self.save = QPushButton(self.tr("Save shop details"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.save]
        note = QLabel(self.tr("The currency cannot change once sales or stored value are recorded. "
                              "A new language applies the next time ShopCare starts."), self)
        note.setProperty("role", "muted")
        note.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("Shop name"), self.shop_name)
        form.addRow(self.tr("Currency"), self.currency)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Phone region"), self.region)
        region_hint = QLabel(self.tr("Phone numbers typed without a country code (+1, +86…) are read as this "
                                     "region's; dates are written the region's way."), self)
        region_hint.setProperty("role", "muted")
        region_hint.setWordWrap(True)
        form.addRow("", region_hint)
        form.addRow(self.tr("Text message signature"), self.signature)
        form.addRow(self.tr("Open price at most"), self.open_price_max)
        box = QVBoxLayout(self)
        box.addWidget(_capped(form, self))
        box.addWidget(note)
        box.addLayout(_buttons(self.save))
        box.addWidget(self.status)
        box.addStretch(1)
        self.save.clicked.connect(self.submit)

    def load(self) -> None:
        cfg = self.state.settings
        self.shop_name.setText(cfg.shop_name)
        self.currency.set_currency(cfg.currency)
        self.language.setCurrentIndex(max(0, self.language.findData(cfg.language)))
        self.region.set_region(cfg.region)
        self.signature.setText(cfg.signature)
        self.open_price_max.setText(self.state.plain(cfg.open_price_max).replace(",", ""))
        self.apply_permissions()

    @owner_gated("change_settings")
    def submit(self) -> None:
        problem = self.currency.problem() or self.region.problem()
        if problem:
            self.status.error(problem)
            return
        try:
            open_max = parse_amount(self.open_price_max.text(), self.currency.currency(),
                                    field=self.tr("Open price at most"))
        except ShopError as exc:
            self.status.error(self.state.error_text(exc))
            return
        ctx, old_lang = self.state.ctx, self.state.lang
        args = (self.shop_name.text(), self.currency.currency(), self.language.currentData(), self.signature.text(),
                self.region.region(), open_max)

        def saved(cfg) -> None:
            self.state.settings = cfg
            self.state.settings_changed.emit()
            if cfg.language != old_lang:
                self.status.ok(self.tr("Saved. The new language applies the next time ShopCare starts."))
            else:
                self.status.ok(self.tr("Shop details saved."))

        self.run(lambda: shop_admin.update_shop(ctx, *args), saved, busy=[self.save])
