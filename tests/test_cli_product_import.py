"""``shopcare import products`` and ``export products`` run as a person would: a subprocess, against
the ``db`` fixture's database (a SQLite file, or PostgreSQL with SHOPCARE_TEST_PG)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import Product
from app.services.sales import catalog
from tests.test_cli import run


def products_in(ctx) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(Product)).scalar()


def test_import_prints_counts_changes_and_every_bad_row(ctx, db, tmp_path):
    home = tmp_path / "home"
    bad = tmp_path / "bad.csv"
    bad.write_text("商品名称,货号,条码,售价,分类,库存\n拿铁,L1,6901,28,饮料,3\n,L2,6902,x,,\n美式,L3,6902,20,,1.5\n",
                   encoding="gb18030")
    refused = run(home, "--db", db.url, "--lang", "zh_CN", "import", "products", str(bad))
    assert refused.returncode == 2
    assert "有 3 行错误，未导入任何数据" in refused.stderr
    for row in ("第 2 行", "第 3 行", "第 4 行"):
        assert row in refused.stderr, refused.stderr
    assert "第 2 行：分类：没有分类“饮料”" in refused.stderr and "“x”" in refused.stderr and "“1.5”" in refused.stderr
    assert "第 3 行：条码 6902 在第 4 行也出现了" in refused.stderr
    assert products_in(ctx) == 0

    dry = run(home, "--db", db.url, "import", "products", str(bad), "--dry-run", "--add-categories")
    assert dry.returncode == 2 and "nothing written" in dry.stdout and "row 3:" in dry.stdout
    assert products_in(ctx) == 0

    good = run(home, "--db", db.url, "import", "products", str(bad), "--skip-bad", "--add-categories")
    assert good.returncode == 0, good.stderr
    assert "products added: 1," in good.stdout and "New categories: 饮料" in good.stdout
    assert "Opening stock: 3" in good.stdout and "row 3:" in good.stdout and "row 4:" in good.stdout

    change = tmp_path / "change.csv"
    change.write_text("sku,name,price\nL1,拿铁 大杯,30\n", encoding="utf-8")
    updated = run(home, "--db", db.url, "import", "products", str(change), "--update")
    assert updated.returncode == 0, updated.stderr
    assert "updated: 1," in updated.stdout
    assert "row 2 L1: name 拿铁 -> 拿铁 大杯" in updated.stdout and "price 28.00 -> 30.00" in updated.stdout
    with ctx.tx(write=False) as t:
        assert catalog.lookup(t, "6901").price == 3000
    assert run(home, "--db", db.url, "check").returncode == 0


def test_export_then_import_changes_nothing(ctx, db, tmp_path):
    home = tmp_path / "home"
    src = tmp_path / "src.csv"
    src.write_text("name,sku,barcode,price,会员价(金卡会员),stock\n=1+2,A1,6901 6902,5,4.5,7\n龙井,A2,,128,,\n",
                   encoding="utf-8")
    assert run(home, "--db", db.url, "import", "products", str(src)).returncode == 0
    out = tmp_path / "catalogue.xlsx"
    exported = run(home, "--db", db.url, "--lang", "zh_TW", "export", "products", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "2 個商品" in exported.stdout and out.is_file()
    again = run(home, "--db", db.url, "import", "products", str(out), "--update")
    assert again.returncode == 0, again.stderr
    assert "products added: 0, updated: 0, unchanged: 2" in again.stdout and "Changes" not in again.stdout
    only = run(home, "--db", db.url, "export", "products", "-o", str(tmp_path / "x.txt"))
    assert only.returncode == 2 and ".csv or .xlsx" in only.stderr


def test_help_names_every_option(tmp_path):
    text = run(tmp_path / "home", "import", "products", "--help").stdout
    for option in ("--skip-bad", "--update", "--add-categories", "--sheet", "--dry-run", "商品名称"):
        assert option in text
    assert "--active-only" in run(tmp_path / "home", "export", "products", "--help").stdout
