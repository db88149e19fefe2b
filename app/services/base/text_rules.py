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

import re
import unicodedata

from app import i18n
from app.errors import ValidationError
from app.i18n import NC_

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Letters and symbols that draw nothing (besides format characters, category Cf, and marks, Mn/Me).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# The refused characters, as one pattern (exactly categories Cc and Cs, and the bidi controls): a
# regular expression finds them far faster than a loop over each character of a million names.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_PLAINLY_VISIBLE = re.compile("[0-9A-Za-z\u4e00-\u9fff]")

#: field -> its name in the errors (English; msgctxt text_field:<field>)
FIELDS = {
    "name": NC_("text_field:name", "Name"), "notes": NC_("text_field:notes", "Notes"), "tag": NC_("text_field:tag", "Tag"), "card_no": NC_("text_field:card_no", "Card number"), "phone": NC_("text_field:phone", "Phone"), "password": NC_("text_field:password", "Password"),
    "staff_name": NC_("text_field:staff_name", "Staff name"), "label": NC_("text_field:label", "Label"), "consent_source": NC_("text_field:consent_source", "Consent source"),
    "note": NC_("text_field:note", "Contact note"), "outcome": NC_("text_field:outcome", "Outcome"), "reason": NC_("text_field:reason", "Reason"),
    "title": NC_("text_field:title", "Title"), "body": NC_("text_field:body", "Text"), "kb_tags": NC_("text_field:kb_tags", "Tags"),
    "campaign_name": NC_("text_field:campaign_name", "Campaign name"), "resolution": NC_("text_field:resolution", "Resolution"),
    "supplier": NC_("text_field:supplier", "Supplier"),
}


def column_max(column) -> int | None:
    """The length of a String column (``Model.field``), None for Text: read from the model, so a
    migration that widens a column widens the check with it."""
    return getattr(column.property.columns[0].type, "length", None)


def field_name(field: str) -> object:
    """The name of a text field in an error: shown in the reader's language (an unknown one as is)."""
    return i18n.Lazy(FIELDS[field], "text_field:" + field) if field in FIELDS else field


def _bad(field: str, code: str, ch: str | None = None, **extra: object) -> ValidationError:
    params: dict[str, object] = dict(field=field_name(field), **extra)
    if ch is not None:
        params["char"] = f"U+{ord(ch):04X}"
    return ValidationError(code, **params)


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: some character that is not a space, a format character, a
    combining mark or a blank filler."""
    if _PLAINLY_VISIBLE.search(text):
        return True
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
    found = (_REFUSED_MULTILINE if multiline else _REFUSED).search(value)
    if found:
        raise _bad(field, "text_bad_char", found.group())
    if required and value and not visible(value):
        raise _bad(field, "text_invisible")
    if max_len is not None and len(value) > max_len:
        raise _bad(field, "text_too_long", max=max_len)
    return value
