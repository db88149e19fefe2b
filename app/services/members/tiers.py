"""Tier rules: upgrade by cumulative spend, or the VIP rule (one purchase over a threshold, or a
calendar month's spend over another). A refund re-evaluates and may take a member back down,
never below a tier the owner set by hand."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, select

from app.errors import NotFound
from app.models import Member, Sale, Tier
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings


CACHE_SECONDS = 10.0   # like settings: another process's change is seen within this
_generation = 0        # bumped by any change to a Tier row made in this process


@dataclass(frozen=True, slots=True)
class TierRule:
    """What a sale needs of a tier (the till's hot path reads these, not ORM rows)."""
    id: int
    code: str
    rank: int
    min_spend: int | None
    discount_bp: int
    points_multiplier_pct: int


def _changed(*_args) -> None:
    global _generation
    _generation += 1


for _what in ("after_insert", "after_update", "after_delete"):
    event.listen(Tier, _what, _changed)


def rules(t: Ctx) -> tuple[TierRule, ...]:
    """The tiers by rank as plain rules, kept per process: a change made in this process is seen at
    once, one made elsewhere (another till) within ``CACHE_SECONDS``, as for settings."""
    cached = t.db.cache.get("tier_rules")
    if cached is not None and cached[1] == _generation and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[2]
    gen = _generation
    cols = (Tier.id, Tier.code, Tier.rank, Tier.min_spend, Tier.discount_bp, Tier.points_multiplier_pct)
    found = tuple(TierRule(*row) for row in t.s.execute(select(*cols).order_by(Tier.rank)))
    t.db.cache["tier_rules"] = (time.monotonic(), gen, found)
    return found


def all_tiers(t: Ctx) -> list[Tier]:
    """The tiers by rank, read once per transaction."""
    if "tiers" not in t.s.info:
        t.s.info["tiers"] = list(t.s.execute(select(Tier).order_by(Tier.rank)).scalars())
    return t.s.info["tiers"]


def by_code(t: Ctx, code: str) -> Tier:
    tier = t.s.execute(select(Tier).where(Tier.code == code)).scalar()
    if tier is None:
        raise NotFound("tier_not_found", tier=code)
    return tier


def base_tier(t: Ctx) -> Tier | None:
    tiers = all_tiers(t)
    return tiers[0] if tiers else None


def _by_spend(tiers, spent: int):
    best = None
    for tier in tiers:
        if tier.min_spend is not None and spent >= tier.min_spend:
            best = tier
    return best


def _month_bounds(when: datetime) -> tuple[datetime, datetime]:
    start = when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def _net_sale_totals(t: Ctx, member_id: int):
    """Each sale of the member with what is left of it after its refunds."""
    refunded = (select(Sale.original_sale_id.label("sid"), func.sum(Sale.total).label("back"))
                .where(Sale.kind == "refund", Sale.member_id == member_id)
                .group_by(Sale.original_sale_id).subquery())
    return (select(Sale.id, Sale.created_at, (Sale.total + func.coalesce(refunded.c.back, 0)).label("net"))
            .outerjoin(refunded, refunded.c.sid == Sale.id)
            .where(Sale.member_id == member_id, Sale.kind == "sale"))


def vip_qualified(t: Ctx, member: Member, cfg: ShopSettings) -> bool:
    """Any purchase (net of its refunds) or any calendar month reaching the VIP thresholds."""
    rows = t.s.execute(_net_sale_totals(t, member.id)).all()
    if cfg.vip_single_purchase and any(net >= cfg.vip_single_purchase for _, _, net in rows):
        return True
    if cfg.vip_month_spend:
        months: dict[tuple[int, int], int] = {}
        for _, created, net in rows:
            key = (created.year, created.month)
            months[key] = months.get(key, 0) + net
        if any(total >= cfg.vip_month_spend for total in months.values()):
            return True
    return False


def after_sale(t: Ctx, member: Member, sale_total: int, cfg: ShopSettings) -> Tier | None:
    """Upgrade after a sale (never downgrade here). Returns the new tier if it changed."""
    target = upgrade_for(t, member.id, member.tier_id, member.total_spent, sale_total, cfg, all_tiers(t))
    if target is not None:
        member.tier_id = target.id
    return target


def upgrade_for(t: Ctx, member_id: int, tier_id: int | None, total_spent: int, sale_total: int,
                cfg: ShopSettings, tiers, *, month_before: int = 0):
    """The tier a sale of ``sale_total`` raises the member to (never down), or None: ``total_spent``
    already counts the sale. The VIP month rule sums the member's sales this month as stored, plus
    ``month_before`` (a sale priced but not written yet)."""
    rank = {tier.id: tier.rank for tier in tiers}
    target = _by_spend(tiers, total_spent)
    vip = next((x for x in tiers if x.code == cfg.vip_tier), None)
    if vip is not None:
        hit = bool(cfg.vip_single_purchase) and sale_total >= cfg.vip_single_purchase
        # A month's spend cannot exceed the lifetime spend: skip the query for most members.
        if not hit and cfg.vip_month_spend and total_spent >= cfg.vip_month_spend:
            start, end = _month_bounds(t.now())
            month = t.s.execute(select(func.coalesce(func.sum(Sale.total), 0))
                                .where(Sale.member_id == member_id, Sale.created_at >= start,
                                       Sale.created_at < end)).scalar()
            hit = month + month_before >= cfg.vip_month_spend
        if hit and (target is None or vip.rank > target.rank):
            target = vip
    current = rank.get(tier_id, 0)
    if target is not None and target.rank > current:
        return target
    return None


def reevaluate(t: Ctx, member: Member, cfg: ShopSettings) -> Tier | None:
    """Recompute the tier from scratch (after a refund): spend rule, VIP rule, hand-set floor."""
    tiers = all_tiers(t)
    by_id = {tier.id: tier for tier in tiers}
    candidates = [x for x in (_by_spend(tiers, member.total_spent), base_tier(t)) if x is not None]
    vip = next((x for x in tiers if x.code == cfg.vip_tier), None)
    if vip is not None and vip_qualified(t, member, cfg):
        candidates.append(vip)
    if member.tier_floor_id in by_id:
        candidates.append(by_id[member.tier_floor_id])
    target = max(candidates, key=lambda x: x.rank) if candidates else None
    if target is not None and target.id != member.tier_id:
        member.tier_id = target.id
        return target
    return None
