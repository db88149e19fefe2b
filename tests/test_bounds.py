"""Every amount and count entering a service is an int within a shop-sized bound, and every balance
stays within its own: 2**62 twice, 2**63, 10**30, floats, booleans and Decimals are refused with a
ShopError and change nothing. On SQLite and (SHOPCARE_TEST_PG) PostgreSQL."""
from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.errors import ShopError
from app.models import PointsEntry, Sale, Voucher, WalletEntry
from app.money import MAX_BALANCE, MAX_CARD_USES, MAX_POINTS, MAX_POINTS_BALANCE
from app.services.ledger import ledger, points, vouchers, wallet
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.admin.integrity import run_check
from app.services.members.members import get_member
from tests.shop import fund, ledger_faults, member, stock_shop

HUGE = [2**62, 2**63, 10**30, -(2**63), 0.5, True, Decimal("5"), "100"]


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    return ctx


def _rows(db) -> tuple[int, int, int, int]:
    with db.session(write=False) as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar()
                     for m in (WalletEntry, PointsEntry, Sale, Voucher))


def _refused(shop, call) -> str:
    before = _rows(shop.db)
    with pytest.raises(ShopError) as e:
        call()
    assert _rows(shop.db) == before
    return e.value.code


def test_points_adjustments_are_bounded(shop):
    m = member(shop)
    for value in HUGE + [MAX_POINTS + 1, -MAX_POINTS - 1]:
        _refused(shop, lambda v=value: points.adjust(shop, m.id, v, "typo"))
    assert _refused(shop, lambda: points.adjust(shop, m.id, 2**62, "typo")) == "points_too_many"
    assert get_member(shop, m.id).points == 0
    assert run_check(shop).ok


