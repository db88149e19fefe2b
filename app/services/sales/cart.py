"""What a sale is made of: the cart and tenders that come in, the priced cart and the sale that go out (frozen values)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_QTY = 9999
# The SKU an open-price line (无码商品: no product, a price typed at the till) is sold and stored under.
OPEN_SKU = "OPEN"


METHODS = ("cash", "card", "wallet", "points", "voucher")


# --- values in --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CartLine:
    sku: str
    qty: int = 1
    unit_price: int | None = None     # a price override (manager or owner)
    count_card_id: int | None = None  # this service is paid with one use of that count card
    open_price: int | None = None     # an open-price line (无码商品): no product, this unit price
    category: str = ""                # the category an open-price line is sold under ("" for none)
    exchange: bool = False            # exchanged for the product's points price (积分兑换)

    @property
    def is_open(self) -> bool:
        return self.open_price is not None


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
    product_id: int | None            # None on an open-price line
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
    list_price: int | None = None     # the catalogue price before a member price or an override
    category: str = ""
    unit_cost: int | None = None      # the product's cost price when sold (margin in reports)
    track_stock: bool = False         # the sale moves the product's stock
    exchange_points: int | None = None  # points this line was exchanged for (积分兑换)
    member_price: int | None = None   # the member's tier price for the product, when it applied
    points_price: int | None = None   # points for one unit by exchange, when the product has one


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
    exchange_points: int = 0      # points the exchanged lines take from the member (积分兑换)

    @property
    def member_savings(self) -> int:
        """What member prices took off the list prices (the subtotal is already at member prices)."""
        return sum((pl.list_price - pl.unit_price) * pl.qty for pl in self.lines
                   if pl.member_price is not None and not pl.price_overridden and pl.list_price is not None)


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
