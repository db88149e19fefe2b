"""Member analytics over the shop's database: one row per member who has bought, as of a date.

``analyse(ctx, as_of, refit)`` reads the purchases (purchases.py), reuses or refits the cached
models (model_cache.py) and scores every member (scoring.py). ``overview`` is what the Analytics
screen shows; ``member_rows`` the export's rows (full phone: callers check the export right).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterator

import numpy as np
from sqlalchemy import select

from app.errors import ValidationError
from app.models import Member
from app.services.base import phones
from app.services.analytics import bgnbd, model_cache, purchases, scoring
from app.services.analytics.rfm import ValueCurve
from app.services.analytics.summary import summarise
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings

COLUMNS = ("member_id", "name", "phone", "first_purchase", "last_purchase", "orders", "total_spent",
           "frequency", "recency", "T", "monetary", "segment", "p_alive", "expected_purchases_90d",
           "churn_risk")
AT_RISK_FLOOR = 0.5      # the screen's list: members more likely gone than not ...
AT_RISK_LIMIT = 100      # ... who came back at least once before, most value at stake first


@dataclass(frozen=True)
class Analysis:
    as_of: date
    currency: str
    scores: scoring.Scores
    refitted: bool          # the models were fitted by this call (else reused from the cache)

    @property
    def members(self) -> int:
        return len(self.scores.summary)

    @property
    def params(self) -> bgnbd.BgNbdParams | None:
        return self.scores.models.bgnbd


@dataclass(frozen=True)
class AtRisk:
    member_id: int
    name: str
    masked_phone: str
    segment: str
    last_purchase: date
    orders: int
    total_spent: int        # minor units
    churn_risk: float
    p_alive: float


@dataclass(frozen=True)
class Overview:
    as_of: date
    currency: str
    members: int
    segment_counts: tuple[tuple[str, int], ...]
    curve: ValueCurve
    params: bgnbd.BgNbdParams | None
    churn_method: str
    at_risk: tuple[AtRisk, ...]


def resolve_as_of(ctx: Ctx, as_of: date | None) -> date:
    today = ctx.today()
    if as_of is None:
        return today
    if as_of > today:
        raise ValidationError("as_of_future", date=as_of.isoformat(), today=today.isoformat())
    return as_of


def analyse(ctx: Ctx, as_of: date | None = None, *, refit: bool = False) -> Analysis:
    as_of = resolve_as_of(ctx, as_of)
    day = purchases.day_number(as_of)
    p = purchases.load(ctx, as_of)
    s = summarise(p, day)
    kept = model_cache.load(ctx)
    models = None if refit else model_cache.usable(kept, s)
    refitted = models is None
    if refitted:
        models = scoring.fit_models(p, day, s)
        model_cache.store(ctx, models, s, kept)
    return Analysis(as_of=as_of, currency=load_settings(ctx).currency, scores=scoring.score(p, day, models, s=s),
                    refitted=refitted)


def _people(ctx: Ctx, ids: np.ndarray) -> dict[int, tuple[str, str | None]]:
    """id -> (name, phone) for these members (erased members have neither)."""
    wanted = set(map(int, ids))
    out: dict[int, tuple[str, str | None]] = {}
    with ctx.tx(write=False) as t:
        if len(wanted) > 500:
            rows = t.s.execute(select(Member.id, Member.name, Member.phone, Member.erased_at))
        else:
            rows = t.s.execute(select(Member.id, Member.name, Member.phone, Member.erased_at)
                               .where(Member.id.in_(wanted)))
        for mid, name, phone, erased in rows:
            if mid in wanted:
                out[mid] = ("", None) if erased is not None else (name, phone)
    return out


def member_rows(ctx: Ctx, a: Analysis) -> Iterator[tuple]:
    """The export's rows, in COLUMNS order: amounts as integer minor units, dates as dates, the
    model's figures as floats (None without a fit), the full phone number."""
    sc, s = a.scores, a.scores.summary
    people = _people(ctx, s.member)
    has_model = sc.models.bgnbd is not None
    for i in range(len(s)):
        mid = int(s.member[i])
        name, phone = people.get(mid, ("", None))
        yield (mid, name, phone or "", purchases.day_date(s.first[i]), purchases.day_date(s.last[i]),
               int(s.orders[i]), int(s.total[i]), int(s.frequency[i]), int(s.recency[i]), int(s.T[i]),
               int(s.monetary[i]), str(sc.segment[i]),
               float(sc.p_alive[i]) if has_model else None,
               float(sc.expected_90d[i]) if has_model else None, float(sc.churn_risk[i]))


def at_risk(ctx: Ctx, a: Analysis, limit: int = AT_RISK_LIMIT) -> tuple[AtRisk, ...]:
    """Members worth winning back: churn_risk >= AT_RISK_FLOOR, came back before, ranked by the
    value at stake (churn_risk x total spent)."""
    sc, s = a.scores, a.scores.summary
    pick = np.flatnonzero((sc.churn_risk >= AT_RISK_FLOOR) & (s.frequency > 0))
    pick = pick[np.argsort(-(sc.churn_risk[pick] * s.total[pick]), kind="stable")][:limit]
    people = _people(ctx, s.member[pick])
    out = []
    for i in pick:
        name, phone = people.get(int(s.member[i]), ("", None))
        out.append(AtRisk(member_id=int(s.member[i]), name=name, masked_phone=phones.mask(phone),
                          segment=str(sc.segment[i]), last_purchase=purchases.day_date(s.last[i]),
                          orders=int(s.orders[i]), total_spent=int(s.total[i]),
                          churn_risk=float(sc.churn_risk[i]), p_alive=float(sc.p_alive[i])))
    return tuple(out)


def overview(ctx: Ctx, as_of: date | None = None, *, refit: bool = False,
             limit: int = AT_RISK_LIMIT) -> Overview:
    a = analyse(ctx, as_of, refit=refit)
    return Overview(as_of=a.as_of, currency=a.currency, members=a.members,
                    segment_counts=a.scores.segment_counts, curve=a.scores.curve, params=a.params,
                    churn_method=a.scores.models.churn.method, at_risk=at_risk(ctx, a, limit))


def segment_members(ctx: Ctx, segment: str, as_of: date | None = None) -> set[int]:
    """The ids of the members in RFM ``segment`` (rfm.SEGMENTS) as of ``as_of``: campaigns pick by it."""
    a = analyse(ctx, as_of)
    sc = a.scores
    return {int(mid) for mid, seg in zip(sc.summary.member, sc.segment, strict=True) if seg == segment}
