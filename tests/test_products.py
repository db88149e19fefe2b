"""Keeping the catalogue: every rule of the product editor and the categories, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Duplicate, NotFound, PermissionDenied, ValidationError
from app.models import AuditLog, MemberPrice, Product, ProductBarcode
from app.services.admin.integrity import run_check
from app.services.sales import catalog, products
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.products import ProductInput


def _latte(**kw) -> ProductInput:
    base = dict(sku="LT01", name="拿铁", price=2800, barcodes=("6901000000017", "6901000000024"), category="咖啡",
                unit="杯", member_prices={"gold": 2500}, cost=900, favourite=True, colour="#AA5500")
    base.update(kw)
    return ProductInput(**base)


@pytest.fixture
def shop(ctx):
    products.add_category(ctx, "咖啡")
    products.add_category(ctx, "服务")
    return ctx


def test_create_keeps_every_field_and_finds_it_by_each_code_and_pinyin(shop):
    v = products.create(shop, _latte())
    assert (v.sku, v.name, v.price, v.category, v.unit, v.cost, v.favourite, v.colour) == \
        ("LT01", "拿铁", 2800, "咖啡", "杯", 900, True, "#AA5500")
    assert v.barcodes == ("6901000000017", "6901000000024")
    assert products.detail(shop, v.id).member_prices == {"gold": 2500}
    with shop.tx(write=False) as t:
        for code in ("LT01", "lt01", "6901000000024"):
            assert catalog.lookup(t, code).id == v.id
    assert [p.id for p in catalog.search(shop, "nt")] == [v.id]
    assert [p.id for p in catalog.search(shop, "kf")] == [v.id]        # the category's initials


@pytest.mark.parametrize("change, field, code", [
    (dict(name="  "), "name", "product_name_empty"),
    (dict(sku=""), "sku", "sku_empty"),
    (dict(price=-1), "price", "amount_negative"),
    (dict(price=10 ** 15), "price", "amount_absurd"),
    (dict(member_prices={"gold": 2900}), "member_prices", "member_price_above"),
    (dict(member_prices={"nosuch": 100}), "member_prices", "tier_not_found"),
    (dict(category="茶"), "category", "category_unknown"),
    (dict(kind="count_card", price=40000, card_uses=0, card_service_sku="CUT"), "card_uses", "card_uses_invalid"),
    (dict(kind="count_card", price=0, card_uses=10, card_service_sku="CUT"), "price", "amount_zero"),
    (dict(colour="brown"), "colour", "colour_invalid"),
    (dict(points_price=0), "points_price", "points_price_invalid"),
    (dict(reorder_level=-2), "reorder_level", "reorder_level_invalid"),
    (dict(barcodes=("LT01",)), "barcodes", "sku_duplicate"),
    (dict(sku="X" * 33), "sku", "code_too_long"),
])
def test_each_bad_field_is_named_and_nothing_is_written(shop, change, field, code):
    products.create(shop, ProductInput(sku="CUT", name="剪发", price=5000, kind="service", category="服务"))
    data = _latte(**change)
    found = products.check(shop, data)
    assert (field, code) in [(f, e.code) for f, e in found]
    with pytest.raises((ValidationError, NotFound, Duplicate)) as exc:
        products.create(shop, data)
    assert exc.value.code == found[0][1].code
    with shop.tx(write=False) as t:
        assert t.s.execute(select(func.count(Product.id))).scalar() == 1


def test_a_sku_or_barcode_taken_by_another_product_is_refused_on_create_and_edit(shop):
    a = products.create(shop, _latte())
    b = products.create(shop, ProductInput(sku="MOC", name="摩卡", price=3000, category="咖啡"))
    for data in (ProductInput(sku="LT01", name="x", price=1), ProductInput(sku="N1", name="x", price=1,
                                                                               barcodes=("6901000000024",))):
        with pytest.raises(Duplicate):
            products.create(shop, data)
    with pytest.raises(Duplicate):
        products.update(shop, b.id, ProductInput(sku="MOC", name="摩卡", price=3000, barcodes=("6901000000017",)))
    # its own codes are no clash when a product is saved again
    again = products.update(shop, a.id, _latte(price=3000))
    assert again.price == 3000


def test_edit_renames_codes_and_member_prices_and_is_audited(shop):
    v = products.create(shop, _latte())
    products.update(shop, v.id, _latte(name="燕麦拿铁", barcodes=("6901000000031",), member_prices={"silver": 2700}))
    with shop.tx(write=False) as t:
        assert set(t.s.execute(select(ProductBarcode.barcode)).scalars()) == {"6901000000031"}
        assert t.s.execute(select(func.count(MemberPrice.id))).scalar() == 1
        actions = list(t.s.execute(select(AuditLog.action).where(AuditLog.entity == "product")).scalars())
    assert actions == ["product.add", "product.edit"]
    assert [p.name for p in catalog.search(shop, "ymnt")] == ["燕麦拿铁"]
    assert catalog.search(shop, "6901000000017") == []
    no_member = products.update(shop, v.id, _latte(no_member_price=True))
    assert no_member.no_member_price and products.detail(shop, v.id).member_prices == {}


def test_a_product_that_sold_is_deactivated_never_deleted(shop):
    v = products.create(shop, _latte(member_prices={}))
    fresh = products.create(shop, ProductInput(sku="OOPS", name="typo", price=100))
    products.remove(shop, fresh.id)
    checkout(shop, Cart((CartLine("LT01"),)), [Tender("cash", 2800)])
    with pytest.raises(ValidationError) as exc:
        products.remove(shop, v.id)
    assert exc.value.code == "product_has_sales"
    off = products.set_active(shop, v.id, False)
    assert not off.active
    assert catalog.search(shop, "nt") == [] and len(catalog.search(shop, "nt", active_only=False)) == 1
    with pytest.raises(ValidationError) as exc:
        checkout(shop, Cart((CartLine("LT01"),)), [Tender("cash", 2800)])
    assert exc.value.code == "product_inactive"
    assert run_check(shop).ok


def test_categories_rename_carries_products_and_a_used_one_is_not_removed(shop):
    v = products.create(shop, _latte())
    cats = {c.name: c for c in products.categories(shop)}
    assert cats["咖啡"].products == 1
    with pytest.raises(Duplicate):
        products.add_category(shop, "咖啡")
    with pytest.raises(ValidationError):
        products.add_category(shop, "   ")
    products.update_category(shop, cats["咖啡"].id, name="饮品", points_eligible=False, discount_eligible=True)
    assert products.detail(shop, v.id).product.category == "饮品"
    assert [p.id for p in catalog.search(shop, "yp")] == [v.id]
    with pytest.raises(ValidationError) as exc:
        products.remove_category(shop, cats["咖啡"].id)
    assert exc.value.code == "category_in_use"
    products.remove_category(shop, cats["服务"].id)
    assert [c.name for c in products.categories(shop)] == ["饮品"]


def test_a_cashier_cannot_change_the_catalogue(shop, cashier_ctx):
    with pytest.raises(PermissionDenied):
        products.create(cashier_ctx, _latte())
    with pytest.raises(PermissionDenied):
        products.add_category(cashier_ctx, "茶")
