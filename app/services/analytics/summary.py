"""The per-member buy-till-you-die summary, from purchase days, in numpy (no loop over members).

- frequency = repeat purchase days (purchase days - 1);
- recency = days from the first to the last purchase day;
- T = days from the first purchase day to the as-of date;
- monetary = mean value of the repeat purchase days (the first is left out, as the Gamma-Gamma
  convention has it), 0 without any; integer minor units, rounded half up;
- orders and total_spent count every purchase (sale) up to the as-of date;
- median_gap = the member's median days between purchase days (0 without a repeat).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.services.analytics.purchases import PurchaseDays


@dataclass(frozen=True)
class Summary:
    as_of: int                # day number of the as-of date
    member: np.ndarray        # int64, ascending
    first: np.ndarray         # day number of the first purchase day
    last: np.ndarray
    orders: np.ndarray
    total: np.ndarray         # minor units
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray      # minor units (int64)
    median_gap: np.ndarray    # float days
    first_repeat_gap: np.ndarray  # days from the first to the second purchase day (0 without)

    def __len__(self) -> int:
        return len(self.member)

    @property
    def days_since_last(self) -> np.ndarray:
        return self.as_of - self.last


def summarise(p: PurchaseDays, as_of: int) -> Summary:
    """One row per member with a purchase day on or before ``as_of`` (a day number)."""
    if len(p) and p.day.max() > as_of:
        p = p.until(as_of)
    n_rows = len(p)
    if n_rows == 0:
        e = np.zeros(0, dtype=np.int64)
        return Summary(as_of, e, e, e, e, e, e, e, e, e, e.astype(float), e)
    starts = np.flatnonzero(np.r_[True, p.member[1:] != p.member[:-1]])
    ends = np.r_[starts[1:], n_rows]           # one past each member's last row
    days = ends - starts
    first = p.day[starts]
    last = p.day[ends - 1]
    total = np.add.reduceat(p.value, starts)
    orders = np.add.reduceat(p.orders, starts)
    frequency = days - 1
    repeat_total = total - p.value[starts]
    safe = np.maximum(frequency, 1)
    monetary = np.where(frequency > 0, (2 * repeat_total + safe) // (2 * safe), 0)
    second = np.where(frequency > 0, p.day[np.minimum(starts + 1, n_rows - 1)], first)
    return Summary(as_of=as_of, member=p.member[starts], first=first, last=last, orders=orders,
                   total=total, frequency=frequency, recency=last - first, T=as_of - first,
                   monetary=monetary, median_gap=_median_gaps(p, starts, frequency),
                   first_repeat_gap=second - first)


def _median_gaps(p: PurchaseDays, starts: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """Each member's median gap between purchase days, by sorting all gaps once."""
    same = p.member[1:] == p.member[:-1]
    gaps = np.diff(p.day)[same]
    owner = p.member[1:][same]
    gaps = gaps[np.lexsort((gaps, owner))]
    # member k's gaps sit at [gap_start[k], gap_start[k] + frequency[k]) in the sorted order
    gap_start = np.cumsum(np.r_[0, frequency[:-1]])
    has = frequency > 0
    lo = gap_start + np.maximum(frequency - 1, 0) // 2
    hi = gap_start + frequency // 2
    out = np.zeros(len(frequency), dtype=float)
    if len(gaps):
        lo_c = np.minimum(lo, len(gaps) - 1)
        hi_c = np.minimum(hi, len(gaps) - 1)
        out = np.where(has, (gaps[lo_c] + gaps[hi_c]) / 2.0, 0.0)
    return out
