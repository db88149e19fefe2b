"""Stock rules (services/sales/inventory.py): receiving, adjusting, the stocktake, low stock, history,
the till's shortage warning, and sales and refunds moving stock; every refusal changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, PermissionDenied, ShopError, ValidationError, render
from app.models import AuditLog, Product
from app.services.admin.integrity import run_check
from app.services.base import settings
from app.services.base.context import Actor
from app.services.sales import checkout, inventory, pricing, refunds
from app.services.sales.checkout import Cart, CartLine, Tender
from tests.shop import stock_shop
from tests.stock_shop import entries, on_hand, stock_faults, track


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    track(ctx, "COF", reorder_level=5)
    track(ctx, "TEA", reorder_level=2)
    return ctx


def audit_rows(db, action):
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(AuditLog).where(AuditLog.action == action)).scalar()


def sell(ctx, sku, qty=1):
    total = pricing.price_cart(ctx, Cart((CartLine(sku, qty),))).total
    return checkout.checkout(ctx, Cart((CartLine(sku, qty),)), [Tender("cash", total)])


def test_receive_adds_stock_by_sku_barcode_or_id_and_may_set_the_cost(shop, db):
    move = inventory.receive(shop, "COF", 12, unit_cost=3100, supplier="云南豆仓", note="box 1")
    assert (move.before, move.after, move.qty) == (0, 12, 12)
    inventory.receive(shop, "690000000000", "3")           # the barcode; a typed number
    inventory.receive(shop, "cof", 1, unit_cost=3300, update_cost=True)
    assert on_hand(db, "COF") == 16
    assert entries(db, "COF") == [("received", 12), ("received", 3), ("received", 1)]
    with db.session(write=False) as s:
        assert s.execute(select(Product.cost).where(Product.sku == "COF")).scalar() == 3300
    hist = inventory.history(shop, "COF")
    assert [(h.kind, h.qty, h.after) for h in hist] == [("received", 1, 16), ("received", 3, 15), ("received", 12, 12)]
    assert hist[-1].supplier == "云南豆仓" and hist[-1].unit_cost == 3100 and hist[-1].note == "box 1"
    assert run_check(shop).ok


@pytest.mark.parametrize("qty, code", [
    (0, "stock_qty_range"), (-3, "stock_qty_range"), (100_001, "stock_qty_range"), ("10000000000000", "stock_qty_range"),
    (1.5, "stock_qty_invalid"), ("2.5", "stock_qty_invalid"), ("twelve", "stock_qty_invalid"), ("", "stock_qty_invalid"),
    (True, "stock_qty_invalid"), (None, "stock_qty_invalid"), ("١٢", "stock_qty_invalid"), ("--3", "stock_qty_invalid"),
])
def test_receive_refuses_quantities_that_are_not_sane_whole_numbers(shop, db, qty, code):
    with pytest.raises(ValidationError) as err:
        inventory.receive(shop, "COF", qty)
    assert err.value.code == code
    assert "Coffee beans" in render(err.value, "en") and "咖啡豆" in render(err.value, "zh_CN")
    assert on_hand(db, "COF") == 0 and entries(db) == []


def test_receive_refuses_untracked_inactive_unknown_and_bad_text(shop, db):
    with pytest.raises(ValidationError) as err:
        inventory.receive(shop, "MUG", 1)
    assert err.value.code == "stock_not_tracked" and "Track stock" in render(err.value, "en")
    with shop.tx() as t:
        t.s.get(Product, track(shop, "TEA", reorder_level=2)).active = False
    with pytest.raises(ValidationError, match="inactive"):
        inventory.receive(shop, "TEA", 1)
    with pytest.raises(NotFound):
        inventory.receive(shop, "NOPE", 1)
    with pytest.raises(ValidationError) as err:
        inventory.receive(shop, "COF", 1, supplier="bad\u202eevil")
    assert err.value.code == "text_bad_char"
    with pytest.raises(ValidationError) as err:
        inventory.receive(shop, "COF", 1, unit_cost=-5)
    assert err.value.code == "amount_negative"
    assert entries(db) == []


def test_cashier_may_not_receive_adjust_or_count(shop, cashier_ctx, db):
    for call in (lambda: inventory.receive(cashier_ctx, "COF", 1),
                 lambda: inventory.adjust(cashier_ctx, "COF", 1, "found"),
                 lambda: inventory.post_stocktake(cashier_ctx, {"COF": 1})):
        with pytest.raises(PermissionDenied) as err:
            call()
        assert "cashier" in render(err.value, "en")
    manager = shop.as_actor(Actor(None, "manager", "manager"))
    inventory.receive(manager, "COF", 2)
    assert on_hand(db, "COF") == 2


def test_adjust_needs_a_reason_is_audited_and_stops_at_zero(shop, db):
    inventory.receive(shop, "COF", 5)
    with pytest.raises(ValidationError) as err:
        inventory.adjust(shop, "COF", -1, "   ")
    assert err.value.code == "reason_required"
    with pytest.raises(ValidationError) as err:
        inventory.adjust(shop, "COF", 0, "nothing")
    assert err.value.code == "adjust_nothing"
    with pytest.raises(ValidationError) as err:
        inventory.adjust(shop, "COF", -6, "broken")
    assert err.value.code == "stock_adjust_below_zero" and "5" in render(err.value, "en")
    with pytest.raises(ValidationError):
        inventory.adjust(shop, "COF", "x", "broken")
    assert on_hand(db, "COF") == 5 and audit_rows(db, "stock.adjust") == 0
    move = inventory.adjust(shop, "COF", -2, "two bags torn")
    assert (move.before, move.after) == (5, 3)
    assert entries(db, "COF")[-1] == ("adjusted", -2)
    assert inventory.history(shop, "COF")[0].note == "two bags torn"
    assert audit_rows(db, "stock.adjust") == 1


def test_stocktake_previews_then_posts_one_counted_entry_per_difference(shop, db):
    inventory.receive(shop, "COF", 10)
    inventory.receive(shop, "TEA", 4)
    counts = {"COF": 8, "TEA": "4"}
    rows = inventory.preview_stocktake(shop, counts)
    assert [(r.sku, r.on_hand, r.counted, r.difference) for r in rows] == [("COF", 10, 8, -2), ("TEA", 4, 4, 0)]
    assert entries(db) == [("received", 10), ("received", 4)]    # a preview writes nothing
    result = inventory.post_stocktake(shop, counts, ref="Dec count", note="shelf and back room")
    assert result.posted == 1 and result.ref == "Dec count"
    assert on_hand(db, "COF") == 8 and on_hand(db, "TEA") == 4
    assert entries(db, "COF")[-1] == ("counted", -2) and entries(db, "TEA") == [("received", 4)]
    assert audit_rows(db, "stock.count") == 1
    assert run_check(shop).ok and stock_faults(db) == []


@pytest.mark.parametrize("counts, code, named", [
    ({"COF": 3, "TEA": -1}, "stock_qty_range", "Green tea"),
    ({"COF": 3, "TEA": 2.5}, "stock_qty_invalid", "Green tea"),
    ({"COF": 3, "TEA": "lots"}, "stock_qty_invalid", "Green tea"),
    ({"COF": 3, "MUG": 1}, "stock_not_tracked", "Mug"),
    ({"COF": 3, "NOPE": 1}, "sku_unknown", "NOPE"),
    ({"COF": 3, "690000000000": 1}, "stocktake_twice", "Coffee beans"),
    ({}, "stocktake_empty", ""),
    ({"COF": 3, "TEA": 10_000_000}, "stock_qty_range", "Green tea"),
])
def test_a_bad_stocktake_row_names_the_product_and_changes_nothing(shop, db, counts, code, named):
    inventory.receive(shop, "COF", 10)
    for call in (inventory.preview_stocktake, inventory.post_stocktake):
        with pytest.raises(ShopError) as err:
            call(shop, counts)
        assert err.value.code == code
        assert named in render(err.value, "en")
        assert render(err.value, "zh_TW") != render(err.value, "en")
    assert on_hand(db, "COF") == 10 and entries(db) == [("received", 10)]
    assert audit_rows(db, "stock.count") == 0


def test_a_stocktake_of_an_inactive_product_is_refused(shop, db):
    inventory.receive(shop, "TEA", 3)
    with shop.tx() as t:
        t.s.execute(Product.__table__.update().where(Product.sku == "TEA").values(active=False))
    with pytest.raises(ValidationError) as err:
        inventory.post_stocktake(shop, {"COF": 1, "TEA": 0})
    assert err.value.code == "stock_inactive" and "Green tea" in render(err.value, "en")
    assert on_hand(db, "COF") == 0 and on_hand(db, "TEA") == 3
    inventory.adjust(shop, "TEA", -3, "discontinued, written off")   # still possible to write it off
    assert on_hand(db, "TEA") == 0


def test_low_stock_lists_tracked_products_at_or_below_their_level_by_shortfall(shop, db):
    inventory.receive(shop, "COF", 4)    # level 5: 1 short
    inventory.receive(shop, "TEA", 3)    # level 2: fine
    track(shop, "MUG")                   # no level, none in stock: run out
    track(shop, "GIFT", reorder_level=10)  # 10 short
    low = inventory.low_stock(shop)
    assert [(r.sku, r.shortfall) for r in low] == [("GIFT", 10), ("COF", 1), ("MUG", 0)]
    assert [r.sku for r in inventory.tracked(shop)] == ["COF", "GIFT", "TEA", "MUG"]   # by name
    assert [r.sku for r in inventory.tracked(shop, low_only=True)] == ["GIFT", "COF", "MUG"]


def test_a_sale_and_its_refund_move_tracked_stock_only(shop, db):
    inventory.receive(shop, "COF", 5)
    sale = checkout.checkout(shop, Cart((CartLine("COF", 2), CartLine("MUG", 1))), [Tender("cash", 20000)])
    assert on_hand(db, "COF") == 3 and entries(db, "MUG") == []
    refunds.refund(shop, sale.receipt_no, [refunds.RefundLine(1, 1)], reason="one bag back")
    assert on_hand(db, "COF") == 4
    assert entries(db, "COF") == [("received", 5), ("sold", -2), ("refunded", 1)]
    hist = inventory.history(shop, "COF")
    assert hist[1].kind == "sold" and hist[1].receipt_no == sale.receipt_no
    assert run_check(shop).ok


def test_shortages_name_what_the_cart_would_take_below_zero(shop, db):
    inventory.receive(shop, "COF", 2)
    cart = Cart((CartLine("COF", 2), CartLine("TEA", 1), CartLine("COF", 1), CartLine("MUG", 5)))
    short = inventory.shortages(shop, pricing.price_cart(shop, cart))
    assert sorted((s.sku, s.on_hand, s.qty, s.after) for s in short) == [("COF", 2, 3, -1), ("TEA", 0, 1, -1)]
    assert inventory.shortages(shop, pricing.price_cart(shop, Cart((CartLine("COF", 2),)))) == []


def test_warn_mode_sells_below_zero_and_refuse_mode_changes_nothing(shop, db):
    inventory.receive(shop, "COF", 1)
    sell(shop, "COF", 2)                       # warn (the default): sold, stock -1
    assert on_hand(db, "COF") == -1
    settings.update(shop, negative_stock="refuse")
    with db.session(write=False) as s:
        sales_before = s.execute(select(func.count()).select_from(checkout.Sale)).scalar()
    with pytest.raises(ValidationError) as err:
        sell(shop, "COF", 1)
    assert err.value.code == "stock_short"
    with db.session(write=False) as s:
        assert s.execute(select(func.count()).select_from(checkout.Sale)).scalar() == sales_before
    assert on_hand(db, "COF") == -1 and entries(db, "COF") == [("received", 1), ("sold", -2)]
    inventory.post_stocktake(shop, {"COF": 6})
    sell(shop, "COF", 6)                       # down to exactly zero is fine
    assert on_hand(db, "COF") == 0 and run_check(shop).ok
