"""The catalogue in and out of real files (CSV in three encodings, XLSX), on the ``db`` fixture's
database: SQLite, or PostgreSQL with SHOPCARE_TEST_PG."""
from __future__ import annotations

import csv
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.errors import ImportFailed, PermissionDenied
from app.models import AuditLog, Category, MemberPrice, Product, ProductBarcode, StockEntry, Tier
from app.services.admin.import_products import export_products, import_products
from app.services.admin.integrity import run_check
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.sales import catalog, products
from tests.shop import confirmed, race
from tests.test_import_lock import _under_the_lock


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx(tmp_path, name: str, rows: list[list], sheets: dict[str, list[list]] | None = None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for r in rows:
        ws.append(r)
    for title, more in (sheets or {}).items():
        other = wb.create_sheet(title)
        for r in more:
            other.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def product(ctx, code: str):
    with ctx.tx(write=False) as t:
        return catalog.view(catalog.lookup(t, code), tuple(catalog.barcodes_of(t, [catalog.lookup(t, code).id])
                                                            .get(catalog.lookup(t, code).id, ())))


def member_prices(ctx, sku: str) -> dict[str, int]:
    with ctx.tx(write=False) as t:
        return dict(t.s.execute(select(Tier.code, MemberPrice.price).join(Tier, Tier.id == MemberPrice.tier_id)
                                .join(Product, Product.id == MemberPrice.product_id).where(Product.sku == sku)).all())


def count(ctx, model) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(model)).scalar()


def faults(exc: ImportFailed) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.code) for e in exc.params["rows"]}


