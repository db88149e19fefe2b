"""Checkout: price a cart, take split payments, and record the sale in ONE transaction.

The sale, its lines and payments, the stored-value, points, voucher and count-card ledger entries,
the member's totals and tier, and the e-bill text all commit together or not at all.

Rounding rules (tested): line discounts round half up per line; a cart-level amount discount is
spread over the lines in proportion (largest remainder); points earned are floored.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app import i18n
from app.errors import Conflict, InsufficientFunds, NotFound, PermissionDenied, ValidationError, method_name, quoted
from app.models import Member, Payment, Product, Sale, SaleLine, Tier, Voucher
from app.money import MAX_POINTS, check_amount, format_int, format_plain, round_half_up
from app.services.sales import catalog, receipt_numbers
from app.services.ledger import countcards, ledger, points, referrals
from app.services.texts import outbox, templates
from app.services.base import permissions
from app.services.members import tiers
from app.services.base.context import Ctx
from app.services.members.members import get_row as get_member_row
from app.services.base.settings import CASHIER_DISCOUNT_MAX_BP, ShopSettings
from app.services.base.settings import load as load_settings

MAX_QTY = 9999
METHODS = ("cash", "card", "wallet", "points", "voucher")


# --- values in --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CartLine:
    sku: str
    qty: int = 1
    unit_price: int | None = None     # a price override (manager or owner)
    count_card_id: int | None = None  # this service is paid with one use of that count card


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...]
    member_id: int | None = None
    discount_bp: int = 0        # manual discount in basis points (1000 = 10% off)
    discount_amount: int = 0    # manual discount off the whole cart, minor units


@dataclass(frozen=True)
class Tender:
    method: str                 # cash, card, wallet, points, voucher
    amount: int = 0             # cash: handed over; card / wallet: paid; unused for points and voucher
    points: int = 0             # points: how many to redeem
    voucher_code: str | None = None
    reference: str | None = None


# --- values out -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PricedLine:
    line_no: int
    product_id: int
    sku: str
    name: str
    kind: str
    qty: int
    unit_price: int
    price_overridden: bool
    gross: int
    tier_discount: int
    manual_discount: int
    line_total: int
    points_eligible: bool
    count_card_id: int | None


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[PricedLine, ...]
    member_id: int | None
    subtotal: int
    tier_discount: int
    manual_discount: int
    total: int
    points_base: int              # eligible amount points are earned on, before payment mix
    max_points_value: int         # what the member's points could pay, at most the total


@dataclass(frozen=True)
class PaymentView:
    method: str
    amount: int
    tendered: int | None = None
    points: int | None = None
    wallet_principal: int | None = None
    wallet_bonus: int | None = None
    voucher_code: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class SaleResult:
    sale_id: int
    receipt_no: str
    created_at: datetime
    member_id: int | None
    total: int
    change: int
    payments: tuple[PaymentView, ...]
    points_earned: int
    points_balance: int | None
    wallet_balance: int | None
    tier_upgraded_to: str | None
    message_id: int | None
    replayed: bool = False
    lines: tuple[PricedLine, ...] = field(default=())


# --- pricing ----------------------------------------------------------------------------------
def _limit_bp(ctx: Ctx, cfg: ShopSettings) -> int:
    if ctx.actor.role == "system":
        return 10_000
    limit = int(cfg.discount_limit_bp.get(ctx.actor.role, 0))
    if ctx.actor.role == "cashier":  # a limit stored before the cap existed is held to it too
        limit = min(limit, CASHIER_DISCOUNT_MAX_BP)
    return limit


def _spread(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` over ``weights`` in proportion; largest remainder gets the leftovers."""
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class LineInput:
    """One cart line checked against the catalogue: everything the pricing steps work from."""
    line_no: int
    product_id: int
    sku: str
    name: str
    kind: str
    qty: int
    list_price: int
    override: int | None            # a price typed at the till that differs from the list price
    count_card_id: int | None       # one count-card use pays the whole line
    discount_eligible: bool
    points_eligible: bool

    @property
    def covered(self) -> bool:
        return self.count_card_id is not None

    @property
    def discountable(self) -> bool:
        """Tier and manual discounts apply: the product allows them, at the price that applies."""
        return self.discount_eligible and self.override is None and not self.covered


