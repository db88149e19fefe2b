"""Stored value (储值): top-ups with their bonus, cash-outs, top-up refunds, adjustments, history.

Every movement is a ``wallet_entries`` row written by ``ledger.post_wallet`` (the only writer of the
cached ``members.wallet_principal`` / ``wallet_bonus``), with paid principal and bonus kept apart.

Shop rules
----------
* **Top-up.** The member pays ``amount`` (cash or card); the best active bonus rule (largest
  ``min_amount`` not above the amount, valid today) adds ``bonus`` as bonus stored value. One
  ``topup`` entry carries both (principal=amount, bonus=bonus).
* **Cash-out (退储值).** The member gets back the remaining PAID principal; the remaining bonus is
  forfeited. Nothing to pay back (principal 0) is refused (``cashout_nothing``). One ``cashout``
  entry takes both balances to zero (principal and bonus negative).
* **Top-up refund (退充值).** A top-up can be refunded only while the member's balance still holds
  its principal AND its bonus; the refund pays back the principal and removes the bonus (one
  ``topup_refund`` entry), and marks the top-up refunded (once only, by a conditional update).
* **Adjustment.** By a manager or the owner, with a reason, never taking either balance below
  zero; audited with before and after.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from app import i18n, money
from app.errors import Conflict, InsufficientFunds, NotFound, ValidationError
from app.i18n import NC_
from app.models import Member, Topup, TopupBonusRule, WalletEntry
from app.services.base import audit, permissions
from app.services.ledger import ledger
from app.services.texts import outbox, templates
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings

PAY_METHODS = ("cash", "card")

# Shown by the UI next to the cash-out button and on the cash-out dialog.
CASHOUT_RULE = i18n.PerLanguage(NC_("wallet_rule", "Cash-out pays back the remaining paid principal only; the "
                                             "remaining bonus is forfeited and the stored-value balance "
                                             "becomes zero."), "wallet_rule")
# Shown next to the top-up refund button.
TOPUP_REFUND_RULE = i18n.PerLanguage(NC_("wallet_rule", "A top-up can be refunded only while the balance still holds "
                                                  "all of its paid amount and its bonus; the paid amount is "
                                                  "returned and the bonus removed."), "wallet_rule")


# --- values out --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TopupPreview:
    member_id: int
    amount: int
    bonus: int
    rule_id: int | None
    balance_after: int          # principal + bonus after the top-up
    principal_after: int
    bonus_after: int


@dataclass(frozen=True)
class TopupResult:
    topup_id: int
    member_id: int
    amount: int
    bonus: int
    pay_method: str
    rule_id: int | None
    entry_id: int
    principal_after: int
    bonus_after: int
    balance_after: int
    message_id: int | None      # the queued e-bill, when the member receives them


@dataclass(frozen=True)
class CashoutPreview:
    member_id: int
    principal_paid_back: int
    bonus_forfeited: int


@dataclass(frozen=True)
class CashoutResult:
    member_id: int
    principal_paid_back: int
    bonus_forfeited: int
    entry_id: int


@dataclass(frozen=True)
class TopupRefundPreview:
    topup_id: int
    member_id: int
    principal: int               # paid back
    bonus: int                   # removed
    refundable: bool
    refusal_code: str | None     # why not, when not refundable (a code in the error catalogue)


@dataclass(frozen=True)
class TopupRefundResult:
    topup_id: int
    member_id: int
    principal_paid_back: int
    bonus_removed: int
    entry_id: int
    principal_after: int
    bonus_after: int


@dataclass(frozen=True)
class Balance:
    member_id: int
    principal: int
    bonus: int

    @property
    def total(self) -> int:
        return self.principal + self.bonus


@dataclass(frozen=True)
class AdjustResult:
    member_id: int
    entry_id: int
    principal_delta: int
    bonus_delta: int
    before: Balance
    after: Balance


@dataclass(frozen=True)
class WalletEntryView:
    id: int
    member_id: int
    kind: str
    principal: int
    bonus: int
    sale_id: int | None
    topup_id: int | None
    staff_id: int | None
    created_at: datetime
    note: str

    @property
    def amount(self) -> int:
        return self.principal + self.bonus


def _entry_view(e: WalletEntry) -> WalletEntryView:
    return WalletEntryView(id=e.id, member_id=e.member_id, kind=e.kind, principal=e.principal, bonus=e.bonus,
                           sale_id=e.sale_id, topup_id=e.topup_id, staff_id=e.staff_id,
                           created_at=e.created_at, note=e.note or "")


# --- helpers -------------------------------------------------------------------------------------
def _member(t: Ctx, member_id: int) -> Member:
    m = t.s.get(Member, member_id)
    if m is None:
        raise NotFound("member_not_found", key=member_id)
    return m


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError("reason_required")
    return text


def _balance(m: Member) -> Balance:
    return Balance(m.id, m.wallet_principal, m.wallet_bonus)


def best_bonus_rule(t: Ctx, amount: int) -> tuple[int | None, int]:
    """(rule id, bonus) of the active rule with the largest ``min_amount`` <= ``amount`` that is valid
    today; (None, 0) when none applies. Among rules of equal ``min_amount`` the larger bonus wins."""
    today = t.today()
    r = TopupBonusRule
    row = t.s.execute(
        select(r.id, r.bonus)
        .where(r.active.is_(True), r.min_amount <= amount,
               or_(r.valid_from.is_(None), r.valid_from <= today),
               or_(r.valid_to.is_(None), r.valid_to >= today))
        .order_by(r.min_amount.desc(), r.bonus.desc(), r.id)
        .limit(1)).first()
    if row is None:
        return None, 0
    return row.id, max(0, int(row.bonus))


def _check_topup_amount(amount: int, cfg: ShopSettings) -> int:
    return money.check_amount(amount, cfg.currency, field="top-up")


# --- top-up --------------------------------------------------------------------------------------
def preview_topup(ctx: Ctx, member_id: int, amount: int) -> TopupPreview:
    cfg = load_settings(ctx)
    _check_topup_amount(amount, cfg)
    with ctx.tx(write=False) as t:
        m = _member(t, member_id)
        rule_id, bonus = best_bonus_rule(t, amount)
        p, b = m.wallet_principal + amount, m.wallet_bonus + bonus
        return TopupPreview(member_id=m.id, amount=amount, bonus=bonus, rule_id=rule_id, balance_after=p + b,
                            principal_after=p, bonus_after=b)


def topup(ctx: Ctx, member_id: int, amount: int, pay_method: str = "cash") -> TopupResult:
    """Take ``amount`` (minor units) in cash or by card as stored value, plus the rule's bonus."""
    permissions.require(ctx, "topup")
    with ctx.tx() as t:
        cfg = load_settings(t)
        _check_topup_amount(amount, cfg)
        if pay_method not in PAY_METHODS:
            raise ValidationError("payment_method_unknown", method=pay_method)
        m = _member(t, member_id)
        if m.erased_at is not None:
            raise NotFound("member_erased", key=member_id)
        rule_id, bonus = best_bonus_rule(t, amount)
        row = Topup(member_id=m.id, amount=amount, bonus=bonus, pay_method=pay_method, rule_id=rule_id,
                    staff_id=t.actor.id, till=t.till, status="done", created_at=t.now())
        t.s.add(row)
        t.s.flush()
        entry = ledger.post_wallet(t, m.id, "topup", amount, bonus, topup_id=row.id,
                                   note=f"top-up {pay_method}")
        t.s.flush()
        t.s.refresh(m, ["wallet_principal", "wallet_bonus"])
        p, b = m.wallet_principal, m.wallet_bonus
        msg = _queue_ebill(t, m, row, cfg, p + b)
        audit.record(t, "wallet.topup", "member", m.id,
                     before={"principal": p - amount, "bonus": b - bonus},
                     after={"principal": p, "bonus": b, "topup_id": row.id, "amount": amount, "bonus_added": bonus,
                            "pay_method": pay_method})
        return TopupResult(topup_id=row.id, member_id=m.id, amount=amount, bonus=bonus, pay_method=pay_method,
                           rule_id=rule_id, entry_id=entry.id, principal_after=p, bonus_after=b,
                           balance_after=p + b, message_id=msg.id if msg is not None else None)


