"""RFM scores, named segments and the 80/20 (Lorenz-type) curve.

Scores are quintiles 1-5 over the members who have bought: a member's score is 1 + the fifth of
members they are ahead of (``1 + floor(5 * strictly_worse / n)``), so equal values always share a
score (every one-time buyer has F = 1) and the best fifth scores 5.
- R: days since the last purchase day (fewer is better);
- F: purchase days (frequency + 1);
- M: total net spend up to the as-of date.

Segments, first rule that matches (docs/analytics.md has the grid):
    champions    R >= 4 and F >= 4
    loyal        R >= 3 and F >= 3
    new          R >= 4 and F == 1     (first visit recently, not back yet)
    potential    R >= 3                (recent, few visits)
    can't lose   R <= 2 and F >= 4 and M >= 4   (were among the best, gone quiet)
    at risk      R <= 2 and F >= 3
    hibernating  R == 2                (few visits, a while ago)
    lost         the rest: R == 1, F <= 2
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the names live in a module without numpy (campaigns check a segment against them); kept here too
from app.services.analytics.segments import SEGMENT_NAMES, SEGMENTS, segment_name  # noqa: F401


def quintile_scores(values, higher_is_better: bool = True) -> np.ndarray:
    """1..5 by the share of members strictly worse; ties share a score."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    key = v if higher_is_better else -v
    worse = np.searchsorted(np.sort(key), key, side="left")
    return 1 + np.minimum(5 * worse // n, 4)


def scores(days_since_last, purchase_days, total_spent) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (quintile_scores(days_since_last, higher_is_better=False), quintile_scores(purchase_days),
            quintile_scores(total_spent))


def segments(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The segment key of each member (the rules above, in order)."""
    conditions = [
        (r >= 4) & (f >= 4),
        (r >= 3) & (f >= 3),
        (r >= 4) & (f == 1),
        r >= 3,
        (f >= 4) & (m >= 4),
        f >= 3,
        r == 2,
    ]
    return np.select(conditions, ["champions", "loyal", "new", "potential", "cant_lose", "at_risk",
                                  "hibernating"], default="lost").astype(object)


def segment_counts(seg: np.ndarray) -> tuple[tuple[str, int], ...]:
    return tuple((key, int(np.count_nonzero(seg == key))) for key in SEGMENTS)


@dataclass(frozen=True)
class ValueCurve:
    """Members ranked by spend, best first: ``points`` are (share of members, share of revenue)."""
    points: tuple[tuple[float, float], ...]
    top20_share: float          # share of revenue from the top 20% of members
    members: int
    revenue: int                # minor units


def value_curve(total_spent, steps: int = 100) -> ValueCurve:
    v = np.sort(np.asarray(total_spent, dtype=np.int64))[::-1]
    n = len(v)
    revenue = int(v.sum()) if n else 0
    if n == 0 or revenue <= 0:
        return ValueCurve(tuple((k / steps, 0.0) for k in range(steps + 1)), 0.0, n, revenue)
    cum = np.r_[0, np.cumsum(v)] / revenue       # revenue share of the top k members, k = 0..n
    xs = np.linspace(0.0, 1.0, steps + 1)
    ys = np.interp(xs * n, np.arange(n + 1), cum)
    top20 = float(np.interp(0.2 * n, np.arange(n + 1), cum))
    return ValueCurve(tuple((float(x), float(y)) for x, y in zip(xs, ys)), top20, n, revenue)
