"""churn_risk: how likely a member is NOT to buy in the next 90 days, for win-back.

BG/NBD's p_alive alone calls every one-time buyer certainly alive (the model lets nobody drop out
before a repeat purchase) and knows nothing of a member's own rhythm. churn_risk combines:
- the model: the chance of at least one purchase in the horizon, ``p_alive * (1 - exp(-E/p_alive))``
  where E is the expected purchases (Poisson while alive);
- the rhythm: days since the last visit over the member's own median gap; for a one-time buyer,
  over the shop's median first-repeat gap (how long returning customers took to come back);
- RFM: visits, age, spend per visit, and whether the member has ever come back.

A logistic regression over those features is fitted on the shop's own history: features as of a
calibration cut-off (as-of - horizon, with BG/NBD refitted there), label = bought in the horizon
after it. churn_risk = 1 - its predicted probability, scored on today's features. When the history
is too short for that (see ``MIN_CALIBRATION``), a fixed hand combination is used instead:
``1 - P_model * exp(-max(0, ratio - 1) / 3)``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from app.services.analytics import bgnbd
from app.services.analytics.summary import Summary

HORIZON = 90
MIN_CALIBRATION = 100        # members at the cut-off ...
MIN_CLASS = 20               # ... with at least this many who came back and who did not
L2 = 1e-3                    # ridge on the standardised coefficients (not the intercept)
MAX_FIT_ROWS = 50_000        # a 7-coefficient logistic needs no more: a seeded sample above that
FEATURES = ("model_logit", "log_ratio", "one_time", "log_days", "log_age", "log_value")


@dataclass(frozen=True)
class ChurnModel:
    method: str                       # "logistic" or "hand"
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    coef: tuple[float, ...] = ()
    intercept: float = 0.0
    cutoff: int | None = None         # day number of the calibration cut-off
    calibration_members: int = 0
    calibration_auc: float | None = None        # churn_risk, in-sample at the cut-off
    calibration_auc_p_alive: float | None = None  # 1 - p_alive on the same members

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ChurnModel:
        d = dict(d)
        for key in ("mean", "std", "coef"):
            d[key] = tuple(d.get(key) or ())
        return cls(**d)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank: scipy.stats.rankdata's "average" method, the
    same arithmetic (importing scipy.stats costs a command more than its whole fit)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]   # where each run of equal values starts
    group = np.cumsum(first)                            # its run, 1-based, for each sorted position
    edges = np.r_[np.nonzero(first)[0], len(values)]    # the runs' starts, and the end
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = 0.5 * (edges[group] + edges[group - 1] + 1)
    return ranks


def roc_auc(scores, positive) -> float:
    """Area under the ROC curve: the chance a random positive scores above a random negative
    (ties count half), by the Mann-Whitney rank sum."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(positive, dtype=bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = average_ranks(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def rhythm_ratio(s: Summary) -> np.ndarray:
    """Days since the last visit over the member's usual gap (one-time buyers: the shop's median
    first-repeat gap; 30 days when nobody has come back yet)."""
    repeaters = s.frequency > 0
    shop_gap = float(np.median(s.first_repeat_gap[repeaters])) if repeaters.any() else 30.0
    usual = np.where(repeaters, s.median_gap, shop_gap)
    return s.days_since_last / np.maximum(usual, 1.0)


def model_return(params: bgnbd.BgNbdParams | None, s: Summary, horizon: int = HORIZON):
    """(p_alive, expected purchases in the horizon, P(at least one purchase) by the model)."""
    if params is None:
        ones = np.ones(len(s))
        return ones, np.full(len(s), np.nan), ones
    pa = bgnbd.p_alive(params, s.frequency, s.recency, s.T)
    e = bgnbd.expected_purchases(params, horizon, s.frequency, s.recency, s.T)
    alive_rate = e / np.maximum(pa, 1e-12)
    return pa, e, np.clip(pa * -np.expm1(-alive_rate), 0.0, 1.0)


def features(s: Summary, p_return: np.ndarray) -> np.ndarray:
    """One row per member: the FEATURES, given the model's chance of a purchase in the horizon."""
    p_ret = np.clip(p_return, 1e-6, 1 - 1e-6)
    purchase_days = s.frequency + 1
    return np.column_stack([
        np.log(p_ret / (1 - p_ret)),
        np.log1p(rhythm_ratio(s)),
        (s.frequency == 0).astype(float),
        np.log(purchase_days),
        np.log1p(s.T),
        np.log1p(s.total / purchase_days),
    ])


def hand_risk(s: Summary, p_return: np.ndarray) -> np.ndarray:
    overdue = np.maximum(rhythm_ratio(s) - 1.0, 0.0)
    return np.clip(1.0 - p_return * np.exp(-overdue / 3.0), 0.0, 1.0)


def _logistic_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    n, k = X.shape

    def loss(w):
        # einsum, not @: no BLAS threads woken for a 6-column product (see bgnbd._dot)
        z = np.einsum("ij,j->i", X, w[:k]) + w[k]
        # mean log-loss, written stably: log(1 + e^z) - y z
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * L2 * float(np.sum(w[:k] ** 2))
        err = expit(z) - y
        return value, np.r_[np.einsum("ij,i->j", X, err) / n + L2 * w[:k], err.mean()]

    res = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B")
    return res.x[:k], float(res.x[k])


def fit(calibration: Summary, params_at_cutoff: bgnbd.BgNbdParams | None, came_back: np.ndarray,
        horizon: int = HORIZON) -> ChurnModel:
    """Fit on members as they stood at the cut-off (``calibration``), ``came_back`` = bought in the
    horizon after it. Falls back to the hand combination on too little history."""
    y = np.asarray(came_back, dtype=float)
    n = len(calibration)
    back = int(y.sum())
    if n < MIN_CALIBRATION or back < MIN_CLASS or n - back < MIN_CLASS:
        return ChurnModel(method="hand", cutoff=calibration.as_of, calibration_members=n)
    pa, _e, p_ret = model_return(params_at_cutoff, calibration, horizon)
    X = features(calibration, p_ret)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std = np.where(std > 1e-9, std, 1.0)
    rows = np.arange(n)
    if n > MAX_FIT_ROWS:
        rows = np.sort(np.random.default_rng(n).choice(n, MAX_FIT_ROWS, replace=False))
    coef, intercept = _logistic_fit((X[rows] - mean) / std, y[rows])
    model = ChurnModel(method="logistic", mean=tuple(map(float, mean)), std=tuple(map(float, std)),
                       coef=tuple(map(float, coef)), intercept=intercept, cutoff=calibration.as_of,
                       calibration_members=n)
    gone = y == 0
    return ChurnModel(**{**asdict(model), "calibration_auc": roc_auc(_apply(model, X), gone),
                         "calibration_auc_p_alive": roc_auc(1 - pa, gone)})


def _apply(model: ChurnModel, X: np.ndarray) -> np.ndarray:
    Z = (X - np.asarray(model.mean)) / np.asarray(model.std)
    z = np.einsum("ij,j->i", Z, np.asarray(model.coef)) + model.intercept
    return expit(-z)   # 1 - P(buys in the horizon)


def score(model: ChurnModel, s: Summary, p_return: np.ndarray) -> np.ndarray:
    """churn_risk in [0, 1] for each member of ``s``, given the model's P(purchase in the horizon)."""
    if model.method != "logistic" or len(s) == 0:
        return hand_risk(s, p_return)
    return _apply(model, features(s, p_return))
