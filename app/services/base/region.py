"""The shop's region: what a first start proposes from the computer's locale (language, currency,
phone region), the locale amounts and dates are formatted in, and the defaults ShopCare seeds in
yuan scaled to the shop's currency.

The region itself is the ``region`` shop setting (ISO 3166 code, validated in settings.py): the
default region every phone number is read in (``phones.normalize``). A shop that never stored one
reads numbers as mainland China's, as before. Plain Python: no Qt here (the first-run screen passes
``QLocale.system().name()``; ``shopcare init`` passes the environment).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from app import i18n
from app.money import exponent


@dataclass(frozen=True)
class Proposal:
    language: str   # one of app.i18n.LANGUAGES
    currency: str   # ISO 4217
    region: str     # ISO 3166-1 alpha-2, a region phonenumbers knows


# What an unknown or C locale proposes; what a shop without a stored region keeps (settings' defaults).
FALLBACK = Proposal("en", "USD", "US")
LEGACY = Proposal("zh_CN", "CNY", "CN")

# Offered first in the region pickers (any other region phonenumbers knows can be typed).
COMMON_REGIONS = ("CN", "HK", "MO", "TW", "SG", "MY", "US", "CA", "GB", "AU", "JP")

# A language without a territory ("zh", "zh_Hant", "en") stands for this region.
_LANGUAGE_REGION = {"zh_CN": "CN", "zh_TW": "TW", "en": "US"}

# Environment variables naming the locale, in the order POSIX gives them precedence.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_TERRITORY = re.compile(r"^[A-Za-z]{2}$")


def _phone_regions() -> frozenset[str]:
    import phonenumbers  # only here: proposing needs it, formatting does not

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def currency_of(region: str) -> str | None:
    """The currency in use in ``region`` today (CLDR), or None when babel knows none."""
    from babel.numbers import get_territory_currencies

    try:
        found = get_territory_currencies(region.upper(), tender=True)
    except Exception:  # noqa: BLE001 (babel raises several kinds for unknown territories)
        return None
    return found[0] if found else None


def _territory(locale_name: str) -> str | None:
    """The territory part of "en_US.UTF-8", "zh-Hant-HK", "zh_TW@euro" (None when absent)."""
    raw = locale_name.split(".")[0].split("@")[0].replace("-", "_").strip()
    for part in raw.split("_")[1:]:
        if _TERRITORY.match(part):
            return part.upper()
    return None


def propose_from_locale(locale_name: str | None) -> Proposal:
    """Language, currency and phone region for a locale name as the system gives it:
    "en_US.UTF-8" -> en/USD/US, "zh_CN.UTF-8" -> zh_CN/CNY/CN, "zh_TW" -> zh_TW/TWD/TW,
    "zh_HK" -> zh_TW/HKD/HK, "en_GB" -> en/GBP/GB; "C", "POSIX", "" or nonsense -> FALLBACK.
    A language ShopCare does not speak yet ("fr_FR") still gives its region and currency, in English."""
    text = (locale_name or "").strip()
    if not text or text.split(".")[0].upper() in ("C", "POSIX"):
        return FALLBACK
    language = i18n.normalise(text)
    region = _territory(text)
    if region is None or region not in _phone_regions():   # a language alone: its usual region
        region = _LANGUAGE_REGION.get(language, FALLBACK.region)
    currency = currency_of(region) or FALLBACK.currency
    return Proposal(language, currency, region)


def system_locale_name(environ: dict | None = None) -> str:
    """The locale the environment names (LC_ALL, then LC_MESSAGES, then LANG; "C" and "POSIX"
    count as unset), or ""."""
    env = os.environ if environ is None else environ
    for key in LOCALE_VARIABLES:
        value = (env.get(key) or "").strip()
        if value and value.split(".")[0].upper() not in ("C", "POSIX"):
            return value
    return ""


def propose_from_env(environ: dict | None = None) -> Proposal:
    return propose_from_locale(system_locale_name(environ))


# --- formatting: language + region ---------------------------------------------------------------
@lru_cache(maxsize=64)
def format_locale(language: str | None, region: str | None = None) -> str:
    """The CLDR locale amounts and dates are formatted in for the shop's language and region:
    en + GB -> en_GB (28/11/2026), en + US -> en_US (11/28/2026), zh_TW + HK -> zh_Hant_HK,
    zh_CN + SG -> zh_Hans_SG. A pair CLDR does not know keeps the language's own locale."""
    from babel import Locale, UnknownLocaleError

    own = i18n.babel_locale(language)
    if not region:
        return own
    base = own.rsplit("_", 1)[0]        # "en_US" -> "en", "zh_Hant_TW" -> "zh_Hant"
    wanted = f"{base}_{region.upper()}"
    try:
        Locale.parse(wanted)
    except (UnknownLocaleError, ValueError):
        return own
    return wanted


# --- defaults seeded in yuan, scaled to the shop's currency --------------------------------------
# Not an exchange rate: the round amounts a shop in each currency would pick for the same ladder
# (a ¥50 voucher is a US$5, NT$200 or HK$50 voucher), as (multiply, divide) of the yuan amount,
# then rounded half up to a whole major unit (at least 1). A currency not listed keeps the same
# number of major units (change them in Settings).
DEFAULT_SCALE: dict[str, tuple[int, int]] = {
    "CNY": (1, 1), "HKD": (1, 1), "MOP": (1, 1),
    "TWD": (4, 1),
    "USD": (1, 10), "EUR": (1, 10), "GBP": (1, 10),
    "SGD": (1, 5), "AUD": (1, 5), "CAD": (1, 5),
    "MYR": (1, 2),
    "JPY": (20, 1),
}


def default_amount(cny_minor: int, currency: str) -> int:
    """A default written in fen (``cny_minor``) as a round amount in ``currency``'s minor units:
    ``default_amount(5000, "USD") == 500`` (¥50 -> US$5), ``(5000, "TWD") == 20000`` (NT$200)."""
    if currency == "CNY" or cny_minor == 0:
        return cny_minor
    mul, div = DEFAULT_SCALE.get(currency, (1, 1))
    major = (Decimal(cny_minor) / 100 * mul / div).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(int(major), 1) * 10 ** exponent(currency)


# --- before the first run ---------------------------------------------------------------------
def stored(ctx) -> Proposal | None:
    """The language, currency and region stored before the first run (``shopcare init`` stores
    what it proposed), or None when they are not all there."""
    import json

    from sqlalchemy import select

    from app.models import Setting

    keys = ("language", "currency", "region")
    with ctx.tx(write=False) as t:
        rows = dict(t.s.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())
    if set(rows) != set(keys):
        return None
    return Proposal(*(json.loads(rows[k]) for k in keys))
