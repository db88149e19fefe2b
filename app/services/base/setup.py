"""First-time defaults: the tills, the three tiers and a top-up bonus ladder a shop can edit later."""
from __future__ import annotations

from sqlalchemy import func, select

from app.i18n import NC_
from app.models import Till, Tier, TopupBonusRule
from app.services.base.context import Ctx

DEFAULT_TIERS = [
    # code, English, Chinese, rank, min cumulative spend (minor units), discount bp, points multiplier %
    # (the names are the shop's data once made; i18n.pick(..., context="tier") shows a default one
    # in the reader's Chinese, so zh_TW reads 金卡會員)
    ("ordinary", NC_("tier", "Ordinary"), "普通会员", 1, 0, 0, 100),
    ("silver", NC_("tier", "Silver"), "银卡会员", 2, 200_000, 500, 120),
    ("gold", NC_("tier", "Gold"), "金卡会员", 3, 500_000, 1000, 150),
]
DEFAULT_BONUS = [(50_000, 5_000), (100_000, 12_000), (200_000, 30_000)]


def ensure_defaults(ctx: Ctx) -> None:
    with ctx.tx() as t:
        if t.s.get(Till, ctx.till) is None:
            t.s.add(Till(code=ctx.till, name=ctx.till, last_receipt_seq=0))
        if not t.s.execute(select(func.count()).select_from(Tier)).scalar():
            for code, en, zh, rank, spend, disc, mult in DEFAULT_TIERS:
                t.s.add(Tier(code=code, name_en=en, name_zh=zh, rank=rank, min_spend=spend,
                             discount_bp=disc, points_multiplier_pct=mult))
        if not t.s.execute(select(func.count()).select_from(TopupBonusRule)).scalar():
            for amount, bonus in DEFAULT_BONUS:
                t.s.add(TopupBonusRule(min_amount=amount, bonus=bonus, active=True))


def ensure_till(t: Ctx) -> None:
    if t.s.get(Till, t.till) is None:
        t.s.add(Till(code=t.till, name=t.till, last_receipt_seq=0))
        t.s.flush()
