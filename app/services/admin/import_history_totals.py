"""After an imported history is written: each member's total spent, visits and last visit, and the tier raises those sales earn (kept in import_changes for an undo)."""
from __future__ import annotations

from sqlalchemy import bindparam, case, or_, update

from app.models import Member, Sale
from app.services.admin import import_batches
from app.services.admin.import_common import existing_values
from app.services.admin.import_history_rows import WRITE_CHUNK
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings
from app.services.members import tiers


def _member_totals(t: Ctx, per: dict[int, list], new_ids: set[int], batch: int, *, remember: bool = True) -> None:
    """Each member's total spent, visits (one per sale) and last visit follow; then the tier goes up
    as ``tiers.after_sale`` would take it after these sales one by one (upgrades only: by spend, or
    the VIP rule: one purchase, or a calendar month's spend with the sales already there). What an
    existing member had before is kept in import_changes, for an undo (unless ``remember`` is False:
    the import kept it already, with the member's first imported sale)."""
    m = Member.__table__
    old = [mid for mid in per if mid not in new_ids]
    cols = ("total_spent", "visits", "last_visit_at", "tier_id", "updated_at")
    if remember:
        before = [(row[0], dict(zip(cols, row[1:]))) for row in existing_values(
            t, m.c.id, tuple(m.c[c] for c in cols), old)]
        import_batches.remember(t, batch, "members", before)
    last = bindparam("b_last")
    now = t.now()
    stmt = update(m).where(m.c.id == bindparam("b_id")).values(
        total_spent=m.c.total_spent + bindparam("b_total"), visits=m.c.visits + bindparam("b_visits"),
        last_visit_at=case((or_(m.c.last_visit_at.is_(None), m.c.last_visit_at < last), last),
                           else_=m.c.last_visit_at),
        updated_at=bindparam("b_now"))
    params: list[dict] = []
    for mid, p in per.items():
        params.append({"b_id": mid, "b_total": p[0], "b_visits": p[1], "b_last": p[2], "b_now": now})
        if len(params) >= WRITE_CHUNK * 4:
            t.s.connection().execute(stmt, params)
            params.clear()
    if params:
        t.s.connection().execute(stmt, params)

    cfg = load_settings(t)
    ladder = tiers.all_tiers(t)
    rank = {tier.id: tier.rank for tier in ladder}
    vip = next((x for x in ladder if x.code == cfg.vip_tier), None)
    # A member this import created has these sales' total and the base tier; the others are read.
    base = tiers.base_tier(t)
    state = {mid: (spent, tier_id) for mid, spent, tier_id in existing_values(
        t, Member.id, (Member.total_spent, Member.tier_id), [mid for mid in per if mid not in new_ids])}
    # A month's spend (month = year * 12 + month - 1): a member this import created has only these
    # sales (per[mid][4]); a member who was there before has every sale of that month read back
    # (``earlier``: this import's sales are already written).
    earlier: dict[tuple[int, int], int] = {}
    if vip is not None and cfg.vip_month_spend:
        # Only members who could reach it: a month's spend is part of the total spent.
        maybe = [mid for mid, p in per.items() if mid not in new_ids and state[mid][0] >= cfg.vip_month_spend
                 and not (cfg.vip_single_purchase and p[3] >= cfg.vip_single_purchase)]
        for mid, when, amount in existing_values(t, Sale.member_id, (Sale.created_at, Sale.total), maybe):
            month = when.year * 12 + when.month - 1
            if month in per[mid][4]:
                key = (mid, month)
                earlier[key] = earlier.get(key, 0) + amount
    raised: list[dict] = []
    raise_tier = update(m).where(m.c.id == bindparam("b_id")).values(tier_id=bindparam("b_tier"))
    base_id = base.id if base else None
    for mid, p in per.items():
        spent, current = state[mid] if mid not in new_ids else (p[0], base_id)
        target = tiers._by_spend(ladder, spent)
        if vip is not None and ((cfg.vip_single_purchase and p[3] >= cfg.vip_single_purchase)
                                or (cfg.vip_month_spend and p[4] and any(
                                    (amount if mid in new_ids else earlier.get((mid, month), 0)) >= cfg.vip_month_spend
                                    for month, amount in p[4].items()))):
            if target is None or vip.rank > target.rank:
                target = vip
        if target is not None and target.rank > rank.get(current, 0):
            raised.append({"b_id": mid, "b_tier": target.id})
            if len(raised) >= WRITE_CHUNK * 4:
                t.s.connection().execute(raise_tier, raised)
                raised.clear()
    if raised:
        t.s.connection().execute(raise_tier, raised)
