"""Care actions due in a window of days: birthdays, anniversaries, membership anniversaries,
holidays and tier care plans. Planning only reads; the engine decides and writes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, extract, or_, select, tuple_

from app.models import CallbackTask, Member, MemberDate, Message, Tier
from app.services.care import dates as D
from app.services.care import holiday_calendar
from app.services.care.config import CareConfig, period_of, plan_id
from app.services.base.context import Ctx
from app.services.ledger import points


@dataclass(frozen=True)
class Action:
    """One care action for one member. ``due_on`` is the day it was due; it is still sent up to and
    including ``stale_after`` (None: never goes stale while planned)."""
    rule: str
    member_id: int
    member_name: str
    due_on: date
    dedupe_key: str
    channel: str                       # 'text' or 'task'
    template: str = ""                 # text template key (resources/templates/default.json)
    values: dict = field(default_factory=dict, hash=False, compare=False)
    stale_after: date | None = None
    task_source: str = ""              # callback_tasks.source for tasks: tier_care, gift, winback
    task_reason: str = ""
    voucher: dict | None = field(default=None, hash=False, compare=False)  # issue with the text
    rank: int = 0                      # win-back: position by past spend


def existing_keys(t: Ctx, keys: list[str]) -> set[str]:
    """Which of ``keys`` a text or a task already carries."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        found |= set(t.s.execute(select(Message.dedupe_key).where(Message.dedupe_key.in_(part))).scalars())
        found |= set(t.s.execute(select(CallbackTask.dedupe_key).where(CallbackTask.dedupe_key.in_(part))).scalars())
    return found


def _days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def _alive():
    return Member.erased_at.is_(None)


# --- birthdays --------------------------------------------------------------------------------
def birthdays(t: Ctx, cfg: CareConfig, first: date, last: date) -> list[Action]:
    """Birthdays whose greeting is due on a day in [first, last] (``birthday_days_ahead`` before the
    birthday itself)."""
    ahead = cfg.birthday_days_ahead
    by_day: dict[date, date] = {d + timedelta(days=ahead): d for d in _days(first, last)}  # birthday -> due
    solar = {k: b for b in by_day for k in D.solar_keys_on(b)}
    lunar = {k: b for b in by_day for k in D.lunar_keys_on(b)}
    conds = []
    if solar:
        conds.append(and_(Member.birthday_calendar == "solar",
                          tuple_(Member.birthday_month, Member.birthday_day).in_(list(solar))))
    if lunar:
        conds.append(and_(Member.birthday_calendar == "lunar",
                          tuple_(Member.birthday_month, Member.birthday_day, Member.birthday_leap_month)
                          .in_([(m, d, bool(l)) for m, d, l in lunar])))
    rows = t.s.execute(select(Member.id, Member.name, Member.birthday_calendar, Member.birthday_month,
                              Member.birthday_day, Member.birthday_leap_month)
                       .where(_alive(), Member.birthday_month.is_not(None), or_(*conds))).all()
    out = []
    for mid, name, cal, month, day, leap in rows:
        # A (month, day) can match several days of a long window (solar 29 Feb, lunar 30 -> 29):
        # each match is checked against the calendar itself.
        for bday, due in sorted(by_day.items()):
            year = D.year_key_on(cal, month, day, bool(leap), bday)
            if year is None:
                continue
            out.append(Action("birthday", mid, name, due, f"birthday:{mid}:{year}", "text",
                              template="birthday" if ahead == 0 else "birthday_ahead",
                              values={"days": ahead, "date": bday},
                              stale_after=due + timedelta(days=cfg.blessing_cutoff_days)))
    return out


# --- anniversaries: wedding and other dates the member gave us ------------------------------------
def anniversaries(t: Ctx, cfg: CareConfig, first: date, last: date) -> list[Action]:
    ahead = cfg.anniversary_days_ahead
    by_day = {d + timedelta(days=ahead): d for d in _days(first, last)}
    solar = {k for b in by_day for k in D.solar_keys_on(b)}
    lunar = {(m, d) for b in by_day for m, d, leap in D.lunar_keys_on(b) if not leap}
    conds = []
    if solar:
        conds.append(and_(MemberDate.calendar == "solar", tuple_(MemberDate.month, MemberDate.day).in_(list(solar))))
    if lunar:
        conds.append(and_(MemberDate.calendar == "lunar", tuple_(MemberDate.month, MemberDate.day).in_(list(lunar))))
    rows = t.s.execute(select(MemberDate.id, MemberDate.kind, MemberDate.label, MemberDate.month, MemberDate.day,
                              MemberDate.year, MemberDate.calendar, Member.id, Member.name)
                       .join(Member, Member.id == MemberDate.member_id).where(_alive(), or_(*conds))).all()
    out = []
    for did, kind, label, month, day, year0, cal, mid, name in rows:
        for when, due in sorted(by_day.items()):
            year = D.year_key_on(cal, month, day, False, when)
            if year is None or (year0 and year <= year0):
                continue
            out.append(Action("anniversary", mid, name, due, f"anniversary:{did}:{year}", "text",
                              template="anniversary",
                              values={"occasion_kind": kind, "label": label, "years": year - year0 if year0 else None,
                                      "date": when},
                              stale_after=due + timedelta(days=cfg.blessing_cutoff_days)))
    return out


