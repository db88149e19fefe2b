"""A member as the till's sale reads it: one SELECT of the columns a sale needs, no ORM object.

A sale prices and checks its tenders against this snapshot before it takes the write lock; the
conditional UPDATE that then moves the balances (``ledger.post_sale``) carries the snapshot's
balances in its WHERE, so a member changed in between (another till) is read again under the lock
and nothing is decided on stale values.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select

from app.errors import NotFound
from app.models import Member
from app.services.base.context import Ctx
from app.services.base.prepared import Prepared

_m = Member.__table__
FIELDS = ("id", "name", "phone", "phone_flag", "tier_id", "wallet_principal", "wallet_bonus", "points_balance",
          "total_spent", "visits", "erased_at", "ebill_enabled", "opted_out_at", "consent_care",
          "consent_marketing", "referrer_id", "join_date")
_SELECT = Prepared(select(*(_m.c[f] for f in FIELDS)).where(_m.c.id == bindparam("b_id")))
_LOCKED = Prepared(select(*(_m.c[f] for f in FIELDS)).where(_m.c.id == bindparam("b_id")).with_for_update())


@dataclass(slots=True)
class MemberSnap:
    """The attributes of ``Member`` a sale reads (same names, so the e-bill, outbox and referral
    code take either). The balances are the values the sale's conditional update expects."""
    id: int
    name: str
    phone: str | None
    phone_flag: str | None
    tier_id: int | None
    wallet_principal: int
    wallet_bonus: int
    points_balance: int
    total_spent: int
    visits: int
    erased_at: object
    ebill_enabled: bool
    opted_out_at: object
    consent_care: bool
    consent_marketing: bool
    referrer_id: int | None
    join_date: date | str | None

    def __post_init__(self) -> None:
        # SQLite hands dates and flags back as stored (text, 0/1): only these are compared
        if isinstance(self.join_date, str):
            self.join_date = date.fromisoformat(self.join_date[:10])
        if isinstance(self.erased_at, str):
            self.erased_at = datetime.fromisoformat(self.erased_at)
        if isinstance(self.opted_out_at, str):
            self.opted_out_at = datetime.fromisoformat(self.opted_out_at)
        self.ebill_enabled = bool(self.ebill_enabled)
        self.consent_care, self.consent_marketing = bool(self.consent_care), bool(self.consent_marketing)


def read(t: Ctx, member_id: int, *, lock: bool = False) -> MemberSnap:
    """The member's snapshot; ``lock``: also lock the row until the transaction ends (PostgreSQL's
    FOR UPDATE; SQLite's write lock already covers it)."""
    conn = t.s.connection()
    stmt = _LOCKED if lock and conn.dialect.name != "sqlite" else _SELECT
    row = stmt.row(conn, {"b_id": member_id})
    if row is None:
        raise NotFound("member_not_found", key=member_id)
    return MemberSnap(*row)
