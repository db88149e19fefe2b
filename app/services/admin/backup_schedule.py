"""Automatic backups and their rotation: the first start of each day and every close make one, and
the backups folder keeps the newest of each of the last 7 days, 4 weeks and 12 months.

Only files named like ShopCare's own backups (``shopcare-YYYYmmdd-HHMMSS[-N].db``) in the default
backups folder are ever removed; a copy the owner made elsewhere or named otherwise is left alone,
and the newest backup is always kept. A full disk or a missing folder is a ShopError, never a crash.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from app import paths
from app.db import Database
from app.errors import ShopError
from app.services.admin import backup

KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
_NAME = re.compile(r"^shopcare-(\d{8}-\d{6})(?:-(\d+))?\.db$")


@dataclass(frozen=True)
class AutoBackup:
    made: Path | None          # None: not due (a backup of today is already there)
    removed: tuple[Path, ...]  # old backups rotated out


def taken_at(path: Path) -> datetime | None:
    """When a ShopCare backup was taken, from its name; None for any other file."""
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def _order(item: tuple[datetime, Path]) -> tuple[datetime, int]:
    """Newer first by time, then by the -N a second backup within the same second gets."""
    m = _NAME.match(item[1].name)
    return item[0], int(m.group(2)) if m and m.group(2) else 1


def backups(folder: Path | None = None) -> list[tuple[datetime, Path]]:
    """ShopCare's backups in ``folder`` (default: the backups folder), newest first."""
    try:
        folder = folder or paths.backup_dir()
        found = [(when, p) for p in folder.glob("shopcare-*.db") if (when := taken_at(p)) is not None]
    except OSError as exc:  # the data folder is gone or not ours to write
        raise ShopError("backup_failed", why=backup.reason(exc)) from None
    return sorted(found, key=_order, reverse=True)


def keep(found: list[tuple[datetime, Path]], today: date) -> set[tuple[datetime, Path]]:
    """Which backups a grandfather-father-son rotation keeps: the newest of each of the last
    ``KEEP_DAILY`` days, ``KEEP_WEEKLY`` ISO weeks and ``KEEP_MONTHLY`` months (counted back from
    ``today``), and the newest of all."""
    newest = sorted(found, key=_order, reverse=True)
    kept = set(newest[:1])
    monday = lambda d: d - timedelta(days=d.weekday())  # noqa: E731
    weeks_back = lambda d: (monday(today) - monday(d)).days // 7  # noqa: E731
    months_back = lambda d: (today.year - d.year) * 12 + today.month - d.month  # noqa: E731
    for window, bucket, span in (((lambda d: (today - d).days), (lambda d: d), KEEP_DAILY),
                                 (weeks_back, (lambda d: d.isocalendar()[:2]), KEEP_WEEKLY),
                                 (months_back, (lambda d: (d.year, d.month)), KEEP_MONTHLY)):
        seen = set()
        for item in newest:
            d = item[0].date()
            if 0 <= window(d) < span and bucket(d) not in seen:
                seen.add(bucket(d))
                kept.add(item)
    return kept


def rotate(today: date, folder: Path | None = None) -> tuple[Path, ...]:
    """Remove the backups the rotation does not keep; returns what was removed."""
    found = backups(folder)
    kept = keep(found, today)
    removed = []
    for when, path in found:
        if (when, path) not in kept:
            try:
                path.unlink()
                removed.append(path)
            except OSError:  # a file another program holds open: try again next time
                pass
    return tuple(removed)


def due_today(today: date, folder: Path | None = None) -> bool:
    return not any(when.date() == today for when, _ in backups(folder))


def daily(db: Database, now: datetime | None = None) -> AutoBackup:
    """The first start of a day: a backup when none of today's is there yet, then the rotation."""
    now = now or datetime.now()
    if db.sqlite_path is None or not db.sqlite_path.is_file() or not due_today(now.date()):
        return AutoBackup(None, ())
    made = backup.backup(db, None, now=now)
    return AutoBackup(made, rotate(now.date()))


def on_close(db: Database, now: datetime | None = None) -> AutoBackup:
    """Closing the app: always a backup (the day's last state), then the rotation."""
    now = now or datetime.now()
    if db.sqlite_path is None or not db.sqlite_path.is_file():
        return AutoBackup(None, ())
    made = backup.backup(db, None, now=now)
    return AutoBackup(made, rotate(now.date()))
