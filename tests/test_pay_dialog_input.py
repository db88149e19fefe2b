"""The till's pay dialog with a points tender no shop has: the dialog says so, nothing raises."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

pytestmark = pytest.mark.ui_watch   # every test here runs under the UI-thread watchdog (tests/conftest.py)

from PySide6.QtCore import Qt  # noqa: E402

from app.ui.till.pay_dialog import PayDialog  # noqa: E402
from tests.shop import fund, member  # noqa: E402
from tests.test_till_ui import ENTER, make_till, no_printing, scan, settle, shop  # noqa: E402,F401


@pytest.mark.parametrize("typed,says", [("1" + "0" * 30, "more than any member holds"),
                                        ("9" * 13, "more than any member holds"),
                                        ("²", "Points must be a whole number")])
def test_a_huge_points_tender_is_an_inline_error(qtbot, shop, typed, says):
    m = member(shop, "13800138000", "王芳")
    fund(shop, m.id, points=500)
    till = make_till(qtbot, shop)
    scan(qtbot, till, "COF")
    qtbot.waitUntil(lambda: till.model.rowCount() == 1, timeout=5000)
    qtbot.keyClick(till.entry, Qt.Key.Key_F2)
    qtbot.keyClicks(till.member_bar.edit, "13800138000")
    qtbot.keyClick(till.member_bar.edit, ENTER)
    qtbot.waitUntil(lambda: till.member_bar.member_id == m.id, timeout=5000)
    settle(qtbot, till)
    qtbot.keyClick(till.entry, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: isinstance(till.dialog, PayDialog) and till.dialog.isVisible(), timeout=5000)
    pay = till.dialog
    pay.points.setText(typed)          # what the cashier typed; the dialog re-tallies on each change
    pay.update_totals()
    assert says in pay.error.text()
