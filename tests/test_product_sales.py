"""The product sales report: real sales through checkout and refunds (member and walk-in, a partial
refund), open-price and points-exchange lines as the till writes them, lines sold before costs were
kept; every figure checked against the rows in plain Python, and the export files read back."""
from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import insert, select, text, update

from app.errors import PermissionDenied, ShopError, ValidationError, render
from app.models import AuditLog, Product, Sale, SaleLine
from app.services.base import settings
from app.services.reports import eod
from app.services.reports.product_sales import product_sales
from app.services.reports.product_sales_export import export_product_sales
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from app.services.sales.refunds import RefundLine, refund
from tests.shop import member, stock_shop

DAY = date(2026, 3, 2)


def _at(clock, day: date, hh: int, mm: int = 0) -> None:
    clock.set(datetime.combine(day, datetime.min.time()) + timedelta(hours=hh, minutes=mm))


def _set_cost(ctx, sku: str, cost: int | None) -> None:
    with ctx.tx() as t:
        t.s.execute(update(Product).where(Product.sku == sku).values(cost=cost))
    ctx.db.cache.pop("products", None)


def _loose_sale(ctx, when: datetime, lines: list[dict], seq: int) -> None:
    """A sale whose lines the till writes without a product (open price) or for points (exchange),
    inserted as those lines are stored."""
    total = sum(x["line_total"] for x in lines)
    with ctx.tx() as t:
        sid = t.s.execute(insert(Sale).values(
            receipt_no=f"T1-X{seq}", till="T1", seq=seq, kind="sale", source="till", created_at=when,
            subtotal=total, tier_discount=0, manual_discount=0, total=total, change_given=0, points_earned=0,
            note="").returning(Sale.id)).scalar_one()
        for n, x in enumerate(lines, 1):
            t.s.execute(insert(SaleLine).values(sale_id=sid, line_no=n, unit_price=x["line_total"] // x["qty"],
                                                price_overridden=False, tier_discount=0, manual_discount=0,
                                                points_eligible=False, **x))


@pytest.fixture
def shop(ctx, clock):
    """Two days of sales, with a day before (one line without a cost) and a day after that must not
    leak into a report of DAY."""
    stock_shop(ctx)
    settings.update(ctx, language="en")
    _set_cost(ctx, "COF", 3_000)
    _set_cost(ctx, "TEA", 1_000)
    _set_cost(ctx, "CUT", 0)           # a service that costs nothing: a margin of 100% is real here
    a = member(ctx, "13800138000", "王芳")

    _at(clock, DAY - timedelta(days=1), 12)
    old = checkout(ctx, Cart((CartLine("COF"),)), [Tender("cash", 5_800)])
    with ctx.tx() as t:   # as if sold before costs were kept (migration 0009)
        t.s.execute(update(SaleLine).where(SaleLine.sale_id == old.sale_id).values(unit_cost=None))

    _at(clock, DAY, 10)
    checkout(ctx, Cart((CartLine("COF", 2), CartLine("TEA"))), [Tender("cash", 20_000)])     # walk-in
    _at(clock, DAY, 11)
    c = Cart((CartLine("COF"), CartLine("TEA", 3), CartLine("MUG"), CartLine("CUT")), member_id=a.id)
    s = checkout(ctx, c, [Tender("card", price_cart(ctx, c).total)])
    _at(clock, DAY, 12)
    refund(ctx, s.receipt_no, [RefundLine(2, 1)], reason="one tin dented")                # partial
    _at(clock, DAY, 13)
    _loose_sale(ctx, datetime.combine(DAY, datetime.min.time()) + timedelta(hours=13), [
        dict(product_id=None, sku="OPEN", name="Snacks", category="Snacks", qty=1, line_total=1_200, unit_cost=None),
        dict(product_id=None, sku="OPEN", name="Snacks", category="Snacks", qty=2, line_total=800, unit_cost=None),
        dict(product_id=None, sku="HIST", name="Imported line", category="", qty=1, line_total=500, unit_cost=None),
        dict(product_id=_pid(ctx, "TEA"), sku="TEA", name="Green tea 绿茶", category="", qty=2, line_total=0,
             unit_cost=1_000, exchange_points=600),
    ], seq=9001)
    _at(clock, DAY + timedelta(days=1), 10)
    checkout(ctx, Cart((CartLine("TEA", 5),)), [Tender("cash", 20_000)])                 # tomorrow
    _at(clock, DAY, 22)
    return ctx


def _pid(ctx, sku: str) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Product.id).where(Product.sku == sku)).scalar_one()


def _lines(ctx, start: date, end: date):
    """Every line of the period as (sale kind, line), read plainly."""
    t0, t1 = datetime.combine(start, datetime.min.time()), datetime.combine(end + timedelta(days=1), datetime.min.time())
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Sale.kind, SaleLine).join(SaleLine, SaleLine.sale_id == Sale.id)
                           .where(Sale.created_at >= t0, Sale.created_at < t1)).all()


