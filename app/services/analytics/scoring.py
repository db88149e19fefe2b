"""From purchase days to every member's scores: the BG/NBD fits, churn model, RFM and segments.

Pure numpy (no database): the service (members.py) feeds it the shop's purchases, the holdout
check feeds it generated shops, so both run exactly this code.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from app.services.analytics import bgnbd, churn, rfm
from app.services.analytics.purchases import PurchaseDays
from app.services.analytics.summary import Summary, summarise

MIN_FIT_MEMBERS = 20       # fewer members, or nobody who came back: no BG/NBD fit
PENALIZER = 0.001          # a small L2 penalty (lifetimes' penalizer_coef) keeps thin data sane


@dataclass(frozen=True)
class Models:
    """What is fitted (and cached): BG/NBD at the as-of date and at the calibration cut-off, and
    the churn model fitted between the two."""
    as_of: int
    fingerprint: str
    bgnbd: bgnbd.BgNbdParams | None
    bgnbd_cutoff: bgnbd.BgNbdParams | None
    churn: churn.ChurnModel


@dataclass(frozen=True)
class Scores:
    summary: Summary
    models: Models
    p_alive: np.ndarray
    expected_90d: np.ndarray
    p_return: np.ndarray      # the model's chance of at least one purchase in the horizon
    churn_risk: np.ndarray
    r: np.ndarray
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray
    curve: rfm.ValueCurve

    @property
    def segment_counts(self) -> tuple[tuple[str, int], ...]:
        return rfm.segment_counts(self.segment)


def fingerprint(s: Summary) -> str:
    """A digest of exactly what a fit sees: every member's (x, t_x, T)."""
    h = hashlib.sha256()
    for a in (s.frequency, s.recency, s.T):
        h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


def fit_bgnbd(s: Summary, penalizer: float = PENALIZER,
              start: bgnbd.BgNbdParams | None = None) -> bgnbd.BgNbdParams | None:
    if len(s) < MIN_FIT_MEMBERS or not (s.frequency > 0).any():
        return None
    return bgnbd.fit(s.frequency, s.recency, s.T, penalizer=penalizer, start=start)


def fit_models(p: PurchaseDays, as_of: int, s: Summary | None = None, *, horizon: int = churn.HORIZON,
               penalizer: float = PENALIZER) -> Models:
    s = s if s is not None else summarise(p, as_of)
    cutoff = as_of - horizon
    calibration = summarise(p, cutoff)
    params = fit_bgnbd(s, penalizer)
    params_cut = fit_bgnbd(calibration, penalizer, start=params)
    later = p.member[(p.day > cutoff) & (p.day <= as_of)]
    came_back = np.isin(calibration.member, later)
    return Models(as_of=as_of, fingerprint=fingerprint(s), bgnbd=params, bgnbd_cutoff=params_cut,
                  churn=churn.fit(calibration, params_cut, came_back, horizon))


def score(p: PurchaseDays, as_of: int, models: Models | None = None, *, s: Summary | None = None,
          horizon: int = churn.HORIZON) -> Scores:
    """Every member's scores as of ``as_of`` (a day number); fits the models unless given."""
    s = s if s is not None else summarise(p, as_of)
    if models is None:
        models = fit_models(p, as_of, s, horizon=horizon)
    pa, e, p_ret = churn.model_return(models.bgnbd, s, horizon)
    risk = churn.score(models.churn, s, p_ret)
    r, f, m = rfm.scores(s.days_since_last, s.frequency + 1, s.total)
    return Scores(summary=s, models=models, p_alive=pa, expected_90d=e, p_return=p_ret, churn_risk=risk, r=r, f=f, m=m,
                  segment=rfm.segments(r, f, m), curve=rfm.value_curve(s.total))
