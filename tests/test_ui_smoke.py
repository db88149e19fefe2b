"""The placeholder home window, shown offscreen: it opens, reads the shop through the services
layer, speaks English and Chinese, and leaves a screenshot in docs/screenshots/."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtGui import QFontDatabase  # noqa: E402

from app.services import settings  # noqa: E402
from app.services.members import MemberInput, create_member  # noqa: E402
from app.services.summary import shop_summary  # noqa: E402
from app.ui.main import HomeWindow, open_shop  # noqa: E402

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture
def shop(ctx, db):
    settings.update(ctx, shop_name="小雅花店 Little Flower Shop", language="zh_CN")
    for i, name in enumerate(["王芳", "李雷", "韩梅梅"]):
        create_member(ctx, MemberInput(name=name, phone=f"1380013800{i}"))
    with db.engine.begin() as conn:  # two sales today, one yesterday (only today's count)
        conn.exec_driver_sql("INSERT INTO sales (receipt_no, till, seq, kind, source, created_at, subtotal,"
                             " tier_discount, manual_discount, total, change_given, points_earned, note) VALUES"
                             " ('T1-1','T1',1,'sale','till','2026-03-02 09:00:00',5800,0,0,5800,0,0,''),"
                             " ('T1-2','T1',2,'sale','till','2026-03-02 09:30:00',3300,0,0,3300,0,0,''),"
                             " ('T1-3','T1',3,'sale','till','2026-03-01 18:00:00',1000,0,0,1000,0,0,'')")
    return ctx


def test_summary_counts_through_the_services(shop):
    s = shop_summary(shop)
    assert (s.shop_name, s.members, s.sales_today, s.sales_today_total, s.language) == \
        ("小雅花店 Little Flower Shop", 3, 2, 9100, "zh_CN")


def test_home_window_in_chinese_with_a_screenshot(qtbot, shop):
    chinese_fonts = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    assert chinese_fonts, "no font renders Simplified Chinese: run scripts/setup.sh (fonts-wqy-microhei)"
    window = HomeWindow(shop_summary(shop))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "ShopCare"
    assert window.shop_label.text() == "小雅花店 Little Flower Shop"
    assert window.members_label.text() == "会员：3"
    assert window.sales_label.text().startswith("今日销售：2（¥91.00")
    assert "收银界面" in window.coming_label.text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    assert not image.isNull() and image.width() >= 600
    assert image.save(str(SHOTS / "home.png"))
    assert (SHOTS / "home.png").stat().st_size > 5_000


def test_home_window_in_english(qtbot, shop):
    window = HomeWindow(shop_summary(shop), "en")
    qtbot.addWidget(window)
    window.show()
    assert window.members_label.text() == "Members: 3"
    assert window.sales_label.text().startswith("Sales today: 2 (CN¥91.00")
    assert "till screens are coming" in window.coming_label.text()


def test_open_shop_creates_and_upgrades(tmp_path):
    ctx = open_shop(f"sqlite:///{tmp_path / 'new.db'}", "T9")
    assert ctx.db.current_revision() == ctx.db.head_revision()
    s = shop_summary(ctx)
    assert (s.members, s.sales_today) == (0, 0)
    ctx.db.dispose()


def test_the_app_runs_offscreen(tmp_path):
    """``shopcare`` with no command opens the window (quit by a timer) and exits 0."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    code = ("from PySide6.QtCore import QTimer\n"
            "from PySide6.QtWidgets import QApplication\n"
            "import sys, app.cli\n"
            "a = QApplication(sys.argv)\n"
            "QTimer.singleShot(300, a.quit)\n"
            "sys.exit(app.cli.main(['--lang', 'en']))\n")
    env = {**os.environ, "SHOPCARE_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    env.pop("SHOPCARE_DB", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "data" / "shopcare.db").is_file()
