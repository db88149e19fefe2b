"""The one place that knows languages: which ones ShopCare speaks, and every text a person reads.

Texts live in standard gettext PO files, ``resources/locale/<lang>/LC_MESSAGES/<domain>.po``,
edited with the tools translators already use (Poedit, Lokalize, Weblate). The message id is the
English text; ``msgctxt`` tells apart the same English said in two places (an error code, a Qt
screen's context). Two domains:

- ``shopcare``: what services, the command line, receipts, PDFs and default templates say;
- ``shopcare_ui``: the Qt screens (the msgctxt is Qt's translation context).

The PO files are read at first use (babel) and compiled in memory, so there is no build step and
no stale binary catalogue; English needs no file at all. No code outside this module compares
language names: ask :func:`normalise`, :func:`babel_locale` or :func:`is_han` instead.
"""
from __future__ import annotations

import functools

import gettext as _gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app import paths

# code -> its own name (a language is always shown in itself in a picker).
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "简体中文", "zh_TW": "繁體中文"}
DEFAULT = "en"
DOMAINS = ("shopcare", "shopcare_ui")

# Babel/CLDR locale each language formats dates and numbers with.
_BABEL = {"en": "en_US", "zh_CN": "zh_Hans_CN", "zh_TW": "zh_Hant_TW"}


def normalise(lang: str | None) -> str:
    """Any spelling of a language (``zh``, ``zh-CN``, ``zh_Hans``, ``zh_HK``, ``en_US.UTF-8``…) ->
    one of :data:`LANGUAGES`; an unknown language falls back to English."""
    raw = (lang or "").split(".")[0].split("@")[0].replace("-", "_").strip()
    if raw in LANGUAGES:
        return raw
    low = raw.lower()
    if low.startswith("zh"):
        traditional = any(tag in low for tag in ("_tw", "_hk", "_mo", "hant"))
        return "zh_TW" if traditional else "zh_CN"
    return DEFAULT


def babel_locale(lang: str | None) -> str:
    """The CLDR locale to format amounts and dates for ``lang``."""
    return _BABEL[normalise(lang)]


@functools.lru_cache(maxsize=64)
def region_name(code: str, lang: str | None) -> str:
    """A region code (``CN``) as its name in ``lang``, from CLDR: China, 中国, 中國 (unknown: the code)."""
    from babel import Locale

    return Locale.parse(babel_locale(lang)).territories.get(code, code)


def is_han(lang: str | None) -> bool:
    """True for the Chinese languages (wider labels, CJK fonts in PDFs, full-width punctuation)."""
    return normalise(lang) != "en"


def locale_dir() -> Path:
    return paths.resources_dir() / "locale"


def po_path(lang: str, domain: str = "shopcare") -> Path:
    return locale_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


