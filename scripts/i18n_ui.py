"""The Qt screens' catalogue (gettext domain ``shopcare_ui``): extract, merge, draft and check.

    .venv/bin/python scripts/i18n_ui.py extract      # lupdate app/ui -> resources/locale/shopcare_ui.pot,
                                                     # and new strings added (untranslated) to every PO
    .venv/bin/python scripts/i18n_ui.py from-json    # merge resources/i18n/<lang>/*.json into the POs
    .venv/bin/python scripts/i18n_ui.py draft-tw     # zh_TW drafts (fuzzy) from zh_CN: OpenCC s2twp + the glossary in scripts/i18n.py
    .venv/bin/python scripts/i18n_ui.py check        # exit 1 on any string without a translation

The PO files are resources/locale/<lang>/LC_MESSAGES/shopcare_ui.po: ``msgctxt`` is the Qt
translation context (the class name, or the first argument of ``QCoreApplication.translate``;
``Context|disambiguation`` when a ``tr()`` call gives one), ``msgid`` the English source. A
numerus string, ``tr("%n member(s)", "", n)``, has the same English as ``msgid`` and
``msgid_plural`` and one ``msgstr[i]`` per plural form of the language; the English forms
("1 member", "2 members") live in resources/locale/en/LC_MESSAGES/shopcare_ui.po, which holds only
numerus strings. Every command can run again: a second run changes nothing.

``from-json`` is for JSON catalogues (the old format, ``{context: {English: translation}}``) that
other branches still add: it takes every entry into the PO of that language (a different
translation in the JSON replaces the PO's, as the newer one), and for the zh_CN entries that
zh_TW lacks it writes a fuzzy draft (as ``draft-tw``). Then delete the JSON files, review the
zh_TW drafts (search ``#, fuzzy`` in Poedit or any editor), and remove their fuzzy flag.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "shopcare_ui"
LOCALE = ROOT / "resources" / "locale"
JSON_DIR = ROOT / "resources" / "i18n"
LANGS = ("zh_CN", "zh_TW")   # the languages every string needs (English is the source)
PLURAL_ONLY = "en"           # English: only the plural forms of numerus strings
DRAFT_NOTE = "drafted from zh_CN with OpenCC s2twp: review"



def po_path(lang: str, root: Path = LOCALE) -> Path:
    return root / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def pot_path(root: Path = LOCALE) -> Path:
    return root / f"{DOMAIN}.pot"


# --- the strings in the code -----------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    context: str          # msgctxt: the Qt context, "|disambiguation" added when there is one
    text: str             # the English
    numerus: bool         # tr(text, "", n): one form per plural form of the language
    locations: tuple[tuple[str, int], ...] = ()


def lupdate_exe() -> str | None:
    exe = Path(sys.executable).with_name("pyside6-lupdate")
    return str(exe) if exe.exists() else shutil.which("pyside6-lupdate")


def msgctxt(context: str, disambiguation: str | None) -> str:
    return f"{context}|{disambiguation}" if disambiguation else context


def extract_sources(root: Path = ROOT) -> list[Source]:
    """Every tr()/translate()/QT_TRANSLATE_NOOP string in app/ui, as Qt's own lupdate finds them."""
    exe = lupdate_exe()
    if exe is None:
        raise RuntimeError("pyside6-lupdate is not installed (it ships with PySide6-Essentials)")
    files = sorted(str(p) for p in (root / "app" / "ui").rglob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        ts = Path(tmp) / "ui.ts"
        subprocess.run([exe, "-locations", "absolute", *files, "-ts", str(ts)], check=True, capture_output=True)
        tree = ET.parse(ts)
    here = Path(tmp)  # lupdate writes each location relative to the TS file
    found: dict[tuple[str, str], Source] = {}
    for ctx in tree.getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            key = (msgctxt(name, msg.findtext("comment")), msg.findtext("source") or "")
            locs = []
            for loc in msg.iter("location"):
                path = here / loc.get("filename", "")
                try:
                    path = path.resolve().relative_to(root.resolve())
                except ValueError:
                    pass
                locs.append((path.as_posix(), int(loc.get("line", "0") or 0)))
            old = found.get(key)
            found[key] = Source(key[0], key[1], msg.get("numerus") == "yes" or bool(old and old.numerus),
                                (old.locations if old else ()) + tuple(locs))
    return list(found.values())


# --- PO files ---------------------------------------------------------------------------------------
def new_catalog(lang: str | None) -> Catalog:
    cat = Catalog(locale=lang, domain=DOMAIN, project="ShopCare", version="1", fuzzy=False,
                  msgid_bugs_address="", copyright_holder="ShopCare")
    return cat


def load(lang: str, root: Path = LOCALE) -> Catalog:
    path = po_path(lang, root)
    if not path.is_file():
        return new_catalog(lang)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def _render(cat: Catalog) -> bytes:
    import io

    buf = io.BytesIO()
    write_po(buf, cat, width=100, omit_header=False, sort_output=False, include_previous=False)
    out = buf.getvalue()
    # the dates babel stamps into the header would make every run a change
    return re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', b"", out)


def save(cat: Catalog, path: Path) -> bool:
    """Write ``cat`` to ``path`` when it differs; True when the file changed."""
    data = _render(cat)
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def msg_id(src: Source):
    return (src.text, src.text) if src.numerus else src.text


def is_plural(message) -> bool:
    return isinstance(message.id, (tuple, list))


def strings(message) -> list[str]:
    s = message.string
    return list(s) if isinstance(s, (tuple, list)) else [s]


def translated(message) -> bool:
    return message is not None and not message.fuzzy and all((s or "").strip() for s in strings(message))


# --- commands ---------------------------------------------------------------------------------------
def extract(root: Path = ROOT, locale_root: Path = LOCALE) -> list[str]:
    """Write the POT; add the strings each PO lacks (untranslated; numerus ones also to English)."""
    sources = extract_sources(root)
    pot = new_catalog(None)
    for src in sources:
        pot.add(msg_id(src), context=src.context, locations=src.locations)
    changed = []
    if save(pot, pot_path(locale_root)):
        changed.append(str(pot_path(locale_root)))
    for lang in (*LANGS, PLURAL_ONLY):
        cat = load(lang, locale_root)
        dirty = False
        for src in sources:
            if lang == PLURAL_ONLY and not src.numerus:
                continue
            msg = cat.get(src.text, context=src.context)
            if msg is None:
                cat.add(msg_id(src), ("", "") if src.numerus else "", context=src.context)
                dirty = True
            elif src.numerus and not is_plural(msg):  # a string that became numerus: keep its text as a draft
                old = strings(msg)[0]
                cat.delete(src.text, context=src.context)
                cat.add(msg_id(src), (old, old), context=src.context, flags=("fuzzy",) if old else ())
                dirty = True
        if dirty and save(cat, po_path(lang, locale_root)):
            changed.append(str(po_path(lang, locale_root)))
    return changed


def from_json(json_root: Path = JSON_DIR, locale_root: Path = LOCALE) -> dict[str, int]:
    """Merge every ``<json_root>/<lang>/*.json`` into that language's PO; zh_TW drafts for the new zh_CN ones."""
    counts = {"added": 0, "updated": 0, "same": 0, "drafted": 0}
    if not json_root.is_dir():
        return counts
    for folder in sorted(p for p in json_root.iterdir() if p.is_dir()):
        lang = folder.name
        cat = load(lang, locale_root)
        for file in sorted(folder.glob("*.json")):
            for context, entries in json.loads(file.read_text(encoding="utf-8")).items():
                for english, text in entries.items():
                    msg = cat.get(english, context=context)
                    if msg is None:
                        cat.add(english, text, context=context)
                        counts["added"] += 1
                    elif is_plural(msg):
                        counts["same"] += 1  # a numerus string in the PO: its forms are edited there
                    elif msg.string != text or msg.fuzzy:
                        msg.string = text
                        msg.flags.discard("fuzzy")
                        counts["updated"] += 1
                    else:
                        counts["same"] += 1
        save(cat, po_path(lang, locale_root))
    if (json_root / "zh_CN").is_dir():
        counts["drafted"] = draft_tw(locale_root)
    return counts


@functools.lru_cache(maxsize=1)
def _shopcare_tool():
    """scripts/i18n.py (the other catalogue's tool), loaded by path: both draft with its glossary."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("shopcare_i18n_tool", Path(__file__).with_name("i18n.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def to_taiwan(text: str, converter=None) -> str:
    """zh_CN -> what a Taiwan/Hong Kong shop's screen says: OpenCC s2twp, then the one glossary both
    catalogues are drafted with (scripts/i18n.py ``TW_GLOSSARY``)."""
    return _shopcare_tool().to_tw(text, converter)


def draft_tw(locale_root: Path = LOCALE, *, redo: bool = False) -> int:
    """Draft (fuzzy) every zh_TW entry that is missing or empty from its zh_CN one; ``redo``: also
    redraft the entries still fuzzy. Reviewed entries (not fuzzy, not empty) are never touched."""
    try:
        import opencc
    except ImportError:
        print("i18n_ui: opencc is not installed (pip install opencc): no zh_TW drafts", file=sys.stderr)
        return 0
    conv = opencc.OpenCC("s2twp")
    cn, tw = load("zh_CN", locale_root), load("zh_TW", locale_root)
    drafted = 0
    for src in cn:
        if not src.id or not any((s or "").strip() for s in strings(src)):
            continue
        msg = tw.get(src.id[0] if is_plural(src) else src.id, context=src.context)
        if msg is not None and not (redo and msg.fuzzy) and any((s or "").strip() for s in strings(msg)):
            continue
        drafts = [to_taiwan(s, conv) for s in strings(src)]
        if msg is not None:
            tw.delete(msg.id[0] if is_plural(msg) else msg.id, context=msg.context)
        tw.add(src.id, tuple(drafts) if is_plural(src) else drafts[0], context=src.context, flags=("fuzzy",),
               auto_comments=(DRAFT_NOTE,))
        drafted += 1
    if drafted:
        save(tw, po_path("zh_TW", locale_root))
    return drafted


PLACEHOLDER = re.compile(r"\{\w*\}|%L?n|%\d")


def problems(sources: list[Source], locale_root: Path = LOCALE) -> list[str]:
    """Each extracted string without a usable translation, or whose translation drops a placeholder."""
    found = []
    for lang in LANGS:
        cat = load(lang, locale_root)
        for src in sources:
            msg = cat.get(src.text, context=src.context)
            where = f"{lang} {src.context}: {src.text!r}"
            if msg is None or not any((s or "").strip() for s in strings(msg)):
                found.append(f"{where}: missing")
            elif msg.fuzzy:
                found.append(f"{where}: fuzzy (a draft to review)")
            elif src.numerus and not is_plural(msg):
                found.append(f"{where}: needs plural forms (msgid_plural)")
            elif not translated(msg):
                found.append(f"{where}: a plural form is empty")
            else:
                want = sorted(set(PLACEHOLDER.findall(src.text)))
                for s in strings(msg):
                    if sorted(set(PLACEHOLDER.findall(s))) != want:
                        found.append(f"{where}: placeholders {want} but {s!r}")
    english = load(PLURAL_ONLY, locale_root)
    for src in sources:
        if src.numerus and not translated(english.get(src.text, context=src.context)):
            found.append(f"en {src.context}: {src.text!r}: numerus string without its English forms")
    return found


def check(root: Path = ROOT, locale_root: Path = LOCALE) -> list[str]:
    return problems(extract_sources(root), locale_root)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="i18n_ui.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="lupdate app/ui -> the POT; new strings into every PO")
    sub.add_parser("from-json", help="merge resources/i18n/<lang>/*.json into the POs (idempotent)")
    d = sub.add_parser("draft-tw", help="fuzzy zh_TW drafts from zh_CN for missing entries")
    d.add_argument("--redo", action="store_true", help="also redraft entries that are still fuzzy")
    sub.add_parser("check", help="exit 1 when a string has no (non-fuzzy) translation in zh_CN or zh_TW")
    args = p.parse_args(argv)
    if args.command == "extract":
        for path in extract():
            print(f"wrote {path}")
    elif args.command == "from-json":
        counts = from_json()
        print(", ".join(f"{v} {k}" for k, v in counts.items()))
    elif args.command == "draft-tw":
        print(f"{draft_tw(redo=args.redo)} zh_TW drafts")
    else:
        found = check()
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} problem(s)", file=sys.stderr)
            return 1
        print("every UI string is translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
