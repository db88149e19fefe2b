"""First-time defaults: the tills, the three tiers and a top-up bonus ladder a shop can edit later.

The defaults are written in yuan (fen); a shop in another currency gets them as round amounts of
its own (services/region.default_amount) when its currency is chosen, while they are still as seeded."""
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


def scale_defaults(t: Ctx, old: str, new: str) -> dict[str, int]:
    """Seeded tier thresholds and top-up bonus rules still as seeded for currency ``old``, and the
    VIP thresholds when left at their default, rewritten as ``new``'s round amounts (in ``t``'s
    transaction). Anything the owner changed is left alone. Returns the settings to store."""
    from app.services.base.region import default_amount
    from app.services.base.settings import ShopSettings

    if old == new:
        return {}
    seeded = {code: spend for code, _en, _zh, _rank, spend, _d, _m in DEFAULT_TIERS}
    for tier in t.s.execute(select(Tier).where(Tier.code.in_(seeded))).scalars():
        if tier.min_spend == default_amount(seeded[tier.code], old):
            tier.min_spend = default_amount(seeded[tier.code], new)
    ladder = {(default_amount(a, old), default_amount(b, old)): (a, b) for a, b in DEFAULT_BONUS}
    for rule in t.s.execute(select(TopupBonusRule)).scalars():
        fen = ladder.get((rule.min_amount, rule.bonus))
        if fen is not None:
            rule.min_amount, rule.bonus = default_amount(fen[0], new), default_amount(fen[1], new)
    t.s.flush()
    from app.services.base import settings as shop_settings

    cfg, base = shop_settings.load(t), ShopSettings()
    out = {}
    for key in ("vip_single_purchase", "vip_month_spend", "open_price_max"):
        if getattr(cfg, key) == default_amount(getattr(base, key), old):
            out[key] = default_amount(getattr(base, key), new)
    return out


def ensure_till(t: Ctx) -> None:
    if t.s.get(Till, t.till) is None:
        t.s.add(Till(code=t.till, name=t.till, last_receipt_seq=0))
        t.s.flush()
