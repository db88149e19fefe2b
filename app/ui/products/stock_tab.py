"""Products › Stock: the products that track stock (low stock first, or all), Receive stock…,
Stocktake… and Adjust…, and the chosen product's stock history. When no product tracks stock it
says how to start (Track stock in a product's editor). Reads and writes go through the task runner."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from PySide6.QtCore import Qt

from app.services.sales import inventory
from app.ui.products.receive_dialog import ReceiveDialog
from app.ui.products.stock_adjust_dialog import StockAdjustDialog
from app.ui.products.stock_parts import fill, kind_name, signed, table
from app.ui.products.stocktake_dialog import StocktakeDialog
from app.ui.widgets import Tab, button_row

LOW, ALL = "low", "all"


class StockTab(Tab):
    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        self.rows: list = []
        self.any_tracked = False
        self.dialog = None
        self.receive_button = QPushButton(self.tr("Receive stock…"), self)
        self.receive_button.setProperty("primary", True)
        self.count_button = QPushButton(self.tr("Stocktake…"), self)
        self.adjust_button = QPushButton(self.tr("Adjust…"), self)
        self.show_combo = QComboBox(self)
        self.show_combo.addItem(self.tr("Low stock"), LOW)
        self.show_combo.addItem(self.tr("All products that track stock"), ALL)
        self._none_tracked = self.tr("No product tracks stock yet. To keep count of a product's stock, open it on "
                                     "the Products tab, turn on “Track stock” and give it a reorder level; then "
                                     "receive its stock here, or count it with Stocktake…")
        self.empty = QLabel(self._none_tracked, self)
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "muted")
        self.list = table(self, [self.tr("SKU"), self.tr("Product"), self.tr("Category"), self.tr("In stock"),
                                 self.tr("Reorder level"), self.tr("Short")], 1)
        self.history_title = QLabel(self.tr("Stock history: choose a product above"), self)
        self.history_title.setProperty("role", "muted")
        self.history = table(self, [self.tr("When"), self.tr("Movement"), self.tr("Units"), self.tr("After"),
                                    self.tr("Unit cost"), self.tr("Receipt, reference or supplier"),
                                    self.tr("Staff"), self.tr("Note")], 7)
        lower = QWidget(self)
        lower_box = QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        lower_box.addWidget(self.history_title)
        lower_box.addWidget(self.history)
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(self.list)
        self.split.addWidget(lower)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        box = QVBoxLayout(self)
        row = button_row(self.receive_button, self.count_button, self.adjust_button)
        row.addWidget(self.show_combo)
        box.addLayout(row)
        box.addWidget(self.empty)
        box.addWidget(self.split, 1)
        box.addWidget(self.status)
        self.receive_button.clicked.connect(self.receive)
        self.count_button.clicked.connect(self.stocktake)
        self.adjust_button.clicked.connect(self.adjust)
        self.show_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.list.itemSelectionChanged.connect(self._selected)
        # a sale or refund on this till moves stock: a shown list follows it
        state.sale_recorded.connect(self._sale_recorded)
        self.apply_permissions()

    # --- reading ------------------------------------------------------------------------------------
    def load(self) -> None:
        ctx, low = self.state.ctx, self.show_combo.currentData() == LOW

        def work():
            every = inventory.tracked(ctx)
            return every, (inventory.low_stock(ctx) if low else every)

        self.run(work, self._show)

    def _show(self, result) -> None:
        every, rows = result
        self.any_tracked = bool(every)
        self.empty.setText(self._none_tracked if not every else self.tr("Nothing is low on stock.") if not rows else "")
        self.empty.setVisible(not every or not rows)
        self.split.setVisible(bool(every))
        keep = self.current()
        self.rows = list(rows)
        fill(self.list, [[r.sku, r.name, r.category, self.state.number(r.on_hand),
                          "" if r.reorder_level is None else self.state.number(r.reorder_level),
                          self.state.number(r.shortfall) if r.shortfall >= 0 else ""] for r in self.rows],
             right=frozenset({3, 4, 5}))
        again = next((i for i, r in enumerate(self.rows) if keep is not None and r.product_id == keep.product_id), 0)
        if self.rows:
            self.list.selectRow(again)
        else:
            self.history.setRowCount(0)
        self.apply_permissions()

    def _sale_recorded(self, _result) -> None:
        if self.isVisible():
            self.load()

    def current(self):
        picked = self.list.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked and picked[0].row() < len(self.rows) else None

    def _selected(self) -> None:
        self.apply_permissions()
        row = self.current()
        if row is None:
            return
        self.history_title.setText(self.tr("Stock history of {name} ({sku})").format(name=row.name, sku=row.sku))
        ctx, pid = self.state.ctx, row.product_id
        self.run(lambda: inventory.history(ctx, pid, 100), self._show_history)

    def _show_history(self, rows) -> None:
        lang = self.state.lang
        fill(self.history, [[self.state.datetime(h.at), kind_name(lang, h.kind), signed(h.qty), self.state.number(h.after),
                             self.state.money(h.unit_cost), h.receipt_no or h.ref or h.supplier, h.staff,
                             h.note.replace("\n", " ")] for h in rows], right=frozenset({2, 3, 4}))

    # --- changing -----------------------------------------------------------------------------------
    def apply_permissions(self) -> None:
        allowed = self.state.role_allowed
        self.receive_button.setEnabled(allowed("receive_stock") and self.any_tracked)
        self.count_button.setEnabled(allowed("stocktake") and self.any_tracked)
        self.adjust_button.setEnabled(allowed("adjust_stock") and self.current() is not None)

    def _open(self, dialog) -> None:
        self.dialog = dialog
        dialog.written.connect(self._changed)
        dialog.open()

    def _changed(self, result) -> None:
        if isinstance(result, inventory.StocktakeResult):
            self.status.ok(self.tr("Stocktake {ref} posted: {n} product(s) changed.").format(
                ref=result.ref, n=self.state.number(result.posted)))
        else:
            self.status.ok(self.tr("{name}: {before} → {after} in stock.").format(
                name=result.name, before=self.state.number(result.before), after=self.state.number(result.after)))
        self.load()

    def receive(self) -> None:
        dialog = ReceiveDialog(self.state, self)
        self._open(dialog)

    def stocktake(self) -> None:
        dialog = StocktakeDialog(self.state, self)
        self._open(dialog)

    def adjust(self) -> None:
        row = self.current()
        if row is None:
            return
        dialog = StockAdjustDialog(self.state, row, self)
        self._open(dialog)
