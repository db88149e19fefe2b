"""The task runner: answers reach the UI thread, and never a widget that was closed meanwhile."""
from __future__ import annotations

import threading

import pytest
import shiboken6

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtWidgets import QLabel  # noqa: E402

from app.ui.tasks import TaskRunner  # noqa: E402


def test_an_answer_for_a_deleted_widget_is_dropped(qtbot):
    runner = TaskRunner()
    gate = threading.Event()
    alive, gone = QLabel(), QLabel()
    got = []
    runner.run(lambda: gate.wait(5) and "for alive", alive.setText)            # owner: the bound method's
    runner.run(lambda: gate.wait(5) and "for gone", lambda r: got.append(r), owner=gone)
    gone.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(gone), timeout=2000)
    gate.set()
    qtbot.waitUntil(lambda: runner.busy == 0, timeout=5000)
    assert alive.text() == "for alive" and got == []
