"""The Products tab, offscreen, on the real services (SQLite, or PostgreSQL with SHOPCARE_TEST_PG):
the empty shop, search as you type, the lazy list at 100,000 products, the product editor with
inline errors, deactivate and delete, the categories dialog, cashiers read-only."""
from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from app.services.base import settings  # noqa: E402
from app.services.base.context import Actor  # noqa: E402
from app.services.sales import catalog, products  # noqa: E402
from app.services.sales.checkout import Cart, CartLine, Tender, checkout  # noqa: E402
from app.services.sales.products import ProductInput  # noqa: E402
from app.ui.products.products_tab import ProductsTab  # noqa: E402
from app.ui.state import AppState  # noqa: E402
# the Members screen's tests' English app state, and typing Chinese as an input method does
from tests.test_members_ui import commit_text, english, state  # noqa: E402,F401


def settle(qtbot, state, rounds: int = 3) -> None:
    for _ in range(rounds):
        state.tasks.wait()
        qtbot.wait(20)


def coffee_shop(ctx) -> None:
    products.add_category(ctx, "咖啡")
    products.add_category(ctx, "茶")
    products.create(ctx, ProductInput(sku="LT01", name="拿铁", price=2800, category="咖啡", unit="杯",
                                      barcodes=("6901000000017",), member_prices={"gold": 2500, "silver": 2600}))
    products.create(ctx, ProductInput(sku="MK01", name="摩卡", price=3000, category="咖啡", no_member_price=True))
    products.create(ctx, ProductInput(sku="LJ01", name="西湖龙井", price=6800, category="茶", track_stock=True,
                                      reorder_level=5))


def tab_for(qtbot, state) -> ProductsTab:
    tab = ProductsTab(state)
    qtbot.addWidget(tab)
    tab.resize(1100, 600)
    tab.show()
    settle(qtbot, state)
    return tab


def open_editor(qtbot, state, tab, product_id=None):
    tab.open_editor(product_id)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5000)
    editor = tab.dialog
    settle(qtbot, state)
    return editor


def checked(qtbot, state, editor) -> None:
    """Let the debounced check run and its answer arrive."""
    qtbot.waitUntil(lambda: not editor._timer.isActive(), timeout=3000)
    settle(qtbot, state)
    qtbot.waitUntil(lambda: editor.checked, timeout=3000)


# --- the list -------------------------------------------------------------------------------------
def test_a_new_shop_says_what_to_do_with_the_two_buttons(qtbot, ctx, state):
    tab = tab_for(qtbot, state)
    assert tab.stack.currentIndex() == 1
    assert "No products yet" in tab.empty_text.text() and "商品名称" in tab.empty_text.text()
    assert tab.empty_new.isVisible() and tab.empty_import.isVisible()
    qtbot.mouseClick(tab.empty_new, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.dialog is not None, timeout=5000)
    assert tab.dialog.windowTitle() == "New product"
    tab.dialog.reject()


def test_typing_nt_finds_the_latte_and_the_columns_say_it_all(qtbot, ctx, state):
    coffee_shop(ctx)
    tab = tab_for(qtbot, state)
    assert tab.stack.currentIndex() == 0
    assert tab.model.rowCount() == 3 and tab.count_label.text() == "3 products"
    qtbot.keyClicks(tab.search, "nt")
    qtbot.waitUntil(lambda: tab.model.query == "nt", timeout=3000)
    settle(qtbot, state)
    assert [r.product.name for r in tab.model.rows] == ["拿铁"]
    assert tab.count_label.text() == "1 found"
    m = tab.model
    cells = {key: m.data(m.index(0, i)) for i, (key, _h) in enumerate(m.COLUMNS)}
    assert cells["sku"] == "LT01" and cells["barcodes"] == "6901000000017" and cells["category"] == "咖啡"
    assert cells["member"] == f"Silver {state.money(2600)} · Gold {state.money(2500)}"
    assert cells["stock"] == "—" and cells["status"] == "On sale"
    tab.search.setText("mk")
    tab.run_search()
    settle(qtbot, state)
    assert m.data(m.index(0, 5)) == "No member discount"
    tab.search.setText("lj")
    tab.run_search()
    settle(qtbot, state)
    # 0 on hand with a reorder level of 5: highlighted
    assert m.data(m.index(0, 6)) == "0" and m.data(m.index(0, 6), Qt.ItemDataRole.BackgroundRole) is not None


