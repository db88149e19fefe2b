"""Refunds and voids of a whole sale or some of its lines.

A refund is a new sale row (``kind='refund'``) with negative lines and payments that point back at
the original; nothing is edited or deleted. It reverses exactly what those lines brought:

* Value: each line refunds its own net total in proportion to the quantity returned; the last unit
  returned takes the remainder, so refunding everything gives back exactly the sale total.
* Tenders: the value goes back the way it was paid, in proportion to each payment method, the
  remainder first to cash, then card, stored value, points. Stored value returns to the ledger as
  paid principal and bonus in the proportion it was spent; points paid come back as points.
* Vouchers: a voucher's share of a partial refund is kept (the discount is pro rata); when the whole
  sale has been refunded, the voucher itself is given back, unless it has expired.
* Points earned are reversed in proportion (floored, the last refund takes the rest). If the member
  has already spent them, the shortfall is valued at the redemption rate and withheld from the money
  refunded (shown in the preview before the cashier confirms).
* Count cards: a covered service gives its use back; a package sold on the sale is revoked (only
  while unused).
* Products exchanged for points (积分兑换) give the member their points back, in proportion to the
  quantity returned (exact: a line's points are its unit points price times its quantity).
* Open-price lines (无码商品) have no product: they refund like any other line and move no stock.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select, update

from app.errors import Conflict, NotFound, ValidationError
from app.i18n import L_
from app.models import CountCard, Member, Payment, Sale, SaleLine, StockEntry, Voucher
from app.services.ledger import countcards, ledger, stock
from app.services.base import permissions
from app.services.sales import receipt_numbers
from app.services.members import tiers
from app.services.sales.checkout import PaymentView, queue_ebill
from app.services.base.context import Actor, Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings

# Where a rounding remainder of a refund goes first.
REMAINDER_ORDER = ("cash", "card", "wallet", "points", "voucher", "other")
WITHHELD = "withheld:"


@dataclass(frozen=True)
class RefundLine:
    line_no: int
    qty: int


@dataclass(frozen=True)
class RefundLinePreview:
    line_no: int
    sku: str
    name: str
    qty: int
    amount: int


@dataclass(frozen=True)
class RefundPreview:
    receipt_no: str
    lines: tuple[RefundLinePreview, ...]
    value: int                           # net value of the returned lines
    back: tuple[PaymentView, ...]         # what goes back, per method (positive amounts)
    voucher_kept: int                     # the voucher share the shop keeps on a partial refund
    voucher_returned: str | None          # a voucher code given back on the final refund
    points_reversed: int                  # earned points taken back
    points_shortfall: int                 # earned points already spent
    shortfall_deducted: int               # their value, withheld from the money back
    whole_sale: bool
    withheld: tuple[tuple[str, int], ...] = ()  # (method, amount) the shortfall was taken from
    exchange_points_back: int = 0         # points given back for lines exchanged for points


@dataclass(frozen=True)
class RefundResult:
    refund_sale_id: int
    receipt_no: str
    original_receipt_no: str
    preview: RefundPreview
    points_balance: int | None
    wallet_balance: int | None
    message_id: int | None


def _load_sale(t: Ctx, receipt_no: str, *, lock: bool = False) -> Sale:
    """The sale to refund. ``lock``: hold its row until commit (PostgreSQL; SQLite's write
    transaction already excludes other writers), so a second till refunding the same sale waits
    and then plans from what the first one recorded, not from a stale read."""
    q = select(Sale).where(Sale.receipt_no == (receipt_no or "").strip())
    sale = t.s.execute(q.with_for_update(of=Sale) if lock else q).scalar()
    if sale is None:
        raise NotFound("sale_not_found", receipt=receipt_no)
    if sale.kind != "sale":
        raise ValidationError("sale_not_refundable", receipt=sale.receipt_no, why=L_("it is itself a refund"))
    return sale


def _refunded_qty(t: Ctx, sale: Sale) -> dict[int, int]:
    return {line.id: line.refunded_qty for line in sale.lines if line.refunded_qty}


def _claim(t: Ctx, sale: Sale, line: SaleLine, qty: int) -> None:
    """Claim ``qty`` units of ``line`` for this refund by one conditional update: it changes no row
    when they are no longer there (another till refunded them first), so a line is never refunded
    beyond the quantity it sold, whatever the database and however many tills."""
    claimed = t.s.execute(update(SaleLine)
                          .where(SaleLine.id == line.id, SaleLine.refunded_qty + qty <= SaleLine.qty)
                          .values(refunded_qty=SaleLine.refunded_qty + qty)
                          .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict("refund_line_refunded", receipt=sale.receipt_no, line=line.line_no, sold=line.qty)
    t.s.expire(line, ["refunded_qty"])


def _refunded_by_method(t: Ctx, sale: Sale) -> dict[str, tuple[int, int, int, int]]:
    """method -> (amount, points, principal, bonus) already given back (positive)."""
    rows = t.s.execute(select(Payment.method, Payment.reference, Payment.amount, func.coalesce(Payment.points, 0),
                              func.coalesce(Payment.wallet_principal, 0), func.coalesce(Payment.wallet_bonus, 0))
                       .join(Sale, Sale.id == Payment.sale_id)
                       .where(Sale.original_sale_id == sale.id)).all()
    out: dict[str, tuple[int, int, int, int]] = {}
    for method, ref, a, p, pr, b in rows:
        if method == "other" and (ref or "").startswith(WITHHELD):
            method = ref[len(WITHHELD):]  # value withheld from that method counts as settled
        old = out.get(method, (0, 0, 0, 0))
        out[method] = (old[0] - a, old[1] - p, old[2] - pr, old[3] - b)
    return out


def _prior_refunds(t: Ctx, sale: Sale) -> tuple[int, int]:
    """(value already refunded, earned points already reversed), both positive."""
    value, pts = t.s.execute(select(func.coalesce(func.sum(Sale.total), 0), func.coalesce(func.sum(Sale.points_earned), 0))
                             .where(Sale.original_sale_id == sale.id)).one()
    return -int(value), -int(pts)  # PostgreSQL's SUM of a bigint is a numeric (a Decimal here)


def _proportional(total: int, part: int, whole: int) -> int:
    return total * part // whole if whole else 0


def _plan(t: Ctx, sale: Sale, wanted: list[RefundLine] | None, cfg: ShopSettings):
    done_qty = _refunded_qty(t, sale)
    by_no = {line.line_no: line for line in sale.lines}
    if wanted is None:
        wanted = [RefundLine(line.line_no, line.qty - done_qty.get(line.id, 0)) for line in sale.lines
                  if line.qty - done_qty.get(line.id, 0) > 0]
        if not wanted:
            raise Conflict("sale_refunded", receipt=sale.receipt_no)
    if not wanted:
        raise ValidationError("refund_nothing")
    merged: dict[int, int] = {}
    for w in wanted:
        if w.line_no not in by_no:
            raise NotFound("refund_line_unknown", receipt=sale.receipt_no, line=w.line_no)
        if isinstance(w.qty, bool) or not isinstance(w.qty, int) or w.qty <= 0:
            raise ValidationError("quantity_invalid", max=by_no[w.line_no].qty, value=w.qty)
        merged[w.line_no] = merged.get(w.line_no, 0) + w.qty
    plan = []
    for line_no, qty in sorted(merged.items()):
        line = by_no[line_no]
        already = done_qty.get(line.id, 0)
        if already >= line.qty:
            raise Conflict("refund_line_refunded", receipt=sale.receipt_no, line=line_no, sold=line.qty)
        if qty > line.qty - already:
            raise ValidationError("refund_too_much", line=line_no, sold=line.qty, refunded=already, qty=qty)
        # Cumulative proportion: the unit that completes the line takes the remainder.
        parts = [_proportional(amount, already + qty, line.qty) - _proportional(amount, already, line.qty)
                 for amount in (line.line_total, line.unit_price * line.qty, line.tier_discount,
                                line.manual_discount)]
        plan.append((line, qty, *parts))
    value = sum(p[2] for p in plan)
    return plan, value


def _tender_back(sale: Sale, prior_value: int, value: int, refunded: dict[str, tuple[int, int, int, int]]):
    """Split ``value`` over the sale's payment methods. Returns method -> amount."""
    paid: dict[str, int] = {}
    for p in sale.payments:
        paid[p.method] = paid.get(p.method, 0) + p.amount
    left = {m: paid[m] - refunded.get(m, (0,))[0] for m in paid}
    if prior_value + value == sale.total:
        return {m: a for m, a in left.items() if a}
    shares = {m: min(left[m], value * paid[m] // sale.total) for m in paid} if sale.total else {}
    rest = value - sum(shares.values())
    for m in REMAINDER_ORDER:
        if rest <= 0:
            break
        if m in shares:
            extra = min(rest, left[m] - shares[m])
            shares[m] += extra
            rest -= extra
    return {m: a for m, a in shares.items() if a}


def _build(t: Ctx, sale: Sale, wanted, cfg: ShopSettings, member: Member | None):
    plan, value = _plan(t, sale, wanted, cfg)
    prior_value, prior_pts = _prior_refunds(t, sale)
    refunded = _refunded_by_method(t, sale)
    back = _tender_back(sale, prior_value, value, refunded)
    after = _refunded_qty(t, sale)
    for line, q, *_ in plan:
        after[line.id] = after.get(line.id, 0) + q
    whole = all(after.get(line.id, 0) == line.qty for line in sale.lines)

    # Points earned: cumulative floor, the last refund takes the rest.
    if whole:
        reverse = sale.points_earned - prior_pts
    else:
        reverse = _proportional(sale.points_earned, prior_value + value, sale.total) - prior_pts
    reverse = max(0, reverse)

    # Points paid with come back as points, in proportion to the points share refunded.
    paid_pts = sum(p.points or 0 for p in sale.payments if p.method == "points")
    paid_pts_amount = sum(p.amount for p in sale.payments if p.method == "points")
    pts_back = 0
    if "points" in back:
        done_amt, done_pts = refunded.get("points", (0, 0, 0, 0))[:2]
        if back["points"] + done_amt == paid_pts_amount:
            pts_back = paid_pts - done_pts
        else:
            pts_back = _proportional(paid_pts, back["points"] + done_amt, paid_pts_amount) - done_pts

    balance_after_credit = (member.points_balance if member else 0) + pts_back
    shortfall = max(0, reverse - balance_after_credit)
    deducted = -(-shortfall * cfg.minor_per_unit // cfg.points_redeem_rate) if shortfall else 0
    money_back = dict(back)
    withheld: dict[str, int] = {}
    left_to_deduct = deducted
    for m in ("cash", "card", "wallet"):
        if left_to_deduct and money_back.get(m):
            take = min(left_to_deduct, money_back[m])
            money_back[m] -= take
            withheld[m] = take
            left_to_deduct -= take
    deducted -= left_to_deduct

    voucher_kept = money_back.pop("voucher", 0)
    voucher_code = None
    if whole:
        v = next((p for p in sale.payments if p.method == "voucher"), None)
        if v is not None:
            voucher = t.s.get(Voucher, v.voucher_id)
            if voucher is not None and (voucher.expires_on is None or voucher.expires_on >= t.today()):
                voucher_code = voucher.code

    # Stored value returns as principal and bonus in the proportion spent.
    views = []
    for m in REMAINDER_ORDER:
        amt = money_back.get(m, 0)
        if not amt and m != "points":
            continue
        if m == "wallet":
            spent_p = sum(p.wallet_principal or 0 for p in sale.payments if p.method == "wallet")
            spent_b = sum(p.wallet_bonus or 0 for p in sale.payments if p.method == "wallet")
            done = refunded.get("wallet", (0, 0, 0, 0))
            spent = spent_p + spent_b
            if amt + done[0] == spent:
                b = spent_b - done[3]
            else:
                b = _proportional(spent_b, amt + done[0], spent) - done[3]
            b = max(0, min(b, amt))
            views.append(PaymentView("wallet", amt, wallet_principal=amt - b, wallet_bonus=b))
        elif m == "points":
            if amt or pts_back:
                views.append(PaymentView("points", amt, points=pts_back))
        else:
            views.append(PaymentView(m, amt))
    lines = tuple(RefundLinePreview(line.line_no, line.sku, line.name, q, v) for line, q, v, *_ in plan)
    exchanged = sum(_exchange_back(line, q) for line, q, *_ in plan)
    preview = RefundPreview(sale.receipt_no, lines, value, tuple(views), voucher_kept, voucher_code,
                            min(reverse, balance_after_credit), shortfall, deducted, whole,
                            tuple(sorted(withheld.items())), exchanged)
    return plan, preview, reverse - shortfall


def _exchange_back(line: SaleLine, qty: int) -> int:
    """The points ``qty`` returned units of a line exchanged for points give back."""
    return line.exchange_points * qty // line.qty if line.exchange_points else 0


def preview_refund(ctx: Ctx, receipt_no: str, lines: list[RefundLine] | None = None) -> RefundPreview:
    """What a refund would give back, for the cashier to confirm. ``lines=None``: everything left."""
    cfg = load_settings(ctx)
    with ctx.tx(write=False) as t:
        sale = _load_sale(t, receipt_no)
        member = t.s.get(Member, sale.member_id) if sale.member_id else None
        return _build(t, sale, lines, cfg, member)[1]


def refund(ctx: Ctx, receipt_no: str, lines: list[RefundLine] | None = None, *, reason: str = "",
           void: bool = False) -> RefundResult:
    """Refund some lines (or, with ``lines=None``, all that is left) of a sale. Manager or owner;
    a cashier's till passes its own ctx carrying the manager's PIN approval (``auth.approve``): the
    refund is then the cashier's (``staff_id``) and names the approver (``approved_by``)."""
    approver = _authority(ctx)
    if not (reason or "").strip():
        raise ValidationError("reason_required")
    cfg = load_settings(ctx)
    with ctx.tx() as t:
        sale = _load_sale(t, receipt_no, lock=True)
        member = t.s.get(Member, sale.member_id) if sale.member_id else None
        plan, preview, reverse_now = _build(t, sale, lines, cfg, member)
        for line, qty, *_ in plan:  # before any money moves
            _claim(t, sale, line, qty)
        # stock comes back for the products whose stock the sale moved (none before tracking began)
        tracked = set(t.s.execute(select(StockEntry.product_id).where(StockEntry.sale_id == sale.id)).scalars())
        now = t.now()
        receipt, seq = receipt_numbers.next_number(t)
        rsale = Sale(receipt_no=receipt, till=t.till, seq=seq, kind="refund", source="till",
                     original_sale_id=sale.id, staff_id=t.actor.id, approved_by=approver.id,
                     member_id=sale.member_id, created_at=now,
                     subtotal=-sum(p[3] for p in plan), tier_discount=-sum(p[4] for p in plan),
                     manual_discount=-sum(p[5] for p in plan), total=-preview.value, change_given=0,
                     points_earned=-reverse_now, note=("void: " if void else "") + reason.strip())
        t.s.add(rsale)
        t.s.flush()
        given_back: dict[int, list] = {}   # card id -> [its view after the refund, uses given back]
        for line, qty, value, _gross, tier_d, manual_d in plan:
            t.s.add(SaleLine(sale_id=rsale.id, line_no=line.line_no, product_id=line.product_id, sku=line.sku,
                             name=line.name, qty=-qty, unit_price=line.unit_price,
                             price_overridden=line.price_overridden, tier_discount=-tier_d,
                             manual_discount=-manual_d, line_total=-value, points_eligible=line.points_eligible,
                             original_line_id=line.id, count_card_id=line.count_card_id,
                             list_price=line.list_price, category=line.category, unit_cost=line.unit_cost,
                             exchange_points=-_exchange_back(line, qty) if line.exchange_points else None))
            if line.count_card_id is not None:
                card = t.s.get(CountCard, line.count_card_id)
                if card is not None and card.sale_id == sale.id and card.product_id == line.product_id:
                    cards = t.s.execute(select(CountCard).where(CountCard.sale_id == sale.id,
                                                                CountCard.product_id == line.product_id)
                                        .order_by(CountCard.id.desc())).scalars().all()
                    revoked = 0
                    for c in cards:
                        if revoked == qty:
                            break
                        if c.uses_left == c.uses_total and c.uses_left > 0:
                            countcards.revoke(t, c.id, rsale.id)
                            revoked += 1
                    if revoked < qty:
                        countcards.revoke(t, cards[-1].id, rsale.id)  # raises the clear "used" refusal
                else:
                    for _ in range(qty):
                        view = countcards.restore_use(t, line.count_card_id, rsale.id)
                        given_back[view.id] = [view, given_back.get(view.id, [None, 0])[1] + 1]
        back = {}
        for line, qty, *_ in plan:
            if line.product_id is not None and line.product_id in tracked:
                back[line.product_id] = back.get(line.product_id, 0) + qty
        if back:
            stock.post_stock_many(t, "refunded", sorted(back.items()), sale_id=rsale.id)
        for pv in preview.back:
            t.s.add(Payment(sale_id=rsale.id, method=pv.method, amount=-pv.amount,
                            points=-pv.points if pv.points else None,
                            wallet_principal=-pv.wallet_principal if pv.wallet_principal is not None else None,
                            wallet_bonus=-pv.wallet_bonus if pv.wallet_bonus is not None else None))
            if pv.method == "wallet" and member is not None:
                ledger.post_wallet(t, member.id, "refund", pv.wallet_principal or 0, pv.wallet_bonus or 0,
                                   sale_id=rsale.id)
            if pv.method == "points" and member is not None and pv.points:
                ledger.post_points(t, member.id, "refund", pv.points, sale_id=rsale.id,
                                   expires_on=_points_expiry(cfg, now))
        if preview.voucher_kept:
            t.s.add(Payment(sale_id=rsale.id, method="voucher", amount=-preview.voucher_kept,
                            reference="kept" if not preview.voucher_returned else preview.voucher_returned))
        # The withheld value of spent points is kept by the shop: record it so payments still sum to the total.
        for method, amount in preview.withheld:
            t.s.add(Payment(sale_id=rsale.id, method="other", amount=-amount, reference=WITHHELD + method))
        if preview.voucher_returned:
            v = t.s.execute(select(Voucher).where(Voucher.code == preview.voucher_returned)).scalar()
            t.s.execute(update(Voucher).where(Voucher.id == v.id, Voucher.status == "used")
                        .values(status="active", used_sale_id=None, used_at=None)
                        .execution_options(synchronize_session=False))
        if preview.exchange_points_back and member is not None:
            ledger.post_points(t, member.id, "refund", preview.exchange_points_back, sale_id=rsale.id,
                               expires_on=_points_expiry(cfg, now))
        if member is not None:
            if reverse_now:
                ledger.post_points(t, member.id, "refund", -reverse_now, sale_id=rsale.id)
            member.total_spent -= preview.value
            member.updated_at = now
            t.s.flush()
            tiers.reevaluate(t, member, cfg)
        _check_sums(rsale, t)
        message_id = None
        if member is not None:
            t.s.flush()
            t.s.refresh(member)
            t.s.refresh(rsale)
            msg = queue_ebill(t, member, rsale, rsale.payments, cfg, "ebill_refund",
                              cards=[(v.product_name, n, v.uses_left) for v, n in given_back.values()])
            message_id = msg.id if msg else None
        from app.services.base import audit

        audit.record(t, "sale.void" if void else "sale.refund", "sale", sale.id,
                     after={"refund": receipt, "value": preview.value, "cashier": t.actor.name,
                            "approved_by": approver.name}, reason=reason.strip())
        return RefundResult(rsale.id, receipt, sale.receipt_no, preview,
                            member.points_balance if member else None,
                            (member.wallet_principal + member.wallet_bonus) if member else None, message_id)


def _authority(ctx: Ctx) -> Actor:
    """Whose authority a refund uses: the approver's when one typed their PIN (auth.approve), else
    the actor's own; refused when that role may not refund."""
    if ctx.approver is not None:
        permissions.require(replace(ctx, actor=ctx.approver, approver=None, owner_ok=None), "refund")
        return ctx.approver
    permissions.require(ctx, "refund")
    return ctx.actor


def _points_expiry(cfg: ShopSettings, now):
    from app.services.ledger.points import expiry_date

    return expiry_date(cfg, now.date())


def _check_sums(rsale: Sale, t: Ctx) -> None:
    t.s.flush()
    paid = t.s.execute(select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.sale_id == rsale.id)).scalar()
    if paid != rsale.total:  # a bug, not user error: refuse rather than record a lopsided refund
        raise Conflict("sale_not_refundable", receipt=rsale.receipt_no, why=L_("its payments {paid} do not add up to its total {total}", paid=paid,
                                                                  total=rsale.total))


def void_sale(ctx: Ctx, receipt_no: str, reason: str) -> RefundResult:
    """Cancel a whole sale: a refund of everything left, marked as a void."""
    return refund(ctx, receipt_no, None, reason=reason, void=True)
