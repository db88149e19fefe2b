"""Property: any sequence of receipts, sales, refunds, adjustments and stocktakes keeps every product's
on_hand equal to the sum of its stock entries (``shopcare check`` passes), moves stock exactly as a
simple model says, and a refused operation changes nothing."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import Database
from app.errors import ShopError
from app.models import Sale, StockEntry
from app.services.admin.integrity import run_check
from app.services.base import setup
from app.services.base import settings as shop_settings
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.sales import inventory
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.refunds import RefundLine, refund
from tests.conftest import START
from tests.shop import confirmed, stock_shop
from tests.stock_shop import on_hand, stock_faults, track

TRACKED = ["COF", "TEA", "MUG"]
SKUS = TRACKED + ["GIFT"]          # GIFT does not track stock: it never moves

op = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(SKUS), st.sampled_from([1, 3, 12, 0, -2, 100_001])),
    st.tuples(st.just("sale"), st.lists(st.tuples(st.sampled_from(TRACKED), st.integers(1, 4)), min_size=1, max_size=2)),
    st.tuples(st.just("sale"), st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3)),
    st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 3), st.integers(1, 4)),
    st.tuples(st.just("adjust"), st.sampled_from(SKUS), st.integers(-6, 6)),
    st.tuples(st.just("count"), st.dictionaries(st.sampled_from(TRACKED), st.integers(0, 15), min_size=1, max_size=3)),
    st.tuples(st.just("count"), st.dictionaries(st.sampled_from(SKUS), st.integers(-1, 15), min_size=2, max_size=3)),
    st.tuples(st.just("mode"), st.sampled_from(["warn", "refuse"])),
)


def counts(db):
    with db.session(write=False) as s:
        return (s.execute(select(func.count()).select_from(StockEntry)).scalar(),
                s.execute(select(func.count()).select_from(Sale)).scalar())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=20))
def test_stock_equals_its_ledger_under_any_sequence(ops):
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'prop.db'}")
        db.upgrade()
        ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(START)))
        setup.ensure_defaults(ctx)
        stock_shop(ctx)
        for sku in TRACKED:
            track(ctx, sku)
        model = {sku: 0 for sku in TRACKED}
        receipts: list[tuple[str, list]] = []
        for o in ops:
            before = counts(db), {sku: on_hand(db, sku) for sku in SKUS}
            try:
                if o[0] == "receive":
                    inventory.receive(ctx, o[1], o[2])
                    model[o[1]] += o[2]
                elif o[0] == "sale":
                    cart = Cart(tuple(CartLine(sku, qty) for sku, qty in o[1]))
                    receipts.append((checkout(ctx, cart, [Tender("cash", 10_000_000)]).receipt_no, o[1]))
                    for sku, qty in o[1]:
                        if sku in model:
                            model[sku] -= qty
                elif o[0] == "refund":
                    if not receipts:
                        continue
                    receipt, lines = receipts[o[1] % len(receipts)]
                    refund(ctx, receipt, [RefundLine(o[2], o[3])], reason="back")
                    sku = lines[o[2] - 1][0]       # a refund of a line the sale has not is refused
                    if sku in model:
                        model[sku] += o[3]
                elif o[0] == "adjust":
                    inventory.adjust(ctx, o[1], o[2], "property")
                    model[o[1]] += o[2]
                elif o[0] == "count":
                    inventory.post_stocktake(ctx, dict(o[1]))
                    model.update(o[1])
                else:
                    shop_settings.update(ctx, negative_stock=o[1])
                event(f"{o[0]}: done")
            except ShopError as exc:
                event(f"{o[0]}: refused {exc.code}")
                assert (counts(db), {sku: on_hand(db, sku) for sku in SKUS}) == before   # nothing changed
            assert {sku: on_hand(db, sku) for sku in TRACKED} == model
            assert on_hand(db, "GIFT") == 0
            assert stock_faults(db) == []
        assert run_check(ctx).ok
        db.dispose()
