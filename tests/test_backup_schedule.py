"""Automatic backups: one on the first start of a day and on every close; 7 daily, 4 weekly and
12 monthly kept; nothing but ShopCare's own backups ever removed; failures said, never raised raw."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app import paths
from app.errors import ShopError
from app.services.admin import backup, backup_schedule
from tests.shop import member

pytestmark = pytest.mark.sqlite_only   # backups copy the SQLite file (PostgreSQL: pg_dump)


def _name(t: datetime) -> str:
    return t.strftime("shopcare-%Y%m%d-%H%M%S.db")


def test_the_rotation_keeps_7_days_4_weeks_12_months_and_the_newest():
    today = date(2027, 3, 15)   # a Monday
    # Two backups a day (morning start, evening close) for 500 days.
    times = [datetime.combine(today - timedelta(days=d), datetime.min.time()).replace(hour=h)
             for d in range(500) for h in (9, 21)]
    kept = {t for t, _p in backup_schedule.keep([(t, Path(_name(t))) for t in times], today)}
    days = sorted({t.date() for t in kept}, reverse=True)
    # Daily: the evening backup of each of the last 7 days.
    for d in range(7):
        assert datetime.combine(today - timedelta(days=d), datetime.min.time()).replace(hour=21) in kept
    assert all(t.hour == 21 for t in kept)                      # the newest of each day / week / month
    weeks = {t.date().isocalendar()[:2] for t in kept}
    months = {(t.year, t.month) for t in kept}
    assert len(months) == 12 and (2026, 4) in months and (2026, 3) not in months
    assert len(weeks) >= 4
    # 7 days + up to 3 older weeks + up to 11 older months, one each.
    assert len(kept) <= 7 + 3 + 11 and len(kept) == len(set(kept))
    assert days[0] == today and max(kept) == max(times)
    assert backup_schedule.keep([], today) == set()
    old = [(datetime(2020, 1, 1, 9), Path("shopcare-20200101-090000.db"))]
    assert backup_schedule.keep(old, today) == set(old)          # the only backup is never removed
    same_second = [(datetime(2027, 3, 15, 9), Path("shopcare-20270315-090000.db")),
                   (datetime(2027, 3, 15, 9), Path("shopcare-20270315-090000-2.db"))]
    assert backup_schedule.keep(same_second, today) == {same_second[1]}   # -2 is the later one


def test_rotate_removes_only_shopcare_backups_beyond_the_plan(tmp_path):
    today = date(2027, 3, 15)
    made = []
    for d in range(40):
        p = tmp_path / _name(datetime.combine(today - timedelta(days=d), datetime.min.time()).replace(hour=21))
        p.write_bytes(b"x")
        made.append(p)
    mine = tmp_path / "before-the-audit.db"
    mine.write_bytes(b"x")
    odd = tmp_path / "shopcare-notadate.db"
    odd.write_bytes(b"x")
    removed = backup_schedule.rotate(today, tmp_path)
    left = {p.name for p in tmp_path.iterdir()}
    assert mine.name in left and odd.name in left
    assert {p.name for p in made} - {p.name for p in removed} == {p.name for p in made if p.name in left}
    assert len(removed) == 40 - len(left - {mine.name, odd.name})
    assert all(made[d].name in left for d in range(7))


def test_daily_makes_one_backup_a_day_and_on_close_always(ctx, clock):
    member(ctx, "13800138000", "王芳")
    morning = datetime(2027, 3, 15, 9, 0)
    first = backup_schedule.daily(ctx.db, morning)
    assert first.made is not None and first.made.parent == paths.backup_dir()
    assert backup.integrity_ok(first.made) == (True, "ok")
    again = backup_schedule.daily(ctx.db, morning + timedelta(hours=2))
    assert again.made is None                                      # today's is there
    closing = backup_schedule.on_close(ctx.db, morning + timedelta(hours=12))
    assert closing.made is not None and closing.removed == (first.made,)   # a day keeps its newest
    next_day = backup_schedule.daily(ctx.db, morning + timedelta(days=1))
    assert next_day.made is not None
    assert [p for _, p in backup_schedule.backups()] == [next_day.made, closing.made]
    # Nine days on, day one is out of the 7 days; its week's newest (day two's) stays as the weekly.
    later = backup_schedule.daily(ctx.db, morning + timedelta(days=9))
    assert set(later.removed) == {closing.made}
    assert [p for _, p in backup_schedule.backups()] == [later.made, next_day.made]


def test_a_missing_or_full_backups_folder_is_said_not_raised_raw(ctx, monkeypatch, tmp_path):
    member(ctx, "13800138000", "王芳")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setattr(paths, "data_dir", lambda: blocked)
    with pytest.raises(ShopError) as e:
        backup_schedule.daily(ctx.db, datetime(2027, 3, 15, 9))
    assert e.value.code == "backup_failed"

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.undo()
    monkeypatch.setattr(backup, "_copy", full)
    with pytest.raises(ShopError) as e:
        backup_schedule.on_close(ctx.db, datetime(2027, 3, 15, 21))
    assert e.value.code == "backup_failed" and "disk is full" in str(e.value)
    assert not [p for p in paths.backup_dir().iterdir() if p.name.endswith(".tmp")]
    assert os.listdir(paths.backup_dir()) == []


def test_the_backup_on_close_runs_in_a_process_of_its_own_holding_the_app_lock(ctx):
    """The till app's close: a detached process makes the backup (the app does not wait), with the
    app's lock inherited, so a restore keeps refusing until the copy is whole and renamed."""
    from app.services.admin import close_backup

    if ctx.db.sqlite_path is None:
        pytest.skip("backups are of SQLite files")
    member(ctx, "13800138000", "王芳")
    backup.hold_app_lock(ctx.db)
    try:
        proc = close_backup.spawn(ctx.db)
    finally:
        backup.release_app_lock(ctx.db)   # the app lets go at once; the child still holds the lock
    assert proc is not None
    assert proc.wait(120) == 0
    made = [p for _, p in backup_schedule.backups()]
    assert len(made) == 1 and backup.integrity_ok(made[0]) == (True, "ok")
    assert not [p for p in made[0].parent.iterdir() if p.name.endswith(".tmp")]   # no half copy left
    backup.refuse_while_app_runs(ctx.db)   # the lock went with the child: a restore may go ahead now
