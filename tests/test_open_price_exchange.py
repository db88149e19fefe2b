"""Open-price lines (无码商品) and points exchange (积分兑换): pricing, checkout, refunds, bad input."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import InsufficientFunds, NotFound, ValidationError, render
from app.models import PointsEntry, Product, Sale, SaleLine, StockEntry
from app.services.admin.integrity import run_check
from app.services.base import settings
from app.services.ledger import stock
from app.services.members.members import get_member
from app.services.sales.cart import OPEN_SKU
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from app.services.sales import receipt
from app.services.sales.refunds import RefundLine, refund
from tests.sell_shop import add_category, set_product
from tests.shop import fund, ledger_faults, member, stock_shop


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    add_category(ctx, "Snacks 零食")                                  # both allowed
    add_category(ctx, "Tobacco 烟草", points=False, discount=False)
    add_category(ctx, "Old 旧", active=False)
    return ctx


def _open(price, category="", qty=1):
    return CartLine(OPEN_SKU, qty, open_price=price, category=category)


def _state(ctx):
    with ctx.tx(write=False) as t:
        return (t.s.execute(select(func.count()).select_from(Sale)).scalar(),
                t.s.execute(select(func.count()).select_from(PointsEntry)).scalar(),
                t.s.execute(select(func.count()).select_from(StockEntry)).scalar())


# --- open-price lines -----------------------------------------------------------------------------
def test_an_open_price_line_sells_without_a_product_named_in_the_shops_language(shop):
    r = checkout(shop, Cart(lines=(_open(1250, qty=2), CartLine("TEA"))), [Tender("cash", 10000)])
    assert r.total == 2500 + 3333
    with shop.tx(write=False) as t:
        line = t.s.execute(select(SaleLine).where(SaleLine.sale_id == r.sale_id, SaleLine.line_no == 1)).scalar_one()
        assert (line.product_id, line.sku, line.name, line.unit_price, line.line_total, line.category) == \
            (None, "OPEN", "无码商品", 1250, 2500, "")     # the shop speaks zh_CN by default
    printed = receipt.layout(receipt.build_receipt(shop, r.receipt_no), 32, "zh_CN")
    assert any("无码商品" in x for x in printed)
    settings.update(shop, language="en")
    assert price_cart(shop, Cart(lines=(_open(100),))).lines[0].name == "Open item"
    assert ledger_faults(shop.db) == [] and run_check(shop).ok


def test_category_rules_apply_to_open_price_lines(shop):
    silver = member(shop, tier="silver")   # 5% off, 1 point per yuan
    snacks = price_cart(shop, Cart(lines=(_open(2000, "Snacks 零食"),), member_id=silver.id))
    assert (snacks.lines[0].name, snacks.lines[0].category, snacks.lines[0].tier_discount, snacks.points_base) == \
        ("Snacks 零食", "Snacks 零食", 100, 1900)
    tobacco = price_cart(shop, Cart(lines=(_open(2000, "Tobacco 烟草"),), member_id=silver.id, discount_bp=1000))
    assert (tobacco.lines[0].tier_discount, tobacco.lines[0].manual_discount, tobacco.points_base) == (0, 0, 0)
    none = price_cart(shop, Cart(lines=(_open(2000),), member_id=silver.id))
    assert (none.lines[0].tier_discount, none.points_base) == (100, 1900)
    r = checkout(shop, Cart(lines=(_open(2000, "Tobacco 烟草"),), member_id=silver.id), [Tender("cash", 2000)])
    assert r.points_earned == 0


@pytest.mark.parametrize("line,code", [
    (_open(0), "amount_zero"),
    (_open(-100), "amount_negative"),
    (_open(12.5), "amount_invalid"),            # a float never reaches the database
    (_open(10_000_001), "open_price_over"),       # over the default 100,000.00
    (_open(500, "Nope"), "open_category_unknown"),
    (_open(500, "Old 旧"), "open_category_unknown"),    # an inactive category
    (CartLine(OPEN_SKU, 0, open_price=500), "quantity_invalid"),
])
def test_bad_open_price_lines_are_refused_and_nothing_changes(shop, line, code):
    before = _state(shop)
    with pytest.raises((ValidationError, NotFound)) as e:
        checkout(shop, Cart(lines=(line,)), [Tender("cash", 100000)])
    assert e.value.code == code
    assert _state(shop) == before


def test_the_open_price_limit_is_a_shop_setting(shop):
    assert settings.load(shop).open_price_max == 10_000_000
    for bad in (0, -1, True, 1.5, "100"):
        with pytest.raises(ValidationError):
            settings.update(shop, open_price_max=bad)
    settings.update(shop, open_price_max=5000)
    with pytest.raises(ValidationError) as e:
        price_cart(shop, Cart(lines=(_open(5001),)))
    assert e.value.code == "open_price_over" and "50.01" in render(e.value) and "50.00" in render(e.value)
    assert price_cart(shop, Cart(lines=(_open(5000),))).total == 5000


def test_open_price_lines_refund_in_part_and_in_full(shop):
    r = checkout(shop, Cart(lines=(_open(1000, "Snacks 零食", qty=3),)), [Tender("cash", 3000)])
    part = refund(shop, r.receipt_no, [RefundLine(1, 1)], reason="returned one")
    assert part.preview.value == 1000
    rest = refund(shop, r.receipt_no, None, reason="returned the rest")
    assert rest.preview.value == 2000
    with shop.tx(write=False) as t:
        lines = t.s.execute(select(SaleLine.qty, SaleLine.product_id, SaleLine.category)
                            .where(SaleLine.original_line_id.is_not(None)).order_by(SaleLine.id)).all()
    assert [tuple(x) for x in lines] == [(-1, None, "Snacks 零食"), (-2, None, "Snacks 零食")]
    assert ledger_faults(shop.db) == [] and run_check(shop).ok


# --- points exchange -------------------------------------------------------------------------------
@pytest.fixture
def exchange_shop(shop):
    set_product(shop, "MUG", points_price=300, track_stock=True)
    with shop.tx() as t:
        pid = t.s.execute(select(Product.id).where(Product.sku == "MUG")).scalar_one()
        stock.post_stock(t, pid, "opening", 10)
    return shop


def _on_hand(ctx, sku="MUG"):
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Product.on_hand).where(Product.sku == sku)).scalar_one()


def test_exchange_takes_points_moves_stock_earns_nothing_and_refunds_exactly(exchange_shop):
    shop = exchange_shop
    m = member(shop)
    fund(shop, m.id, points=1000)
    priced = price_cart(shop, Cart(lines=(CartLine("MUG", 2, exchange=True),), member_id=m.id))
    assert (priced.total, priced.exchange_points, priced.lines[0].exchange_points, priced.lines[0].line_total) == \
        (0, 600, 600, 0)
    r = checkout(shop, Cart(lines=(CartLine("MUG", 2, exchange=True),), member_id=m.id), [])
    assert (r.total, r.payments, r.points_earned, r.points_balance) == (0, (), 0, 400)
    assert _on_hand(shop) == 8
    with shop.tx(write=False) as t:
        assert t.s.execute(select(SaleLine.exchange_points).where(SaleLine.sale_id == r.sale_id)).scalar() == 600
        kinds = t.s.execute(select(PointsEntry.kind, PointsEntry.points).where(PointsEntry.sale_id == r.sale_id)).all()
    assert [tuple(k) for k in kinds] == [("redeem", -600)]
    assert ledger_faults(shop.db) == [] and run_check(shop).ok
    printed = receipt.layout(receipt.build_receipt(shop, r.receipt_no), 32, "zh_CN")
    assert any("积分兑换" in x and x.rstrip().endswith("600") for x in printed)   # the points show on the receipt

    part = refund(shop, r.receipt_no, [RefundLine(1, 1)], reason="one back")
    assert (part.preview.exchange_points_back, part.points_balance, _on_hand(shop)) == (300, 700, 9)
    rest = refund(shop, r.receipt_no, None, reason="the other")
    assert (rest.points_balance, _on_hand(shop)) == (1000, 10)
    assert get_member(shop, m.id).points == 1000
    assert ledger_faults(shop.db) == [] and run_check(shop).ok


def test_exchange_beside_paid_lines_earns_only_on_the_paid_ones(exchange_shop):
    shop = exchange_shop
    m = member(shop)
    fund(shop, m.id, points=500)
    r = checkout(shop, Cart(lines=(CartLine("MUG", exchange=True), CartLine("COF")), member_id=m.id),
                 [Tender("cash", 5800)])
    assert (r.total, r.points_earned, r.points_balance) == (5800, 58, 500 - 300 + 58)
    assert ledger_faults(shop.db) == []


@pytest.mark.parametrize("points,lines,tenders,error,code", [
    (500, (CartLine("MUG", 2, exchange=True),), [], InsufficientFunds, "points_insufficient"),
    (None, (CartLine("MUG", exchange=True),), [], ValidationError, "member_required"),
    (1000, (CartLine("TEA", exchange=True),), [], ValidationError, "exchange_unavailable"),
    (1000, (CartLine(OPEN_SKU, open_price=100, exchange=True),), [], ValidationError, "exchange_unavailable"),
    # 300 for the mug, then 800 points tendered for the coffee: 1100 > 1000
    (1000, (CartLine("MUG", exchange=True), CartLine("COF")), [Tender("points", points=800), Tender("cash", 5000)],
     InsufficientFunds, "points_insufficient"),
])
def test_exchange_refusals_change_nothing(exchange_shop, points, lines, tenders, error, code):
    shop = exchange_shop
    mid = None
    if points is not None:
        mid = member(shop).id
        fund(shop, mid, points=points)
    before = _state(shop), _on_hand(shop)
    with pytest.raises(error) as e:
        checkout(shop, Cart(lines=lines, member_id=mid), tenders)
    assert e.value.code == code
    assert (_state(shop), _on_hand(shop)) == before
    if mid is not None:
        assert get_member(shop, mid).points == points


def test_a_held_cart_keeps_its_open_price_and_exchanged_lines(exchange_shop):
    from app.services.sales import held

    m = member(exchange_shop)
    cart = Cart(lines=(_open(1250, "Snacks 零食", qty=2), CartLine("MUG", exchange=True)), member_id=m.id)
    view = held.hold(exchange_shop, cart, "x")
    assert held.recall(exchange_shop, view.id) == cart
