"""The region on screen, offscreen with pytest-qt on a real SQLite file: the first-run screen
pre-filled from a given locale (never the machine's), the Settings region field, and their pictures
in English and Chinese."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

from app.services.base import auth
from app.services.members import members
from app.services.admin import shop_admin  # noqa: E402
from app.services.base import settings as shop_settings  # noqa: E402
from app.services.base.context import SYSTEM  # noqa: E402
from app.services.members.members import MemberInput  # noqa: E402
from app.ui import i18n, startup, style  # noqa: E402
from app.ui.settings.screen import SettingsScreen  # noqa: E402
from app.ui.state import AppState  # noqa: E402

PASSWORD = "tea-house-2026"


@pytest.fixture(autouse=True)
def english(qapp):
    i18n.install("en")
    yield
    i18n.install("en")


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the pictures go: $SHOPCARE_TEST_SHOTS to keep them, else the test's own folder."""
    folder = Path(os.environ.get("SHOPCARE_TEST_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _first_run(qtbot, ctx, **kw) -> startup.FirstRunDialog:
    dialog = startup.FirstRunDialog(ctx.as_actor(SYSTEM), **kw)
    qtbot.addWidget(dialog)
    return dialog


@pytest.mark.parametrize("locale, lang, currency, region, title", [
    ("en_US.UTF-8", "en", "USD", "US", "Set up your shop"),
    ("zh_CN.UTF-8", "zh_CN", "CNY", "CN", "设置您的店铺"),
    ("zh_HK.UTF-8", "zh_TW", "HKD", "HK", None),   # zh_TW: its catalogue comes with the PO conversion
    ("zh_TW", "zh_TW", "TWD", "TW", None),
    ("en_GB", "en", "GBP", "GB", "Set up your shop"),
    ("C", "en", "USD", "US", "Set up your shop"),
])
def test_the_first_run_is_pre_filled_from_the_locale(qtbot, ctx, locale, lang, currency, region, title):
    dialog = _first_run(qtbot, ctx, locale=locale)
    assert dialog.language.currentData() == lang
    assert dialog.chosen_currency() == currency
    assert dialog.region.region() == region
    if title:
        assert dialog.title.text() == title


def test_lang_option_wins_for_the_language_only(qtbot, ctx):
    dialog = _first_run(qtbot, ctx, locale="zh_TW.UTF-8", lang="en")
    assert (dialog.language.currentData(), dialog.chosen_currency(), dialog.region.region()) == ("en", "TWD", "TW")
    assert dialog.title.text() == "Set up your shop"


def test_what_init_stored_is_offered_when_no_locale_is_given(qtbot, ctx):
    shop_admin.propose_shop(ctx.as_actor(SYSTEM), "en", "HKD", "HK")
    dialog = _first_run(qtbot, ctx)
    assert (dialog.language.currentData(), dialog.chosen_currency(), dialog.region.region()) == ("en", "HKD", "HK")


def test_a_us_first_run_sets_up_a_shop_reading_us_numbers(qtbot, ctx):
    dialog = _first_run(qtbot, ctx, locale="en_US.UTF-8")
    qtbot.keyClicks(dialog.shop_name, "Corner Tea")
    qtbot.keyClicks(dialog.owner_name, "Ann")
    for edit, text in ((dialog.pin, "2468"), (dialog.pin_again, "2468"), (dialog.password, PASSWORD),
                       (dialog.password_again, PASSWORD)):
        qtbot.keyClicks(edit, text)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    cfg = shop_settings.load(ctx)
    assert (cfg.language, cfg.currency, cfg.region) == ("en", "USD", "US")
    assert members.create_member(ctx, MemberInput("Cara", "(415) 555-0199")).phone == "+14155550199"


def test_the_owner_changes_the_proposal_before_setting_up(qtbot, ctx):
    dialog = _first_run(qtbot, ctx, locale="en_US.UTF-8")
    dialog.region.set_region("SG")
    dialog.currency.set_currency("SGD")
    assert (dialog.chosen_currency(), dialog.region.region()) == ("SGD", "SG")
    dialog.region.combo.setCurrentIndex(dialog.region.combo.count() - 1)    # Other: type a code
    assert dialog.region.code.isVisible() or not dialog.isVisible()
    qtbot.keyClicks(dialog.region.code, "n")
    assert dialog.problems()["region"] == "A region code has 2 letters, e.g. US"
    qtbot.keyClicks(dialog.region.code, "z")
    assert dialog.region.region() == "NZ" and "region" not in dialog.problems()


def test_member_edit_reads_and_shows_numbers_in_the_shops_region(qtbot, ctx):
    from app.ui.members.member_edit import MemberEditDialog

    shop_admin.first_run(ctx.as_actor(SYSTEM), "Corner Tea", "USD", "en", "Ann", "2468", region="US")
    state = AppState(ctx)
    dialog = MemberEditDialog(state)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name, "Cara")
    qtbot.keyClicks(dialog.phone, "(415) 555-0199")
    assert dialog.save_button.isEnabled()
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result_view is not None, timeout=10_000)
    saved = members.get_member(ctx, dialog.result_view.id)
    assert saved.phone == "+14155550199"
    edit = MemberEditDialog(state, saved)
    qtbot.addWidget(edit)
    assert edit.phone.text() == "4155550199"          # the shop's own region: without +1
    other = members.create_member(ctx, MemberInput("Wang", "+86 138 0013 8000"))
    foreign = MemberEditDialog(state, other)
    qtbot.addWidget(foreign)
    assert foreign.phone.text() == "+8613800138000"


