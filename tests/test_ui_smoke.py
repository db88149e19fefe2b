"""The real app, end to end: `shopcare` opens the first-run set-up on a new database, then the PIN
login, then the main window on the till; and the main window builds every screen."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtGui import QFontDatabase  # noqa: E402

from app.services.admin import shop_admin  # noqa: E402
from app.services.base.context import Actor  # noqa: E402
from app.ui.app import open_shop  # noqa: E402
from app.ui.main_window import SCREENS, MainWindow  # noqa: E402
from app.ui.state import AppState  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Runs the real start-up (app.cli.main with no command) and drives its dialogs from a timer.
DRIVER = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import app.cli
from app.ui import app as ui_app
qt = ui_app.application([])
seen = []

def step():
    w = QApplication.activeModalWidget()
    name = type(w).__name__ if w else None
    if name and (not seen or seen[-1] != name):
        seen.append(name)
        print("shown:", name, flush=True)
    if name == "FirstRunDialog":
        w.reject()                      # a first run that is cancelled quits cleanly
        return
    if name == "LoginDialog":
        if w.staff.count() == 0:        # the staff list loads in the background
            QTimer.singleShot(50, step)
            return
        w.pin.setText("2468")
        w.submit()
    for top in QApplication.topLevelWidgets():
        if type(top).__name__ == "MainWindow" and top.isVisible():
            print("shown: MainWindow", type(top.stack.currentWidget()).__name__, flush=True)
            qt.quit()
            return
    QTimer.singleShot(50, step)

QTimer.singleShot(50, step)
sys.exit(app.cli.main(sys.argv[1:]))
"""


def _run(tmp_path, *args):
    env = {**os.environ, "SHOPCARE_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "SHOPCARE_STARTUP_TIMING": "1"}
    env.pop("SHOPCARE_DB", None)
    return subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_start_up_first_run_then_login_then_till(tmp_path):
    first = _run(tmp_path, "--lang", "en")
    assert first.returncode == 0, first.stderr
    assert "shown: FirstRunDialog" in first.stdout
    assert (tmp_path / "data" / "shopcare.db").is_file()

    ctx = open_shop(f"sqlite:///{tmp_path / 'data' / 'shopcare.db'}")
    shop_admin.first_run(ctx, "小雅茶舍", "CNY", "zh_CN", "Boss", "2468")
    ctx.db.dispose()
    second = _run(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "shown: LoginDialog" in second.stdout
    assert "shown: MainWindow TillScreen" in second.stdout
    assert "to a usable till" in second.stderr
    # Closing backed the file up (the day's first start does too, once the till is ready; this run
    # quit before); the rotation keeps a day's newest. The backup on close is a process of its own
    # that the app did not wait for: give it its time.
    import time

    from app.services.admin import backup, backup_schedule

    deadline = time.monotonic() + 60
    while not (kept := backup_schedule.backups(tmp_path / "data" / "backups")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(kept) == 1 and backup.integrity_ok(kept[0][1]) == (True, "ok")


def test_main_window_builds_every_screen(qtbot, ctx):
    chinese_fonts = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    assert chinese_fonts, "no font renders Simplified Chinese: run scripts/setup.sh (fonts-wqy-microhei)"
    owner = shop_admin.first_run(ctx, "Little Tea House", "CNY", "en", "Boss", "2468")
    state = AppState(ctx.as_actor(Actor(owner.id, owner.name, "owner")))
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    assert type(window.stack.currentWidget()).__name__ == "TillScreen"
    for key, _label, _module, cls in SCREENS:
        widget = window.show_screen(key)
        assert type(widget).__name__ == cls and window.stack.currentWidget() is widget
    assert "Boss" in window.status.text() and "T1" in window.status.text()
    state.tasks.wait()
