"""Text bodies: safe placeholder filling and the SMS segment count (GSM-7 vs UCS-2).

Templates use ``{name}`` placeholders; only known keys are replaced and nothing is evaluated, so a
template can never run code or crash a sender.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

from app import i18n, paths

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

# The GSM 03.38 basic set and its extension table (each extension character costs two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXT = set("^{}\\[~]|€\f")


class Composed(str):
    """A text body that remembers what it was made of: its template kind (``ebill_sale``…) and the
    value of each placeholder as filled. ``outbox.enqueue`` stores both with the text, so a gateway
    that sends approved templates with parameters (Tencent Cloud SMS) can send them. Any change to the
    text (``strip``, ``+``) gives a plain ``str``: a text edited after filling has no template."""

    template_kind: str
    template_values: dict

    def __new__(cls, text: str, kind: str, values: dict) -> Composed:
        obj = super().__new__(cls, text)
        obj.template_kind = kind
        obj.template_values = {k: "" if v is None else str(v) for k, v in values.items()}
        return obj


def template_of(body: str) -> dict | None:
    """{"kind": …, "values": {…}} for a ``Composed`` body, else None (what the outbox stores)."""
    kind = getattr(body, "template_kind", None)
    return None if kind is None else {"kind": kind, "values": dict(body.template_values)}


def fill(template: str, values: dict[str, object]) -> str:
    """Replace ``{key}`` with ``values[key]``; unknown placeholders stay as typed."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def segments(body: str) -> tuple[int, str]:
    """(number of SMS segments, 'GSM-7' or 'UCS-2'). Chinese is UCS-2: 70 a single text, 67 a part."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXT for ch in body):
        septets = sum(2 if ch in _GSM_EXT else 1 for ch in body)
        return (1 if septets <= 160 else -(-septets // 153)), "GSM-7"
    units = len(body.encode("utf-16-le")) // 2
    return (1 if units <= 70 else -(-units // 67)), "UCS-2"


@lru_cache(maxsize=1)
def default_templates() -> dict[str, dict[str, str]]:
    """kind -> {lang: template} for every language: the English of resources/templates/default.json,
    translated by the shopcare PO (msgctxt ``template:<kind>``)."""
    with open(paths.resources_dir() / "templates" / "default.json", encoding="utf-8") as fh:
        english = json.load(fh)
    return {kind: {lang: i18n.gettext(lang, t["en"], context="template:" + kind) for lang in i18n.LANGUAGES}
            for kind, t in english.items()}


def template_for(kind: str, lang: str) -> str:
    """The default text only; what a shop sends is templates.template_for / templates.compose."""
    table = default_templates()[kind]
    return table.get(i18n.normalise(lang)) or table["en"]