def test_by_product_matches_the_lines(shop):
    report = product_sales(shop, DAY, DAY)
    rows = {(r.sku, r.category, r.exchange): r for r in report.rows}
    lines = _lines(shop, DAY, DAY)
    # recomputed from the rows: per product, sold, refunded, net sales and cost
    want = defaultdict(lambda: [0, 0, 0, 0])
    for kind, x in lines:
        if x.product_id is None or x.exchange_points:
            continue
        w = want[x.sku]
        w[0 if kind == "sale" else 1] += abs(x.qty)
        w[2] += x.line_total
        w[3] += x.qty * (x.unit_cost or 0)
    for sku in ("COF", "TEA", "CUT"):
        r = rows[(sku, "", False)]
        assert [r.sold, r.refunded, r.net_sales, r.cost] == want[sku], sku
    tea = rows[("TEA", "", False)]
    assert (tea.sold, tea.refunded, tea.net_qty) == (4, 1, 3)
    assert tea.cost == 3_000 and tea.margin == tea.net_sales - 3_000
    cof = rows[("COF", "", False)]
    assert cof.cost == 9_000 and cof.margin_ratio == pytest.approx((cof.net_sales - 9_000) / cof.net_sales)
    # a product without a cost: margin unknown, never 100%
    mug = rows[("MUG", "", False)]
    assert mug.cost is None and mug.margin is None and mug.margin_ratio is None and mug.net_sales > 0
    # a service whose cost is 0 is known: its margin is all of it
    assert rows[("CUT", "", False)].margin_ratio == 1.0
    # open-price lines under their category; the exchange on its own row with its points
    snacks = rows[("", "Snacks", False)]
    assert snacks.open_price and (snacks.sold, snacks.net_sales, snacks.cost) == (3, 2_000, None)
    history = rows[("HIST", "", False)]   # no product and no category (imported history): its own SKU
    assert not history.open_price and history.name == "Imported line" and history.net_sales == 500
    swap = rows[("TEA", "", True)]
    assert (swap.sold, swap.net_sales, swap.points, swap.cost, swap.margin) == (2, 0, 600, 2_000, -2_000)
    # the totals: every line of the day once; the cost unknown because some lines have none
    assert report.total.net_sales == sum(x.line_total for _k, x in lines)
    assert report.total.sold == sum(x.qty for k, x in lines if k == "sale")
    assert report.total.refunded == 1 and report.total.points == 600 and report.total.cost is None
    assert [r.net_sales for r in report.rows] == sorted((r.net_sales for r in report.rows), reverse=True)


def test_the_net_sales_match_the_end_of_day_report(shop):
    day = eod.eod_report(shop, DAY)
    assert product_sales(shop, DAY, DAY).total.net_sales == day.net_sales


def test_by_category_and_a_line_sold_before_costs_were_kept(shop):
    with shop.tx() as t:
        t.s.execute(update(Product).where(Product.sku.in_(("COF", "TEA"))).values(category="Drinks"))
        t.s.execute(update(SaleLine).where(SaleLine.sku.in_(("COF", "TEA"))).values(category="Drinks"))
    report = product_sales(shop, DAY, DAY, by="category")
    rows = {r.category: r for r in report.rows}
    assert set(rows) == {"Drinks", "Snacks", ""}
    drinks = rows["Drinks"]   # COF and TEA, the tea exchanged for points included
    assert drinks.points == 600 and drinks.cost == 9_000 + 3_000 + 2_000
    assert drinks.sold == 3 + 4 + 2 and drinks.refunded == 1
    assert rows[""].cost is None   # the mug has no cost
    # yesterday's coffee was sold before costs were kept: two days together, coffee's margin unknown
    two = {r.sku: r for r in product_sales(shop, DAY - timedelta(days=1), DAY).rows if not r.exchange}
    assert two["COF"].sold == 4 and two["COF"].cost is None and two["COF"].margin_ratio is None
    assert two["TEA"].cost == 3_000   # tomorrow's tea is not in it
    assert product_sales(shop, DAY + timedelta(days=2), DAY + timedelta(days=3)).rows == ()


def test_bad_periods_are_refused_in_words(shop):
    with pytest.raises(ValidationError) as e:
        product_sales(shop, DAY, DAY - timedelta(days=1))
    assert e.value.code == "date_range_invalid"
    with pytest.raises(ValidationError) as e:
        product_sales(shop, DAY, DAY, by="colour")
    assert e.value.code == "report_by_invalid"
    with pytest.raises(ValidationError) as e:
        product_sales(shop, date(1800, 1, 1), DAY)
    assert e.value.code == "date_out_of_range"
    assert "colour" in render(ShopError("report_by_invalid", value="colour", choices="product, category"), "en")


