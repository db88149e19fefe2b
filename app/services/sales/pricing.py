"""The price of each line, in named steps: list price, member price, the tier's discount where the product allows it, a manual discount within the role's limit.

A line may also be an open-price line (无码商品: no product, a typed price, its category's rules) or
a product exchanged for points (积分兑换: the line costs no money; checkout takes the points)."""
from __future__ import annotations

from dataclasses import dataclass

from app import i18n
from app.errors import InsufficientFunds, NotFound, PermissionDenied, ValidationError, quoted
from app.i18n import N_
from app.money import check_amount, format_plain, round_half_up
from app.services.base import permissions
from app.services.base.context import Ctx
from app.services.base.settings import CASHIER_DISCOUNT_MAX_BP, ShopSettings
from app.services.base.settings import load as load_settings
from app.services.members import tiers
from app.services.members import snapshot
from app.services.members.snapshot import MemberSnap
from app.services.members.tiers import TierRule
from app.services.sales import catalog
from app.services.sales.cart import MAX_QTY, OPEN_SKU, Cart, CartLine, PricedCart, PricedLine
from app.services.sales.catalog import CategoryRule, ProductView

# The name of an open-price line sold under no category, in the shop's language.
OPEN_ITEM = N_("Open item")


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
    product_id: int | None          # None: an open-price line
    sku: str
    name: str
    kind: str
    qty: int
    list_price: int
    override: int | None            # a price typed at the till that differs from the price that applies
    count_card_id: int | None       # one count-card use pays the whole line
    discount_eligible: bool
    points_eligible: bool
    category: str = ""
    unit_cost: int | None = None
    track_stock: bool = False
    member_price: int | None = None     # the member's tier price for this product (会员价)
    no_member_price: bool = False       # neither a member price nor the tier's discount
    exchange_points: int | None = None  # points this line is exchanged for (the whole line)
    points_price: int | None = None     # the product's points price for one unit, if any

    @property
    def covered(self) -> bool:
        """Paid otherwise than with money: a count-card use or points by exchange."""
        return self.count_card_id is not None or self.exchange_points is not None

    @property
    def discountable(self) -> bool:
        """Manual discounts apply: the product allows them, at the price that applies."""
        return self.discount_eligible and self.override is None and not self.covered

    @property
    def tier_discountable(self) -> bool:
        """The tier's percentage applies: discountable, not at a member price, not excluded from member prices."""
        return self.discountable and self.member_price is None and not self.no_member_price


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


def _check_qty(line: CartLine) -> None:
    if isinstance(line.qty, bool) or not isinstance(line.qty, int) or not 1 <= line.qty <= MAX_QTY:
        raise ValidationError("quantity_invalid", max=MAX_QTY, value=line.qty)


def _override(t: Ctx, line: CartLine, applies: int, cfg: ShopSettings) -> int | None:
    """A typed price, when it differs from the price that applies to this customer: the permission
    is needed only then."""
    override = line.unit_price if line.unit_price is not None and line.unit_price != applies else None
    if override is not None:
        if not permissions.allowed(t, "override_price"):
            raise PermissionDenied("price_override_denied")
        check_amount(override, cfg.currency, field="price", allow_zero=True)
    return override


def _line_input(t: Ctx, line_no: int, line: CartLine, p: ProductView, member: MemberSnap | None,
                cfg: ShopSettings) -> LineInput:
    _check_qty(line)
    if not p.active:
        raise ValidationError("product_inactive", name=p.name)
    member_price = p.member_price(member.tier_id if member is not None else None)
    applies = member_price if member_price is not None else p.price
    override = _override(t, line, applies, cfg)
    if (line.count_card_id is not None or p.kind == "count_card") and member is None:
        raise ValidationError("member_required", method="count_card")
    exchange = None
    if line.exchange:
        if member is None:
            raise ValidationError("member_required", method="points")
        if not p.points_price or p.kind == "count_card" or line.count_card_id is not None:
            raise ValidationError("exchange_unavailable", name=p.name)
        exchange = p.points_price * line.qty
    return LineInput(line_no, p.id, p.sku, p.name, p.kind, line.qty, p.price, override, line.count_card_id,
                     p.discount_eligible, p.points_eligible, p.category, p.cost, p.track_stock,
                     member_price, p.no_member_price, exchange, p.points_price)


