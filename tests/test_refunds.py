"""Refunds and voids reverse exactly what the refunded lines brought, and never more."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from app.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.models import Message, Sale, Voucher
from app.services.base import auth, settings
from app.services.sales import held
from app.services.ledger import vouchers
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.members.members import get_member
from app.services.sales.refunds import RefundLine, preview_refund, refund, void_sale
from tests.shop import fund, ledger_faults, member, stock_shop


@pytest.fixture
def shop(ctx):
    stock_shop(ctx)
    return ctx


def test_whole_refund_puts_everything_back(shop):
    m = member(shop)
    fund(shop, m.id, principal=20000, bonus=5000, points=1000)
    v = vouchers.issue(shop, value=1000, member_id=m.id)
    before = get_member(shop, m.id)
    sale = checkout(shop, Cart((CartLine("COF", 2), CartLine("TEA")), member_id=m.id),
                    [Tender("voucher", voucher_code=v.code), Tender("points", points=500),
                     Tender("wallet", 10000), Tender("cash", 5000)])
    assert sale.points_earned > 0
    r = refund(shop, sale.receipt_no, None, reason="customer changed mind")
    assert r.preview.whole_sale and r.preview.value == sale.total
    after = get_member(shop, m.id)
    assert (after.wallet_principal, after.wallet_bonus, after.points) == \
        (before.wallet_principal, before.wallet_bonus, before.points)
    assert after.total_spent == 0
    with shop.db.session(write=False) as s:
        assert s.execute(select(Voucher.status).where(Voucher.code == v.code)).scalar() == "active"
        rsale = s.get(Sale, r.refund_sale_id)
        assert rsale.kind == "refund" and rsale.total == -sale.total and rsale.points_earned == -sale.points_earned
        cash_back = sum(-p.amount for p in rsale.payments if p.method == "cash")
        assert cash_back == next(p.amount for p in sale.payments if p.method == "cash")
        assert s.execute(select(Message).where(Message.dedupe_key == f"ebill:sale:{r.refund_sale_id}")).scalar()
    assert ledger_faults(shop.db) == []
    with pytest.raises(Conflict) as e:
        refund(shop, sale.receipt_no, None, reason="again")
    assert e.value.code == "sale_refunded"


def test_partial_refunds_add_up_exactly(shop):
    m = member(shop)
    fund(shop, m.id, principal=7777, bonus=3333)
    sale = checkout(shop, Cart((CartLine("TEA", 3), CartLine("COF")), member_id=m.id),
                    [Tender("wallet", 7000), Tender("card", 8799)])
    total_back = 0
    earned_back = 0
    for qty in (1, 1, 1):
        r = refund(shop, sale.receipt_no, [RefundLine(1, qty)], reason="broken")
        total_back += r.preview.value
        earned_back += r.preview.points_reversed
    assert total_back == 9999  # 3 x 33.33, the last unit took the remainder
    with pytest.raises(Conflict) as e:
        refund(shop, sale.receipt_no, [RefundLine(1, 1)], reason="one more")
    assert e.value.code == "refund_line_refunded"
    r = refund(shop, sale.receipt_no, [RefundLine(2, 1)], reason="last")
    assert r.preview.whole_sale
    v = get_member(shop, m.id)
    assert (v.wallet_principal, v.wallet_bonus, v.points, v.total_spent) == (7777, 3333, 0, 0)
    with shop.db.session(write=False) as s:
        refunds = s.execute(select(Sale).where(Sale.original_sale_id == sale.sale_id)).scalars().all()
        by_method: dict[str, int] = {}
        for rs in refunds:
            for p in rs.payments:
                by_method[p.method] = by_method.get(p.method, 0) - p.amount
    assert by_method == {p.method: p.amount for p in sale.payments}
    assert ledger_faults(shop.db) == []


def test_refund_when_points_already_spent_withholds_their_value(shop):
    m = member(shop)
    sale = checkout(shop, Cart((CartLine("COF", 10),), member_id=m.id), [Tender("cash", 58000)])
    assert sale.points_earned == 580
    checkout(shop, Cart((CartLine("TEA"),), member_id=m.id), [Tender("points", points=500), Tender("cash", 3333)])
    p = preview_refund(shop, sale.receipt_no)
    assert p.points_shortfall == 580 - (580 - 500 + 28)  # earned back 28 on the tea's cash part
    assert p.shortfall_deducted == -(-p.points_shortfall * 100 // 100)
    r = refund(shop, sale.receipt_no, reason="return")
    cash = next(x for x in r.preview.back if x.method == "cash")
    assert cash.amount == 58000 - p.shortfall_deducted
    assert get_member(shop, m.id).points == 0
    assert ledger_faults(shop.db) == []


def test_partial_refund_keeps_voucher_share_and_restores_voucher_at_the_end(shop):
    v = vouchers.issue(shop, value=2000)
    sale = checkout(shop, Cart((CartLine("COF"), CartLine("COF"))), [Tender("voucher", voucher_code=v.code),
                                                                      Tender("cash", 9600)])
    first = refund(shop, sale.receipt_no, [RefundLine(1, 1)], reason="one back")
    assert first.preview.voucher_kept == 1000 and first.preview.voucher_returned is None
    assert [(x.method, x.amount) for x in first.preview.back] == [("cash", 4800)]
    with shop.db.session(write=False) as s:
        assert s.execute(select(Voucher.status).where(Voucher.code == v.code)).scalar() == "used"
    last = refund(shop, sale.receipt_no, [RefundLine(2, 1)], reason="other back")
    assert last.preview.voucher_returned == v.code
    with shop.db.session(write=False) as s:
        assert s.execute(select(Voucher.status).where(Voucher.code == v.code)).scalar() == "active"
    assert ledger_faults(shop.db) == []


def test_refund_takes_tier_back_down(shop):
    settings.update(shop, vip_single_purchase=100_000, vip_month_spend=0)
    m = member(shop)
    sale = checkout(shop, Cart((CartLine("COF", 20),), member_id=m.id), [Tender("card", 116000)])
    assert sale.tier_upgraded_to == "gold"
    refund(shop, sale.receipt_no, None, reason="returned all")
    assert get_member(shop, m.id).tier_code == "ordinary"


def test_cashier_needs_a_managers_pin(shop, cashier_ctx):
    auth.add_staff(shop, "Boss", "owner", "1234")
    auth.add_staff(shop, "Mia", "manager", "5678")
    auth.add_staff(shop, "Cai", "cashier", "1111")
    sale = checkout(cashier_ctx, Cart((CartLine("TEA"),)), [Tender("cash", 5000)])
    with pytest.raises(PermissionDenied):
        refund(cashier_ctx, sale.receipt_no, reason="wrong item")
    with pytest.raises(PermissionDenied) as e:
        auth.approve(cashier_ctx, "Mia", "0000", "refund")
    assert e.value.code == "pin_wrong"
    with pytest.raises(PermissionDenied) as e:
        auth.approve(cashier_ctx, "Cai", "1111", "refund")
    assert e.value.code == "approval_required"
    approved = auth.approve(cashier_ctx, "Mia", "5678", "refund")
    r = refund(approved, sale.receipt_no, reason="wrong item")
    assert r.preview.value == 3333


def test_pin_lockout(shop):
    auth.add_staff(shop, "Boss", "owner", "1234")
    for _ in range(auth.LOCK_AFTER):
        with pytest.raises(PermissionDenied):
            auth.login(shop, "Boss", "9999")
    with pytest.raises(PermissionDenied) as e:
        auth.login(shop, "Boss", "1234")
    assert e.value.code == "staff_locked"


def test_bad_refunds_change_nothing(shop):
    sale = checkout(shop, Cart((CartLine("TEA", 2),)), [Tender("cash", 6666)])
    for lines, code in [([RefundLine(9, 1)], "refund_line_unknown"), ([RefundLine(1, 3)], "refund_too_much"),
                        ([RefundLine(1, 0)], "quantity_invalid"), ([], "refund_nothing")]:
        with pytest.raises((ValidationError, NotFound)) as e:
            refund(shop, sale.receipt_no, lines, reason="x")
        assert e.value.code == code
    with pytest.raises(ValidationError) as e:
        refund(shop, sale.receipt_no, None, reason="  ")
    assert e.value.code == "reason_required"
    with pytest.raises(NotFound):
        refund(shop, "T9-999999", None, reason="x")
    with shop.db.session(write=False) as s:
        assert s.execute(select(Sale).where(Sale.kind == "refund")).first() is None


def test_void_and_count_card_refunds(shop):
    m = member(shop)
    pkg = checkout(shop, Cart((CartLine("CUT10"),), member_id=m.id), [Tender("card", 40000)])
    from app.services.ledger import countcards

    card = countcards.cards_for(shop, m.id)[0]
    use = checkout(shop, Cart((CartLine("CUT", count_card_id=card.id),), member_id=m.id), [])
    assert countcards.cards_for(shop, m.id)[0].uses_left == 9
    void_sale(shop, use.receipt_no, reason="service not given")
    assert countcards.cards_for(shop, m.id)[0].uses_left == 10
    r = void_sale(shop, pkg.receipt_no, reason="changed mind")
    assert r.preview.value == 40000
    assert countcards.cards_for(shop, m.id)[0].uses_left == 0
    assert ledger_faults(shop.db) == []


def test_held_cart_cancel_changes_nothing(shop):
    m = member(shop)
    fund(shop, m.id, principal=10000, points=300)
    h = held.hold(shop, Cart((CartLine("COF"),), member_id=m.id), label="table 3")
    assert [x.id for x in held.list_held(shop)] == [h.id]
    held.cancel(shop, h.id)
    v = get_member(shop, m.id)
    assert (v.wallet_principal, v.points) == (10000, 300) and held.list_held(shop) == []
    with pytest.raises(Exception) as e:
        held.recall(shop, h.id)
    assert e.value.code == "held_closed"
    h2 = held.hold(shop, Cart((CartLine("COF"),), member_id=m.id))
    cart = held.recall(shop, h2.id)
    r = checkout(shop, cart, [Tender("wallet", 5800)])
    assert r.wallet_balance == 4200