def test_english_headers_as_shops_write_them(ctx, tmp_path):
    products.add_category(ctx, "Coffee")
    path = write(tmp_path, "list.csv",
                 "Name,SKU,Barcode,Price,Member Price,Category,Cost,Stock,Unit,Reorder level,Points price\n"
                 "Latte,L01,\"6901,6902/6903\",¥28.00,25,Coffee,10.5,12,cup,3,280\n"
                 "Beans 1kg,B01,6904 6905,\"1,280.50\",,Coffee,,,bag,,\n")
    result = import_products(ctx, path)
    assert (result.added, result.updated, result.skipped, result.errors, result.opening_stock) == (2, 0, 0, (), 12)
    latte = product(ctx, "6902")
    assert (latte.sku, latte.name, latte.barcodes, latte.price, latte.category, latte.cost, latte.unit,
            latte.reorder_level, latte.points_price, latte.track_stock, latte.on_hand) == (
        "L01", "Latte", ("6901", "6902", "6903"), 2800, "Coffee", 1050, "cup", 3, 280, True, 12)
    assert member_prices(ctx, "L01") == {"ordinary": 2500, "silver": 2500, "gold": 2500}
    beans = product(ctx, "b01")
    assert (beans.price, beans.barcodes, beans.track_stock, beans.cost) == (128050, ("6904", "6905"), False, None)
    assert [p.sku for p in catalog.search(ctx, "latte")] == ["L01"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_chinese_headers_in_each_encoding(ctx, tmp_path, encoding):
    text = ("商品名称,货号,条码,条码2,售价,会员价(金卡会员),银卡价,分类,进价,库存,单位,库存下限,兑换积分\n"
            "西湖龙井,T01,6901234567890,6901234567891,￥128.00,100,110,茶叶,80,5,盒,2,\n"
            "拿铁,C01,6909,,28,,,饮料,,0,杯,,\n")
    path = write(tmp_path, f"商品-{encoding}.csv", text, encoding)
    result = import_products(ctx, path, add_categories=True)
    assert (result.added, result.new_categories, result.opening_stock) == (2, ("茶叶", "饮料"), 5)
    tea = product(ctx, "6901234567891")
    assert (tea.name, tea.price, tea.category, tea.cost, tea.unit, tea.reorder_level, tea.on_hand) == (
        "西湖龙井", 12800, "茶叶", 8000, "盒", 2, 5)
    assert member_prices(ctx, "T01") == {"gold": 10000, "silver": 11000}
    latte = product(ctx, "C01")
    assert (latte.track_stock, latte.on_hand) == (True, 0)   # stock 0: tracked, nothing to post
    assert [p.sku for p in catalog.search(ctx, "lj")] == ["T01"]
    with ctx.tx(write=False) as t:
        entries = t.s.execute(select(StockEntry.kind, StockEntry.qty)).all()
    assert entries == [("opening", 5)]
    assert run_check(ctx).faults == ()


def test_xlsx_first_sheet_or_the_one_named(ctx, tmp_path):
    path = xlsx(tmp_path, "goods.xlsx", [["说明"], []],
                {"商品": [["品名", "编码", "条形码", "零售价", "类别", "库存"],
                          ["可乐", "K1", 6901939621257, 3.5, "", 24],
                          ["雪碧", "K2", 6901939621264, 3, "", None]]})
    with pytest.raises(ImportFailed) as no_name:
        import_products(ctx, path)                 # the first sheet has no 品名 column
    assert no_name.value.code == "import_columns"
    with pytest.raises(ImportFailed) as missing:
        import_products(ctx, path, sheet="价目表")
    assert missing.value.code == "import_sheet_missing" and "商品" in str(missing.value)
    result = import_products(ctx, path, sheet="商品")
    assert (result.added, result.opening_stock) == (2, 24)
    cola = product(ctx, "6901939621257")
    assert (cola.sku, cola.price, cola.on_hand) == ("K1", 350, 24)
    assert product(ctx, "K2").price == 300


def test_every_bad_row_is_listed_and_nothing_is_written(ctx, tmp_path):
    products.add_category(ctx, "饮料")
    catalog.add_product(ctx, sku="OLD", name="老产品", price=100, barcode="6900")
    before = (count(ctx, Product), count(ctx, ProductBarcode), count(ctx, MemberPrice))
    path = write(tmp_path, "bad.csv", "name,sku,barcode,price,会员价,category,stock\n"
                                      ",A1,,10,,饮料,\n"            # 2 empty name
                                      "Neg,A2,,-5,,饮料,\n"         # 3 negative price
                                      "Huge,A3,,999999999,,饮料,\n"  # 4 absurd price
                                      "Fine,A4,,1.234,,饮料,\n"     # 5 more decimals than CNY has
                                      "Dear,A5,,10,12,饮料,\n"      # 6 member price above the price
                                      "Cat,A6,,10,,零食,\n"         # 7 unknown category
                                      "Half,A7,,10,,饮料,1.5\n"     # 8 stock not whole
                                      "Twin,A8,,10,,饮料,\n"        # 9 SKU twice in the file (with 10)
                                      "Twin2,A8,,10,,饮料,\n"       # 10
                                      "Code,A9,777,10,,饮料,\n"     # 11 barcode twice (with 12)
                                      "Code2,A10,777,10,,饮料,\n"   # 12
                                      "Clash,OLD,,10,,饮料,\n"      # 13 SKU already a product
                                      "Scan,A11,6900,10,,饮料,\n"   # 14 barcode already a product's
                                      "Good,A12,,10,,饮料,\n")      # 15 the only good row
    with pytest.raises(ImportFailed) as failed:
        import_products(ctx, path)
    assert failed.value.code == "import_rows" and failed.value.params["count"] == 13
    assert faults(failed.value) == {
        (2, "name", "product_name_empty"), (3, "price", "amount_negative"), (4, "price", "amount_absurd"),
        (5, "price", "amount_too_precise"), (6, "会员价", "member_price_above"), (7, "category", "category_unknown"),
        (8, "stock", "import_whole_number"), (9, "sku", "import_sku_repeated"), (10, "sku", "import_sku_repeated"),
        (11, "barcode", "import_barcode_repeated"), (12, "barcode", "import_barcode_repeated"),
        (13, "sku", "import_product_exists"), (14, "barcode", "import_product_exists")}
    by_row = {e.row: e for e in failed.value.params["rows"]}
    assert "row 10" in by_row[9].text("en") and "row 9" in by_row[10].text("en")
    assert "'-5'" in by_row[3].text("en") or "-5" in by_row[3].text("en")
    assert "零食" in by_row[7].text("en") and "1.5" in by_row[8].text("en")
    assert "老产品" in by_row[13].text("en")
    assert "第" not in by_row[2].text("en") and by_row[7].text("zh_CN") != by_row[7].text("en")
    assert (count(ctx, Product), count(ctx, ProductBarcode), count(ctx, MemberPrice)) == before
    # --skip-bad: the good row goes in, every bad one is reported
    result = import_products(ctx, path, skip_bad=True)
    assert (result.added, result.skipped) == (1, 13)
    assert {e.row for e in result.errors} == set(range(2, 15))
    assert product(ctx, "A12").name == "Good"


def test_an_unknown_tier_column_refuses_the_file_before_any_row(ctx, tmp_path):
    for header in ("会员价(钻石卡)", "member price diamond", "钻石卡价"):
        path = write(tmp_path, "t.csv", f"name,sku,price,{header}\n,,x,1\n")
        with pytest.raises(ImportFailed) as failed:
            import_products(ctx, path)
        assert failed.value.code == "import_tier_column" and header in str(failed.value)
        assert "rows" not in failed.value.params
    # a tier named by code, English or Chinese name, with a unit in brackets for the general one
    path = write(tmp_path, "ok.csv", "name,sku,price,会员价(元),member price gold,銀卡會員價,批发价\nA,A,10,9,8,7,5\n")
    assert import_products(ctx, path).added == 1
    assert member_prices(ctx, "A") == {"ordinary": 900, "silver": 700, "gold": 800}


def test_update_changes_products_and_reports_each_change(ctx, tmp_path):
    products.add_category(ctx, "茶叶")
    import_products(ctx, write(tmp_path, "a.csv", "name,sku,barcode,price,category,stock\n"
                                                  "龙井,T1,6901,100,茶叶,5\n普洱,T2,6902,80,茶叶,\n"))
    path = write(tmp_path, "b.csv", "name,sku,barcode,price,member price gold,stock\n"
                                    "龙井 特级,T1,6901 6911,120,110,5\n"     # by SKU: name, barcodes, price, gold
                                    "普洱,,6902,80,,7\n"                    # by barcode: opening stock only
                                    "红茶,T3,6903,50,,\n")                  # new
    with pytest.raises(ImportFailed) as refused:
        import_products(ctx, path)
    assert {(r, c) for r, c, _ in faults(refused.value)} == {(2, "sku"), (3, "barcode")}
    result = import_products(ctx, path, update=True)
    assert (result.added, result.updated, result.unchanged, result.opening_stock) == (1, 2, 0, 7)
    assert [tuple(c) for c in result.changes] == [
        (2, "T1", "name", "龙井", "龙井 特级"), (2, "T1", "barcode", "6901", "6901 6911"),
        (2, "T1", "price", "100.00", "120.00"), (2, "T1", "member price gold", "", "110.00"),
        (3, "T2", "stock", "", "7")]
    assert (product(ctx, "6911").name, product(ctx, "T2").on_hand, product(ctx, "T1").on_hand) == ("龙井 特级", 7, 5)
    assert [p.sku for p in catalog.search(ctx, "tj")] == ["T1"]        # keys follow the new name
    # stock of a product with a stock record is not overwritten by an import
    again = write(tmp_path, "c.csv", "name,sku,price,stock\n龙井 特级,T1,120,9\n")
    with pytest.raises(ImportFailed) as stock:
        import_products(ctx, again, update=True)
    assert faults(stock.value) == {(2, "stock", "import_stock_existing")}
    assert run_check(ctx).faults == ()
    with ctx.tx(write=False) as t:
        row = t.s.execute(select(AuditLog).where(AuditLog.action == "import.products")
                          .order_by(AuditLog.id.desc())).scalars().first()
    assert '"updated": 2' in row.after and "b.csv" in row.after


def test_dry_run_reports_without_writing(ctx, tmp_path):
    path = write(tmp_path, "d.csv", "name,sku,price,category,stock\nA,A,1,新类,3\nB,B,x,,\n")
    result = import_products(ctx, path, dry_run=True, add_categories=True)
    assert (result.added, result.skipped, result.new_categories, result.opening_stock) == (1, 1, ("新类",), 3)
    assert [(e.row, e.column, e.code) for e in result.errors] == [(3, "price", "amount_invalid")]
    assert (count(ctx, Product), count(ctx, Category), count(ctx, StockEntry)) == (0, 0, 0)


def test_progress_is_reported(ctx, tmp_path):
    lines = ["name,sku,price"] + [f"P{i},S{i},{i + 1}" for i in range(12000)]
    seen: list[tuple[int, int]] = []
    result = import_products(ctx, write(tmp_path, "p.csv", "\n".join(lines) + "\n"), progress=lambda d, n: seen.append((d, n)))
    assert result.added == 12000
    assert seen[-1] == (12000, 12000) and len(seen) >= 3 and all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))


