"""The product sales report as CSV or XLSX, through the shop's one export writer (base/export.py):
owner only, audited, the file private and written whole, no cell read as a formula (a product
named "=1+1" stays text). Costs and margins are the shop's business secrets, hence the same rules
as a member list. An unknown cost or margin is an empty cell, never 0."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from app.services.base import export, permissions
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.reports.product_sales import ProductSalesRow, check_period, product_sales

_MEASURES = (
    export.Column("sold", "int"), export.Column("refunded", "int"), export.Column("net_qty", "int"),
    export.Column("net_sales", "money"), export.Column("cost", "money"), export.Column("margin", "money"),
    export.Column("margin_pct", "ratio"), export.Column("points", "int"),
)
BY_PRODUCT = (export.Column("sku"), export.Column("product"), export.Column("category"),
              export.Column("open_price", "bool"), export.Column("points_exchange", "bool"), *_MEASURES)
BY_CATEGORY = (export.Column("category"), *_MEASURES)


def _measures(r: ProductSalesRow) -> tuple:
    ratio = r.margin_ratio
    return (r.sold, r.refunded, r.net_qty, r.net_sales, r.cost, r.margin,
            None if ratio is None else 100 * ratio, r.points)


def export_product_sales(ctx: Ctx, path: str | Path, start: date, end: date, by: str = "product", *,
                         progress: Callable[[int, int, str], None] | None = None) -> int:
    """The report of ``start``..``end`` by ``by`` to ``path`` (.csv or .xlsx); returns the row count."""
    permissions.require(ctx, "export")
    check_period(start, end, by)
    export.export_format(Path(path))
    columns = BY_CATEGORY if by == "category" else BY_PRODUCT

    def rows(t: Ctx):
        report = product_sales(t, start, end, by)
        for r in report.rows:
            if by == "category":
                yield (r.category, *_measures(r))
            else:
                yield (r.sku, r.name, r.category, r.open_price, r.exchange, *_measures(r))

    return export.export_table(ctx, path, columns, rows, currency=shop_settings.load(ctx).currency, action="reports.product_sales.export",
                               details={"from": start.isoformat(), "to": end.isoformat(), "by": by},
                               sheet="Product sales", entity="sales", progress=progress)

