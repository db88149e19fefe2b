"""Adjust… : a correction of one product's stock by hand (breakage, samples, a miscount found), signed
units with a required reason; recorded in the audit log. Manager or owner (the service checks it)."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import PermissionDenied, ShopError, ValidationError
from app.services.base.permissions import action_name
from app.services.sales import inventory
from app.ui.products.stock_parts import StockWriteDialog
from app.ui.widgets import error_label


class StockAdjustDialog(StockWriteDialog):

    def __init__(self, state, row, parent: QWidget | None = None) -> None:
        """``row``: the inventory.StockRow of the product to adjust."""
        super().__init__(parent)
        self.state, self.row = state, row
        self._busy = False
        self.result_value = None
        self.setWindowTitle(self.tr("Adjust stock"))
        self.setMinimumWidth(480)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Adjust stock"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        note = QLabel(self.tr("Corrections by hand are recorded in the audit log with your name and the reason. "
                              "When you do not know how many there are, count them (Stocktake…) instead."), self)
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        outer.addWidget(note)
        form = QFormLayout()
        form.addRow(self.tr("Product"), QLabel(f"{row.name} ({row.sku})", self))
        form.addRow(self.tr("In stock"), QLabel(state.number(row.on_hand), self))
        self.qty = QLineEdit(self)
        self.qty.setPlaceholderText(self.tr("+ to add, - to take off, e.g. -2"))
        form.addRow(self.tr("Change"), self.qty)
        self.after = QLabel(self)
        self.after.setProperty("role", "muted")
        form.addRow(self.tr("After"), self.after)
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(inventory.REASON_MAX)
        self.reason.setPlaceholderText(self.tr("Required, e.g. two bags torn"))
        form.addRow(self.tr("Reason"), self.reason)
        outer.addLayout(form)
        self.error = error_label(self)
        self.footer(outer, self.tr("Adjust"))
        for w in (self.qty, self.reason):
            w.textChanged.connect(self.validate)
        self.validate()
        self.qty.setFocus()


    def delta(self) -> int:
        n = inventory.check_units(self.qty.text(), "adjustment", self.row.name, low=-inventory.MAX_UNITS)
        if n == 0:
            raise ValidationError("adjust_nothing")
        return n

    def validate(self) -> bool:
        ok = bool(self.qty.text().strip()) and bool(self.reason.text().strip())
        problem, after = None, ""
        if not self.state.role_allowed("adjust_stock"):
            problem = self.state.error_text(PermissionDenied("permission_denied", role=self.state.actor.role,
                                                             action=action_name("adjust_stock")))
            ok = False
        elif self.qty.text().strip():
            try:
                after = self.state.number(self.row.on_hand + self.delta())
            except ShopError as exc:
                ok, problem = False, self.state.error_text(exc)
        self.after.setText(after)
        self.show_error(problem)
        self.confirm_button.setEnabled(ok and not self._busy)
        return ok

    def confirm(self) -> None:
        if self._busy or not self.validate():
            return
        ctx, pid, n, why = self.state.ctx, self.row.product_id, self.delta(), self.reason.text()
        self.write(lambda: inventory.adjust(ctx, pid, n, why), self.tr("adjusting stock"))