def _queue_ebill(t: Ctx, m: Member, row: Topup, cfg: ShopSettings, balance: int):
    lang = cfg.language
    values = {
        "name": m.name,
        "amount": money.format_plain(row.amount, cfg.currency, lang),
        "bonus": money.format_plain(row.bonus, cfg.currency, lang),
        "balance": money.format_plain(balance, cfg.currency, lang),
        "points": money.format_int(m.points_balance, lang),
    }
    body = templates.compose(t, "ebill_topup", lang, values, cfg=cfg)
    msg = outbox.enqueue(t, m, kind="ebill", category="transactional", body=body,
                         dedupe_key=f"ebill:topup:{row.id}", lang=lang)
    if msg is not None:
        t.s.flush()
    return msg


# --- cash-out ------------------------------------------------------------------------------------
def preview_cashout(ctx: Ctx, member_id: int) -> CashoutPreview:
    with ctx.tx(write=False) as t:
        m = _member(t, member_id)
        return CashoutPreview(member_id=m.id, principal_paid_back=m.wallet_principal,
                              bonus_forfeited=m.wallet_bonus)


def cashout(ctx: Ctx, member_id: int, reason: str) -> CashoutResult:
    """Pay back the remaining paid principal; forfeit the remaining bonus (see ``CASHOUT_RULE``)."""
    permissions.require(ctx, "cashout")
    why = _reason(reason)
    with ctx.tx() as t:
        m = _member(t, member_id)
        # Read the balance under a row lock (PostgreSQL; SQLite's write transaction excludes other
        # writers): a second till cashing out at the same moment waits, then finds nothing left.
        t.s.refresh(m, ["wallet_principal", "wallet_bonus"], with_for_update=True)
        principal, bonus = m.wallet_principal, m.wallet_bonus
        if principal <= 0:
            raise InsufficientFunds("cashout_nothing", member=member_id)
        entry = ledger.post_wallet(t, m.id, "cashout", -principal, -bonus, note=why)
        t.s.flush()
        audit.record(t, "wallet.cashout", "member", m.id, before={"principal": principal, "bonus": bonus},
                     after={"principal": 0, "bonus": 0, "paid_back": principal, "forfeited": bonus}, reason=why)
        return CashoutResult(member_id=m.id, principal_paid_back=principal, bonus_forfeited=bonus,
                             entry_id=entry.id)


