"""Stored value: top-ups and their bonus, cash-out, top-up refunds, adjustments, opening balances."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import (CATALOGUE, Conflict, InsufficientFunds, NotFound, PermissionDenied, ShopError,
                        ValidationError, render)
from app.models import AuditLog, Member, Message, Topup, TopupBonusRule, WalletEntry
from app.services.ledger import ledger, wallet
from app.services.members import members
from app.services.members.members import MemberInput


def new_member(ctx, phone="13800138000", name="Li Lei", **kw):
    return members.create_member(ctx, MemberInput(name=name, phone=phone, **kw)).id


def assert_wallet_ledger(ctx):
    """Every member's cached stored value equals the sum of its ledger."""
    with ctx.tx(write=False) as t:
        sums = dict((mid, (p, b)) for mid, p, b in t.s.execute(
            select(WalletEntry.member_id, func.sum(WalletEntry.principal), func.sum(WalletEntry.bonus))
            .group_by(WalletEntry.member_id)).all())
        for m in t.s.execute(select(Member)).scalars():
            assert (m.wallet_principal, m.wallet_bonus) == sums.get(m.id, (0, 0)), m.id
            assert m.wallet_principal >= 0 and m.wallet_bonus >= 0


def counts(ctx):
    with ctx.tx(write=False) as t:
        return tuple(t.s.execute(select(func.count()).select_from(x)).scalar()
                     for x in (Topup, WalletEntry, Message, AuditLog))


def set_balance(ctx, member_id, principal, bonus):
    wallet.adjust(ctx, member_id, principal, bonus, "test setup")


# --- top-up --------------------------------------------------------------------------------------
def test_topup_500_gets_50_bonus_principal_and_bonus_apart(ctx):
    mid = new_member(ctx)
    pv = wallet.preview_topup(ctx, mid, 50_000)
    assert (pv.amount, pv.bonus, pv.balance_after) == (50_000, 5_000, 55_000)
    r = wallet.topup(ctx, mid, 50_000, "cash")
    assert (r.amount, r.bonus, r.principal_after, r.bonus_after, r.balance_after) == (50_000, 5_000, 50_000, 5_000,
                                                                                      55_000)
    with ctx.tx(write=False) as t:
        entries = t.s.execute(select(WalletEntry).where(WalletEntry.member_id == mid)).scalars().all()
        assert [(e.kind, e.principal, e.bonus, e.topup_id) for e in entries] == [("topup", 50_000, 5_000, r.topup_id)]
        row = t.s.get(Topup, r.topup_id)
        assert (row.amount, row.bonus, row.pay_method, row.status, row.till) == (50_000, 5_000, "cash", "done", "T1")
        assert row.rule_id is not None
        m = t.s.get(Member, mid)
        assert m.points_balance == 0 and m.total_spent == 0 and m.visits == 0  # nothing else moves
    assert_wallet_ledger(ctx)


@pytest.mark.parametrize("amount,bonus", [(49_999, 0), (50_000, 5_000), (99_999, 5_000), (100_000, 12_000),
                                          (199_999, 12_000), (200_000, 30_000), (1_000_000, 30_000), (1, 0)])
def test_bonus_ladder(ctx, amount, bonus):
    mid = new_member(ctx)
    assert wallet.topup(ctx, mid, amount, "card").bonus == bonus
    assert_wallet_ledger(ctx)


def test_bonus_rule_validity_dates_and_active(ctx, clock):
    with ctx.tx() as t:
        t.s.add(TopupBonusRule(min_amount=50_000, bonus=8_000, active=True,
                               valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 7)))
        t.s.add(TopupBonusRule(min_amount=60_000, bonus=99_000, active=False))
    with ctx.tx(write=False) as t:
        assert wallet.best_bonus_rule(t, 70_000)[1] == 8_000  # promotion valid today, inactive one ignored
        assert wallet.best_bonus_rule(t, 100) == (None, 0)
    clock.set(datetime(2026, 3, 8, 9, 0))
    with ctx.tx(write=False) as t:
        assert wallet.best_bonus_rule(t, 70_000)[1] == 5_000  # promotion over
    clock.set(datetime(2026, 2, 28, 9, 0))
    with ctx.tx(write=False) as t:
        assert wallet.best_bonus_rule(t, 70_000)[1] == 5_000  # not started yet


