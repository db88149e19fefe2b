"""Test helpers: a small product range and ledger invariants checked straight from the tables."""
from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace

from sqlalchemy import func, select

from app.models import CountCard, CountCardEntry, Member, Payment, PointsEntry, Sale, SaleLine, WalletEntry
from app.services.sales import catalog
from app.services.ledger import ledger
from app.services.base.context import OwnerConfirmation
from app.services.members.members import MemberInput, create_member

PRODUCTS = [
    # sku, name, price (fen), kind, points, discount
    ("COF", "Coffee beans 250g 咖啡豆", 5800, "goods", True, True),
    ("TEA", "Green tea 绿茶", 3333, "goods", True, True),
    ("MUG", "Mug 马克杯", 2990, "goods", True, False),
    ("GIFT", "Gift card box", 1000, "goods", False, True),
    ("CUT", "Haircut 剪发", 5000, "service", True, True),
]


def confirmed(ctx):
    """``ctx`` as if the owner's password had been typed for its actor (auth.confirm_owner does it
    for real; tests/test_permissions.py covers that path)."""
    return replace(ctx, owner_ok=OwnerConfirmation(None, "owner", ctx.actor))


def as_confirmed(ctx, actor):
    """``ctx`` acting as ``actor``, with the owner's password typed for them."""
    return confirmed(ctx.as_actor(actor))


def stock_shop(ctx) -> None:
    for i, (sku, name, price, kind, pts, disc) in enumerate(PRODUCTS):
        catalog.add_product(ctx, sku=sku, name=name, price=price, kind=kind, points_eligible=pts,
                            discount_eligible=disc, barcode=f"69000000000{i}")
    catalog.add_product(ctx, sku="CUT10", name="10 haircuts 剪发十次卡", price=40000, kind="count_card",
                        card_uses=10, card_valid_days=365, card_service_sku="CUT")


def member(ctx, phone="13800138000", name="王芳", **kw):
    return create_member(ctx, MemberInput(name=name, phone=phone, **kw))


def ledger_faults(db) -> list[str]:
    """Every way the cached balances, sale totals and payments disagree with their ledgers."""
    faults = []
    with db.session(write=False) as s:
        wallet = dict(((mid, (p, b)) for mid, p, b in s.execute(
            select(WalletEntry.member_id, func.sum(WalletEntry.principal), func.sum(WalletEntry.bonus))
            .group_by(WalletEntry.member_id))))
        pts = dict(s.execute(select(PointsEntry.member_id, func.sum(PointsEntry.points))
                             .group_by(PointsEntry.member_id)).all())
        for m in s.execute(select(Member)).scalars():
            p, b = wallet.get(m.id, (0, 0))
            if (m.wallet_principal, m.wallet_bonus) != (p, b):
                faults.append(f"member {m.id} wallet {(m.wallet_principal, m.wallet_bonus)} != ledger {(p, b)}")
            if m.points_balance != pts.get(m.id, 0):
                faults.append(f"member {m.id} points {m.points_balance} != ledger {pts.get(m.id, 0)}")
            if m.wallet_principal < 0 or m.wallet_bonus < 0 or m.points_balance < 0:
                faults.append(f"member {m.id} negative balance")
        uses = dict(s.execute(select(CountCardEntry.card_id, func.sum(CountCardEntry.uses))
                              .group_by(CountCardEntry.card_id)).all())
        for c in s.execute(select(CountCard)).scalars():
            if c.uses_left != uses.get(c.id, 0) or c.uses_left < 0:
                faults.append(f"count card {c.id} uses {c.uses_left} != ledger {uses.get(c.id, 0)}")
        for sale in s.execute(select(Sale)).scalars():
            lines = s.execute(select(func.coalesce(func.sum(SaleLine.line_total), 0))
                              .where(SaleLine.sale_id == sale.id)).scalar()
            paid = s.execute(select(func.coalesce(func.sum(Payment.amount), 0))
                             .where(Payment.sale_id == sale.id)).scalar()
            if lines != sale.total or paid != sale.total:
                faults.append(f"sale {sale.receipt_no} total {sale.total} lines {lines} paid {paid}")
    return faults


def fund(ctx, member_id, principal=0, bonus=0, points=0):
    """Opening balances straight through the ledger (as an import of an old system would)."""
    with ctx.tx() as t:
        if principal or bonus:
            ledger.post_wallet(t, member_id, "opening", principal, bonus)
        if points:
            ledger.post_points(t, member_id, "opening", points)


def race(target, args: tuple, tills: list[str]) -> list:
    """One spawned process per till running ``target(*args, till, start, queue)``, all released at
    the same instant; the one result each puts on the queue, in the order they came."""
    spawn = mp.get_context("spawn")
    start, q = spawn.Event(), spawn.Queue()
    procs = [spawn.Process(target=target, args=(*args, till, start, q)) for till in tills]
    for p in procs:
        p.start()
    start.set()
    results = [q.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(60)
    return results