@pytest.fixture
def shop(ctx):
    system = ctx.as_actor(SYSTEM)
    shop_admin.first_run(system, "Little Tea House", "CNY", "en", "Boss", "1111", PASSWORD)
    return auth.confirm_owner(ctx.as_actor(auth.login(system, "Boss", "1111")).without_owner(), PASSWORD)


def _settings(qtbot, ctx) -> tuple[SettingsScreen, AppState]:
    state = AppState(ctx)
    screen = SettingsScreen(state)
    qtbot.addWidget(screen)
    screen.resize(1100, 720)
    screen.show()
    screen.activated()
    state.tasks.wait()
    qtbot.wait(20)
    return screen, state


def test_the_settings_region_field_shows_and_changes_the_region(qtbot, shop):
    screen, state = _settings(qtbot, shop)
    tab = screen.shop
    assert tab.region.region() == "CN"      # an existing shop: mainland China, as before
    tab.region.set_region("HK")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    state.tasks.wait()
    qtbot.wait(20)
    assert tab.status.text() == "Shop details saved."
    assert shop_settings.load(shop).region == "HK" and state.settings.region == "HK"
    assert members.create_member(shop, MemberInput("Wing", "9123 4567")).phone == "+85291234567"
    tab.region.combo.setCurrentIndex(tab.region.combo.count() - 1)
    qtbot.keyClicks(tab.region.code, "X")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    assert tab.status.text() == "A region code has 2 letters, e.g. US"
    qtbot.keyClicks(tab.region.code, "X")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    state.tasks.wait()
    qtbot.wait(20)
    assert "XX" in tab.status.text() and shop_settings.load(shop).region == "HK"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_pictures_of_the_first_run_and_the_settings_region_field(qtbot, shop, shots, lang):
    style.apply(QApplication.instance())   # the app's own look
    locale = "en_US.UTF-8" if lang == "en" else "zh_CN.UTF-8"
    i18n.install(lang)
    dialog = _first_run(qtbot, shop, locale=locale)
    dialog.shop_name.setText("Corner Tea" if lang == "en" else "街角茶铺")
    dialog.owner_name.setText("Ann" if lang == "en" else "李娜")
    dialog.show()
    dialog.adjustSize()
    qtbot.wait(20)
    first = shots / f"region_first_run_{lang}.png"
    assert dialog.grab().save(str(first))
    shop_admin.update_shop(shop, "Little Tea House", "CNY", lang, region="CN")
    screen, _state = _settings(qtbot, shop)
    screen.tabs.setCurrentWidget(screen.shop)
    qtbot.wait(20)
    settings = shots / f"region_settings_{lang}.png"
    assert screen.grab().save(str(settings))
    assert first.stat().st_size > 10_000 and settings.stat().st_size > 10_000
    labels = {dialog.form.labelForField(dialog.region).text(), screen.shop.region.combo.currentText()}
    assert ("Phone region" if lang == "en" else "电话地区") in labels


@pytest.mark.parametrize("currency, amounts", [
    ("CNY", (100, 200, 500, 1000, 2000)),
    ("USD", (10, 20, 50, 100, 200)),
    ("TWD", (400, 800, 2000, 4000, 8000)),
    ("HKD", (100, 200, 500, 1000, 2000)),
])
def test_quick_top_up_amounts_are_round_amounts_of_the_currency(currency, amounts):
    from app.ui.members.topup_dialog import quick_amounts

    assert quick_amounts(currency) == amounts


# The real start-up (app.cli.main, no command), LANG set as a person's machine would have it.
START_DRIVER = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import app.cli
from app.ui import app as ui_app
qt = ui_app.application([])

def step():
    w = QApplication.activeModalWidget()
    if w is None or type(w).__name__ != "FirstRunDialog":
        QTimer.singleShot(50, step)
        return
    print("proposed:", w.language.currentData(), w.chosen_currency(), w.region.region(), w.title.text(), flush=True)
    w.reject()

QTimer.singleShot(50, step)
sys.exit(app.cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("lang_env, expected", [
    ("en_US.UTF-8", "proposed: en USD US Set up your shop"),
    ("zh_CN.UTF-8", "proposed: zh_CN CNY CN 设置您的店铺"),
])
def test_the_app_started_under_a_locale_proposes_it(tmp_path, lang_env, expected):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPCARE_DB", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env.update(SHOPCARE_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root), LANG=lang_env)
    proc = subprocess.run([sys.executable, "-c", START_DRIVER], cwd=root, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout


def test_a_first_run_before_any_language_is_installed_speaks_the_proposed_one(qtbot, ctx):
    """A Taiwan system, nothing installed yet (the window's very first dialog): the first run is in
    Traditional Chinese at once, not in the English of the code, even though Qt's default locale
    already says zh_TW."""
    from PySide6.QtCore import QLocale

    i18n._language.clear()   # as at process start: no translator installed yet
    QLocale.setDefault(QLocale("zh_TW"))
    try:
        dialog = startup.FirstRunDialog(ctx.as_actor(SYSTEM), locale="zh_TW.UTF-8")
        qtbot.addWidget(dialog)
        assert dialog.lang == "zh_TW" and i18n.current() == "zh_TW"
        assert dialog.title.text() == "設定您的店家"
        assert (dialog.currency.currency(), dialog.region.region()) == ("TWD", "TW")
    finally:
        i18n.install("en")
