"""Free text typed by people (names, notes, tags, card numbers, care notes, campaign names): what may be
stored. One helper, ``check_text``, used by every service that stores such text.

Refused, with the field named: control characters (C0, DEL, C1; a note keeps its line breaks and tabs),
lone surrogates (they cannot be encoded, so PostgreSQL and exports fail on them later), bidi overrides and
isolates (U+202A-202E, U+2066-2069: they make a name read backwards on a receipt or a screen, "Trojan
Source" style), and a required text made only of invisible characters (zero-width spaces, joiners,
fillers: a name nobody can see or pick). Too long for its column: refused here, not by the database
(PostgreSQL raises DataError; SQLite stores anything).
"""
from __future__ import annotations

import unicodedata

from app.errors import ValidationError

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Letters and symbols that draw nothing (besides format characters, category Cf, and marks, Mn/Me).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
_MULTILINE_OK = frozenset("\n\t")

#: field -> (English, Chinese) names shown in the errors
FIELDS = {
    "name": ("Name", "姓名"), "notes": ("Notes", "备注"), "tag": ("Tag", "标签"), "card_no": ("Card number", "卡号"), "phone": ("Phone", "手机号"), "password": ("Password", "密码"),
    "staff_name": ("Staff name", "员工姓名"), "label": ("Label", "标签名"), "consent_source": ("Consent source", "同意来源"),
    "note": ("Contact note", "联系记录"), "outcome": ("Outcome", "结果"), "reason": ("Reason", "原因"),
    "title": ("Title", "标题"), "body": ("Text", "正文"), "kb_tags": ("Tags", "标签"),
    "campaign_name": ("Campaign name", "活动名称"), "resolution": ("Resolution", "处理结果"),
}


def column_max(column) -> int | None:
    """The length of a String column (``Model.field``), None for Text: read from the model, so a
    migration that widens a column widens the check with it."""
    return getattr(column.property.columns[0].type, "length", None)


def _bad(field: str, code: str, ch: str | None = None, **extra: object) -> ValidationError:
    en, zh = FIELDS.get(field, (field, field))
    params: dict[str, object] = dict(field=en, field_zh=zh, **extra)
    if ch is not None:
        params["char"] = f"U+{ord(ch):04X}"
    return ValidationError(code, **params)


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: some character that is not a space, a format character, a
    combining mark or a blank filler."""
    return any(not ch.isspace() and ch not in _BLANK_GLYPHS
               and unicodedata.category(ch) not in ("Cf", "Mn", "Me", "Cc", "Zs", "Zl", "Zp") for ch in text)


def check_line(value: object, field: str, *, max_len: int | None = None, required: bool = False) -> str:
    """One line of text (a name, a card number, a tag): surrounding whitespace dropped (a paste's
    trailing newline is harmless), then ``check_text`` on what is left."""
    if value is not None and not isinstance(value, str):
        raise _bad(field, "text_not_text")
    return check_text((value or "").strip(), field, max_len=max_len, required=required)


def check_text(value: object, field: str, *, max_len: int | None = None, multiline: bool = False,
               required: bool = False) -> str:
    """``value`` as a string, checked; ValidationError naming ``field`` otherwise. No trimming here:
    each service trims or folds spaces as before, then calls this on what it will store."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(field, "text_not_text")
    if multiline:
        value = value.replace("\r\n", "\n")
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise _bad(field, "text_bad_char", ch)
        if cat == "Cc" and not (multiline and ch in _MULTILINE_OK):
            raise _bad(field, "text_bad_char", ch)
        if ch in BIDI_CONTROLS:
            raise _bad(field, "text_bad_char", ch)
    if required and value and not visible(value):
        raise _bad(field, "text_invisible")
    if max_len is not None and len(value) > max_len:
        raise _bad(field, "text_too_long", max=max_len)
    return value
