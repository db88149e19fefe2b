"""Every string the UI shows has a translation in each shipped language, read from gettext PO.

Qt's own extractor (lupdate, shipped with PySide6) lists every ``tr()`` / ``translate()`` /
``QT_TRANSLATE_NOOP`` string in app/ui by context (scripts/i18n_ui.py); each must have a
non-empty, non-fuzzy entry in resources/locale/<lang>/LC_MESSAGES/shopcare_ui.po, with the same
placeholders, and a count (``tr("%n member(s)", "", n)``) its plural forms, English included.
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_ui", ROOT / "scripts" / "i18n_ui.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("i18n_ui", module)
    spec.loader.exec_module(module)
    if module.lupdate_exe() is None:
        pytest.skip("pyside6-lupdate is not installed (it ships with PySide6-Essentials)")
    return module


def test_every_ui_string_has_a_translation_in_each_language():
    tool = _tool()
    found = tool.check()
    assert not found, "UI strings without a usable translation (scripts/i18n_ui.py check):\n" + "\n".join(found)


def test_a_missing_empty_or_fuzzy_translation_fails_the_check(tmp_path):
    """The check is not vacuous: a new string in the code, a deleted entry, an empty one, a draft
    left fuzzy and a lost placeholder are each reported, in the language they concern."""
    tool = _tool()
    shutil.copytree(ROOT / "app" / "ui", tmp_path / "app" / "ui")
    (tmp_path / "app" / "ui" / "brand_new.py").write_text(
        "from PySide6.QtWidgets import QWidget\n\n\n"
        "class BrandNew(QWidget):\n"
        "    def label(self):\n"
        "        return self.tr('A string nobody translated yet')\n", encoding="utf-8")
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "resources" / "locale", locale)
    assert tool.problems(tool.extract_sources(ROOT), locale) == []

    tw, cn = tool.load("zh_TW", locale), tool.load("zh_CN", locale)
    tw.delete("Analytics", context="MainWindow")
    tw.get("Set up your shop", context="FirstRunDialog").string = "  "
    tw.get("Shop name", context="FirstRunDialog").flags.add("fuzzy")
    placeholder = next(m for m in cn if m.id and isinstance(m.id, str) and "{name}" in m.id)
    placeholder.string = placeholder.string.replace("{name}", "")
    tool.save(tw, tool.po_path("zh_TW", locale))
    tool.save(cn, tool.po_path("zh_CN", locale))

    found = tool.problems(tool.extract_sources(tmp_path), locale)
    assert "zh_CN BrandNew: 'A string nobody translated yet': missing" in found
    assert "zh_TW BrandNew: 'A string nobody translated yet': missing" in found
    assert "zh_TW MainWindow: 'Analytics': missing" in found
    assert "zh_TW FirstRunDialog: 'Set up your shop': missing" in found
    assert "zh_TW FirstRunDialog: 'Shop name': fuzzy (a draft to review)" in found
    assert any(line.startswith(f"zh_CN {placeholder.context}: {placeholder.id!r}: placeholders") for line in found)
    assert len(found) == 6, found


def test_the_converter_merges_json_catalogues_idempotently(tmp_path):
    """``from-json`` takes the old JSON catalogues (as other branches may still add them) into the PO:
    new entries added, a changed one updated, a zh_TW draft (fuzzy) for what zh_TW lacks; a second
    run changes no byte."""
    tool = _tool()
    pytest.importorskip("opencc")
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "resources" / "locale", locale)
    json_dir = tmp_path / "i18n" / "zh_CN"
    json_dir.mkdir(parents=True)
    (json_dir / "new_screen.json").write_text(
        '{"StockScreen": {"Print the stock list": "打印库存清单", "Points": "积分"},'
        ' "MainWindow": {"Analytics": "会员分析"}}', encoding="utf-8")
    counts = tool.from_json(tmp_path / "i18n", locale)
    assert counts == {"added": 2, "updated": 0, "same": 1, "drafted": 2}
    before = {p: p.read_bytes() for p in locale.rglob("*.po")}
    assert tool.from_json(tmp_path / "i18n", locale) == {"added": 0, "updated": 0, "same": 3, "drafted": 0}
    assert {p: p.read_bytes() for p in locale.rglob("*.po")} == before

    cn, tw = tool.load("zh_CN", locale), tool.load("zh_TW", locale)
    assert cn.get("Print the stock list", context="StockScreen").string == "打印库存清单"
    draft = tw.get("Print the stock list", context="StockScreen")
    assert draft.fuzzy and draft.string == "列印庫存清單"
    assert tw.get("Points", context="StockScreen").string == "點數"  # a Taiwan shop's word, not 積分
    assert tw.get("Analytics", context="MainWindow").fuzzy is False  # reviewed entries are left alone


def test_the_qt_translator_answers_from_the_po_catalogues(qapp):
    from PySide6.QtCore import QCoreApplication, QLocale

    from app.ui import i18n

    tr = QCoreApplication.translate
    try:
        i18n.install("en")
        assert tr("MembersScreen", "%Ln member(s)", "", 1) == "1 member"
        assert tr("MembersScreen", "%Ln member(s)", "", 12345) == "12,345 members"
        assert tr("MainWindow", "Analytics") == "Analytics"
        i18n.install("zh_CN")
        assert QLocale().name() == "zh_CN"
        assert tr("MainWindow", "Analytics") == "会员分析"
        assert tr("MembersScreen", "%Ln member(s)", "", 3) == "共 3 位会员"
        assert tr("MainWindow", "A text no catalogue has") == "A text no catalogue has"
        i18n.install("zh_TW")
        assert (QLocale().language(), QLocale().script(), QLocale().name()) == (
            QLocale.Language.Chinese, QLocale.Script.TraditionalHanScript, "zh_TW")
        assert tr("MainWindow", "Analytics") == "會員分析"
        assert tr("MembersScreen", "%Ln member(s)", "", 2) == "共 2 位會員"
        assert tr("QPlatformTheme", "Cancel") == "取消"  # Qt's own qtbase_zh_TW is loaded too
    finally:
        i18n.install("en")


def test_the_language_pickers_offer_three_languages_and_zh_tw_follows(qtbot, ctx):
    """First run and Settings offer English / 简体中文 / 繁體中文 (each in itself); choosing 繁體中文
    retranslates the first run at once, with Taiwan's QLocale and currency names, and the shop keeps it."""
    from datetime import date

    from PySide6.QtCore import QLocale

    from app.i18n import LANGUAGES
    from app.services.admin import shop_admin
    from app.services.base import settings as shop_settings
    from app.services.base.context import SYSTEM
    from app.ui import i18n, startup
    from app.ui.settings.screen import SettingsScreen
    from app.ui.state import AppState

    def offered(combo):
        return [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]

    system = ctx.as_actor(SYSTEM)
    try:
        # a Hong Kong system starts in Traditional Chinese (the system's locale, injected)
        dialog = startup.FirstRunDialog(system, locale="zh_HK.UTF-8")
        qtbot.addWidget(dialog)
        assert offered(dialog.language) == [("en", "English"), ("zh_CN", "简体中文"), ("zh_TW", "繁體中文")]
        assert dialog.lang == "zh_TW" and dialog.language.currentData() == "zh_TW"
        dialog.language.setCurrentIndex(dialog.language.findData("en"))
        assert dialog.title.text() == "Set up your shop" and QLocale().name() == "en_US"
        dialog.language.setCurrentIndex(dialog.language.findData("zh_TW"))
        assert QLocale().name() == "zh_TW" and QLocale().script() == QLocale.Script.TraditionalHanScript
        assert dialog.title.text() == "設定您的店家" and dialog.ok.text() == "完成設定"
        assert "港幣" in dialog.currency.combo.currentText()   # Hong Kong: HK$ proposed, named in Traditional
        shop_admin.first_run(system, "街角茶行", "TWD", dialog.language.currentData(), "林老闆", "1234",
                             "tea-house-2026")
        cfg = shop_settings.load(system)
        assert cfg.language == "zh_TW"
        state = AppState(ctx)
        assert state.zh and state.date(date(2026, 3, 2)) == "2026年3月2日"
        screen = SettingsScreen(state)
        qtbot.addWidget(screen)
        assert offered(screen.shop.language) == list(LANGUAGES.items())
    finally:
        i18n.install("en")


