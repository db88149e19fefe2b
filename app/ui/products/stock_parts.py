"""What the stock tab and its dialogs share: the names of stock movements, a read-only table, the
product finder of the receive dialog and the dialogs' button rows."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHeaderView, QLineEdit, QListWidget, QListWidgetItem,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app import i18n
from app.services.sales import catalog, inventory
from app.ui.widgets import closing_buttons, run

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def kind_name(lang: str, kind: str) -> str:
    """A stock movement's name (the same words as the command line's)."""
    entry = inventory.KIND_NAMES.get(kind)
    return i18n.entry(lang, entry, context="stock_kind:" + kind) if entry else kind


def signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def table(parent: QWidget, headers: list[str], stretch: int) -> QTableWidget:
    """A read-only table picking whole rows, ``stretch`` the column that takes the spare width."""
    t = QTableWidget(0, len(headers), parent)
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


def fill(t: QTableWidget, rows: list[list[str]], right: frozenset[int] = frozenset()) -> None:
    t.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c in right:
                item.setTextAlignment(RIGHT)
            t.setItem(r, c, item)


class ProductFinder(QWidget):
    """Type a name, pinyin initials, SKU or barcode: the matching products that track stock, to
    pick one (``picked`` carries its ProductView, or None when the pick is cleared)."""

    picked = Signal(object)
    SEARCH_MS = 200

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.product = None
        self.query = QLineEdit(self)
        self.query.setPlaceholderText(QCoreApplication.translate(
            "StockDialogs", "Name, pinyin initials, SKU or barcode"))
        self.results = QListWidget(self)
        self.results.setMinimumHeight(120)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.query)
        box.addWidget(self.results)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.SEARCH_MS)
        self._timer.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _t: self._timer.start())
        self.query.returnPressed.connect(self._take_first)
        self.results.currentItemChanged.connect(self._chosen)

    def search(self) -> None:
        ctx, text = self.state.ctx, self.query.text().strip()
        run(self, lambda: catalog.search(ctx, text, limit=30), self._show)

    def _show(self, views) -> None:
        self.results.clear()
        for v in views:
            label = f"{v.name}  ·  {v.sku}"
            if v.track_stock:
                label += "  ·  " + QCoreApplication.translate("StockDialogs", "in stock: {n}").format(
                    n=self.state.number(v.on_hand))
            else:
                label += "  ·  " + QCoreApplication.translate("StockDialogs", "does not track stock")
            item = QListWidgetItem(label, self.results)
            item.setData(Qt.ItemDataRole.UserRole, v)
            if not v.track_stock:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
        tracked = [i for i in range(self.results.count()) if self.results.item(i).flags() & Qt.ItemFlag.ItemIsEnabled]
        if len(tracked) == 1:
            self.results.setCurrentRow(tracked[0])

    def _take_first(self) -> None:
        for i in range(self.results.count()):
            if self.results.item(i).flags() & Qt.ItemFlag.ItemIsEnabled:
                self.results.setCurrentRow(i)
                return

    def _chosen(self, item, _old=None) -> None:
        self.product = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.picked.emit(self.product)


class StockWriteDialog(QDialog):
    """What the receive, adjust and stocktake dialogs share: one write at a time on the task runner,
    its answer kept in ``result_value``, emitted on ``written`` and the dialog accepted, a refusal shown
    in the dialog's error line (``self.error``) with the confirm button (``self.confirm_button``)
    enabled again."""
    written = Signal(object)    # inventory.StockMove or StocktakeResult

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._busy = False
        self.result_value = None

    def footer(self, outer, confirm: str) -> None:
        """The note line, the error line and Cancel / ``confirm`` at the bottom of ``outer``'s form,
        wired to reject and ``self.confirm``."""
        outer.addWidget(self.error)
        line, self.confirm_button, self.cancel_button = closing_buttons(
            self, QCoreApplication.translate("StockWriteDialog", "Cancel (Esc)"), confirm, self.confirm, default=True)
        outer.addLayout(line)

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def write(self, fn, what: str) -> None:
        self._busy = True
        self.confirm_button.setEnabled(False)
        self.state.tasks.write(fn, self._done, self._failed, what=what, owner=self)

    def _done(self, result) -> None:
        self._busy = False
        self.result_value = result
        self.written.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.show_error(self.state.error_text(exc))
        self.confirm_button.setEnabled(True)