def test_an_older_searchs_answer_is_dropped(qtbot, ctx, state, monkeypatch):
    from app.services.sales import product_list

    coffee_shop(ctx)
    real = product_list.page

    def slow_for_nt(ctx_, query, **kw):
        if query == "nt":
            time.sleep(0.3)
        return real(ctx_, query, **kw)

    monkeypatch.setattr(product_list, "page", slow_for_nt)
    tab = tab_for(qtbot, state)
    loaded = []
    tab.model.loaded.connect(lambda n, _e: loaded.append(n))
    tab.model.set_query("nt")
    time.sleep(0.05)                 # the "nt" search is running on the worker now
    tab.model.set_query("lj")
    settle(qtbot, state)
    assert [r.product.sku for r in tab.model.rows] == ["LJ01"] and loaded == [1]


def test_a_manager_edits_but_does_not_export(qtbot, ctx, state):
    state.set_actor(Actor(None, "manager", "manager"))
    tab = tab_for(qtbot, state)
    assert tab.new_button.isVisible() and tab.import_button.isVisible() and not tab.export_button.isVisible()


def test_a_cashier_sees_the_list_read_only(qtbot, ctx, state):
    coffee_shop(ctx)
    state.set_actor(Actor(None, "cashier", "cashier"))
    tab = tab_for(qtbot, state)
    assert tab.model.rowCount() == 3
    for b in (tab.new_button, tab.edit_button, tab.import_button, tab.export_button, tab.delete_button):
        assert not b.isVisible()
    tab.table.setCurrentIndex(tab.model.index(0, 0))
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    settle(qtbot, state)
    assert tab.dialog is None


