"""The till while another process holds the database's write lock (an import, another till):
the pay dialog says it is waiting, retries on its own, keeps the cart, and records the sale once
the lock is released; still busy after the bounded wait, the cashier chooses. Never a traceback."""
from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.db import Database  # noqa: E402
from app.models import Sale  # noqa: E402
from app.services.base import settings  # noqa: E402
from app.ui import tasks  # noqa: E402
from app.ui.till.pay_dialog import PayDialog  # noqa: E402
from tests.shop import stock_shop  # noqa: E402
from tests.test_busy import SHORT_MS, Holder  # noqa: E402
from tests.test_till_ui import ENTER, make_till, no_printing, scan, settle  # noqa: E402, F401 (no_printing: autouse)


@pytest.fixture
def shop(ctx):
    settings.update(ctx, language="en", shop_name="Corner Tea")
    stock_shop(ctx)
    quick = Database(ctx.db.url, busy_timeout_ms=SHORT_MS)  # the app waits 10 s per attempt; tests less
    yield replace(ctx, db=quick)
    quick.dispose()


def sales(db) -> int:
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(Sale)).scalar()


def fill_cart(qtbot, till) -> None:
    scan(qtbot, till, "COF")
    scan(qtbot, till, "TEA")
    qtbot.waitUntil(lambda: till.model.rowCount() == 2, timeout=5000)


def open_pay(qtbot, till) -> PayDialog:
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: isinstance(till.dialog, PayDialog) and till.dialog.isVisible(), timeout=5000)
    pay = till.dialog
    qtbot.keyClicks(pay.cash, "100")
    return pay


def test_a_checkout_waits_visibly_while_an_import_holds_the_lock_then_records_once(qtbot, shop):
    till = make_till(qtbot, shop)
    fill_cart(qtbot, till)
    pay = open_pay(qtbot, till)
    holder = Holder(shop.db)
    try:
        qtbot.keyClick(pay.cash, ENTER)
        qtbot.waitUntil(lambda: "Waiting for the database" in pay.error.text(), timeout=10_000)
        qtbot.waitUntil(lambda: "attempt 2" in pay.error.text() or "attempt 3" in pay.error.text(), timeout=10_000)
        assert "Traceback" not in pay.error.text() and "OperationalError" not in pay.error.text()
        assert pay.isVisible() and till.model.rowCount() == 2  # the cart is kept while waiting
        assert sales(shop.db) == 0
    finally:
        holder.release()
    qtbot.waitUntil(lambda: till.banner.isVisible() and "recorded" in till.banner.text(), timeout=10_000)
    assert sales(shop.db) == 1
    assert till.model.rowCount() == 0


def test_still_busy_after_the_bounded_wait_the_cashier_keeps_waiting_or_goes_back(qtbot, shop, monkeypatch):
    monkeypatch.setattr(tasks, "BUSY_WAIT_S", 1)
    till = make_till(qtbot, shop)
    fill_cart(qtbot, till)
    pay = open_pay(qtbot, till)
    holder = Holder(shop.db)
    try:
        qtbot.keyClick(pay.cash, ENTER)
        qtbot.waitUntil(lambda: "still busy" in pay.error.text(), timeout=10_000)
        assert pay.confirm_button.text() == "Keep waiting (Enter)" and pay.confirm_button.isEnabled()
        qtbot.keyClick(pay.cash, ENTER)                      # keep waiting: tries again
        qtbot.waitUntil(lambda: "Waiting for the database" in pay.error.text(), timeout=10_000)
        qtbot.waitUntil(lambda: "still busy" in pay.error.text(), timeout=10_000)
        qtbot.keyClick(pay.cash, Qt.Key.Key_Escape)          # back to the cart
        qtbot.waitUntil(lambda: till.dialog is None, timeout=5000)
        assert till.model.rowCount() == 2 and sales(shop.db) == 0
    finally:
        holder.release()
    pay = open_pay(qtbot, till)                              # the same cart, kept on the till
    qtbot.keyClick(pay.cash, ENTER)
    qtbot.waitUntil(lambda: till.banner.isVisible() and "recorded" in till.banner.text(), timeout=10_000)
    assert sales(shop.db) == 1


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_waiting_message_in_both_languages(qtbot, shop, lang, tmp_path):
    """A real held lock, the pay dialog grabbed while it waits (docs/screenshots/till_busy_*.png are
    these grabs: SHOPCARE_SCREENSHOT_DIR=docs/screenshots saves them there)."""
    import os
    import shutil

    from PySide6.QtWidgets import QApplication

    from app.ui import i18n, style

    settings.update(shop, language=lang)
    i18n.install(lang)
    app = QApplication.instance()
    sheet, font, look = app.styleSheet(), app.font(), app.style().name()
    style.apply(app)  # as the app looks
    try:
        till = make_till(qtbot, shop)
        fill_cart(qtbot, till)
        pay = open_pay(qtbot, till)
        holder = Holder(shop.db)
        try:
            qtbot.keyClick(pay.cash, ENTER)
            third = "attempt 3," if lang == "en" else "第 3 次尝试"
            qtbot.waitUntil(lambda: third in pay.error.text(), timeout=10_000)
            text = pay.error.text()
            assert ("Waiting for the database" in text) if lang == "en" else ("正在等待数据库" in text)
            path = tmp_path / f"till_busy_{lang}.png"
            assert pay.grab().save(str(path)) and path.stat().st_size > 10_000
            if os.environ.get("SHOPCARE_SCREENSHOT_DIR"):
                shutil.copy(path, os.environ["SHOPCARE_SCREENSHOT_DIR"])
        finally:
            holder.release()
        qtbot.waitUntil(lambda: till.dialog is None, timeout=10_000)
        assert sales(shop.db) == 1
    finally:
        i18n.install("en")
        app.setStyleSheet(sheet)
        app.setFont(font)
        app.setStyle(look)


def test_holding_a_cart_waits_for_the_database_too(qtbot, shop):
    till = make_till(qtbot, shop)
    fill_cart(qtbot, till)
    settle(qtbot, till)
    holder = Holder(shop.db, tables=("held_carts",))   # on PostgreSQL the table holding writes
    try:
        qtbot.keyClick(till.entry, Qt.Key.Key_F6)
        qtbot.waitUntil(lambda: "Waiting for the database" in till.banner.text(), timeout=10_000)
        assert till.model.rowCount() == 2 and not till.error.text()
    finally:
        holder.release()
    qtbot.waitUntil(lambda: "Cart held" in till.banner.text(), timeout=10_000)
    assert till.model.rowCount() == 0
