"""The members list: search and keyset-paged pages, for a list that stays quick at 200,000 members.

``first_page(ctx, query, sort)`` answers the first page and how many members match (exact, or
"at least" ``COUNT_CAP`` for a broad search); ``next_page(ctx, query, sort, cursor)`` continues
after the last row seen. Pages are found by a key, never by OFFSET: ``WHERE (key, id) < (:k, :id)
ORDER BY key DESC, id DESC LIMIT n`` reads n rows from an index whatever page it is.

What the search box accepts (``parse_query``):
* empty: every member (not erased);
* ``#tag``: members with that tag;
* 4 digits: the last 4 digits of the phone, or a card number;
* 7 or more digits: the full phone number (in the shop's region), or a card number;
* other digits: a card number, exact or starting with them;
* anything else: a card number, the start of a name (Chinese included), or a tag.

Sorts: ``last_visit`` (newest first; members who never visited come last), ``name``,
``total_spent``, ``balance`` (stored value, principal + bonus) and ``points``, each ascending or
descending. Every sort but name reads its pages off a partial index of the members not erased with
id as the tie-breaker (0014_member_sort_indexes, 0015_eod_indexes), so a page costs the same at
200,000 members as at 200.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal, or_, select, tuple_

from app.errors import ValidationError
from app.i18n import L_
from app.models import Member, MemberTag, Tier
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.members.members import name_key
from app.services.base.settings import load as load_settings

PAGE_SIZE = 200
COUNT_CAP = 10_000
SORTS = ("last_visit", "name", "total_spent", "balance", "points")
DEFAULT_DESC = {"last_visit": True, "name": False, "total_spent": True, "balance": True, "points": True}
_TOP = "\U0010ffff"


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    masked_phone: str
    card_no: str | None
    tier_code: str | None
    tier_name_en: str
    tier_name_zh: str
    balance: int          # stored value: principal + bonus (minor units)
    points: int
    total_spent: int
    visits: int
    last_visit_at: datetime | None


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the row with this sort value and id."""
    value: object
    id: int
    nulls: bool = False   # already in the trailing run of members without a value (never visited)


@dataclass(frozen=True)
class Page:
    rows: tuple[MemberRow, ...]
    cursor: Cursor | None          # None: nothing more
    total: int | None = None       # first page only: members matching
    total_exact: bool = True       # False: at least ``total`` (the count stopped at COUNT_CAP)


@dataclass(frozen=True)
class Query:
    """A parsed search: ``kind`` is all, tag, last4, phone, card, or text."""
    kind: str
    text: str = ""
    phone: str | None = None


def parse_query(text: str | None, region: str = "CN") -> Query:
    raw = " ".join((text or "").split())
    if not raw:
        return Query("all")
    if raw.startswith("#"):
        tag = raw[1:].strip()
        return Query("tag", tag) if tag else Query("all")
    digits = re.sub(r"[\s\-()]", "", raw)
    bare = digits.lstrip("+")
    if bare.isdigit():
        if len(bare) == 4 and not digits.startswith("+"):
            return Query("last4", bare)
        if len(bare) >= 7:
            try:
                return Query("phone", raw, phones.normalize(digits, region))
            except ValidationError:
                return Query("card", raw)
        return Query("card", raw)
    return Query("text", raw)


def _condition(q: Query):
    if q.kind == "all":
        return None
    if q.kind == "tag":
        return Member.id.in_(select(MemberTag.member_id).where(MemberTag.tag == q.text))
    if q.kind == "last4":
        return or_(Member.phone_last4 == q.text, Member.card_no == q.text)
    if q.kind == "phone":
        return or_(Member.phone == q.phone, Member.card_no == q.text)
    if q.kind == "card":
        return or_(Member.card_no == q.text, and_(Member.card_no >= q.text, Member.card_no < q.text + _TOP))
    key = name_key(q.text)
    return or_(Member.card_no == q.text,
               and_(Member.name_key >= key, Member.name_key < key + _TOP),
               Member.id.in_(select(MemberTag.member_id).where(MemberTag.tag == q.text)))


def _sort_column(sort: str):
    if sort not in SORTS:
        raise ValidationError("setting_invalid", key="sort", why=L_("one of {choices}", choices=", ".join(SORTS)))
    return {"last_visit": Member.last_visit_at, "name": Member.name_key, "total_spent": Member.total_spent,
            "balance": Member.wallet_principal + Member.wallet_bonus, "points": Member.points_balance}[sort]


_COLUMNS = (Member.id, Member.name, Member.phone, Member.card_no, Tier.code, Tier.name_en, Tier.name_zh,
            Member.wallet_principal + Member.wallet_bonus, Member.points_balance, Member.total_spent,
            Member.visits, Member.last_visit_at, Member.name_key)


