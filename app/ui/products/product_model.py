"""The catalogue table model: lazy, paged by the database worker, quick at 100,000 products.

Qt asks ``canFetchMore``/``fetchMore`` as the view scrolls near the end; each fetch asks
``product_list.page`` on the db worker for the next page. A new query bumps the generation number
of ``PagedTableModel``: an older query's pages are dropped when they arrive. ``fetched`` counts the
rows the service handed over for the current query (tests check the list never reads more than it shows)."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from app.services.sales import product_list
from app.services.sales.product_list import ProductPage, ProductRow
from app.ui import style
from app.ui.widgets import PagedTableModel

COLUMNS = [
    ("name", QT_TRANSLATE_NOOP("ProductListModel", "Name")),
    ("sku", QT_TRANSLATE_NOOP("ProductListModel", "SKU")),
    ("barcodes", QT_TRANSLATE_NOOP("ProductListModel", "Barcode")),
    ("category", QT_TRANSLATE_NOOP("ProductListModel", "Category")),
    ("price", QT_TRANSLATE_NOOP("ProductListModel", "Price")),
    ("member", QT_TRANSLATE_NOOP("ProductListModel", "Member price")),
    ("stock", QT_TRANSLATE_NOOP("ProductListModel", "Stock")),
    ("status", QT_TRANSLATE_NOOP("ProductListModel", "Status")),
]
_ROOT = QModelIndex()
PAGE_SIZE = 100
LOW_BG = "#fdecea"     # a light red behind a stock at or below its reorder level


class ProductListModel(PagedTableModel):
    loaded = Signal(int, bool)      # products matching the query, the shop has none at all?
    COLUMNS = COLUMNS
    CONTEXT = "ProductListModel"
    RIGHT = frozenset({"price", "stock"})

    def __init__(self, state, parent=None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(state, parent, page_size)
        self.rows: list[ProductRow] = []
        self.query = ""
        self.active_only = True
        self.total: int | None = None
        self.fetched = 0
        self._more = False

    @property
    def has_more(self) -> bool:
        return self._more

    def _no_more(self) -> None:
        self._more = False

    def _forget(self) -> None:
        self._more = False
        self.total = None
        self.fetched = 0

    # --- what to show -------------------------------------------------------------------------------
    def set_query(self, text: str, active_only: bool | None = None) -> None:
        self.query = (text or "").strip()
        if active_only is not None:
            self.active_only = active_only
        gen = self._restart()
        ctx, query, active, size = self.state.ctx, self.query, self.active_only, self.page_size
        self._request(gen, lambda: product_list.page(ctx, query, limit=size, active_only=active, with_total=True),
                      self._first)

    def refresh(self) -> None:
        self.set_query(self.query)

    def _first(self, page: ProductPage) -> None:
        self.total = page.total
        self._append(page)
        self.loaded.emit(page.total or 0, page.shop_empty)

    def _append(self, page: ProductPage) -> None:
        self.pages_loaded += 1
        self.fetched += len(page.rows)
        self._more = len(page.rows) == self.page_size
        self._insert(list(page.rows))

    def fetchMore(self, parent=_ROOT) -> None:  # noqa: N802 (Qt's name)
        if not self.canFetchMore(parent):
            return
        ctx, query, active, size, offset = self.state.ctx, self.query, self.active_only, self.page_size, len(self.rows)
        self._request(self._generation,
                      lambda: product_list.page(ctx, query, limit=size, offset=offset, active_only=active),
                      self._append)

    def product_id(self, row: int) -> int | None:
        return self.rows[row].id if 0 <= row < len(self.rows) else None

    def update_row(self, row: ProductRow) -> None:
        self._replace(row)

    # --- cells --------------------------------------------------------------------------------------
    def member_text(self, r: ProductRow) -> str:
        if r.product.no_member_price:
            return QCoreApplication.translate("ProductListModel", "No member discount")
        if not r.member_prices:
            return "—"
        s = self.state
        return " · ".join(f"{s.tier_name(tp.name_en, tp.name_zh)} {s.money(tp.price)}" for tp in r.member_prices)

    def stock_text(self, r: ProductRow) -> str:
        p = r.product
        if not p.track_stock:
            return "—"
        text = self.state.number(p.on_hand)
        return f"{text} {p.unit}" if p.unit else text

    @staticmethod
    def low(r: ProductRow) -> bool:
        p = r.product
        return p.track_stock and p.reorder_level is not None and p.on_hand <= p.reorder_level

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        cell = self._at(index)
        if cell is None:
            return None
        r, key = cell
        p = r.product
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                "name": p.name, "sku": p.sku, "barcodes": ", ".join(p.barcodes), "category": p.category,
                "price": self.state.money(p.price), "member": self.member_text(r), "stock": self.stock_text(r),
                "status": (QCoreApplication.translate("ProductListModel", "On sale") if p.active
                           else QCoreApplication.translate("ProductListModel", "Off sale")),
            }[key]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.align(key)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "stock" and self.low(r):
                return QBrush(QColor(style.DANGER))
            if not p.active:
                return QBrush(QColor(style.MUTED))
        if role == Qt.ItemDataRole.BackgroundRole and key == "stock" and self.low(r):
            return QBrush(QColor(LOW_BG))
        if role == Qt.ItemDataRole.FontRole and key == "stock" and self.low(r):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and key == "stock" and self.low(r):
            return QCoreApplication.translate("ProductListModel", "At or below the reorder level ({level})").format(
                level=self.state.number(p.reorder_level))
        if role == Qt.ItemDataRole.UserRole:
            return p.id
        return None
