"""Error texts that are stored (``messages.last_error``) or printed (the CLI, the outbox screen) never carry
credentials or a full phone number: a gateway may echo the request it refused, Authorization header and
all, and its refusal of a number quotes the number.

``scrub(text, secrets)`` hides Authorization / Basic / Bearer values, anything written like ``token=``,
``password:`` or ``"auth_token": "..."``, each of ``secrets`` (the configured account SID and auth token,
and their Basic form) wherever it appears, masks E.164 numbers, folds control characters to spaces and
cuts the text to ERROR_MAX characters.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Iterable

ERROR_MAX = 300
HIDDEN = "[hidden]"

_AUTH_HEADER = re.compile(r"(?i)\b(proxy-)?authorization\b(\W{0,4})[^\r\n\"'}\]]*")
_SCHEME = re.compile(r"(?i)\b(basic|bearer|digest)\s+[A-Za-z0-9+/=._~%:-]{6,}")
_KEY_VALUE = re.compile(
    r"(?i)\b((?:auth[_-]?)?token|access[_-]?token|password|passwd|pwd|secret|api[_-]?key|account[_-]?sid|sid)"
    r"(\"?'?\s*[=:]\s*\"?'?)([^\s\"'&,;}\]]+)")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
_E164 = re.compile(r"\+\d{7,15}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def basic_forms(user: str, password: str) -> tuple[str, ...]:
    """The secrets of an HTTP basic login as they may show up: each one, and the header's base64."""
    pair = f"{user}:{password}".encode("utf-8")
    return tuple(x for x in (user, password, base64.b64encode(pair).decode("ascii")) if x)


def _mask(number: str) -> str:
    return number[:-8] + "****" + number[-4:]


def scrub(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` fit to store or print (see the module's doc)."""
    out = str(text or "")
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        out = out.replace(secret, HIDDEN)
    out = _AUTH_HEADER.sub(lambda m: f"{m.group(1) or ''}Authorization: {HIDDEN}", out)
    out = _SCHEME.sub(lambda m: f"{m.group(1)} {HIDDEN}", out)
    out = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{HIDDEN}", out)
    out = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{HIDDEN}@", out)
    out = _E164.sub(lambda m: _mask(m.group(0)), out)
    out = _CONTROL.sub(" ", out).strip()
    return out if len(out) <= ERROR_MAX else out[:ERROR_MAX - 1] + "…"
