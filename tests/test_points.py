"""Points: the earning floor, expiry dates by policy, adjustments, FIFO expiry runs."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import InsufficientFunds, PermissionDenied, ValidationError
from app.models import AuditLog, Member, PointsEntry
from app.services.ledger import ledger, points
from app.services.members import members
from app.services.members.members import MemberInput
from app.services.base.settings import ShopSettings


def new_member(ctx, phone="13800138000", name="Han Meimei"):
    return members.create_member(ctx, MemberInput(name=name, phone=phone)).id


def assert_points_ledger(ctx):
    """Every member's cached points equal the sum of its ledger, and none is negative."""
    with ctx.tx(write=False) as t:
        sums = dict(t.s.execute(select(PointsEntry.member_id, func.sum(PointsEntry.points))
                                .group_by(PointsEntry.member_id)).all())
        for mid, bal in t.s.execute(select(Member.id, Member.points_balance)).all():
            assert bal == sums.get(mid, 0), mid
            assert bal >= 0


def balance(ctx, mid):
    with ctx.tx(write=False) as t:
        return t.s.get(Member, mid).points_balance


def post(ctx, mid, kind, pts, expires_on=None):
    with ctx.tx() as t:
        ledger.post_points(t, mid, kind, pts, expires_on=expires_on)


# --- pure rules --------------------------------------------------------------------------------------
def test_earn_points_floor():
    cfg = ShopSettings()  # CNY: 100 fen per yuan, 1 point per yuan
    assert points.earn_points(cfg, 9_999, 100) == 99          # 99.99 yuan -> 99 points
    assert points.earn_points(cfg, 10_000, 100) == 100
    assert points.earn_points(cfg, 99, 100) == 0
    assert points.earn_points(cfg, 10_099, 150) == 151        # 100.99 * 1.5 = 151.485 -> 151
    assert points.earn_points(cfg, 6_667, 120) == 80          # 66.67 * 1.2 = 80.004 -> 80
    assert points.earn_points(cfg, 6_666, 120) == 79          # 79.992 -> 79
    assert points.earn_points(replace(cfg, points_per_unit=3), 3_333, 100) == 99
    assert points.earn_points(replace(cfg, currency="JPY"), 1_999, 100) == 1_999  # no minor unit
    assert points.earn_points(cfg, 0, 150) == 0
    assert points.earn_points(cfg, -10_099, 150) == -151       # a refund takes back what it earned
    assert isinstance(points.earn_points(cfg, 12_345_678_901, 150), int)
    assert points.earn_points(cfg, 12_345_678_901, 150) == 12_345_678_901 * 150 // 10_000
    with pytest.raises(ValidationError):
        points.earn_points(cfg, 10.5, 100)


def test_expiry_date_policies():
    cfg = ShopSettings()
    assert points.expiry_date(replace(cfg, points_expiry_policy="never"), date(2026, 3, 2)) is None
    ye = replace(cfg, points_expiry_policy="year_end")
    assert points.expiry_date(ye, date(2026, 1, 1)) == date(2027, 12, 31)
    assert points.expiry_date(ye, date(2026, 12, 31)) == date(2027, 12, 31)
    mo = replace(cfg, points_expiry_policy="months", points_expiry_months=12)
    assert points.expiry_date(mo, date(2026, 3, 2)) == date(2027, 3, 2)
    assert points.expiry_date(mo, date(2028, 2, 29)) == date(2029, 2, 28)     # clamp leap day
    one = replace(mo, points_expiry_months=1)
    assert points.expiry_date(one, date(2026, 1, 31)) == date(2026, 2, 28)    # clamp to month end
    assert points.expiry_date(one, date(2026, 12, 15)) == date(2027, 1, 15)   # across the year
    assert points.expiry_date(replace(mo, points_expiry_months=14), date(2026, 12, 31)) == date(2028, 2, 29)


# --- adjust ---------------------------------------------------------------------------------------------
def test_adjust_credit_gets_expiry_and_audit(ctx):
    mid = new_member(ctx)
    r = points.adjust(ctx, mid, 500, "complaint goodwill")
    assert (r.before, r.after, r.expires_on) == (0, 500, date(2027, 12, 31))  # default policy year_end
    r2 = points.adjust(ctx, mid, -200, "wrong credit")
    assert (r2.before, r2.after, r2.expires_on) == (500, 300, None)
    h = points.history(ctx, mid, 10)
    assert [(e.kind, e.points) for e in h] == [("adjust", -200), ("adjust", 500)]
    with ctx.tx(write=False) as t:
        reasons = t.s.execute(select(AuditLog.reason).where(AuditLog.action == "points.adjust")
                              .order_by(AuditLog.id)).scalars().all()
    assert reasons == ["complaint goodwill", "wrong credit"]
    assert_points_ledger(ctx)


