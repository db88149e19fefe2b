"""Products, sales with their lines and payments, held carts, vouchers and count cards."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, text,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Amount, Base


class Category(Base):
    """A product category from the shop's managed list. Its rules apply to open-price lines (无码商品)
    sold under it; a product carries its own flags."""
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    points_eligible: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    discount_eligible: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    sort: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("kind IN ('goods','service','count_card')", name="kind"),
                      CheckConstraint("price >= 0", name="price_nonneg"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(64), default="")   # a name from ``categories`` (or "")
    price: Mapped[int] = mapped_column(Amount)
    kind: Mapped[str] = mapped_column(String(16), default="goods")
    points_eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    discount_eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A count-card package (kind 'count_card'): N uses of one service, valid for some days.
    card_uses: Mapped[int | None] = mapped_column(Integer)
    card_valid_days: Mapped[int | None] = mapped_column(Integer)
    card_service_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    unit: Mapped[str] = mapped_column(String(8), default="", server_default=text("''"))      # 件, 杯, 斤, 次…
    cost: Mapped[int | None] = mapped_column(Amount)        # cost price, minor units, when known
    # True: no member price and no tier discount for this product ("no member discount").
    no_member_price: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    points_price: Mapped[int | None] = mapped_column(Amount)   # points for one unit by exchange (积分兑换)
    track_stock: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    reorder_level: Mapped[int | None] = mapped_column(Integer)
    on_hand: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # caches stock_entries
    favourite: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # on the till grid
    colour: Mapped[str] = mapped_column(String(9), default="", server_default=text("''"))         # "#RRGGBB" or ""


class ProductBarcode(Base):
    """One of a product's barcodes (a product may have several: case and unit, old and new)."""
    __tablename__ = "product_barcodes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(32), unique=True)


