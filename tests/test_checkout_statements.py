"""The checkout's lean write path: how many statements a member's sale sends, that the write lock is
taken after its reads, and that a member changed by another till between the reads and the lock is
read again and the sale planned again (never decided on stale balances)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app.db import Database
from app.errors import InsufficientFunds
from app.models import Member, Sale, WalletEntry
from app.services.base.context import Ctx
from app.services.members.members import get_member
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from tests.shop import fund, ledger_faults, member, stock_shop


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    return ctx


def _sa_statements(db, fn):
    """Statements sent through SQLAlchemy (its engine events) while ``fn`` runs."""
    seen = []

    def grab(conn, cursor, statement, *a):
        seen.append(statement)

    engines = {id(e): e for e in (db.engine, db.write_engine)}.values()
    for e in engines:
        event.listen(e, "before_cursor_execute", grab)
    try:
        result = fn()
    finally:
        for e in engines:
            event.remove(e, "before_cursor_execute", grab)
    return result, seen


def _traced(db, fn):
    """Every statement SQLite itself runs on the till's writing connection while ``fn`` runs."""
    seen = []
    raw = db.write_engine.raw_connection()
    try:
        raw.dbapi_connection.set_trace_callback(seen.append)
    finally:
        raw.close()
    try:
        return fn(), seen
    finally:
        raw = db.write_engine.raw_connection()
        raw.dbapi_connection.set_trace_callback(None)
        raw.close()


def _member_sale(shop, m):
    cart = Cart((CartLine("COF"), CartLine("TEA"), CartLine("690000000001")), member_id=m.id)
    total = price_cart(shop, cart).total
    return lambda: checkout(shop, cart, [Tender("wallet", total)])


def test_member_checkout_sends_no_statement_through_the_orm_or_core(shop):
    m = member(shop)
    fund(shop, m.id, principal=100_000)
    _member_sale(shop, m)()  # settings, tiers and products are now kept by the process, as at a till
    r, seen = _sa_statements(shop.db, _member_sale(shop, m))
    assert r.points_earned > 0 and r.message_id is not None
    assert seen == [], seen
    assert ledger_faults(shop.db) == []


@pytest.mark.sqlite_only
def test_member_checkout_statements_read_first_then_write_in_one_burst(shop):
    m = member(shop)
    fund(shop, m.id, principal=100_000)
    _member_sale(shop, m)()
    r, seen = _traced(shop.db, _member_sale(shop, m))
    first = [x.split()[0].upper() for x in seen]
    # One read of the member (its columns, no ORM load; no tiers read: kept per process), then the
    # write lock, then every write once, then COMMIT: 3 lines by one executemany.
    assert first[0] == "SELECT" and " members" in seen[0] and seen[1] == "BEGIN IMMEDIATE", seen
    assert first[-1] == "COMMIT", seen
    assert set(first[2:-1]) <= {"INSERT", "UPDATE"}, seen
    assert sum(x.upper().startswith("UPDATE MEMBERS") for x in seen) == 1, seen
    assert len(seen) <= 13, seen   # was 16: two reads more and three updates of the member
    assert r.wallet_balance == get_member(shop, m.id).balance


def test_tier_crossing_updates_the_tier_on_the_lean_path(shop):
    m = member(shop)
    fund(shop, m.id, principal=500_000)
    # 1,990.00 spent: the next sale passes silver's 2,000.00
    with shop.tx() as t:
        t.s.get(Member, m.id).total_spent = 199_000
    r = checkout(shop, Cart((CartLine("COF", 2),), member_id=m.id), [Tender("wallet", 11_600)])
    assert r.tier_upgraded_to == "silver"
    v = get_member(shop, m.id)
    assert v.tier_code == "silver" and v.total_spent == 199_000 + 11_600 and v.visits == 1
    # the next sale is priced at silver's discount
    assert price_cart(shop, Cart((CartLine("COF"),), member_id=m.id)).tier_discount > 0


def _other_till(shop) -> Database:
    return Database(shop.db.url)


def _before_the_lock(monkeypatch, shop, action):
    """Run ``action`` (another till's work, on its own connection) once, just before checkout takes
    the write lock: after the sale was planned on the member as read."""
    original = Database.write_lock
    done = []

    def write_lock(self, session):
        if not done:
            done.append(True)
            action()
        return original(self, session)

    monkeypatch.setattr(Database, "write_lock", write_lock)


def test_a_balance_spent_meanwhile_by_another_till_is_read_again(monkeypatch, shop):
    m = member(shop)
    fund(shop, m.id, principal=10_000)
    other = _other_till(shop)
    try:
        other_ctx = Ctx(db=other, actor=shop.actor, till="T2", clock=shop.clock)
        cart = Cart((CartLine("COF"),), member_id=m.id)   # 58.00
        _before_the_lock(monkeypatch, shop,
                         lambda: checkout(other_ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("wallet", 5800)]))
        # planned on 100.00; by the lock only 42.00 is left: refused, nothing written by this till
        with pytest.raises(InsufficientFunds):
            checkout(shop, cart, [Tender("wallet", 5800)])
    finally:
        other.dispose()
    with shop.db.session(write=False) as s:
        assert s.execute(select(func.count()).select_from(Sale)).scalar() == 1
        assert s.execute(select(func.sum(WalletEntry.principal))).scalar() == 10_000 - 5800
    assert get_member(shop, m.id).balance == 10_000 - 5800
    assert ledger_faults(shop.db) == []


def test_a_member_changed_meanwhile_still_sells_on_fresh_values(monkeypatch, shop):
    m = member(shop)
    fund(shop, m.id, principal=30_000, bonus=10_000)
    other = _other_till(shop)
    try:
        other_ctx = Ctx(db=other, actor=shop.actor, till="T2", clock=shop.clock)
        _before_the_lock(monkeypatch, shop,
                         lambda: checkout(other_ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("wallet", 5800)]))
        r = checkout(shop, Cart((CartLine("COF"),), member_id=m.id), [Tender("wallet", 5800)])
    finally:
        other.dispose()
    v = get_member(shop, m.id)
    assert v.balance == 40_000 - 2 * 5800 == r.wallet_balance
    assert v.visits == 2 and v.total_spent == 2 * 5800
    assert ledger_faults(shop.db) == []


@pytest.mark.parametrize("currency", ["CNY", "TWD", "HKD", "JPY", "USD", "KWD"])
@pytest.mark.parametrize("lang", ["en", "zh_CN", "zh_TW"])
def test_plain_amounts_are_written_as_babel_writes_them(currency, lang):
    """The e-bill's amounts skip babel where plain Python writes the same text: proved here."""
    import random

    from babel.numbers import format_decimal

    from app import money

    rng = random.Random(currency + lang)
    for minor in [0, 1, -1, 99, 100, 20000, -20000, 123456789, 10**12] + [rng.randrange(-10**9, 10**9) for _ in range(300)]:
        exp = 0 if money.whole_at_till(minor, currency) else money.exponent(currency)
        fmt = "#,##0" + ("." + "0" * exp if exp else "")
        babel = format_decimal(money.to_major(minor, currency), format=fmt, locale=money._babel_locale(lang))
        assert money.format_plain(minor, currency, lang) == babel, (minor, currency, lang)
        assert money.format_int(minor, lang) == format_decimal(minor, locale=money._babel_locale(lang))