@dataclass(frozen=True)
class LinePrice:
    """A line after the per-line steps, before the cart-level amount discount is spread."""
    line: LineInput
    unit_price: int
    gross: int
    tier_discount: int
    percent_discount: int

    @property
    def after_discounts(self) -> int:
        """What the cart-level amount discount may take from this line (0 if it takes none)."""
        return self.gross - self.tier_discount - self.percent_discount if self.line.discountable else 0

    @property
    def limit_base(self) -> int:
        """What the manual discount limit is measured against: the price after the tier discount."""
        return self.gross - self.tier_discount if self.line.discountable else 0


def _line_input(t: Ctx, line_no: int, line: CartLine, p: Product, member: Member | None,
                cfg: ShopSettings) -> LineInput:
    if isinstance(line.qty, bool) or not isinstance(line.qty, int) or not 1 <= line.qty <= MAX_QTY:
        raise ValidationError("quantity_invalid", max=MAX_QTY, value=line.qty)
    if not p.active:
        raise ValidationError("product_inactive", name=p.name)
    override = line.unit_price if line.unit_price is not None and line.unit_price != p.price else None
    if override is not None:  # the permission is needed only for a price other than the one that applies
        if not permissions.allowed(t, "override_price"):
            raise PermissionDenied("price_override_denied")
        check_amount(override, cfg.currency, field="price", allow_zero=True)
    if (line.count_card_id is not None or p.kind == "count_card") and member is None:
        raise ValidationError("member_required", method="count_card")
    return LineInput(line_no, p.id, p.sku, p.name, p.kind, line.qty, p.price, override, line.count_card_id,
                     p.discount_eligible, p.points_eligible)


# The pricing steps, in order: list price -> member price -> tier discount -> manual discount.
def list_price(line: LineInput) -> int:
    return line.list_price


def member_price(line: LineInput, unit: int) -> int:
    """The unit price that applies: a price typed at the till, else ``unit`` (the catalogue keeps no
    per-tier member prices: a tier's advantage is its discount)."""
    return line.override if line.override is not None else unit


def tier_discount(line: LineInput, gross: int, tier: Tier | None) -> int:
    """The tier's discount on the line, where the product allows it; rounded half up per line."""
    return round_half_up(gross * tier.discount_bp, 10_000) if tier is not None and line.discountable else 0


def percent_discount(line: LineInput, after_tier: int, discount_bp: int) -> int:
    """The cashier's percentage off, on the price after the tier discount; rounded half up per line."""
    return round_half_up(after_tier * discount_bp, 10_000) if line.discountable else 0


def price_line(line: LineInput, tier: Tier | None, discount_bp: int) -> LinePrice:
    unit = member_price(line, list_price(line))
    gross = unit * line.qty
    tier_off = tier_discount(line, gross, tier)
    return LinePrice(line, unit, gross, tier_off, percent_discount(line, gross - tier_off, discount_bp))


def _check_manual_limit(t: Ctx, cfg: ShopSettings, prices: list[LinePrice], discount_amount: int) -> None:
    """The role's limit applies to the manual discount as a whole, against the price after tier discount."""
    manual_total = sum(x.percent_discount for x in prices) + discount_amount
    base = sum(x.limit_base for x in prices)
    limit = _limit_bp(t, cfg)
    if manual_total and manual_total * 10_000 > limit * base:
        asked = round_half_up(manual_total * 10_000, base) / 100 if base else 100
        raise PermissionDenied("discount_over_limit", role=t.actor.role, limit=limit / 100, asked=asked)


def _priced_line(x: LinePrice, amount_share: int) -> PricedLine:
    line = x.line
    manual = x.percent_discount + amount_share
    covered = line.covered
    return PricedLine(line.line_no, line.product_id, line.sku, line.name, line.kind, line.qty, x.unit_price,
                      line.override is not None, x.gross, 0 if covered else x.tier_discount,
                      0 if covered else manual, 0 if covered else x.gross - x.tier_discount - manual,
                      line.points_eligible and not covered, line.count_card_id)