def test_the_write_transaction_does_not_grow_with_the_rows(ctx, tmp_path):
    products.add_category(ctx, "咖啡")
    lines = ["商品名称,货号,条码,售价,会员价,分类,库存"]
    lines += [f"咖啡{i},K{i},69{i:08d} 68{i:08d},{10 + i},{9 + i},咖啡,{i % 4}" for i in range(300)]
    result, statements = _under_the_lock(ctx, import_products, write(tmp_path, "k.csv", "\n".join(lines) + "\n"))
    assert result.added == 300 and result.opening_stock == sum(i % 4 for i in range(300))
    assert len(statements) < 40, statements[:50]
    assert run_check(ctx).faults == ()


@pytest.mark.parametrize("suffix,lang", [(".csv", "en"), (".xlsx", "zh_CN"), (".csv", "zh_TW")])
def test_export_reads_back_unchanged(ctx, tmp_path, suffix, lang):
    products.add_category(ctx, "饮料")
    import_products(ctx, write(tmp_path, "a.csv", "name,sku,barcode,price,member price silver,会员价(金卡会员),"
                                                  "category,cost,stock,unit,reorder level,points price\n"
                                                  "拿铁,L1,6901 6902,28,26,25.5,饮料,9.9,4,杯,2,300\n"
                                                  "=HYPERLINK(\"http://x\"),-2,,0.5,,,,,,,,\n"
                                                  "+Tea,@3,6903,1280.5,,,饮料,,0,,,\n"))
    products.set_active(ctx, product(ctx, "@3").id, False)
    out = tmp_path / f"catalogue{suffix}"
    result = export_products(ctx, out, lang=lang)
    assert (result.rows, result.path) == (3, out)
    assert export_products(ctx, tmp_path / f"on-sale{suffix}", active_only=True).rows == 2
    again = import_products(ctx, out, update=True)
    assert (again.added, again.updated, again.unchanged, again.changes, again.errors) == (0, 0, 3, (), ())
    if suffix == ".csv":
        text = out.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(text.splitlines()))
        assert rows[1][1] == "拿铁" and rows[2][1] == "'=HYPERLINK(\"http://x\")" and rows[3][1] == "'+Tea"
        assert rows[3][0] == "'@3" and rows[2][0] == "-2"
        assert {"en": "Name", "zh_TW": "商品名稱"}[lang] == rows[0][1]
    else:
        ws = openpyxl.load_workbook(out).active
        assert [c.value for c in ws[1]][:6] == ["货号", "商品名称", "条码", "分类", "单位", "售价"]
        cell = ws.cell(row=3, column=2)
        assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://x\")", "s")
        assert "会员价(金卡会员)" in [c.value for c in ws[1]]
    with ctx.tx(write=False) as t:
        audit = t.s.execute(select(AuditLog).where(AuditLog.action == "products.export")).scalars().first()
    assert audit is not None and out.name in audit.after and (out.stat().st_mode & 0o777) == 0o600


