"""Four tills cash out one member's stored value, or refund one top-up, at the same instant: one
pays out, the others are refused with the plain reason (nothing left / already refunded), and the
balance equals its ledger. On SQLite and (SHOPCARE_TEST_PG) PostgreSQL."""
from __future__ import annotations

from datetime import datetime

from app.services.base import setup
from app.services.ledger import wallet
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.admin.integrity import run_check
from tests.shop import confirmed, race, ledger_faults, member

TILLS = 4


def _till(url: str, what: str, key: int, till: str, start, q) -> None:
    from app.db import Database
    from app.errors import ShopError
    from app.services.ledger import wallet as w
    from tests.shop import confirmed as conf

    db = Database(url)
    ctx = conf(Ctx(db=db, actor=Actor(None, "manager", "manager"), till=till,
                   clock=FixedClock(datetime(2026, 3, 2, 12))))
    start.wait()
    try:
        if what == "cashout":
            q.put(("ok", w.cashout(ctx, key, "moving away").principal_paid_back))
        else:
            q.put(("ok", w.refund_topup(ctx, key, "changed mind").principal_paid_back))
    except ShopError as exc:
        q.put(("refused", exc.code))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        q.put(("error", repr(exc)))
    finally:
        db.dispose()


def _race(db, what: str, key: int):
    for code in ("T2", "T3", "T4", "T5"):
        setup.ensure_defaults(Ctx(db=db, till=code))
    return race(_till, (db.url, what, key), [f"T{i + 2}" for i in range(TILLS)])


def _ctx(db):
    ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1",
                        clock=FixedClock(datetime(2026, 3, 2, 10))))
    setup.ensure_defaults(ctx)
    return ctx


def test_four_tills_cash_out_one_balance(db):
    ctx = _ctx(db)
    m = member(ctx)
    wallet.topup(ctx, m.id, 26_900)
    results = _race(db, "cashout", m.id)
    assert [r for r in results if r[0] == "error"] == []
    assert sorted(results) == [("ok", 26_900)] + [("refused", "cashout_nothing")] * 3
    assert wallet.balance(ctx, m.id).total == 0
    assert ledger_faults(db) == [] and run_check(ctx).ok


def test_four_tills_refund_one_top_up(db):
    ctx = _ctx(db)
    m = member(ctx)
    top = wallet.topup(ctx, m.id, 26_900)
    results = _race(db, "topup", top.topup_id)
    assert [r for r in results if r[0] == "error"] == []
    assert sorted(results) == [("ok", 26_900)] + [("refused", "topup_refunded")] * 3
    assert wallet.balance(ctx, m.id).total == 0
    assert ledger_faults(db) == [] and run_check(ctx).ok
