"""What the screenshots show (``shopcare --screenshots``): good examples picked from the current
database, as frozen values, so the screens are driven through services like any other caller.

Read-only; the picks are the same whatever the language of the pictures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.models import Member, Payment, Product, Sale, SaleLine, StockEntry
from app.services.base.context import Ctx

_CART_PICKS = (1, 5, 9, 11)   # which of the first 12 goods make the till's 4-line cart


@dataclass(frozen=True)
class TillShowcase:
    cart_skus: tuple[str, ...]      # a 4-line cart (the first line is sold twice)
    member_id: int | None           # a member with stored value and points, a birthday this week if any
    shared_last4: str | None        # last 4 phone digits shared by several members (the pick list)
    refund_receipt: str | None      # a recent member sale of several lines, partly on stored value


def _birthday_within(month: int | None, day: int | None, today: date, days: int) -> bool:
    if not (month and day):
        return False
    try:
        return 0 <= (date(today.year, month, day) - today).days <= days
    except ValueError:  # 29 February in a common year
        return False


def till_showcase(ctx: Ctx) -> TillShowcase:
    """The cart, member, pick list and refund the till's screenshots show."""
    with ctx.tx(write=False) as t:
        skus = list(t.s.execute(select(Product.sku).where(Product.active.is_(True), Product.kind != "count_card")
                                .order_by(Product.id).limit(12)).scalars())
        # a member with stored value and points, preferably one whose birthday is this week
        rows = t.s.execute(select(Member.id, Member.birthday_month, Member.birthday_day)
                           .where(Member.erased_at.is_(None), Member.wallet_principal > 5000,
                                  Member.points_balance > 100)
                           .order_by(Member.total_spent.desc()).limit(400)).all()
        last4 = t.s.execute(select(Member.phone_last4).where(Member.erased_at.is_(None))
                            .group_by(Member.phone_last4).having(func.count() > 1).limit(1)).scalar()
        # a recent member's sale of several lines, paid partly with stored value, not refunded yet
        n_lines = (select(func.count()).select_from(SaleLine).where(SaleLine.sale_id == Sale.id)
                   .correlate(Sale).scalar_subquery())
        paid_wallet = select(Payment.id).where(Payment.sale_id == Sale.id, Payment.method == "wallet").exists()
        later = aliased(Sale)
        refunded = select(later.id).where(later.original_sale_id == Sale.id).exists()
        receipt = t.s.execute(select(Sale.receipt_no).where(Sale.kind == "sale", Sale.member_id.is_not(None),
                                                            n_lines >= 3, paid_wallet, ~refunded)
                              .order_by(Sale.id.desc()).limit(1)).scalar()
        if receipt is None:
            receipt = t.s.execute(select(Sale.receipt_no).where(Sale.kind == "sale")
                                  .order_by(Sale.id.desc()).limit(1)).scalar()
        today = t.today()
    chosen = next((mid for mid, month, day in rows if _birthday_within(month, day, today, 6)), None)
    if chosen is None and rows:
        chosen = rows[0][0]
    cart = [skus[i] for i in _CART_PICKS if i < len(skus)] or skus[:4]
    return TillShowcase(tuple(cart), chosen, last4, receipt)


def receipt_with_member_code(ctx: Ctx) -> str | None:
    """The newest sale of a member with a card number (its receipt shows the member QR code), or None."""
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Sale.receipt_no).join(Member, Member.id == Sale.member_id).where(
            Sale.kind == "sale", Member.card_no.is_not(None), Member.erased_at.is_(None))
            .order_by(Sale.id.desc()).limit(1)).scalar()


def last_sale_at(ctx: Ctx) -> datetime | None:
    """When the newest sale (or refund) was made; None in an empty shop."""
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.max(Sale.created_at))).scalar()


@dataclass(frozen=True)
class TillSellShowcase:
    member_id: int | None            # a member whose tier has member prices and who has points to exchange
    member_price_skus: tuple[str, ...]   # products with a member price for that member's tier
    exchange_sku: str | None         # a product with a points price the member can afford
    search: str                      # pinyin initials of a product, for the search list


def till_sell_showcase(ctx: Ctx) -> TillSellShowcase:
    """What the till's selling screenshots show: member prices on the lines, a points exchange."""
    from app.models import MemberPrice

    with ctx.tx(write=False) as t:
        row = t.s.execute(select(Member.id, Member.tier_id, Member.points_balance)
                          .where(Member.erased_at.is_(None),
                                 Member.tier_id.in_(select(MemberPrice.tier_id)))
                          .order_by(Member.points_balance.desc()).limit(1)).first()
        if row is None:
            return TillSellShowcase(None, (), None, "nt")
        skus = tuple(t.s.execute(select(Product.sku).join(MemberPrice, MemberPrice.product_id == Product.id)
                                 .where(MemberPrice.tier_id == row.tier_id, Product.active.is_(True))
                                 .order_by(Product.price).limit(2)).scalars())
        exchange = t.s.execute(select(Product.sku).where(Product.points_price.is_not(None),
                                                         Product.points_price <= row.points_balance)
                               .order_by(Product.points_price.desc()).limit(1)).scalar()
    return TillSellShowcase(row.id, skus, exchange, "nt")


def busiest_stock(ctx: Ctx) -> int | None:
    """The tracked product with the most stock movements (the Stock tab's picture shows its history)."""
    with ctx.tx(write=False) as t:
        return t.s.execute(select(StockEntry.product_id).join(Product, Product.id == StockEntry.product_id)
                           .where(Product.track_stock.is_(True), Product.active.is_(True))
                           .group_by(StockEntry.product_id)
                           .order_by(func.count().desc(), StockEntry.product_id).limit(1)).scalar()
