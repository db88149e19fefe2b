"""Errors that services raise, and the one catalogue that renders them for UI and CLI alike.

A ShopError carries a ``code`` and NEUTRAL values to show (``method="wallet"``, ``role="cashier"``,
a number, a file name, or an :func:`app.i18n.L_` text); ``render(err, lang)`` turns it into a
sentence in any language of :data:`app.i18n.LANGUAGES`, so the same failure reads the same
everywhere. The English below is the message id; the translations are in
resources/locale/<lang>/LC_MESSAGES/shopcare.po with the code as msgctxt (scripts/i18n.py).
"""
from __future__ import annotations

from collections.abc import Mapping

from app import i18n


class ShopError(Exception):
    """Base of every refusal a service makes. Nothing has been changed when one is raised."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(render(self, "en"))


class ValidationError(ShopError):
    """Input that cannot be accepted as it is."""


class NotFound(ShopError):
    """A member, product, sale, voucher… that does not exist."""


class Duplicate(ShopError):
    """Something that must be unique already exists."""


class InsufficientFunds(ShopError):
    """Stored value, points or count-card uses that are not there."""


class PermissionDenied(ShopError):
    """The acting staff member may not do this."""


class Conflict(ShopError):
    """The thing changed state (used voucher, refunded sale, …) so the request no longer applies."""


class Busy(ShopError):
    """The database stayed busy past the timeout (another till or a long job is writing). Nothing
    was committed: running the whole service call again is safe."""


class ImportFailed(ShopError):
    """An import refused as a whole; ``params['rows']`` lists (row number, reason) pairs."""


# The texts themselves (one table per kind of name) live in app/error_texts.py; callers name them
# through this module.
from app.error_texts import CATALOGUE, FIELD_LABELS, PAYMENT_METHODS, PLURALS, ROLE_NAMES  # noqa: E402,F401


# Which table names a neutral value, by the parameter that carries it: (table, msgctxt prefix).
_NAMED: dict[str, tuple[dict[str, str], str]] = {
    "role": (ROLE_NAMES, "role:"), "field": (FIELD_LABELS, "field:"), "key": (FIELD_LABELS, "field:"),
    "what": (FIELD_LABELS, "field:"), "method": (PAYMENT_METHODS, "method:"),
}


def method_name(method: str, lang: str | None) -> str:
    """A payment method's one name in ``lang`` (an unknown code is shown as it is)."""
    entry = PAYMENT_METHODS.get(method)
    return i18n.entry(lang, entry, context="method:" + method) if entry else method


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def quoted(value: str, limit: int = 40) -> str:
    """A value as a message quotes it: cut when long (an import cell can hold a whole paragraph)."""
    return value if len(value) <= limit else value[:limit - 1] + "…"


def value_text(name: str, value: object, lang: str | None) -> object:
    """One parameter of an error as the reader sees it: a neutral value named in ``lang``, a lazy
    text (:func:`app.i18n.L_`) or a two-language shop value rendered, anything else as it is."""
    if hasattr(value, "render") and callable(value.render):
        return value.render(lang)
    if name == "region" and isinstance(value, str) and len(value) == 2 and value.isupper():
        # a region code (CN) as its name in the reader's language: 中国, 中國, China
        return i18n.region_name(value, lang)
    if isinstance(value, str) and name in _NAMED:
        table, prefix = _NAMED[name]
        if value in table:
            return i18n.entry(lang, table[value], context=prefix + value)
    return value


class _Pairs(Mapping):
    """The catalogue as code -> (English, Simplified Chinese): for checks that both are written."""

    def __getitem__(self, code: str) -> tuple[str, str]:
        entry = CATALOGUE[code]
        return (entry[0] if isinstance(entry, tuple) else entry), i18n.entry("zh_CN", entry, context=code)

    def __iter__(self):
        return iter(CATALOGUE)

    def __len__(self) -> int:
        return len(CATALOGUE)


CATALOGUE_PAIRS: Mapping[str, tuple[str, str]] = _Pairs()


def render(err: ShopError, lang: str | None = "en") -> str:
    """The error as a sentence in ``lang`` (any spelling :func:`app.i18n.normalise` knows)."""
    entry = CATALOGUE.get(err.code)
    if entry is None:
        return f"{err.code}: {err.params}"
    params = {k: value_text(k, v, lang) for k, v in err.params.items()}
    if i18n.is_han(lang):  # a raise site written before the values were neutral (why=…, why_zh=…)
        params.update({k[:-3]: params[k] for k in list(params) if k.endswith("_zh") and params[k]})
    if err.code in PLURALS and isinstance(err.params.get(PLURALS[err.code][0]), int):
        count, (one, many) = PLURALS[err.code]
        return i18n.ngettext(lang, one, many, err.params[count]).format_map(_Keep(params))
    return i18n.entry(lang, entry, context=err.code).format_map(_Keep(params))
