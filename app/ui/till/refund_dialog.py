"""Returns and refunds: pick a receipt, choose lines and quantities and a reason, see the numbers
(refunds.preview_refund) before confirming; a cashier needs a manager's name and PIN."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFormLayout, QFrame, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from app.errors import ShopError
from app.services.base import auth
from app.services.reports import sales
from app.services.sales import refunds
from app.services.sales.refunds import RefundLine
from app.ui.widgets import run

METHODS = {
    "cash": QT_TRANSLATE_NOOP("TillPayments", "cash"),
    "card": QT_TRANSLATE_NOOP("TillPayments", "card"),
    "wallet": QT_TRANSLATE_NOOP("TillPayments", "stored value"),
    "points": QT_TRANSLATE_NOOP("TillPayments", "points"),
    "voucher": QT_TRANSLATE_NOOP("TillPayments", "voucher"),
    "other": QT_TRANSLATE_NOOP("TillPayments", "other"),
    "count_card": QT_TRANSLATE_NOOP("TillPayments", "count card"),
}
REASONS = [
    QT_TRANSLATE_NOOP("RefundDialog", "Customer changed their mind"),
    QT_TRANSLATE_NOOP("RefundDialog", "Faulty or damaged item"),
    QT_TRANSLATE_NOOP("RefundDialog", "Rung up by mistake"),
]


def method_name(method: str) -> str:
    return QCoreApplication.translate("TillPayments", METHODS.get(method, method))


class RefundDialog(QDialog):
    refunded = Signal(object)  # refunds.RefundResult

    def __init__(self, state, receipt_no: str | None = None, parent=None, *, needs_approval: bool | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.detail = None
        self.preview = None
        self._busy = False
        self._gen = 0
        self.needs_approval = not state.role_allowed("refund") if needs_approval is None else needs_approval
        self.setWindowTitle(self.tr("Refund"))
        self.resize(780, 640)
        layout = QVBoxLayout(self)

        find = QHBoxLayout()
        find.addWidget(QLabel(self.tr("Receipt no."), self))
        self.receipt = QLineEdit(self)
        self.receipt.setPlaceholderText(self.tr("Scan or type the receipt number + Enter"))
        self.receipt.returnPressed.connect(self.load)
        find.addWidget(self.receipt, 1)
        layout.addLayout(find)
        self.sale_label = QLabel(self)
        self.sale_label.setProperty("role", "muted")
        layout.addWidget(self.sale_label)

        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels([self.tr("#"), self.tr("Item"), self.tr("Sold"), self.tr("Refunded"),
                                              self.tr("Line total"), self.tr("Return qty")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(lambda _i: self.schedule_preview())
        layout.addWidget(self.table, 1)
        hint = QLabel(self.tr("Type a quantity on a line · Ctrl+A returns everything left"), self)
        hint.setProperty("role", "muted")
        layout.addWidget(hint)

        form = QFormLayout()
        self.reason = QComboBox(self)
        self.reason.setEditable(True)
        self.reason.addItems([self.tr(r) for r in REASONS])
        self.reason.setCurrentIndex(-1)
        self.reason.lineEdit().setPlaceholderText(self.tr("Why is it coming back?"))
        form.addRow(self.tr("Reason"), self.reason)
        self.manager = QLineEdit(self)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.returnPressed.connect(self.confirm)
        if self.needs_approval:
            self.manager.setPlaceholderText(self.tr("Manager's name"))
            self.pin.setPlaceholderText(self.tr("PIN"))
            form.addRow(self.tr("Approved by"), self.manager)
            form.addRow(self.tr("Manager PIN"), self.pin)
        else:
            self.manager.hide()
            self.pin.hide()
        layout.addLayout(form)

        self.preview_box = QFrame(self)
        self.preview_box.setProperty("card", True)
        pv = QVBoxLayout(self.preview_box)
        title = QLabel(self.tr("What goes back"), self.preview_box)
        title.setStyleSheet("font-weight: 600;")
        pv.addWidget(title)
        self.preview_label = QLabel(self.tr("Choose lines to see the refund."), self.preview_box)
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        pv.addWidget(self.preview_label)
        layout.addWidget(self.preview_box)

        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.all_button = QPushButton(self.tr("Return all (Ctrl+A)"), self)
        self.cancel_button = QPushButton(self.tr("Cancel (Esc)"), self)
        self.confirm_button = QPushButton(self.tr("Refund (Ctrl+Enter)"), self)
        self.confirm_button.setProperty("primary", True)
        for b in (self.all_button, self.cancel_button, self.confirm_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        self.all_button.clicked.connect(self.return_all)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button.clicked.connect(self.confirm)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.run_preview)
        if receipt_no:
            self.receipt.setText(receipt_no)
            QTimer.singleShot(0, self.load)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        mods = event.modifiers()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods & Qt.KeyboardModifier.ControlModifier:
            self.confirm()
            return
        if event.key() == Qt.Key.Key_A and mods & Qt.KeyboardModifier.ControlModifier:
            self.return_all()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # Enter never confirms by accident; Ctrl+Enter or Enter in the PIN field does
        super().keyPressEvent(event)

    # --- the sale ---------------------------------------------------------------------------
    def load(self) -> None:
        no = self.receipt.text().strip()
        if not no:
            return
        ctx = self.state.ctx
        self.error.setText("")
        run(self, lambda: sales.sale_detail(ctx, no), self._loaded, self._failed)

    def _loaded(self, detail) -> None:
        self.detail = detail
        s = self.state
        who = detail.member_name or self.tr("no member")
        self.sale_label.setText(self.tr("{receipt} · {time} · {member} · total {total}").format(
            receipt=detail.receipt_no, time=s.datetime(detail.created_at), member=who, total=s.money(detail.total)))
        self.table.blockSignals(True)
        self.table.setRowCount(len(detail.lines))
        for r, line in enumerate(detail.lines):
            values = [str(line.line_no), line.name, s.number(line.qty), s.number(line.refunded_qty),
                      s.plain(line.line_total), "0"]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c != 5 or line.refundable <= 0:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        if detail.lines:
            self.table.setCurrentCell(0, 5)
            self.table.setFocus()
        self.schedule_preview()

    def return_all(self) -> None:
        if self.detail is None:
            return
        self.table.blockSignals(True)
        for r, line in enumerate(self.detail.lines):
            self.table.item(r, 5).setText(str(max(0, line.refundable)))
        self.table.blockSignals(False)
        self.schedule_preview()

    def wanted(self) -> list[RefundLine]:
        out = []
        if self.detail is None:
            return out
        for r, line in enumerate(self.detail.lines):
            text = self.table.item(r, 5).text().strip() or "0"
            try:
                qty = int(text)
            except ValueError:
                from app.errors import ValidationError

                raise ValidationError("quantity_invalid", max=line.refundable, value=text) from None
            if qty:
                out.append(RefundLine(line.line_no, qty))
        return out

    def set_quantity(self, line_no: int, qty: int) -> None:
        for r, line in enumerate(self.detail.lines):
            if line.line_no == line_no:
                self.table.item(r, 5).setText(str(qty))

    # --- preview ----------------------------------------------------------------------------
    def schedule_preview(self) -> None:
        self._timer.start()

    def run_preview(self) -> None:
        self.preview = None
        try:
            lines = self.wanted()
        except ShopError as exc:
            self.error.setText(self.state.error_text(exc))
            return
        if self.detail is None or not lines:
            self.preview_label.setText(self.tr("Choose lines to see the refund."))
            return
        self._gen += 1
        gen, ctx, no = self._gen, self.state.ctx, self.detail.receipt_no
        self.error.setText("")

        def done(p) -> None:
            if gen == self._gen:
                self.preview = p
                self.preview_label.setText(self.describe(p))

        def failed(exc) -> None:
            if gen == self._gen:
                self.preview_label.setText("")
                self.error.setText(self.state.error_text(exc))

        run(self, lambda: refunds.preview_refund(ctx, no, lines), done, failed)

    def describe(self, p) -> str:
        s = self.state
        out = [self.tr("Refund value: {amount}").format(amount=s.money(p.value))]
        for pv in p.back:
            if pv.method == "points":
                if pv.points:
                    out.append(self.tr("Back as points: {points}").format(points=s.number(pv.points)))
                continue
            if pv.method == "wallet" and pv.wallet_bonus:
                out.append(self.tr("Back in {method}: {amount} ({principal} paid + {bonus} bonus)").format(
                    method=method_name(pv.method), amount=s.money(pv.amount),
                    principal=s.money(pv.wallet_principal), bonus=s.money(pv.wallet_bonus)))
            else:
                out.append(self.tr("Back in {method}: {amount}").format(method=method_name(pv.method),
                                                                         amount=s.money(pv.amount)))
        if p.voucher_kept:
            out.append(self.tr("Voucher share kept by the shop: {amount}").format(amount=s.money(p.voucher_kept)))
        if p.voucher_returned:
            out.append(self.tr("Voucher {code} is given back").format(code=p.voucher_returned))
        if p.points_reversed:
            out.append(self.tr("Points earned taken back: {points}").format(points=s.number(p.points_reversed)))
        if p.points_shortfall:
            out.append(self.tr("{points} earned points were already spent: {amount} is withheld").format(
                points=s.number(p.points_shortfall), amount=s.money(p.shortfall_deducted)))
        if p.whole_sale:
            out.append(self.tr("This returns everything left on the sale."))
        return "\n".join(out)

    # --- confirm ----------------------------------------------------------------------------
    def confirm(self) -> None:
        if self._busy or self.detail is None:
            return
        try:
            lines = self.wanted()
        except ShopError as exc:
            self.error.setText(self.state.error_text(exc))
            return
        if not lines:
            self.error.setText(self.tr("Type a quantity to return on at least one line."))
            return
        reason = self.reason.currentText().strip()
        if not reason:
            self.error.setText(self.tr("Give a reason for the refund."))
            self.reason.setFocus()
            return
        if self.preview is None:
            self.error.setText(self.tr("Wait for the preview, check it, then confirm."))
            self.run_preview()
            return
        name, pin = self.manager.text().strip(), self.pin.text()
        if self.needs_approval and (not name or not pin):
            self.error.setText(self.tr("A manager's name and PIN are needed to refund."))
            (self.manager if not name else self.pin).setFocus()
            return
        ctx, no, approval = self.state.ctx, self.detail.receipt_no, self.needs_approval

        def work():
            acting = auth.approve(ctx, name, pin, "refund") if approval else ctx
            return refunds.refund(acting, no, lines, reason=reason)

        self._busy = True
        self.confirm_button.setEnabled(False)
        self.error.setText("")
        run(self, work, self._done, self._refused)

    def _done(self, result) -> None:
        self._busy = False
        self.result = result
        self.refunded.emit(result)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._busy = False
        self.confirm_button.setEnabled(True)
        self.error.setText(self.state.error_text(exc))
        if self.needs_approval:
            self.pin.clear()
            self.pin.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(self.state.error_text(exc))
        self.receipt.setFocus()
        self.receipt.selectAll()
