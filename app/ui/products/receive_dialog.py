"""Receive stock… (入库): find the product as it is typed at the till (name, pinyin initials, SKU or
barcode), then the units received, what one unit cost and from whom. Manager or owner (the service
checks it too); the quantity is checked as it is typed, the receipt written by the db worker."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import PermissionDenied, ShopError
from app.money import parse_amount
from app.services.base.permissions import action_name
from app.services.sales import inventory
from app.ui.products.stock_parts import ProductFinder, StockWriteDialog
from app.ui.widgets import error_label


class ReceiveDialog(StockWriteDialog):

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setWindowTitle(self.tr("Receive stock"))
        self.setMinimumWidth(560)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Receive stock"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        self.finder = ProductFinder(state, self)
        outer.addWidget(self.finder)
        form = QFormLayout()
        self.product_label = QLabel(self.tr("Pick a product above"), self)
        self.product_label.setProperty("role", "muted")
        form.addRow(self.tr("Product"), self.product_label)
        self.qty = QLineEdit(self)
        self.qty.setPlaceholderText(self.tr("Units received, e.g. 24"))
        form.addRow(self.tr("Quantity"), self.qty)
        self.cost = QLineEdit(self)
        self.cost.setPlaceholderText(self.tr("Optional, e.g. 31.50"))
        form.addRow(self.tr("Unit cost"), self.cost)
        self.set_cost = QCheckBox(self.tr("Make it the product's cost price"), self)
        self.set_cost.setChecked(True)
        form.addRow("", self.set_cost)
        self.supplier = QLineEdit(self)
        self.supplier.setMaxLength(128)
        form.addRow(self.tr("Supplier"), self.supplier)
        self.note = QLineEdit(self)
        self.note.setMaxLength(500)
        form.addRow(self.tr("Note"), self.note)
        outer.addLayout(form)
        self.error = error_label(self)
        self.footer(outer, self.tr("Receive"))
        self.finder.picked.connect(self._picked)
        for w in (self.qty, self.cost):
            w.textChanged.connect(self.validate)
        self.validate()
        self.finder.query.setFocus()
        self.finder.search()

    def _picked(self, product) -> None:
        if product is None:
            self.product_label.setText(self.tr("Pick a product above"))
        else:
            self.product_label.setText(self.tr("{name} ({sku}) · in stock: {n}").format(
                name=product.name, sku=product.sku, n=self.state.number(product.on_hand)))
        self.validate()


    def values(self) -> tuple[int, int | None]:
        """(units, unit cost in minor units or None); ShopError when either is not right."""
        p = self.finder.product
        qty = inventory.check_units(self.qty.text(), "received", p.name, low=1) if p is not None else 0
        text = self.cost.text().strip()
        cost = parse_amount(text, self.state.settings.currency, field=self.tr("Unit cost"),
                            allow_zero=True) if text else None
        return qty, cost

    def validate(self) -> bool:
        ok = self.finder.product is not None and bool(self.qty.text().strip())
        problem = None
        if not self.state.role_allowed("receive_stock"):
            problem = self.state.error_text(PermissionDenied("permission_denied", role=self.state.actor.role,
                                                             action=action_name("receive_stock")))
            ok = False
        elif self.qty.text().strip() or self.cost.text().strip():
            try:
                self.values()
            except ShopError as exc:
                ok, problem = False, self.state.error_text(exc)
        self.show_error(problem)
        self.confirm_button.setEnabled(ok and not self._busy)
        return ok

    def confirm(self) -> None:
        if self._busy or not self.validate():
            return
        qty, cost = self.values()
        ctx, sku = self.state.ctx, self.finder.product.sku
        supplier, note, set_cost = self.supplier.text(), self.note.text(), self.set_cost.isChecked()
        self.write(lambda: inventory.receive(ctx, sku, qty, unit_cost=cost, supplier=supplier, note=note,
                                             update_cost=set_cost and cost is not None), self.tr("receiving stock"))