def test_export_csv_and_xlsx_read_back(shop, tmp_path):
    with shop.tx() as t:   # a name that would run as a formula in a spreadsheet
        t.s.execute(update(Product).where(Product.sku == "MUG").values(name='=HYPERLINK("http://x.example")'))
    out = tmp_path / "products.csv"
    n = export_product_sales(shop, out, DAY, DAY)
    report = product_sales(shop, DAY, DAY)
    assert n == len(report.rows)
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    by_sku = {(r["sku"], r["points_exchange"]): r for r in rows}
    assert by_sku[("TEA", "0")]["net_sales"] == f"{report.rows[[r.sku for r in report.rows].index('TEA')].net_sales / 100:.2f}"
    assert by_sku[("MUG", "0")]["product"].startswith("'=")
    assert by_sku[("MUG", "0")]["margin"] == "" and by_sku[("MUG", "0")]["cost"] == ""   # unknown, not 0
    assert by_sku[("TEA", "1")]["points"] == "600"
    assert (out.stat().st_mode & 0o777) == 0o600

    xl = tmp_path / "categories.xlsx"
    assert export_product_sales(shop, xl, DAY, DAY, by="category") == 2
    ws = openpyxl.load_workbook(xl).active
    values = list(ws.values)
    assert values[0][:5] == ("category", "sold", "refunded", "net_qty", "net_sales")
    cats = {r[0] or "": r for r in values[1:]}
    cat_report = {r.category: r for r in product_sales(shop, DAY, DAY, by="category").rows}
    assert float(cats["Snacks"][4]) == cat_report["Snacks"].net_sales / 100
    assert cats["Snacks"][5] is None   # cost unknown: an empty cell
    with shop.tx(write=False) as t:
        audits = t.s.execute(select(AuditLog.action, AuditLog.entity).where(
            AuditLog.action == "reports.product_sales.export")).all()
    assert len(audits) == 2 and audits[0].entity == "sales"


def test_export_is_the_owners_only(shop, tmp_path, cashier_ctx, unconfirmed_ctx):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for who in (cashier_ctx, unconfirmed_ctx):
        with pytest.raises(PermissionDenied):
            export_product_sales(who, tmp_path / "x.csv", DAY, DAY)
    with pytest.raises(ValidationError) as e:
        export_product_sales(shop, tmp_path / "x.pdf", DAY, DAY)
    assert e.value.code == "export_format"
    assert not list(tmp_path.iterdir())


def test_the_query_reads_the_period_through_the_sales_date_index(shop):
    """SQLite picks the index by itself; PostgreSQL's planner reads a small test table whole, so
    there the test only proves the index can serve the query (sequential scans switched off)."""
    from app.services.reports.product_sales import _query

    for by in ("product", "category"):
        q = _query(datetime(2026, 3, 2), datetime(2026, 3, 3), by)
        with shop.tx(write=False) as t:
            compiled = q.compile(t.s.bind, compile_kwargs={"literal_binds": True})
            if t.s.bind.dialect.name == "postgresql":
                t.s.execute(text("SET LOCAL enable_seqscan = off"))
                plan = " ".join(r[0] for r in t.s.execute(text(f"EXPLAIN {compiled}")).all())
            else:
                plan = " ".join(str(r[-1]) for r in t.s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all())
                assert "SCAN sale_lines" not in plan, plan
        assert "ix_sales_created_at" in plan, plan


def test_end_of_day_top_products_show_the_margin_where_the_cost_is_known(shop, tmp_path):
    import subprocess

    from app.services.reports import eod_pdf

    day = eod.eod_report(shop, DAY)
    top = {p.sku: p for p in day.top_products}
    ps = {r.sku: r for r in product_sales(shop, DAY, DAY).rows if not r.exchange and r.sku}
    assert top["COF"].cost == ps["COF"].cost == 9_000 and top["COF"].margin == top["COF"].amount - 9_000
    assert top["MUG"].cost is None and top["MUG"].margin is None and top["MUG"].margin_ratio is None
    pdf = eod_pdf.write_eod_pdf(day, tmp_path / "eod.pdf", "en")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Margin" in text
    cof_line = next(line for line in text.splitlines() if "Coffee beans" in line)
    pct = round(100 * (top["COF"].amount - 9_000) / top["COF"].amount)
    assert f"({pct}%)" in cof_line
    mug_line = next(line for line in text.splitlines() if "Mug" in line)
    assert mug_line.rstrip().endswith("–") and "100%" not in mug_line
    zh = eod_pdf.write_eod_pdf(day, tmp_path / "eod-zh.pdf", "zh_CN")
    assert zh.exists()