def test_adjust_refusals(ctx, cashier_ctx):
    mid = new_member(ctx)
    points.adjust(ctx, mid, 100, "start")
    with pytest.raises(PermissionDenied):
        points.adjust(cashier_ctx, mid, 50, "gift")
    with pytest.raises(ValidationError) as ei:
        points.adjust(ctx, mid, 50, " ")
    assert ei.value.code == "reason_required"
    with pytest.raises(InsufficientFunds) as ei:
        points.adjust(ctx, mid, -101, "too many")
    assert ei.value.code == "adjust_points_negative"
    for bad in (0, 1.5, "10", True):
        with pytest.raises(ValidationError) as ei:
            points.adjust(ctx, mid, bad, "bad")
        assert ei.value.code == "points_adjust_invalid"
    assert balance(ctx, mid) == 100
    assert len(points.history(ctx, mid)) == 1
    assert_points_ledger(ctx)


def test_open_points_expires_by_policy(ctx):
    mid = new_member(ctx)
    with ctx.tx() as t:
        v = points.open_points(t, mid, 1_200, "old system")
        v2 = points.open_points(t, mid, 300, "old system, earned earlier", earned_on=date(2025, 6, 1))
        assert points.open_points(t, mid, 0, "nothing") is None
        with pytest.raises(ValidationError):
            points.open_points(t, mid, -5, "bad")
    assert (v.kind, v.points, v.expires_on) == ("opening", 1_200, date(2027, 12, 31))
    assert v2.expires_on == date(2026, 12, 31)
    assert balance(ctx, mid) == 1_500
    assert_points_ledger(ctx)


# --- expiry run -------------------------------------------------------------------------------------
def test_expire_fifo_across_several_earn_dates(ctx):
    mid = new_member(ctx)
    post(ctx, mid, "earn", 100, date(2026, 12, 31))
    post(ctx, mid, "earn", 200, date(2027, 12, 31))
    post(ctx, mid, "earn", 50, date(2027, 12, 31))
    post(ctx, mid, "earn", 400, date(2028, 12, 31))
    post(ctx, mid, "earn", 70, None)                 # never expires
    post(ctx, mid, "redeem", -150)                   # consumes the 100 of 2026, then 50 of 2027's
    assert balance(ctx, mid) == 670
    assert points.due_to_expire(ctx, mid, date(2026, 12, 31)) == 0
    r = points.expire_due(ctx, date(2026, 12, 31))
    assert (r.members, r.points) == (0, 0)
    assert points.due_to_expire(ctx, mid, date(2027, 12, 31)) == 200
    r = points.expire_due(ctx, date(2027, 12, 30))   # the day before: nothing yet
    assert r.points == 0
    r = points.expire_due(ctx, date(2027, 12, 31))
    assert (r.members, r.points) == (1, 200)         # (200 + 50) - 50 left over from the redeem
    assert balance(ctx, mid) == 470
    again = points.expire_due(ctx, date(2027, 12, 31))
    assert (again.members, again.points) == (0, 0)   # idempotent
    later = points.expire_due(ctx, date(2029, 1, 1))
    assert later.points == 400                       # the 70 that never expire remain
    assert balance(ctx, mid) == 70
    assert points.expire_due(ctx, date(2040, 1, 1)).points == 0
    kinds = [(e.kind, e.points) for e in points.history(ctx, mid, 3)]
    assert kinds == [("expire", -400), ("expire", -200), ("redeem", -150)]
    assert_points_ledger(ctx)


def test_expire_skips_run_dates_and_catches_up(ctx):
    mid = new_member(ctx)
    post(ctx, mid, "earn", 100, date(2026, 6, 30))
    post(ctx, mid, "earn", 100, date(2026, 7, 31))
    post(ctx, mid, "earn", 100, date(2026, 8, 31))
    assert points.expire_due(ctx, date(2026, 8, 31)).points == 300  # a late run catches everything up
    assert balance(ctx, mid) == 0
    assert_points_ledger(ctx)


