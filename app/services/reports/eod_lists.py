"""The end-of-day report's lists per member, whole, as CSV or XLSX: what the PDF cuts at
``eod.LIST_TOP`` rows ("… and 1,226 more").

One file, one row per member and list, the list named in the first column (so a spreadsheet filters
it): birthdays today and tomorrow and the valuable members at risk, biggest spenders first; the
points soon to expire, most points first. The phone is the full number (the owner calls them), so
it goes through the shop's one export writer (base/export.py): owner only, audited, the file
private (0600) and written whole, no cell read as a formula.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select

from app.errors import ValidationError
from app.i18n import L_
from app.models import Member, Tier
from app.services.base import export, permissions
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.days import check_day
from app.services.ledger import points
from app.services.reports import eod

LISTS = ("birthdays-today", "birthdays-tomorrow", "at-risk", "expiring")
COLUMNS = (
    export.Column("list"), export.Column("member_id", "int"), export.Column("name"), export.Column("phone"),
    export.Column("tier"), export.Column("total_spent", "money"), export.Column("visits", "int"),
    export.Column("last_visit", "date"), export.Column("age", "int"), export.Column("days_away", "int"),
    export.Column("points_expiring", "int"), export.Column("first_lapse", "date"),
)
_CHUNK = 500


def check_lists(which: Iterable[str] | None) -> tuple[str, ...]:
    """The lists asked for, in the file's order (all when None); an unknown name is refused."""
    if which is None:
        return LISTS
    wanted = tuple(which)
    for name in wanted:
        if name not in LISTS:
            raise ValidationError("setting_invalid", key="list", why=L_("one of {choices}", choices=", ".join(LISTS)))
    return tuple(name for name in LISTS if name in wanted)


def _people(t: Ctx, ids: list[int]) -> dict[int, tuple]:
    """id -> (name, phone, tier code, total spent, visits, last visit), read in chunks."""
    out: dict[int, tuple] = {}
    for i in range(0, len(ids), _CHUNK):
        part = ids[i:i + _CHUNK]
        for r in t.s.execute(select(Member.id, Member.name, Member.phone, Tier.code, Member.total_spent,
                                    Member.visits, Member.last_visit_at)
                             .outerjoin(Tier, Tier.id == Member.tier_id).where(Member.id.in_(part))):
            out[r[0]] = tuple(r[1:])
    return out


def list_rows(t: Ctx, day: date, which: tuple[str, ...]) -> Iterable[tuple]:
    """The rows of the lists ``which`` for ``day``, in COLUMNS' order (inside the caller's transaction)."""
    end = datetime.combine(day, time.min) + timedelta(days=1)
    for name in which:
        if name in ("birthdays-today", "birthdays-tomorrow"):
            on = day if name == "birthdays-today" else day + timedelta(days=1)
            age = eod.age_on(on)
            found = t.s.execute(eod.birthdays_query(on)).all()
            people = _people(t, [r.id for r in found])
            for r in found:
                name_, phone, tier, spent, visits, last = people[r.id]
                a = age(r)
                yield (name, r.id, name_, phone, tier, spent, visits, last, int(a) if a else None, None, None, None)
        elif name == "at-risk":
            found = t.s.execute(eod.at_risk_query(end)).all()
            people = _people(t, [r.id for r in found])
            for r in found:
                name_, phone, tier, spent, visits, last = people[r.id]
                yield (name, r.id, name_, phone, tier, spent, visits, last, None, int(r.away), None, None)
        else:
            lapsing = points.lapsing_between(t, day, day + timedelta(days=eod.EXPIRING_DAYS))
            ids = [mid for mid, _p in sorted(lapsing.items(), key=lambda kv: (-kv[1], kv[0]))]
            people = _people(t, ids)
            first = points.first_lapses(t, ids, day)
            for mid in ids:
                if mid not in people:
                    continue
                name_, phone, tier, spent, visits, last = people[mid]
                yield (name, mid, name_, phone, tier, spent, visits, last, None, None, lapsing[mid], first.get(mid))


def export_eod_lists(ctx: Ctx, path: str | Path, day: date, which: Iterable[str] | None = None, *,
                     progress: Callable[[int, int, str], None] | None = None) -> int:
    """The whole lists ``which`` (all by default) of ``day``'s end-of-day report to ``path`` (.csv or
    .xlsx); returns the row count. Owner only (full phone numbers), audited."""
    permissions.require(ctx, "export")
    day = check_day(day)
    lists = check_lists(which)
    export.export_format(Path(path))
    return export.export_table(ctx, path, COLUMNS, lambda t: list_rows(t, day, lists),
                               currency=shop_settings.load(ctx).currency, action="reports.eod_lists.export",
                               details={"day": day.isoformat(), "lists": list(lists)}, sheet="End of day",
                               progress=progress)
