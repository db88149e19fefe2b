"""When a remembered month/day falls: solar dates, lunar dates (``lunar-python``) and solar terms.

Conventions (docs/care.md):
- a solar 29 February falls on 28 February in years without one;
- a lunar date is converted for the lunar year asked; a date in a leap month (闰月) falls in that
  leap month when the year has it, else in the ordinary month of the same number;
- a lunar day 30 falls on day 29 in a year whose month has only 29 days (小月).
An event's *year key* (used in dedupe keys) is the solar year of a solar date and the lunar year of a
lunar one: a lunar 11th or 12th-month birthday can fall in January of the next solar year, and a
solar year may even hold two of them, but each lunar year holds exactly one.
"""
from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache

from lunar_python import Lunar, LunarMonth, LunarYear, Solar

from app.errors import ValidationError

# The 24 solar terms (节气) by their Chinese names, in solar-year order.
SOLAR_TERMS = ("小寒", "大寒", "立春", "雨水", "惊蛰", "春分", "清明", "谷雨", "立夏", "小满", "芒种", "夏至",
               "小暑", "大暑", "立秋", "处暑", "白露", "秋分", "寒露", "霜降", "立冬", "小雪", "大雪", "冬至")


def check_lunar(month: int, day: int) -> None:
    """A lunar month/day that no year has (month 1-12, day 1-30) is refused."""
    if not (isinstance(month, int) and isinstance(day, int) and 1 <= month <= 12 and 1 <= day <= 30):
        raise ValidationError("lunar_date_invalid", month=month, day=day)


def leap_month_of(lunar_year: int) -> int:
    """The leap month of a lunar year (0: none)."""
    return LunarYear.fromYear(lunar_year).getLeapMonth()


@lru_cache(maxsize=16384)
def lunar_to_solar(lunar_year: int, month: int, day: int, leap: bool = False) -> date:
    """The solar date of lunar ``month``/``day`` (``leap``: of the leap month) in ``lunar_year``,
    with the conventions above when that exact day does not exist in that year."""
    check_lunar(month, day)
    signed = -month if leap and leap_month_of(lunar_year) == month else month
    last = LunarMonth.fromYm(lunar_year, signed).getDayCount()
    s = Lunar.fromYmd(lunar_year, signed, min(day, last)).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


@lru_cache(maxsize=4096)
def lunar_of(d: date) -> tuple[int, int, int, bool]:
    """(lunar year, month 1-12, day, in a leap month) of a solar date."""
    lunar = Solar.fromYmd(d.year, d.month, d.day).getLunar()
    return lunar.getYear(), abs(lunar.getMonth()), lunar.getDay(), lunar.getMonth() < 0


def solar_on(year: int, month: int, day: int) -> date:
    """Solar ``month``/``day`` in ``year``; 29 February moves to the 28th in a common year."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def year_key_on(kind: str, month: int, day: int, leap: bool, d: date) -> int | None:
    """If a ``kind`` ('solar' or 'lunar') month/day falls on ``d``, the year it belongs to, else None."""
    if kind == "lunar":
        year = lunar_of(d)[0]
        return year if lunar_to_solar(year, month, day, leap) == d else None
    try:
        return d.year if solar_on(d.year, month, day) == d else None
    except ValueError:  # a solar date no year has (31 April): never falls
        return None


def solar_keys_on(d: date) -> list[tuple[int, int]]:
    """Every solar (month, day) that falls on ``d``."""
    keys = [(d.month, d.day)]
    if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
        keys.append((2, 29))
    return keys


def lunar_keys_on(d: date) -> list[tuple[int, int, bool]]:
    """Every lunar (month, day, leap) that falls on ``d`` under the conventions above: the day itself,
    a missing day 30 moved here, a leap-month date whose leap month this year lacks."""
    year, month, day, _leap = lunar_of(d)
    found = []
    for cand_day in sorted({day, 30}):
        for leap in (False, True):
            if lunar_to_solar(year, month, cand_day, leap) == d:
                found.append((month, cand_day, leap))
    return found


@lru_cache(maxsize=512)
def solar_term(year: int, name: str) -> date:
    """The date of solar term ``name`` (e.g. 冬至) in solar ``year``."""
    if name not in SOLAR_TERMS:
        raise ValidationError("care_term_unknown", term=name)
    # The table of lunar year ``year`` runs from 大雪 of the year before to 惊蛰 of the year after,
    # keyed by Chinese names in the middle and pinyin at the ends: ask each date its own term.
    for solar in Lunar.fromYmd(year, 1, 1).getJieQiTable().values():
        if solar.getYear() == year and solar.getLunar().getJieQi() == name:
            return date(solar.getYear(), solar.getMonth(), solar.getDay())
    raise ValidationError("care_term_unknown", term=name)  # pragma: no cover - every year has all 24
