"""A failure nobody foresaw, in the app (offscreen, real widgets): its traceback in the log file, one
plain sentence and "Open log folder" on screen; a refusal (ShopError) rendered and not logged as a bug;
the write flavour's busy retry; Qt's warnings in the log; the support bundle from Settings › Backups."""
from __future__ import annotations

import logging
import re
import sys
import zipfile

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import QObject, QUrl, Slot, qWarning  # noqa: E402
from PySide6.QtGui import QDesktopServices  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from app import logs, paths  # noqa: E402
from app.errors import Busy, ValidationError  # noqa: E402
from app.services.admin import shop_admin  # noqa: E402
from app.services.base.context import Actor  # noqa: E402
from app.ui import faults, i18n  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from tests.shop import member  # noqa: E402
from tests.test_settings_ui import english, screen_for, shop  # noqa: F401,E402  (fixtures)

NAME, PHONE = "Zhao Mingyue", "13912345678"


@pytest.fixture
def log_file():
    path = logs.configure()
    yield path
    logs.close()


@pytest.fixture
def window(qtbot, ctx, english):
    owner = shop_admin.first_run(ctx, "Little Tea House", "CNY", "en", "Boss", "2468")
    state = AppState(ctx.as_actor(Actor(owner.id, owner.name, "owner")))
    win = MainWindow(state)
    qtbot.addWidget(win)
    win.show()
    yield win
    state.tasks.wait()