# --- top-up refund ---------------------------------------------------------------------------------
def _topup_row(t: Ctx, topup_id: int) -> Topup:
    row = t.s.get(Topup, topup_id)
    if row is None:
        raise NotFound("topup_not_found", id=topup_id)
    return row


def _refusal(row: Topup, m: Member) -> str | None:
    if row.status == "refunded":
        return "topup_refunded"
    if m.wallet_principal < row.amount or m.wallet_bonus < row.bonus:
        return "topup_spent"
    return None


def _spent(t: Ctx, row: Topup) -> Conflict:
    cur = load_settings(t).currency
    return Conflict("topup_spent", id=row.id, principal=money.to_major_str(row.amount, cur),
                    bonus=money.to_major_str(row.bonus, cur))


def preview_topup_refund(ctx: Ctx, topup_id: int) -> TopupRefundPreview:
    with ctx.tx(write=False) as t:
        row = _topup_row(t, topup_id)
        m = _member(t, row.member_id)
        code = _refusal(row, m)
        return TopupRefundPreview(topup_id=row.id, member_id=m.id, principal=row.amount, bonus=row.bonus,
                                  refundable=code is None, refusal_code=code)


def refund_topup(ctx: Ctx, topup_id: int, reason: str) -> TopupRefundResult:
    """Refund a whole top-up: pay back its principal and remove its bonus (see ``TOPUP_REFUND_RULE``)."""
    permissions.require(ctx, "refund_topup")
    why = _reason(reason)
    with ctx.tx() as t:
        row = _topup_row(t, topup_id)
        m = _member(t, row.member_id)
        t.s.refresh(m, ["wallet_principal", "wallet_bonus"], with_for_update=True)  # see cashout
        t.s.refresh(row, ["status"])
        before = _balance(m)
        code = _refusal(row, m)
        if code == "topup_refunded":
            raise Conflict(code, id=row.id)
        if code == "topup_spent":
            raise _spent(t, row)
        done = t.s.execute(update(Topup).where(Topup.id == row.id, Topup.status == "done")
                           .values(status="refunded").execution_options(synchronize_session=False)).rowcount
        if done != 1:
            raise Conflict("topup_refunded", id=row.id)
        t.s.expire(row, ["status"])
        try:
            entry = ledger.post_wallet(t, m.id, "topup_refund", -row.amount, -row.bonus, topup_id=row.id,
                                       note=why)
        except InsufficientFunds:  # spent by another till between our read and the update
            raise _spent(t, row) from None
        t.s.flush()
        t.s.refresh(m, ["wallet_principal", "wallet_bonus"])
        after = _balance(m)
        audit.record(t, "wallet.topup_refund", "topup", row.id,
                     before={"principal": before.principal, "bonus": before.bonus, "status": "done"},
                     after={"principal": after.principal, "bonus": after.bonus, "status": "refunded"},
                     reason=why)
        return TopupRefundResult(topup_id=row.id, member_id=m.id, principal_paid_back=row.amount,
                                 bonus_removed=row.bonus, entry_id=entry.id, principal_after=after.principal,
                                 bonus_after=after.bonus)


