"""Money as integer minor units (fen, cents). Parsing and formatting live here and only here.

Below the UI every amount is an ``int`` of minor units in the shop's currency; ``Money`` tags one
with its currency for the edges (receipts, reports, texts). Never a float.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, get_currency_precision

from app.errors import ValidationError, quoted

# Shop-sized bounds. Every amount and count entering a service is an int (never a bool, float or
# Decimal) within these; the ledger refuses a movement that would take a balance past its bound.
# They keep every value, and every sum ``shopcare check`` takes, far inside a 64-bit integer (past
# 2**63 SQLite turns the arithmetic into a float, and the driver refuses the value outright).
# A single amount above this is refused as absurd (10 million major units: ¥10,000,000.00).
MAX_MAJOR = 10_000_000
# A stored-value balance (each of paid principal and bonus), in minor units: ¥10,000,000,000.00,
# a thousand of the largest top-ups; any real shop is far below it.
MAX_BALANCE = 10 ** 12
# Points in one movement (adjustment, redemption, tender, earning): the largest sale at the most
# generous points rule (1,000 a unit, a 10x tier) earns 10**11.
MAX_POINTS = 10 ** 12
# A points balance.
MAX_POINTS_BALANCE = 10 ** 13
# Uses on one count card.
MAX_CARD_USES = 10_000


@lru_cache(maxsize=64)
def exponent(currency: str) -> int:
    """Decimal places of ``currency`` (asked for every amount an import reads: babel looks it up anew)."""
    return get_currency_precision(currency)


def parse_amount(text: str | int | Decimal, currency: str = "CNY", *, field: str = "amount",
                 allow_zero: bool = False, allow_negative: bool = False) -> int:
    """Parse a major-unit amount ("58", "58.5", "1,234.00", "¥58") into minor units.

    Only plain forms (see :func:`plain_number`): digits with an optional ``.`` and decimals,
    thousands grouped by ``,`` in threes, an optional sign and a leading currency sign. Refuses
    everything else (``1.000,00``, ``1,0,0``, ``5e2``, ``1_000``), more decimals than the currency
    has, zero (unless allowed), negatives (unless allowed) and absurd sizes, each with a clear error.
    """
    raw = format(text, "f") if isinstance(text, Decimal) else str(text).strip()
    simple = _SIMPLE.fullmatch(raw)
    if simple is not None and len(simple.group(2) or "") <= exponent(currency):
        # "28", "28.5": most cells of a price list, read without the general path's Decimal work
        exp = exponent(currency)
        minor = int(simple.group(1)) * 10 ** exp + int((simple.group(2) or "").ljust(exp, "0") or 0)
        return check_amount(minor, currency, field=field, allow_zero=allow_zero, allow_negative=allow_negative)
    shown = quoted(raw)
    number = plain_number(raw, symbols=True)
    bare = raw.lstrip("-+ ").upper()
    if any(bare.startswith(p) and c != currency for p, c in _PREFIX_CURRENCY.items()):
        number = None   # another currency's sign
    if number is None:
        raise ValidationError("amount_invalid", field=field, value=shown)
    value = Decimal(number)
    exp = exponent(currency)
    negative, significant, e = decimal_digits(value)
    if significant and len(significant) + e > _MAX_INT_DIGITS:  # "1" and 5,000 zeros: refused uncomputed
        if negative and not allow_negative:
            raise ValidationError("amount_negative", field=field, value=shown)
        raise ValidationError("amount_absurd", field=field, value=shown)
    if significant and e + exp < 0:  # "1.234"
        raise ValidationError("amount_too_precise", field=field, value=shown, places=exp)
    minor_int = int(significant or "0") * 10 ** max(e + exp, 0) * (-1 if negative else 1)
    check_amount(minor_int, currency, field=field, allow_zero=allow_zero, allow_negative=allow_negative)
    return minor_int


# A number as people write it in a shop: optional sign, digits, thousands in groups of three after
# a comma (only with "." as the decimal point), optional decimals. Decimal() alone also takes
# "5e2", "1_000", "Infinity" and digits of any script, and stripping every comma made "1,0,0" a
# hundred and "1.000,00" one: a guess about which form a file meant is never made.
_PLAIN = re.compile(r"([-+]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.([0-9]*))?")  # "12." as typed, on its way to "12.5"
_SIMPLE = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,4}))?")
_CURRENCY_SIGNS = "¥￥$"
# The signs the shops' currencies are written with before the digits (longest first): "NT$200",
# "HK$50", "US$5", "MOP$10" are read as typed in a TWD, HKD, USD or MOP shop, and refused in any
# other (parse_amount): HK$50 is not 50 of another currency.
_PREFIX_CURRENCY = {"MOP$": "MOP", "NT$": "TWD", "HK$": "HKD", "US$": "USD", "CN¥": "CNY", "CN￥": "CNY"}
_CURRENCY_PREFIXES = tuple(_PREFIX_CURRENCY) + tuple(_CURRENCY_SIGNS)
# Full-width digits, comma, point and signs, as a Chinese input method types them.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－＋", "0123456789,.-+")


def plain_number(text: str, *, symbols: bool = False) -> str | None:
    """``text`` as a plain decimal string ("-1234.5") when it is written in an accepted form,
    else None. ``symbols``: a currency sign may stand before the digits ("¥58", "-¥5")."""
    t = text.strip().translate(_FULL_WIDTH)
    if symbols:
        sign = t[:1] if t[:1] in "-+" else ""
        rest = t[len(sign):].strip()
        prefix = next((p for p in _CURRENCY_PREFIXES if rest.upper().startswith(p)), "")
        if prefix:
            t = sign + rest[len(prefix):].strip()
    m = _PLAIN.fullmatch(t)
    if m is None or not (m.group(2) or m.group(3)):
        return None
    sign, whole, decimals = m.groups()
    return f"{'-' if sign == '-' else ''}{(whole or '0').replace(',', '')}" + (f".{decimals}" if decimals else "")


# Digits before the point past which an amount is refused without computing it (MAX_MAJOR has 8).
_MAX_INT_DIGITS = 15


def decimal_digits(value: Decimal) -> tuple[bool, str, int]:
    """A finite Decimal as (negative, significant digits without trailing zeros, exponent of the
    last one): "1.50" is (False, "15", -1), "1e999999" is (False, "1", 999999), zero has no digits.
    Exact integer arithmetic, never the decimal context: its 28-digit precision would round
    "1.000000000000000000000000000001" to 1, and its exponent limits overflow on "1e999999"."""
    sign, digits, e = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    return bool(sign), significant, e + len(digits) - len(significant)


def check_amount(minor: int, currency: str = "CNY", *, field: str = "amount",
                 allow_zero: bool = False, allow_negative: bool = False) -> int:
    """Validate an amount already in minor units; return it."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise ValidationError("amount_invalid", field=field, value=repr(minor))
    if minor < 0 and not allow_negative:
        raise ValidationError("amount_negative", field=field, value=to_major_str(minor, currency))
    if minor == 0 and not allow_zero:
        raise ValidationError("amount_zero", field=field)
    if abs(minor) > MAX_MAJOR * 10 ** exponent(currency):
        raise ValidationError("amount_absurd", field=field, value=to_major_str(minor, currency))
    return minor


