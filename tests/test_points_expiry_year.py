"""A simulated year of points expiry: a shop open on ~80 % of the days sells at the till (points
earned, some spent), runs the care engine each morning it is open (as the app does at start), and
its points lapse three months after they were earned. Worked out here, independently of the
services (the calendar, first in first out, the closed days): every expiry happens on its day (a
closed day's on that day, caught up at the next opening) with the right amount; every reminder goes
out 7 days ahead (or on the first open day after, while the points have not lapsed), once, to
consenting members only, with the points that lapse that day; ``shopcare check`` stays green."""
from __future__ import annotations

import calendar
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.models import Message, PointsEntry
from app.services import care
from app.services.admin.integrity import run_check
from app.services.base import settings
from app.services.sales import checkout
from app.services.sales.cart import Cart, CartLine, Tender
from tests.shop import ledger_faults, member, stock_shop

YEAR = 2025
LEAD = 7
PRICES = {"COF": 5800, "TEA": 3333, "CUT": 5000}     # points eligible: 1 point per whole yuan


def three_months_on(d: date) -> date:
    month = d.month + 3
    year, month = d.year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _days(a: date, b: date):
    while a <= b:
        yield a
        a += timedelta(days=1)


class Book:
    """One member's points as the test sees them: credits (expiry day, points) and all debits."""

    def __init__(self) -> None:
        self.credits: list[tuple[date, int]] = []
        self.debited = 0

    def due_by(self, d: date) -> int:
        return max(0, sum(p for e, p in self.credits if e <= d) - self.debited)

    @property
    def balance(self) -> int:
        return sum(p for _, p in self.credits) - self.debited


def test_a_year_of_points_expiring_with_their_reminders(ctx, clock):
    rng = random.Random(1225)
    clock.set(datetime(YEAR - 1, 12, 1, 10))
    settings.update(ctx, language="en", points_expiry_policy="months", points_expiry_months=3)
    care.update_config(ctx, enabled=["points_reminder"], points_reminder_days=LEAD)
    stock_shop(ctx)
    people = [member(ctx, f"1390000{i:04d}", f"M{i:02d}", consent_care=rng.random() < 0.8) for i in range(24)]
    books = {m.id: Book() for m in people}
    consent = {m.id: m.consent_care for m in people}
    closed = {d for d in _days(date(YEAR, 1, 1), date(YEAR, 12, 31)) if rng.random() < 0.2}
    closed |= set(_days(date(YEAR, 7, 10), date(YEAR, 7, 20)))        # a summer break of 11 days

    expected_expiry: dict[tuple[int, date], int] = {}
    expected_reminder: dict[tuple[int, date], tuple[date, int]] = {}   # (member, expiry) -> (sent on, points)
    for day in _days(date(YEAR, 1, 1), date(YEAR, 12, 31)):
        # the lapse of the day, whether open or not (first in, first out: debits took the soonest)
        for mid, b in books.items():
            due = b.due_by(day)
            if due:
                expected_expiry[(mid, day)] = due
                b.debited += due
        if day in closed:
            continue
        clock.set(datetime.combine(day, time(9, 0)))
        care.run(ctx)                                  # the app's start of the day
        # reminders: expiry days within the lead that no earlier open day could reach
        for e in _days(day + timedelta(days=1), day + timedelta(days=LEAD)):
            earlier = [d for d in _days(e - timedelta(days=LEAD), day - timedelta(days=1)) if d not in closed]
            if earlier:
                continue
            for mid, b in books.items():
                lapsing = b.due_by(e) - b.due_by(e - timedelta(days=1))
                if lapsing > 0 and consent[mid]:
                    expected_reminder[(mid, e)] = (day, lapsing)
        clock.set(datetime.combine(day, time(11, 0)))
        for m in rng.sample(people, 3):
            sku = rng.choice(list(PRICES))
            price, b = PRICES[sku], books[m.id]
            spend = min(b.balance, 300) if rng.random() < 0.3 else 0      # 300 points pay ¥3
            tenders = [Tender("points", points=spend)] if spend else []
            tenders.append(Tender("cash", price - spend))
            sale = checkout.checkout(ctx, Cart((CartLine(sku),), member_id=m.id), tenders)
            b.debited += spend
            if sale.points_earned:
                b.credits.append((three_months_on(day), sale.points_earned))

    with ctx.tx(write=False) as t:
        expired = {(mid, at.date()): -pts for mid, pts, at in t.s.execute(
            select(PointsEntry.member_id, PointsEntry.points, PointsEntry.created_at)
            .where(PointsEntry.kind == "expire")).all()}
        sent = t.s.execute(select(Message.member_id, Message.dedupe_key, Message.created_at, Message.body)
                           .where(Message.kind == "points_reminder")).all()
    # the lapses of the year's last closed days (if any) are caught up at the next opening, after the year
    pending = {k: v for k, v in expected_expiry.items() if not any(
        d not in closed for d in _days(k[1], date(YEAR, 12, 31)))}
    assert len(expected_expiry) > 60 and sum(expected_expiry.values()) > 2000
    assert expired == {k: v for k, v in expected_expiry.items() if k not in pending}
    assert any(d in closed for _, d in expired)                     # some were caught up, dated their own day

    got = {}
    for mid, key, created, body in sent:
        rule, kmid, day = key.split(":")
        e = date.fromisoformat(day)
        assert (rule, int(kmid)) == ("points_reminder", mid) and (mid, e) not in got   # once per member and day
        got[(mid, e)] = (created.date(), int(body.split(", ")[1].split(" of your points")[0].replace(",", "")))
    assert len(got) > 40 and got == expected_reminder
    assert all(consent[mid] for mid, _ in got)
    assert any(sent_on > e - timedelta(days=LEAD) for (_, e), (sent_on, _) in got.items())   # some went late
    assert ledger_faults(ctx.db) == [] and run_check(ctx).ok
