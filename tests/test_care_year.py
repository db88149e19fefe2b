"""A simulated year of the care engine, day by day over a shop with random closed days: every due
birthday (solar and lunar, leap months included), anniversary, membership anniversary and holiday
text reaches each consenting member exactly once, on its day or on the first open day after (within
the cut-off), and never the opted-out or non-consenting. The expected set is computed here from
lunar-python and the calendar directly, not with the engine's functions."""
from __future__ import annotations

import calendar as cal
import multiprocessing
import random
from collections import Counter
from datetime import date, datetime, time, timedelta

from lunar_python import Lunar, LunarMonth, LunarYear, Solar
from sqlalchemy import func, select, update

from app.models import CallbackTask, Member, Message, Voucher
from app.services import care
from app.services.members import members
from app.services.members.members import MemberInput, create_member

YEAR = 2025                 # lunar 2025 has a leap 6th month (闰六月, 29 days); no leap 4th month
FIRST, LAST = date(YEAR, 1, 1), date(YEAR, 12, 31)
BIRTHDAY_AHEAD = 1          # the shop sends birthday texts one day before
BLESSING_CUTOFF, HOLIDAY_CUTOFF = 7, 3


# --- the calendar, worked out here --------------------------------------------------------------
def _days(a: date, b: date):
    while a <= b:
        yield a
        a += timedelta(days=1)


LUNAR = {d: Solar.fromYmd(d.year, d.month, d.day).getLunar() for d in _days(date(YEAR - 1, 11, 1), date(YEAR + 1, 2, 28))}


def lunar_days(month: int, day: int, leap: bool) -> list[tuple[int, date]]:
    """(lunar year, solar date) of each day a lunar birthday is kept, scanning the solar days: the day
    itself; day 30 on day 29 of a 29-day month; a leap-month birthday in the ordinary month of a year
    whose leap month is another one (or none)."""
    hits = []
    for d, lu in LUNAR.items():
        y, m, dd, in_leap = lu.getYear(), abs(lu.getMonth()), lu.getDay(), lu.getMonth() < 0
        if m != month:
            continue
        has_leap = LunarYear.fromYear(y).getLeapMonth() == month
        if leap:
            if not (in_leap if has_leap else not in_leap):
                continue
        elif in_leap:
            continue
        length = LunarMonth.fromYm(y, lu.getMonth()).getDayCount()
        if dd == day or (day == 30 and length == 29 and dd == 29):
            hits.append((y, d))
    return hits


def solar_days(month: int, day: int) -> list[tuple[int, date]]:
    hits = []
    for year in (YEAR - 1, YEAR, YEAR + 1):
        if (month, day) == (2, 29) and not cal.isleap(year):
            hits.append((year, date(year, 2, 28)))
        else:
            hits.append((year, date(year, month, day)))
    return hits


def winter_solstice(year: int) -> date:
    return next(d for d in _days(date(year, 12, 15), date(year, 12, 31))
                if Solar.fromYmd(d.year, d.month, d.day).getLunar().getJieQi() == "冬至")


def lunar_festival(month: int, day: int) -> date:
    s = Lunar.fromYmd(YEAR, month, day).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


HOLIDAYS = {  # the default calendar less double_ninth, plus the shop's own day
    "new_year": date(YEAR, 1, 1), "spring_festival": lunar_festival(1, 1), "lantern": lunar_festival(1, 15),
    "dragon_boat": lunar_festival(5, 5), "mid_autumn": lunar_festival(8, 15), "national_day": date(YEAR, 10, 1),
    "winter_solstice": winter_solstice(YEAR), "shop_day": date(YEAR, 6, 18),
}


