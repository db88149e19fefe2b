"""Stocktake… (盘点): the tracked products (all, or one category) with their stock and a column to type
what was counted; differences show as they are typed. Post makes every counted product's stock
what was counted, as one stocktake in one transaction (audited); a product left blank is not
counted. Cancel changes nothing."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.errors import PermissionDenied, ShopError
from app.services.base.permissions import action_name
from app.services.sales import inventory
from app.ui import style
from app.ui.products.stock_parts import RIGHT, StockWriteDialog, signed, table
from app.ui.widgets import error_label, run

COUNTED, DIFF = 3, 4


class StocktakeDialog(StockWriteDialog):

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list = []        # inventory.StockRow, one per table row
        self._busy = self._filling = False
        self.result_value = None
        self.setWindowTitle(self.tr("Stocktake"))
        self.resize(860, 600)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Stocktake"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Products"), self))
        self.scope = QComboBox(self)
        self.scope.addItem(self.tr("All products that track stock"), None)
        top.addWidget(self.scope, 1)
        self.fill_button = QPushButton(self.tr("Blanks = in stock"), self)
        self.fill_button.setToolTip(self.tr("Type only what differs: every blank count becomes the stock shown"))
        self.fill_button.setAutoDefault(False)
        top.addWidget(self.fill_button)
        outer.addLayout(top)
        hint = QLabel(self.tr("Type what you counted; a product left blank is not counted."), self)
        hint.setProperty("role", "muted")
        outer.addWidget(hint)
        self.table = table(self, [self.tr("SKU"), self.tr("Product"), self.tr("In stock"), self.tr("Counted"),
                                  self.tr("Difference")], 1)
        self.table.setEditTriggers(self.table.EditTrigger.AllEditTriggers)
        outer.addWidget(self.table, 1)
        self.summary = QLabel(self)
        outer.addWidget(self.summary)
        form = QFormLayout()
        self.ref = QLineEdit(self)
        self.ref.setMaxLength(64)
        self.ref.setPlaceholderText(self.tr("Optional; the till, date and time when empty"))
        form.addRow(self.tr("Reference"), self.ref)
        self.note = QLineEdit(self)
        self.note.setMaxLength(500)
        form.addRow(self.tr("Note"), self.note)
        outer.addLayout(form)
        self.error = error_label(self)
        self.footer(outer, self.tr("Post stocktake"))
        self.fill_button.clicked.connect(self.fill_blanks)
        self.table.itemChanged.connect(self._changed)
        self.scope.currentIndexChanged.connect(lambda _i: self.load())
        ctx = state.ctx
        run(self, lambda: inventory.tracked_categories(ctx), self._categories, self._load_failed)
        self.load()

    # --- loading ------------------------------------------------------------------------------------
    def _categories(self, names: list[str]) -> None:
        for name in names:
            self.scope.addItem(name, name)

    def load(self) -> None:
        ctx, category = self.state.ctx, self.scope.currentData()
        self.confirm_button.setEnabled(False)
        run(self, lambda: inventory.tracked(ctx, category=category), self._show, self._load_failed)

    def _load_failed(self, exc: BaseException) -> None:
        self.show_error(self.state.error_text(exc))

    def _show(self, rows) -> None:
        self.rows = list(rows)
        self._filling = True
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate((row.sku, row.name, self.state.number(row.on_hand), "", "")):
                item = QTableWidgetItem(text)
                if c >= 2:
                    item.setTextAlignment(RIGHT)
                if c != COUNTED:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(r, c, item)
        self._filling = False
        self.validate()
        if self.rows:
            self.table.setCurrentCell(0, COUNTED)

    # --- counts -------------------------------------------------------------------------------------
    def fill_blanks(self) -> None:
        for r, row in enumerate(self.rows):
            item = self.table.item(r, COUNTED)
            if not item.text().strip():
                item.setText(str(row.on_hand if row.on_hand > 0 else 0))

    def _changed(self, item) -> None:
        if self._filling or item.column() != COUNTED:
            return
        self.validate()

    def counts(self) -> dict[int, int]:
        """{product id: counted} of the rows with a count; ShopError naming the first bad one."""
        out = {}
        for r, row in enumerate(self.rows):
            text = self.table.item(r, COUNTED).text().strip()
            if text:
                out[row.product_id] = inventory.check_units(text, "counted", row.name, low=0)
        return out

    def validate(self) -> bool:
        """Each row's difference and colour, the summary line, and whether Post may be pressed."""
        problem, counted, differ = None, 0, 0
        self._filling = True
        for r, row in enumerate(self.rows):
            text = self.table.item(r, COUNTED).text().strip()
            diff_item = self.table.item(r, DIFF)
            colour = None
            if not text:
                diff_item.setText("")
            else:
                try:
                    n = inventory.check_units(text, "counted", row.name, low=0)
                except ShopError as exc:
                    problem = problem or self.state.error_text(exc)
                    diff_item.setText("?")
                    colour = style.DANGER
                else:
                    counted += 1
                    diff = n - row.on_hand
                    differ += bool(diff)
                    diff_item.setText(signed(diff) if diff else "0")
                    colour = style.DANGER if diff < 0 else style.OK if diff > 0 else None
            diff_item.setForeground(QBrush(QColor(colour)) if colour else QBrush())
        self._filling = False
        self.summary.setText(self.tr("{counted} of {total} counted · {differ} differ").format(
            counted=self.state.number(counted), total=self.state.number(len(self.rows)),
            differ=self.state.number(differ)))
        if not self.state.role_allowed("stocktake"):
            problem = self.state.error_text(PermissionDenied("permission_denied", role=self.state.actor.role,
                                                             action=action_name("stocktake")))
        self.show_error(problem)
        ok = problem is None and counted > 0 and not self._busy
        self.confirm_button.setEnabled(ok)
        return ok


    # --- posting ------------------------------------------------------------------------------------
    def confirm(self) -> None:
        if self._busy or not self.validate():
            return
        ctx, counts, ref, note = self.state.ctx, self.counts(), self.ref.text(), self.note.text()
        self.write(lambda: inventory.post_stocktake(ctx, counts, ref=ref or None, note=note),
                   self.tr("posting the stocktake"))