def test_export_is_the_owners_and_import_a_managers(ctx, unconfirmed_ctx, cashier_ctx, tmp_path):
    manager = ctx.as_actor(Actor(None, "manager", "manager"))
    for who in (manager, cashier_ctx, unconfirmed_ctx):
        with pytest.raises(PermissionDenied):
            export_products(who, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    path = write(tmp_path, "m.csv", "name,sku,price\nA,A,1\n")
    with pytest.raises(PermissionDenied):
        import_products(cashier_ctx, path)
    assert import_products(manager, path).added == 1


def _import_in_process(url: str, folder: str, till: str, start, q) -> None:
    db = Database(url)
    ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till=till,
                        clock=FixedClock(datetime(2026, 3, 2, 12))))
    start.wait()
    try:
        r = import_products(ctx, f"{folder}/f{till[-1]}.csv", add_categories=True)
        q.put((till, r.added, r.new_categories))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        q.put((till, "error", repr(exc)))
    finally:
        db.dispose()


def test_two_processes_import_different_files_at_once(db, ctx, tmp_path):
    """Each file brings 400 products and the same new category: one import waits for the other,
    then is checked against it (the category is added once, no SKU is generated twice)."""
    for n in (1, 2):
        lines = ["name,sku,barcode,price,category,stock"]
        lines += [f"商品{n}-{i},{'' if i % 2 else f'F{n}-{i}'},{n}{i:07d},{i + 1},新品,{i % 3}" for i in range(400)]
        write(tmp_path, f"f{n}.csv", "\n".join(lines) + "\n")
    results = race(_import_in_process, (db.url, str(tmp_path)), ["T1", "T2"])
    assert sorted(r[1] for r in results) == [400, 400], results
    assert sorted(r[2] for r in results) == [(), ("新品",)]
    assert count(ctx, Product) == 800 and count(ctx, Category) == 1
    with ctx.tx(write=False) as t:
        generated = t.s.execute(select(func.count()).where(Product.sku.like("P%"))).scalar()
    assert generated == 400 and run_check(ctx).faults == ()
