"""Count cards (次卡): a package of N uses of one service, sold at the till, used one visit at a time.

A card's ``uses_left`` caches its ``count_card_entries`` ledger and is moved only by
``ledger.post_count_card``: 'sold' +N when issued, 'used' -1 per visit, 'refund' +1 when a service
line paid by the card is refunded, 'refund' -N when the package sale itself is refunded (only a
whole, unused card), 'expired' -left once the card is past its date. ``uses_total`` is the number
of uses sold (not a cache).

A card is valid up to and including ``expires_on``; it is expired from the day after.

``issue``, ``use``, ``restore_use`` and ``revoke`` run inside the caller's transaction (the sale or
refund that causes them) and take ``t``; ``expire_due`` and ``cards_for`` are service calls.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.errors import Conflict, InsufficientFunds, NotFound, ValidationError
from app.models import CountCard, Member, Product
from app.money import check_amount
from app.services.base import audit, permissions
from app.services.ledger import ledger
from app.services.base.context import Ctx


@dataclass(frozen=True)
class CountCardView:
    id: int
    member_id: int
    product_id: int
    product_name: str
    service_id: int
    service_name: str
    sale_id: int | None
    uses_total: int
    uses_left: int
    price_paid: int
    expires_on: date | None
    created_at: datetime
    expired: bool          # past expires_on on the day asked about

    @property
    def usable(self) -> bool:
        return self.uses_left > 0 and not self.expired


@dataclass(frozen=True)
class CardExpireReport:
    as_of: date
    cards: int
    uses: int


def _view(t: Ctx, c: CountCard, today: date | None = None) -> CountCardView:
    product = t.s.get(Product, c.product_id)
    service = t.s.get(Product, c.service_id)
    today = today or t.today()
    return CountCardView(id=c.id, member_id=c.member_id, product_id=c.product_id,
                         product_name=product.name if product else "", service_id=c.service_id,
                         service_name=service.name if service else "", sale_id=c.sale_id,
                         uses_total=c.uses_total, uses_left=c.uses_left, price_paid=c.price_paid,
                         expires_on=c.expires_on, created_at=c.created_at,
                         expired=c.expires_on is not None and today > c.expires_on)


def _card(t: Ctx, card_id: int) -> CountCard:
    c = t.s.get(CountCard, card_id)
    if c is None:
        raise NotFound("countcard_not_found", id=card_id)
    t.s.refresh(c, ["uses_left"])
    return c


# --- inside a sale or refund ---------------------------------------------------------------------------
def issue(t: Ctx, member_id: int, product: Product | int, sale_id: int | None, price_paid: int) -> CountCardView:
    """Create the card a sale of a count-card package gives ``member_id``, with its 'sold' +N entry."""
    if isinstance(product, int):
        p = t.s.get(Product, product)
        if p is None:
            raise NotFound("sku_unknown", sku=product)
        product = p
    if (product.kind != "count_card" or not product.card_uses or product.card_uses <= 0
            or product.card_service_id is None):
        raise ValidationError("countcard_product_invalid", name=product.name)
    check_amount(price_paid, field="price paid", allow_zero=True)
    if t.s.get(Member, member_id) is None:
        raise NotFound("member_not_found", key=member_id)
    now = t.now()
    expires = now.date() + timedelta(days=product.card_valid_days) if product.card_valid_days else None
    card = CountCard(member_id=member_id, product_id=product.id, service_id=product.card_service_id,
                     sale_id=sale_id, uses_total=product.card_uses, uses_left=0, price_paid=price_paid,
                     expires_on=expires, created_at=now)
    t.s.add(card)
    t.s.flush()
    ledger.post_count_card(t, card.id, "sold", product.card_uses, sale_id=sale_id)
    t.s.flush()
    t.s.refresh(card, ["uses_left"])
    return _view(t, card)


def use(t: Ctx, card_id: int, member_id: int, service_product_id: int, sale_id: int | None) -> CountCardView:
    """One visit of ``service_product_id`` paid by the card: 'used' -1."""
    c = _card(t, card_id)
    if c.member_id != member_id:
        raise ValidationError("countcard_not_yours", id=c.id)
    today = t.today()
    if c.expires_on is not None and today > c.expires_on:
        raise Conflict("countcard_expired", id=c.id, date=c.expires_on.isoformat())
    if c.service_id != service_product_id:
        service = t.s.get(Product, service_product_id)
        raise ValidationError("countcard_wrong_service", id=c.id,
                              name=service.name if service else service_product_id)
    if c.uses_left <= 0:
        raise InsufficientFunds("countcard_empty", id=c.id)
    ledger.post_count_card(t, c.id, "used", -1, sale_id=sale_id)
    t.s.flush()
    t.s.refresh(c, ["uses_left"])
    return _view(t, c, today)


def check_uses(t: Ctx, card_id: int, asked: int) -> None:
    """Refuse a sale that asks ``card_id`` for more uses than it has left, saying how many it has
    (the use that runs out would only say "no uses left")."""
    c = _card(t, card_id)
    if 0 < c.uses_left < asked:
        raise InsufficientFunds("countcard_too_few", id=c.id, left=c.uses_left, asked=asked)


def restore_use(t: Ctx, card_id: int, sale_id: int | None) -> CountCardView:
    """Give back one use (refund of a service line the card paid): 'refund' +1.

    Refused when the card already holds every use it was sold with."""
    c = _card(t, card_id)
    if c.uses_left >= c.uses_total:
        raise Conflict("countcard_full", id=c.id, total=c.uses_total)
    ledger.post_count_card(t, c.id, "refund", 1, sale_id=sale_id)
    t.s.flush()
    t.s.refresh(c, ["uses_left"])
    return _view(t, c)


def revoke(t: Ctx, card_id: int, sale_id: int | None) -> CountCardView:
    """Cancel the card when the package sale itself is refunded: only a whole, unused card
    (``uses_left == uses_total``); posts 'refund' of -uses_left."""
    c = _card(t, card_id)
    if c.uses_left == 0:
        raise Conflict("countcard_closed", id=c.id)
    if c.uses_left != c.uses_total:
        raise Conflict("countcard_partly_used", id=c.id, used=c.uses_total - c.uses_left, total=c.uses_total)
    ledger.post_count_card(t, c.id, "refund", -c.uses_left, sale_id=sale_id, note="package refunded")
    t.s.flush()
    t.s.refresh(c, ["uses_left"])
    return _view(t, c)


# --- service calls -------------------------------------------------------------------------------------
def expire_due(ctx: Ctx, as_of: date, *, at: datetime | None = None) -> CardExpireReport:
    """Post 'expired' for the uses left on every card past its date (``expires_on < as_of``), dated
    ``at`` (default now). Idempotent: an expired card has no uses left, so a second run finds nothing."""
    permissions.require(ctx, "expire_points")
    with ctx.tx() as t:
        rows = t.s.execute(select(CountCard.id, CountCard.uses_left)
                           .where(CountCard.expires_on.is_not(None), CountCard.expires_on < as_of,
                                  CountCard.uses_left > 0)
                           .order_by(CountCard.id)).all()
        uses = 0
        for card_id, left in rows:
            ledger.post_count_card(t, card_id, "expired", -int(left), note=f"expired by {as_of.isoformat()}", at=at)
            uses += int(left)
        t.s.flush()
        if rows:
            audit.record(t, "countcard.expire", "count_card", None,
                         after={"as_of": as_of, "cards": len(rows), "uses": uses})
        return CardExpireReport(as_of=as_of, cards=len(rows), uses=uses)


def expiry_days_between(t: Ctx, after: date, until: date) -> list[date]:
    """The days after ``after`` up to ``until`` on which a card with uses left expires (the day
    after its ``expires_on``)."""
    rows = t.s.execute(select(CountCard.expires_on).where(
        CountCard.uses_left > 0, CountCard.expires_on >= after, CountCard.expires_on < until).distinct()).scalars()
    return sorted(d + timedelta(days=1) for d in rows)


def cards_for(ctx: Ctx, member_id: int, *, usable_only: bool = False,
              service_id: int | None = None) -> list[CountCardView]:
    """The member's cards (usable first, soonest expiry first), optionally only usable ones or only
    those covering ``service_id``."""
    with ctx.tx(write=False) as t:
        if t.s.get(Member, member_id) is None:
            raise NotFound("member_not_found", key=member_id)
        q = select(CountCard).where(CountCard.member_id == member_id)
        if service_id is not None:
            q = q.where(CountCard.service_id == service_id)
        today = t.today()
        views = [_view(t, c, today) for c in t.s.execute(q.order_by(CountCard.id)).scalars()]
        if usable_only:
            views = [v for v in views if v.usable]
        return sorted(views, key=lambda v: (not v.usable, v.expires_on or date.max, v.id))


def get(ctx: Ctx, card_id: int) -> CountCardView:
    with ctx.tx(write=False) as t:
        return _view(t, _card(t, card_id))
