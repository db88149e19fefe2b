"""Members' purchase days up to an as-of date, read with one scan of ``sales`` and grouped in numpy.

What counts as a purchase (docs/analytics.md):
- a sale (``kind='sale'``) with a member, made on or before the as-of date;
- at its value net of the refunds made of it up to the as-of date, on the day of the sale (what
  the shop earned from that visit); a sale refunded in full (net value 0) is no purchase;
- walk-in sales (no member) are left out: nobody to care for;
- several purchases on one day are one purchase day (the buy-till-you-die convention), worth their sum.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import DateTime, bindparam, text

from app.services.base.context import Ctx

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass(frozen=True)
class PurchaseDays:
    """One row per (member, day) with a purchase, sorted by member then day."""
    member: np.ndarray   # int64 member id
    day: np.ndarray      # int64 days since 1970-01-01
    value: np.ndarray    # int64 minor units: the day's net purchases
    orders: np.ndarray   # int64 sales that day

    def until(self, last_day: int) -> PurchaseDays:
        """The rows on or before ``last_day`` (a calibration cut-off)."""
        keep = self.day <= last_day
        return PurchaseDays(self.member[keep], self.day[keep], self.value[keep], self.orders[keep])

    def __len__(self) -> int:
        return len(self.member)


def group_days(member, day, value) -> PurchaseDays:
    """Purchases (one per sale, any order) grouped into purchase days; non-positive values dropped."""
    member = np.asarray(member, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    value = np.asarray(value, dtype=np.int64)
    keep = value > 0
    member, day, value = member[keep], day[keep], value[keep]
    order = np.lexsort((day, member))
    member, day, value = member[order], day[order], value[order]
    if len(member) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return PurchaseDays(empty, empty, empty, empty)
    starts = np.flatnonzero(np.r_[True, (member[1:] != member[:-1]) | (day[1:] != day[:-1])])
    orders = np.diff(np.r_[starts, len(member)])
    return PurchaseDays(member[starts], day[starts], np.add.reduceat(value, starts), orders)


_SALES = """
SELECT id, member_id, {day} AS day, total FROM sales {hint}
WHERE kind = 'sale' AND member_id IS NOT NULL AND created_at < :end
"""
# SQLite: member and day packed in one integer (day numbers stay below 2**16 until 2149), and the
# sale id only when there are refunds to match: fewer columns is the biggest saving left in a scan
# of a million rows. The day: julianday of the date part, 2440587 being 1970-01-01.
_SQLITE_KEY = "member_id * 65536 + CAST(julianday(substr(created_at, 1, 10)) AS INTEGER) - 2440587"
_SQLITE_SALES = """
SELECT {id}""" + _SQLITE_KEY + """, total FROM sales NOT INDEXED
WHERE kind = 'sale' AND member_id IS NOT NULL AND created_at < ?
"""
_REFUNDS = """
SELECT original_sale_id, SUM(total) FROM sales
WHERE kind = 'refund' AND created_at < :end AND original_sale_id IS NOT NULL
GROUP BY original_sale_id
"""


def load(ctx: Ctx, as_of: date) -> PurchaseDays:
    """Every member's purchase days up to and including ``as_of``.

    One sequential scan of ``sales`` (on SQLite ``NOT INDEXED``: walking the member index then
    looking up each row is 3x slower for the whole table) and the grouping in numpy; refunds are
    few and read apart."""
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    with ctx.tx(write=False) as t:
        sqlite = t.s.get_bind().dialect.name == "sqlite"
        if sqlite:
            # the driver's own cursor: plain tuples of integers, a third of the time of SQLAlchemy
            # rows and date parsing; the stored text 'YYYY-MM-DD HH:MM:SS…' compares with a bare
            # next day as it should
            cur = t.s.connection().connection.dbapi_connection.cursor()
            bound = end.date().isoformat()
            refunds = cur.execute(_REFUNDS.replace(":end", "?"), (bound,)).fetchall()
            rows = cur.execute(_SQLITE_SALES.format(id="id, " if refunds else ""), (bound,)).fetchall()
            cur.close()
        else:
            params = [bindparam("end", type_=DateTime)]
            rows = t.s.execute(text(_SALES.format(day="CAST(created_at AS DATE)", hint=""))
                               .bindparams(*params), {"end": end}).all()
            refunds = t.s.execute(text(_REFUNDS).bindparams(*params), {"end": end}).all()
    n = len(rows)
    if sqlite:
        table = np.array(rows, dtype=np.int64).reshape(n, 3 if refunds else 2)
        ids = table[:, 0] if refunds else None
        key, value = table[:, -2], table[:, -1].copy()
        member, day = key >> 16, key & 0xFFFF
    else:
        ids = np.fromiter((r[0] for r in rows), np.int64, n)
        member = np.fromiter((r[1] for r in rows), np.int64, n)
        day = np.array([r[2] for r in rows], dtype="datetime64[D]").astype(np.int64)
        value = np.fromiter((r[3] for r in rows), np.int64, n)
    if refunds and n:
        refunded_id = np.fromiter((r[0] for r in refunds), np.int64, len(refunds))
        refunded = np.fromiter((r[1] for r in refunds), np.int64, len(refunds))
        order = np.argsort(ids)
        at = order[np.minimum(np.searchsorted(ids, refunded_id, sorter=order), n - 1)]
        found = ids[at] == refunded_id
        np.add.at(value, at[found], refunded[found])  # refund totals are negative
    return group_days(member, day, value)