# --- the shop --------------------------------------------------------------------------------------
def _shop(ctx, rng: random.Random):
    """~70 members: solar and lunar birthdays with the awkward cases on purpose, weddings (solar and
    lunar), joined in earlier years (one on 29 February); consent on, off, or opted out."""
    ctx.clock.set(datetime(YEAR - 1, 11, 1, 10))
    # Without a birth year where the day or the leap month would not exist in it (a dated lunar birthday
    # must exist in its year): the conventions below are about the care year only.
    special = ["lunar leap 06-12", "lunar leap 06-30", "lunar leap 04-08", "lunar leap 04-30",
               "lunar 12-30", "lunar 1966-01-01", "lunar 1972-08-15", "lunar 11-30", "lunar 06-30",
               "1988-02-29", "1990-01-01", "1979-12-31", "1985-01-02"]
    plans = []
    for i in range(70):
        if i < len(special):
            bday = special[i]
        elif rng.random() < 0.35:
            bday = f"lunar {rng.randint(1950, 1990)}-{rng.randint(1, 12):02d}-{rng.randint(1, 29):02d}"
        elif rng.random() < 0.9:
            m = rng.randint(1, 12)
            bday = f"{rng.randint(1950, 2005)}-{m:02d}-{rng.randint(1, cal.monthrange(2001, m)[1]):02d}"
        else:
            bday = None
        wedding = None
        if rng.random() < 0.3:
            wedding = (f"lunar {rng.randint(1980, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 29):02d}"
                       if rng.random() < 0.3 else f"{rng.randint(1980, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        joined = date(2024, 2, 29) if i == 20 else date(rng.randint(2019, 2023), rng.randint(1, 12), rng.randint(1, 28))
        roll = rng.random()
        consent = roll < 0.75
        m = create_member(ctx, MemberInput(name=f"会员{i:02d}", phone=f"1390000{i:04d}", birthday=bday, wedding=wedding,
                                           join_date=joined, consent_care=consent))
        plans.append(m)
    ids = [m.id for m in plans]
    opted = {ids[3], ids[14], ids[30]}             # asked to stop: consent cleared too
    for mid in opted:
        members.opt_out(ctx, mid)
    flagged = ids[40]                             # the gateway said "unsubscribed": consent left on
    with ctx.tx() as t:
        t.s.execute(update(Member).where(Member.id == flagged).values(consent_care=True, opted_out_at=ctx.now()))
    return plans, opted | {flagged}


def _open_days(rng: random.Random) -> set[date]:
    closed = {d for d in _days(FIRST, LAST) if rng.random() < 0.2}
    closed |= set(_days(date(YEAR, 1, 27), date(YEAR, 2, 5)))   # shut for the Spring Festival week
    closed |= set(_days(date(YEAR, 8, 2), date(YEAR, 8, 6)))     # a summer break
    return {d for d in _days(FIRST, LAST) if d not in closed} | {FIRST, LAST}


def test_a_simulated_year(ctx):
    rng = random.Random(2025)
    plans, never = _shop(ctx, rng)
    care.update_config(ctx, enabled=["birthday", "anniversary", "member_anniversary", "holiday"],
                       birthday_days_ahead=BIRTHDAY_AHEAD)
    care.remove_holiday(ctx, "double_ninth")
    care.add_holiday(ctx, key="shop_day", rule="date:2025-06-18", name_en="Shop birthday", name_zh="店庆")
    open_days = sorted(_open_days(rng))
    late_consent = next(p.id for p in plans[50:] if not p.consent_care and p.id not in never)  # says yes in July
    late_opt_out = next(p.id for p in plans[50:] if p.consent_care and p.id not in never)

    # What should happen: (key, member, kind, due day, cut-off).
    events = []
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Member)).scalars().all()
        for m in rows:
            if m.birthday_month:
                hits = (lunar_days(m.birthday_month, m.birthday_day, m.birthday_leap_month)
                        if m.birthday_calendar == "lunar" else solar_days(m.birthday_month, m.birthday_day))
                for year, d in hits:
                    events.append((f"birthday:{m.id}:{year}", m.id, "birthday", d - timedelta(days=BIRTHDAY_AHEAD),
                                   BLESSING_CUTOFF))
            for md in m.dates:
                hits = lunar_days(md.month, md.day, False) if md.calendar == "lunar" else solar_days(md.month, md.day)
                for year, d in hits:
                    if year > md.year:
                        events.append((f"anniversary:{md.id}:{year}", m.id, "anniversary", d, BLESSING_CUTOFF))
            for year, d in solar_days(m.join_date.month, m.join_date.day):
                if year > m.join_date.year:
                    events.append((f"member_anniversary:{m.id}:{year}", m.id, "member_anniversary", d, BLESSING_CUTOFF))
            for key, d in HOLIDAYS.items():
                events.append((f"holiday:{key}:{YEAR}:{m.id}", m.id, "holiday", d, HOLIDAY_CUTOFF))
    events = [e for e in events if FIRST <= e[3] <= LAST]
    consent = {m.id: m.consent_care and m.id not in never for m in rows}

    def may(mid: int, day: date) -> bool:
        if mid == late_consent:
            return day >= date(YEAR, 7, 1)
        if mid == late_opt_out:
            return day < date(YEAR, 9, 1)
        return consent[mid]

    expected, refused, missed, late = {}, 0, 0, 0
    for key, mid, kind, due, cutoff in events:
        on = next((d for d in open_days if d >= due), None)
        if on is None or (on - due).days > cutoff:
            missed += 1
        elif not may(mid, on):
            refused += 1
        else:
            expected[key] = (mid, kind, on)
            late += on > due

    # Run it: each open day once, some of them twice (the app runs every few minutes).
    reports = []
    for day in open_days:
        if day == date(YEAR, 7, 1):
            members.update_member(ctx, late_consent, consent_care=True)
        if day == date(YEAR, 9, 1):
            members.opt_out(ctx, late_opt_out)
        ctx.clock.set(datetime.combine(day, time(9, 30)))
        reports.append(care.run(ctx))
        if day.day % 5 == 0:
            ctx.clock.set(datetime.combine(day, time(15, 0)))
            again = care.run(ctx)
            assert again.total.queued == 0 and again.total.missed == 0

    with ctx.tx(write=False) as t:
        sent = t.s.execute(select(Message.dedupe_key, Message.member_id, Message.kind, Message.created_at)
                           .where(Message.category == "care")).all()
    got = {key: (mid, kind, at.date()) for key, mid, kind, at in sent}
    due_of = {e[0]: e[3] for e in events}
    # A duplicate: a second text for one event (same key, or the same member, kind and day under another key).
    duplicates = len(sent) - len(got) + sum(n - 1 for n in Counter(
        (mid, kind, due_of.get(key, key)) for key, mid, kind, _ in sent).values() if n > 1)
    assert got == expected                        # exactly the expected texts, each on its expected day
    assert duplicates == 0
    assert not any(mid in never for mid, _k, _d in got.values())
    assert not any(mid == late_opt_out and d >= date(YEAR, 9, 1) for mid, _k, d in got.values())
    assert any(mid == late_consent and d >= date(YEAR, 7, 1) for mid, _k, d in got.values())

    # The awkward lunar birthdays fell where the conventions put them (and the engine agreed above):
    one = timedelta(days=BIRTHDAY_AHEAD)
    assert due_of[f"birthday:{plans[0].id}:{YEAR}"] == lunar_festival(-6, 12) - one   # leap 6th month: 2025 has it
    assert due_of[f"birthday:{plans[1].id}:{YEAR}"] == lunar_festival(-6, 29) - one   # leap 6/30: a 29-day month
    assert due_of[f"birthday:{plans[2].id}:{YEAR}"] == lunar_festival(4, 8) - one     # no leap 4th month in 2025
    assert due_of[f"birthday:{plans[8].id}:{YEAR}"] == lunar_festival(6, 30) - one    # ordinary 6th month has 30
    assert due_of[f"birthday:{plans[9].id}:{YEAR}"] == date(YEAR, 2, 28) - one        # 29 February
    for p in plans[:13]:
        key = f"birthday:{p.id}:{YEAR}"
        if key in expected:
            assert got[key][2] >= due_of[key]

    totals = Counter()
    for r in reports:
        for c in r.rules:
            totals["due"] += c.due
            totals["sent"] += c.queued
            totals["late"] += c.late
            totals["refused"] += c.skipped_no_consent
            totals["missed"] += c.missed
            totals["duplicate"] += c.duplicate
    counts = dict(due=len(events), sent=len(expected), late=late, refused=refused, missed=missed, duplicates=duplicates)
    print("simulated year:", counts, "engine:", dict(totals))
    assert (totals["due"], totals["sent"], totals["late"], totals["refused"], totals["missed"]) == (
        len(events), len(expected), late, refused, missed)
    assert totals["duplicate"] == 0
    assert late > 0 and missed > 0 and refused > 0   # the year really exercised catch-up and cut-off


