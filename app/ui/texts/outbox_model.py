"""The outbox table model: lazy, keyset-paged and fed by the database worker.

Like the members model: each fetch asks ``outbox_admin.list_messages`` for the next page of texts
older than the last one shown (``before_id``); a new filter bumps a generation number so pages of
an older filter are dropped when they arrive.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from app.errors import ValidationError
from app.services.members import member_list
from app.services.texts import outbox_admin
from app.services.texts.outbox_admin import MessageRow
from app.ui.widgets import PagedTableModel

PAGE_SIZE = 200
_ROOT = QModelIndex()

COLUMNS = [
    ("created", QT_TRANSLATE_NOOP("OutboxModel", "Queued at")),
    ("member", QT_TRANSLATE_NOOP("OutboxModel", "Member")),
    ("phone", QT_TRANSLATE_NOOP("OutboxModel", "Phone")),
    ("kind", QT_TRANSLATE_NOOP("OutboxModel", "Kind")),
    ("status", QT_TRANSLATE_NOOP("OutboxModel", "Status")),
    ("segments", QT_TRANSLATE_NOOP("OutboxModel", "Parts")),
    ("body", QT_TRANSLATE_NOOP("OutboxModel", "Text")),
    ("error", QT_TRANSLATE_NOOP("OutboxModel", "Gateway answer")),
]

STATUS_LABELS = {
    "held": QT_TRANSLATE_NOOP("OutboxModel", "Awaiting approval"),
    "queued": QT_TRANSLATE_NOOP("OutboxModel", "Queued"),
    "sending": QT_TRANSLATE_NOOP("OutboxModel", "Sending"),
    "sent": QT_TRANSLATE_NOOP("OutboxModel", "Sent"),
    "delivered": QT_TRANSLATE_NOOP("OutboxModel", "Delivered"),
    "failed": QT_TRANSLATE_NOOP("OutboxModel", "Failed"),
    "unknown": QT_TRANSLATE_NOOP("OutboxModel", "Unknown"),
    "cancelled": QT_TRANSLATE_NOOP("OutboxModel", "Cancelled"),
}
KIND_LABELS = {
    "ebill": QT_TRANSLATE_NOOP("OutboxModel", "E-bill"),
    "ebill_sale": QT_TRANSLATE_NOOP("OutboxModel", "E-bill: sale"),
    "ebill_refund": QT_TRANSLATE_NOOP("OutboxModel", "E-bill: refund"),
    "ebill_topup": QT_TRANSLATE_NOOP("OutboxModel", "E-bill: top-up"),
    "ebill_countcard": QT_TRANSLATE_NOOP("OutboxModel", "E-bill: count card visit"),
    "birthday": QT_TRANSLATE_NOOP("OutboxModel", "Birthday"),
    "birthday_ahead": QT_TRANSLATE_NOOP("OutboxModel", "Birthday, days ahead"),
    "anniversary": QT_TRANSLATE_NOOP("OutboxModel", "Anniversary"),
    "member_anniversary": QT_TRANSLATE_NOOP("OutboxModel", "Membership anniversary"),
    "holiday": QT_TRANSLATE_NOOP("OutboxModel", "Holiday"),
    "tier_care": QT_TRANSLATE_NOOP("OutboxModel", "Tier care"),
    "tier_care_voucher": QT_TRANSLATE_NOOP("OutboxModel", "Tier care with a voucher"),
    "winback": QT_TRANSLATE_NOOP("OutboxModel", "Win-back"),
    "winback_voucher": QT_TRANSLATE_NOOP("OutboxModel", "Win-back with a voucher"),
    "repurchase": QT_TRANSLATE_NOOP("OutboxModel", "Repurchase reminder"),
    "points_reminder": QT_TRANSLATE_NOOP("OutboxModel", "Points about to expire"),
    "campaign": QT_TRANSLATE_NOOP("OutboxModel", "Campaign"),
    "campaign_referral": QT_TRANSLATE_NOOP("OutboxModel", "Campaign: bring a friend"),
    "satisfaction": QT_TRANSLATE_NOOP("OutboxModel", "Satisfaction survey"),
    "followup": QT_TRANSLATE_NOOP("OutboxModel", "Service follow-up"),
    "test": QT_TRANSLATE_NOOP("OutboxModel", "Test"),
}
STATUS_COLORS = {"held": "#f3ecff", "failed": "#fdecea", "unknown": "#fff4d6", "cancelled": "#f1f2f4", "queued": "#eef5ff"}
UNKNOWN_HINT = QT_TRANSLATE_NOOP("OutboxModel", "May or may not have been sent — check with the customer")


def status_label(status: str) -> str:
    return QCoreApplication.translate("OutboxModel", STATUS_LABELS.get(status, status))


def kind_label(kind: str) -> str:
    return QCoreApplication.translate("OutboxModel", KIND_LABELS[kind]) if kind in KIND_LABELS else kind


@dataclass(frozen=True)
class OutboxFilter:
    status: str | None = None
    kind: str | None = None
    who: str = ""               # a phone, its last digits, or the start of a member's name
    date_from: date | None = None
    date_to: date | None = None
    member_id: int | None = None


def fetch(ctx, f: OutboxFilter, before_id: int | None, limit: int) -> list[MessageRow]:
    """One page for ``f`` (worker thread). A name in ``who`` must pick out one member."""
    who, member_id, phone = f.who.strip(), f.member_id, None
    if who:
        bare = who.replace(" ", "").replace("-", "").lstrip("+")
        if bare.isdigit():
            phone = who
        elif member_id is None:
            matches = member_list.first_page(ctx, who, "name", False, 2).rows
            if not matches:
                raise ValidationError("member_not_found", key=who)
            if len(matches) > 1:
                raise ValidationError("outbox_member_ambiguous", name=who)
            member_id = matches[0].id
    return outbox_admin.list_messages(ctx, status=f.status, kind=f.kind, member_id=member_id, phone=phone,
                                      date_from=f.date_from, date_to=f.date_to, before_id=before_id, limit=limit)


class OutboxModel(PagedTableModel):
    loaded = Signal(int)            # rows in the first page
    COLUMNS = COLUMNS
    CONTEXT = "OutboxModel"

    def __init__(self, state, parent=None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(state, parent, page_size)
        self.rows: list[MessageRow] = []
        self.filter = OutboxFilter()
        self._more = False

    @property
    def has_more(self) -> bool:
        return self._more

    def _no_more(self) -> None:
        self._more = False

    _forget = _no_more

    def set_filter(self, f: OutboxFilter) -> None:
        self.filter = f
        self._load(self._restart(), None)

    def refresh(self) -> None:
        self.set_filter(self.filter)

    def _load(self, gen: int, before_id: int | None) -> None:
        ctx, f, size = self.state.ctx, self.filter, self.page_size
        self._request(gen, lambda: fetch(ctx, f, before_id, size), self._page)

    def _page(self, rows: list[MessageRow]) -> None:
        first = self.pages_loaded == 0
        self.pages_loaded += 1
        self._more = len(rows) >= self.page_size
        self._insert(rows)
        if first:
            self.loaded.emit(len(rows))

    # --- lazy paging ----------------------------------------------------------------------------
    def fetchMore(self, parent=_ROOT) -> None:  # noqa: N802 (Qt's name)
        if self.canFetchMore(parent):
            self._load(self._generation, self.rows[-1].id)

    # --- rows -----------------------------------------------------------------------------------
    def message(self, row: int) -> MessageRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def update_message(self, msg: MessageRow) -> None:
        self._replace(msg)

    # --- Qt's table interface ---------------------------------------------------------------------
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        cell = self._at(index)
        if cell is None:
            return None
        r, key = cell
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "created":
                return self.state.datetime(r.created_at)
            if key == "member":
                return r.member_name or "—"
            if key == "phone":
                return r.masked_phone
            if key == "kind":
                return kind_label(r.kind)
            if key == "status":
                return ("⚠ " if r.status == "unknown" else "") + status_label(r.status)
            if key == "segments":
                return self.state.number(r.segments)
            if key == "body":
                return " ".join(r.body.split())
            if key == "error":
                if r.status == "unknown":
                    return QCoreApplication.translate("OutboxModel", UNKNOWN_HINT)
                return r.last_error or (r.provider_id or "")
        if role == Qt.ItemDataRole.BackgroundRole and r.status in STATUS_COLORS and key in ("status", "error"):
            return QBrush(QColor(STATUS_COLORS[r.status]))
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.status == "unknown":
                return QCoreApplication.translate("OutboxModel", UNKNOWN_HINT)
            if key == "body":
                return r.body
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "segments":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None
