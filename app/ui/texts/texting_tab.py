"""Messages › Texting: quiet hours, the daily cap of care and offer texts, the opt-out lines, the price of
one SMS part and the balance query keywords."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app import money
from app.errors import ShopError
from app.services.admin import shop_admin
from app.services.base import settings as shop_settings
from app.services.texts import templates
from app.ui.settings.owner_password import owner_gated
from app.ui.state import AppState
from app.ui.texts.parts import UNAVAILABLE
from app.ui.widgets import Tab, button_row, capped, int_spin


# --- texting rules ---------------------------------------------------------------------------------------
class TextingTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.quiet_start = QLineEdit(self)
        self.quiet_end = QLineEdit(self)
        for w in (self.quiet_start, self.quiet_end):
            w.setInputMask("99:99")
            w.setMaximumWidth(90)
        self.cap = int_spin(self, 0, 20)
        self.cap.setMaximumWidth(90)
        self.optout_zh = QLineEdit(self)
        self.optout_en = QLineEdit(self)
        self.part_price = QLineEdit(self)
        self.part_price.setMaximumWidth(120)
        self.part_price.setPlaceholderText("0.05")
        self.keywords = QLineEdit(self)
        self.keywords.setPlaceholderText("余额, 查询, BAL")
        self.keywords.setToolTip(self.tr("Words separated by commas; empty: balance queries are not answered"))
        self.save = QPushButton(self.tr("Save texting rules"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.save]
        self.available = hasattr(shop_admin, "update_texting")
        quiet = QHBoxLayout()
        quiet.addWidget(self.quiet_start)
        quiet.addWidget(QLabel(self.tr("to"), self))
        quiet.addWidget(self.quiet_end)
        quiet.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Quiet hours (shop time)"), quiet)
        form.addRow(self.tr("Care and offer texts a member gets a day, at most"), self.cap)
        form.addRow(self.tr("Opt-out line in Chinese"), self.optout_zh)
        form.addRow(self.tr("Opt-out line in English"), self.optout_en)
        form.addRow(self.tr("Price of one SMS part"), self.part_price)
        form.addRow(self.tr("Balance query keywords"), self.keywords)
        note = QLabel(self.tr("Texts due in quiet hours wait until they end; none is dropped. E-bills are not "
                              "counted in the daily cap. Care and offer texts end with the opt-out line, and "
                              "STOP, 退订 or T in a reply opts the member out. With the price of one SMS part (what the "
                              "gateway bills; a long or Chinese text takes several), campaign and care previews "
                              "show what texts will cost. A member who texts one of the balance keywords is told "
                              "their stored value, points and count cards, at most once an hour."), self)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        box = QVBoxLayout(self)
        box.addWidget(capped(form, self))
        box.addWidget(note)
        if not self.available:
            missing = QLabel(QCoreApplication.translate("MessagesScreen", UNAVAILABLE), self)
            missing.setProperty("role", "error")
            box.addWidget(missing)
        box.addLayout(button_row(self.save))
        box.addWidget(self.status)
        box.addStretch(1)
        self.save.clicked.connect(self.submit)

    def can_change(self) -> bool:
        return self.available and super().can_change()

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: shop_settings.load(ctx), self.show_settings)

    def show_settings(self, cfg) -> None:
        self.quiet_start.setText(getattr(cfg, "quiet_start", "21:00"))
        self.quiet_end.setText(getattr(cfg, "quiet_end", "09:00"))
        self.cap.setValue(getattr(cfg, "daily_text_cap", 3))
        self.optout_zh.setText(templates.optout_line(cfg, "zh_CN"))
        self.optout_en.setText(templates.optout_line(cfg, "en"))
        price = getattr(cfg, "sms_part_price", 0)
        self.part_price.setText(money.to_major_str(price, cfg.currency) if price else "")
        self.keywords.setText(", ".join(getattr(cfg, "balance_keywords", ())))
        self.apply_permissions()

    @owner_gated("change_texting")
    def submit(self) -> None:
        if not self.available:
            self.status.error(QCoreApplication.translate("MessagesScreen", UNAVAILABLE))
            return
        ctx = self.state.ctx
        try:
            price = money.parse_amount(self.part_price.text().strip() or "0", self.state.settings.currency,
                                       field=self.tr("Price of one SMS part"), allow_zero=True)
        except ShopError as exc:
            self.status.error(self.state.error_text(exc))
            return
        args = (self.quiet_start.text(), self.quiet_end.text(), int(self.cap.value()), self.optout_zh.text(),
                self.optout_en.text(), price, self.keywords.text())

        def saved(cfg) -> None:
            self.state.settings = cfg
            self.state.settings_changed.emit()
            self.status.ok(self.tr("Texting rules saved."))

        self.run(lambda: shop_admin.update_texting(ctx, *args), saved, busy=[self.save])
