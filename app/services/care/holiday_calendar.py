"""The shop's care calendar: festivals, public holidays and solar terms a greeting goes out on.

Each entry has a ``key`` (part of its dedupe keys), English and Chinese names, and a ``rule``:
  solar:MM-DD     the same solar day every year (e.g. solar:03-08)
  lunar:MM-DD     a lunar day, converted per year with lunar-python (e.g. lunar:08-15, 中秋)
  term:NAME       a solar term by its Chinese name (e.g. term:冬至)
  public:NAME     the first day of a CN public holiday as the ``holidays`` package names it in
                  English (e.g. public:National Day), so official changes arrive with the package
  date:YYYY-MM-DD one day only (a shop's anniversary sale, an opening day)
The defaults are written nowhere until the shop edits the calendar; then the whole list is stored
under the ``care_calendar`` setting.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_pkg

from app import i18n
from app.errors import NotFound, ValidationError
from app.i18n import NC_
from app.services.care import config as care_config
from app.services.care.dates import SOLAR_TERMS, check_lunar, lunar_of, lunar_to_solar, solar_on, solar_term
from app.services.base.context import Ctx


@dataclass(frozen=True)
class HolidayEntry:
    key: str
    rule: str
    name_en: str
    name_zh: str

    def name(self, lang: str) -> str:
        return i18n.pick(lang, self.name_en, self.name_zh, context="holiday")


# The names are the shop's data once saved; a default one reads in the reader's Chinese (i18n.pick).
DEFAULT_CALENDAR = (
    HolidayEntry("new_year", "public:New Year's Day", NC_("holiday", "New Year's Day"), "元旦"),
    HolidayEntry("spring_festival", "lunar:01-01", NC_("holiday", "Spring Festival"), "春节"),
    HolidayEntry("lantern", "lunar:01-15", NC_("holiday", "Lantern Festival"), "元宵节"),
    HolidayEntry("dragon_boat", "lunar:05-05", NC_("holiday", "Dragon Boat Festival"), "端午节"),
    HolidayEntry("mid_autumn", "lunar:08-15", NC_("holiday", "Mid-Autumn Festival"), "中秋节"),
    HolidayEntry("national_day", "public:National Day", NC_("holiday", "National Day"), "国庆节"),
    HolidayEntry("double_ninth", "lunar:09-09", NC_("holiday", "Double Ninth Festival"), "重阳节"),
    HolidayEntry("winter_solstice", "term:冬至", NC_("holiday", "Winter Solstice"), "冬至"),
)

_RULE = re.compile(r"^(solar|lunar|term|public|date):(.+)$")
_MD = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_KEY = re.compile(r"^[a-z0-9_]{1,40}$")


def _bad_rule(rule: object) -> ValidationError:
    return ValidationError("care_holiday_rule_invalid", rule=rule)


@lru_cache(maxsize=64)
def _public(year: int) -> dict[str, date]:
    """English name -> first day, of the CN public holidays in ``year``."""
    first: dict[str, date] = {}
    for day, names in sorted(holidays_pkg.country_holidays("CN", years=year, language="en_US").items()):
        for name in names.split("; "):
            first.setdefault(name, day)
    return first


def check_rule(rule: str) -> str:
    """The rule, tidied, or a ValidationError saying what a rule looks like."""
    text = (rule or "").strip()
    m = _RULE.match(text)
    if not m:
        raise _bad_rule(rule)
    kind, arg = m.group(1), m.group(2).strip()
    if kind in ("solar", "lunar"):
        md = _MD.match(arg)
        if not md:
            raise _bad_rule(rule)
        month, day = int(md.group(1)), int(md.group(2))
        if kind == "lunar":
            check_lunar(month, day)
        else:
            try:
                date(2000, month, day)
            except ValueError:
                raise _bad_rule(rule) from None
        return f"{kind}:{month:02d}-{day:02d}"
    if kind == "term":
        if arg not in SOLAR_TERMS:
            raise ValidationError("care_term_unknown", term=arg)
        return f"term:{arg}"
    if kind == "public":
        if arg not in _public(date.today().year):
            raise ValidationError("care_public_unknown", name=arg, known=", ".join(sorted(_public(date.today().year))))
        return f"public:{arg}"
    try:
        return f"date:{date.fromisoformat(arg).isoformat()}"
    except ValueError:
        raise _bad_rule(rule) from None


def occurrence(entry: HolidayEntry, year: int) -> tuple[int, date] | None:
    """(year key, date) of ``entry`` in its ``year`` (lunar year for lunar rules), or None."""
    kind, arg = entry.rule.split(":", 1)
    if kind == "solar":
        month, day = (int(x) for x in arg.split("-"))
        return year, solar_on(year, month, day)
    if kind == "lunar":
        month, day = (int(x) for x in arg.split("-"))
        return year, lunar_to_solar(year, month, day, False)
    if kind == "term":
        return year, solar_term(year, arg)
    if kind == "public":
        day = _public(year).get(arg)
        return (year, day) if day else None
    day = date.fromisoformat(arg)
    return (year, day) if day.year == year else None


def between(entries: tuple[HolidayEntry, ...], first: date, last: date) -> list[tuple[HolidayEntry, int, date]]:
    """Every (entry, year key, date) with its date in [first, last]."""
    found = []
    lunar_first = lunar_of(first)[0]
    for entry in entries:
        lunar = entry.rule.startswith("lunar:")
        years = range(lunar_first if lunar else first.year, last.year + 1)
        for year in years:
            hit = occurrence(entry, year)
            if hit and first <= hit[1] <= last:
                found.append((entry, hit[0], hit[1]))
    return found


# --- the shop's own calendar ------------------------------------------------------------------
def load(ctx: Ctx) -> tuple[HolidayEntry, ...]:
    stored = care_config.get_json(ctx, care_config.CALENDAR_KEY)
    if stored is None:
        return DEFAULT_CALENDAR
    return tuple(HolidayEntry(e["key"], e["rule"], e.get("name_en", e["key"]), e.get("name_zh", e.get("name_en", "")))
                 for e in stored)


def calendar(ctx: Ctx) -> tuple[HolidayEntry, ...]:
    """The shop's care calendar (the defaults until the shop edits it)."""
    return load(ctx)