class ProductSearchKey(Base):
    """What finds a product as the cashier types: every suffix of its name, of its pinyin initials
    and of its syllables, its SKU, barcodes and category, lower-cased. Searched by prefix, so the
    index answers "nt" (拿铁) and "lj" (西湖龙井) at 100,000 products without reading them all."""
    __tablename__ = "product_search_keys"
    __table_args__ = (Index("ix_product_search_keys_key_product", "key", "product_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # bytewise order on PostgreSQL too, so the prefix range is exact whatever the database's collation
    key: Mapped[str] = mapped_column(String(64).with_variant(String(64, collation="C"), "postgresql"))


class MemberPrice(Base):
    """A tier's price for one product (会员价), in place of the tier's percentage discount."""
    __tablename__ = "member_prices"
    __table_args__ = (UniqueConstraint("product_id", "tier_id"), CheckConstraint("price >= 0", name="price_nonneg"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    price: Mapped[int] = mapped_column(Amount)


class StockEntry(Base):
    """A movement of a product's stock; ``products.on_hand`` is the sum of them (shopcare check)."""
    __tablename__ = "stock_entries"
    __table_args__ = (CheckConstraint(
        "kind IN ('opening','received','sold','refunded','adjusted','counted')", name="kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    qty: Mapped[int] = mapped_column(Integer)             # signed units
    unit_cost: Mapped[int | None] = mapped_column(Amount)  # received: what one unit cost
    supplier: Mapped[str] = mapped_column(String(128), default="", server_default=text("''"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    ref: Mapped[str | None] = mapped_column(String(64))    # a stocktake's or a delivery's reference
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))


class Sale(Base):
    """A sale or a refund (``kind='refund'``, amounts negative, ``original_sale_id`` set)."""
    __tablename__ = "sales"
    __table_args__ = (
        CheckConstraint("kind IN ('sale','refund')", name="kind"),
        UniqueConstraint("till", "seq"),
        Index("ix_sales_member_created", "member_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    receipt_no: Mapped[str] = mapped_column(String(48), unique=True)
    till: Mapped[str] = mapped_column(ForeignKey("tills.code"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8), default="sale")
    source: Mapped[str] = mapped_column(String(16), default="till")  # 'till', 'import', 'demo'
    source_ref: Mapped[str | None] = mapped_column(String(128), unique=True)  # import idempotency
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # a till's retry of one sale
    original_sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    subtotal: Mapped[int] = mapped_column(Amount)        # before discounts
    tier_discount: Mapped[int] = mapped_column(Amount, default=0)
    manual_discount: Mapped[int] = mapped_column(Amount, default=0)
    total: Mapped[int] = mapped_column(Amount)           # what was due
    change_given: Mapped[int] = mapped_column(Amount, default=0)
    points_earned: Mapped[int] = mapped_column(Amount, default=0)  # negative on a refund: reversed
    note: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # a refund's approving manager

    lines: Mapped[list[SaleLine]] = relationship(order_by="SaleLine.line_no", lazy="selectin",
                                                 back_populates="sale")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id", lazy="selectin",
                                                   back_populates="sale")


class SaleLine(Base):
    __tablename__ = "sale_lines"
    __table_args__ = (UniqueConstraint("sale_id", "line_no"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    qty: Mapped[int] = mapped_column(Integer)             # negative on a refund
    unit_price: Mapped[int] = mapped_column(Amount)
    price_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    tier_discount: Mapped[int] = mapped_column(Amount, default=0)
    manual_discount: Mapped[int] = mapped_column(Amount, default=0)
    line_total: Mapped[int] = mapped_column(Amount)
    points_eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    original_line_id: Mapped[int | None] = mapped_column(ForeignKey("sale_lines.id"), index=True)
    # Units of this (sold) line refunded so far: claimed by a conditional update, never above qty.
    refunded_qty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    count_card_id: Mapped[int | None] = mapped_column(ForeignKey("count_cards.id"), index=True)  # used or sold
    # What the line was when sold, for receipts and reports: the list price before a member price,
    # the category (open-price lines have no product), the unit cost where known (margin), and the
    # points paid when the line was exchanged for points (积分兑换; its line_total is then 0).
    list_price: Mapped[int | None] = mapped_column(Amount)
    category: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    unit_cost: Mapped[int | None] = mapped_column(Amount)
    exchange_points: Mapped[int | None] = mapped_column(Amount)

    sale: Mapped[Sale] = relationship(back_populates="lines")


class Payment(Base):
    """One tender of a sale. On a refund, amounts are negative (money going back)."""
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint(
        "method IN ('cash','card','wallet','points','voucher','count_card','other')", name="method"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Amount)           # applied to the sale (cash: after change)
    tendered: Mapped[int | None] = mapped_column(Amount)  # cash handed over
    points: Mapped[int | None] = mapped_column(Amount)    # points used (method 'points')
    wallet_principal: Mapped[int | None] = mapped_column(Amount)  # split of a wallet payment
    wallet_bonus: Mapped[int | None] = mapped_column(Amount)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    reference: Mapped[str | None] = mapped_column(String(64))

    sale: Mapped[Sale] = relationship(back_populates="payments")


class HeldCart(Base):
    """A cart put aside at the till. Holding touches no balance, so cancelling changes nothing."""
    __tablename__ = "held_carts"
    __table_args__ = (CheckConstraint("status IN ('held','recalled','cancelled')", name="status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    till: Mapped[str] = mapped_column(ForeignKey("tills.code"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    label: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[str] = mapped_column(Text)  # the cart as JSON
    status: Mapped[str] = mapped_column(String(10), default="held")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Voucher(Base):
    """An e-voucher: a fixed amount or a percentage off, one use, optionally one member's only."""
    __tablename__ = "vouchers"
    __table_args__ = (CheckConstraint("kind IN ('amount','percent')", name="kind"),
                      CheckConstraint("status IN ('active','used','void')", name="status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="amount")
    value: Mapped[int] = mapped_column(Amount)  # minor units, or basis points for 'percent'
    min_spend: Mapped[int] = mapped_column(Amount, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="active")
    used_sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    campaign: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # ``campaign:<id>:<member>`` for a campaign's voucher (NULL for one issued by hand): a campaign's
    # chunk run again can never issue a recipient a second voucher.
    dedupe_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class CountCard(Base):
    """A prepaid package of N uses of one service (次卡). ``uses_left`` caches its ledger."""
    __tablename__ = "count_cards"
    __table_args__ = (CheckConstraint("uses_left >= 0", name="uses_nonneg"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))   # the package sold
    service_id: Mapped[int] = mapped_column(ForeignKey("products.id"))   # the service it covers
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    uses_total: Mapped[int] = mapped_column(Integer)
    uses_left: Mapped[int] = mapped_column(Integer)
    price_paid: Mapped[int] = mapped_column(Amount, default=0)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CountCardEntry(Base):
    __tablename__ = "count_card_entries"
    __table_args__ = (CheckConstraint(
        "kind IN ('sold','used','expired','refund','adjust','opening')", name="kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer)
    card_id: Mapped[int] = mapped_column(ForeignKey("count_cards.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    uses: Mapped[int] = mapped_column(Integer)  # +N sold, -1 used, -N expired, …
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")
