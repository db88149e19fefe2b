"""An unknown code scanned by a manager or the owner: create the product on the spot (its SKU is the
code, found by a scan like a barcode) through the catalogue's rules (products.create) and sell it. A cashier is told the code is unknown instead (TillScreen)."""
from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout)

from app.errors import ShopError, ValidationError
from app.money import parse_amount
from app.services.sales import products
from app.ui.widgets import closing_buttons, error_label, run

# What may become a SKU and a barcode at once: a scanner's code, not a name typed by mistake.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,31}")


def can_create(state, code: str) -> bool:
    return bool(CODE.fullmatch(code or "")) and state.role_allowed("manage_products")


class NewProductDialog(QDialog):
    created = Signal(object)   # the new catalog.ProductView

    def __init__(self, state, code: str, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.code = code
        self._busy = False
        self.setWindowTitle(self.tr("New product"))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("No product has the code {code}. Create it now and add it to the cart?")
                       .format(code=code), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.setMaxLength(128)
        self.price = QLineEdit(self)
        self.category = QComboBox(self)
        self.category.addItem(self.tr("No category"), "")
        form.addRow(self.tr("Code (SKU)"), QLabel(code, self))
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Price"), self.price)
        form.addRow(self.tr("Category"), self.category)
        layout.addLayout(form)
        hint = QLabel(self.tr("Stock, cost, member prices and the rest can be set later on Products."), self)
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.error = error_label(self)
        layout.addWidget(self.error)
        row, self.create_button, _cancel = closing_buttons(self, self.tr("Cancel (Esc)"), self.tr("Create and add (Enter)"), self.create)
        self.name.returnPressed.connect(self.create)
        self.price.returnPressed.connect(self.create)
        layout.addLayout(row)
        self.setMinimumWidth(440)
        ctx = state.ctx
        run(self, lambda: products.categories(ctx, active_only=True),
            lambda found: [self.category.addItem(c.name, c.name) for c in found])
        self.name.setFocus()

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def create(self) -> None:
        if self._busy:
            return
        name = " ".join(self.name.text().split())
        try:
            if not name:
                raise ValidationError("name_empty")
            price = parse_amount(self.price.text(), self.state.settings.currency, field=self.tr("price"),
                                 allow_zero=True)
        except ShopError as exc:
            self._fail(self.state.error_text(exc))
            (self.name if not name else self.price).setFocus()
            return
        self._busy = True
        self.create_button.setEnabled(False)
        ctx, code, category = self.state.ctx, self.code, self.category.currentData() or ""

        def done(product) -> None:
            self.created.emit(product)
            self.accept()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.create_button.setEnabled(True)
            self._fail(self.state.error_text(exc))

        # the code is the SKU, which a scan finds like a barcode (the catalogue's rules keep one code
        # to one place, so it is not stored a second time as a barcode)
        data = products.ProductInput(sku=code, name=name, price=price, category=category)
        self.state.tasks.write(lambda: products.create(ctx, data), done, failed, owner=self,
                               what=self.tr("creating the product"))