def test_a_points_balance_cannot_pass_its_bound(shop):
    m = member(shop)
    for _ in range(MAX_POINTS_BALANCE // MAX_POINTS):
        points.adjust(shop, m.id, MAX_POINTS, "big shop")
    assert get_member(shop, m.id).points == MAX_POINTS_BALANCE
    assert _refused(shop, lambda: points.adjust(shop, m.id, 1, "one more")) == "balance_too_large"
    points.adjust(shop, m.id, -1, "a debit still works")
    assert run_check(shop).ok and ledger_faults(shop.db) == []


def test_stored_value_amounts_and_balances_are_bounded(shop):
    m = member(shop)
    for value in HUGE + [-1, 0]:
        _refused(shop, lambda v=value: wallet.topup(shop, m.id, v))
        _refused(shop, lambda v=value: wallet.adjust(shop, m.id, v, 0, "typo"))
        _refused(shop, lambda v=value: wallet.adjust(shop, m.id, 0, v, "typo"))
    fund(shop, m.id, principal=MAX_BALANCE - 100)
    assert _refused(shop, lambda: wallet.topup(shop, m.id, 101)) == "balance_too_large"
    assert _refused(shop, lambda: wallet.adjust(shop, m.id, 0, 0, "x")) == "adjust_nothing"
    wallet.topup(shop, m.id, 100)   # up to the bound exactly
    with pytest.raises(ShopError) as e:
        with shop.tx() as t:
            ledger.post_wallet(t, m.id, "adjustment", 2**63, 0)
    assert e.value.code == "ledger_amount_invalid"
    assert run_check(shop).ok and ledger_faults(shop.db) == []


def test_voucher_amounts_and_percents_are_whole_and_bounded(shop):
    for value in HUGE + [-1, 0]:
        _refused(shop, lambda v=value: vouchers.issue(shop, value=v))
        _refused(shop, lambda v=value: vouchers.issue(shop, value=v, kind="percent"))
    for value in HUGE + [-1]:
        _refused(shop, lambda v=value: vouchers.issue(shop, value=500, min_spend=v))
    assert _refused(shop, lambda: vouchers.issue(shop, value=0.5, kind="percent")) == "percent_invalid"
    assert _refused(shop, lambda: vouchers.issue(shop, value=10_001, kind="percent")) == "percent_invalid"


def test_checkout_quantities_prices_discounts_and_tenders_are_bounded(shop):
    m = member(shop)
    fund(shop, m.id, principal=10_000, points=10_000)
    for value in HUGE + [-1, 0, 10_000]:
        _refused(shop, lambda v=value: checkout(shop, Cart((CartLine("TEA", v),)), [Tender("cash", 10**6)]))
    for value in HUGE + [-1]:
        _refused(shop, lambda v=value: checkout(shop, Cart((CartLine("TEA", 1, unit_price=v),)),
                                                [Tender("cash", 10**6)]))
        _refused(shop, lambda v=value: checkout(shop, Cart((CartLine("TEA"),), discount_amount=v),
                                                [Tender("cash", 10**6)]))
        for method in ("cash", "card", "wallet"):
            _refused(shop, lambda v=value, mt=method: checkout(shop, Cart((CartLine("TEA"),), member_id=m.id),
                                                              [Tender(mt, v), Tender("cash", 10**6)]))
        _refused(shop, lambda v=value: checkout(shop, Cart((CartLine("TEA"),), member_id=m.id),
                                                [Tender("points", points=v), Tender("cash", 10**6)]))
    for bp in (5.5, True, Decimal("100"), 2**63, -1, 10_001):
        code = _refused(shop, lambda b=bp: checkout(shop, Cart((CartLine("TEA"),), discount_bp=b),
                                                    [Tender("cash", 10**6)]))
        assert code == "percent_invalid"
    assert run_check(shop).ok and ledger_faults(shop.db) == []


def test_count_card_uses_are_bounded(shop):
    m = member(shop)
    sale = checkout(shop, Cart((CartLine("CUT10"),), member_id=m.id), [Tender("cash", 40_000)])
    with shop.db.session(write=False) as s:
        from app.models import CountCard

        card_id = s.execute(select(CountCard.id).where(CountCard.sale_id == sale.sale_id)).scalar()
    for uses in (MAX_CARD_USES, 2**63, 0.5, True):
        with pytest.raises(ShopError):
            with shop.tx() as t:
                ledger.post_count_card(t, card_id, "refund", uses)
    assert run_check(shop).ok and ledger_faults(shop.db) == []


def test_the_bulk_points_path_keeps_the_same_bounds(shop):
    m = member(shop)
    fund(shop, m.id, points=MAX_POINTS_BALANCE - 5)
    for rows in ([(m.id, 6)], [(m.id, 0.5)], [(m.id, 2**63)]):
        with pytest.raises(ShopError):
            with shop.tx() as t:
                ledger.post_points_many(t, "adjust", rows)
    assert get_member(shop, m.id).points == MAX_POINTS_BALANCE - 5
    assert run_check(shop).ok


_PHONES = itertools.count()
ANY_NUMBER = st.one_of(st.integers(-(2**70), 2**70), st.integers(-MAX_POINTS, MAX_POINTS), st.booleans(),
                       st.floats(allow_nan=True), st.decimals(allow_nan=False), st.just(2**62))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(values=st.lists(ANY_NUMBER, min_size=1, max_size=4))
def test_any_points_adjustment_is_refused_or_stays_a_bounded_whole_number(shop, values):
    """Whatever number arrives, points stay whole, within their bound and equal to their ledger."""
    m = member(shop, phone=f"1390000{next(_PHONES):04d}")
    for v in values:
        before = get_member(shop, m.id).points
        try:
            points.adjust(shop, m.id, v, "property")
        except ShopError:
            assert get_member(shop, m.id).points == before
        else:
            assert type(v) is int and 0 < abs(v) <= MAX_POINTS
    after = get_member(shop, m.id).points
    assert type(after) is int and 0 <= after <= MAX_POINTS_BALANCE
    assert ledger_faults(shop.db) == []
