"""Four tills (processes, each with its own connection) receive and sell one tracked product at
once: no movement is lost, on_hand equals its ledger and the exact expected total; with the shop
refusing to sell below zero, stock never goes below zero and every refused sale left nothing behind.
On SQLite (WAL, one file) and on PostgreSQL (SHOPCARE_TEST_PG)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import Sale, StockEntry
from app.services.admin.integrity import run_check
from app.services.base import settings as shop_settings
from app.services.base import setup
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.sales import catalog, inventory
from tests.shop import confirmed, race
from tests.stock_shop import on_hand, stock_faults, track

TILLS, ROUNDS, IN, OUT = 4, 10, 3, 2


def _till(url: str, start_stock: int, till: str, start, q) -> None:
    db = Database(url)
    clock = FixedClock(datetime(2026, 3, 2, 12))
    manager = Ctx(db=db, actor=Actor(None, "manager", "manager"), till=till, clock=clock)
    from app.errors import ShopError
    from app.services.sales.checkout import Cart, CartLine, Tender, checkout

    start.wait()
    received = sold = refused = 0
    errors = []
    for i in range(ROUNDS):
        try:
            if i % 3 == 0:
                inventory.receive(manager, "BEAN", IN, supplier=till)
                received += IN
            checkout(manager, Cart((CartLine("BEAN", OUT),)), [Tender("cash", 1000 * OUT)])
            sold += OUT
        except ShopError as exc:
            if exc.code == "stock_short":
                refused += 1
            else:
                errors.append(exc.code)
    db.dispose()
    q.put((till, received, sold, refused, errors))


def _shop(db, mode: str, stock: int) -> Ctx:
    ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1",
                        clock=FixedClock(datetime(2026, 3, 2, 10))))
    setup.ensure_defaults(ctx)
    for code in ("T2", "T3", "T4"):
        setup.ensure_defaults(Ctx(db=db, till=code))
    catalog.add_product(ctx, sku="BEAN", name="Coffee beans 咖啡豆", price=1000, discount_eligible=False)
    track(ctx, "BEAN", reorder_level=5)
    shop_settings.update(ctx, negative_stock=mode)
    if stock:
        inventory.receive(ctx, "BEAN", stock)
    return ctx


@pytest.mark.parametrize("mode, stock", [("warn", 0), ("refuse", 6)])
def test_four_tills_receive_and_sell_one_product(db, mode, stock):
    ctx = _shop(db, mode, stock)
    results = race(_till, (db.url, stock), [f"T{i + 1}" for i in range(TILLS)])
    assert [r[4] for r in results] == [[]] * TILLS, results
    received = sum(r[1] for r in results)
    sold = sum(r[2] for r in results)
    refused = sum(r[3] for r in results)
    assert received == TILLS * IN * len(range(0, ROUNDS, 3))       # receiving never fails
    assert sold + refused * OUT == TILLS * ROUNDS * OUT               # every sale either whole or refused
    if mode == "warn":
        assert refused == 0
    else:   # 6 + 48 received cannot cover 80 sold: some sales must have been refused
        assert refused >= (TILLS * ROUNDS * OUT - stock - received) // OUT
    expected = stock + received - sold
    assert on_hand(db, "BEAN") == expected
    assert mode == "warn" or expected >= 0
    with db.session(write=False) as s:
        ledger = s.execute(select(func.sum(StockEntry.qty))).scalar()
        sales = s.execute(select(func.count()).select_from(Sale)).scalar()
    assert ledger == expected and sales * OUT == sold
    assert stock_faults(db) == [] and run_check(ctx).ok
