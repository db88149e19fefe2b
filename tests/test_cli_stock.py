"""``shopcare stock receive | adjust | count | low | history``, run as a person would, against the test
database (SQLite, or PostgreSQL with SHOPCARE_TEST_PG)."""
from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import select

from app.models import Product
from app.services.sales import catalog
from tests.stock_shop import entries, on_hand, stock_faults, track
from tests.test_cli import home, run  # noqa: F401  (home is a fixture)


@pytest.fixture
def shop(ctx):
    catalog.add_product(ctx, sku="BEAN", name="咖啡豆 Coffee beans", price=6800, barcode="6923000000017")
    catalog.add_product(ctx, sku="TEA", name="绿茶 Green tea", price=3300)
    catalog.add_product(ctx, sku="MUG", name="马克杯 Mug", price=4500)
    track(ctx, "BEAN", reorder_level=10)
    track(ctx, "TEA", reorder_level=2)
    return ctx


def sc(home, db, *args):
    return run(home, "--db", db.url, *args)


def test_receive_adjust_low_and_history(home, db, shop):
    low = sc(home, db, "stock", "low")
    assert low.returncode == 0 and "BEAN" in low.stdout and "TEA" in low.stdout
    got = sc(home, db, "stock", "receive", "bean", "12", "--cost", "31.50", "--supplier", "云南豆仓")
    assert got.returncode == 0, got.stderr
    assert "0 → 12" in got.stdout and "31.50" in got.stdout
    with db.session(write=False) as s:
        assert s.execute(select(Product.cost).where(Product.sku == "BEAN")).scalar() == 3150
    kept = sc(home, db, "stock", "receive", "6923000000017", "3", "--cost", "40", "--keep-cost")
    assert kept.returncode == 0 and "12 → 15" in kept.stdout
    adj = sc(home, db, "stock", "adjust", "BEAN", "-2", "--reason", "two bags torn")
    assert adj.returncode == 0 and "15 → 13" in adj.stdout and "audit" in adj.stdout
    assert on_hand(db, "BEAN") == 13
    assert entries(db, "BEAN") == [("received", 12), ("received", 3), ("adjusted", -2)]
    low = sc(home, db, "stock", "low")
    assert "BEAN" not in low.stdout and "TEA" in low.stdout
    hist = sc(home, db, "--lang", "zh_CN", "stock", "history", "BEAN")
    assert hist.returncode == 0
    lines = hist.stdout.splitlines()
    assert "调整" in lines[1] and "two bags torn" in lines[1] and "入库" in lines[3] and "云南豆仓" in lines[3]
    with db.session(write=False) as s:
        assert s.execute(select(Product.cost).where(Product.sku == "BEAN")).scalar() == 3150   # --keep-cost


@pytest.mark.parametrize("args, said", [
    (("receive", "BEAN", "1.5"), "is not a whole number"),
    (("receive", "BEAN", "0"), "is not from 1 to 100000"),
    (("receive", "BEAN", "5000000"), "is not from 1 to 100000"),
    (("receive", "BEAN", "2", "--cost", "abc"), "is not an amount"),
    (("receive", "MUG", "2"), "does not track stock"),
    (("receive", "NOPE", "2"), "Unknown barcode or SKU"),
    (("adjust", "BEAN", "-1", "--reason", " "), "A reason is required"),
    (("adjust", "BEAN", "-1", "--reason", "lost"), "would leave less than nothing"),
])
def test_bad_input_is_a_sentence_with_exit_2_and_changes_nothing(home, db, shop, args, said):
    proc = sc(home, db, "stock", *args)
    assert proc.returncode == 2 and said in proc.stderr, proc.stderr
    assert entries(db) == []


def test_adjust_without_reason_is_a_usage_error(home, db, shop):
    proc = sc(home, db, "stock", "adjust", "BEAN", "3")
    assert proc.returncode == 2 and "--reason" in proc.stderr
    assert entries(db) == []