def _open_input(t: Ctx, line_no: int, line: CartLine, rules: dict[str, CategoryRule],
                cfg: ShopSettings) -> LineInput:
    """An open-price line (无码商品): the typed price within the shop's limit, the category's rules."""
    _check_qty(line)
    price = line.open_price
    check_amount(price, cfg.currency, field=i18n.T_(cfg.language, "open price"))
    if price > cfg.open_price_max:
        raise ValidationError("open_price_over", price=format_plain(price, cfg.currency),
                              max=format_plain(cfg.open_price_max, cfg.currency))
    if line.exchange or line.count_card_id is not None:
        raise ValidationError("exchange_unavailable", name=i18n.T_(cfg.language, OPEN_ITEM))
    category = (line.category or "").strip()
    rule = rules.get(category) if category else CategoryRule("", True, True)
    if rule is None:
        raise NotFound("open_category_unknown", category=quoted(category))
    name = category or i18n.T_(cfg.language, OPEN_ITEM)
    return LineInput(line_no, None, OPEN_SKU, name, "goods", line.qty, price, _override(t, line, price, cfg),
                     None, rule.discount_eligible, rule.points_eligible, category)


# The pricing steps, in order: list price -> member price -> tier discount -> manual discount.
def list_price(line: LineInput) -> int:
    return line.list_price


def member_price(line: LineInput, unit: int) -> int:
    """The unit price that applies: a price typed at the till, else the member's tier price for the
    product (会员价) when there is one, else ``unit``. A line exchanged for points costs no money."""
    if line.exchange_points is not None:
        return 0
    if line.override is not None:
        return line.override
    return line.member_price if line.member_price is not None else unit


def tier_discount(line: LineInput, gross: int, tier: TierRule | None) -> int:
    """The tier's discount on the line, where the product allows it and no member price applies;
    rounded half up per line."""
    return round_half_up(gross * tier.discount_bp, 10_000) if tier is not None and line.tier_discountable else 0


def percent_discount(line: LineInput, after_tier: int, discount_bp: int) -> int:
    """The cashier's percentage off, on the price after the tier discount; rounded half up per line."""
    return round_half_up(after_tier * discount_bp, 10_000) if line.discountable else 0


def price_line(line: LineInput, tier: TierRule | None, discount_bp: int) -> LinePrice:
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
                      line.unit_cost, line.track_stock, line.exchange_points,
                      line.member_price if line.override is None else None, line.points_price)


def price_sale(t: Ctx, cart: Cart, cfg: ShopSettings, member: MemberSnap | None = None, *,
               lock: bool = False) -> tuple[PricedCart, MemberSnap | None, TierRule | None]:
    """Price ``cart`` for its member (read here unless given; ``lock``: read with a row lock)."""
    if not cart.lines:
        raise ValidationError("cart_empty")
    if member is None and cart.member_id is not None:
        member = snapshot.read(t, cart.member_id, lock=lock)
    if member is not None and member.erased_at is not None:
        raise ValidationError("member_erased", key=member.id)
    tier = next((x for x in tiers.rules(t) if x.id == member.tier_id), None) if member is not None else None
    bp = cart.discount_bp
    if isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= 10_000:  # 5.5 bp would be stored as a float
        raise ValidationError("percent_invalid", field="discount",
                              value=bp / 100 if isinstance(bp, int) and not isinstance(bp, bool) else quoted(repr(bp)))
    check_amount(cart.discount_amount, cfg.currency, field="discount", allow_zero=True)

    products = catalog.lookup_many(t, [line.sku for line in cart.lines if not line.is_open])
    wanted = {(line.category or "").strip() for line in cart.lines if line.is_open} - {""}
    rules = catalog.category_rules(t, wanted) if wanted else {}
    inputs = [_open_input(t, i, line, rules, cfg) if line.is_open
              else _line_input(t, i, line, products[line.sku.strip()], member, cfg)
              for i, line in enumerate(cart.lines, start=1)]
    exchange = sum(x.exchange_points or 0 for x in inputs)
    if exchange and exchange > member.points_balance:
        raise InsufficientFunds("points_insufficient", member=member.name, balance=member.points_balance,
                                points=exchange)
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
    max_pts = min(total, cfg.point_value(member.points_balance - exchange)) if member else 0
    priced = PricedCart(tuple(lines), cart.member_id, sum(x.gross for x in lines),
                        sum(x.tier_discount for x in lines), sum(x.manual_discount for x in lines),
                        total, points_base, max_pts, exchange)
    return priced, member, tier


def price_cart(ctx: Ctx, cart: Cart) -> PricedCart:
    """What the till shows before payment: lines, discounts, total."""
    with ctx.tx(write=False) as t:
        return price_sale(t, cart, load_settings(t))[0]
