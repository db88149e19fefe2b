"""Recall a held cart: the list of carts put aside at this shop; Enter recalls, Del cancels one."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from app.services.sales import held
from app.ui.cart_model import run


class HeldDialog(QDialog):
    recall_requested = Signal(int)  # held cart id

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.items: list = []
        self.setWindowTitle(self.tr("Held carts"))
        self.resize(560, 360)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("Held at"), self.tr("Label"), self.tr("Lines")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.recall())
        layout.addWidget(self.table, 1)
        self.message = QLabel(self.tr("Loading…"), self)
        self.message.setProperty("role", "muted")
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_cart = QPushButton(self.tr("Discard cart (Del)"), self)
        self.close_button = QPushButton(self.tr("Close (Esc)"), self)
        self.recall_button = QPushButton(self.tr("Recall (Enter)"), self)
        self.recall_button.setProperty("primary", True)
        for b in (self.cancel_cart, self.close_button, self.recall_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        self.cancel_cart.clicked.connect(self.discard)
        self.close_button.clicked.connect(self.reject)
        self.recall_button.clicked.connect(self.recall)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        ctx = self.state.ctx
        run(self, lambda: held.list_held(ctx), self._show,
                             lambda exc: self.message.setText(self.state.error_text(exc)))

    def _show(self, items) -> None:
        self.items = list(items)
        self.table.setRowCount(len(self.items))
        for r, h in enumerate(self.items):
            for c, v in enumerate([self.state.datetime(h.created_at), h.label, self.state.number(h.lines)]):
                item = QTableWidgetItem(v)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.message.setText(self.tr("No carts are on hold.") if not self.items
                             else self.tr("↑ ↓ choose · Enter recalls · Del discards · Esc closes"))
        if self.items:
            self.table.selectRow(len(self.items) - 1)
        self.table.setFocus()

    def current(self):
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows and self.items else None

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.recall()
            return
        if event.key() == Qt.Key.Key_Delete:
            self.discard()
            return
        super().keyPressEvent(event)

    def recall(self) -> None:
        h = self.current()
        if h is None:
            return
        self.recall_requested.emit(h.id)
        self.accept()

    def discard(self) -> None:
        h = self.current()
        if h is None:
            return
        ctx = self.state.ctx
        run(self, lambda: held.cancel(ctx, h.id), lambda _r: self.reload(),
                             lambda exc: self.message.setText(self.state.error_text(exc)))