def _save(ctx: Ctx, change, action: str, detail: dict) -> tuple[HolidayEntry, ...]:
    from app.services.base import audit, permissions

    permissions.require(ctx, "change_settings")
    with ctx.tx() as t:
        entries = change(list(load(t)))
        care_config.put_json(t, care_config.CALENDAR_KEY,
                             [dict(key=e.key, rule=e.rule, name_en=e.name_en, name_zh=e.name_zh) for e in entries])
        audit.record(t, action, "settings", care_config.CALENDAR_KEY, after=detail)
        return tuple(entries)


def add_holiday(ctx: Ctx, *, key: str, rule: str, name_en: str, name_zh: str) -> tuple[HolidayEntry, ...]:
    """Add a day to the shop's care calendar (owner only; audited)."""
    key = (key or "").strip().lower()
    if not _KEY.match(key):
        raise ValidationError("care_holiday_key_invalid", key=key)
    rule = check_rule(rule)
    name_en, name_zh = (name_en or "").strip(), (name_zh or "").strip()
    if not name_en or not name_zh:
        raise ValidationError("care_holiday_name_empty")

    def change(entries: list[HolidayEntry]) -> list[HolidayEntry]:
        if any(e.key == key for e in entries):
            raise ValidationError("care_holiday_duplicate", key=key)
        return entries + [HolidayEntry(key, rule, name_en, name_zh)]

    return _save(ctx, change, "care.calendar.add", {"key": key, "rule": rule})


def remove_holiday(ctx: Ctx, key: str) -> tuple[HolidayEntry, ...]:
    """Take a day off the shop's care calendar (owner only; audited)."""
    def change(entries: list[HolidayEntry]) -> list[HolidayEntry]:
        kept = [e for e in entries if e.key != key]
        if len(kept) == len(entries):
            raise NotFound("care_holiday_not_found", key=key)
        return kept

    return _save(ctx, change, "care.calendar.remove", {"key": key})


def reset_calendar(ctx: Ctx) -> tuple[HolidayEntry, ...]:
    """Back to the default calendar."""
    return _save(ctx, lambda _entries: list(DEFAULT_CALENDAR), "care.calendar.reset", {})


def next_days(entries: tuple[HolidayEntry, ...], start: date, days: int = 366) -> list[tuple[HolidayEntry, date]]:
    """The calendar's days from ``start`` on (for a settings screen or docs), in date order."""
    return sorted(((e, d) for e, _y, d in between(entries, start, start + timedelta(days=days))), key=lambda x: x[1])
