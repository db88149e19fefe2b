"""Four tills (processes, each with its own connection) refund the same sale at the same instant:
the units of a line are claimed by a conditional update, so a line is never refunded beyond what it
sold, the money back never exceeds the sale, the losers read "already refunded", and ``check`` is
clean. On SQLite (WAL, one file) and on PostgreSQL (SHOPCARE_TEST_PG)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.models import Payment, Sale, SaleLine
from app.services.sales import catalog
from app.services.base import setup
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.admin.integrity import run_check
from tests.shop import confirmed, race, fund, ledger_faults, member

TILLS = 4
PRICE = 1800   # two at 18.00: a sale of 36.00


def _till(url: str, receipt: str, lines, till: str, start, q) -> None:
    from app.db import Database
    from app.errors import ShopError
    from app.services.sales.refunds import RefundLine, refund

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "manager", "manager"), till=till, clock=FixedClock(datetime(2026, 3, 2, 12)))
    start.wait()
    try:
        r = refund(ctx, receipt, [RefundLine(*x) for x in lines] if lines else None, reason="returned")
        q.put(("ok", r.preview.value))
    except ShopError as exc:
        q.put(("refused", exc.code))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        q.put(("error", repr(exc)))
    finally:
        db.dispose()


def _race(db, receipt: str, lines) -> list[tuple[str, object]]:
    for code in ("T2", "T3", "T4", "T5"):
        setup.ensure_defaults(Ctx(db=db, till=code))
    return race(_till, (db.url, receipt, lines), [f"T{i + 2}" for i in range(TILLS)])


def _shop(db):
    ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1", clock=FixedClock(datetime(2026, 3, 2, 10))))
    setup.ensure_defaults(ctx)
    catalog.add_product(ctx, sku="TEA", name="Tea", price=PRICE, discount_eligible=False)
    return ctx


def _money_back(db, sale_id: int) -> int:
    with db.session(write=False) as s:
        return -s.execute(select(func.coalesce(func.sum(Payment.amount), 0)).join(Sale, Sale.id == Payment.sale_id)
                          .where(Sale.original_sale_id == sale_id)).scalar()


def _refunded_units(db, sale_id: int) -> int:
    with db.session(write=False) as s:
        return -s.execute(select(func.coalesce(func.sum(SaleLine.qty), 0)).join(Sale, Sale.id == SaleLine.sale_id)
                          .where(Sale.original_sale_id == sale_id)).scalar()


def test_four_tills_refund_one_walk_in_sale(db):
    ctx = _shop(db)
    sale = checkout(ctx, Cart((CartLine("TEA", 2),)), [Tender("cash", 2 * PRICE)])
    results = _race(db, sale.receipt_no, None)
    assert [r for r in results if r[0] == "error"] == []
    assert sorted(r[0] for r in results) == ["ok", "refused", "refused", "refused"]
    # The losers are told the sale has already been refunded (not a balance or points refusal).
    assert {r[1] for r in results if r[0] == "refused"} == {"sale_refunded"}
    assert _money_back(db, sale.sale_id) == sale.total == 2 * PRICE
    assert _refunded_units(db, sale.sale_id) == 2
    assert ledger_faults(db) == []
    report = run_check(ctx)
    assert report.ok, [f.en for f in report.faults]


def test_four_tills_refund_units_of_one_member_line(db):
    ctx = _shop(db)
    m = member(ctx)
    fund(ctx, m.id, principal=10_000)
    sale = checkout(ctx, Cart((CartLine("TEA", 2),), member_id=m.id), [Tender("wallet", 2 * PRICE)])
    assert sale.points_earned > 0
    results = _race(db, sale.receipt_no, [(1, 1)])   # each till returns one unit of the 2-unit line
    assert [r for r in results if r[0] == "error"] == []
    assert sorted(r[0] for r in results) == ["ok", "ok", "refused", "refused"]
    assert {r[1] for r in results if r[0] == "refused"} == {"refund_line_refunded"}
    assert _money_back(db, sale.sale_id) == sale.total
    assert _refunded_units(db, sale.sale_id) == 2
    assert ledger_faults(db) == []
    report = run_check(ctx)
    assert report.ok, [f.en for f in report.faults]
