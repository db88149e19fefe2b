"""Hot, consistent backups of the SQLite file, restore, and "back up, then upgrade" on start.

A backup is taken with SQLite's online backup API in ONE step (a consistent snapshot even while
the till writes) into a temporary name in the destination folder; ``PRAGMA integrity_check`` runs
on the copy, and only then is it renamed to its final name (an atomic rename in one folder), so a
file called ``shopcare-*.db`` is always a whole, checked backup.

PostgreSQL databases are refused for now (``db_not_sqlite``): use ``pg_dump`` there.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app import paths
from app.db import Database, sqlite_module
from app.errors import ShopError
from app.services import audit, permissions
from app.services.context import Ctx

# The same SQLite library the app's engines use (see app.db.sqlite_module): its backup API and its
# exception classes.
sqlite3 = sqlite_module()

NAME_FORMAT = "shopcare-%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    safety_backup: Path | None   # the database as it was just before the restore
    revision_before: str | None  # schema revision of the restored file
    revision_after: str | None   # after upgrading it to head


def _live_path(db: Database, action: str) -> Path:
    path = db.sqlite_path
    if path is None:
        raise ShopError("db_not_sqlite", action=action)
    return path


def default_name(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime(NAME_FORMAT) + ".db"


def _target(dest: Path | None, now: datetime | None = None) -> Path:
    """Where the backup goes: a file path. ``dest`` may be a folder (a timestamped name is made)."""
    if dest is None:
        try:
            folder = paths.backup_dir()
        except OSError as exc:
            raise ShopError("backup_failed", why=reason(exc)) from None
        return _free_name(folder, now)
    dest = Path(dest).expanduser()
    if dest.is_dir():
        return _free_name(dest, now)
    if dest.suffix == "":
        # No such folder (a name without an extension is taken as a folder, not as a file name).
        if dest.exists():
            raise ShopError("backup_failed", why=f"{dest} is not a folder")
        raise ShopError("backup_failed", why=f"folder {dest} does not exist")
    if not dest.parent.is_dir():
        raise ShopError("backup_failed", why=f"folder {dest.parent} does not exist")
    if dest.exists():
        raise ShopError("backup_failed", why=f"{dest} already exists (choose a new name or a folder)")
    return dest


def _free_name(folder: Path, now: datetime | None = None) -> Path:
    base = default_name(now)
    target = folder / base
    n = 2
    while target.exists():
        target = folder / f"{base[:-3]}-{n}.db"
        n += 1
    return target


def reason(exc: BaseException) -> str:
    """Why a file operation failed, in words a shop owner can act on (full disk, permissions…)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "full" in str(exc).lower():
        return f"the disk is full ({exc})"
    if isinstance(exc, PermissionError) or "readonly" in str(exc).lower() or "read-only" in str(exc).lower():
        return f"no permission to write there ({exc})"
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
        return f"cannot create a file there ({exc})"
    return str(exc) or type(exc).__name__


def _ro_uri(path: Path) -> str:
    """A read-only SQLite URI for a file (percent-encoded: any folder or file name works)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def integrity_ok(path: Path) -> tuple[bool, str]:
    """``PRAGMA integrity_check`` on a file, opened read-only. (ok, first problem or 'ok')."""
    try:
        con = sqlite3.connect(_ro_uri(path), uri=True)
        try:
            rows = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return False, str(exc)
    return rows == ["ok"], rows[0] if rows else "no answer"


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(src_path: Path, tmp: Path) -> None:
    """Online backup API, one step, then the copy is made a plain (rollback-journal) file."""
    # Read-only: this connection can never write or checkpoint the live file, so the app stays
    # with one writing connection (the WAL-reset bug of SQLite < 3.51.3 needs two).
    src = sqlite3.connect(_ro_uri(src_path), uri=True)
    try:
        src.execute("PRAGMA busy_timeout = 10000")
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step
            dst.execute("PRAGMA journal_mode = DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())


def backup(db: Database, dest: Path | None = None, *, now: datetime | None = None) -> Path:
    """Copy the live database to ``dest`` (a file, a folder, or the backup folder) and return the
    path of the checked copy; ``now`` names it (default: the wall clock). Raises
    ShopError('backup_failed') with the reason, never a traceback."""
    live = _live_path(db, "shopcare backup")
    if not live.is_file():
        raise ShopError("db_missing", path=str(live))
    target = _target(dest, now)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        _copy(live, tmp)
        ok, detail = integrity_ok(tmp)
        if not ok:
            raise ShopError("backup_failed", why=f"the copy failed its integrity check: {detail}")
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except ShopError:
        _remove(tmp)
        raise
    except (sqlite3.Error, OSError) as exc:
        _remove(tmp)
        raise ShopError("backup_failed", why=reason(exc)) from None
    return target


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            p.unlink()
        except OSError:
            pass


def _revision_of(path: Path) -> str | None:
    con = sqlite3.connect(_ro_uri(path), uri=True)
    try:
        has = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        if not has:
            return None
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def restore_as(ctx: Ctx, src: Path) -> RestoreResult:
    """The Settings screen's restore: a settings change (the owner, with the owner's password)."""
    permissions.require(ctx, "change_settings")
    return restore(ctx.db, src)


def restore(db: Database, src: Path) -> RestoreResult:
    """Replace the live database with the backup ``src``: check it, back up the live file first,
    copy ``src`` in through the online backup API, then upgrade it to head."""
    live = _live_path(db, "shopcare restore")
    src = Path(src).expanduser()
    if not src.is_file():
        raise ShopError("restore_failed", why=f"no such file {src}")
    if live.exists() and src.resolve() == live.resolve():
        raise ShopError("restore_failed", why="that is the live database itself")
    ok, detail = integrity_ok(src)
    if not ok:
        raise ShopError("restore_failed", why=f"{src} is damaged or not a database ({detail})")
    try:
        revision = _revision_of(src)
    except sqlite3.Error as exc:
        raise ShopError("restore_failed", why=str(exc)) from None
    if revision is None:
        raise ShopError("restore_failed", why=f"{src} is not a ShopCare database (no schema version)")
    if not db.knows_revision(revision):
        raise ShopError("db_newer", rev=revision)

    safety = None
    if live.is_file() and live.stat().st_size > 0:
        safety = backup(db, None)
    db.dispose()  # no pooled connection of ours may hold the file while it is replaced
    try:
        s = sqlite3.connect(_ro_uri(src), uri=True)
        try:
            d = sqlite3.connect(live)
            try:
                d.execute("PRAGMA busy_timeout = 10000")
                s.backup(d)  # one step: the live file changes in one transaction, or not at all
            finally:
                d.close()
        finally:
            s.close()
    except (sqlite3.Error, OSError) as exc:
        raise ShopError("restore_failed", why=reason(exc)) from None
    db.upgrade()
    audit.write_state(audit.state_name(db.url), audit.chain_state(db))
    return RestoreResult(restored_from=src, safety_backup=safety, revision_before=revision,
                         revision_after=db.current_revision())


def upgrade_with_backup(db: Database) -> Path | None:
    """Bring the schema to head, backing the file up first when it holds data and must change.
    Returns the backup's path, or None when none was needed. (The app does this on every start.)"""
    if db.at_head():
        return None
    made = None
    path = db.sqlite_path
    if path is not None and path.is_file() and path.stat().st_size > 0 and db.has_tables() and db.needs_upgrade():
        _refuse_newer(db)
        made = backup(db, None)
    db.upgrade()
    return made


def _refuse_newer(db: Database) -> None:
    current = db.current_revision()
    if current is not None and not db.knows_revision(current):
        raise ShopError("db_newer", rev=current)
