"""Text from the database made safe for where it goes out: a receipt printer, a terminal, a spreadsheet.

Data can hold anything (rows written before input was checked, imports, another program): an ESC
in a member's name is an ESC/POS command to the printer (``ESC p 0`` opens the cash drawer) and an
ANSI escape to a terminal, a bidi override reorders what the reader sees, and a C0 control other
than tab, LF and CR is illegal in an XLSX file's XML. So everything data-derived passes through
here on its way out (DESIGN.md, "Files going out are safe"), whatever was checked on the way in.
"""
from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, bidi embeddings/overrides (U+202A-202E) and isolates
# (U+2066-2069), lone surrogates (not text; they cannot even be encoded).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_BREAKS = re.compile("[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")


def clean(text: str, keep: str = "") -> str:
    """``text`` without the unsafe characters above, except those in ``keep``."""
    if not _UNSAFE.search(text):
        return text
    if not keep:
        return _UNSAFE.sub("", text)
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else "", text)


def printable(text: object) -> str:
    """One line for a receipt or a label: line breaks and tabs become one space, other unsafe
    characters go."""
    return clean(_BREAKS.sub(" ", str(text)))


def terminal(text: object) -> str:
    """Text for a terminal: lines and tabs kept, every other control (ANSI escapes) removed."""
    return clean(str(text), keep="\n\t")


def cell(text: str) -> str:
    """A spreadsheet cell: tab, LF and CR are allowed in its XML, the rest is not."""
    return clean(text, keep="\t\n\r")
