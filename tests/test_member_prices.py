"""Member prices (会员价) at the till: the tier's price per product, no further tier discount on it,
"no member discount" products, and the price-override permission only for a price other than the
one that applies to this customer."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from app.errors import PermissionDenied
from app.models import SaleLine
from app.services.base.context import Actor
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from tests.sell_shop import set_member_price, set_product
from tests.shop import ledger_faults, member, stock_shop


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    set_member_price(ctx, "COF", "gold", 5000)     # list 58.00
    set_member_price(ctx, "COF", "silver", 5500)
    return ctx


def _line(ctx, sku, member_id=None, **kw):
    return price_cart(ctx, Cart(lines=(CartLine(sku, **kw),), member_id=member_id)).lines[0]


@pytest.mark.parametrize("tier,unit,member_price,tier_off", [
    ("gold", 5000, 5000, 0),         # the tier's price; no 10% gold discount on top of it
    ("silver", 5500, 5500, 0),
    ("ordinary", 5800, None, 0),     # no member price for the tier: the list price
])
def test_each_tier_gets_its_own_member_price(shop, tier, unit, member_price, tier_off):
    m = member(shop, tier=tier)
    pl = _line(shop, "COF", m.id)
    assert (pl.unit_price, pl.list_price, pl.member_price, pl.tier_discount) == (unit, 5800, member_price, tier_off)
    assert pl.line_total == unit - tier_off and not pl.price_overridden


def test_walk_in_pays_the_list_price_and_a_product_without_member_price_keeps_the_tier_discount(shop):
    assert _line(shop, "COF").unit_price == 5800
    silver = member(shop, tier="silver")
    tea = _line(shop, "TEA", silver.id)  # 33.33, silver 5% off, no member price
    assert (tea.unit_price, tea.member_price, tea.tier_discount) == (3333, None, 167)


def test_no_member_price_product_gets_neither_member_price_nor_tier_discount(shop):
    set_product(shop, "COF", no_member_price=True)
    for tier in ("gold", "silver"):
        pl = _line(shop, "COF", member(shop, phone=f"1390000000{len(tier)}", tier=tier).id)
        assert (pl.unit_price, pl.member_price, pl.tier_discount, pl.line_total) == (5800, None, 0, 5800)


def test_repricing_follows_the_member_attached_changed_removed(shop):
    gold, silver = member(shop, tier="gold"), member(shop, phone="13900000001", tier="silver")
    cart = Cart(lines=(CartLine("COF", 2),))
    totals = [price_cart(shop, Cart(lines=cart.lines, member_id=mid)).total for mid in (gold.id, silver.id, None)]
    assert totals == [10000, 11000, 11600]


def test_override_permission_only_when_the_typed_price_differs_from_the_price_that_applies(shop, cashier_ctx):
    gold = member(shop, tier="gold")
    # the cashier types the member price: it is the price that applies, no permission needed
    pl = _line(cashier_ctx, "COF", gold.id, unit_price=5000)
    assert (pl.unit_price, pl.price_overridden) == (5000, False)
    # the list price is not what applies to a gold member: that needs a manager
    with pytest.raises(PermissionDenied) as e:
        _line(cashier_ctx, "COF", gold.id, unit_price=5800)
    assert e.value.code == "price_override_denied"
    # a walk-in at the list price: no override either
    assert not _line(cashier_ctx, "COF", unit_price=5800).price_overridden
    manager = shop.as_actor(Actor(None, "manager", "manager"))
    pl = _line(manager, "COF", gold.id, unit_price=4000)
    assert (pl.unit_price, pl.price_overridden, pl.member_price, pl.tier_discount) == (4000, True, None, 0)


def test_a_member_price_sale_records_list_and_unit_price(shop):
    gold = member(shop, tier="gold")
    r = checkout(shop, Cart(lines=(CartLine("COF", 3), CartLine("TEA")), member_id=gold.id),
                 [Tender("cash", 20000)])
    with shop.tx(write=False) as t:
        lines = t.s.query(SaleLine).filter_by(sale_id=r.sale_id).order_by(SaleLine.line_no).all()
        assert [(x.unit_price, x.list_price, x.tier_discount) for x in lines] == [(5000, 5800, 0), (3333, 3333, 333)]
    assert r.total == 15000 + 3000
    assert ledger_faults(shop.db) == []


def test_member_prices_are_read_in_one_query_per_cart(shop, db):
    gold = member(shop, tier="gold")
    for sku in ("TEA", "MUG", "GIFT", "CUT"):
        set_member_price(shop, sku, "gold", 100)
    seen = []

    def count(conn, cursor, statement, *a):
        if "member_prices" in statement:
            seen.append(statement)

    engines = {id(e): e for e in (db.engine, getattr(db, "write_engine", db.engine))}.values()
    for e in engines:
        event.listen(e, "before_cursor_execute", count)
    try:
        priced = price_cart(shop, Cart(lines=tuple(CartLine(s) for s in ("COF", "TEA", "MUG", "GIFT", "CUT")),
                                       member_id=gold.id))
    finally:
        for e in engines:
            event.remove(e, "before_cursor_execute", count)
    assert [x.unit_price for x in priced.lines] == [5000, 100, 100, 100, 100]
    assert len(seen) == 1
