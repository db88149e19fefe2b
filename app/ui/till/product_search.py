"""Finding a product at the till by name or pinyin: letters typed in the scan line offer the matching
products in a list under it (catalog.search, by prefix of name, pinyin initials or syllables, SKU).

↓ / ↑ choose a product, Enter adds it, Esc closes the list; a click adds it too. Enter with nothing
chosen scans the text as a code, as before. "3*nt" offers the same list and adds three. The scan line
keeps the focus throughout, so a scanner's code + Enter is never taken by the list.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QWidget

from app.services.sales import catalog
from app.ui.widgets import run

LIMIT = 8
DEBOUNCE_MS = 150
_QTY = re.compile(r"^\s*(\d{1,4})\s*[*xX×]\s*(.*)$")


def search_text(text: str) -> tuple[int, str]:
    """(quantity, what to search for) from the scan line; the search is "" for a bare number (a
    scanner's barcode) or nothing."""
    qty, rest = 1, text.strip()
    m = _QTY.match(rest)
    if m:
        qty, rest = int(m.group(1)), m.group(2).strip()
    if not rest or rest.isdigit():
        return qty, ""
    return qty, rest


class ProductSearch(QListWidget):
    chosen = Signal(object, int)   # a catalog.ProductView and the quantity typed before it

    def __init__(self, state, entry: QLineEdit, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.entry = entry
        self._query = ""
        self._qty = 1
        self.products: list = []
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("QListWidget { font-size: 16px; background: #ffffff; border: 1px solid #8a94a6; }"
                           " QListWidget::item { padding: 6px 8px; }"
                           " QListWidget::item:selected { background: #dbeafe; color: #111827; }")
        self.itemClicked.connect(lambda item: self.pick(self.row(item)))
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search)
        entry.textEdited.connect(lambda _t: self._timer.start())
        entry.textChanged.connect(lambda t: None if t.strip() else self.close_list())
        entry.installEventFilter(self)  # after the till's own filter: this one sees the keys first

    def search(self) -> None:
        qty, query = search_text(self.entry.text())
        if not query:
            self.close_list()
            return
        ctx = self.state.ctx
        run(self, lambda: catalog.search(ctx, query, limit=LIMIT), lambda rows: self._show(query, qty, rows))

    def _show(self, query: str, qty: int, products) -> None:
        if search_text(self.entry.text())[1] != query:
            return  # typed on since: a newer search is on its way
        self.products, self._query, self._qty = list(products), query, qty
        self.clear()
        if not self.products:
            self.close_list()
            return
        for p in self.products:
            text = f"{p.name}    {p.sku}    {self.state.plain(p.price)}"
            item = QListWidgetItem(text, self)
            item.setToolTip(text)
        self.setCurrentRow(-1)
        width = max(self.entry.width(), 360)
        row_h = max(self.sizeHintForRow(0), 28)
        self.setFixedSize(width, row_h * len(self.products) + 6)
        self.move(self.entry.mapTo(self.parentWidget(), QPoint(0, self.entry.height() + 2)))
        self.show()
        self.raise_()

    def close_list(self) -> None:
        self._timer.stop()
        self.products = []
        self.hide()

    def pick(self, row: int) -> None:
        if 0 <= row < len(self.products):
            product, qty = self.products[row], self._qty
            self.close_list()
            self.entry.clear()
            self.chosen.emit(product, qty)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.entry and event.type() == QEvent.Type.KeyPress and self.isVisible():
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.setCurrentRow(max(0, min(len(self.products) - 1, row)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
                self.pick(self.currentRow())
                return True
            if key == Qt.Key.Key_Escape:
                self.close_list()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.close_list()  # nothing chosen: the text is scanned as a code
        return super().eventFilter(obj, event)
