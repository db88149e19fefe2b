"""Today's sales at the till: reprint a receipt (Enter) or refund one (F8)."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor

from app.services.reports import sales
from app.ui.widgets import ListDialog

STATUS = {
    "sale": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Sale"),
    "partly_refunded": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Partly refunded"),
    "refunded": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Refunded"),
    "refund": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Refund"),
}


class SalesHistoryDialog(ListDialog):
    reprint_requested = Signal(str)  # receipt no
    refund_requested = Signal(str)

    def __init__(self, state, parent=None, select_receipt: str | None = None) -> None:
        super().__init__(state, parent)
        self.build(title=self.tr("Today's sales"), size=(820, 520),
                   headers=[self.tr("Receipt"), self.tr("Time"), self.tr("Member"), self.tr("Total"),
                            self.tr("Status")], stretch=2, loading=self.tr("Loading…"))
        self.select_receipt = select_receipt
        self.close_button, self.refund_button, self.reprint_button = self.add_buttons(
            self.tr("Close (Esc)"), self.tr("Refund (F8)"), self.tr("Reprint (Enter)"))
        self.close_button.clicked.connect(self.reject)
        self.refund_button.clicked.connect(self.refund)
        self.reprint_button.clicked.connect(self.reprint)
        self.reload()

    def reload(self) -> None:
        ctx = self.state.ctx
        self.load(lambda: sales.recent_sales(ctx), self._show)

    def _show(self, rows) -> None:
        s = self.state

        def cells(x) -> list[str]:
            member = f"{x.member_name} {x.masked_phone}".strip() or "—"
            return [x.receipt_no, s.time(x.created_at), member, s.money(x.total),
                    QCoreApplication.translate("SalesHistoryDialog", STATUS[x.status])]

        items = self.fill(rows, cells, right=frozenset({3}))
        select = 0
        for r, x in enumerate(self.rows):
            if x.status != "sale":
                items[r][4].setForeground(QColor("#b45309"))
            if x.receipt_no == self.select_receipt:
                select = r
        self.message.setText(self.tr("No sales yet today.") if not self.rows else
                             self.tr("{n} today · ↑ ↓ choose · Enter reprints · F8 refunds · Esc closes").format(
                                 n=len(self.rows)))
        if self.rows:
            self.table.selectRow(select)
        self.table.setFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F9):
            self.reprint()
            return
        if key == Qt.Key.Key_F8:
            self.refund()
            return
        super().keyPressEvent(event)

    def reprint(self) -> None:
        x = self.current()
        if x is not None:
            self.reprint_requested.emit(x.receipt_no)
            self.message.setText(self.tr("Reprinting {receipt}…").format(receipt=x.receipt_no))

    def refund(self) -> None:
        x = self.current()
        if x is None:
            return
        if x.kind != "sale":
            self.message.setText(self.tr("{receipt} is itself a refund.").format(receipt=x.receipt_no))
            return
        self.refund_requested.emit(x.receipt_no)
        self.accept()