def test_topup_queues_ebill_once_in_shop_language(ctx):
    mid = new_member(ctx)
    r = wallet.topup(ctx, mid, 123_456, "cash")
    assert r.message_id is not None
    with ctx.tx(write=False) as t:
        msg = t.s.get(Message, r.message_id)
        assert msg.dedupe_key == f"ebill:topup:{r.topup_id}"
        assert msg.category == "transactional" and msg.lang == "zh_CN"
        assert "1,234.56" in msg.body and "120.00" in msg.body and "1,354.56" in msg.body
        assert "{" not in msg.body


def test_topup_without_ebill_when_member_turned_them_off(ctx):
    mid = new_member(ctx, ebill_enabled=False)
    r = wallet.topup(ctx, mid, 10_000)
    assert r.message_id is None
    assert counts(ctx)[2] == 0
    assert wallet.balance(ctx, mid).total == 10_000


@pytest.mark.parametrize("amount,code", [(0, "amount_zero"), (-100, "amount_negative"),
                                         (10_000_000_01, "amount_absurd"), (12.5, "amount_invalid"),
                                         ("100", "amount_invalid"), (True, "amount_invalid")])
def test_bad_amounts_refused_with_nothing_changed(ctx, amount, code):
    mid = new_member(ctx)
    before = counts(ctx)
    with pytest.raises(ValidationError) as ei:
        wallet.topup(ctx, mid, amount)
    assert ei.value.code == code
    with pytest.raises(ValidationError):
        wallet.preview_topup(ctx, mid, amount)
    assert counts(ctx) == before
    assert wallet.balance(ctx, mid).total == 0


def test_topup_bad_pay_method_and_unknown_member(ctx):
    mid = new_member(ctx)
    before = counts(ctx)
    with pytest.raises(ValidationError) as ei:
        wallet.topup(ctx, mid, 10_000, "wallet")
    assert ei.value.code == "payment_method_unknown"
    with pytest.raises(NotFound):
        wallet.topup(ctx, 9999, 10_000)
    assert counts(ctx) == before


def test_cashier_may_top_up(cashier_ctx):
    mid = new_member(cashier_ctx)
    assert wallet.topup(cashier_ctx, mid, 20_000).balance_after == 20_000


def test_topup_joins_outer_transaction_and_rolls_back_with_it(ctx):
    mid = new_member(ctx)
    with pytest.raises(RuntimeError):
        with ctx.tx() as t:
            wallet.topup(t, mid, 50_000)
            assert t.s.get(Member, mid).wallet_principal == 50_000
            raise RuntimeError("boom")
    assert wallet.balance(ctx, mid).total == 0
    assert counts(ctx)[0] == 0
    assert_wallet_ledger(ctx)


# --- cash-out ------------------------------------------------------------------------------------
def test_cashout_pays_principal_forfeits_bonus(ctx):
    mid = new_member(ctx)
    wallet.topup(ctx, mid, 100_000)                      # 1000 + 120 bonus
    with ctx.tx() as t:                                   # a spend of 560 split proportionally
        m = t.s.get(Member, mid)
        p, b = ledger.split_spend(m.wallet_principal, m.wallet_bonus, 56_000)
        ledger.post_wallet(t, mid, "spend", -p, -b)
    bal = wallet.balance(ctx, mid)
    pv = wallet.preview_cashout(ctx, mid)
    assert (pv.principal_paid_back, pv.bonus_forfeited) == (bal.principal, bal.bonus)
    assert pv.principal_paid_back + pv.bonus_forfeited == 56_000
    assert pv.bonus_forfeited > 0
    r = wallet.cashout(ctx, mid, "moving away")
    assert (r.principal_paid_back, r.bonus_forfeited) == (pv.principal_paid_back, pv.bonus_forfeited)
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 0, 0)
    last = wallet.history(ctx, mid, 1)[0]
    assert (last.kind, last.principal, last.bonus, last.note) == ("cashout", -r.principal_paid_back,
                                                                  -r.bonus_forfeited, "moving away")
    assert_wallet_ledger(ctx)


