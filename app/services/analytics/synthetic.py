"""Generated shops whose customers' behaviour is known, to check the models against the truth.

- ``bgnbd_shop``: every customer follows BG/NBD with given (r, alpha, a, b): the fit must recover them.
- ``mixed_shop``: what a real shop looks like, a mix of
    * one-time buyers (tourists, a gift bought once): never come back;
    * BG/NBD customers (Poisson visits, drop out after a visit with probability p);
    * regulars with a steady rhythm (gamma-distributed gaps around their own mean) who quit at a
      random moment (an exponential lifetime), whatever their purchases.
  Customers join over the period; purchase values are lognormal around each customer's own mean.

Both return ``(member, day, value)`` arrays of single purchases (day numbers from ``start``).
"""
from __future__ import annotations

import numpy as np


def _draw_bgnbd(rng, n, horizon, r, alpha, a, b, join):
    """Purchases of BG/NBD customers from their join day (a purchase) until ``horizon``."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    out_m, out_d = [np.arange(n)], [join.astype(float)]
    t = join.astype(float)
    alive = np.ones(n, dtype=bool)
    while True:
        t = t + rng.exponential(1.0, n) / np.maximum(lam, 1e-12)
        alive &= t < horizon
        if not alive.any():
            break
        out_m.append(np.flatnonzero(alive))
        out_d.append(t[alive])
        # after each repeat purchase the customer may drop out (the model's first purchase only
        # starts the clock: nobody drops out before coming back once)
        alive &= rng.random(n) >= p
    return np.concatenate(out_m), np.floor(np.concatenate(out_d)).astype(np.int64)


def bgnbd_shop(n: int, days: int, r: float, alpha: float, a: float, b: float, *, seed: int = 0,
               start: int = 0, join_all_at_start: bool = False):
    rng = np.random.default_rng(seed)
    join = np.zeros(n) if join_all_at_start else rng.integers(0, max(days - 30, 1), n).astype(float)
    m, d = _draw_bgnbd(rng, n, days, r, alpha, a, b, join)
    value = rng.lognormal(np.log(5000), 0.5, len(m)).astype(np.int64) + 1
    return m + 1, d + start, value


def mixed_shop(n: int, days: int, *, seed: int = 0, start: int = 0, one_time: float = 0.35,
               regular: float = 0.25):
    """``n`` customers over ``days`` days: shares ``one_time`` and ``regular``, BG/NBD for the rest."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n, p=[one_time, regular, 1.0 - one_time - regular])
    join = rng.integers(0, max(days - 30, 1), n).astype(float)
    members, day_parts = [], []
    ids = np.arange(n)
    # one-time buyers: their first purchase only
    once = ids[kind == 0]
    members.append(once)
    day_parts.append(join[once].astype(np.int64))
    # regulars: steady rhythm, then they quit
    reg = ids[kind == 1]
    mean_gap = rng.uniform(7, 60, len(reg))
    quit_at = join[reg] + rng.exponential(240.0, len(reg))
    t = join[reg].copy()
    active = np.ones(len(reg), dtype=bool)
    while active.any():
        members.append(reg[active])
        day_parts.append(np.floor(t[active]).astype(np.int64))
        t = t + rng.gamma(4.0, mean_gap / 4.0)
        active &= (t < quit_at) & (t < days)
    # the rest: BG/NBD
    bg = ids[kind == 2]
    m, d = _draw_bgnbd(rng, len(bg), days, 1.2, 40.0, 0.8, 4.0, join[bg])
    members.append(bg[m])
    day_parts.append(d)
    member = np.concatenate(members)
    day = np.concatenate(day_parts)
    spend = rng.lognormal(np.log(6000), 0.6, n)
    value = (spend[member] * rng.lognormal(0.0, 0.3, len(member))).astype(np.int64) + 1
    return member + 1, day + start, value


def holdout(member, day, value, as_of: int, horizon: int = 90):
    """Fit on the history up to ``as_of``, then ask who did NOT buy in the ``horizon`` days after:
    ROC AUC against that truth of churn_risk, of 1 - p_alive, of BG/NBD's own forecast (1 - the
    chance of a purchase in the horizon) and of the hand combination."""
    from app.services.analytics import churn, scoring
    from app.services.analytics.purchases import group_days

    p = group_days(member, day, value)
    sc = scoring.score(p.until(as_of), as_of)
    later = p.member[(p.day > as_of) & (p.day <= as_of + horizon)]
    gone = ~np.isin(sc.summary.member, later)
    hand = churn.hand_risk(sc.summary, sc.p_return)
    model_only = 1 - sc.p_return
    return {
        "members": len(sc.summary),
        "did_not_return": float(gone.mean()),
        "one_time_buyers": float((sc.summary.frequency == 0).mean()),
        "method": sc.models.churn.method,
        "auc_churn_risk": churn.roc_auc(sc.churn_risk, gone),
        "auc_one_minus_p_alive": churn.roc_auc(1 - sc.p_alive, gone),
        "auc_model_forecast": churn.roc_auc(model_only, gone),
        "auc_hand": churn.roc_auc(hand, gone),
    }
