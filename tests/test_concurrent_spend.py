"""Four tills (processes, each with its own database connection) spend one member's stored value at
once: exactly the affordable spends succeed, the rest are refused cleanly, and the balance equals
its ledger, on SQLite (WAL, one file) and on PostgreSQL."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.db import Database
from app.models import Member, Sale, WalletEntry
from app.services.sales import catalog
from app.services.base import setup
from app.services.base.context import Actor, Ctx, FixedClock
from tests.shop import fund, ledger_faults, member
from tests.shop import confirmed, race

TILLS, TRIES, PRICE, BALANCE = 4, 12, 700, 10_000   # 48 tries of 7.00 against 100.00: 14 can be paid


def _till(url: str, member_id: int, till: str, start, q) -> None:
    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "cashier", "cashier"), till=till,
              clock=FixedClock(datetime(2026, 3, 2, 12)))
    from app.errors import InsufficientFunds, ShopError
    from app.services.sales.checkout import Cart, CartLine, Tender, checkout

    start.wait()
    ok = refused = other = 0
    for _ in range(TRIES):
        try:
            checkout(ctx, Cart((CartLine("TEA"),), member_id=member_id), [Tender("wallet", PRICE)])
            ok += 1
        except InsufficientFunds:
            refused += 1
        except ShopError as exc:  # anything else is a failure of the test
            other += 1
            q.put(("error", exc.code))
    db.dispose()
    q.put((till, ok, refused, other))


def test_four_tills_spend_one_balance(db):
    """On the ``db`` fixture's database: SQLite, or PostgreSQL when SHOPCARE_TEST_PG is set."""
    ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1", clock=FixedClock(datetime(2026, 3, 2, 10))))
    setup.ensure_defaults(ctx)
    catalog.add_product(ctx, sku="TEA", name="Tea", price=PRICE, discount_eligible=False)
    m = member(ctx, "13800138000", "王芳")
    fund(ctx, m.id, principal=BALANCE)
    for code in ("T2", "T3", "T4"):
        setup.ensure_defaults(Ctx(db=db, till=code))

    results = race(_till, (db.url, m.id), [f"T{i + 1}" for i in range(TILLS)])
    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    ok = sum(r[1] for r in results)
    refused = sum(r[2] for r in results)
    assert ok == BALANCE // PRICE and ok + refused == TILLS * TRIES
    with db.session(write=False) as s:
        mem = s.get(Member, m.id)
        ledger = s.execute(select(func.sum(WalletEntry.principal + WalletEntry.bonus))
                           .where(WalletEntry.member_id == m.id)).scalar()
        sales = s.execute(select(func.count(Sale.id))).scalar()
        receipts = s.execute(select(func.count(func.distinct(Sale.receipt_no)))).scalar()
    assert mem.wallet_principal + mem.wallet_bonus == ledger == BALANCE - ok * PRICE
    assert sales == receipts == ok                     # every sale whole, every receipt number once
    assert ledger_faults(db) == []
