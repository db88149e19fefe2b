"""Property: any sequence of top-ups, sales, refunds, cash-outs and adjustments keeps every cached
balance equal to its ledger and never below zero; a refused operation changes nothing."""
from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import Database
from app.errors import ShopError
from app.models import Member, PointsEntry, Sale, WalletEntry
from app.services.ledger import points, wallet
from app.services.base import setup
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.sales.refunds import RefundLine, refund
from tests.conftest import START
from tests.shop import ledger_faults, member, stock_shop
from tests.shop import confirmed

SKUS = ["COF", "TEA", "MUG", "GIFT"]

op = st.one_of(
    st.tuples(st.just("topup"), st.integers(0, 2), st.sampled_from([100, 5_000, 50_000, 100_000, -5, 0])),
    st.tuples(st.just("sale"), st.integers(0, 2),
              st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3),
              st.sampled_from(["cash", "card", "wallet", "points", "mix"])),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 3), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("cashout"), st.integers(0, 2)),
    st.tuples(st.just("adjust_wallet"), st.integers(0, 2), st.integers(-3_000, 3_000), st.integers(-1_000, 1_000)),
    st.tuples(st.just("adjust_points"), st.integers(0, 2), st.integers(-500, 500)),
    st.tuples(st.just("expire"), st.integers(1, 800)),
)


def snapshot(db):
    with db.session(write=False) as s:
        return (
            s.execute(select(Member.id, Member.wallet_principal, Member.wallet_bonus, Member.points_balance,
                             Member.total_spent).order_by(Member.id)).all(),
            s.execute(select(func.count()).select_from(Sale)).scalar(),
            s.execute(select(func.count()).select_from(WalletEntry)).scalar(),
            s.execute(select(func.count()).select_from(PointsEntry)).scalar(),
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_ledgers_hold_under_any_sequence(ops):
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'prop.db'}")
        db.upgrade()
        clock = FixedClock(START)
        ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=clock))
        setup.ensure_defaults(ctx)
        stock_shop(ctx)
        ids = [member(ctx, phone=f"1380013800{i}", name=f"会员{i}").id for i in range(3)]
        receipts: list[str] = []
        try:
            for step in ops:
                clock.set(clock.now() + timedelta(hours=7))
                before = snapshot(db)
                try:
                    run(ctx, step, ids, receipts)
                    event(f"done: {step[0]}")
                except ShopError as e:
                    event(f"refused: {step[0]} {e.code}")
                    assert snapshot(db) == before, f"refused {step} but something changed"
                faults = ledger_faults(db)
                assert faults == [], f"after {step}: {faults}"
        finally:
            db.dispose()


def run(ctx, step, ids, receipts):
    kind = step[0]
    if kind == "topup":
        wallet.topup(ctx, ids[step[1]], step[2], "cash")
    elif kind == "sale":
        _, who, lines, how = step
        m = ids[who]
        cart = Cart(tuple(CartLine(sku, qty) for sku, qty in lines), member_id=m)
        from app.services.sales.checkout import price_cart
        from app.services.members.members import get_member

        total = price_cart(ctx, cart).total
        v = get_member(ctx, m)
        if how == "cash":
            tenders = [Tender("cash", total + 1000)]
        elif how == "card":
            tenders = [Tender("card", total)]
        elif how == "wallet":
            tenders = [Tender("wallet", total)]  # may overdraw: must be refused cleanly
        elif how == "points":
            tenders = [Tender("points", points=max(1, min(v.points, total))), Tender("cash", total)]
        else:
            w = min(v.balance, total // 2)
            tenders = ([Tender("wallet", w)] if w else []) + [Tender("cash", total)]
        receipts.append(checkout(ctx, cart, tenders).receipt_no)
    elif kind == "refund":
        _, idx, line_no, qty, whole = step
        if not receipts:
            return
        receipt = receipts[idx % len(receipts)]
        refund(ctx, receipt, None if whole else [RefundLine(line_no, qty)], reason="property")
    elif kind == "cashout":
        wallet.cashout(ctx, ids[step[1]], reason="leaving")
    elif kind == "adjust_wallet":
        wallet.adjust(ctx, ids[step[1]], step[2], step[3], reason="count")
    elif kind == "adjust_points":
        points.adjust(ctx, ids[step[1]], step[2], reason="goodwill")
    elif kind == "expire":
        points.expire_due(ctx, ctx.today() + timedelta(days=step[1]))
