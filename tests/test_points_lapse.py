"""Points lapsing in a window (points.lapsing_between / lapsing_summary: the end-of-day report's
"soon to expire", the care reminders) worked out by the algebra of FIFO expiry agree with the plain
FIFO ``points.schedule`` over each member's whole ledger, for random ledgers: credits with and
without an expiry date, redeems, negative adjustments, refunds, expiry runs, an erased member."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from app.models import Member, PointsEntry, PointsLapse
from app.services.ledger import ledger, points
from tests.shop import ledger_faults, member

BASE = date(2026, 3, 1)


def _random_ledgers(ctx, rng: random.Random, n: int) -> list[int]:
    ids = [member(ctx, f"139{i:08d}", f"会员{i}").id for i in range(n)]
    balance = dict.fromkeys(ids, 0)
    for expire_on in (BASE + timedelta(days=20), BASE + timedelta(days=45), None):
        with ctx.tx() as t:
            for mid in ids:
                for _ in range(rng.randint(0, 6)):
                    what = rng.random()
                    if what < 0.45:      # a credit, expiring some day (a few share a day) or never
                        expires = None if rng.random() < 0.15 else BASE + timedelta(days=rng.choice(
                            [rng.randint(0, 120), 30, 60]))
                        pts = rng.randint(1, 400)
                        ledger.post_points(t, mid, rng.choice(["earn", "earn", "opening", "adjust"]), pts,
                                           expires_on=expires)
                    elif what < 0.55:    # a refund giving back redeemed points: never expires
                        pts = rng.randint(1, 100)
                        ledger.post_points(t, mid, "refund", pts)
                    elif balance[mid] > 0:
                        pts = -rng.randint(1, balance[mid])
                        ledger.post_points(t, mid, rng.choice(["redeem", "redeem", "adjust", "refund"]), pts)
                    else:
                        continue
                    balance[mid] += pts
        if expire_on is not None:        # an expiry run: more debits, the soonest credits first
            report = points.expire_due(ctx, expire_on)
            assert report.points >= 0
            with ctx.tx(write=False) as t:
                balance = dict(t.s.execute(select(Member.id, Member.points_balance)).all())
    return ids


def _plain_fifo(ctx, after: date, until: date) -> dict[int, int]:
    """member id -> points lapsing in (after, until], from points.schedule over every entry."""
    with ctx.tx(write=False) as t:
        entries: dict[int, list[tuple[date | None, int]]] = {}
        for mid, expires, pts in t.s.execute(select(PointsEntry.member_id, PointsEntry.expires_on,
                                                    PointsEntry.points)).all():
            entries.setdefault(mid, []).append((expires, int(pts)))
        erased = set(t.s.execute(select(Member.id).where(Member.erased_at.is_not(None))).scalars())
    out = {}
    for mid, rows in entries.items():
        credits = [(e, p) for e, p in rows if p > 0]
        debits = sum(-p for _, p in rows if p < 0)
        lapsing = sum(p for d, p in points.schedule(credits, debits) if after < d <= until)
        if lapsing and mid not in erased:
            out[mid] = lapsing
    return out


@pytest.mark.parametrize("seed", [3, 17])
def test_lapsing_agrees_with_plain_fifo_for_random_ledgers(ctx, clock, seed):
    rng = random.Random(seed)
    ids = _random_ledgers(ctx, rng, 40)
    with ctx.tx() as t:                  # an erased member is never listed, whatever their ledger holds
        t.s.execute(update(Member).where(Member.id == ids[0]).values(erased_at=clock.now()))
    assert ledger_faults(ctx.db) == []
    with ctx.tx(write=False) as t:
        days = points.expiry_dates_between(t, BASE - timedelta(days=1), BASE + timedelta(days=200))
    windows = [(BASE, BASE + timedelta(days=30)), (BASE + timedelta(days=44), BASE + timedelta(days=74)),
               (BASE - timedelta(days=10), BASE + timedelta(days=300)), (BASE + timedelta(days=121), BASE + timedelta(days=400))]
    windows += [(d - timedelta(days=1), d) for d in days]          # the reminders' single days
    seen = 0
    for after, until in windows:
        expected = _plain_fifo(ctx, after, until)
        with ctx.tx(write=False) as t:
            got = points.lapsing_between(t, after, until)
            summary = points.lapsing_summary(t, after, until, 5)
        assert got == expected, (after, until)
        top = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        assert summary == (len(expected), sum(expected.values()), top), (after, until)
        seen += len(expected)
    assert seen > 40                     # the windows did catch lapsing points
    assert len(days) > 10


def _summary(ctx, after: date, until: date, top: int = 5):
    with ctx.tx(write=False) as t:
        return points.lapsing_summary(t, after, until, top), points._from_snapshot(t, after, until, top)


def _expected(ctx, after: date, until: date, top: int = 5):
    plain = _plain_fifo(ctx, after, until)
    return len(plain), sum(plain.values()), sorted(plain.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


@pytest.mark.parametrize("seed", [5, 23])
def test_the_days_snapshot_stays_exact_as_the_ledger_moves(ctx, clock, seed, monkeypatch):
    """The expiry run's snapshot of the report's window (claimed, then built in chunks), then new
    entries for some members (and a new member): the snapshot is read, those members worked out live, and the figures are the plain
    FIFO's. An erased member or a removed entry (an import undone): it is no longer trusted."""
    rng = random.Random(seed)
    ids = _random_ledgers(ctx, rng, 40)
    after = BASE + timedelta(days=25)
    until = after + timedelta(days=points.LAPSE_DAYS)
    with ctx.tx() as t:                 # claimed, not built yet: counted live
        assert points.claim_snapshot(t, after) and not points.claim_snapshot(t, after)
    assert _summary(ctx, after, until)[1] is None
    monkeypatch.setattr(points, "SNAPSHOT_CHUNK", 7)       # built in several chunks
    assert points.build_snapshot(ctx, after) == len(_plain_fifo(ctx, after, until))
    with ctx.tx(write=False) as t:
        assert points.snapshot_day(t) == after
    got, snap = _summary(ctx, after, until)
    assert got == snap == _expected(ctx, after, until) and got[0] >= 3
    newcomer = member(ctx, "13700000001", "新会员").id
    with ctx.tx() as t:                 # the day goes on: sales earn, members redeem
        for mid in rng.sample(ids, 12) + [newcomer]:
            ledger.post_points(t, mid, "earn", rng.randint(1, 300), expires_on=until - timedelta(days=rng.randint(0, 20)))
            balance = t.s.execute(select(Member.points_balance).where(Member.id == mid)).scalar()
            if balance > 1 and rng.random() < 0.6:
                ledger.post_points(t, mid, "redeem", -rng.randint(1, balance))
    got, snap = _summary(ctx, after, until)
    assert got == snap == _expected(ctx, after, until)
    assert _summary(ctx, after, until - timedelta(days=1))[1] is None      # another window: live only
    # An entry taken out (an import undone): the snapshot is not trusted; the figures stay exact.
    with ctx.tx() as t:
        mid, eid, pts = t.s.execute(select(PointsEntry.member_id, PointsEntry.id, PointsEntry.points)
                                    .where(PointsEntry.points > 0, PointsEntry.expires_on > after,
                                           PointsEntry.expires_on <= until).order_by(PointsEntry.id)).first()
        balance = t.s.execute(select(Member.points_balance).where(Member.id == mid)).scalar()
        if balance >= pts:
            t.s.execute(delete(PointsEntry).where(PointsEntry.id == eid))
            t.s.execute(update(Member).where(Member.id == mid).values(points_balance=Member.points_balance - pts))
    assert ledger_faults(ctx.db) == []
    if balance >= pts:
        got, snap = _summary(ctx, after, until)
        assert snap is None and got == _expected(ctx, after, until)
    points.snapshot_lapsing(ctx, after)
    top_member = _summary(ctx, after, until)[0][2][0][0]
    with ctx.tx() as t:                 # erased since the snapshot: never listed
        t.s.execute(update(Member).where(Member.id == top_member).values(erased_at=clock.now()))
    got, snap = _summary(ctx, after, until)
    assert snap is None and got == _expected(ctx, after, until) and top_member not in dict(got[2])


