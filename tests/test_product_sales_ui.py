"""Reports › Product sales offscreen: the table read off the UI thread, by product and category,
a bad period refused in words, the export written by the owner and hidden from a cashier."""
from __future__ import annotations

import openpyxl
import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import QDate  # noqa: E402

from app.services.base.context import Actor  # noqa: E402
from app.services.reports.product_sales import product_sales  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.reports.screen import ReportsScreen  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from tests.test_product_sales import DAY, shop  # noqa: E402,F401  (shop is a fixture)


@pytest.fixture
def en(qapp):
    i18n.install("en")
    yield
    i18n.install("en")


def _panel(qtbot, ctx):
    state = AppState(ctx)
    screen = ReportsScreen(state)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    screen.tabs.setCurrentWidget(screen.products)
    panel = screen.products
    panel.start.setDate(QDate(DAY.year, DAY.month, DAY.day))
    panel.end.setDate(QDate(DAY.year, DAY.month, DAY.day))
    return panel, state


def _column(panel, title: str) -> int:
    return [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())].index(title)


def _row(panel, text: str, col: int = 1) -> int:
    return next(r for r in range(panel.table.rowCount()) if panel.table.item(r, col).text() == text)


def test_by_product_then_by_category(qtbot, en, shop):
    panel, state = _panel(qtbot, shop)
    panel.show_button.click()
    assert not panel.show_button.isEnabled()                 # busy while the db worker sums
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=10_000)
    report = product_sales(shop, DAY, DAY)
    assert panel.table.rowCount() == len(report.rows) + 1    # and the total
    margin, pct, sales = _column(panel, "Margin"), _column(panel, "Margin %"), _column(panel, "Net sales")
    mug = _row(panel, "Mug 马克杯")
    assert panel.table.item(mug, margin).text() == "–" and panel.table.item(mug, pct).text() == "–"
    tea = next(r for r in report.rows if r.sku == "TEA" and not r.exchange)
    at = _row(panel, "Green tea 绿茶")
    assert panel.table.item(at, pct).text() == f"{100 * tea.margin_ratio:.1f}%"
    assert panel.table.item(at, sales).text() == f"{tea.net_sales / 100:,.2f}"
    assert _row(panel, "Open price: Snacks") >= 0 and _row(panel, "Green tea 绿茶 (for points)") >= 0
    last = panel.table.rowCount() - 1
    assert panel.table.item(last, 0).text() == "Total" and panel.table.item(last, 0).font().bold()
    assert panel.table.item(last, sales).text() == f"{report.total.net_sales / 100:,.2f}"
    assert "net sales" in panel.message.text() and panel.export_button.isEnabled()

    panel.by.setCurrentIndex(1)                              # by category: shown again at once
    qtbot.waitUntil(lambda: panel.table.horizontalHeaderItem(0).text() == "Category", timeout=10_000)
    qtbot.waitUntil(lambda: panel.show_button.isEnabled(), timeout=10_000)
    cats = product_sales(shop, DAY, DAY, by="category")
    assert panel.table.rowCount() == len(cats.rows) + 1
    assert _row(panel, "Snacks", col=0) >= 0 and _row(panel, "(no category)", col=0) >= 0
    state.tasks.wait()


def test_a_backwards_period_is_refused_and_nothing_shown(qtbot, en, shop):
    panel, state = _panel(qtbot, shop)
    panel.start.setDate(QDate(2026, 3, 2))
    panel.end.setDate(QDate(2026, 3, 1))
    panel.reload()
    qtbot.waitUntil(lambda: "before the start date" in panel.message.text(), timeout=10_000)
    assert panel.message.property("role") == "error" and panel.table.rowCount() == 0
    assert panel.show_button.isEnabled() and not panel.export_button.isEnabled()
    state.tasks.wait()


def test_the_owner_exports_a_cashier_sees_no_export(qtbot, en, shop, tmp_path):
    panel, state = _panel(qtbot, shop)
    panel.reload()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=10_000)
    out = tmp_path / "sales.xlsx"
    panel.export_to(out)                                     # the owner's password is already typed
    qtbot.waitUntil(lambda: "Written to" in panel.message.text(), timeout=20_000)
    rows = list(openpyxl.load_workbook(out).active.values)
    assert rows[0][:2] == ("sku", "product") and len(rows) == 1 + len(product_sales(shop, DAY, DAY).rows)
    assert (out.stat().st_mode & 0o777) == 0o600
    state.set_actor(Actor(None, "cashier", "cashier"))
    assert panel.export_button.isHidden()
    state.tasks.wait()


def test_in_chinese(qtbot, qapp, shop):
    i18n.install("zh_TW")
    try:
        panel, state = _panel(qtbot, shop)
        panel.reload()
        qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=10_000)
        heads = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
        assert "淨銷售額" in heads and "毛利" in heads and "點數" in heads
        assert panel.table.item(panel.table.rowCount() - 1, 0).text() == "合計"
        state.tasks.wait()
    finally:
        i18n.install("en")