def _rows(t: Ctx, cond, sort: str, desc: bool, cursor: Cursor | None, limit: int) -> list:
    """Up to ``limit`` rows after ``cursor``: first those with a sort value, then (last_visit only)
    those without one, each run in (value, id) order."""
    col = _sort_column(sort)
    base = [Member.erased_at.is_(None)] + ([cond] if cond is not None else [])
    found: list = []

    def run(where: list, order: list, n: int) -> list:
        ids = select(Member.id).where(*where).order_by(*order).limit(n).scalar_subquery()
        stmt = (select(*_COLUMNS).outerjoin(Tier, Tier.id == Member.tier_id).where(Member.id.in_(ids))
                .order_by(*order))
        return t.s.execute(stmt).all()

    by_id = Member.id.desc() if desc else Member.id.asc()
    if cursor is None or not cursor.nulls:
        where = list(base)
        if sort == "last_visit":
            where.append(col.is_not(None))
        if cursor is not None:
            key = tuple_(col, Member.id)
            seen = tuple_(literal(cursor.value, col.type), literal(cursor.id, Member.id.type))
            where.append(key < seen if desc else key > seen)
        found = run(where, [col.desc() if desc else col.asc(), by_id], limit)
    if sort == "last_visit" and len(found) < limit:
        # With a search, let the search's own index lead: coalesce(x, x) hides last_visit_at's index,
        # which would otherwise walk every never-visited member testing the search on each.
        where = list(base) + [(col if cond is None else func.coalesce(col, col)).is_(None)]
        if cursor is not None and cursor.nulls:
            where.append(Member.id < cursor.id if desc else Member.id > cursor.id)
        found += run(where, [by_id], limit - len(found))
    return found


def _sort_value(sort: str, r) -> object:
    return {"last_visit": r[11], "name": r[12], "total_spent": r[9], "balance": r[7], "points": r[8]}[sort]


def _page(sort: str, found: list, limit: int) -> tuple[tuple[MemberRow, ...], Cursor | None]:
    rows = tuple(MemberRow(id=r[0], name=r[1], masked_phone=phones.mask(r[2]), card_no=r[3], tier_code=r[4],
                           tier_name_en=r[5] or "", tier_name_zh=r[6] or "", balance=r[7], points=r[8],
                           total_spent=r[9], visits=r[10], last_visit_at=r[11]) for r in found)
    if len(found) < limit or not found:
        return rows, None
    last = found[-1]
    value = _sort_value(sort, last)
    return rows, Cursor(value=value, id=last[0], nulls=sort == "last_visit" and value is None)


def _region(t: Ctx, text: str | None) -> str:
    # Settings only when a full phone number may have been typed (like members.find_members).
    digits = re.sub(r"[\s\-()+]", "", text or "")
    return load_settings(t).region if digits.isdigit() and len(digits) >= 7 else "CN"


def count(t: Ctx, q: Query, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(members matching, exact?) -- a search stops counting at ``cap`` ("10,000+")."""
    cond = _condition(q)
    if cond is None:
        n = t.s.execute(select(func.count()).select_from(Member).where(Member.erased_at.is_(None))).scalar()
        return int(n), True
    inner = select(Member.id).where(Member.erased_at.is_(None), cond).limit(cap + 1).subquery()
    n = int(t.s.execute(select(func.count()).select_from(inner)).scalar())
    return (cap, False) if n > cap else (n, True)


def first_page(ctx: Ctx, query: str | None = "", sort: str = "last_visit", desc: bool | None = None,
               limit: int = PAGE_SIZE) -> Page:
    """The first page for what was typed, with the number of members matching."""
    desc = DEFAULT_DESC.get(sort, True) if desc is None else desc
    limit = max(1, int(limit))
    with ctx.tx(write=False) as t:
        q = parse_query(query, _region(t, query))
        found = _rows(t, _condition(q), sort, desc, None, limit)
        rows, cursor = _page(sort, found, limit)
        if cursor is None:
            total, exact = len(rows), True
        else:
            total, exact = count(t, q)
        return Page(rows=rows, cursor=cursor, total=total, total_exact=exact)


def next_page(ctx: Ctx, query: str | None, sort: str, cursor: Cursor, desc: bool | None = None,
              limit: int = PAGE_SIZE) -> Page:
    """The page after ``cursor`` (from the previous page) for the same query and sort."""
    desc = DEFAULT_DESC.get(sort, True) if desc is None else desc
    limit = max(1, int(limit))
    with ctx.tx(write=False) as t:
        q = parse_query(query, _region(t, query))
        rows, nxt = _page(sort, _rows(t, _condition(q), sort, desc, cursor, limit), limit)
        return Page(rows=rows, cursor=nxt)


def member_row(ctx: Ctx, member_id: int) -> MemberRow | None:
    """One member as a list row (after an edit or a top-up), or None when erased or gone."""
    with ctx.tx(write=False) as t:
        r = t.s.execute(select(*_COLUMNS).outerjoin(Tier, Tier.id == Member.tier_id)
                        .where(Member.id == member_id, Member.erased_at.is_(None))).first()
        if r is None:
            return None
        rows, _ = _page("name", [r], 2)
        return rows[0]
