"""Points expiry that runs: the shop's policy applied each day (care run, app start, command line),
caught up over closed days with each day's entries dated that day, idempotent; the points reminder
(a care text N days ahead, once per member and expiry day); the lead time's bounds."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError, render
from app.models import Message, PointsEntry
from app.services import care
from app.services.base import settings
from app.services.ledger import expiry, ledger, points
from tests.shop import ledger_faults, member


def credit(ctx, member_id: int, pts: int, expires_on: date | None) -> None:
    with ctx.tx() as t:
        ledger.post_points(t, member_id, "earn", pts, expires_on=expires_on)


def expired_entries(ctx) -> list[tuple[int, int, datetime]]:
    with ctx.tx(write=False) as t:
        return [tuple(r) for r in t.s.execute(
            select(PointsEntry.member_id, PointsEntry.points, PointsEntry.created_at)
            .where(PointsEntry.kind == "expire").order_by(PointsEntry.id)).all()]


def test_a_closed_week_is_caught_up_day_by_day_dated_each_day(ctx, clock):
    a = member(ctx, "13800138001", "甲")
    b = member(ctx, "13800138002", "乙")
    credit(ctx, a.id, 100, date(2026, 3, 4))
    credit(ctx, a.id, 50, date(2026, 3, 6))
    credit(ctx, b.id, 70, date(2026, 3, 6))
    credit(ctx, b.id, 30, None)                        # never expires
    first = expiry.run(ctx)                            # 2 March: the first run looks at today only
    assert first.first_day == date(2026, 3, 2) and first.points == 0
    clock.set(datetime(2026, 3, 9, 9, 30))             # closed 3-8 March
    with ctx.tx() as t:                                # b spent 20 on the 5th (taken from the soonest credit)
        ledger.post_points(t, b.id, "redeem", -20)
    r = expiry.run(ctx)
    assert r.first_day == date(2026, 3, 3) and r.last_run_before == date(2026, 3, 2)
    assert [(d.day, d.members, d.points) for d in r.days] == [(date(2026, 3, 4), 1, 100), (date(2026, 3, 6), 2, 100)]
    assert expired_entries(ctx) == [
        (a.id, -100, datetime.combine(date(2026, 3, 4), time.min)),
        (a.id, -50, datetime(2026, 3, 6)), (b.id, -50, datetime(2026, 3, 6))]
    assert points.upcoming(ctx, b.id, date(2026, 3, 9)) == []      # 30 left, never expiring
    again = expiry.run(ctx)                            # running twice changes nothing
    assert again.points == 0 and len(expired_entries(ctx)) == 3
    assert expiry.run(ctx, date(2026, 3, 5)).points == 0         # nor does an earlier day
    assert ledger_faults(ctx.db) == []


def test_dry_run_predicts_and_writes_nothing(ctx, clock):
    a = member(ctx)
    credit(ctx, a.id, 80, date(2026, 3, 2))
    dry = expiry.run(ctx, dry_run=True)
    assert dry.dry_run and dry.points == 80 and expired_entries(ctx) == []
    with ctx.tx(write=False) as t:
        assert expiry.last_run(t) is None
    real = expiry.run(ctx)
    assert (real.members, real.points) == (dry.members, dry.points)
    assert expired_entries(ctx) == [(a.id, -80, clock.now())]      # today's: dated now


def test_count_cards_expire_on_the_day_after_their_date(ctx, clock):
    from app.services.ledger import countcards
    from tests.shop import stock_shop

    stock_shop(ctx)
    m = member(ctx)
    with ctx.tx() as t:
        card = countcards.issue(t, m.id, _package(t), None, 40000)
    expiry.run(ctx)
    clock.set(datetime(2027, 3, 10, 10))               # valid up to 2027-03-02
    r = expiry.run(ctx)
    day = next(d for d in r.days if d.cards)
    assert (day.day, day.cards, day.uses) == (card.expires_on + timedelta(days=1), 1, 10)


def _package(t):
    from app.models import Product

    return t.s.execute(select(Product).where(Product.sku == "CUT10")).scalar_one()


def test_expiry_date_in_the_future_is_refused(ctx):
    with pytest.raises(ValidationError) as e:
        expiry.run(ctx, date(2026, 3, 3))
    assert e.value.code == "expiry_date_future"


# --- the reminder ----------------------------------------------------------------------------------
def reminders(ctx) -> list[tuple[int, str, str, datetime]]:
    with ctx.tx(write=False) as t:
        return [tuple(r) for r in t.s.execute(select(Message.member_id, Message.dedupe_key, Message.body,
                                                     Message.created_at)
                                              .where(Message.kind == "points_reminder").order_by(Message.id))]


def test_reminder_lead_days_ahead_once_with_consent_only(ctx, clock):
    settings.update(ctx, language="en", shop_name="Tea House")
    care.update_config(ctx, enabled=["points_reminder"], points_reminder_days=10)
    yes = member(ctx, "13800138001", "Amy", consent_care=True)
    no = member(ctx, "13800138002", "Bob", consent_care=False)
    credit(ctx, yes.id, 350, date(2026, 3, 20))
    credit(ctx, yes.id, 40, date(2026, 3, 21))
    credit(ctx, no.id, 90, date(2026, 3, 20))
    care.run(ctx)                                      # 2 March: nothing due yet
    assert reminders(ctx) == []
    clock.set(datetime(2026, 3, 10, 10))
    report = care.run(ctx)
    c = report.count("points_reminder")
    assert (c.queued, c.skipped_no_consent) == (1, 1)
    (mid, key, body, _), = reminders(ctx)
    assert mid == yes.id and key == f"points_reminder:{yes.id}:2026-03-20"
    assert "350 of your points expire on Mar 20, 2026" in body and "Reply STOP" in body
    care.run(ctx)                                      # the same day again: nothing twice
    clock.set(datetime(2026, 3, 11, 10))
    care.run(ctx)                                      # the 21st's 40 points
    assert [r[1] for r in reminders(ctx)] == [key, f"points_reminder:{yes.id}:2026-03-21"]
    assert "40 of your points" in reminders(ctx)[1][2]


def test_no_reminder_for_points_already_spent(ctx, clock):
    care.update_config(ctx, enabled=["points_reminder"], points_reminder_days=5)
    m = member(ctx, consent_care=True)
    credit(ctx, m.id, 100, date(2026, 3, 7))
    credit(ctx, m.id, 100, date(2026, 3, 9))
    with ctx.tx() as t:
        ledger.post_points(t, m.id, "redeem", -100)   # the soonest-expiring 100 are spent
    r = care.run(ctx)
    assert r.count("points_reminder").due == 0
    clock.set(datetime(2026, 3, 4, 10))
    r = care.run(ctx)
    assert r.count("points_reminder").queued == 1 and "100" in reminders(ctx)[0][2]


def test_reminder_due_on_a_closed_day_goes_late_but_never_on_the_expiry_day(ctx, clock):
    care.update_config(ctx, enabled=["points_reminder"], points_reminder_days=3)
    m = member(ctx, consent_care=True)
    credit(ctx, m.id, 60, date(2026, 3, 8))            # reminder due on the 5th
    credit(ctx, m.id, 70, date(2026, 3, 12))           # reminder due on the 9th
    care.run(ctx)
    clock.set(datetime(2026, 3, 7, 10))                # closed 3-6 March: still before the 8th
    r = care.run(ctx)
    assert (r.count("points_reminder").queued, r.count("points_reminder").late) == (1, 1)
    clock.set(datetime(2026, 3, 13, 10))               # closed 8-12 March: the 12th has passed
    r = care.run(ctx)
    # the 12th's points have lapsed (expired first, dated the 12th): nothing left to remind of
    assert r.count("points_reminder").queued == 0 and len(reminders(ctx)) == 1
    assert r.expiry.points == 130


def test_lead_time_longer_than_the_expiry_period_is_refused(ctx):
    settings.update(ctx, points_expiry_policy="months", points_expiry_months=1)
    with pytest.raises(ValidationError) as e:
        care.update_config(ctx, points_reminder_days=28)
    assert e.value.code == "points_reminder_too_long"
    assert "28" in render(e.value, "en") and "提醒" in render(e.value, "zh_CN")
    with pytest.raises(ValidationError):
        care.update_config(ctx, points_reminder_days=0)
    assert care.update_config(ctx, points_reminder_days=27).points_reminder_days == 27
    # and the other way round: a policy shorter than the reminder is refused, nothing changed
    settings.update(ctx, points_expiry_months=12)
    care.update_config(ctx, points_reminder_days=60)
    with pytest.raises(ValidationError) as e:
        settings.update(ctx, points_expiry_months=1)
    assert e.value.code == "points_expiry_shorter_than_reminder"
    assert settings.load(ctx).points_expiry_months == 12
    assert settings.shortest_expiry_days(settings.load(ctx)) == 365


def test_expiry_runs_before_the_counts_a_till_sees(ctx, clock):
    """Points past their date are gone once the day's care run (the app's start) has run."""
    m = member(ctx)
    credit(ctx, m.id, 500, date(2026, 3, 2))
    care.run(ctx)
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.sum(PointsEntry.points)).where(PointsEntry.member_id == m.id)).scalar() == 0


def test_end_of_day_report_shows_the_day_s_expiry_and_what_lapses_soon(ctx, clock, tmp_path):
    from app.services.reports import eod, eod_pdf

    a = member(ctx, "13800138001", "甲")
    b = member(ctx, "13800138002", "乙")
    credit(ctx, a.id, 120, date(2026, 3, 4))           # lapses on a closed day
    credit(ctx, a.id, 300, date(2026, 3, 25))          # soon
    credit(ctx, b.id, 45, date(2026, 4, 2))            # soon (within 30 days of the 5th)
    credit(ctx, b.id, 999, date(2026, 6, 1))           # not soon
    expiry.run(ctx)
    clock.set(datetime(2026, 3, 5, 9))
    expiry.run(ctx)
    closed_day = eod.eod_report(ctx, date(2026, 3, 4))
    assert closed_day.points_expired == -120
    today = eod.eod_report(ctx, date(2026, 3, 5))
    assert today.points_expired == 0
    assert (today.points_expiring.count, today.points_expiring.amount) == (2, 345)
    assert [(r.member_id, r.points, r.first_on) for r in today.expiring_soon] == [
        (a.id, 300, date(2026, 3, 25)), (b.id, 45, date(2026, 4, 2))]
    out = eod_pdf.write_eod_pdf(today, tmp_path / "eod.pdf", "en")
    assert out.stat().st_size > 1000


def test_member_page_upcoming_expiry(ctx):
    m = member(ctx)
    credit(ctx, m.id, 100, date(2026, 4, 1))
    credit(ctx, m.id, 50, date(2026, 4, 1))
    credit(ctx, m.id, 80, date(2026, 5, 1))
    with ctx.tx() as t:
        ledger.post_points(t, m.id, "redeem", -120)
    assert points.upcoming(ctx, m.id, date(2026, 3, 2)) == [(date(2026, 4, 1), 30), (date(2026, 5, 1), 80)]
    assert points.schedule([(None, 10), (date(2026, 1, 1), 5)], 7) == []     # the dated ones go first


def test_member_page_shows_the_points_soon_to_expire(qtbot, ctx):
    from app.ui import i18n as ui_i18n
    from app.ui.members.member_page import MemberPage
    from app.ui.state import AppState

    ui_i18n.install("en")
    settings.update(ctx, language="en")
    m = member(ctx)
    credit(ctx, m.id, 350, date(2026, 12, 31))
    state = AppState(ctx)
    page = MemberPage(state, m.id)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.data is not None, timeout=10_000)
    assert page.points_expiring.text() == f"350 expire on {state.date(date(2026, 12, 31))}"
    assert page.points_expiring.property("role") == "warning"
    state.tasks.wait()


def test_the_app_expires_points_at_start_off_the_ui_thread(qtbot, ctx, cashier_ctx):
    """The app's start-up care run (app/ui/care/background_care.py), whoever is logged in."""
    from app.ui import i18n as ui_i18n
    from app.ui.care.background_care import BackgroundCare
    from app.ui.state import AppState

    ui_i18n.install("en")
    m = member(ctx)
    credit(ctx, m.id, 75, date(2026, 3, 1))
    state = AppState(cashier_ctx)
    job = BackgroundCare(state, interval_ms=60_000)
    job.start()
    qtbot.waitUntil(lambda: job.runs >= 1, timeout=20_000)
    job.stop()
    state.tasks.wait()
    assert job.last_error is None and job.last_report.expiry.points == 75
    assert [(mid, pts) for mid, pts, _ in expired_entries(ctx)] == [(m.id, -75)]
    assert job.summary().endswith(", 75 points expired")