def _price(t: Ctx, cart: Cart, cfg: ShopSettings) -> tuple[PricedCart, Member | None, Tier | None]:
    if not cart.lines:
        raise ValidationError("cart_empty")
    member = get_member_row(t, cart.member_id) if cart.member_id is not None else None
    if member is not None and member.erased_at is not None:
        raise ValidationError("member_erased", key=member.id)
    tier = next((x for x in tiers.all_tiers(t) if x.id == member.tier_id), None) if member is not None else None
    bp = cart.discount_bp
    if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= 10_000:  # 5.5 bp would be stored as a float
        raise ValidationError("percent_invalid", field="discount",
                              value=bp / 100 if isinstance(bp, int) and not isinstance(bp, bool) else quoted(repr(bp)))
    check_amount(cart.discount_amount, cfg.currency, field="discount", allow_zero=True)

    products = catalog.lookup_many(t, [line.sku for line in cart.lines])
    inputs = [_line_input(t, i, line, products[line.sku.strip()], member, cfg)
              for i, line in enumerate(cart.lines, start=1)]
    prices = [price_line(line, tier, cart.discount_bp) for line in inputs]

    after = [x.after_discounts for x in prices]
    if cart.discount_amount > sum(after):
        raise ValidationError("discount_over_total", discount=format_plain(cart.discount_amount, cfg.currency),
                              total=format_plain(sum(after), cfg.currency))
    shares = _spread(cart.discount_amount, after)
    _check_manual_limit(t, cfg, prices, cart.discount_amount)

    lines = [_priced_line(x, share) for x, share in zip(prices, shares, strict=True)]
    total = sum(x.line_total for x in lines)
    points_base = sum(x.line_total for x in lines if x.points_eligible)
    max_pts = min(total, cfg.point_value(member.points_balance)) if member else 0
    priced = PricedCart(tuple(lines), cart.member_id, sum(x.gross for x in lines),
                        sum(x.tier_discount for x in lines), sum(x.manual_discount for x in lines),
                        total, points_base, max_pts)
    return priced, member, tier


def price_cart(ctx: Ctx, cart: Cart) -> PricedCart:
    """What the till shows before payment: lines, discounts, total."""
    with ctx.tx(write=False) as t:
        return _price(t, cart, load_settings(t))[0]


# --- what the tenders pay (pure: the pay dialog's live figures and checkout's payments) ----------
@dataclass(frozen=True)
class VoucherValue:
    """What plan_tenders needs of a voucher: ``amount`` (value in minor units) or ``percent`` (value in
    basis points of the total)."""
    kind: str
    value: int


@dataclass(frozen=True)
class PlannedPayment:
    """One non-cash tender: what it pays toward the sale, and what was still due when it came."""
    method: str
    amount: int                 # card / stored value: as given; points: their value; voucher: at most what is due
    due_before: int             # negative once earlier tenders came to more than the total
    points: int = 0             # points: how many
    voucher_code: str = ""      # voucher: its code (upper case)
    worth: int = 0              # voucher: what it takes off the total (percent: rounded half up)


@dataclass(frozen=True)
class TenderPlan:
    total: int
    payments: tuple[PlannedPayment, ...]   # the non-cash tenders, in the order given
    card: int
    wallet: int
    points: int                 # points redeemed
    points_value: int
    voucher: int                # what the vouchers pay
    non_cash: int               # card + stored value + points + vouchers
    cash_tendered: int          # cash handed over
    cash: int                   # cash kept for the sale
    change: int
    remaining: int              # still due after everything
    over: int                   # what the non-cash tenders come to beyond the total (checkout refuses it)


def voucher_discount(total: int, kind: str, value: int) -> int:
    """What a voucher takes off ``total``: its amount, or ``value`` basis points of the total, rounded
    half up (a 12% voucher on 9.99 takes 1.20)."""
    return value if kind == "amount" else round_half_up(total * value, 10_000)


def plan_tenders(total: int, tenders: Iterable[Tender], *, point_value: Callable[[int], int],
                 vouchers: Mapping[str, VoucherValue] | None = None) -> TenderPlan:
    """What each tender pays toward ``total``, the change and what remains, from values already
    checked. Non-cash tenders pay in the order given (a voucher pays at most what is still due: no
    change); cash, wherever it stands, comes last and is the only tender that gives change.

    ``point_value(points)`` is what points pay for (ShopSettings.point_value); ``vouchers`` maps an
    upper-case code to its VoucherValue (a code not in it, not looked up yet, pays nothing)."""
    vouchers = vouchers or {}
    due = total
    steps: list[PlannedPayment] = []
    cash_tendered = 0
    for tender in tenders:
        method = tender.method
        if method == "cash":
            cash_tendered += tender.amount
            continue
        if method == "points":
            step = PlannedPayment("points", point_value(tender.points), due, points=tender.points)
        elif method == "voucher":
            code = (tender.voucher_code or "").strip().upper()
            terms = vouchers.get(code)
            worth = voucher_discount(total, terms.kind, terms.value) if terms else 0
            step = PlannedPayment("voucher", min(worth, max(0, due)), due, voucher_code=code, worth=worth)
        else:
            step = PlannedPayment(method, tender.amount, due)
        steps.append(step)
        due -= step.amount
    cash = min(cash_tendered, max(0, due))

    def paid(method: str) -> int:
        return sum(s.amount for s in steps if s.method == method)

    return TenderPlan(total=total, payments=tuple(steps), card=paid("card"), wallet=paid("wallet"),
                      points=sum(s.points for s in steps), points_value=paid("points"), voucher=paid("voucher"),
                      non_cash=total - due, cash_tendered=cash_tendered, cash=cash, change=cash_tendered - cash,
                      remaining=max(0, due) - cash, over=max(0, -due))


