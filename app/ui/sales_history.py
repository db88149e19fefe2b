"""Today's sales at the till: reprint a receipt (Enter) or refund one (F8)."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from app.services.reports import sales
from app.ui.cart_model import run

STATUS = {
    "sale": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Sale"),
    "partly_refunded": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Partly refunded"),
    "refunded": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Refunded"),
    "refund": QT_TRANSLATE_NOOP("SalesHistoryDialog", "Refund"),
}


class SalesHistoryDialog(QDialog):
    reprint_requested = Signal(str)  # receipt no
    refund_requested = Signal(str)

    def __init__(self, state, parent=None, select_receipt: str | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list = []
        self.select_receipt = select_receipt
        self.setWindowTitle(self.tr("Today's sales"))
        self.resize(820, 520)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels([self.tr("Receipt"), self.tr("Time"), self.tr("Member"),
                                              self.tr("Total"), self.tr("Status")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.message = QLabel(self.tr("Loading…"), self)
        self.message.setProperty("role", "muted")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton(self.tr("Close (Esc)"), self)
        self.refund_button = QPushButton(self.tr("Refund (F8)"), self)
        self.reprint_button = QPushButton(self.tr("Reprint (Enter)"), self)
        self.reprint_button.setProperty("primary", True)
        for b in (self.close_button, self.refund_button, self.reprint_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        self.close_button.clicked.connect(self.reject)
        self.refund_button.clicked.connect(self.refund)
        self.reprint_button.clicked.connect(self.reprint)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        ctx = self.state.ctx
        run(self, lambda: sales.recent_sales(ctx), self._show,
                             lambda exc: self.message.setText(self.state.error_text(exc)))

    def _show(self, rows) -> None:
        s = self.state
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        select = 0
        for r, x in enumerate(self.rows):
            member = f"{x.member_name} {x.masked_phone}".strip() or "—"
            values = [x.receipt_no, s.time(x.created_at), member, s.money(x.total),
                      QCoreApplication.translate("SalesHistoryDialog", STATUS[x.status])]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if x.status != "sale" and c == 4:
                    item.setForeground(QColor("#b45309"))
                self.table.setItem(r, c, item)
            if x.receipt_no == self.select_receipt:
                select = r
        self.message.setText(self.tr("No sales yet today.") if not self.rows else
                             self.tr("{n} today · ↑ ↓ choose · Enter reprints · F8 refunds · Esc closes").format(
                                 n=len(self.rows)))
        if self.rows:
            self.table.selectRow(select)
        self.table.setFocus()

    def current(self):
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and self.rows else None

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
