"""Settings › Shop: the most an open-price line (无码商品) may be, checked and saved."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402

from app.services.base import settings as shop_settings  # noqa: E402
from tests.test_settings_ui import english, screen_for, settle, shop  # noqa: E402,F401


def test_the_open_price_limit_is_shown_checked_and_saved(qtbot, shop):  # noqa: F811
    screen, state = screen_for(qtbot, shop)
    tab = screen.shop
    assert tab.open_price_max.text() == "100000.00"
    for bad, words in (("0", "more than zero"), ("1.005", "1.005"), ("abc", "abc")):
        tab.open_price_max.setText(bad)
        qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
        settle(qtbot, state.tasks)
        assert words in tab.status.text()
        assert shop_settings.load(shop).open_price_max == 10_000_000
    tab.open_price_max.setText("500")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state.tasks)
    assert shop_settings.load(shop).open_price_max == 50_000 and state.settings.open_price_max == 50_000
