"""`shopcare report products` printed on the terminal: a table lined up by display columns (a Chinese
character takes two), its headings and row names in the user's language."""
from __future__ import annotations

from app import i18n, money
from app.i18n import NC_
from app.services.reports.product_sales import ProductSales, ProductSalesRow
from app.services.sales.receipt import text_width

LABELS = {
    "title": NC_("products:title", "Product sales {start} to {end}, by {by}"),
    "by_product": NC_("products:by_product", "product"),
    "by_category": NC_("products:by_category", "category"),
    "sku": NC_("products:sku", "SKU"),
    "product": NC_("products:product", "Product"),
    "category": NC_("products:category", "Category"),
    "sold": NC_("products:sold", "Sold"),
    "refunded": NC_("products:refunded", "Refunded"),
    "net_qty": NC_("products:net_qty", "Net qty"),
    "net_sales": NC_("products:net_sales", "Net sales"),
    "cost": NC_("products:cost", "Cost"),
    "margin": NC_("products:margin", "Margin"),
    "margin_pct": NC_("products:margin_pct", "Margin %"),
    "points": NC_("products:points", "Points"),
    "total": NC_("products:total", "Total"),
    "open_price": NC_("products:open_price", "Open price: {category}"),
    "no_category": NC_("products:no_category", "(no category)"),
    "exchange": NC_("products:exchange", "{name} (for points)"),
    "none": NC_("products:none", "No sales in this period."),
    "unknown": NC_("products:unknown", "Cost and margin: – where the cost of a line sold was not recorded."),
}


def label(key: str, lang: str, **params) -> str:
    return i18n.entry(lang, LABELS[key], context="products:" + key, **params)


def row_name(r: ProductSalesRow, by: str, lang: str) -> str:
    """What a row is about, as a person reads it."""
    category = r.category or label("no_category", lang)
    if by == "category":
        return category
    name = label("open_price", lang, category=category) if r.open_price else r.name
    return label("exchange", lang, name=name) if r.exchange else name


def lines(report: ProductSales, lang: str) -> list[str]:
    """The report as lines of text, the total last."""
    cur = report.currency
    M = lambda v: "–" if v is None else money.format_plain(v, cur, lang)  # noqa: E731
    N = lambda v: money.format_int(v, lang)  # noqa: E731

    def pct(r: ProductSalesRow) -> str:
        ratio = r.margin_ratio
        return "–" if ratio is None else f"{100 * ratio:.1f}%"

    by = report.by
    title = label("title", lang, start=report.start.isoformat(), end=report.end.isoformat(),
                  by=label("by_" + by, lang))
    if not report.rows:
        return [title, label("none", lang)]
    lead = ["category"] if by == "category" else ["sku", "product"]
    head = [label(k, lang) for k in (*lead, "sold", "refunded", "net_qty", "net_sales", "cost", "margin",
                                     "margin_pct", "points")]

    def cells(r: ProductSalesRow, name: str, sku: str | None) -> list[str]:
        first = [name] if sku is None else [sku, name]
        return [*first, N(r.sold), N(r.refunded), N(r.net_qty), M(r.net_sales), M(r.cost), M(r.margin), pct(r),
                N(r.points)]

    body = [cells(r, row_name(r, by, lang), None if by == "category" else r.sku) for r in report.rows]
    total = (cells(report.total, label("total", lang), None) if by == "category"
             else cells(report.total, "", label("total", lang)))
    table = [head, *body, total]
    widths = [max(text_width(row[i]) for row in table) for i in range(len(head))]
    texts = len(lead)

    def fmt(row: list[str]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            pad = " " * (w - text_width(cell))
            out.append(cell + pad if i < texts else pad + cell)
        return "  ".join(out).rstrip()

    rule = "-" * text_width(fmt(head))
    return [title, "", fmt(head), rule, *(fmt(r) for r in body), rule, fmt(total), "", label("unknown", lang)]