# --- adjustments and opening balances --------------------------------------------------------------
def adjust(ctx: Ctx, member_id: int, principal_delta: int, bonus_delta: int, reason: str) -> AdjustResult:
    """A correction by hand (manager/owner): signed changes of principal and bonus, with a reason."""
    permissions.require(ctx, "adjust_balance")
    why = _reason(reason)
    for name, delta in (("principal", principal_delta), ("bonus", bonus_delta)):
        money.check_amount(delta, field=name, allow_zero=True, allow_negative=True)
    if principal_delta == 0 and bonus_delta == 0:
        raise ValidationError("adjust_nothing")
    with ctx.tx() as t:
        m = _member(t, member_id)
        t.s.refresh(m, ["wallet_principal", "wallet_bonus"])
        before = _balance(m)
        cur = load_settings(t).currency
        if before.principal + principal_delta < 0:
            raise InsufficientFunds("adjust_principal_negative", balance=money.to_major_str(before.principal, cur),
                                    delta=money.to_major_str(principal_delta, cur))
        if before.bonus + bonus_delta < 0:
            raise InsufficientFunds("adjust_bonus_negative", balance=money.to_major_str(before.bonus, cur),
                                    delta=money.to_major_str(bonus_delta, cur))
        entry = ledger.post_wallet(t, m.id, "adjustment", principal_delta, bonus_delta, note=why)
        t.s.flush()
        t.s.refresh(m, ["wallet_principal", "wallet_bonus"])
        after = _balance(m)
        audit.record(t, "wallet.adjust", "member", m.id,
                     before={"principal": before.principal, "bonus": before.bonus},
                     after={"principal": after.principal, "bonus": after.bonus}, reason=why)
        return AdjustResult(member_id=m.id, entry_id=entry.id, principal_delta=principal_delta,
                            bonus_delta=bonus_delta, before=before, after=after)


def open_balance(t: Ctx, member_id: int, principal: int, bonus: int, note: str = "") -> WalletEntryView | None:
    """An imported opening balance (kind 'opening'), inside the caller's transaction.

    Both parts must be whole minor units >= 0; nothing is posted (None) when both are zero."""
    for name, value in (("principal", principal), ("bonus", bonus)):
        money.check_amount(value, field=name, allow_zero=True)
    if principal == 0 and bonus == 0:
        return None
    _member(t, member_id)
    entry = ledger.post_wallet(t, member_id, "opening", principal, bonus, note=note or "")
    t.s.flush()
    return _entry_view(entry)


# --- queries ----------------------------------------------------------------------------------------
def balance(ctx: Ctx, member_id: int) -> Balance:
    with ctx.tx(write=False) as t:
        return _balance(_member(t, member_id))


def history(ctx: Ctx, member_id: int, limit: int = 50) -> list[WalletEntryView]:
    """The member's wallet entries, newest first."""
    with ctx.tx(write=False) as t:
        _member(t, member_id)
        rows = t.s.execute(select(WalletEntry).where(WalletEntry.member_id == member_id)
                           .order_by(WalletEntry.id.desc()).limit(max(0, int(limit)))).scalars().all()
        return [_entry_view(e) for e in rows]


@dataclass(frozen=True)
class TopupView:
    id: int
    member_id: int
    amount: int
    bonus: int
    pay_method: str
    status: str
    created_at: datetime


def topups_for(ctx: Ctx, member_id: int, limit: int = 50) -> list[TopupView]:
    """The member's top-ups, newest first: for the top-up refund picker."""
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Topup).where(Topup.member_id == member_id)
                           .order_by(Topup.id.desc()).limit(max(0, int(limit)))).scalars().all()
        return [TopupView(id=r.id, member_id=r.member_id, amount=r.amount, bonus=r.bonus, pay_method=r.pay_method,
                          status=r.status, created_at=r.created_at) for r in rows]
