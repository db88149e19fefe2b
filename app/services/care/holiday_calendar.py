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

# The 24 solar terms (all but 冬至, which is in the defaults) under English keys, in calendar order.
TERM_KEYS = {
    "小寒": ("minor_cold", NC_("holiday", "Minor Cold")), "大寒": ("major_cold", NC_("holiday", "Major Cold")),
    "立春": ("start_of_spring", NC_("holiday", "Start of Spring")), "雨水": ("rain_water", NC_("holiday", "Rain Water")),
    "惊蛰": ("awakening_of_insects", NC_("holiday", "Awakening of Insects")),
    "春分": ("spring_equinox", NC_("holiday", "Spring Equinox")), "清明": ("qingming", NC_("holiday", "Qingming (Clear and Bright)")),
    "谷雨": ("grain_rain", NC_("holiday", "Grain Rain")), "立夏": ("start_of_summer", NC_("holiday", "Start of Summer")),
    "小满": ("grain_buds", NC_("holiday", "Grain Buds")), "芒种": ("grain_in_ear", NC_("holiday", "Grain in Ear")),
    "夏至": ("summer_solstice", NC_("holiday", "Summer Solstice")), "小暑": ("minor_heat", NC_("holiday", "Minor Heat")),
    "大暑": ("major_heat", NC_("holiday", "Major Heat")), "立秋": ("start_of_autumn", NC_("holiday", "Start of Autumn")),
    "处暑": ("end_of_heat", NC_("holiday", "End of Heat")), "白露": ("white_dew", NC_("holiday", "White Dew")),
    "秋分": ("autumn_equinox", NC_("holiday", "Autumn Equinox")), "寒露": ("cold_dew", NC_("holiday", "Cold Dew")),
    "霜降": ("frosts_descent", NC_("holiday", "Frost's Descent")), "立冬": ("start_of_winter", NC_("holiday", "Start of Winter")),
    "小雪": ("minor_snow", NC_("holiday", "Minor Snow")), "大雪": ("major_snow", NC_("holiday", "Major Snow")),
    "冬至": ("winter_solstice", NC_("holiday", "Winter Solstice")),
}

# Festivals a shop may switch on beside the defaults (lunar ones converted with lunar-python).
MORE_FESTIVALS = (
    HolidayEntry("valentines", "solar:02-14", NC_("holiday", "Valentine's Day"), "情人节"),
    HolidayEntry("dragon_head", "lunar:02-02", NC_("holiday", "Dragon Raises Its Head"), "龙抬头"),
    HolidayEntry("womens_day", "solar:03-08", NC_("holiday", "Women's Day"), "妇女节"),
    HolidayEntry("labour_day", "public:Labor Day", NC_("holiday", "Labour Day"), "劳动节"),
    HolidayEntry("childrens_day", "solar:06-01", NC_("holiday", "Children's Day"), "儿童节"),
    HolidayEntry("qixi", "lunar:07-07", NC_("holiday", "Qixi Festival"), "七夕"),
    HolidayEntry("ghost_festival", "lunar:07-15", NC_("holiday", "Zhongyuan Festival"), "中元节"),
    HolidayEntry("teachers_day", "solar:09-10", NC_("holiday", "Teachers' Day"), "教师节"),
    HolidayEntry("christmas", "solar:12-25", NC_("holiday", "Christmas"), "圣诞节"),
    HolidayEntry("laba", "lunar:12-08", NC_("holiday", "Laba Festival"), "腊八节"),
    HolidayEntry("little_new_year", "lunar:12-23", NC_("holiday", "Little New Year"), "小年"),
    # lunar 12-30 falls on the 29th in a year whose 12th month is short: always New Year's Eve
    HolidayEntry("new_years_eve", "lunar:12-30", NC_("holiday", "Chinese New Year's Eve"), "除夕"),
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


def choices() -> tuple[HolidayEntry, ...]:
    """Every day a shop can switch on: the default festivals, more festivals, and all 24 solar terms
    (冬至 among the defaults), each under its own key."""
    terms = tuple(HolidayEntry(key, f"term:{name}", en, name) for name, (key, en) in TERM_KEYS.items()
                  if key != "winter_solstice")
    return DEFAULT_CALENDAR + MORE_FESTIVALS + terms


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


def check_entry(entry: HolidayEntry) -> HolidayEntry:
    """One calendar day tidied (key, rule, names) or a ValidationError saying what is wrong."""
    key = (entry.key or "").strip().lower()
    if not _KEY.match(key):
        raise ValidationError("care_holiday_key_invalid", key=key)
    name_en, name_zh = (entry.name_en or "").strip(), (entry.name_zh or "").strip()
    if not name_en or not name_zh:
        raise ValidationError("care_holiday_name_empty")
    return HolidayEntry(key, check_rule(entry.rule), name_en, name_zh)


def set_calendar(ctx: Ctx, entries) -> tuple[HolidayEntry, ...]:
    """The whole care calendar at once (Settings › Care: days switched on and off, days of the
    shop's own); each day checked, keys unique; nothing changes on any error (owner only; audited)."""
    checked = [check_entry(e) for e in entries]
    seen: set[str] = set()
    for e in checked:
        if e.key in seen:
            raise ValidationError("care_holiday_duplicate", key=e.key)
        seen.add(e.key)
    return _save(ctx, lambda _entries: checked, "care.calendar.set", {"keys": sorted(seen)})


def switch(ctx: Ctx, keys, on: bool) -> tuple[HolidayEntry, ...]:
    """Switch days of ``choices()`` on (added as offered) or off (taken off), by key."""
    offered = {e.key: e for e in choices()}
    wanted = [k.strip().lower() for k in keys]
    for key in wanted:
        if key not in offered and on:
            raise NotFound("care_holiday_not_offered", key=key, keys=", ".join(offered))
    current = list(load(ctx))
    if on:
        have = {e.key for e in current}
        current += [offered[k] for k in dict.fromkeys(wanted) if k not in have]
    else:
        missing = [k for k in wanted if k not in {e.key for e in current}]
        if missing:
            raise NotFound("care_holiday_not_found", key=missing[0])
        current = [e for e in current if e.key not in wanted]
    return set_calendar(ctx, current)


def next_date(entry: HolidayEntry, start: date) -> date | None:
    """The first day of ``entry`` on or after ``start`` (within a year and a day), or None."""
    found = [d for _e, _y, d in between((entry,), start, start + timedelta(days=366))]
    return min(found) if found else None


def reset_calendar(ctx: Ctx) -> tuple[HolidayEntry, ...]:
    """Back to the default calendar."""
    return _save(ctx, lambda _entries: list(DEFAULT_CALENDAR), "care.calendar.reset", {})


def next_days(entries: tuple[HolidayEntry, ...], start: date, days: int = 366) -> list[tuple[HolidayEntry, date]]:
    """The calendar's days from ``start`` on (for a settings screen or docs), in date order."""
    return sorted(((e, d) for e, _y, d in between(entries, start, start + timedelta(days=days))), key=lambda x: x[1])
