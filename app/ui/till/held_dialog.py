"""Recall a held cart: the list of carts put aside at this shop; Enter recalls, Del cancels one."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from app.services.sales import held
from app.ui.widgets import ListDialog, run


class HeldDialog(ListDialog):
    recall_requested = Signal(int)  # held cart id

    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        self.build(title=self.tr("Held carts"), size=(560, 360),
                   headers=[self.tr("Held at"), self.tr("Label"), self.tr("Lines")], stretch=1,
                   loading=self.tr("Loading…"))
        self.table.doubleClicked.connect(lambda _i: self.recall())
        self.cancel_cart, self.close_button, self.recall_button = self.add_buttons(
            self.tr("Discard cart (Del)"), self.tr("Close (Esc)"), self.tr("Recall (Enter)"))
        self.cancel_cart.clicked.connect(self.discard)
        self.close_button.clicked.connect(self.reject)
        self.recall_button.clicked.connect(self.recall)
        self.reload()

    @property
    def items(self) -> list:
        return self.rows

    def reload(self) -> None:
        ctx = self.state.ctx
        self.load(lambda: held.list_held(ctx), self._show)

    def _show(self, items) -> None:
        s = self.state
        self.fill(items, lambda h: [s.datetime(h.created_at), h.label, s.number(h.lines)], right=frozenset({2}))
        self.message.setText(self.tr("No carts are on hold.") if not self.rows
                             else self.tr("↑ ↓ choose · Enter recalls · Del discards · Esc closes"))
        if self.rows:
            self.table.selectRow(len(self.rows) - 1)
        self.table.setFocus()

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
        run(self, lambda: held.cancel(ctx, h.id), lambda _r: self.reload(), self.failed)
