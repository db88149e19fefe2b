"""Qt translations for the UI, from JSON catalogues, plus Qt's own (qtbase) for its dialogs.

Every visible string is written in English in the code with ``self.tr("...")`` (or
``QCoreApplication.translate(context, "...")``); ``resources/i18n/zh_CN/*.json`` maps
``{context: {English: Chinese}}``. One JSON file per screen keeps the catalogues small and lets
each screen's author own its file; tests/test_translations.py extracts every string with Qt's own
``lupdate`` and fails on any without a Chinese entry.
"""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n as _languages
from app import paths

LANGUAGES = dict(_languages.LANGUAGES)   # the pickers offer every language the shop may be set to


def catalogue(lang: str) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    folder = paths.resources_dir() / "i18n" / lang
    if not folder.is_dir():
        return table
    for file in sorted(Path(folder).glob("*.json")):
        for context, entries in json.loads(file.read_text(encoding="utf-8")).items():
            table.setdefault(context, {}).update(entries)
    return table


class JsonTranslator(QTranslator):
    """A QTranslator answering from a ``{context: {source: translation}}`` table."""

    def __init__(self, table: dict[str, dict[str, str]], parent=None) -> None:
        super().__init__(parent)
        self._table = table

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: N802 (Qt's name)
        # None (a null QString) when there is no entry: Qt then asks the next translator and falls back
        # to the English source, and PySide's tr() goes on to the base classes' contexts. An empty
        # Python string would count as a translation and blank the text out.
        return self._table.get(context, {}).get(source_text) or None

    def isEmpty(self) -> bool:  # noqa: N802
        return not self._table


_installed: list[QTranslator] = []


def install(lang: str) -> None:
    """Install the translators for ``lang`` on the running QCoreApplication (replacing earlier ones)."""
    app = QCoreApplication.instance()
    for tr in _installed:
        app.removeTranslator(tr)
    _installed.clear()
    # By name: PySide6 6.12 has no QLocale.Territory enum (only the older QLocale.Country).
    QLocale.setDefault(QLocale("zh_CN" if lang.startswith("zh") else "en_US"))
    if lang == "en":
        return
    qt = QTranslator(app)
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    ours = JsonTranslator(catalogue(lang), app)
    app.installTranslator(ours)
    _installed.append(ours)


def tr(context: str, text: str) -> str:
    """Translate outside a QObject (module-level labels, table headers)."""
    return QCoreApplication.translate(context, text)
