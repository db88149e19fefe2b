"""Read-only queries the till needs: a product as scanned, today's sales with their refund status,
one sale's lines for a refund, and a member's card with the dates worth a badge this week."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.models import Member, Payment, Sale, SaleLine
from app.services.sales import catalog
from app.services.base import phones
from app.services.sales.catalog import ProductView
from app.services.base.context import Ctx
from app.services.base.days import check_day
from app.services.members.members import MemberView, get_row
from app.services.members.members import view as member_view

OCCASION_DAYS = 7


# --- products -----------------------------------------------------------------------------------
def find_product(ctx: Ctx, code: str) -> ProductView:
    """The product a scanner (or a cashier) typed: SKU or barcode. Raises NotFound("sku_unknown"), or
    ValidationError("product_inactive") for a product no longer on sale."""
    text = (code or "").strip()
    with ctx.tx(write=False) as t:
        p = catalog.lookup_many(t, [text])[text]
    if not p.active:
        raise ValidationError("product_inactive", name=p.name)
    return p


def member_by_card(ctx: Ctx, code: str) -> int | None:
    """The member whose card number is exactly ``code`` (the member QR code on a receipt, or a member
    card, scanned into the till's entry line), or None; an erased member is nobody's card."""
    text = (code or "").strip()
    if not text or len(text) > 64:
        return None
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Member.id).where(Member.card_no == text, Member.erased_at.is_(None))).scalar()


# --- sales ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaleSummary:
    id: int
    receipt_no: str
    created_at: datetime
    kind: str                    # sale | refund
    member_id: int | None
    member_name: str
    masked_phone: str
    total: int
    refunded: int                # value refunded so far (positive), sales only
    status: str                  # sale | partly_refunded | refunded | refund


def _status(kind: str, total: int, refunded: int) -> str:
    if kind == "refund":
        return "refund"
    if refunded <= 0:
        return "sale"
    return "refunded" if refunded >= total else "partly_refunded"


def recent_sales(ctx: Ctx, day: date | None = None, limit: int = 200, till: str | None = None) -> list[SaleSummary]:
    """The sales and refunds of ``day`` (today by default), newest first."""
    day = check_day(day or ctx.today())
    start, end = datetime.combine(day, time.min), datetime.combine(day + timedelta(days=1), time.min)
    refunded = (select(Sale.original_sale_id.label("sid"), (-func.sum(Sale.total)).label("back"))
                .where(Sale.original_sale_id.is_not(None)).group_by(Sale.original_sale_id).subquery())
    q = (select(Sale.id, Sale.receipt_no, Sale.created_at, Sale.kind, Sale.member_id, Member.name, Member.phone,
                Sale.total, func.coalesce(refunded.c.back, 0))
         .outerjoin(Member, Member.id == Sale.member_id)
         .outerjoin(refunded, refunded.c.sid == Sale.id)
         .where(Sale.created_at >= start, Sale.created_at < end)
         .order_by(Sale.created_at.desc(), Sale.id.desc()).limit(limit))
    if till:
        q = q.where(Sale.till == till)
    with ctx.tx(write=False) as t:
        rows = t.s.execute(q).all()
    return [SaleSummary(sid, no, at, kind, mid, name or "", phones.mask(phone) if phone else "", total, back,
                        _status(kind, total, back))
            for sid, no, at, kind, mid, name, phone, total, back in rows]


@dataclass(frozen=True)
class SaleLineView:
    line_no: int
    sku: str
    name: str
    qty: int
    unit_price: int
    line_total: int
    refunded_qty: int

    @property
    def refundable(self) -> int:
        return self.qty - self.refunded_qty


@dataclass(frozen=True)
class SaleDetail:
    id: int
    receipt_no: str
    kind: str
    created_at: datetime
    member_id: int | None
    member_name: str
    total: int
    refunded: int
    lines: tuple[SaleLineView, ...]
    payments: tuple[tuple[str, int], ...]   # (method, amount)


def sale_detail(ctx: Ctx, receipt_no: str) -> SaleDetail:
    """One sale with what is left to refund on each line."""
    text = (receipt_no or "").strip()
    with ctx.tx(write=False) as t:
        sale = t.s.execute(select(Sale).where(Sale.receipt_no == text)).scalar()
        if sale is None:
            raise NotFound("sale_not_found", receipt=text)
        done = dict(t.s.execute(select(SaleLine.original_line_id, -func.sum(SaleLine.qty))
                                .join(Sale, Sale.id == SaleLine.sale_id)
                                .where(Sale.original_sale_id == sale.id)
                                .group_by(SaleLine.original_line_id)).all())
        back = -(t.s.execute(select(func.coalesce(func.sum(Sale.total), 0))
                             .where(Sale.original_sale_id == sale.id)).scalar() or 0)
        name = t.s.execute(select(Member.name).where(Member.id == sale.member_id)).scalar() if sale.member_id else None
        payments = t.s.execute(select(Payment.method, Payment.amount).where(Payment.sale_id == sale.id)
                               .order_by(Payment.id)).all()
        lines = tuple(SaleLineView(x.line_no, x.sku, x.name, x.qty, x.unit_price, x.line_total, done.get(x.id, 0))
                      for x in sale.lines)
        return SaleDetail(sale.id, sale.receipt_no, sale.kind, sale.created_at, sale.member_id, name or "",
                          sale.total, back, lines, tuple((m, a) for m, a in payments))


# --- a member at the till -------------------------------------------------------------------------
@dataclass(frozen=True)
class Occasion:
    kind: str        # birthday | wedding | other | membership
    label: str
    on: date         # this year's (or next year's) date
    days_away: int   # 0 = today
    years: int | None = None  # the age / anniversary number when the year is known


@dataclass(frozen=True)
class MemberCard:
    member: MemberView
    occasions: tuple[Occasion, ...]
    open_complaints: int = 0    # care: complaints not yet resolved (callbacks.py), a badge at the till


def _next(month: int, day: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:  # 29 February outside a leap year: kept on 28 February
            d = date(year, 2, 28) if (month, day) == (2, 29) else None
        if d is not None and d >= today:
            return d
    return None


def _next_lunar(month: int, day: int, leap: bool, today: date) -> tuple[date, int] | None:
    """The next solar date (from ``today``) of a lunar month/day, and the lunar year it falls in,
    with the care engine's conventions (a missing leap month or day 30 moves; docs/care.md)."""
    from app.services.care.dates import lunar_of, lunar_to_solar  # lunar-python: only when a member has one

    this = lunar_of(today)[0]
    for year in (this - 1, this, this + 1):  # a 12th-month date of the last lunar year may still be ahead
        when = lunar_to_solar(year, month, day, leap)
        if when >= today:
            return when, year
    return None


def occasions_for(m: MemberView, today: date, days: int = OCCASION_DAYS) -> tuple[Occasion, ...]:
    """A member's birthday and anniversaries (solar or lunar) that fall within ``days`` days from
    ``today``; lunar dates are converted for the lunar year they fall in."""
    found: list[Occasion] = []

    def consider(kind: str, label: str, month: int, day: int, year: int | None, calendar: str,
                 leap: bool = False) -> None:
        if calendar == "lunar":
            hit = _next_lunar(month, day, leap, today)
            when, in_year = hit if hit else (None, None)
        else:
            when = _next(month, day, today)
            in_year = when.year if when else None
        if when is None or (when - today).days > days:
            return
        years = in_year - year if year else None
        if years is not None and years <= 0:
            return
        found.append(Occasion(kind, label, when, (when - today).days, years))

    if m.birthday is not None:
        consider("birthday", "", m.birthday.month, m.birthday.day, m.birthday.year, m.birthday.calendar,
                 m.birthday.leap_month)
    for kind, label, text in m.dates:
        calendar = "lunar" if text.startswith("lunar") else "solar"
        parts = [int(x) for x in text.replace("lunar ", "").split("-")]
        year, month, day = (parts if len(parts) == 3 else [None, *parts])
        consider(kind if kind in ("wedding", "other") else "other", label, month, day, year, calendar)
    if m.join_date is not None:
        consider("membership", "", m.join_date.month, m.join_date.day, m.join_date.year, "solar")
    return tuple(sorted(found, key=lambda o: o.days_away))


def member_card(ctx: Ctx, member_id: int) -> MemberCard:
    """What the till's member bar shows: the member and this week's occasions."""
    with ctx.tx(write=False) as t:
        from app.services.care import callbacks

        v = member_view(t, get_row(t, member_id))
        return MemberCard(v, occasions_for(v, t.today()), callbacks.open_complaint_count(t, member_id))
