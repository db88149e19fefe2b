"""Day one of a real shop, as a newcomer does it in the app: a fresh database without the demo, a
price list from Excel with Chinese headers imported on the Products screen, then at the till a
member with member prices, a scanned product, one from the favourites grid and an open-price item
paid in cash; one line refunded; stock received and counted; and `shopcare check` passing."""
from __future__ import annotations

import os
from dataclasses import replace
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialog  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.models import Product, Sale, SaleLine, StockEntry  # noqa: E402
from app.services.base import settings  # noqa: E402
from app.services.sales import catalog, products, refunds  # noqa: E402
from app.services.sales.refunds import RefundLine  # noqa: E402
from app.ui.products.stock_tab import StockTab  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from app.ui.till import sale_actions  # noqa: E402
from app.ui.till.pay_dialog import PayDialog  # noqa: E402
from tests.shop import ledger_faults, member  # noqa: E402
from tests.test_products_ui import price_list, tab_for  # noqa: E402
from tests.test_products_ui import settle as settle_state  # noqa: E402
from tests.test_till_ui import ENTER, make_till, scan, settle  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_printing(monkeypatch):
    monkeypatch.setattr(sale_actions, "print_job", lambda ctx, receipt_no, reprint: None)


def test_day_one_import_sell_refund_receive_count_and_check(qtbot, ctx, db, tmp_path):
    settings.update(ctx, language="zh_CN", shop_name="街角茶咖")
    assert catalog.count(ctx, "", active_only=False) == 0          # a new shop: nothing to sell yet

    # 1. The price list, imported in the app (Products › Import…), new categories added.
    path = price_list(tmp_path / "价目表.xlsx", [
        ("拿铁", "LT01", "6901000000017", "28.00", "25", "咖啡", ""),
        ("西湖龙井 250g", "LJ01", "6901000000031", "¥168.00", "158", "茶", 6),
        ("牛角包", "CR01", "6901000000048", "12", "", "面包", 20),
    ])
    state = AppState(ctx)
    tab = tab_for(qtbot, state)
    assert tab.stack.currentIndex() == 1                             # the empty list says what to do
    d = tab.open_import(path)                                       # the import wizard
    qtbot.addWidget(d)
    qtbot.waitUntil(lambda: d.sample is not None, timeout=15_000)
    settle_state(qtbot, state)
    d.next()                                                         # the columns, as guessed
    d.next()                                                         # the preview
    qtbot.waitUntil(lambda: d.next_button.isEnabled(), timeout=15_000)
    d.next()                                                         # Import
    qtbot.waitUntil(lambda: d.result is not None, timeout=30_000)
    assert (d.result.added, d.result.opening_stock) == (3, 26)
    assert set(d.result.new_categories) == {"咖啡", "茶", "面包"}
    d.close_button.click()
    settle_state(qtbot, state)
    assert tab.model.rowCount() == 3
    croissant = catalog.search(ctx, "njb")[0]                       # 牛角包 by its pinyin initials
    # ticked "Favourite on the till" (the editor's own test drives that dialog)
    products.update(ctx, croissant.id, replace(products.to_input(products.detail(ctx, croissant.id)), favourite=True))

    # 2. At the till: a member (member prices), a scan, the grid, an open-price item; paid in cash.
    m = member(ctx, "13800138000", "王芳")
    till = make_till(qtbot, ctx)
    till.member_bar.attach(m.id)
    settle(qtbot, till)
    scan(qtbot, till, "6901000000017")                             # 拿铁 by its barcode
    qtbot.waitUntil(lambda: till.model.rowCount() == 1, timeout=5000)
    scan(qtbot, till, "lj01")                                      # a SKU typed in lower case
    qtbot.waitUntil(lambda: till.model.rowCount() == 2, timeout=5000)
    qtbot.waitUntil(lambda: len(till.grid.buttons) == 1, timeout=5000)
    qtbot.mouseClick(till.grid.buttons[0], Qt.MouseButton.LeftButton)   # 牛角包 from the grid
    settle(qtbot, till)
    till.add_open_line(1500, "")                                   # F3: an item with no code
    settle(qtbot, till)
    assert [line.sku for line in till.model.cart.lines] == ["LT01", "LJ01", "CR01", "OPEN"]
    priced = till.model.priced
    assert [pl.unit_price for pl in priced.lines] == [2500, 15800, 1200, 1500]   # member prices applied
    assert [pl.list_price for pl in priced.lines][:2] == [2800, 16800]
    total = priced.total
    qtbot.keyClick(till.entry, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: isinstance(till.dialog, PayDialog) and till.dialog.isVisible(), timeout=5000)
    pay = till.dialog
    pay.cash.setText("300")
    qtbot.keyClick(pay.cash, ENTER)
    qtbot.waitUntil(lambda: till.last_receipt is not None, timeout=10_000)
    with db.session(write=False) as s:
        sale = s.execute(select(Sale)).scalar_one()
        assert sale.total == total and sale.member_id == m.id

    # 3. One line refunded (the tea): its money and its stock come back.
    refunds.refund(ctx, sale.receipt_no, [RefundLine(line_no=2, qty=1)], reason="顾客退回")

    # 4. Stock received and counted in the app (Products › Stock).
    stock_state = AppState(ctx)
    stock = StockTab(stock_state)
    qtbot.addWidget(stock)
    stock.show()
    stock.load()
    settle_state(qtbot, stock_state)
    stock.receive()
    receive = stock.dialog
    qtbot.keyClicks(receive.finder.query, "njb")
    qtbot.waitUntil(lambda: receive.finder.product is not None, timeout=5000)
    receive.qty.setText("24")
    receive.cost.setText("5.50")
    receive.supplier.setText("好面包坊")
    qtbot.mouseClick(receive.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receive.result() == QDialog.DialogCode.Accepted, timeout=5000)
    settle_state(qtbot, stock_state)
    stock.stocktake()
    count = stock.dialog
    settle_state(qtbot, stock_state)
    skus = [count.table.item(r, 0).text() for r in range(count.table.rowCount())]
    count.table.item(skus.index("CR01"), 3).setText("40")           # 20 + 24 - 1 sold = 43 on the books
    qtbot.mouseClick(count.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: count.result() == QDialog.DialogCode.Accepted, timeout=5000)
    settle_state(qtbot, stock_state)

    with db.session(write=False) as s:
        on_hand = dict(s.execute(select(Product.sku, Product.on_hand)).all())
        kinds = [tuple(r) for r in s.execute(select(StockEntry.kind, StockEntry.qty).join(
            Product, Product.id == StockEntry.product_id).where(Product.sku == "CR01").order_by(StockEntry.id))]
        lines = s.execute(select(SaleLine.sku, SaleLine.qty).order_by(SaleLine.id)).all()
    assert on_hand["LJ01"] == 6 and on_hand["CR01"] == 40 and on_hand["LT01"] == 0
    assert kinds == [("opening", 20), ("sold", -1), ("received", 24), ("counted", -3)]
    assert [tuple(r) for r in lines][-1] == ("LJ01", -1)
    assert ledger_faults(db) == []

    # 5. `shopcare check`, as the owner would run it, passes.
    proc = subprocess.run([sys.executable, "-m", "app", "--db", db.url, "check"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
