"""The open-price key (F3, 无码商品): an amount for an item without a code, optionally its category
(whose rules decide discounts and points). Enter adds the line, Esc cancels."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QVBoxLayout

from app.errors import ShopError, ValidationError
from app.money import format_plain, parse_amount
from app.services.sales import products
from app.ui.widgets import closing_buttons, error_label, run


class OpenPriceDialog(QDialog):
    added = Signal(int, str)   # amount in minor units, category ("" for none)

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.setWindowTitle(self.tr("Open price"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Price of the item without a code"), self))
        self.amount = QLineEdit(self)
        self.amount.setStyleSheet("font-size: 20px;")
        self.amount.returnPressed.connect(self.add)
        layout.addWidget(self.amount)
        layout.addWidget(QLabel(self.tr("Category (decides discounts and points)"), self))
        self.category = QComboBox(self)
        self.category.addItem(self.tr("No category"), "")
        layout.addWidget(self.category)
        cfg = state.settings
        hint = QLabel(self.tr("At most {max} (Settings › Shop)").format(
            max=state.plain(cfg.open_price_max)), self)
        hint.setProperty("role", "muted")
        layout.addWidget(hint)
        self.error = error_label(self)
        layout.addWidget(self.error)
        row, self.add_button, _cancel = closing_buttons(self, self.tr("Cancel (Esc)"), self.tr("Add (Enter)"), self.add)
        layout.addLayout(row)
        self.setMinimumWidth(400)
        ctx = state.ctx
        run(self, lambda: products.categories(ctx, active_only=True), self._categories)
        self.amount.setFocus()

    def _categories(self, categories) -> None:
        for c in categories:
            self.category.addItem(c.name, c.name)

    def value(self) -> int:
        """The typed amount in minor units; the same refusals checkout gives, before it is asked."""
        cfg = self.state.settings
        field = self.tr("open price")
        price = parse_amount(self.amount.text(), cfg.currency, field=field)
        if price > cfg.open_price_max:
            raise ValidationError("open_price_over", price=format_plain(price, cfg.currency),
                                  max=format_plain(cfg.open_price_max, cfg.currency))
        return price

    def add(self) -> None:
        try:
            price = self.value()
        except ShopError as exc:
            self.error.setText(self.state.error_text(exc))
            self.error.show()
            self.amount.setFocus()
            self.amount.selectAll()
            return
        self.added.emit(price, self.category.currentData() or "")
        self.accept()