# --- the editor -----------------------------------------------------------------------------------
def test_create_with_every_field(qtbot, ctx, state):
    products.add_category(ctx, "服务")
    products.create(ctx, ProductInput(sku="CUT", name="剪发", price=5000, kind="service", category="服务"))
    products.add_category(ctx, "咖啡")
    tab = tab_for(qtbot, state)
    e = open_editor(qtbot, state, tab)
    assert not e.save_button.isEnabled()
    commit_text(e.name, "十次剪发卡")
    qtbot.keyClicks(e.sku, "CUT10")
    for code in ("6901000000017", "6901000000024"):
        qtbot.keyClicks(e.barcodes.input, code)
        qtbot.keyClick(e.barcodes.input, Qt.Key.Key_Return)    # a scanner's Enter adds it, not Save
    assert e.barcodes.codes() == ("6901000000017", "6901000000024") and e.isVisible()
    e.category.setCurrentIndex(e.category.findData("服务"))
    e.kind.setCurrentIndex(e.kind.findData("count_card"))
    assert e.card_uses.isVisible()
    qtbot.keyClicks(e.card_uses, "10")
    qtbot.keyClicks(e.card_days, "365")
    e.card_service.setCurrentIndex(e.card_service.findData("CUT"))
    e.unit.setCurrentText("次")
    qtbot.keyClicks(e.price, "400")
    qtbot.keyClicks(e.cost, "120.50")
    qtbot.keyClicks(e.tier_prices["gold"], "360")
    qtbot.keyClicks(e.tier_prices["silver"], "380")
    e.points.setChecked(False)
    qtbot.keyClicks(e.points_price, "40000")
    e.track.setChecked(True)
    qtbot.keyClicks(e.reorder, "3")
    e.favourite.setChecked(True)
    e.colour.setCurrentIndex(e.colour.findData("#1E88E5"))
    checked(qtbot, state, e)
    assert e.errors == {} and e.save_button.isEnabled()
    qtbot.mouseClick(e.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert e.result_view is not None
    v = products.detail(ctx, e.result_view.id)
    p = v.product
    assert (p.name, p.sku, p.barcodes, p.category, p.kind, p.card_uses, p.card_valid_days, p.unit) == \
        ("十次剪发卡", "CUT10", ("6901000000017", "6901000000024"), "服务", "count_card", 10, 365, "次")
    assert (p.price, p.cost, p.points_eligible, p.discount_eligible, p.points_price) == (40000, 12050, False, True, 40000)
    assert (p.track_stock, p.reorder_level, p.favourite, p.colour) == (True, 3, True, "#1E88E5")
    assert v.member_prices == {"gold": 36000, "silver": 38000}
    assert "Saved 十次剪发卡" in tab.status.text()


def test_an_inline_error_shows_beside_its_field_and_nothing_moves(qtbot, ctx, state):
    coffee_shop(ctx)
    tab = tab_for(qtbot, state)
    e = open_editor(qtbot, state, tab)
    commit_text(e.name, "美式")
    qtbot.keyClicks(e.sku, "AM01")
    qtbot.keyClicks(e.price, "20")
    checked(qtbot, state, e)
    assert e.save_button.isEnabled()
    below = {w: w.geometry() for w in (e.cost, e.unit, e.tier_prices["gold"], e.slots["cost"])}
    price_at = e.price.geometry()
    qtbot.keyClicks(e.price, ".505")              # 20.505: more decimals than yuan have
    checked(qtbot, state, e)
    slot = e.slots["price"]
    assert "more than 2 decimal places" in slot.full and slot.isVisible() and slot.text()
    assert slot.geometry().left() >= price_at.right() and abs(slot.geometry().center().y() - price_at.center().y()) < 20
    assert not e.save_button.isEnabled()
    assert {w: w.geometry() for w in below} == below and e.price.geometry() == price_at
    # a SKU another product has: beside the SKU, from the service's own rule
    e.price.setText("20")
    e.sku.setText("LT01")
    checked(qtbot, state, e)
    assert "LT01" in e.slots["sku"].full and e.slots["price"].full == ""
    assert {w: w.geometry() for w in below} == below
    e.reject()
    assert catalog.count(ctx, "", active_only=False) == 3       # Cancel wrote nothing


def test_a_member_price_above_the_price_is_refused(qtbot, ctx, state):
    tab = tab_for(qtbot, state)
    e = open_editor(qtbot, state, tab)
    commit_text(e.name, "拿铁")
    qtbot.keyClicks(e.sku, "LT01")
    qtbot.keyClicks(e.price, "28")
    qtbot.keyClicks(e.tier_prices["gold"], "30")
    checked(qtbot, state, e)
    assert e.slots["member_prices:gold"].full == "The member price for tier 'Gold' is above the price"
    assert not e.save_button.isEnabled()
    e.save()
    settle(qtbot, state)
    assert catalog.count(ctx, "", active_only=False) == 0
    e.no_member.setChecked(True)                  # no member discount: the tier prices do not count
    checked(qtbot, state, e)
    assert not e.tier_prices["gold"].isEnabled() and e.errors == {} and e.save_button.isEnabled()


def test_edit_a_product(qtbot, ctx, state):
    coffee_shop(ctx)
    tab = tab_for(qtbot, state)
    latte = next(r for r in tab.model.rows if r.product.sku == "LT01")
    tab.table.setCurrentIndex(tab.model.index(tab.model.row_of(latte.id), 0))
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=5000)
    e = tab.dialog
    settle(qtbot, state)
    assert (e.name.text(), e.price.text(), e.tier_prices["gold"].text()) == ("拿铁", "28.00", "25.00")
    assert e.barcodes.codes() == ("6901000000017",)
    e.price.setText("29.50")
    e.tier_prices["silver"].clear()
    checked(qtbot, state, e)
    e.save()
    settle(qtbot, state)
    det = products.detail(ctx, latte.id)
    assert det.product.price == 2950 and det.member_prices == {"gold": 2500}
    settle(qtbot, state)
    assert tab.model.rows[tab.model.row_of(latte.id)].product.price == 2950


# --- off sale, delete -----------------------------------------------------------------------------
def _select(qtbot, state, tab, sku):
    row = next(i for i, r in enumerate(tab.model.rows) if r.product.sku == sku)
    tab.table.setCurrentIndex(tab.model.index(row, 0))
    qtbot.waitUntil(lambda: tab._selected is not None and tab._selected[0] == tab.model.rows[row].id, timeout=3000)
    return tab.model.rows[row].id