# A language-name test in app/ui: startswith("zh"), == "en", "zh_CN" if …, lang in ("zh_CN", …).
_NAME = r"""["'](?:en|zh|zh_CN|zh_TW|zh_HK|zh-CN|zh-TW)["']"""
LANGUAGE_TESTS = re.compile(
    rf"""startswith\(\s*{_NAME}|[=!]=\s*{_NAME}|{_NAME}\s*[=!]=|{_NAME}\s+if\b|\bin\s*[\(\[{{]\s*{_NAME}""")


def language_tests(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LANGUAGE_TESTS.search(line.split("#")[0]):
                found.append(f"{path.relative_to(folder.parent.parent)}:{no}: {line.strip()}")
    return found


def test_no_screen_compares_language_names(tmp_path):
    """Only app/i18n.py knows languages: a screen asks normalise/is_han/babel_locale, or loops over
    LANGUAGES, so a new language (zh_TW) needs no screen changed."""
    found = language_tests(ROOT / "app" / "ui")
    assert not found, "language names compared in app/ui (use app.i18n.is_han/normalise/babel_locale):\n" + \
        "\n".join(found)
    bad = tmp_path / "app" / "ui"
    bad.mkdir(parents=True)
    (bad / "x.py").write_text('a = "zh_CN" if lang.startswith("zh") else "en"\nb = lang == "en"\n'
                              'c = "zh_CN" if zh else "en"\nd = lang in ("zh_CN", "zh_TW")\n', encoding="utf-8")
    assert len(language_tests(bad)) == 4


def test_no_json_catalogues_left():
    """The UI's texts are in the PO catalogues only. A JSON file here came from another branch:
    run ``scripts/i18n_ui.py from-json``, review the zh_TW drafts, then delete the JSON."""
    left = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "resources" / "i18n").rglob("*.json"))
    assert not left, left


def test_screens_show_a_default_tier_name_in_the_readers_chinese_and_a_shops_own_as_written(qapp, ctx):
    """The tiers ShopCare made read 普通會員 on a zh_TW screen; a name the shop typed stays as typed."""
    from dataclasses import replace

    from app.ui.state import AppState

    state = AppState(ctx)
    state.settings = replace(state.settings, language="zh_TW")
    assert state.tier_name("Ordinary", "普通会员") == "普通會員"
    assert state.tier_name("Gold", "金卡会员") == "金卡會員"
    assert state.tier_name("VIP", "贵宾") == "贵宾"          # the shop's own words, never converted
    state.settings = replace(state.settings, language="en")
    assert state.tier_name("Ordinary", "普通会员") == "Ordinary"