class Opened(QObject):
    """Where QDesktopServices sends file URLs while a test runs (Qt's own hook for URL handlers)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def text_of(path) -> str:
    logs.flush()
    return path.read_text(encoding="utf-8")


def fail_with_key_error():
    return {"tier": "gold"}["teir"]   # a bug: the wrong key


def test_a_bug_in_a_task_is_logged_with_its_traceback_and_shown_as_one_sentence(qtbot, window, log_file):
    state = window.state
    label = QLabel(window)
    state.tasks.query(fail_with_key_error, label.setText, lambda exc: label.setText(state.error_text(exc)),
                      what="loading the tiers")
    qtbot.waitUntil(lambda: window.fault_bar.isVisible(), timeout=5000)
    sentence = "Something went wrong while loading the tiers. The details were saved."
    assert label.text() == sentence and window.fault_bar.text.text() == sentence
    assert "KeyError" not in label.text() and "teir" not in label.text()
    assert window.fault_bar.open_button.text() == "Open log folder" and window.fault_bar.open_button.isVisible()
    written = text_of(log_file)
    assert "background task loading the tiers (fail_with_key_error) failed: KeyError" in written
    assert "Traceback" in written and "in fail_with_key_error" in written and "KeyError: 'teir'" in written
    # the button opens the log folder in the system's file manager
    opened = Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        window.fault_bar.open_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in opened.urls] == [str(paths.app_log_dir())]
    window.fault_bar.close_button.click()
    assert not window.fault_bar.isVisible()


def test_a_task_without_an_error_handler_still_shows_the_sentence(qtbot, window, log_file):
    window.state.tasks.run(fail_with_key_error)
    qtbot.waitUntil(lambda: window.fault_bar.isVisible(), timeout=5000)
    assert window.fault_bar.text.text() == "Something went wrong. The details were saved."
    assert "KeyError: 'teir'" in text_of(log_file)


def test_the_sentence_in_chinese(qtbot, window, log_file):
    i18n.install("zh_CN")
    label = QLabel(window)
    window.state.tasks.query(fail_with_key_error, None, lambda exc: label.setText(window.state.error_text(exc)),
                             what="加载会员等级")
    qtbot.waitUntil(lambda: bool(label.text()), timeout=5000)
    assert label.text() == "加载会员等级时出了问题。详细信息已保存。"
    assert window.fault_bar.text.text() == label.text()
    assert faults.FaultBar().open_button.text() == "打开日志文件夹"


def test_a_refusal_in_a_task_is_shown_rendered_and_not_logged_as_a_bug(qtbot, window, log_file):
    state = window.state
    label = QLabel(window)

    def refuse():
        raise ValidationError("name_too_long", max=64)

    state.tasks.query(refuse, None, lambda exc: label.setText(state.error_text(exc)), what="saving the member")
    qtbot.waitUntil(lambda: bool(label.text()), timeout=5000)
    assert label.text() == "The name is too long (at most 64 characters)"
    assert not window.fault_bar.isVisible()
    written = text_of(log_file)
    assert "Traceback" not in written and "ERROR" not in written and "name_too_long" not in written


def test_the_write_flavour_runs_again_while_the_database_is_busy(qtbot, window, log_file):
    attempts, waited, got = [], [], []

    def write():
        attempts.append(1)
        if len(attempts) < 3:
            raise Busy("db_busy")
        return "recorded"

    window.state.tasks.write(write, got.append, lambda exc: got.append(exc), owner=window,
                             on_wait=lambda n, s: waited.append(n))
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    assert got == ["recorded"] and len(attempts) == 3 and waited[:2] == [1, 2]
    assert not window.fault_bar.isVisible() and "Traceback" not in text_of(log_file)


@pytest.mark.qt_no_exception_capture   # the hook itself is what is tested
def test_an_exception_nobody_caught_on_the_ui_thread_is_logged_and_shown(qtbot, window, log_file):
    before = sys.excepthook
    faults.show_uncaught_faults()
    try:
        try:
            {}["slot"]
        except KeyError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = before
    qtbot.waitUntil(lambda: window.fault_bar.isVisible(), timeout=5000)
    assert window.fault_bar.text.text() == "Something went wrong. The details were saved."
    assert "uncaught KeyError" in text_of(log_file)


def test_qt_warnings_go_into_the_log_with_phones_masked(qtbot, log_file):
    from PySide6.QtCore import qInstallMessageHandler

    faults.install_qt_log()
    try:
        qWarning(f"QFont: cannot load a font for {PHONE}")
    finally:
        qInstallMessageHandler(faults._previous_qt_handler)
    written = text_of(log_file)
    assert "WARNING" in written and "app.qt: QFont: cannot load a font for …5678" in written
    assert PHONE not in written


def test_settings_backups_saves_a_support_bundle_without_personal_data(qtbot, shop, tmp_path, log_file):
    member(shop, PHONE, NAME)
    logging.getLogger("app.test").warning("call back %s", PHONE)
    try:
        raise KeyError(NAME)
    except KeyError as exc:
        logs.log_failure(exc, "loading the member page")
    screen, state = screen_for(qtbot, shop)
    tab = screen.backups
    screen.tabs.setCurrentWidget(tab)
    assert tab.bundle_button.text() == "Save support bundle…" and tab.bundle_button.isVisible()
    target = tmp_path / "support.zip"
    tab.save_support_bundle(str(target))
    qtbot.waitUntil(lambda: "Support bundle saved" in tab.status.text(), timeout=20_000)
    with zipfile.ZipFile(target) as zf:
        files = {n: zf.read(n).decode("utf-8") for n in zf.namelist()}
    assert {"README.txt", "check.txt", "versions.json", "settings.json", "logs/shopcare.log"} <= set(files)
    assert "loading the member page failed: KeyError" in files["logs/shopcare.log"]
    assert "OK: no faults found" in files["check.txt"]
    for name, body in files.items():
        assert NAME not in body and PHONE not in re.sub(r"[ \-+]", "", body), name
    # the same name again: refused with a clear sentence, the file left as it was
    before = target.read_bytes()
    tab.save_support_bundle(str(target))
    qtbot.waitUntil(lambda: "already exists" in tab.status.text(), timeout=20_000)
    assert target.read_bytes() == before and tab.bundle_button.isEnabled()


def test_the_app_start_writes_the_log_and_routes_qt_warnings_into_it(tmp_path):
    from tests.test_ui_smoke import _run

    started = _run(tmp_path, "--lang", "en")          # the real start: first-run dialog shown, then cancelled
    assert started.returncode == 0, started.stderr
    log = tmp_path / "logs" / "shopcare.log"
    assert log.is_file()
    if paths.POSIX:
        import os
        import stat

        assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    text = log.read_text(encoding="utf-8")
    assert "WARNING" in text and "app.qt: " in text   # Qt's own warnings (the offscreen plugin's) are there
