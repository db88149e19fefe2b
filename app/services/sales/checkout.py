"""Checkout: price a cart, take split payments, and record the sale in ONE transaction.

The sale, its lines and payments, the stored-value, points, voucher and count-card ledger entries,
the member's totals and tier, and the e-bill text all commit together or not at all.

Rounding rules (tested): line discounts round half up per line; a cart-level amount discount is
spread over the lines in proportion (largest remainder); points earned are floored.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from app import i18n
from app.i18n import N_
from app.errors import Busy, Conflict, InsufficientFunds, NotFound, ValidationError, method_name, quoted
from app.models import Member, Payment, Product, Sale, SaleLine, Voucher
from app.money import MAX_POINTS, check_amount, format_int, format_plain
from app.services.base import permissions
from app.services.base.context import Ctx
from app.services.base.prepared import Prepared
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.ledger import countcards, ledger, points, referrals, stock
from app.services.members import tiers
from app.services.members.snapshot import MemberSnap
from app.services.sales import receipt_numbers
# The cart types, the pricing steps and the tender plan live in their own modules; a caller that
# sells needs them with checkout, so they are importable from here too.
from app.services.sales.cart import (MAX_QTY, METHODS, Cart, CartLine, PaymentView, PricedCart, PricedLine,
                                     SaleResult, Tender)
from app.services.sales.pricing import LineInput, price_cart, price_line, price_sale
from app.services.sales.tenders import TenderPlan, VoucherValue, plan_tenders, voucher_discount
from app.services.texts import outbox, templates

__all__ = ["MAX_QTY", "METHODS", "Cart", "CartLine", "LineInput", "PaymentView", "PricedCart", "PricedLine",
           "SaleResult", "Tender", "TenderPlan", "VoucherValue", "checkout", "describe_payments", "plan_tenders",
           "price_cart", "price_line", "queue_ebill", "voucher_discount"]


# --- payment ----------------------------------------------------------------------------------
def _voucher_for(t: Ctx, code: str, member: MemberSnap | None, total: int, cfg: ShopSettings) -> Voucher:
    v = t.s.execute(select(Voucher).where(Voucher.code == (code or "").strip().upper())).scalar()
    if v is None:
        raise NotFound("voucher_not_found", code=code)
    if v.status == "used":
        raise Conflict("voucher_used", code=v.code)
    if v.status == "void":
        raise Conflict("voucher_void", code=v.code)
    if v.expires_on is not None and v.expires_on < t.today():
        raise Conflict("voucher_expired", code=v.code, date=v.expires_on.isoformat())
    if v.member_id is not None and (member is None or member.id != v.member_id):
        raise Conflict("voucher_not_yours", code=v.code)
    if total < v.min_spend:
        raise ValidationError("voucher_min_spend", code=v.code, min=format_plain(v.min_spend, cfg.currency))
    return v


# Built once, run on the driver's cursor (base/prepared.py): a sale writes these on every checkout.
_SALE_COLS = ("receipt_no", "till", "seq", "kind", "source", "source_ref", "client_ref", "original_sale_id",
              "staff_id", "member_id", "created_at", "subtotal", "tier_discount", "manual_discount", "total",
              "change_given", "points_earned", "note")
_INSERT_SALE = Prepared(insert(Sale.__table__).returning(Sale.__table__.c.id), _SALE_COLS)
_LINE_COLS = ("sale_id", "line_no", "product_id", "sku", "name", "qty", "unit_price", "price_overridden",
              "tier_discount", "manual_discount", "line_total", "points_eligible", "count_card_id", "list_price",
              "category", "unit_cost", "exchange_points")
_INSERT_LINE = Prepared(insert(SaleLine.__table__), _LINE_COLS)
_PAYMENT_COLS = ("sale_id", "method", "amount", "tendered", "points", "wallet_principal", "wallet_bonus",
                 "voucher_id", "reference")
_INSERT_PAYMENT = Prepared(insert(Payment.__table__), _PAYMENT_COLS)
_BY_CLIENT_REF = Prepared(select(Sale.__table__.c.id).where(Sale.__table__.c.client_ref == bindparam("b_ref")))


@dataclass
class _Tendered:
    """One payment as planned before the sale row exists (written after it, with its id)."""
    method: str
    amount: int
    tendered: int | None = None
    points: int | None = None
    wallet_principal: int | None = None
    wallet_bonus: int | None = None
    voucher: Voucher | None = None
    reference: str | None = None

    def view(self) -> PaymentView:
        return PaymentView(self.method, self.amount, self.tendered, self.points, self.wallet_principal,
                           self.wallet_bonus, self.voucher.code if self.voucher else None, self.reference)


def _plan_payments(t: Ctx, priced: PricedCart, member: MemberSnap | None, tenders: tuple[Tender, ...],
                   cfg: ShopSettings) -> tuple[list[_Tendered], int]:
    """Check the tenders, then what each pays by ``plan_tenders`` (the arithmetic the pay dialog shows):
    every refusal happens here, before anything is written. Returns the payments and the change."""
    found: dict[str, Voucher] = {}
    for tender in tenders:  # each tender's own input, in the order given
        method = tender.method
        if method not in METHODS:
            raise ValidationError("payment_method_unknown", method=method)
        if method == "cash":
            check_amount(tender.amount, cfg.currency, field="cash")
            continue
        if method in ("wallet", "points") and member is None:
            raise ValidationError("member_required", method=method)
        if method == "card":
            check_amount(tender.amount, cfg.currency, field="card")
        elif method == "wallet":
            check_amount(tender.amount, cfg.currency, field="stored value")
        elif method == "points":
            pts = tender.points
            if isinstance(pts, bool) or not isinstance(pts, int) or pts <= 0:
                raise ValidationError("points_invalid", value=quoted(repr(pts)))
            if pts > MAX_POINTS:
                raise ValidationError("points_absurd", value=quoted(str(pts)), max=format_int(MAX_POINTS))
            if cfg.point_value(pts) <= 0:
                raise ValidationError("points_too_few", points=pts, rate=cfg.points_redeem_rate)
        elif method == "voucher":
            v = _voucher_for(t, tender.voucher_code or "", member, priced.total, cfg)
            if v.code in found:
                raise Conflict("voucher_used", code=v.code)
            found[v.code] = v

    plan = plan_tenders(priced.total, tenders, point_value=cfg.point_value,
                        vouchers={code: VoucherValue(v.kind, v.value) for code, v in found.items()})
    payments: list[_Tendered] = []
    for tender, step in zip((x for x in tenders if x.method != "cash"), plan.payments, strict=True):
        method, amount, due = step.method, step.amount, step.due_before
        if method == "card":
            _not_over(method, amount, due, cfg)
            payments.append(_Tendered("card", amount, reference=tender.reference))
        elif method == "wallet":
            _not_over(method, amount, due, cfg)
            spent_p = sum(p.wallet_principal or 0 for p in payments)
            spent_b = sum(p.wallet_bonus or 0 for p in payments)
            principal, bonus = member.wallet_principal - spent_p, member.wallet_bonus - spent_b
            if amount > principal + bonus:
                raise InsufficientFunds("wallet_insufficient", balance=format_plain(principal + bonus, cfg.currency),
                                        amount=format_plain(amount, cfg.currency))
            p_part, b_part = ledger.split_spend(principal, bonus, amount)
            payments.append(_Tendered("wallet", amount, wallet_principal=p_part, wallet_bonus=b_part))
        elif method == "points":
            _not_over(method, amount, due, cfg)
            used = priced.exchange_points + sum(p.points or 0 for p in payments)  # exchanged lines first
            if step.points > member.points_balance - used:
                raise InsufficientFunds("points_insufficient", member=member.name,
                                        balance=member.points_balance - used, points=step.points)
            payments.append(_Tendered("points", amount, points=step.points))
        elif method == "voucher":
            v = found[step.voucher_code]
            if amount <= 0:  # nothing left for it to pay
                raise ValidationError("payment_over", method="voucher",
                                      amount=format_plain(step.worth, cfg.currency),
                                      due=format_plain(due, cfg.currency))
            payments.append(_Tendered("voucher", amount, voucher=v, reference=v.code))
    if plan.cash_tendered:
        payments.append(_Tendered("cash", plan.cash, tendered=plan.cash_tendered))
    if plan.remaining > 0:
        raise ValidationError("payment_short", paid=format_plain(priced.total - plan.remaining, cfg.currency),
                              total=format_plain(priced.total, cfg.currency))
    return payments, plan.change


def _post_payments(t: Ctx, sale_id: int, payments: list[_Tendered], member: MemberSnap | None) -> None:
    """Write the payments and claim the vouchers they use, by conditional updates: a voucher another
    till used a moment ago makes this sale fail cleanly. (Stored value and points move with the
    member's other moves in ``ledger.post_sale``.)"""
    for p in payments:
        if p.method == "voucher":
            used = t.s.execute(update(Voucher).where(Voucher.id == p.voucher.id, Voucher.status == "active")
                               .values(status="used", used_sale_id=sale_id, used_at=t.now())
                               .execution_options(synchronize_session=False)).rowcount
            if used != 1:
                raise Conflict("voucher_used", code=p.voucher.code)
            # a bring-a-friend voucher credits the member who passed it on (ledger/referrals.py)
            referrals.credit_referral(t, p.voucher, member, sale_id)
    if not payments:  # a sale paid in full by count cards
        return
    rows = [{"sale_id": sale_id, "method": p.method, "amount": p.amount, "tendered": p.tendered, "points": p.points,
             "wallet_principal": p.wallet_principal, "wallet_bonus": p.wallet_bonus,
             "voucher_id": p.voucher.id if p.voucher else None, "reference": p.reference} for p in payments]
    conn = t.s.connection()
    if len(rows) == 1:
        _INSERT_PAYMENT.run(conn, rows[0])
    else:
        _INSERT_PAYMENT.run_many(conn, rows)


def _not_over(method: str, amount: int, due: int, cfg: ShopSettings) -> None:
    if amount > due:
        raise ValidationError("payment_over", method=method, amount=format_plain(amount, cfg.currency),
                              due=format_plain(due, cfg.currency))


# --- the sale ---------------------------------------------------------------------------------
@dataclass
class _Plan:
    """A sale decided before anything is written: prices, tenders, points, tier."""
    priced: PricedCart
    member: MemberSnap | None
    payments: list[_Tendered]
    change: int
    earned: int
    new_tier: tiers.TierRule | None


def _plan(t: Ctx, cart: Cart, tenders: tuple[Tender, ...], cfg: ShopSettings, *, lock: bool = False) -> _Plan:
    """Price the cart and check every tender against the member as read now: every refusal
    happens here. Reads only (``lock``: the member's row is locked for the rest of the transaction)."""
    priced, member, tier = price_sale(t, cart, cfg, lock=lock)
    payments, change = _plan_payments(t, priced, member, tenders, cfg)
    earned, new_tier = 0, None
    if member is not None:
        paid_money = sum(p.amount for p in payments if p.method in ("cash", "card", "wallet"))
        earned = points.earn_points(cfg, min(priced.points_base, paid_money),
                                    tier.points_multiplier_pct if tier else 100)
        new_tier = tiers.upgrade_for(t, member.id, member.tier_id, member.total_spent + priced.total,
                                     priced.total, cfg, tiers.rules(t), month_before=priced.total)
    return _Plan(priced, member, payments, change, earned, new_tier)


def _move_member(t: Ctx, plan: _Plan, cfg: ShopSettings, now) -> bool:
    """The member's side of the sale in one conditional update (ledger.post_sale); False when the
    member changed since ``plan`` was made."""
    member = plan.member
    spend_p = sum(p.wallet_principal or 0 for p in plan.payments if p.method == "wallet")
    spend_b = sum(p.wallet_bonus or 0 for p in plan.payments if p.method == "wallet")
    redeem = [p.points for p in plan.payments if p.method == "points"]
    if plan.priced.exchange_points:  # products exchanged for points (积分兑换)
        redeem.append(plan.priced.exchange_points)
    return ledger.claim_sale(t, member, spend=(spend_p, spend_b), redeem=redeem, earn=plan.earned,
                             total=plan.priced.total,
                             tier_id=plan.new_tier.id if plan.new_tier else member.tier_id, now=now)


def checkout(ctx: Ctx, cart: Cart, tenders: tuple[Tender, ...] | list[Tender], *,
             client_ref: str | None = None) -> SaleResult:
    """Record a sale. ``client_ref`` (unique per attempt at the till) makes a retry return the
    sale already recorded instead of selling twice.

    Everything is read and checked first (prices, discounts, every tender, the tier), before the
    write lock; then, holding it, the member's balances move by ONE conditional update whose WHERE
    holds the balances the sale was planned on (a member changed meanwhile by another till is read
    again, under the lock, and the sale planned again), and the sale, its lines and payments, the
    ledger entries and the e-bill are written with as few statements as the rules allow, all in
    this one transaction.
    """
    permissions.require(ctx, "sell")
    tenders = tuple(tenders)
    try:
        return _checkout(ctx, cart, tenders, client_ref)
    except IntegrityError:
        # Two attempts of one sale (the same client_ref) at once: the unique index let one through.
        if client_ref:
            with ctx.tx(write=False) as t:
                done = t.s.execute(select(Sale).where(Sale.client_ref == client_ref)).scalar()
                if done is not None:
                    return _replay(t, done)
        raise


def _checkout(ctx: Ctx, cart: Cart, tenders: tuple[Tender, ...], client_ref: str | None) -> SaleResult:
    with ctx.tx(late=True) as t:
        cfg = load_settings(t)
        if client_ref:
            done = _BY_CLIENT_REF.row(t.s.connection(), {"b_ref": client_ref})
            if done is not None:
                return _replay(t, t.s.get(Sale, done[0]))
        plan = _plan(t, cart, tenders, cfg)
        t.write_lock()  # SQLite: BEGIN IMMEDIATE, here and not at the first read
        now = t.now()
        if plan.member is not None and not _move_member(t, plan, cfg, now):
            plan = _plan(t, cart, tenders, cfg, lock=True)  # changed meanwhile: again, under the lock
            if not _move_member(t, plan, cfg, now):
                raise Busy("db_busy")
        priced, member, payments, earned = plan.priced, plan.member, plan.payments, plan.earned
        receipt_no, seq = receipt_numbers.next_number(t)
        conn = t.s.connection()
        sale_id = _INSERT_SALE.row(conn, dict(
            receipt_no=receipt_no, till=t.till, seq=seq, kind="sale", source="till", source_ref=None,
            client_ref=client_ref, original_sale_id=None, staff_id=t.actor.id,
            member_id=member.id if member else None, created_at=now, subtotal=priced.subtotal,
            tier_discount=priced.tier_discount, manual_discount=priced.manual_discount, total=priced.total,
            change_given=plan.change, points_earned=earned, note=""))[0]
        _post_payments(t, sale_id, payments, member)

        # Count cards: use a card for each covered service; sell packages (one card per unit).
        card_for_line: dict[int, int | None] = {}
        asked: dict[int, int] = {}
        for pl in priced.lines:
            if pl.count_card_id is not None:
                asked[pl.count_card_id] = asked.get(pl.count_card_id, 0) + pl.qty
        for card_id, uses in asked.items():
            countcards.check_uses(t, card_id, uses)
        used_cards: dict[int, list] = {}   # card id -> [its view after the visit, uses taken]: the e-bill says
        for pl in priced.lines:
            card_for_line[pl.line_no] = pl.count_card_id
            if pl.count_card_id is not None:
                for _ in range(pl.qty):
                    view = countcards.use(t, pl.count_card_id, member.id, pl.product_id, sale_id)
                    used_cards[view.id] = [view, used_cards.get(view.id, [None, 0])[1] + 1]
            elif pl.kind == "count_card":
                product = t.s.get(Product, pl.product_id)
                for unit in range(pl.qty):
                    price_paid = pl.line_total // pl.qty + (1 if unit < pl.line_total % pl.qty else 0)
                    card_for_line[pl.line_no] = countcards.issue(t, member.id, product, sale_id, price_paid).id
        _INSERT_LINE.run_many(conn, [
            {"sale_id": sale_id, "line_no": pl.line_no, "product_id": pl.product_id, "sku": pl.sku, "name": pl.name,
             "qty": pl.qty, "unit_price": pl.unit_price, "price_overridden": pl.price_overridden,
             "tier_discount": pl.tier_discount, "manual_discount": pl.manual_discount, "line_total": pl.line_total,
             "points_eligible": pl.points_eligible, "count_card_id": card_for_line[pl.line_no],
             "list_price": pl.list_price, "category": pl.category, "unit_cost": pl.unit_cost,
             "exchange_points": pl.exchange_points}
            for pl in priced.lines])
        sold = {}
        for pl in priced.lines:
            if pl.track_stock:
                sold[pl.product_id] = sold.get(pl.product_id, 0) - pl.qty
        if sold:
            stock.post_stock_many(t, "sold", sorted(sold.items()), sale_id=sale_id,
                                  refuse_below_zero=cfg.negative_stock == "refuse")

        upgraded, message_id = None, None
        if member is not None:
            ledger.sale_entries(t, member.id, sale_id=sale_id, payments=[
                (p.method, p.wallet_principal, p.wallet_bonus, p.points) for p in payments],
                exchange=priced.exchange_points, earn=earned,
                earn_expires=points.expiry_date(cfg, now.date()) if earned else None, now=now)
            upgraded = plan.new_tier.code if plan.new_tier else None
            sale = _SaleRef(sale_id, receipt_no, priced.total)
            msg = queue_ebill(t, member, sale, payments, cfg, "ebill_sale",
                              cards=[(v.product_name, n, v.uses_left) for v, n in used_cards.values()])
            message_id = msg.id if msg else None
        return SaleResult(
            sale_id=sale_id, receipt_no=receipt_no, created_at=now, member_id=member.id if member else None,
            total=priced.total, change=plan.change, payments=tuple(p.view() for p in payments),
            points_earned=earned, points_balance=member.points_balance if member else None,
            wallet_balance=(member.wallet_principal + member.wallet_bonus) if member else None,
            tier_upgraded_to=upgraded, message_id=message_id, lines=priced.lines)


@dataclass(frozen=True)
class _SaleRef:
    id: int
    receipt_no: str
    total: int


def _payment_view(t: Ctx, p: Payment) -> PaymentView:
    code = p.reference if p.method == "voucher" else None
    return PaymentView(p.method, p.amount, p.tendered, p.points, p.wallet_principal, p.wallet_bonus, code,
                       None if p.method == "voucher" else p.reference)


def _replay(t: Ctx, sale: Sale) -> SaleResult:
    member = t.s.get(Member, sale.member_id) if sale.member_id else None
    return SaleResult(
        sale_id=sale.id, receipt_no=sale.receipt_no, created_at=sale.created_at, member_id=sale.member_id,
        total=sale.total, change=sale.change_given, payments=tuple(_payment_view(t, p) for p in sale.payments),
        points_earned=sale.points_earned, points_balance=member.points_balance if member else None,
        wallet_balance=(member.wallet_principal + member.wallet_bonus) if member else None,
        tier_upgraded_to=None, message_id=None, replayed=True)


def describe_payments(payments, cfg: ShopSettings, lang: str) -> str:
    """"Stored value 58.00, Cash 10.00" (an e-bill's {paid}), in ``lang``."""
    parts = [i18n.T_(lang, "{method} {amount}", method=method_name(p.method, lang),
                       amount=format_plain(abs(p.amount), cfg.currency, lang)) for p in payments]
    return i18n.T_(lang, ", ").join(parts)


CARD_USED = N_("{card}: {used} used, {left} left")
CARD_GIVEN_BACK = N_("{card}: {used} given back, {left} left")


def describe_cards(cards, lang: str, *, refund: bool = False) -> str:
    """"10 haircuts: 1 used, 9 left" for each count card a visit used (a refund: gave back)."""
    phrase = CARD_GIVEN_BACK if refund else CARD_USED
    return i18n.T_(lang, ", ").join(i18n.T_(lang, phrase, card=name, used=format_int(n, lang),
                                            left=format_int(left, lang)) for name, n, left in cards)


def queue_ebill(t: Ctx, member: Member, sale: Sale, payments, cfg: ShopSettings, kind: str, *, cards=()):
    """The electronic bill for a sale or refund, queued in the sale's own transaction. ``cards``:
    (card name, uses taken or given back, uses left) for each count card the visit used; a sale
    paid by count cards alone is told with the ``ebill_countcard`` text (no "spent 0.00 ()")."""
    lang = cfg.language
    card_text = describe_cards(cards, lang, refund=kind == "ebill_refund")
    paid = i18n.T_(lang, ", ").join(p for p in (describe_payments(payments, cfg, lang), card_text) if p)
    if cards and not payments and kind == "ebill_sale":
        kind = "ebill_countcard"
    body = templates.compose(t, kind, lang, {
        "name": member.name,
        "amount": format_plain(abs(sale.total), cfg.currency, lang),
        "paid": paid, "cards": card_text,
        "balance": format_plain(member.wallet_principal + member.wallet_bonus, cfg.currency, lang),
        "points": format_int(member.points_balance, lang),
        "receipt": sale.receipt_no,
    }, cfg=cfg)
    # A sale id is new in this transaction, so its e-bill key cannot exist yet: no look-up needed.
    return outbox.enqueue(t, member, kind="ebill", category="transactional", body=body,
                          dedupe_key=f"ebill:sale:{sale.id}", lang=lang, fresh=True)
