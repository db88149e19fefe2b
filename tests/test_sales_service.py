"""The till's read-only queries: products as scanned, today's sales, one sale's lines, occasions."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from app.errors import NotFound, ValidationError
from app.models import MemberDate, Product
from app.services.sales import refunds
from app.services.reports import sales
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.members.members import Birthday, get_member
from app.services.sales.refunds import RefundLine
from tests.shop import member, stock_shop


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    return ctx


def test_find_product_by_sku_or_barcode(shop):
    assert sales.find_product(shop, " COF ").sku == "COF"
    assert sales.find_product(shop, "690000000001").sku == "TEA"
    with pytest.raises(NotFound) as err:
        sales.find_product(shop, "NOPE")
    assert err.value.code == "sku_unknown"
    with shop.tx() as t:
        t.s.query(Product).filter(Product.sku == "MUG").update({"active": False})
    shop.db.cache.pop("products", None)
    with pytest.raises(ValidationError) as err:
        sales.find_product(shop, "MUG")
    assert err.value.code == "product_inactive"


def test_recent_sales_show_refund_status_and_only_that_day(shop, clock):
    m = member(shop)
    clock.set(datetime(2026, 3, 1, 18, 0))
    checkout(shop, Cart((CartLine("COF"),)), [Tender("cash", amount=5800)])          # yesterday
    clock.set(datetime(2026, 3, 2, 9, 0))
    a = checkout(shop, Cart((CartLine("TEA", 2),), member_id=m.id), [Tender("card", amount=6666)])
    clock.set(datetime(2026, 3, 2, 9, 30))
    b = checkout(shop, Cart((CartLine("MUG"),)), [Tender("cash", amount=5000)])
    clock.set(datetime(2026, 3, 2, 10, 0))
    r = refunds.refund(shop, a.receipt_no, [RefundLine(1, 1)], reason="broken")
    rows = sales.recent_sales(shop)
    assert [x.receipt_no for x in rows] == [r.receipt_no, b.receipt_no, a.receipt_no]
    by_no = {x.receipt_no: x for x in rows}
    assert by_no[a.receipt_no].status == "partly_refunded" and by_no[a.receipt_no].refunded == 3333
    assert by_no[a.receipt_no].member_name == "王芳" and by_no[a.receipt_no].masked_phone == "138****8000"
    assert by_no[b.receipt_no].status == "sale" and by_no[b.receipt_no].member_name == ""
    assert by_no[r.receipt_no].status == "refund" and by_no[r.receipt_no].total == -3333
    refunds.refund(shop, a.receipt_no, None, reason="all of it")
    assert {x.receipt_no: x.status for x in sales.recent_sales(shop)}[a.receipt_no] == "refunded"
    assert len(sales.recent_sales(shop, day=date(2026, 3, 1))) == 1


def test_sale_detail_knows_what_is_left_to_refund(shop):
    s = checkout(shop, Cart((CartLine("COF"), CartLine("TEA", 3))), [Tender("cash", amount=20000)])
    refunds.refund(shop, s.receipt_no, [RefundLine(2, 2)], reason="too many")
    d = sales.sale_detail(shop, s.receipt_no)
    assert [(x.line_no, x.qty, x.refunded_qty, x.refundable) for x in d.lines] == [(1, 1, 0, 1), (2, 3, 2, 1)]
    assert d.total == 5800 + 3 * 3333 and d.refunded == 2 * 3333
    assert d.payments == (("cash", d.total),)
    with pytest.raises(NotFound):
        sales.sale_detail(shop, "T1-999999")


def test_occasions_this_week(shop, clock):
    today = clock.now().date()  # 2026-03-02
    m = member(shop, birthday="1990-03-05", wedding="2015-03-08")
    card = sales.member_card(shop, m.id)
    kinds = [(o.kind, o.days_away, o.years) for o in card.occasions]
    assert kinds == [("birthday", 3, 36), ("wedding", 6, 11)]
    v = get_member(shop, m.id)
    later = sales.occasions_for(v, today + timedelta(days=10))
    assert later == ()
    # a lunar birthday falls on this lunar year's date (told by lunar-python itself here), and
    # membership anniversaries count
    from lunar_python import Solar

    in_two_days = Solar.fromYmd(2026, 3, 4).getLunar()
    lunar = replace(v, birthday=Birthday(abs(in_two_days.getMonth()), in_two_days.getDay(), 1990, "lunar"), dates=(),
                    join_date=date(2024, 3, 2))
    assert [(o.kind, o.on, o.days_away, o.years) for o in sales.occasions_for(lunar, today)] == [
        ("membership", today, 0, 2), ("birthday", date(2026, 3, 4), 2, 36)]
    far = replace(lunar, birthday=Birthday(3, 4, 1990, "lunar"))      # lunar 3-4: late April this year
    assert [o.kind for o in sales.occasions_for(far, today)] == ["membership"]
    # 29 February is kept on 28 February in other years; a date this year (joined today) is no anniversary
    leap = replace(v, birthday=Birthday(2, 29, 2000), dates=(), join_date=today)
    assert [(o.kind, o.on, o.days_away) for o in sales.occasions_for(leap, date(2027, 2, 25))] == [
        ("birthday", date(2027, 2, 28), 3), ("membership", date(2027, 3, 2), 5)]
    assert sales.occasions_for(leap, today) == ()
    with shop.tx() as t:
        t.s.add(MemberDate(member_id=m.id, kind="other", label="Shop opening", month=3, day=2, calendar="solar"))
    other = [o for o in sales.member_card(shop, m.id).occasions if o.kind == "other"]
    assert [(o.label, o.days_away, o.years) for o in other] == [("Shop opening", 0, None)]