def test_cashout_refusals(ctx, cashier_ctx):
    mid = new_member(ctx)
    with pytest.raises(InsufficientFunds) as ei:
        wallet.cashout(ctx, mid, "why not")
    assert ei.value.code == "cashout_nothing"
    wallet.adjust(ctx, mid, 0, 3_000, "bonus only")       # bonus but no paid principal
    with pytest.raises(InsufficientFunds) as ei:
        wallet.cashout(ctx, mid, "why not")
    assert ei.value.code == "cashout_nothing"
    wallet.topup(ctx, mid, 10_000)
    with pytest.raises(ValidationError) as ei:
        wallet.cashout(ctx, mid, "   ")
    assert ei.value.code == "reason_required"
    with pytest.raises(PermissionDenied):
        wallet.cashout(cashier_ctx, mid, "customer asked")
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 10_000, 3_000)
    assert_wallet_ledger(ctx)


def test_cashout_rule_text_in_both_languages():
    assert "principal" in wallet.CASHOUT_RULE["en"] and "forfeited" in wallet.CASHOUT_RULE["en"]
    assert "本金" in wallet.CASHOUT_RULE["zh_CN"] and "作废" in wallet.CASHOUT_RULE["zh_CN"]


# --- top-up refund ---------------------------------------------------------------------------------
def test_topup_refund_whole_while_unspent(ctx):
    mid = new_member(ctx)
    wallet.topup(ctx, mid, 20_000)                        # earlier top-up, no bonus
    r = wallet.topup(ctx, mid, 50_000)                    # 500 + 50
    pv = wallet.preview_topup_refund(ctx, r.topup_id)
    assert pv.refundable and (pv.principal, pv.bonus) == (50_000, 5_000)
    res = wallet.refund_topup(ctx, r.topup_id, "paid by mistake")
    assert (res.principal_paid_back, res.bonus_removed) == (50_000, 5_000)
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 20_000, 0)
    with ctx.tx(write=False) as t:
        assert t.s.get(Topup, r.topup_id).status == "refunded"
        e = t.s.get(WalletEntry, res.entry_id)
        assert (e.kind, e.principal, e.bonus, e.topup_id) == ("topup_refund", -50_000, -5_000, r.topup_id)
    # cannot happen twice
    with pytest.raises(Conflict) as ei:
        wallet.refund_topup(ctx, r.topup_id, "again")
    assert ei.value.code == "topup_refunded"
    assert wallet.preview_topup_refund(ctx, r.topup_id).refusal_code == "topup_refunded"
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 20_000, 0)
    assert_wallet_ledger(ctx)


def test_topup_refund_refused_when_part_was_spent(ctx):
    mid = new_member(ctx)
    r = wallet.topup(ctx, mid, 50_000)
    with ctx.tx() as t:
        ledger.post_wallet(t, mid, "spend", -1_000, -100)  # any spend of it
    pv = wallet.preview_topup_refund(ctx, r.topup_id)
    assert not pv.refundable and pv.refusal_code == "topup_spent"
    before = counts(ctx)
    with pytest.raises(Conflict) as ei:
        wallet.refund_topup(ctx, r.topup_id, "changed mind")
    assert ei.value.code == "topup_spent"
    assert "500.00" in str(ei.value)
    assert counts(ctx) == before
    with ctx.tx(write=False) as t:
        assert t.s.get(Topup, r.topup_id).status == "done"
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 49_000, 4_900)
    assert_wallet_ledger(ctx)


def test_topup_refund_refused_when_only_bonus_was_spent(ctx):
    mid = new_member(ctx)
    r = wallet.topup(ctx, mid, 50_000)
    wallet.topup(ctx, mid, 10_000)                        # principal 60,000 covers the 50,000
    with ctx.tx() as t:
        ledger.post_wallet(t, mid, "spend", 0, -1)        # but one fen of bonus is gone
    with pytest.raises(Conflict) as ei:
        wallet.refund_topup(ctx, r.topup_id, "changed mind")
    assert ei.value.code == "topup_spent"


