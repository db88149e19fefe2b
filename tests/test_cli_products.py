"""``shopcare report products`` run as a person would, against the test database (SQLite, or
PostgreSQL on a SHOPCARE_TEST_PG run) filled through checkout and refunds."""
from __future__ import annotations

import csv

import openpyxl

from app.services.reports.product_sales import product_sales
from app.services.sales.receipt import text_width
from tests.test_cli import home, run  # noqa: F401  (home is a fixture)
from tests.test_product_sales import DAY, shop  # noqa: F401  (shop is a fixture)


def _run(home, db, *args, **kw):
    return run(home, "--db", db.url, *args, **kw)


def test_the_table_on_the_terminal(home, shop, db):
    proc = _run(home, db, "--lang", "en", "report", "products", "--from", "2026-03-02", "--to", "2026-03-02")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == "Product sales 2026-03-02 to 2026-03-02, by product"
    report = product_sales(shop, DAY, DAY)
    total = next(line for line in out if line.startswith("Total"))
    assert f"{report.total.net_sales / 100:,.2f}" in total and total.split()[-1] == "600"   # points
    tea = next(line for line in out if line.startswith("TEA ") and "for points" not in line)
    r = next(r for r in report.rows if r.sku == "TEA" and not r.exchange)
    assert tea.split()[-5:] == [f"{r.net_sales / 100:,.2f}", f"{r.cost / 100:,.2f}", f"{r.margin / 100:,.2f}",
                                f"{100 * r.margin_ratio:.1f}%", "0"]
    assert f"{100 * r.margin_ratio:.1f}%" in tea
    mug = next(line for line in out if line.startswith("MUG "))
    assert mug.split()[-4:-1] == ["–", "–", "–"]          # unknown cost: no margin, never 100%
    assert any("Open price: Snacks" in line for line in out)
    assert any("Green tea 绿茶 (for points)" in line for line in out)
    # columns line up by display width: every "Net sales" figure ends in the same column
    head = next(line for line in out if line.startswith("SKU"))
    assert "Margin %" in head
    ends = {text_width(line[:line.index(f"{x.net_sales / 100:,.2f}")]) + len(f"{x.net_sales / 100:,.2f}")
            for x, line in ((r, tea), (report.total, total))}
    assert len(ends) == 1

    zh = _run(home, db, "--lang", "zh_CN", "report", "products", "--from", "2026-03-02", "--to", "2026-03-02",
              "--by", "category")
    assert zh.returncode == 0, zh.stderr
    assert "按类别" in zh.stdout and "净销售额" in zh.stdout and "毛利" in zh.stdout and "合计" in zh.stdout
    tw = _run(home, db, "--lang", "zh_TW", "report", "products", "--from", "2026-03-02", "--to", "2026-03-02")
    assert "商品" in tw.stdout and "點數" in tw.stdout
    empty = _run(home, db, "report", "products", "--from", "2020-01-01", "--to", "2020-01-31")
    assert empty.returncode == 0 and "No sales in this period." in empty.stdout


def test_to_csv_and_xlsx(home, shop, db, tmp_path):
    out = tmp_path / "p.csv"
    proc = _run(home, db, "report", "products", "--from", "2026-03-02", "--to", "2026-03-02", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    n = len(product_sales(shop, DAY, DAY).rows)
    assert f"{n} rows written to {out}" in proc.stdout
    with open(out, encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.DictReader(f))) == n
    again = _run(home, db, "report", "products", "--from", "2026-03-02", "--to", "2026-03-02", "-o", str(out))
    assert again.returncode == 0 and (tmp_path / "p (2).csv").exists() and "already exists" in again.stderr
    xl = tmp_path / "c.xlsx"
    proc = _run(home, db, "report", "products", "--from", "2026-03-02", "--to", "2026-03-02", "--by", "category",
                "-o", str(xl))
    assert proc.returncode == 0, proc.stderr
    rows = list(openpyxl.load_workbook(xl).active.values)
    assert rows[0][0] == "category" and len(rows) == 1 + len(product_sales(shop, DAY, DAY, by="category").rows)


def test_mistakes_are_sentences_with_exit_2(home, shop, db, tmp_path):
    backwards = _run(home, db, "report", "products", "--from", "2026-03-02", "--to", "2026-03-01")
    assert backwards.returncode == 2 and "before the start date" in backwards.stderr
    pdf = _run(home, db, "report", "products", "-o", str(tmp_path / "x.pdf"))
    assert pdf.returncode == 2 and "x.pdf" in pdf.stderr and ".csv or .xlsx" in pdf.stderr
    assert not (tmp_path / "x.pdf").exists()
    bad_by = _run(home, db, "--lang", "zh_CN", "report", "products", "--by", "colour")
    assert bad_by.returncode == 2 and "colour" in bad_by.stderr and "用法" in bad_by.stderr
    bad_day = _run(home, db, "report", "products", "--from", "2026-02-30")
    assert bad_day.returncode == 2 and "is not a date" in bad_day.stderr


def test_help_names_what_it_does(home):
    for words, expected in ((("report",), ["products", "product sales"]),
                            (("report", "products"), ["--from D", "--to D", "--by", "FILE.csv|FILE.xlsx",
                                                      "never 100%", "owner only, audited"]),
                            ((), ["report products"])):
        proc = run(home, *words, "--help")
        assert proc.returncode == 0
        text = " ".join(proc.stdout.split())
        assert all(e in text for e in expected), (words, proc.stdout)
    zh = run(home, "--lang", "zh_CN", "report", "products", "--help")
    assert zh.returncode == 0 and zh.stdout.startswith("用法")