def test_take_off_sale_and_back(qtbot, ctx, state):
    coffee_shop(ctx)
    tab = tab_for(qtbot, state)
    pid = _select(qtbot, state, tab, "MK01")
    assert tab.active_button.text() == "Take off sale"
    qtbot.mouseClick(tab.active_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert not products.detail(ctx, pid).product.active
    assert "MK01" not in [r.product.sku for r in tab.model.rows] and tab.count_label.text() == "2 products"
    tab.show_off.setChecked(True)
    settle(qtbot, state)
    assert tab.model.rowCount() == 3
    assert tab.model.data(tab.model.index(tab.model.row_of(pid), 7)) == "Off sale"
    _select(qtbot, state, tab, "MK01")
    assert tab.active_button.text() == "Put back on sale"
    qtbot.mouseClick(tab.active_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert products.detail(ctx, pid).product.active


def test_delete_only_a_product_without_history(qtbot, ctx, state):
    coffee_shop(ctx)
    checkout(ctx, Cart((CartLine("LT01"),)), [Tender("cash", 2800)])
    tab = tab_for(qtbot, state)
    _select(qtbot, state, tab, "LT01")
    assert not tab.delete_button.isEnabled()          # it sold: off sale only
    pid = _select(qtbot, state, tab, "MK01")
    assert tab.delete_button.isEnabled()
    qtbot.mouseClick(tab.delete_button, Qt.MouseButton.LeftButton)
    box = tab.confirm_box
    assert box is not None and "MK01" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert catalog.count(ctx, "", active_only=False) == 2
    assert pid not in [r.id for r in tab.model.rows] and "Deleted 摩卡" in tab.status.text()


# --- categories -----------------------------------------------------------------------------------
def test_categories_dialog_adds_renames_sets_rules_and_removes_unused(qtbot, ctx, state):
    coffee_shop(ctx)
    tab = tab_for(qtbot, state)
    d = tab.open_categories()
    settle(qtbot, state)
    assert [c.name for c in d.rows] == ["咖啡", "茶"]
    commit_text(d.name, "甜点")
    d.discount.setChecked(False)
    qtbot.mouseClick(d.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    added = next(c for c in products.categories(ctx) if c.name == "甜点")
    assert not added.discount_eligible and added.points_eligible
    # rename 茶 (its product follows)
    d.select("茶")
    d.name.setText("茶叶")
    d.points.setChecked(False)
    qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert products.detail(ctx, catalog.search(ctx, "lj")[0].id).product.category == "茶叶"
    tea = next(c for c in products.categories(ctx) if c.name == "茶叶")
    assert not tea.points_eligible
    d.select("茶叶")
    assert not d.remove_button.isEnabled()             # still used by 西湖龙井
    d.select("甜点")
    assert d.remove_button.isEnabled()
    d.remove(confirm=False)
    settle(qtbot, state)
    assert [c.name for c in products.categories(ctx)] == ["咖啡", "茶叶"]
    d.name.setText("咖啡")
    d.table.clearSelection()
    d.add()
    settle(qtbot, state)
    assert "already exists" in d.status.text()


def test_the_editor_takes_a_category_added_meanwhile_with_its_rules(qtbot, ctx, state):
    tab = tab_for(qtbot, state)
    e = open_editor(qtbot, state, tab)
    d = e.open_categories()
    settle(qtbot, state)
    d.name.setText("面包")
    d.points.setChecked(False)
    d.add()
    settle(qtbot, state)
    assert e.category.findData("面包") >= 0 and e.points.isChecked()
    e.category.setCurrentIndex(e.category.findData("面包"))
    assert not e.points.isChecked() and e.discount.isChecked()     # the category's rules, to start from


# --- 100,000 products -----------------------------------------------------------------------------
BIG = 100_000
BASES = [("拿铁", "咖啡"), ("美式咖啡", "咖啡"), ("摩卡", "咖啡"), ("西湖龙井", "茶"), ("碧螺春", "茶"),
         ("乌龙茶", "茶"), ("牛角包", "面包"), ("全麦吐司", "面包"), ("芝士蛋糕", "甜点"), ("马卡龙", "甜点")]
SIZES = ["小杯", "中杯", "大杯", "礼盒", "家庭装", "试用装", "经典", "低糖", "冰", "热"]


def bulk_products(db, n: int) -> None:
    """n products with their barcodes and search keys (what catalog.write_keys stores), written with
    Core bulk inserts (PostgreSQL: COPY) in a few seconds."""
    from sqlalchemy import insert

    from app.models import Category
    from app.services.sales.search_keys import normalise, product_keys

    keys_of: dict[tuple[str, str], set[str]] = {}
    prods, codes, keys = [], [], []
    for i in range(1, n + 1):
        base, cat = BASES[i % len(BASES)]
        name = f"{base}{SIZES[(i // len(BASES)) % len(SIZES)]}"
        sku, code = f"P{i:06d}", f"69{i:011d}"
        prods.append(dict(id=i, sku=sku, name=name, category=cat, price=1000 + i % 5000, kind="goods",
                          points_eligible=True, discount_eligible=True, active=True, unit="", no_member_price=False,
                          track_stock=False, on_hand=0, favourite=False, colour=""))
        codes.append(dict(product_id=i, barcode=code))
        if (name, cat) not in keys_of:
            keys_of[(name, cat)] = product_keys(name, "", (), cat)
        for k in keys_of[(name, cat)] | {normalise(sku), code}:
            keys.append(dict(product_id=i, key=k))
    keys.sort(key=lambda r: r["key"])    # in index order: two million keys go in several times faster
    with db.engine.begin() as c:
        c.execute(insert(Category), [dict(name=cat, sort=i) for i, cat in enumerate(sorted({b[1] for b in BASES}))])
        if db.engine.dialect.name == "postgresql":
            raw = c.connection.driver_connection
            with raw.cursor() as cur:
                for table, cols, rows in (("products", list(prods[0]), prods),
                                          ("product_barcodes", ["product_id", "barcode"], codes),
                                          ("product_search_keys", ["product_id", "key"], keys)):
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row([r[col] for col in cols])
                cur.execute("SELECT setval(pg_get_serial_sequence('products', 'id'), %s)", (n,))
        else:   # the driver's own executemany: SQLAlchemy's per-row work would take most of a minute
            raw = c.connection.driver_connection
            for table, cols, rows in (("products", list(prods[0]), prods),
                                      ("product_barcodes", ["product_id", "barcode"], codes),
                                      ("product_search_keys", ["product_id", "key"], keys)):
                raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                [tuple(r[col] for col in cols) for r in rows])


@pytest.mark.slow
def test_100000_products_the_list_reads_a_page_or_two(qtbot, ctx, db, state):
    bulk_products(db, BIG)
    tab = tab_for(qtbot, state)
    m = tab.model
    qtbot.waitUntil(lambda: m.rowCount() == m.page_size, timeout=30_000)
    assert tab.count_label.text() == "100,000 products"
    assert (m.fetched, m.pages_loaded) == (m.page_size, 1)
    # scrolling to the end asks for exactly one more page
    tab.table.scrollToBottom()
    qtbot.waitUntil(lambda: m.pages_loaded == 2, timeout=30_000)
    settle(qtbot, state)
    assert m.fetched == 2 * m.page_size and m.rowCount() == 2 * m.page_size
    for typed, word in (("nt", "拿铁"), ("xhlj", "西湖龙井"), ("6900000012345", "")):
        tab.search.clear()
        qtbot.keyClicks(tab.search, typed)
        qtbot.waitUntil(lambda t=typed: m.query == t and m.pages_loaded >= 1, timeout=30_000)
        settle(qtbot, state)
        assert m.rowCount() > 0, typed
        assert all(word in r.product.name for r in m.rows), typed
        assert m.fetched <= 2 * m.page_size and m.pages_loaded <= 2, (typed, m.fetched)
    assert [r.product.sku for r in m.rows] == ["P012345"]


# --- import and export ----------------------------------------------------------------------------
def price_list(path, rows) -> str:
    """A real Excel price list with the headers a Chinese shop writes."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["商品名称", "货号", "条码", "售价", "会员价", "分类", "库存"])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return str(path)


def test_import_an_excel_price_list_preview_then_import(qtbot, ctx, state, tmp_path):
    products.add_category(ctx, "咖啡")
    path = price_list(tmp_path / "价目表.xlsx", [
        ("拿铁", "LT01", "6901000000017", "28.00", "25", "咖啡", 12),
        ("摩卡", "MK01", "6901000000024", "30.505", "", "咖啡", 0),       # row 3: too many decimals
        ("西湖龙井", "LJ01", "6901000000031", "¥168.00", "158", "茶", 5),  # a new category
    ])
    tab = tab_for(qtbot, state)
    d = to_import_preview(qtbot, state, tab, path)
    qtbot.waitUntil(lambda: d.bad_table.rowCount() == 1, timeout=10_000)
    assert d.bad_table.item(0, 0).text() == "3" and "30.505" in d.bad_table.item(0, 1).text()
    assert not d.next_button.isEnabled() and "1 bad row" in d.preview_summary.text()
    assert catalog.count(ctx, "", active_only=False) == 0              # the preview wrote nothing
    d.skip_bad.setChecked(True)
    qtbot.waitUntil(lambda: d.next_button.isEnabled(), timeout=10_000)
    assert "2 to add" in d.preview_summary.text() and "茶" in d.preview_summary.text()
    qtbot.mouseClick(d.next_button, Qt.MouseButton.LeftButton)        # Import
    d.reject()                      # Esc while it imports: the wizard waits for the import
    assert d.isVisible() and not d.close_button.isEnabled()
    qtbot.waitUntil(lambda: d.result is not None, timeout=20_000)
    r = d.result
    assert (r.added, r.skipped, r.new_categories, r.opening_stock) == (2, 1, ("茶",), 17)
    assert "2 added" in d.summary.text() and "Opening stock: 17" in d.summary.text()
    assert d.progress.value() == d.progress.maximum()
    assert sorted(p.sku for p in catalog.search(ctx, "", active_only=False)) == ["LJ01", "LT01"]
    d.close_button.click()
    settle(qtbot, state)
    assert tab.model.rowCount() == 2 and tab.stack.currentIndex() == 0


def to_import_preview(qtbot, state, tab, path):
    """Products › Import… on ``path``: the wizard's file page read, the guessed columns taken, the preview."""
    d = tab.open_import(path)
    qtbot.addWidget(d)
    qtbot.waitUntil(lambda: d.sample is not None, timeout=10_000)
    settle(qtbot, state)
    d.next()
    d.next()
    assert d.page() == "preview"
    return d


def test_import_update_lists_the_changes(qtbot, ctx, state, tmp_path):
    coffee_shop(ctx)
    path = price_list(tmp_path / "prices.xlsx", [("拿铁", "LT01", "6901000000017", "29.50", "", "咖啡", "")])
    tab = tab_for(qtbot, state)
    d = to_import_preview(qtbot, state, tab, path)
    qtbot.waitUntil(lambda: d.bad_table.rowCount() >= 1, timeout=10_000)
    assert not d.next_button.isEnabled()                           # LT01 exists: refused without Update
    d.update_existing.setChecked(True)
    qtbot.waitUntil(lambda: d.next_button.isEnabled(), timeout=10_000)
    d.run_import()
    qtbot.waitUntil(lambda: d.result is not None, timeout=20_000)
    assert d.result.updated == 1
    changes = [d.result_table.item(i, 1).text() for i in range(d.result_table.rowCount())]
    assert any("28.00" in c and "29.50" in c for c in changes), changes
    assert products.detail(ctx, catalog.search(ctx, "LT01")[0].id).product.price == 2950


def test_export_asks_the_owners_password_then_writes_the_file(qtbot, ctx, english, tmp_path):
    from app.services.base import auth
    from app.services.base.context import SYSTEM

    settings.update(ctx, language="en")
    coffee_shop(ctx)
    system = ctx.as_actor(SYSTEM).without_owner()
    boss = auth.add_staff(system, "Boss", "owner", "2468")
    auth.set_owner_password(system, "corner-tea-2026", staff_id=boss.id)
    state = AppState(system.as_actor(Actor(boss.id, "Boss", "owner")))
    tab = tab_for(qtbot, state)
    out = tmp_path / "products.xlsx"
    dialog = tab.export_products(str(out))
    assert dialog is not None and not out.exists()
    dialog.password.setText("corner-tea-2026")
    dialog.submit()
    qtbot.waitUntil(lambda: "exported" in tab.status.text(), timeout=20_000)
    assert out.exists() and tab.status.text() == "3 products exported to products.xlsx"
    state.tasks.wait()


def test_screenshots_of_the_products_screen(qtbot, ctx, state, tmp_path):
    from PySide6.QtGui import QImage

    from app.ui import screenshots

    empty = screenshots.render_products(state, tmp_path)
    assert [p.name for p in empty] == ["products_empty_en.png", "product_editor_en.png"]
    coffee_shop(ctx)
    path = price_list(tmp_path / "prices.xlsx", [("摩卡", "MK02", "", "30.505", "", "咖啡", "")])
    shots = screenshots.render_products(state, tmp_path, import_file=path)
    assert [p.name for p in shots] == ["products_list_en.png", "product_editor_en.png", "product_editor_edit_en.png",
                                       "product_import_en.png"]
    for p in shots:
        image = QImage(str(p))
        assert image.width() > 400 and image.height() > 300, p.name