def test_topup_refund_needs_permission_reason_and_existing_topup(ctx, cashier_ctx):
    mid = new_member(ctx)
    r = wallet.topup(ctx, mid, 50_000)
    with pytest.raises(PermissionDenied):
        wallet.refund_topup(cashier_ctx, r.topup_id, "x")
    with pytest.raises(ValidationError) as ei:
        wallet.refund_topup(ctx, r.topup_id, "")
    assert ei.value.code == "reason_required"
    with pytest.raises(NotFound) as ei:
        wallet.refund_topup(ctx, 4242, "x")
    assert ei.value.code == "topup_not_found"
    assert wallet.balance(ctx, mid).total == 55_000


# --- adjustments -------------------------------------------------------------------------------------
def test_adjust_by_manager_audited_before_after(ctx):
    mid = new_member(ctx)
    wallet.topup(ctx, mid, 50_000)
    r = wallet.adjust(ctx, mid, -2_000, 1_000, "till count correction")
    assert (r.before.principal, r.before.bonus, r.after.principal, r.after.bonus) == (50_000, 5_000, 48_000, 6_000)
    with ctx.tx(write=False) as t:
        row = t.s.execute(select(AuditLog).where(AuditLog.action == "wallet.adjust")).scalar_one()
        assert row.reason == "till count correction"
        assert '"principal": 50000' in row.before and '"principal": 48000' in row.after
        e = t.s.get(WalletEntry, r.entry_id)
        assert (e.kind, e.principal, e.bonus) == ("adjustment", -2_000, 1_000)
    assert_wallet_ledger(ctx)


def test_adjust_refusals_change_nothing(ctx, cashier_ctx):
    mid = new_member(ctx)
    wallet.topup(ctx, mid, 10_000)
    before = counts(ctx)
    with pytest.raises(PermissionDenied):
        wallet.adjust(cashier_ctx, mid, 100, 0, "gift")
    for reason in ("", "  ", None):
        with pytest.raises(ValidationError) as ei:
            wallet.adjust(ctx, mid, 100, 0, reason)
        assert ei.value.code == "reason_required"
    with pytest.raises(InsufficientFunds) as ei:
        wallet.adjust(ctx, mid, -10_001, 0, "too much")
    assert ei.value.code == "adjust_principal_negative"
    with pytest.raises(InsufficientFunds) as ei:
        wallet.adjust(ctx, mid, 5_000, -1, "no bonus there")
    assert ei.value.code == "adjust_bonus_negative"
    with pytest.raises(ValidationError) as ei:
        wallet.adjust(ctx, mid, 0, 0, "nothing")
    assert ei.value.code == "adjust_nothing"
    with pytest.raises(ValidationError):
        wallet.adjust(ctx, mid, 1.5, 0, "float")
    assert counts(ctx) == before
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 10_000, 0)


def test_open_balance_and_history(ctx):
    mid = new_member(ctx)
    with ctx.tx() as t:
        v = wallet.open_balance(t, mid, 30_000, 2_000, "import from old system")
        assert wallet.open_balance(t, mid, 0, 0, "nothing") is None
        with pytest.raises(ValidationError):
            wallet.open_balance(t, mid, -1, 0, "bad")
    assert (v.kind, v.principal, v.bonus) == ("opening", 30_000, 2_000)
    wallet.topup(ctx, mid, 10_000)
    h = wallet.history(ctx, mid, 10)
    assert [e.kind for e in h] == ["topup", "opening"]
    assert len(wallet.history(ctx, mid, 1)) == 1
    assert wallet.balance(ctx, mid) == wallet.Balance(mid, 40_000, 2_000)
    assert wallet.topups_for(ctx, mid)[0].amount == 10_000
    assert_wallet_ledger(ctx)


def test_new_error_codes_render_in_both_languages():
    for code in ("adjust_nothing", "adjust_principal_negative", "adjust_bonus_negative", "cashout_nothing",
                 "topup_spent", "topup_refunded"):
        assert code in CATALOGUE
        err = ShopError(code, delta="-1.00", balance="0.00", id=1, principal="5.00", bonus="0.50")
        assert "{" not in render(err, "en") and "{" not in render(err, "zh_CN")
        assert render(err, "en") != render(err, "zh_CN")
