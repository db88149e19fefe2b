"""The readers of one import cell (yes/no, calendars, birthdays, dates, amounts, whole numbers) that say what is wrong and where: shared by the member, history and product imports."""
from __future__ import annotations

from datetime import date, datetime
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


def parse_datetime(value: Cell) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    match = DATE_TIME.match(cell_text(value))
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def cell_datetime(value: Cell, field: str) -> datetime:
    when = parse_datetime(value)
    if when is None:
        raise ValidationError("import_datetime", field=field, value=cell_shown(value))
    return when


def cell_any_date(value: Cell, field: str) -> date | None:
    """A date (an expiry: may be past or future); blank is None."""
    if not cell_text(value):
        return None
    when = parse_datetime(value)
    if when is None or when.time() != datetime.min.time():
        raise ValidationError("date_invalid", field=field, value=cell_shown(value))
    return when.date()


def cell_date(value: Cell, field: str, today: date) -> date | None:
    if not cell_text(value):
        return None
    when = parse_datetime(value)
    if when is None or when.time() != datetime.min.time():
        raise ValidationError("date_invalid", field=field, value=cell_shown(value))
    if when.date() > today:
        raise ValidationError("import_future", field=field, value=when.date().isoformat())
    return when.date()
