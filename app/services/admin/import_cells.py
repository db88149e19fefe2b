"""The readers of one import cell (yes/no, calendars, birthdays, dates, amounts, whole numbers) that say what is wrong and where: shared by the member, history and product imports."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.errors import ValidationError, quoted
from app.money import MAX_MAJOR, check_amount, decimal_digits, parse_amount, plain_number
from app.services.admin.import_columns import DATE_TIME, LUNAR_WORDS, MIDNIGHT, NO_WORDS, SOLAR_WORDS, YES_WORDS
from app.services.base.settings import ShopSettings
from app.services.base.tabular import Cell, Row
from app.services.members import members


def no_extra_columns(row: Row) -> None:
    if row.extra:
        raise ValidationError("import_extra_cells", value=cell_shown(row.extra))


def cell_text(value: Cell) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "").strip()


def cell_yes_no(value: Cell, field: str) -> bool:
    text = cell_text(value).casefold()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise ValidationError("import_yes_no", field=field, value=cell_shown(value))


def cell_calendar(value: Cell, field: str) -> str:
    text = cell_text(value).casefold()
    if text in SOLAR_WORDS:
        return "solar"
    if text in LUNAR_WORDS:
        return "lunar"
    raise ValidationError("import_calendar", field=field, value=cell_shown(value))


def cell_birthday(value: Cell, calendar: str) -> members.Birthday | None:
    if isinstance(value, (date, datetime)):
        return members.parse_birthday(value, calendar=calendar)
    text = MIDNIGHT.sub("", cell_text(value))  # "1990-03-05 00:00:00" from a spreadsheet's CSV
    return members.parse_birthday(text or None, calendar=calendar)


def cell_amount(value: Cell, cfg: ShopSettings, field: str) -> int:
    text = cell_text(value)
    if not text:
        return 0
    return parse_amount(text, cfg.currency, field=field, allow_zero=True)


def cell_whole(value: Cell, field: str) -> int:
    text = cell_text(value)
    if not text:
        return 0
    number = whole_number(text)
    if number is None or number < 0:
        raise ValidationError("import_whole_number", field=field, value=cell_shown(value))
    if number > WHOLE_MAX:
        raise ValidationError("amount_absurd", field=field, value=cell_shown(value))
    return check_amount(number, field=field, allow_zero=True)


# Points above this are absurd (check_amount's own limit, 10 million x 100); a larger whole number
# is refused before it is computed ("1e999999" as an int would take minutes).
WHOLE_MAX = MAX_MAJOR * 100


def whole_number(text: str) -> int | None:
    """``text`` as a whole number ("12", "1,200", "1.0"), exactly; None when it is not one or not
    in a plain form (money.plain_number: no "1e3", "1_000" or "1,0,0"). A number far beyond any
    count comes back as ``WHOLE_MAX + 1`` (its sign kept) without being computed."""
    plain = plain_number(text)
    if plain is None:
        return None
    number = Decimal(plain)
    negative, significant, exp = decimal_digits(number)
    if not significant:
        return 0
    if exp < 0:
        return None
    if len(significant) + exp > len(str(WHOLE_MAX)):
        return -(WHOLE_MAX + 1) if negative else WHOLE_MAX + 1
    return int(significant) * 10 ** exp * (-1 if negative else 1)


def cell_shown(value: Cell) -> str:
    """A cell as an error message quotes it: cut when very long."""
    return quoted(cell_text(value))


# Day and month in either order (5.3.2024, 3/25/2024): read only where the order cannot matter.
OTHER_ORDER = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$")
SERIAL = re.compile(r"^\d{5,6}(?:\.\d+)?$")   # an Excel date serial saved as text: 45356 is 2024-03-05
EXCEL_EPOCH = datetime(1899, 12, 30)
SERIAL_RANGE = (10_000, 109_574)               # 1927-05-18 .. 2199-12-31 (a bare 2024 is a year, not a day)


def read_datetime(value: Cell) -> datetime | tuple[date, date] | None:
    """A date (and time) as old software exports it: a spreadsheet's own date, 2024-03-05, 2024/3/5,
    2024年3月5日, an Excel serial (45356, 45356.5), or day and month in either order with the year last
    (25.3.2024, 3/25/2024). None when it is no date; the two readings when day and month could be
    either (5.3.2024), which the importer refuses rather than guess."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = cell_text(value)
    match = DATE_TIME.match(text)
    try:
        if match:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
            return datetime(y, mo, d, h, mi, s)
        if SERIAL.match(text):
            days = float(text)
            if not SERIAL_RANGE[0] <= days <= SERIAL_RANGE[1]:
                return None
            return (EXCEL_EPOCH + timedelta(days=days)).replace(microsecond=0)
        match = OTHER_ORDER.match(text)
        if not match:
            return None
        a, b, y, h, mi, s = (int(g) if g else 0 for g in match.groups())
        if a > 12 or b > 12 or a == b:
            d, mo = (a, b) if a > 12 or a == b else (b, a)
            return datetime(y, mo, d, h, mi, s)
        return date(y, b, a), date(y, a, b)      # day first, month first
    except (ValueError, OverflowError):
        return None


def parse_datetime(value: Cell) -> datetime | None:
    when = read_datetime(value)
    return when if isinstance(when, datetime) else None


def _ambiguous(value: Cell, field: str, readings: tuple[date, date]) -> ValidationError:
    return ValidationError("import_date_ambiguous", field=field, value=cell_shown(value),
                           first=readings[0].isoformat(), second=readings[1].isoformat())


def cell_datetime(value: Cell, field: str) -> datetime:
    when = read_datetime(value)
    if isinstance(when, tuple):
        raise _ambiguous(value, field, when)
    if when is None:
        raise ValidationError("import_datetime", field=field, value=cell_shown(value))
    return when


def cell_any_date(value: Cell, field: str) -> date | None:
    """A date (an expiry: may be past or future); blank is None."""
    if not cell_text(value):
        return None
    when = read_datetime(value)
    if isinstance(when, tuple):
        raise _ambiguous(value, field, when)
    if when is None or when.time() != datetime.min.time():
        raise ValidationError("date_invalid", field=field, value=cell_shown(value))
    return when.date()


def cell_date(value: Cell, field: str, today: date) -> date | None:
    """A date that has happened (a join date); blank is None."""
    day = cell_any_date(value, field)
    if day is not None and day > today:
        raise ValidationError("import_future", field=field, value=day.isoformat())
    return day
