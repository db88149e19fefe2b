"""The price of each line, in named steps: list price, member price, the tier's discount where the product allows it, a manual discount within the role's limit."""
from __future__ import annotations

from dataclasses import dataclass

from app.errors import PermissionDenied, ValidationError, quoted
from app.models import Member, Product, Tier
from app.money import check_amount, format_plain, round_half_up
from app.services.base import permissions
from app.services.base.context import Ctx
from app.services.base.settings import CASHIER_DISCOUNT_MAX_BP, ShopSettings
from app.services.base.settings import load as load_settings
from app.services.members import tiers
from app.services.members.members import get_row as get_member_row
from app.services.sales import catalog
from app.services.sales.cart import MAX_QTY, Cart, CartLine, PricedCart, PricedLine


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
    category: str = ""
    unit_cost: int | None = None
    track_stock: bool = False

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
                     p.discount_eligible, p.points_eligible, p.category, p.cost, p.track_stock)


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
                      line.points_eligible and not covered, line.count_card_id, line.list_price, line.category,
                      line.unit_cost, line.track_stock)


def price_sale(t: Ctx, cart: Cart, cfg: ShopSettings) -> tuple[PricedCart, Member | None, Tier | None]:
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
        return price_sale(t, cart, load_settings(t))[0]