# --- payment ----------------------------------------------------------------------------------
def _voucher_for(t: Ctx, code: str, member: Member | None, total: int, cfg: ShopSettings) -> Voucher:
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


# Built once: a sale writes these on every checkout.
_INSERT_SALE = insert(Sale.__table__).returning(Sale.__table__.c.id)
_INSERT_LINE = insert(SaleLine.__table__)
_INSERT_PAYMENT = insert(Payment.__table__)
_mt = Member.__table__
_MEMBER_VISIT = (update(_mt).where(_mt.c.id == bindparam("b_id"))
                 .values(total_spent=_mt.c.total_spent + bindparam("b_total"), visits=_mt.c.visits + 1,
                         last_visit_at=bindparam("b_now"), updated_at=bindparam("b_now")))


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


def _plan_payments(t: Ctx, priced: PricedCart, member: Member | None, tenders: tuple[Tender, ...],
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
            used = sum(p.points or 0 for p in payments)
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


def _post_payments(t: Ctx, sale_id: int, payments: list[_Tendered], member: Member | None, cfg: ShopSettings) -> None:
    """Write the payments and move the balances they draw on, by conditional updates: a second
    till that spent the same balance a moment ago makes this one fail cleanly."""
    for p in payments:
        if p.method == "wallet":
            try:
                ledger.post_wallet(t, member.id, "spend", -p.wallet_principal, -p.wallet_bonus, sale_id=sale_id)
            except InsufficientFunds:
                raise InsufficientFunds("wallet_insufficient", balance="?",
                                        amount=format_plain(p.amount, cfg.currency)) from None
        elif p.method == "points":
            try:
                ledger.post_points(t, member.id, "redeem", -p.points, sale_id=sale_id)
            except InsufficientFunds:
                raise InsufficientFunds("points_insufficient", member=member.name, balance="?",
                                        points=p.points) from None
        elif p.method == "voucher":
            used = t.s.execute(update(Voucher).where(Voucher.id == p.voucher.id, Voucher.status == "active")
                               .values(status="used", used_sale_id=sale_id, used_at=t.now())
                               .execution_options(synchronize_session=False)).rowcount
            if used != 1:
                raise Conflict("voucher_used", code=p.voucher.code)
            # a bring-a-friend voucher credits the member who passed it on (ledger/referrals.py)
            referrals.credit_referral(t, p.voucher, member, sale_id)
    if not payments:  # a sale paid in full by count cards
        return
    t.s.connection().execute(_INSERT_PAYMENT, [
        {"sale_id": sale_id, "method": p.method, "amount": p.amount, "tendered": p.tendered, "points": p.points,
         "wallet_principal": p.wallet_principal, "wallet_bonus": p.wallet_bonus,
         "voucher_id": p.voucher.id if p.voucher else None, "reference": p.reference} for p in payments])


def _not_over(method: str, amount: int, due: int, cfg: ShopSettings) -> None:
    if amount > due:
        raise ValidationError("payment_over", method=method, amount=format_plain(amount, cfg.currency),
                              due=format_plain(due, cfg.currency))


# --- the sale ---------------------------------------------------------------------------------
def checkout(ctx: Ctx, cart: Cart, tenders: tuple[Tender, ...] | list[Tender], *,
             client_ref: str | None = None) -> SaleResult:
    """Record a sale. ``client_ref`` (unique per attempt at the till) makes a retry return the
    sale already recorded instead of selling twice.

    Everything is checked first (prices, discounts, every tender); then the sale, its lines and
    payments, the ledger entries, the member's totals and tier and the e-bill are written with as
    few statements as the rules allow, all in this one transaction.
    """
    permissions.require(ctx, "sell")
    tenders = tuple(tenders)
    with ctx.tx() as t:
        cfg = load_settings(t)
        if client_ref:
            done = t.s.execute(select(Sale).where(Sale.client_ref == client_ref)).scalar()
            if done is not None:
                return _replay(t, done)
        priced, member, tier = _price(t, cart, cfg)
        payments, change = _plan_payments(t, priced, member, tenders, cfg)
        earned = 0
        if member is not None:
            paid_money = sum(p.amount for p in payments if p.method in ("cash", "card", "wallet"))
            earned = points.earn_points(cfg, min(priced.points_base, paid_money),
                                        tier.points_multiplier_pct if tier else 100)

        now = t.now()
        receipt_no, seq = receipt_numbers.next_number(t)
        sale_id = t.s.connection().execute(_INSERT_SALE, dict(
            receipt_no=receipt_no, till=t.till, seq=seq, kind="sale", source="till", source_ref=None,
            client_ref=client_ref, original_sale_id=None, staff_id=t.actor.id,
            member_id=member.id if member else None, created_at=now, subtotal=priced.subtotal,
            tier_discount=priced.tier_discount, manual_discount=priced.manual_discount, total=priced.total,
            change_given=change, points_earned=earned, note="")).scalar_one()
        _post_payments(t, sale_id, payments, member, cfg)

        # Count cards: use a card for each covered service; sell packages (one card per unit).
        card_for_line: dict[int, int | None] = {}
        asked: dict[int, int] = {}
        for pl in priced.lines:
            if pl.count_card_id is not None:
                asked[pl.count_card_id] = asked.get(pl.count_card_id, 0) + pl.qty
        for card_id, uses in asked.items():
            countcards.check_uses(t, card_id, uses)
        for pl in priced.lines:
            card_for_line[pl.line_no] = pl.count_card_id
            if pl.count_card_id is not None:
                for _ in range(pl.qty):
                    countcards.use(t, pl.count_card_id, member.id, pl.product_id, sale_id)
            elif pl.kind == "count_card":
                product = t.s.get(Product, pl.product_id)
                for unit in range(pl.qty):
                    price_paid = pl.line_total // pl.qty + (1 if unit < pl.line_total % pl.qty else 0)
                    card_for_line[pl.line_no] = countcards.issue(t, member.id, product, sale_id, price_paid).id
        t.s.connection().execute(_INSERT_LINE, [
            {"sale_id": sale_id, "line_no": pl.line_no, "product_id": pl.product_id, "sku": pl.sku, "name": pl.name,
             "qty": pl.qty, "unit_price": pl.unit_price, "price_overridden": pl.price_overridden,
             "tier_discount": pl.tier_discount, "manual_discount": pl.manual_discount, "line_total": pl.line_total,
             "points_eligible": pl.points_eligible, "count_card_id": card_for_line[pl.line_no]}
            for pl in priced.lines])

        upgraded, message_id = None, None
        if member is not None:
            if earned:
                ledger.post_points(t, member.id, "earn", earned, sale_id=sale_id,
                                   expires_on=points.expiry_date(cfg, now.date()))
            t.s.connection().execute(_MEMBER_VISIT, {"b_id": member.id, "b_total": priced.total, "b_now": now})
            for attr, value in (("total_spent", member.total_spent + priced.total), ("visits", member.visits + 1),
                                ("last_visit_at", now), ("updated_at", now)):
                set_committed_value(member, attr, value)
            new_tier = tiers.after_sale(t, member, priced.total, cfg)
            upgraded = new_tier.code if new_tier else None
            sale = _SaleRef(sale_id, receipt_no, priced.total)
            msg = queue_ebill(t, member, sale, payments, cfg, "ebill_sale")
            t.s.flush()
            message_id = msg.id if msg else None
        return SaleResult(
            sale_id=sale_id, receipt_no=receipt_no, created_at=now, member_id=member.id if member else None,
            total=priced.total, change=change, payments=tuple(p.view() for p in payments), points_earned=earned,
            points_balance=member.points_balance if member else None,
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


def queue_ebill(t: Ctx, member: Member, sale: Sale, payments, cfg: ShopSettings, kind: str):
    """The electronic bill for a sale or refund, queued in the sale's own transaction."""
    lang = cfg.language
    body = templates.compose(t, kind, lang, {
        "name": member.name,
        "amount": format_plain(abs(sale.total), cfg.currency, lang),
        "paid": describe_payments(payments, cfg, lang),
        "balance": format_plain(member.wallet_principal + member.wallet_bonus, cfg.currency, lang),
        "points": format_int(member.points_balance, lang),
        "receipt": sale.receipt_no,
    }, cfg=cfg)
    # A sale id is new in this transaction, so its e-bill key cannot exist yet: no look-up needed.
    return outbox.enqueue(t, member, kind="ebill", category="transactional", body=body,
                          dedupe_key=f"ebill:sale:{sale.id}", lang=lang, fresh=True)
