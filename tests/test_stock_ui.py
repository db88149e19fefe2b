"""Products › Stock, Receive stock…, Stocktake… and Adjust…, the pay dialog's stock line and the shop
setting, driven offscreen with pytest-qt on the real database."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialog  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.models import Product  # noqa: E402
from app.services.base import settings as shop_settings  # noqa: E402
from app.services.base.context import Actor  # noqa: E402
from app.services.sales import inventory, pricing  # noqa: E402
from app.services.sales.checkout import Cart, CartLine  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.products.receive_dialog import ReceiveDialog  # noqa: E402
from app.ui.products.stock_adjust_dialog import StockAdjustDialog  # noqa: E402
from app.ui.products.stock_tab import StockTab  # noqa: E402
from app.ui.products.stocktake_dialog import StocktakeDialog  # noqa: E402
from app.ui.settings.shop_tab import ShopTab  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from app.ui.till.pay_dialog import PayDialog  # noqa: E402
from tests.shop import stock_shop  # noqa: E402
from tests.stock_shop import entries, on_hand, track  # noqa: E402


@pytest.fixture(autouse=True)
def english(qapp):
    i18n.install("en")
    yield
    i18n.install("en")


@pytest.fixture
def shop(ctx):
    shop_settings.update(ctx, language="en")
    stock_shop(ctx)
    return ctx


@pytest.fixture
def tracked(shop):
    track(shop, "COF", reorder_level=5)
    track(shop, "TEA", reorder_level=2)
    inventory.receive(shop, "TEA", 9)
    return shop


def settle(qtbot, state) -> None:
    qtbot.waitUntil(lambda: not state.tasks.busy, timeout=10_000)
    qtbot.wait(20)
    state.tasks.wait()
    qtbot.wait(20)


def tab_for(qtbot, ctx) -> StockTab:
    state = AppState(ctx)
    tab = StockTab(state)
    qtbot.addWidget(tab)
    tab.resize(1000, 640)
    tab.show()
    tab.load()
    settle(qtbot, state)
    return tab


def cells(table, col) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_no_tracked_product_says_how_to_start(qtbot, shop):
    tab = tab_for(qtbot, shop)
    assert tab.empty.isVisible() and "Track stock" in tab.empty.text()
    assert not tab.split.isVisible()
    assert not tab.receive_button.isEnabled() and not tab.count_button.isEnabled()


def test_low_stock_list_all_products_and_history(qtbot, tracked):
    inventory.adjust(tracked, "TEA", -1, "one bag torn")
    tab = tab_for(qtbot, tracked)
    assert not tab.empty.isVisible()
    assert cells(tab.list, 0) == ["COF"] and cells(tab.list, 5) == ["5"]     # 0 of 5: 5 short
    tab.show_combo.setCurrentIndex(1)
    settle(qtbot, tab.state)
    assert cells(tab.list, 0) == ["COF", "TEA"] and cells(tab.list, 3) == ["0", "8"]
    tab.list.selectRow(1)
    settle(qtbot, tab.state)
    assert "Green tea" in tab.history_title.text()
    assert cells(tab.history, 1) == ["adjusted", "received"] and cells(tab.history, 2) == ["-1", "+9"]
    assert cells(tab.history, 3) == ["8", "9"] and cells(tab.history, 7)[0] == "one bag torn"
    assert tab.adjust_button.isEnabled()


def test_receive_dialog_finds_by_typing_checks_the_quantity_and_receives(qtbot, tracked, db):
    tab = tab_for(qtbot, tracked)
    tab.receive()
    dialog = tab.dialog
    assert isinstance(dialog, ReceiveDialog)
    qtbot.keyClicks(dialog.finder.query, "coffee")
    qtbot.waitUntil(lambda: dialog.finder.product is not None, timeout=5000)
    assert dialog.finder.product.sku == "COF" and "in stock: 0" in dialog.product_label.text()
    assert not dialog.confirm_button.isEnabled()
    qtbot.keyClicks(dialog.qty, "1.5")
    assert dialog.error.isVisible() and "not a whole number" in dialog.error.text()
    assert not dialog.confirm_button.isEnabled()
    dialog.qty.setText("999999")
    assert "100,000" in dialog.error.text() or "100000" in dialog.error.text()
    dialog.qty.setText("12")
    dialog.cost.setText("31.5x")
    assert not dialog.confirm_button.isEnabled() and dialog.error.isVisible()
    dialog.cost.setText("31.50")
    dialog.supplier.setText("云南豆仓")
    assert dialog.confirm_button.isEnabled() and not dialog.error.isVisible()
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    settle(qtbot, tab.state)
    assert on_hand(db, "COF") == 12 and entries(db, "COF") == [("received", 12)]
    with db.session(write=False) as s:
        assert s.execute(select(Product.cost).where(Product.sku == "COF")).scalar() == 3150
    assert "0 → 12" in tab.status.text()
    assert cells(tab.list, 0) == []                          # no longer low
    assert "Nothing is low" in tab.empty.text()


def test_the_finder_shows_untracked_products_but_they_cannot_be_picked(qtbot, tracked):
    state = AppState(tracked)
    dialog = ReceiveDialog(state)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.finder.query, "mug")
    qtbot.waitUntil(lambda: dialog.finder.results.count() == 1, timeout=5000)
    item = dialog.finder.results.item(0)
    assert "does not track stock" in item.text() and not item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert dialog.finder.product is None and not dialog.confirm_button.isEnabled()


def test_stocktake_shows_differences_live_cancel_changes_nothing_post_counts(qtbot, tracked, db):
    inventory.receive(tracked, "COF", 4)
    tab = tab_for(qtbot, tracked)
    tab.stocktake()
    dialog = tab.dialog
    assert isinstance(dialog, StocktakeDialog)
    settle(qtbot, tab.state)
    assert cells(dialog.table, 0) == ["COF", "TEA"] and cells(dialog.table, 2) == ["4", "9"]
    assert not dialog.confirm_button.isEnabled()
    dialog.table.item(0, 3).setText("2")
    assert cells(dialog.table, 4) == ["-2", ""] and "1 of 2 counted · 1 differ" in dialog.summary.text()
    dialog.table.item(1, 3).setText("x")
    assert dialog.table.item(1, 4).text() == "?" and "Green tea" in dialog.error.text()
    assert not dialog.confirm_button.isEnabled()
    dialog.table.item(1, 3).setText("")
    assert dialog.confirm_button.isEnabled()
    dialog.reject()
    assert entries(db, "COF") == [("received", 4)]           # Cancel: nothing posted

    tab.stocktake()
    dialog = tab.dialog
    settle(qtbot, tab.state)
    dialog.table.item(0, 3).setText("3")
    dialog.fill_button.click()
    assert cells(dialog.table, 3) == ["3", "9"] and cells(dialog.table, 4) == ["-1", "0"]
    dialog.ref.setText("Dec shelf count")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    settle(qtbot, tab.state)
    assert on_hand(db, "COF") == 3 and on_hand(db, "TEA") == 9
    assert entries(db, "COF")[-1] == ("counted", -1) and entries(db, "TEA") == [("received", 9)]
    assert "Dec shelf count" in tab.status.text()


def test_stocktake_of_one_category(qtbot, tracked, db):
    with tracked.tx() as t:
        t.s.execute(Product.__table__.update().where(Product.sku == "TEA").values(category="Tea"))
    state = AppState(tracked)
    dialog = StocktakeDialog(state)
    qtbot.addWidget(dialog)
    settle(qtbot, state)
    assert dialog.scope.count() == 2 and dialog.scope.itemText(1) == "Tea"
    dialog.scope.setCurrentIndex(1)
    settle(qtbot, state)
    assert cells(dialog.table, 0) == ["TEA"]


def test_adjust_needs_a_reason_and_cannot_go_below_zero(qtbot, tracked, db):
    tab = tab_for(qtbot, tracked)
    tab.show_combo.setCurrentIndex(1)
    settle(qtbot, tab.state)
    tab.list.selectRow(1)                                    # TEA, 9 in stock
    settle(qtbot, tab.state)
    tab.adjust()
    dialog = tab.dialog
    assert isinstance(dialog, StockAdjustDialog)
    dialog.qty.setText("-10")
    assert dialog.after.text() == "-1"
    dialog.reason.setText("lost")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5000)
    assert "count it instead" in dialog.error.text() and on_hand(db, "TEA") == 9
    dialog.qty.setText("0")
    assert not dialog.confirm_button.isEnabled() and "changes nothing" in dialog.error.text()
    dialog.qty.setText("-2")
    dialog.reason.setText("")
    assert not dialog.confirm_button.isEnabled()
    dialog.reason.setText("two bags torn")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=5000)
    settle(qtbot, tab.state)
    assert on_hand(db, "TEA") == 7 and "9 → 7" in tab.status.text()


def test_a_cashier_sees_stock_but_may_not_change_it(qtbot, tracked):
    tab = tab_for(qtbot, tracked.as_actor(Actor(None, "cashier", "cashier")))
    assert cells(tab.list, 0) == ["COF"]
    assert not tab.receive_button.isEnabled() and not tab.count_button.isEnabled()
    assert not tab.adjust_button.isEnabled()
    dialog = ReceiveDialog(tab.state)
    qtbot.addWidget(dialog)
    assert "cashier may not receive stock" in dialog.error.text()


@pytest.mark.parametrize("mode, said", [("warn", "takes stock below zero"), ("refuse", "does not sell below zero")])
def test_pay_dialog_warns_in_one_line_when_a_sale_takes_stock_below_zero(qtbot, tracked, mode, said):
    shop_settings.update(tracked, negative_stock=mode)
    state = AppState(tracked)
    cart = Cart((CartLine("TEA", 10), CartLine("MUG", 3)))
    pay = PayDialog(state, cart, pricing.price_cart(tracked, cart))
    qtbot.addWidget(pay)
    pay.show()
    qtbot.waitUntil(pay.stock_line.isVisible, timeout=5000)
    assert said in pay.stock_line.text() and "Green tea" in pay.stock_line.text() and "9 in stock" in pay.stock_line.text()
    assert "Mug" not in pay.stock_line.text()
    fine = Cart((CartLine("TEA", 9),))
    ok = PayDialog(state, fine, pricing.price_cart(tracked, fine))
    qtbot.addWidget(ok)
    ok.show()
    settle(qtbot, state)
    assert not ok.stock_line.isVisible()


def test_shop_tab_sets_selling_below_zero(qtbot, shop):
    state = AppState(shop)
    tab = ShopTab(state)
    qtbot.addWidget(tab)
    tab.load()
    assert tab.negative_stock.currentData() == "warn"
    tab.negative_stock.setCurrentIndex(tab.negative_stock.findData("refuse"))
    tab.submit()
    settle(qtbot, state)
    assert shop_settings.load(shop).negative_stock == "refuse" and state.settings.negative_stock == "refuse"


def test_a_sale_recorded_on_this_till_reloads_the_shown_list(qtbot, tracked, db):
    from app.services.sales.checkout import Tender, checkout

    tab = tab_for(qtbot, tracked)
    tab.show_combo.setCurrentIndex(1)
    settle(qtbot, tab.state)
    assert cells(tab.list, 3) == ["0", "9"]
    result = checkout(tracked, Cart((CartLine("TEA", 8),)), [Tender("cash", 8 * 3333)])
    tab.state.sale_recorded.emit(result)
    settle(qtbot, tab.state)
    assert cells(tab.list, 3) == ["0", "1"]