# --- two tills at once ---------------------------------------------------------------------------
def _till(url: str, day: str, till: str, barrier, out) -> None:
    from app.db import Database
    from app.services import care as care_
    from app.services.care import engine as engine_
    from app.services.base.context import SYSTEM, Ctx, FixedClock

    engine_.CHUNK = engine_.CHUNK_MIN = engine_.CHUNK_MAX = 7  # many small transactions, so the two tills interleave
    db = Database(url)
    ctx = Ctx(db=db, actor=SYSTEM, till=till, clock=FixedClock(datetime.fromisoformat(day + "T10:00:00")))
    barrier.wait()
    report = care_.run(ctx)
    out.put((till, report.total.queued, report.total.tasks, report.total.duplicate))
    db.dispose()


def test_two_tills_at_once_queue_one_set(ctx, db, tmp_path):
    ctx.clock.set(datetime(2026, 2, 1, 10))
    for i in range(40):   # birthdays today, wedding anniversaries, and a holiday for everyone
        create_member(ctx, MemberInput(name=f"客人{i}", phone=f"1380000{i:04d}", birthday="1980-02-17" if i % 2 else None,
                                       wedding="2010-02-17" if i % 3 == 0 else None, consent_care=i % 5 != 0,
                                       join_date=date(2020, 2, 17), tier="gold" if i % 4 == 0 else None))
    day = "2026-02-17"  # Spring Festival 2026
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    procs = [spawn.Process(target=_till, args=(db.url, day, till, barrier, out)) for till in ("T1", "T2")]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with db.session(write=False) as s:
        texts = s.execute(select(func.count()).select_from(Message).where(Message.category == "care")).scalar()
        keys = s.execute(select(func.count(func.distinct(Message.dedupe_key)))
                         .where(Message.category == "care")).scalar()
        tasks = s.execute(select(func.count()).select_from(CallbackTask)).scalar()
        vouchers = s.execute(select(func.count()).select_from(Voucher)).scalar()
        voucher_texts = s.execute(select(func.count()).select_from(Message).where(Message.body.like("%券码%"))).scalar()
    assert texts == keys and texts > 40           # birthdays, anniversaries, Spring Festival, gold care
    assert sum(r[1] for r in results) == texts    # between them the two tills queued each text once
    assert sum(r[2] for r in results) == tasks > 0
    assert vouchers == voucher_texts              # no voucher issued without its text
    # Each till saw the other's work as done: a third run adds nothing.
    from app.services.base.context import Ctx, FixedClock

    third = care.run(Ctx(db=db, clock=FixedClock(datetime(2026, 2, 17, 11))))
    assert third.total.queued == 0 and third.total.tasks == 0
    assert third.total.duplicate == texts + tasks
