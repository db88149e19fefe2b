"""The shop's expiry policy, applied every day: points (``points.expire_due``) and count cards
(``countcards.expire_due``).

``run(ctx, on)`` is called by the care run (app/services/care/engine.py: the app runs it at start
and every few minutes) and by ``shopcare points expire``. It catches up the days since the last run
(the ``expiry_last_run`` setting, at most ``CATCH_UP_MAX_DAYS`` back): each day on which points or a
card lapsed is run on its own, and its entries are dated that day (00:00; today's: now), so a shop
closed for a week shows on each day's end-of-day report what lapsed that day. The first run ever
looks at ``on`` only: what lapsed before is expired that day.

Idempotent: FIFO expiry is cumulative (a second run for a day finds nothing more) and each day runs
in one transaction that first locks the ``expiry_last_run`` row, so two tills (or the app and the
command line) take turns and the second finds the work done. The first run of a day also claims (in
that day's transaction) and then builds, in chunks, what lapses per member in the end-of-day
report's window after it (``points.build_snapshot``: the report reads it, exact, instead of
working out every member). The policy is the shop's own: the
entries are posted as the system (owner rights), whoever's app happens to run it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ValidationError
from app.models import Setting
from app.services.base.context import SYSTEM, Ctx
from app.services.base.days import check_day
from app.services.ledger import countcards, points

LAST_RUN_KEY = "expiry_last_run"
CATCH_UP_MAX_DAYS = 366


@dataclass(frozen=True)
class ExpiryDay:
    day: date
    members: int      # members who lost points that day
    points: int       # points expired that day
    cards: int        # count cards expired that day
    uses: int         # their uses left, expired


@dataclass(frozen=True)
class ExpiryRun:
    on: date
    dry_run: bool
    first_day: date                 # the first day looked at
    last_run_before: date | None
    days: tuple[ExpiryDay, ...]     # the days on which something expired

    @property
    def members(self) -> int:
        return sum(d.members for d in self.days)

    @property
    def points(self) -> int:
        return sum(d.points for d in self.days)

    @property
    def cards(self) -> int:
        return sum(d.cards for d in self.days)

    @property
    def uses(self) -> int:
        return sum(d.uses for d in self.days)


class _Rollback(Exception):
    def __init__(self, result: ExpiryRun) -> None:
        super().__init__("dry run")
        self.result = result


def last_run(t: Ctx) -> date | None:
    with t.tx(write=False) as r:
        raw = r.s.execute(select(Setting.value).where(Setting.key == LAST_RUN_KEY)).scalar()
    return _day(raw)


def _day(raw: str | None) -> date | None:
    value = json.loads(raw) if raw else None
    return date.fromisoformat(value) if value else None


def window_start(last: date | None, on: date) -> date:
    """The day after the last run (at most CATCH_UP_MAX_DAYS back), never after ``on``."""
    if last is None:
        return on
    return max(min(last + timedelta(days=1), on), on - timedelta(days=CATCH_UP_MAX_DAYS))


def run(ctx: Ctx, on: date | None = None, *, dry_run: bool = False) -> ExpiryRun:
    """Expire what lapsed on each day since the last run, up to ``on`` (default today; not after
    today). ``dry_run``: the same work in a transaction that is rolled back."""
    today = ctx.today()
    on = on or today
    if on > today:
        raise ValidationError("expiry_date_future", date=on.isoformat(), today=today.isoformat())
    check_day(on)
    with ctx.tx(write=False) as t:
        before = last_run(t)
        first = window_start(before, on)
        eve = first - timedelta(days=1)
        days = sorted({first, on} | set(points.expiry_dates_between(t, eve, on))
                      | set(countcards.expiry_days_between(t, eve, on)))
    if dry_run:
        try:
            with ctx.tx() as t:
                done = [_expire_day(t, d, today) for d in days]
                raise _Rollback(_result(on, True, first, before, done))
        except _Rollback as rb:
            return rb.result
    done, claimed = [], []
    for d in days:
        with ctx.tx() as t:
            done.append(_expire_day(t, d, today, claim=claimed if d == on == today else None))
    for d in claimed:                   # after the expiry, in chunks of its own (a long job)
        points.build_snapshot(ctx, d)
    return _result(on, False, first, before, done)


def _result(on: date, dry_run: bool, first: date, before: date | None, done: list) -> ExpiryRun:
    return ExpiryRun(on, dry_run, first, before, tuple(d for d in done if d is not None and (d.points or d.uses)))


def _expire_day(t: Ctx, d: date, today: date, *, claim: list | None = None) -> ExpiryDay | None:
    """One day, in the caller's transaction: lock the marker, expire as of ``d``, move the marker;
    with ``claim`` (today), claim the day's lapse snapshot unless taken already (points.claim_snapshot:
    under the marker's lock, so one till builds it) and add the day to ``claim``."""
    row = _locked_marker(t)
    marker = _day(row.value)
    if marker is not None and marker > d:
        return None           # another till (or run) has gone past this day: its work includes it
    at = t.now() if d == today else datetime.combine(d, time.min)
    system = t.as_actor(SYSTEM)
    p = points.expire_due(system, d, at=at)
    c = countcards.expire_due(system, d, at=at)
    row.value = json.dumps(d.isoformat())
    t.s.flush()
    if claim is not None and points.claim_snapshot(t, d):
        claim.append(d)
    return ExpiryDay(d, p.members, p.points, c.cards, c.uses)


def _locked_marker(t: Ctx) -> Setting:
    """The ``expiry_last_run`` row, locked until the transaction ends (FOR UPDATE on PostgreSQL;
    SQLite's write transaction is already the only one)."""
    q = select(Setting).where(Setting.key == LAST_RUN_KEY).with_for_update()
    row = t.s.execute(q).scalar()
    if row is None:
        try:
            with t.s.begin_nested():
                t.s.add(Setting(key=LAST_RUN_KEY, value="null"))
        except IntegrityError:  # another till made it a moment ago
            pass
        row = t.s.execute(q.execution_options(populate_existing=True)).scalar_one()
    return row
