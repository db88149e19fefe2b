"""Product sales over a period, by product or by category: units sold and refunded, net sales and,
where the cost is known, cost and margin.

- A line belongs to the day of its sale, a refund line to the day of its refund (as the end-of-day
  report counts them), so a period's net sales match the end-of-day reports of its days.
- Cost is ``sale_lines.unit_cost`` × qty, kept with the line when it was sold (refund lines copy it,
  negative). Lines sold before costs were kept have none: a row with any such line shows its cost
  and margin as unknown (None), never as a margin of 100%.
- Open-price lines (无码商品: no product) are grouped under the category they were sold in; lines
  exchanged for points (积分兑换, line total 0) are a row of their own per product, with the points.
- One grouped query over the sales of the period (it reads them through the ``sales.created_at``
  index), so a year of a busy shop's million lines is summed in the database, not in Python.
Amounts are integer minor units; formatting and percentages are the screen's and the file's job.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, literal, select

from app.errors import ValidationError
from app.models import Product, Sale, SaleLine
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.days import check_day

BY = ("product", "category")


@dataclass(frozen=True)
class ProductSalesRow:
    sku: str              # "" for a category row and for open-price lines
    name: str             # the product's name; a category row: "" (its category is the name)
    category: str         # "" when none
    open_price: bool      # open-price lines of ``category`` (no product)
    exchange: bool        # lines exchanged for points
    sold: int             # units sold
    refunded: int         # units refunded (a positive count)
    net_sales: int        # line totals, refunds netted
    cost: int | None      # cost of the net units; None when a line's cost was not recorded
    points: int           # points taken by exchange, refunds netted

    @property
    def net_qty(self) -> int:
        return self.sold - self.refunded

    @property
    def margin(self) -> int | None:
        return None if self.cost is None else self.net_sales - self.cost

    @property
    def margin_ratio(self) -> float | None:
        """Margin over net sales (0.25 is 25%); None when the cost is unknown or nothing was taken."""
        m = self.margin
        return None if m is None or self.net_sales <= 0 else m / self.net_sales


@dataclass(frozen=True)
class ProductSales:
    start: date
    end: date             # inclusive
    by: str               # product | category
    currency: str
    rows: tuple[ProductSalesRow, ...]   # biggest net sales first
    total: ProductSalesRow

    @property
    def file_stem(self) -> str:
        return f"product-sales-{self.by}-{self.start.isoformat()}-{self.end.isoformat()}"


def check_period(start: date, end: date, by: str = "product") -> None:
    """ValidationError for a day out of range, an end before the start or an unknown grouping."""
    check_day(start, "from")
    check_day(end, "to")
    if end < start:
        raise ValidationError("date_range_invalid", start=start.isoformat(), end=end.isoformat())
    if by not in BY:
        raise ValidationError("report_by_invalid", value=str(by), choices=", ".join(BY))


def _query(start: datetime, end: datetime, by: str):
    is_sale = Sale.kind == "sale"
    measures = (
        func.sum(case((is_sale, SaleLine.qty), else_=0)).label("sold"),
        func.sum(case((is_sale, 0), else_=SaleLine.qty)).label("refunded"),
        func.sum(SaleLine.line_total).label("net_sales"),
        func.sum(SaleLine.qty * SaleLine.unit_cost).label("cost"),
        func.sum(case((SaleLine.unit_cost.is_(None), 1), else_=0)).label("uncosted"),
        func.sum(func.coalesce(SaleLine.exchange_points, 0)).label("points"),
    )
    in_period = (Sale.created_at >= start, Sale.created_at < end)
    if by == "category":
        return (select(SaleLine.category.label("category"), literal(False).label("exchange"), *measures)
                .select_from(Sale).join(SaleLine, SaleLine.sale_id == Sale.id)
                .where(*in_period).group_by(SaleLine.category))
    no_product = SaleLine.product_id.is_(None)
    exchange = case((SaleLine.exchange_points.is_not(None), 1), else_=0)
    # A product's row carries its current SKU, name and category; lines without a product (open
    # price, imported history with an unknown SKU) are told apart by what the line kept.
    loose_sku = case((no_product, SaleLine.sku), else_=literal(""))
    loose_cat = case((no_product, SaleLine.category), else_=literal(""))
    return (select(SaleLine.product_id, loose_sku.label("loose_sku"), loose_cat.label("loose_cat"),
                   exchange.label("exchange"), func.max(Product.sku).label("sku"),
                   func.max(Product.name).label("name"), func.max(Product.category).label("category"),
                   func.max(SaleLine.name).label("line_name"), *measures)
            .select_from(Sale).join(SaleLine, SaleLine.sale_id == Sale.id)
            .outerjoin(Product, Product.id == SaleLine.product_id)
            .where(*in_period).group_by(SaleLine.product_id, loose_sku, loose_cat, exchange))


def product_sales(ctx: Ctx, start: date, end: date, by: str = "product") -> ProductSales:
    """Sales of ``start``..``end`` (whole days, shop time) grouped ``by`` product or category."""
    check_period(start, end, by)
    t0 = datetime.combine(start, time.min)
    t1 = datetime.combine(end + timedelta(days=1), time.min)
    with ctx.tx(write=False) as t:
        currency = shop_settings.load(t).currency
        found = t.s.execute(_query(t0, t1, by)).all()
    rows = [_row(r, by) for r in found]
    rows.sort(key=lambda x: (-x.net_sales, x.category if by == "category" else x.sku, x.name, x.exchange))
    return ProductSales(start, end, by, currency, tuple(rows), _total(rows))


def _row(r, by: str) -> ProductSalesRow:
    cost = None if int(r.uncosted or 0) else int(r.cost or 0)
    common = dict(sold=int(r.sold or 0), refunded=-int(r.refunded or 0), net_sales=int(r.net_sales or 0),
                  cost=cost, points=int(r.points or 0), exchange=bool(r.exchange))
    if by == "category":
        return ProductSalesRow(sku="", name="", category=r.category or "", open_price=False, **common)
    if r.product_id is None:
        is_open = bool(r.loose_cat)
        return ProductSalesRow(sku="" if is_open else r.loose_sku, name="" if is_open else r.line_name or "",
                               category=r.loose_cat or "", open_price=is_open, **common)
    return ProductSalesRow(sku=r.sku or "", name=r.name or r.line_name or "", category=r.category or "",
                           open_price=False, **common)


def _total(rows: list[ProductSalesRow]) -> ProductSalesRow:
    costs = [r.cost for r in rows]
    return ProductSalesRow(sku="", name="", category="", open_price=False, exchange=False,
                           sold=sum(r.sold for r in rows), refunded=sum(r.refunded for r in rows),
                           net_sales=sum(r.net_sales for r in rows),
                           cost=None if None in costs else sum(c for c in costs if c is not None),
                           points=sum(r.points for r in rows))