def test_expire_counts_negative_adjust_and_refunds_as_consumed(ctx):
    mid = new_member(ctx)
    post(ctx, mid, "earn", 300, date(2026, 12, 31))
    post(ctx, mid, "adjust", -100)
    post(ctx, mid, "refund", -50)                    # points of a refunded sale taken back
    post(ctx, mid, "refund", 40, date(2026, 12, 31)) # points paid on a refunded sale given back
    assert points.expire_due(ctx, date(2026, 12, 31)).points == 190
    assert balance(ctx, mid) == 0
    assert_points_ledger(ctx)


def test_expire_never_more_than_balance_and_several_members(ctx):
    a = new_member(ctx, "13800138001", "A")
    b = new_member(ctx, "13800138002", "B")
    c = new_member(ctx, "13800138003", "C")
    post(ctx, a, "earn", 100, date(2026, 3, 1))
    post(ctx, b, "earn", 100, date(2026, 3, 1))
    post(ctx, b, "redeem", -100)
    post(ctx, c, "earn", 100, date(2026, 4, 1))
    post(ctx, c, "earn", 100, date(2026, 2, 1))
    with ctx.tx() as t:  # a broken cache (as if a bad import) must not let expiry go below zero
        t.s.get(Member, a).points_balance = 30
    r = points.expire_due(ctx, date(2026, 3, 2))
    assert (r.members, r.points) == (2, 130)
    assert (balance(ctx, a), balance(ctx, b), balance(ctx, c)) == (0, 0, 100)
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.count()).where(PointsEntry.kind == "expire")).scalar() == 2
        assert t.s.execute(select(AuditLog.action).where(AuditLog.action == "points.expire")).scalar()


def test_expire_needs_permission(cashier_ctx):
    with pytest.raises(PermissionDenied):
        points.expire_due(cashier_ctx, date(2026, 3, 2))


@pytest.mark.slow
def test_expire_is_set_based_for_many_members(ctx, clock):
    """5,000 members: the run must not issue a query per member to find what is due."""
    import time

    from sqlalchemy import event

    now = datetime(2026, 3, 2, 10, 0)
    with ctx.tx() as t:
        conn = t.s.connection()
        conn.execute(Member.__table__.insert(), [
            dict(name=f"M{i}", name_key=f"m{i}", phone=f"+86139{i:08d}", join_date=now.date(), created_at=now,
                 updated_at=now, wallet_principal=0, wallet_bonus=0, points_balance=300, total_spent=0, visits=0,
                 birthday_calendar="solar", birthday_leap_month=False, consent_care=False,
                 consent_marketing=False, ebill_enabled=True, notes="")
            for i in range(5_000)])
        ids = [r[0] for r in conn.execute(select(Member.id)).all()]
        conn.execute(PointsEntry.__table__.insert(), [
            dict(member_id=mid, kind="earn", points=pts, expires_on=exp, created_at=now, note="")
            for mid in ids for pts, exp in ((100, date(2026, 1, 1)), (200, date(2027, 1, 1)))])
    selects = []

    def count(conn, cursor, statement, *a):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        r = points.expire_due(ctx, date(2026, 3, 2))
        elapsed = time.perf_counter() - started
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)
    assert (r.members, r.points) == (5_000, 500_000)
    assert len(selects) <= 5, selects[:10]
    assert elapsed < 30
    assert points.expire_due(ctx, date(2026, 3, 2)).points == 0
    assert_points_ledger(ctx)


def test_expiry_batch_is_all_or_nothing_when_a_balance_moved(ctx):
    a = new_member(ctx, "13800138001", "A")
    b = new_member(ctx, "13800138002", "B")
    post(ctx, a, "earn", 100, date(2026, 3, 1))
    post(ctx, b, "earn", 100, date(2026, 3, 1))
    with pytest.raises(InsufficientFunds):
        with ctx.tx() as t:  # as if b spent 50 between the due query and the debit
            ledger.post_points_many(t, "expire", [(a, -100), (b, -150)], note="race")
    assert (balance(ctx, a), balance(ctx, b)) == (100, 100)
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.count()).where(PointsEntry.kind == "expire")).scalar() == 0
    assert_points_ledger(ctx)


def test_expire_inside_outer_transaction_refreshes_loaded_member(ctx):
    mid = new_member(ctx)
    post(ctx, mid, "earn", 80, date(2026, 3, 1))
    with ctx.tx() as t:
        m = t.s.get(Member, mid)
        assert m.points_balance == 80
        assert points.expire_due(t, date(2026, 3, 2)).points == 80
        assert m.points_balance == 0
    assert_points_ledger(ctx)