# --- two tills at once -----------------------------------------------------------------------------
def _till_expiry(url: str, day: str, till: str, barrier, out) -> None:
    from app.db import Database
    from app.services.base.context import SYSTEM, Ctx, FixedClock
    from app.services.ledger import expiry as expiry_

    db = Database(url)
    ctx = Ctx(db=db, actor=SYSTEM, till=till, clock=FixedClock(datetime.fromisoformat(day + "T09:00:00")))
    barrier.wait()
    run = expiry_.run(ctx)
    out.put((till, run.points))
    db.dispose()


def test_two_tills_expire_each_day_once(ctx, db, clock):
    import multiprocessing

    people = [member(ctx, f"1380000{i:04d}", f"客{i}") for i in range(30)]
    for i, m in enumerate(people):
        credit(ctx, m.id, 10 + i, date(2026, 3, 3 + i % 5))
        credit(ctx, m.id, 5, None)
    expiry.run(ctx)                                     # 2 March; then closed 3-7 March
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    procs = [spawn.Process(target=_till_expiry, args=(db.url, "2026-03-08", t, barrier, out)) for t in ("T1", "T2")]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    due = sum(10 + i for i in range(30))
    assert sum(pts for _, pts in results) == due        # between them, each day's points expired once
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.sum(PointsEntry.points)).where(PointsEntry.kind == "expire")).scalar() == -due
        days = t.s.execute(select(func.count(func.distinct(PointsEntry.created_at)))
                           .where(PointsEntry.kind == "expire")).scalar()
    assert days == 5 and ledger_faults(ctx.db) == []


def test_command_line_points_expire(ctx, db, capsys):
    from app.cli import main

    settings.update(ctx, language="en")
    m = member(ctx)
    today = date.today()
    credit(ctx, m.id, 1234, today - timedelta(days=3))
    assert main(["--db", db.url, "points", "expire", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{today.isoformat()}: 1,234 points of 1 member(s) expired" in out and "Dry run" in out
    assert expired_entries(ctx) == []
    assert main(["--db", db.url, "--lang", "zh_CN", "points", "expire"]) == 0
    assert f"{today.isoformat()}：1 位会员的 1,234 积分已过期" in capsys.readouterr().out
    assert main(["--db", db.url, "points", "expire"]) == 0                     # again: nothing
    assert "Nothing had lapsed" in capsys.readouterr().out
    future = (today + timedelta(days=1)).isoformat()
    assert main(["--db", db.url, "points", "expire", "--date", future]) == 2
    assert "after today" in capsys.readouterr().err
