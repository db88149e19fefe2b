"""The Analytics screen, offscreen: computed on the db worker, segment bars and the 80/20 curve
drawn, the at-risk table sortable; reachable from the main window's navigation."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402

from app.services.analytics import rfm  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.reports.analytics import SEGMENT_COLOURS, AnalyticsScreen, segment_label  # noqa: E402
from app.ui.main_window import SCREENS, MainWindow  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from tests.test_analytics import START, generated_history, import_history  # noqa: E402


@pytest.fixture
def shop_state(ctx, clock, tmp_path, qtbot):
    import_history(ctx, generated_history(n=220, days=400, seed=8), tmp_path)
    clock.set(datetime.combine(START + timedelta(days=400), datetime.min.time()))
    state = AppState(ctx)
    yield state
    state.tasks.wait()


def _loaded(qtbot, screen):
    screen.reload()
    qtbot.waitUntil(lambda: screen.overview is not None and screen.refresh_button.isEnabled(), timeout=20_000)
    return screen.overview


def test_screen_shows_segments_curve_and_a_sortable_at_risk_table(qtbot, shop_state):
    i18n.install("en")
    screen = AnalyticsScreen(shop_state)
    qtbot.addWidget(screen)
    screen.resize(1180, 760)
    screen.show()
    ov = _loaded(qtbot, screen)
    assert ov.members > 150
    assert [k for k, _c in screen.segments.counts] == list(rfm.SEGMENTS)
    assert sum(c for _k, c in screen.segments.counts) == ov.members
    assert screen.curve.points[-1] == pytest.approx((1.0, 1.0))
    assert f"{100 * ov.curve.top20_share:.0f}%" in screen.summary.text()
    # the drawing is there: the champions' bar colour appears in the rendered chart
    image = screen.segments.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert QColor(SEGMENT_COLOURS["champions"]).name() in colours
    table = screen.table
    assert table.rowCount() == len(ov.at_risk) > 0
    risk_col = 6
    table.sortItems(risk_col, Qt.SortOrder.DescendingOrder)
    shown = [table.item(r, risk_col).key for r in range(table.rowCount())]
    assert shown == sorted(shown, reverse=True)
    table.sortItems(5, Qt.SortOrder.AscendingOrder)
    spent = [table.item(r, 5).key for r in range(table.rowCount())]
    assert spent == sorted(spent)
    assert all("*" in table.item(r, 1).text() for r in range(table.rowCount()))
    assert "BG/NBD: r " in screen.model_line.text()


def test_screen_in_chinese_and_the_refit_button(qtbot, shop_state):
    i18n.install("zh_CN")
    try:
        from dataclasses import replace

        shop_state.settings = replace(shop_state.settings, language="zh_CN")
        screen = AnalyticsScreen(shop_state)
        qtbot.addWidget(screen)
        screen.show()
        _loaded(qtbot, screen)
        assert screen.refit_button.text() == "重新拟合模型"
        assert segment_label("cant_lose") == "不能失去"
        assert "截至" in screen.summary.text()
        screen.overview = None
        qtbot.mouseClick(screen.refit_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.overview is not None and screen.refit_button.isEnabled(), timeout=20_000)
        assert "BG/NBD 模型" in screen.model_line.text()
    finally:
        i18n.install("en")


def test_the_main_window_opens_analytics_from_the_nav(qtbot, shop_state):
    row = [key for key, *_rest in SCREENS].index("analytics")
    window = MainWindow(shop_state)
    qtbot.addWidget(window)
    window.nav.setCurrentRow(row)
    screen = window.screens["analytics"]
    assert isinstance(screen, AnalyticsScreen)
    qtbot.waitUntil(lambda: screen.overview is not None, timeout=20_000)
    assert screen.table.rowCount() > 0


def test_export_button_is_the_owners_and_writes_the_file(qtbot, shop_state, tmp_path):
    i18n.install("en")
    screen = AnalyticsScreen(shop_state)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.export_button.isVisible()
    out = tmp_path / "rfm.xlsx"
    screen.export_to(out)
    qtbot.waitUntil(lambda: screen.export_button.isEnabled(), timeout=20_000)
    assert out.is_file() and "members written to" in screen.message.text()
    from app.services.base.context import Actor

    shop_state.set_actor(Actor(None, "cashier", "cashier"))
    assert not screen.export_button.isVisible()
    refused = tmp_path / "cashier.csv"
    screen.export_to(refused)                  # the service refuses, whatever the screen shows
    qtbot.waitUntil(lambda: screen.export_button.isEnabled(), timeout=20_000)
    assert not refused.exists()
    assert screen.message.property("role") == "error"
    assert any(word in screen.message.text() for word in ("cashier", "收银员"))   # in the shop's language