# --- membership anniversaries (the day they joined) ---------------------------------------------
def member_anniversaries(t: Ctx, cfg: CareConfig, first: date, last: date) -> list[Action]:
    by_day = {d: d for d in _days(first, last)}
    keys = {k for b in by_day for k in D.solar_keys_on(b)}
    rows = t.s.execute(select(Member.id, Member.name, Member.join_date)
                       .where(_alive(), tuple_(extract("month", Member.join_date),
                                               extract("day", Member.join_date)).in_(list(keys)))).all()
    out = []
    for mid, name, joined in rows:
        for when in sorted(by_day):
            year = D.year_key_on("solar", joined.month, joined.day, False, when)
            if year is None or year <= joined.year:
                continue
            out.append(Action("member_anniversary", mid, name, when, f"member_anniversary:{mid}:{year}", "text",
                              template="member_anniversary", values={"years": year - joined.year},
                              stale_after=when + timedelta(days=cfg.blessing_cutoff_days)))
    return out


# --- holidays and solar terms -------------------------------------------------------------------
def holiday_greetings(t: Ctx, cfg: CareConfig, first: date, last: date, calendar=None) -> list[Action]:
    """Greetings for the days of the shop's care calendar (``calendar``: another list of days, for a
    preview of one not saved yet)."""
    ahead = cfg.holiday_days_ahead
    entries = holiday_calendar.load(t) if calendar is None else tuple(calendar)
    days = holiday_calendar.between(entries, first + timedelta(days=ahead),
                                    last + timedelta(days=ahead))
    if not days:
        return []
    members = t.s.execute(select(Member.id, Member.name).where(_alive(), Member.phone.is_not(None))
                          .order_by(Member.id)).all()
    out = []
    for entry, year, when in days:
        due = when - timedelta(days=ahead)
        for mid, name in members:
            out.append(Action("holiday", mid, name, due, f"holiday:{entry.key}:{year}:{mid}", "text",
                              template="holiday",
                              values={"holiday_en": entry.name_en, "holiday_zh": entry.name_zh, "date": when},
                              stale_after=due + timedelta(days=cfg.holiday_cutoff_days)))
    return out


# --- tier care plans -----------------------------------------------------------------------------
def tier_care(t: Ctx, cfg: CareConfig, on: date) -> list[Action]:
    """Each plan of each member's tier, once per period (month, quarter, half year, year); due from
    the first day of the period and relevant until its end."""
    tiers = {tier.id: tier for tier in t.s.execute(select(Tier)).scalars()}
    out = []
    for tier_id, tier in tiers.items():
        plans = cfg.tier_plans.get(tier.code) or []
        if not plans:
            continue
        members = t.s.execute(select(Member.id, Member.name).where(_alive(), Member.tier_id == tier_id)
                              .order_by(Member.id)).all()
        for item in plans:
            pid = plan_id(tier.code, item)
            label, start = period_of(item["every"], on)
            action = item["action"]
            for mid, name in members:
                key = f"tier_care:{mid}:{pid}:{label}"
                values = {"tier_en": tier.name_en, "tier_zh": tier.name_zh, "period": label, "plan": pid,
                          "gift": item.get("gift", "")}
                if action in ("text", "voucher"):
                    out.append(Action("tier_care", mid, name, start, key, "text",
                                      template="tier_care_voucher" if action == "voucher" else "tier_care",
                                      values=values, voucher=dict(item) if action == "voucher" else None))
                else:
                    out.append(Action("tier_care", mid, name, start, key, "task",
                                      task_source="gift" if action == "gift" else "tier_care",
                                      task_reason=action, values=values))
    return out


# --- points about to expire ------------------------------------------------------------------------
def points_reminders(t: Ctx, cfg: CareConfig, first: date, last: date) -> list[Action]:
    """A reminder ``points_reminder_days`` before each day on which a member's points lapse, with
    how many lapse that day (FIFO, as the ledger stands); still sent after a closed day up to the
    eve of the expiry, never on or after it."""
    lead = timedelta(days=cfg.points_reminder_days)
    out = []
    for expires in points.expiry_dates_between(t, first + lead - timedelta(days=1), last + lead):
        lapsing = points.lapsing_between(t, expires - timedelta(days=1), expires)
        if not lapsing:
            continue
        rows = t.s.execute(select(Member.id, Member.name, Member.points_balance)
                           .where(Member.id.in_(list(lapsing))).order_by(Member.id)).all()
        for mid, name, balance in rows:
            out.append(Action("points_reminder", mid, name, expires - lead,
                              f"points_reminder:{mid}:{expires.isoformat()}", "text", template="points_reminder",
                              values={"expiring": lapsing[mid], "expiry_date": expires, "balance": balance,
                                      "days": cfg.points_reminder_days},
                              stale_after=expires - timedelta(days=1)))
    return out
