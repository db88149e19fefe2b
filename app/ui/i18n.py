"""Qt translations for the UI, from the gettext catalogue of domain ``shopcare_ui``, plus Qt's own
(qtbase) for its dialogs.

Every visible string is written in English in the code with ``self.tr("...")`` (or
``QCoreApplication.translate(context, "...")``); a count is ``self.tr("%n member(s)", "", n)``.
The translations live in resources/locale/<lang>/LC_MESSAGES/shopcare_ui.po (``msgctxt`` = the Qt
context, ``msgid`` = the English, ``msgid_plural`` for a count), read through :mod:`app.i18n`,
which alone knows the languages. scripts/i18n_ui.py extracts the strings with Qt's ``lupdate``
and checks the catalogues; tests/test_translations.py fails on any string without a translation.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import i18n as catalogues

DOMAIN = "shopcare_ui"
LANGUAGES = catalogues.LANGUAGES  # code -> its own name, for the language pickers


class PoTranslator(QTranslator):
    """A QTranslator answering from the ``shopcare_ui`` gettext catalogue of one language."""

    def __init__(self, lang: str, parent=None) -> None:
        super().__init__(parent)
        self.lang = catalogues.normalise(lang)

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: N802 (Qt's name)
        # None (a null QString) when there is no entry: Qt then asks the next translator and falls back
        # to the English source, and PySide's tr() goes on to the base classes' contexts. An empty
        # Python string would count as a translation and blank the text out. Qt puts the number in
        # for %n itself, after this returns.
        count = n if n is not None and n >= 0 else None
        if disambiguation:
            found = catalogues.lookup(self.lang, source_text, f"{context}|{disambiguation}", n=count, domain=DOMAIN)
            if found:
                return found
        return catalogues.lookup(self.lang, source_text, context, n=count, domain=DOMAIN)

    def isEmpty(self) -> bool:  # noqa: N802
        return not getattr(catalogues.translations(self.lang, DOMAIN), "_catalog", None)


_installed: list[QTranslator] = []


def qlocale(lang: str) -> QLocale:
    """The QLocale of a ShopCare language (zh_TW: Chinese, Traditional script, Taiwan)."""
    return QLocale(catalogues.babel_locale(lang))


_language: list[str] = []   # the language installed last (none before the first install)


def current() -> str | None:
    """The language whose translators are installed now; None before any install."""
    return _language[-1] if _language else None


def install(lang: str) -> None:
    """Install the translators for ``lang`` on the running QCoreApplication (replacing earlier ones)."""
    app = QCoreApplication.instance()
    for tr in _installed:
        app.removeTranslator(tr)
    _installed.clear()
    lang = catalogues.normalise(lang)
    _language[:] = [lang]
    QLocale.setDefault(qlocale(lang))
    if lang != catalogues.DEFAULT:
        qt = QTranslator(app)
        if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _installed.append(qt)
    ours = PoTranslator(lang, app)
    if not ours.isEmpty():  # English has only the plural forms of counts
        app.installTranslator(ours)
        _installed.append(ours)


def tr(context: str, text: str) -> str:
    """Translate outside a QObject (module-level labels, table headers)."""
    return QCoreApplication.translate(context, text)
