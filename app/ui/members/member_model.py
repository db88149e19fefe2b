"""The members table model: lazy, paged and fed by the database worker.

Qt asks ``canFetchMore``/``fetchMore`` as the view scrolls near the end; each fetch asks
``member_list.next_page`` on the db worker for the next ~200 rows after the last one seen (keyset,
never OFFSET). A new query or sort bumps a generation number: pages still on their way for an
older query are dropped when they arrive, and queued work for one is skipped before it starts.
"""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt, Signal

from app.services.members import member_list
from app.services.members.member_list import MemberRow, Page
from app.ui.widgets import PagedTableModel

COLUMNS = [
    # key, header, sort key in the service (None: not sortable)
    ("name", QT_TRANSLATE_NOOP("MemberListModel", "Name"), "name"),
    ("phone", QT_TRANSLATE_NOOP("MemberListModel", "Phone"), None),
    ("tier", QT_TRANSLATE_NOOP("MemberListModel", "Tier"), None),
    ("balance", QT_TRANSLATE_NOOP("MemberListModel", "Balance"), "balance"),
    ("points", QT_TRANSLATE_NOOP("MemberListModel", "Points"), "points"),
    ("spent", QT_TRANSLATE_NOOP("MemberListModel", "Total spent"), "total_spent"),
    ("visits", QT_TRANSLATE_NOOP("MemberListModel", "Visits"), None),
    ("last", QT_TRANSLATE_NOOP("MemberListModel", "Last visit"), "last_visit"),
]
_ROOT = QModelIndex()
SORT_COLUMN = {sort: i for i, (_k, _h, sort) in enumerate(COLUMNS) if sort}


class MemberListModel(PagedTableModel):
    loaded = Signal(int, bool)      # members matching (first page), exact?
    COLUMNS = COLUMNS
    CONTEXT = "MemberListModel"
    RIGHT = frozenset({"balance", "points", "spent", "visits"})

    def __init__(self, state, parent=None, page_size: int = member_list.PAGE_SIZE) -> None:
        super().__init__(state, parent, page_size)
        self.rows: list[MemberRow] = []
        self.query = ""
        self.sort_key = "last_visit"
        self.desc = True
        self.total: int | None = None
        self.total_exact = True
        self._cursor = None
        self._started = False

    @property
    def has_more(self) -> bool:
        return self._cursor is not None

    def _no_more(self) -> None:
        self._cursor = None

    def _forget(self) -> None:
        self._cursor = None
        self.total = None

    # --- what to show ---------------------------------------------------------------------------
    def set_query(self, text: str, sort: str | None = None, desc: bool | None = None) -> None:
        """Start over with ``text`` (and optionally another sort): the first page comes from the worker."""
        self.query = (text or "").strip()
        if sort is not None:
            self.sort_key = sort
            self.desc = member_list.DEFAULT_DESC[sort] if desc is None else desc
        elif desc is not None:
            self.desc = desc
        gen = self._restart()
        self._started = True
        ctx, query, sort_key, desc_, size = self.state.ctx, self.query, self.sort_key, self.desc, self.page_size
        self._request(gen, lambda: member_list.first_page(ctx, query, sort_key, desc_, size), self._first)

    def refresh(self) -> None:
        self.set_query(self.query)

    def _first(self, page: Page) -> None:
        self.total, self.total_exact = page.total, page.total_exact
        self._append(page)
        self.loaded.emit(page.total or 0, page.total_exact)

    def _append(self, page: Page) -> None:
        self._cursor = page.cursor
        self.pages_loaded += 1
        self._insert(page.rows)

    # --- lazy paging ----------------------------------------------------------------------------
    def fetchMore(self, parent=_ROOT) -> None:  # noqa: N802 (Qt's name)
        if not self.canFetchMore(parent):
            return
        cursor = self._cursor
        ctx, query, sort_key, desc_, size = self.state.ctx, self.query, self.sort_key, self.desc, self.page_size
        self._request(self._generation, lambda: member_list.next_page(ctx, query, sort_key, cursor, desc_, size),
                      self._append)

    # --- one member changed ------------------------------------------------------------------------
    def update_member(self, row: MemberRow) -> None:
        self._replace(row)

    def member_id(self, row: int) -> int | None:
        return self.rows[row].id if 0 <= row < len(self.rows) else None

    # --- Qt's table interface ---------------------------------------------------------------------
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        cell = self._at(index)
        if cell is None:
            return None
        r, key = cell
        if role == Qt.ItemDataRole.DisplayRole:
            s = self.state
            return {
                "name": r.name, "phone": r.masked_phone,
                "tier": s.tier_name(r.tier_name_en, r.tier_name_zh),
                "balance": s.money(r.balance), "points": s.number(r.points), "spent": s.money(r.total_spent),
                "visits": s.number(r.visits),
                "last": s.date(r.last_visit_at.date()) if r.last_visit_at else "—",
            }[key]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.align(key)
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        if role == Qt.ItemDataRole.ToolTipRole and key == "name" and r.card_no:
            return QCoreApplication.translate("MemberListModel", "Card {card}").format(card=r.card_no)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort through the service (a new first page), for the columns it can sort by."""
        sort_key = COLUMNS[column][2] if 0 <= column < len(COLUMNS) else None
        if sort_key is None:
            return
        desc = order == Qt.SortOrder.DescendingOrder
        if (sort_key, desc) != (self.sort_key, self.desc) or not self._started:
            self.set_query(self.query, sort_key, desc)
