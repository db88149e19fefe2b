"""F4 (the selected line's price) and F5 (a discount on the whole cart): a mixin of the till screen
(app/ui/till/screen.py), which supplies the cart model, ``try_change``, ``show_error`` and ``_open``."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout

from app.errors import ShopError, ValidationError
from app.money import parse_amount
from app.ui.till.cart_model import CartModel


class AskDialog(QDialog):
    """One line of input (a price, a discount): Enter accepts, Esc cancels."""

    def __init__(self, title: str, label: str, hint: str = "", text: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(label, self))
        self.edit = QLineEdit(text, self)
        self.edit.selectAll()
        self.edit.setStyleSheet("font-size: 18px;")
        self.edit.returnPressed.connect(self.accept)
        layout.addWidget(self.edit)
        if hint:
            h = QLabel(hint, self)
            h.setProperty("role", "muted")
            layout.addWidget(h)
        self.setMinimumWidth(380)

    def value(self) -> str:
        return self.edit.text().strip()


class PriceActions:
    """Its texts are the till screen's (a mixin has no Qt context of its own)."""

    def change_price(self) -> None:
        row = self.selected_row()
        if row is None:
            self.show_error(QCoreApplication.translate("TillScreen", "Scan an item first, then F4 changes its price."))
            return
        line = self.model.cart.lines[row]
        name, price = self.model.info.get(line.sku, (line.sku, 0))
        if line.is_open:  # an open-price line: F4 types its price again, as F3 did
            name, price = self.model.cell(row, 1), line.open_price
        current = line.unit_price if line.unit_price is not None else price
        dialog = AskDialog(QCoreApplication.translate("TillScreen", "Change the price"), QCoreApplication.translate("TillScreen", "New unit price for {item}").format(item=name),
                           QCoreApplication.translate("TillScreen", "Managers and the owner may change prices."),
                           self.state.plain(current).replace(",", ""), self)
        dialog.accepted.connect(lambda: self._set_price(row, line.sku, dialog.value()))
        self._open(dialog)

    def _set_price(self, row: int, sku: str, text: str) -> None:
        try:
            price = parse_amount(text, self.state.settings.currency, field=QCoreApplication.translate("TillScreen", "price"), allow_zero=True)
        except ShopError as exc:
            self.show_error(self.state.error_text(exc))
            return
        lines = self.model.cart.lines
        which = "open_price" if row < len(lines) and lines[row].is_open else "unit_price"
        self.try_change(lambda c: CartModel.with_line(c, row, **{which: price})
                        if row < len(c.lines) and c.lines[row].sku == sku else c)

    def discount(self) -> None:
        if not self.model.cart.lines:
            self.show_error(QCoreApplication.translate("TillScreen", "Scan an item first, then F5 gives a discount."))
            return
        dialog = AskDialog(QCoreApplication.translate("TillScreen", "Manual discount"), QCoreApplication.translate("TillScreen", "Discount on the whole cart"),
                           QCoreApplication.translate("TillScreen", "Type 10% for a percentage or 5 for an amount; 0 removes the discount."),
                           "", self)
        dialog.accepted.connect(lambda: self._set_discount(dialog.value()))
        self._open(dialog)

    def _set_discount(self, text: str) -> None:
        text = text.replace("％", "%").strip()
        try:
            if text.endswith("%"):
                raw = text[:-1].strip()
                try:
                    bp = round(float(raw) * 100)
                except ValueError:
                    raise ValidationError("percent_invalid", field=QCoreApplication.translate("TillScreen", "discount"), value=raw) from None
                change = lambda c: replace(c, discount_bp=bp, discount_amount=0)  # noqa: E731
            else:
                amount = parse_amount(text or "0", self.state.settings.currency, field=QCoreApplication.translate("TillScreen", "discount"),
                                      allow_zero=True)
                change = lambda c: replace(c, discount_bp=0, discount_amount=amount)  # noqa: E731
        except ShopError as exc:
            self.show_error(self.state.error_text(exc))
            return
        self.try_change(change)
