"""The till sells anything, driven offscreen against a real SQLite file: the favourites grid by mouse
and keyboard, the open-price key, member prices on the lines, a points exchange, a product found by
pinyin in the search list, and an unknown code created on the spot (or refused to a cashier)."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

pytestmark = pytest.mark.ui_watch   # every test here runs under the UI-thread watchdog (tests/conftest.py)

from PySide6.QtCore import Qt  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.models import Product, Sale, SaleLine  # noqa: E402
from app.services.base import settings  # noqa: E402
from app.ui.till import sale_actions  # noqa: E402
from app.ui.till.new_product_dialog import NewProductDialog  # noqa: E402
from app.ui.till.open_price_dialog import OpenPriceDialog  # noqa: E402
from app.ui.till.pay_dialog import PayDialog  # noqa: E402
from tests.sell_shop import add_category, set_member_price, set_product  # noqa: E402
from tests.shop import fund, ledger_faults, member, stock_shop  # noqa: E402
from tests.test_till_ui import ENTER, make_till, scan, settle  # noqa: E402


@pytest.fixture(autouse=True)
def no_printing(monkeypatch):
    monkeypatch.setattr(sale_actions, "print_job", lambda ctx, receipt_no, reprint: None)


@pytest.fixture
def shop(ctx):
    settings.update(ctx, language="en", shop_name="Corner Tea")
    stock_shop(ctx)
    add_category(ctx, "Drinks")
    add_category(ctx, "Tobacco", points=False, discount=False)
    set_product(ctx, "COF", favourite=True, category="Drinks", colour="#7c2d12")
    set_product(ctx, "TEA", favourite=True, category="Drinks")
    set_product(ctx, "MUG", favourite=True, category="Gifts", points_price=300)
    return ctx


def _grid_ready(qtbot, till, n):
    qtbot.waitUntil(lambda: len(till.grid.buttons) == n, timeout=5000)


def test_the_grid_adds_favourites_by_mouse_and_keeps_the_scan_line_focused(qtbot, shop):
    till = make_till(qtbot, shop)
    _grid_ready(qtbot, till, 3)
    assert till.grid.tabs.count() == 3       # All, Drinks, Gifts
    assert [p.sku for p in till.grid.shown] == ["COF", "TEA", "MUG"]
    qtbot.mouseClick(till.grid.buttons[0], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(till.grid.buttons[0], Qt.MouseButton.LeftButton)
    settle(qtbot, till)
    assert [(x.sku, x.qty) for x in till.model.cart.lines] == [("COF", 2)]
    assert till.entry.hasFocus()              # a scanner still types into the scan line
    till.grid.tabs.setCurrentIndex(2)          # Gifts
    assert [p.sku for p in till.grid.shown] == ["MUG"]
    qtbot.mouseClick(till.grid.buttons[0], Qt.MouseButton.LeftButton)
    settle(qtbot, till)
    assert till.total_label.text().endswith("145.90")


def test_the_grid_by_keyboard(qtbot, shop):
    till = make_till(qtbot, shop)
    _grid_ready(qtbot, till, 3)
    qtbot.keyClick(till.entry, Qt.Key.Key_F10)
    assert till.grid.buttons[0].hasFocus()
    qtbot.keyClick(till.grid.buttons[0], Qt.Key.Key_Right)
    assert till.grid.buttons[1].hasFocus()
    qtbot.keyClick(till.grid.buttons[1], ENTER)              # TEA
    qtbot.keyClick(till.grid.buttons[1], Qt.Key.Key_Space)   # TEA again
    qtbot.keyClick(till.grid.buttons[1], Qt.Key.Key_PageDown)  # the next category: Drinks
    assert till.grid.current_category() == "Drinks" and till.grid.buttons[0].hasFocus()
    qtbot.keyClick(till.grid.buttons[0], Qt.Key.Key_PageDown)  # Gifts
    qtbot.keyClick(till.grid.buttons[0], ENTER)              # MUG
    qtbot.keyClick(till.grid.buttons[0], Qt.Key.Key_Escape)
    assert till.entry.hasFocus()
    settle(qtbot, till)
    assert [(x.sku, x.qty) for x in till.model.cart.lines] == [("TEA", 2), ("MUG", 1)]


def test_an_empty_grid_says_how_to_add_a_favourite(qtbot, ctx, ui_dog):
    with ui_dog.paused():   # the test's own set-up
        settings.update(ctx, language="en")
        stock_shop(ctx)
    till = make_till(qtbot, ctx)
    qtbot.waitUntil(lambda: till.grid.empty.isVisible(), timeout=5000)
    assert "Favourite on the till" in till.grid.empty.text() and "Products" in till.grid.empty.text()
    qtbot.keyClick(till.entry, Qt.Key.Key_F10)
    assert "Favourite on the till" in till.error.text()


def test_a_new_shops_till_says_where_products_come_from(qtbot, ctx):
    settings.update(ctx, language="en")
    till = make_till(qtbot, ctx)                     # no product at all yet
    qtbot.waitUntil(lambda: till.grid.empty.isVisible() and "No products yet" in till.grid.empty.text(),
                    timeout=5000)
    assert "Import" in till.grid.empty.text() and "Open price (F3)" in till.grid.empty.text()


def test_the_open_price_key_refuses_bad_amounts_and_sells_under_a_category(qtbot, shop, db):
    m = member(shop, tier="silver")   # 5% off where the category allows it
    till = make_till(qtbot, shop)
    till.member_bar.attach(m.id)
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F3)
    dialog = till.dialog
    assert isinstance(dialog, OpenPriceDialog)
    qtbot.waitUntil(lambda: dialog.category.count() == 3, timeout=5000)
    for bad, words in (("0", "more than zero"), ("12.345", "12.345"), ("100000.01", "limit")):
        dialog.amount.setText(bad)
        qtbot.keyClick(dialog.amount, ENTER)
        assert dialog.isVisible() and words in dialog.error.text()
    assert till.model.cart.lines == ()
    dialog.amount.setText("20")
    dialog.category.setCurrentIndex(dialog.category.findData("Tobacco"))
    qtbot.keyClick(dialog.amount, ENTER)
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F3)
    till.dialog.amount.setText("10")
    qtbot.keyClick(till.dialog.amount, ENTER)                  # no category: both rules allowed
    settle(qtbot, till)
    assert [till.model.cell(r, 1) for r in range(2)] == ["Tobacco", "Open item"]
    assert till.total_label.text().endswith("29.50")           # 20.00 + 10.00 less 5%
    qtbot.keyClick(till.entry, ENTER)
    pay = till.dialog
    assert isinstance(pay, PayDialog)
    pay.cash.setText("30")
    qtbot.keyClick(pay.cash, ENTER)
    qtbot.waitUntil(lambda: till.last_receipt is not None, timeout=10_000)
    with db.session(write=False) as s:
        rows = s.execute(select(SaleLine.product_id, SaleLine.sku, SaleLine.category, SaleLine.line_total)
                         .order_by(SaleLine.line_no)).all()
    assert [tuple(r) for r in rows] == [(None, "OPEN", "Tobacco", 2000), (None, "OPEN", "", 950)]
    assert ledger_faults(db) == []


def test_member_prices_show_on_the_lines_and_follow_the_member(qtbot, shop, ui_dog):
    with ui_dog.paused():   # the test's own set-up
        set_member_price(shop, "COF", "gold", 5000)
        gold = member(shop, tier="gold")
    till = make_till(qtbot, shop)
    scan(qtbot, till, "COF")
    settle(qtbot, till)
    assert till.model.cell(0, 3) == "58.00"
    till.member_bar.attach(gold.id)
    settle(qtbot, till)
    assert till.model.cell(0, 3) == "58.00 → 50.00" and till.model.cell(0, 5) == "50.00"
    # the summary counts the member price as the member's discount, off the shelf price
    assert till.totals["subtotal"].text().endswith("58.00") and till.totals["tier"].text().endswith("8.00")
    assert till.total_label.text().endswith("50.00")
    till.member_bar.detach()
    settle(qtbot, till)
    assert till.model.cell(0, 3) == "58.00"


def test_a_points_exchange_at_the_till(qtbot, shop, db):
    m = member(shop)
    fund(shop, m.id, points=500)
    till = make_till(qtbot, shop)
    scan(qtbot, till, "MUG")
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F11)
    assert "member" in till.error.text().lower()               # no member yet
    till.member_bar.attach(m.id)
    settle(qtbot, till)
    scan(qtbot, till, "2*MUG")                                 # the same line: 3 mugs, 900 points
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F11)
    settle(qtbot, till)
    assert "500" in till.error.text() and "900" in till.error.text()   # too few points: nothing changed
    assert not till.model.cart.lines[0].exchange
    scan(qtbot, till, "1*")                                    # one mug
    settle(qtbot, till)
    qtbot.mouseClick(till.exchange_button, Qt.MouseButton.LeftButton)
    settle(qtbot, till)
    assert till.model.cart.lines[0].exchange
    assert till.model.cell(0, 3) == "300 points" and till.total_label.text().endswith("0.00")
    qtbot.keyClick(till.entry, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: isinstance(till.dialog, PayDialog), timeout=5000)
    qtbot.keyClick(till.dialog.cash, ENTER)                    # nothing to pay
    qtbot.waitUntil(lambda: till.last_receipt is not None, timeout=10_000)
    with db.session(write=False) as s:
        assert s.execute(select(SaleLine.exchange_points)).scalar() == 300
        assert s.execute(select(Sale.total)).scalar() == 0
    assert ledger_faults(db) == []


def test_the_search_list_finds_by_pinyin_and_is_keyboard_driven(qtbot, shop):
    till = make_till(qtbot, shop)
    qtbot.keyClicks(till.entry, "lc")                          # 绿茶: lü cha
    qtbot.waitUntil(lambda: till.search_list.isVisible(), timeout=5000)
    assert [p.sku for p in till.search_list.products] == ["TEA"]
    qtbot.keyClick(till.entry, Qt.Key.Key_Down)
    qtbot.keyClick(till.entry, ENTER)
    settle(qtbot, till)
    assert [(x.sku, x.qty) for x in till.model.cart.lines] == [("TEA", 1)]
    assert not till.search_list.isVisible() and till.entry.text() == ""
    qtbot.keyClicks(till.entry, "3*mug")                       # by name, three of them, by a click
    qtbot.waitUntil(lambda: till.search_list.isVisible(), timeout=5000)
    item = till.search_list.item(0)
    qtbot.mouseClick(till.search_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=till.search_list.visualItemRect(item).center())
    settle(qtbot, till)
    assert [(x.sku, x.qty) for x in till.model.cart.lines] == [("TEA", 1), ("MUG", 3)]
    qtbot.keyClicks(till.entry, "coffee")
    qtbot.waitUntil(lambda: till.search_list.isVisible(), timeout=5000)
    qtbot.keyClick(till.entry, Qt.Key.Key_Escape)              # closes the list, keeps the text
    assert not till.search_list.isVisible() and till.entry.text() == "coffee"
    till.entry.clear()
    qtbot.keyClicks(till.entry, "690000000000")                # a barcode never opens the list
    qtbot.wait(300)
    assert not till.search_list.isVisible()
    qtbot.keyClick(till.entry, ENTER)
    settle(qtbot, till)
    assert till.model.cart.lines[-1].sku == "COF"


def test_an_unknown_code_becomes_a_product_for_the_owner(qtbot, shop, db):
    till = make_till(qtbot, shop)
    scan(qtbot, till, "6912345678901")
    qtbot.waitUntil(lambda: isinstance(till.dialog, NewProductDialog), timeout=5000)
    dialog = till.dialog
    qtbot.keyClick(dialog.name, ENTER)
    assert "name" in dialog.error.text().lower()
    dialog.name.setText("Oolong 乌龙茶")
    dialog.price.setText("12.345")
    qtbot.keyClick(dialog.price, ENTER)
    assert "12.345" in dialog.error.text()
    dialog.price.setText("26.50")
    qtbot.keyClick(dialog.price, ENTER)
    qtbot.waitUntil(lambda: till.model.cart.lines != (), timeout=5000)
    settle(qtbot, till)
    assert [(x.sku, x.qty) for x in till.model.cart.lines] == [("6912345678901", 1)]
    assert till.total_label.text().endswith("26.50")
    with db.session(write=False) as s:
        p = s.execute(select(Product).where(Product.sku == "6912345678901")).scalar_one()
        assert (p.name, p.price, p.active) == ("Oolong 乌龙茶", 2650, True)
    scan(qtbot, till, "6912345678901")                         # the next scan finds it: one line, two
    settle(qtbot, till)
    assert [(x.sku, x.qty) for x in till.model.cart.lines] == [("6912345678901", 2)]


def test_a_cashier_is_told_the_code_is_unknown(qtbot, cashier_ctx, shop, db):
    till = make_till(qtbot, cashier_ctx)
    scan(qtbot, till, "6912345678901")
    qtbot.waitUntil(lambda: "6912345678901" in till.error.text(), timeout=5000)
    assert "Unknown" in till.error.text() and till.dialog is None
    with db.session(write=False) as s:
        assert s.execute(select(Product).where(Product.sku == "6912345678901")).first() is None


def test_a_cashier_retypes_an_open_price_with_f4_without_a_manager(qtbot, shop, cashier_ctx):
    till = make_till(qtbot, cashier_ctx)
    till.add_open_line(1500, "")
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F4)
    dialog = till.dialog
    assert dialog.edit.text() == "15.00"
    dialog.edit.setText("18")
    qtbot.keyClick(dialog.edit, ENTER)
    settle(qtbot, till)
    assert till.model.cart.lines[0].open_price == 1800 and till.model.cart.lines[0].unit_price is None
    assert till.total_label.text().endswith("18.00") and till.error.text() == ""