def test_the_first_expiry_run_of_a_day_takes_the_snapshot(ctx, clock):
    from app.services.ledger import expiry

    a = member(ctx, "13800138001", "甲")
    with ctx.tx() as t:
        ledger.post_points(t, a.id, "earn", 120, expires_on=clock.now().date() + timedelta(days=10))
        ledger.post_points(t, a.id, "redeem", -20)
    today = clock.now().date()
    expiry.run(ctx)
    with ctx.tx(write=False) as t:
        assert points.snapshot_day(t) == today
        assert t.s.execute(select(PointsLapse.member_id, PointsLapse.points)).all() == [(a.id, 100)]
    with ctx.tx() as t:
        ledger.post_points(t, a.id, "redeem", -30)
    expiry.run(ctx)                     # again the same day: the snapshot is not taken again
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(PointsLapse.points)).scalars().all() == [100]
        assert points.lapsing_summary(t, today, today + timedelta(days=points.LAPSE_DAYS), 20) == (1, 70, [(a.id, 70)])
    clock.set(clock.now() + timedelta(days=1))
    expiry.run(ctx)
    with ctx.tx(write=False) as t:
        assert points.snapshot_day(t) == today + timedelta(days=1)
        assert t.s.execute(select(PointsLapse.points)).scalars().all() == [70]