def to_major(minor: int, currency: str = "CNY") -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def to_major_str(minor: int, currency: str = "CNY") -> str:
    """Plain "58.00" (no grouping, no symbol): for CSV and logs."""
    exp = exponent(currency)
    return f"{to_major(minor, currency):.{exp}f}"


def round_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounding half away from zero (the shop rule for line discounts)."""
    q = Decimal(numerator) / Decimal(denominator)
    return int(q.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def whole_at_till(minor: int, currency: str) -> bool:
    """Whether ``minor`` is shown without decimals: a whole amount in a currency whose cash has no
    minor unit though ISO 4217 gives it one (CLDR's cash digits; TWD: NT$200, not NT$200.00).
    Amounts are still kept in ISO 4217 minor units (TWD cents), so a discounted NT$33.50 shows its
    cents: nothing is rounded for display."""
    exp = exponent(currency)
    return exp > 0 and _cash_digits(currency) == 0 and minor % 10 ** exp == 0


@lru_cache(maxsize=64)
def _cash_digits(currency: str) -> int:
    from babel.core import get_global

    fractions = get_global("currency_fractions")
    return fractions.get(currency, fractions["DEFAULT"])[2]


def format_money(minor: int, currency: str = "CNY", locale: str = "en") -> str:
    """Amount for people: "¥58.00" in Chinese, "CN¥58.00" in English; TWD whole amounts without
    decimals ("NT$200"). ``locale``: a language code (app.i18n) or a CLDR locale ("en_GB")."""
    shape = _money_shape(locale, currency) if isinstance(minor, int) else None
    if shape is not None:   # what babel writes, without loading its locale data (every amount shown)
        return _shaped(minor, currency, shape)
    return _babel_money(minor, currency, locale)


def _babel_money(minor: int, currency: str, locale: str) -> str:
    loc = _babel_locale(locale)
    if whole_at_till(minor, currency):
        from babel.numbers import parse_pattern

        pattern = parse_pattern(loc.currency_formats["standard"].pattern)
        pattern.frac_prec = (0, 0)
        return pattern.apply(to_major(minor, currency), loc, currency=currency, currency_digits=False)
    return format_currency(to_major(minor, currency), currency, locale=loc)


def _shaped(minor: int, currency: str, shape: tuple[str, ...]) -> str:
    prefix, suffix, neg_prefix, neg_suffix, decimal, group = shape
    scale = exponent(currency)
    number = _plain(abs(minor), scale, 0 if whole_at_till(minor, currency) else scale, decimal, group, "")
    return f"{neg_prefix}{number}{neg_suffix}" if minor < 0 else f"{prefix}{number}{suffix}"


@lru_cache(maxsize=64)
def _money_shape(locale: str, currency: str) -> tuple[str, ...] | None:
    """(prefix, suffix, negative prefix, negative suffix, decimal, group) that write an amount of
    ``currency`` exactly as babel does in ``locale`` (checked on sample amounts once per locale,
    currency and babel version, and kept in the user's cache); None: use babel."""
    return _kept("money", f"{locale}|{currency}", 6, lambda: _checked_money_shape(locale, currency))


def _checked_money_shape(locale: str, currency: str) -> tuple[str, ...] | None:
    symbols = _checked_symbols(locale)
    if symbols is None:
        return None
    decimal, group, _minus = symbols
    scale = exponent(currency)
    sample = 123456789 * 10 ** scale + (10 ** scale - 1)        # 123,456,789.99: every part of a number
    number = _plain(sample, scale, scale, decimal, group, "")
    sides = []
    for amount in (sample, -sample):
        text = _babel_money(amount, currency, locale)
        if text.count(number) != 1:
            return None
        sides.extend(text.split(number))
    shape = (*sides, decimal, group)
    unit = 10 ** scale
    for minor in (0, 1, 5, -5, 50, unit, -unit, 100 * unit, -1234 * unit, 1234567, -1234567, 999999999 * unit):
        if _babel_money(minor, currency, locale) != _shaped(minor, currency, shape):
            return None
    return shape


def _kept(folder: str, key: str, arity: int, work):
    """``work()``'s answer (a tuple of ``arity`` strings, or None), kept in the user's cache per
    babel version: loading babel's locale data costs ~50 ms of a start, and the answer never
    changes for one babel. A missing, damaged or foreign cache file is worked out again."""
    import json

    import babel

    from app import paths

    try:
        file = paths.cache_file(folder, f"1|{babel.__version__}|{key}", ".json")
    except OSError:   # no cache folder can be made: worked out every time
        return work()
    raw = paths.read_cache(file)
    try:
        kept = json.loads(raw) if raw else ...
    except ValueError:
        kept = ...
    if kept is None or (isinstance(kept, list) and len(kept) == arity and all(isinstance(x, str) for x in kept)):
        return tuple(kept) if kept else None
    found = work()
    paths.write_cache(file, json.dumps(found).encode())
    return found


def format_plain(minor: int, currency: str = "CNY", locale: str = "en") -> str:
    """Grouped amount without the currency sign ("1,234.00"), for e-bills and tables."""
    scale = exponent(currency)
    exp = 0 if whole_at_till(minor, currency) else scale
    symbols = _plain_symbols(locale)
    if symbols is not None:  # what babel writes, without its Decimal work (every sale's e-bill)
        return _plain(minor, scale, exp, *symbols)
    fmt = "#,##0" + ("." + "0" * exp if exp else "")
    return format_decimal(to_major(minor, currency), format=fmt, locale=_babel_locale(locale))


def format_int(value: int, locale: str = "en") -> str:
    """Grouped whole number, e.g. points "1,230"."""
    symbols = _plain_symbols(locale)
    if symbols is not None and isinstance(value, int):
        return _plain(value, 0, 0, *symbols)
    return format_decimal(value, locale=_babel_locale(locale))


def _plain(minor: int, scale: int, digits: int, decimal: str, group: str, minus: str) -> str:
    """``minor`` / 10**scale, grouped, with ``digits`` decimals (0 only for a whole amount)."""
    whole, frac = divmod(abs(minor), 10 ** scale)
    text = f"{whole:,}".replace(",", group) + (f"{decimal}{frac:0{digits}d}" if digits else "")
    return minus + text if minor < 0 else text


@lru_cache(maxsize=32)
def _plain_symbols(locale: str) -> tuple[str, str, str] | None:
    """(decimal, group, minus) of ``locale`` when plain Python formatting writes exactly what babel
    does for it (checked on sample amounts once per locale and babel version, and kept in the
    user's cache); None: use babel."""
    return _kept("numbers", locale, 3, lambda: _checked_symbols(locale))


def _checked_symbols(locale: str) -> tuple[str, str, str] | None:
    loc = _babel_locale(locale)
    try:
        sym = loc.number_symbols["latn"] if "latn" in loc.number_symbols else loc.number_symbols
        symbols = (sym["decimal"], sym["group"], sym["minusSign"])
    except (KeyError, TypeError):
        return None
    for minor in (0, 5, -5, 123456789, -1234567, 100000, 999):
        for exp in (0, 2, 3):
            fmt = "#,##0" + ("." + "0" * exp if exp else "")
            if format_decimal(Decimal(minor).scaleb(-exp), format=fmt, locale=loc) != _plain(minor, exp, exp, *symbols):
                return None
        if minor % 100 == 0 and format_decimal(Decimal(minor).scaleb(-2), format="#,##0", locale=loc) != _plain(
                minor, 2, 0, *symbols):
            return None
        if format_decimal(minor, locale=loc) != _plain(minor, 0, 0, *symbols):
            return None
    return symbols


def format_day(day, locale: str = "en", width: str = "full") -> str:
    """A date for people: "Saturday, November 28, 2026" / "2026年11月28日星期六" (babel's widths)."""
    from babel.dates import format_date

    return format_date(day, width, locale=_babel_locale(locale))


@lru_cache(maxsize=32)
def _babel_locale(locale: str) -> Locale:
    """The babel Locale for our language code, parsed once: ``Locale.parse`` of a string checks the
    locale data files on every call (about half a millisecond, several times per sale)."""
    from app import i18n

    if not locale or locale in i18n.LANGUAGES or "_" not in locale:   # "zh", "en": a language, no region
        return Locale.parse(i18n.babel_locale(locale))
    try:  # a CLDR locale of a language and region (services/region.format_locale): "en_GB", "zh_Hant_HK"
        return Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(i18n.babel_locale(locale))


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str = "CNY"

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def format(self, locale: str = "en") -> str:
        return format_money(self.minor, self.currency, locale)

    def __str__(self) -> str:
        return to_major_str(self.minor, self.currency)
