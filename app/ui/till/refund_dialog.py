"""Returns and refunds: find the sale by the last digits of its receipt number or pick it from the
till's recent sales, choose lines and quantities and a reason, see the numbers
(refunds.preview_refund) before confirming; a cashier needs a manager, chosen from a list, to type
their PIN. The refund stays the cashier's and names the approver (sales.approved_by)."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFormLayout, QFrame, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from app.errors import NotFound, ShopError
from app.services.reports import receipt_search, sales
from app.services.sales import refunds
from app.services.sales.refunds import RefundLine
from app.ui.till.approver import ApproverPicker
from app.ui.widgets import error_label, run

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
        self.resize(1000, 640)
        outer = QHBoxLayout(self)
        side = QVBoxLayout()
        find_label = QLabel(self.tr("Receipt no. or its last digits"), self)
        side.addWidget(find_label)
        self.receipt = QLineEdit(self)
        self.receipt.setPlaceholderText(self.tr("e.g. 128 + Enter"))
        self.receipt.returnPressed.connect(self.load)
        find_label.setBuddy(self.receipt)
        side.addWidget(self.receipt)
        self.list_title = QLabel(self.tr("Recent sales on this till"), self)
        self.list_title.setProperty("role", "muted")
        side.addWidget(self.list_title)
        self.sales_list = QListWidget(self)
        self.sales_list.setMinimumWidth(250)
        self.sales_list.itemActivated.connect(self._picked)
        self.sales_list.itemClicked.connect(self._picked)
        side.addWidget(self.sales_list, 1)
        outer.addLayout(side)
        layout = QVBoxLayout()
        outer.addLayout(layout, 1)
        self.sale_label = QLabel(self.tr("Pick a sale on the left, or type its last digits."), self)
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
        self.approver = ApproverPicker(state, self, "refund")
        self.manager, self.pin = self.approver.combo, self.approver.pin
        self.pin.returnPressed.connect(self.confirm)
        if self.needs_approval:
            form.addRow(self.tr("Approved by"), self.manager)
            form.addRow(self.tr("Their PIN"), self.pin)
            self.approver.load(self)
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

        self.error = error_label(self)
        self.error.show()
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
        else:
            self.find("")   # the till's recent sales to pick from

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
        """Enter in the receipt box: the whole number, or its last digits (one match loads it; several
        are listed to pick from)."""
        self.find(self.receipt.text().strip())

    def find(self, text: str) -> None:
        ctx, till = self.state.ctx, (None if text else self.state.ctx.till)
        self.error.setText("")
        run(self, lambda: receipt_search.find_sales(ctx, text, till=till), lambda found: self._found(text, found),
            self._failed)

    def _found(self, text: str, found) -> None:
        s = self.state
        self.sales_list.clear()
        for summary in found:
            who = summary.member_name or self.tr("no member")
            item = QListWidgetItem(f"{summary.receipt_no} · {s.money(summary.total)}\n{s.datetime(summary.created_at)} · {who}")
            item.setData(Qt.ItemDataRole.UserRole, summary.receipt_no)
            self.sales_list.addItem(item)
        if text:
            self.list_title.setText(self.tr("Sales ending in {digits}: {n}").format(digits=text, n=len(found)))
        if text and not found:
            self.error.setText(self.state.error_text(NotFound("sale_not_found", receipt=text)))
            self.receipt.setFocus()
            self.receipt.selectAll()
        elif text and len(found) == 1:
            self.open_sale(found[0].receipt_no)
        elif found:
            self.sales_list.setCurrentRow(0)
            if text:
                self.sales_list.setFocus()

    def _picked(self, item: QListWidgetItem) -> None:
        self.open_sale(item.data(Qt.ItemDataRole.UserRole))

    def open_sale(self, receipt_no: str) -> None:
        ctx = self.state.ctx
        self.error.setText("")
        run(self, lambda: sales.sale_detail(ctx, receipt_no), self._loaded, self._failed)

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
        name, pin = self.approver.name(), self.pin.text()
        if self.needs_approval and (not name or not pin):
            self.error.setText(self.tr("Choose the approving manager and have them type their PIN."))
            (self.manager if not name else self.pin).setFocus()
            return
        ctx, no, approval = self.state.ctx, self.detail.receipt_no, self.needs_approval
        approver = self.approver

        def work():
            acting = approver.approve(ctx, name, pin) if approval else ctx
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