def test_count_from_csv_shows_differences_dry_run_then_posts(home, db, shop, tmp_path):
    sc(home, db, "stock", "receive", "BEAN", "10")
    sc(home, db, "stock", "receive", "TEA", "4")
    f = tmp_path / "count.csv"
    f.write_text("货号,实盘数量,备注\n6923000000017,7,shelf\nTEA,4,\n", encoding="utf-8")
    dry = sc(home, db, "stock", "count", str(f), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "-3" in dry.stdout and "Dry run" in dry.stdout and on_hand(db, "BEAN") == 10
    done = sc(home, db, "--lang", "zh_TW", "stock", "count", str(f), "--ref", "Dec")
    assert done.returncode == 0, done.stderr
    assert "Dec" in done.stdout and "盤點" in done.stdout
    assert on_hand(db, "BEAN") == 7 and on_hand(db, "TEA") == 4
    assert entries(db, "BEAN")[-1] == ("counted", -3) and entries(db, "TEA") == [("received", 4)]
    assert stock_faults(db) == []


def test_count_from_xlsx_with_english_headers(home, db, shop, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["SKU", "Counted"])
    wb.active.append(["bean", 5])
    wb.active.append(["TEA", 1])
    f = tmp_path / "count.xlsx"
    wb.save(f)
    proc = sc(home, db, "stock", "count", str(f))
    assert proc.returncode == 0, proc.stderr
    assert on_hand(db, "BEAN") == 5 and on_hand(db, "TEA") == 1


def test_a_bad_count_file_names_every_bad_row_and_posts_nothing(home, db, shop, tmp_path):
    sc(home, db, "stock", "receive", "BEAN", "10")
    with db.session() as s:
        s.execute(Product.__table__.update().where(Product.sku == "TEA").values(active=False))
    f = tmp_path / "count.csv"
    f.write_text("sku,counted\nBEAN,8\nTEA,1\nMUG,2\nNOPE,1\nBEAN,-1\n6923000000017,x\n,3\n", encoding="utf-8")
    proc = sc(home, db, "stock", "count", str(f))
    assert proc.returncode == 2
    err = proc.stderr
    assert "6 bad rows; nothing was counted" in err
    assert "row 3:" in err and "inactive" in err
    assert "row 4:" in err and "does not track stock" in err
    assert "row 5:" in err and "NOPE" in err
    assert "row 6:" in err and "-1" in err
    assert "row 7:" in err and "'x'" in err
    assert "row 8:" in err
    assert on_hand(db, "BEAN") == 10 and entries(db) == [("received", 10)]
    twice = tmp_path / "twice.csv"
    twice.write_text("sku,counted\nBEAN,8\n6923000000017,8\n", encoding="utf-8")
    proc = sc(home, db, "stock", "count", str(twice))
    assert proc.returncode == 2 and "row 3:" in proc.stderr and "counted twice" in proc.stderr
    missing = sc(home, db, "stock", "count", str(tmp_path / "none.csv"))
    assert missing.returncode == 2 and "No such file" in missing.stderr
    cols = tmp_path / "cols.csv"
    cols.write_text("name,qty\nBEAN,1\n", encoding="utf-8")
    proc = sc(home, db, "stock", "count", str(cols))
    assert proc.returncode == 2 and "missing column" in proc.stderr
    assert entries(db) == [("received", 10)]


def test_low_says_what_to_do_when_nothing_tracks_stock(home, db, ctx):
    catalog.add_product(ctx, sku="MUG", name="Mug", price=4500)
    proc = sc(home, db, "stock", "low")
    assert proc.returncode == 0 and "Track stock" in proc.stdout
    zh = sc(home, db, "--lang", "zh_CN", "stock", "low")
    assert "跟踪库存" in zh.stdout


def test_stock_help_is_translated(home):
    en = run(home, "stock", "--help")
    assert en.returncode == 0 and "receive" in en.stdout and "history" in en.stdout
    zh = run(home, "--lang", "zh_CN", "stock", "count", "--help")
    assert zh.returncode == 0 and "实盘数量" in zh.stdout and "盘点" in zh.stdout and "--dry-run" in zh.stdout
    tw = run(home, "--lang", "zh_TW", "stock", "receive", "--help")
    assert "進貨" in tw.stdout
    top = run(home, "--help")
    assert "stock receive SKU QTY" in " ".join(top.stdout.split())
