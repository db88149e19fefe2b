"""``shopcare import list`` and ``shopcare import undo [--batch N] [--dry-run]`` run as a person
would: a subprocess against the ``db`` fixture's database (SQLite, or PostgreSQL with SHOPCARE_TEST_PG)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import Product
from app.services.sales.cart import Cart, CartLine, Tender
from app.services.sales.checkout import checkout
from tests.test_cli import run


def products_in(ctx) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(Product)).scalar()


def test_list_undo_dry_run_refusal_and_undo(ctx, db, tmp_path):
    home = tmp_path / "home"
    assert "No imports yet" in run(home, "--db", db.url, "import", "list").stdout
    csv = tmp_path / "价目表.csv"
    csv.write_text("商品名称,货号,条码,售价,库存\n乌龙,OOL,6901,45,12\n普洱,PUE,,80,\n", encoding="utf-8")
    assert run(home, "--db", db.url, "import", "products", str(csv)).returncode == 0
    listed = run(home, "--db", db.url, "import", "list")
    assert listed.returncode == 0, listed.stderr
    assert "#1  products  价目表.csv  command line" in listed.stdout and "done" in listed.stdout
    assert "added 2" in listed.stdout and "opening stock 12" in listed.stdout

    checkout(ctx, Cart((CartLine("OOL"),)), [Tender("cash", 4500)])
    refused = run(home, "--db", db.url, "import", "undo", "--dry-run")
    assert refused.returncode == 2
    assert "Import 1 (价目表.csv) cannot be undone: 1 of these products has been sold since" in refused.stderr
    refused = run(home, "--db", db.url, "--lang", "zh_TW", "import", "undo", "--batch", "1")
    assert refused.returncode == 2 and "無法復原" in refused.stderr and "已售出" in refused.stderr
    assert products_in(ctx) == 2

    csv2 = tmp_path / "more.csv"
    csv2.write_text("name,sku,price\nMug,MUG,35\n", encoding="utf-8")
    assert run(home, "--db", db.url, "import", "products", str(csv2)).returncode == 0
    dry = run(home, "--db", db.url, "--lang", "zh_CN", "import", "undo", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "第 2 批导入（商品，more.csv" in dry.stdout and "商品：1" in dry.stdout
    assert products_in(ctx) == 3
    done = run(home, "--db", db.url, "import", "undo")
    assert done.returncode == 0, done.stderr
    assert "Import 2 (products, more.csv" in done.stdout and "products: 1" in done.stdout
    assert products_in(ctx) == 2
    again = run(home, "--db", db.url, "import", "undo", "--batch", "2")
    assert again.returncode == 2 and "was already undone" in again.stderr
    assert "undone" in run(home, "--db", db.url, "import", "list").stdout
    assert run(home, "--db", db.url, "check").returncode == 0