@lru_cache(maxsize=None)
def translations(lang: str, domain: str = "shopcare") -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` in ``domain`` (English: the identity)."""
    lang = normalise(lang)
    path = po_path(lang, domain)
    if not path.is_file():  # English: the identity, unless a file gives its plural forms ("1 member")
        return _gettext.NullTranslations()
    try:
        return _gettext.GNUTranslations(io.BytesIO(_compiled(path, lang, domain)))
    except Exception:   # a damaged cache file (gettext raises struct, OS or value errors): compile again
        return _gettext.GNUTranslations(io.BytesIO(_compiled(path, lang, domain, cached=False)))


def _compiled(path: Path, lang: str, domain: str, *, cached: bool = True) -> bytes:
    """The .mo of ``path``: compiled by babel once, then kept in the user's cache folder (keyed on
    the .po's path, size and modification time), since parsing a 200 KB catalogue costs ~0.2 s of
    every command and start in Chinese. A cache file this user does not own alone is not used."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{lang}|{domain}"
    try:
        file = paths.cache_file("catalogues", key, ".mo")
    except OSError:   # no cache folder can be made: compiled every time
        file = None
    data = paths.read_cache(file) if (file is not None and cached) else None
    if data is not None and data[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde"):   # gettext's magic
        return data
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=domain)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)  # a fuzzy entry is a draft, not a translation
    data = buf.getvalue()
    if file is not None:
        paths.write_cache(file, data)
    return data


def gettext(lang: str | None, msgid: str, context: str | None = None, domain: str = "shopcare") -> str:
    """``msgid`` (English) in ``lang``; the English itself when there is no translation."""
    tr = translations(normalise(lang), domain)
    return tr.pgettext(context, msgid) if context else tr.gettext(msgid)


def ngettext(lang: str | None, singular: str, plural: str, n: int, context: str | None = None,
             domain: str = "shopcare") -> str:
    """The form of a text for ``n`` things ("1 member", "2 members"), by the language's plural rule."""
    tr = translations(normalise(lang), domain)
    return tr.npgettext(context, singular, plural, n) if context else tr.ngettext(singular, plural, n)


def lookup(lang: str | None, msgid: str, context: str | None = None, *, n: int | None = None,
           domain: str = "shopcare") -> str | None:
    """The translation of ``msgid`` (for ``n`` things, when given and the entry has plural forms), or
    None when the catalogue has none: for a caller with its own fallback, such as Qt's translator,
    which must tell "no translation" from a translation that happens to equal the English."""
    tr = translations(normalise(lang), domain)
    table = getattr(tr, "_catalog", None)  # GNUTranslations' parsed catalogue (absent for the identity)
    if not table:
        return None
    key = f"{context}\x04{msgid}" if context else msgid
    if n is not None and (key, 0) in table:
        found = table.get((key, tr.plural(n)))
    else:
        found = table.get(key) or table.get((key, 0))
    return found or None


def _fill(out: str, params: dict) -> str:
    """``{name}`` placeholders filled from ``params``; a text a translator broke stays as written."""
    if not params:
        return out
    try:
        return out.format(**params)
    except (KeyError, IndexError, ValueError):
        return out


def text(lang: str | None, msgid: str, /, context: str | None = None, **params: object) -> str:
    """Translate, then fill ``{name}`` placeholders from ``params`` (missing ones stay as typed)."""
    out = gettext(lang, msgid, context)
    return _fill(out, params)


def T_(lang: str | None, msgid: str, /, context: str | None = None, **params: object) -> str:  # noqa: N802
    """:func:`text` where the English is written at the call: the name the extractor looks for
    (``text`` is too common a name, ``sqlalchemy.text`` and variables among them, to mark texts)."""
    return text(lang, msgid, context=context, **params)


def N_(msgid: str) -> str:  # noqa: N802 (the gettext convention extractors look for)
    """Mark a text for extraction where it is defined; translate it where it is shown."""
    return msgid


def NC_(context: str, msgid: str) -> str:  # noqa: N802
    """:func:`N_` with a msgctxt: a table entry keyed by a code (an error code, ``cli:<key>``…). The
    caller translates it with the same context: ``text(lang, TABLE[key], context=...)``."""
    return msgid


def NN_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Mark a plural pair for extraction; show it with :func:`ngettext`."""
    return singular, plural


@dataclass(frozen=True)
class Lazy:
    """A text to translate when it is shown, not when it is made: a service's reason inside an error
    (``why=L_("folder {path} does not exist", path=p)``) stays neutral until ``errors.render`` gives
    it the reader's language. ``str()`` is the English (logs, exception messages)."""
    msgid: str
    context: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    def render(self, lang: str | None) -> str:
        params = {k: (v.render(lang) if callable(getattr(v, "render", None)) else v) for k, v in self.params}
        return text(lang, self.msgid, context=self.context, **params)

    def __str__(self) -> str:
        return self.render(DEFAULT)


def L_(msgid: str, /, context: str | None = None, **params: object) -> Lazy:  # noqa: N802
    """A text marked for extraction and translated later, in whichever language shows it."""
    return Lazy(msgid, context, tuple(params.items()))


def entry(lang: str | None, value: str | tuple[str, str], /, context: str | None = None, **params: object) -> str:
    """A table entry in ``lang``: English marked with :func:`NC_` (translated by the PO with
    ``context``), or an (English, Chinese) pair added since the tables were converted: its Chinese
    stands until ``scripts/i18n.py import-tuples`` moves it into the PO."""
    if isinstance(value, tuple):
        en, zh = value
        out = gettext(lang, en, context)
        if out == en and is_han(lang):
            out = zh
    else:
        out = gettext(lang, value, context)
    return _fill(out, params)


class PerLanguage(Mapping):
    """A text as ``{lang: text}`` for every language of :data:`LANGUAGES`, translated when read (for
    callers that pick by language code: ``RULE[state.lang]``)."""

    def __init__(self, msgid: str, context: str | None = None) -> None:
        self.msgid, self.context = msgid, context

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return gettext(lang, self.msgid, self.context)

    def __iter__(self):
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


@dataclass(frozen=True)
class ShopValue:
    """A value the shop keeps in two languages (a tier's name), passed to an error as it is and
    shown by :func:`pick` in the reader's language; ``str()`` is the English."""
    en: str
    zh: str
    context: str | None = None

    def render(self, lang: str | None) -> str:
        return pick(lang, self.en, self.zh, self.context)

    def __str__(self) -> str:
        return self.render(DEFAULT)


def pick(lang: str | None, en: str, zh: str, context: str | None = None) -> str:
    """A value the shop keeps in two languages (a tier's or a holiday's name): the Chinese one for
    the Chinese languages, else the English one (a missing one falls back to the other). A default
    ShopCare made (its English has a translation in ``context`` and the shop left the Chinese as
    made) reads in ``lang`` itself: 金卡会员 in zh_CN, 金卡會員 in zh_TW."""
    if context and is_han(lang) and en:
        made = gettext("zh_CN", en, context)
        if made != en and (not zh or zh == made):
            return gettext(lang, en, context)
    return (zh or en) if is_han(lang) else (en or zh)


def reload() -> None:
    """Forget compiled catalogues (tests that edit a PO file; a translator's live preview)."""
    translations.cache_clear()
