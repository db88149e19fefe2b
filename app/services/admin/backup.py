"""Hot, consistent backups of the SQLite file, restore, and "back up, then upgrade" on start.

A backup is taken with SQLite's online backup API in ONE step (a consistent snapshot even while
the till writes) into a temporary name in the destination folder; ``PRAGMA integrity_check`` runs
on the copy, and only then is it renamed to its final name (an atomic rename in one folder), so a
file called ``shopcare-*.db`` is always a whole, checked backup.

A restore works on a copy of the backup: upgraded and checked (integrity, every proof of ``shopcare
check``, the audit triggers) before it is renamed over the live file (see ``restore``).

PostgreSQL databases are refused (``db_not_sqlite``): use ``pg_dump`` / ``pg_restore`` there.
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
from app.i18n import L_
from app.services.base import audit, permissions
from app.services.base.context import Ctx

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
            raise ShopError("backup_failed", why=L_("{path} is not a folder", path=str(dest)))
        raise ShopError("backup_failed", why=L_("folder {path} does not exist", path=str(dest)))
    if not dest.parent.is_dir():
        raise ShopError("backup_failed", why=L_("folder {path} does not exist", path=str(dest.parent)))
    if dest.exists():
        raise ShopError("backup_failed", why=L_("{path} already exists (choose a new name or a folder)",
                                                path=str(dest)))
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
        paths.private_file(tmp)   # a backup is the whole member database: 0600 (app/paths.py)
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


# --- the till app's lock ------------------------------------------------------------------------
# The running app holds a SHARED lock on a file next to the database (``shopcare.db.app-lock``);
# ``restore`` takes it EXCLUSIVE without waiting, so it refuses while any till app has the file open.
# The app's own Settings restore upgrades the lock it already holds (``_HELD``), on the same descriptor.
# Windows has no shared locks: there the app locks exclusively, a second app on one file goes without.
_HELD: dict[str, int] = {}


def _lock_path(live: Path) -> Path:
    return live.with_name(live.name + ".app-lock")


def _lock(fd: int, exclusive: bool) -> bool:
    """Take (or convert) the lock without waiting; False when another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def hold_app_lock(db: Database) -> None:
    """The till app, on start: say "ShopCare is open on this file" for as long as this process runs."""
    live = db.sqlite_path
    if live is None or str(live) in _HELD:
        return
    fd = os.open(_lock_path(live), os.O_RDWR | os.O_CREAT, 0o600)
    if _lock(fd, exclusive=False):
        _HELD[str(live)] = fd
    else:  # a restore is swapping the file this very moment (or, on Windows, a second app)
        os.close(fd)


def release_app_lock(db: Database) -> None:
    live = db.sqlite_path
    fd = _HELD.pop(str(live), None) if live is not None else None
    if fd is not None:
        os.close(fd)


class _Exclusive:
    """The app lock taken exclusive for a restore: ShopError('restore_app_running') while a till app
    (another process) holds it."""

    def __init__(self, live: Path) -> None:
        self.live = live
        self.own = _HELD.get(str(live))
        self.fd = self.own if self.own is not None else os.open(_lock_path(live), os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> _Exclusive:
        if self.own is not None and os.name == "nt":
            return self   # the app's own lock is exclusive already there
        if not _lock(self.fd, exclusive=True):
            self._close()
            raise ShopError("restore_app_running", path=str(self.live))
        return self

    def __exit__(self, *exc) -> None:
        if self.own is not None:
            if os.name != "nt":
                _lock(self.fd, exclusive=False)   # back to the app's shared lock
        else:
            self._close()

    def _close(self) -> None:
        if self.own is None:
            os.close(self.fd)


def refuse_while_app_runs(db: Database) -> None:
    """ShopError('restore_app_running') when a till app (another process) has ``db`` open."""
    live = _live_path(db, "shopcare restore")
    if live.parent.is_dir():
        with _Exclusive(live):
            pass


# --- restore ---------------------------------------------------------------------------------------
def restore_as(ctx: Ctx, src: Path) -> RestoreResult:
    """The Settings screen's restore: a settings change (the owner, with the owner's password)."""
    permissions.require(ctx, "change_settings")
    return restore(ctx.db, src)


def _refuse(check: str, detail: object) -> ShopError:
    """The copy failed ``check`` (``detail``: an L_ text, or a message that is not ours, as it is):
    nothing of the live database was touched."""
    return ShopError("restore_check_failed", check=check, detail=detail)


def restore(db: Database, src: Path) -> RestoreResult:
    """Replace the live database with the backup ``src``, working on a COPY until the last step.

    The backup is copied (online backup API) to a temporary file next to the live one; the copy is
    upgraded to this version's schema, then must pass ``PRAGMA integrity_check``, every proof of
    ``shopcare check`` (ledgers, sales, the keyed audit chain) and have its audit triggers. Only then
    is the live database backed up and the copy renamed over it in one step (``os.replace``). A backup
    failing any of this raises ShopError('restore_check_failed') naming the check, and the live file
    is left exactly as it was. Refused while a till app (another process) holds the database."""
    live = _live_path(db, "shopcare restore")
    src = Path(src).expanduser()
    if not src.is_file():
        raise ShopError("restore_failed", why=L_("no such file {path}", path=str(src)))
    if live.exists() and src.resolve() == live.resolve():
        raise ShopError("restore_failed", why=L_("that is the live database itself"))
    live.parent.mkdir(parents=True, exist_ok=True)
    with _Exclusive(live):
        copy = live.with_name(f".{live.name}.restore-{os.getpid()}.tmp")
        try:
            revision, state = _prepare(src, copy)
            safety = None
            if live.is_file() and live.stat().st_size > 0:
                safety = backup(db, None)
            db.dispose()  # no pooled connection of ours may hold the file while it is replaced
            _swap(copy, live)
        except (sqlite3.Error, OSError) as exc:
            raise ShopError("restore_failed", why=reason(exc)) from None
        finally:
            _remove(copy)
        # What this computer recorded about the old chain does not apply to the restored one (whose
        # chain was just verified under the key): record the restored chain instead.
        try:
            audit.write_state(audit.state_name(db.url), state)
        except OSError as exc:
            raise ShopError("restore_failed", why=reason(exc)) from None
    return RestoreResult(restored_from=src, safety_backup=safety, revision_before=revision,
                         revision_after=db.current_revision())


def _prepare(src: Path, copy: Path) -> tuple[str, dict | None]:
    """Copy ``src`` to ``copy``, upgrade and check it; (its revision before, its audit chain's record)."""
    from app.services.admin import integrity
    from app.services.base.context import SYSTEM

    ok, detail = integrity_ok(src)
    if not ok:
        raise _refuse("integrity_check", L_("{path} is damaged or not a SQLite database ({detail})",
                                            path=str(src), detail=detail))
    try:
        revision = _revision_of(src)
    except sqlite3.Error as exc:
        raise _refuse("schema", str(exc)) from None
    if revision is None:
        raise _refuse("schema", L_("{path} is not a ShopCare database (no schema version)", path=str(src)))
    probe = Database(f"sqlite:///{copy}")
    try:
        if not probe.knows_revision(revision):
            raise _refuse("schema", L_("schema revision {revision} is unknown to this ShopCare (written by a newer "
                                       "version, or not a ShopCare backup)", revision=repr(revision)))
        _copy(src, copy)
        try:
            probe.upgrade()
        except ShopError:
            raise
        except Exception as exc:  # a migration that cannot run on this file: the copy is refused
            why = str(getattr(exc, "orig", exc)) or type(exc).__name__
            raise _refuse("upgrade", L_("upgrading it to this version's schema failed: {why}", why=why)) from None
        report = integrity.run_check(Ctx(db=probe, actor=SYSTEM, till="restore"))
        if not report.ok:
            first = report.faults[0]
            more = len(report.faults) - 1
            detail = L_("{fault} (and {more} more)", fault=first, more=more) if more else first
            raise _refuse(f"shopcare check: {first.code}", detail)
        state = audit.chain_state(probe)
        probe.dispose()
        # The copy goes in as a plain rollback-journal file (no -wal of its own to carry along);
        # the app's connections put it back in WAL mode.
        con = sqlite3.connect(copy)
        try:
            con.execute("PRAGMA journal_mode = DELETE")
        finally:
            con.close()
        ok, detail = integrity_ok(copy)
        if not ok:
            raise _refuse("integrity_check", L_("the upgraded copy: {detail}", detail=detail))
        os.chmod(copy, 0o600)  # it becomes the shop's database: private to the user, like the live one
        with open(copy, "rb+") as fh:
            os.fsync(fh.fileno())
        return revision, state
    finally:
        probe.dispose()
        audit.forget(probe.url)


def _swap(copy: Path, live: Path) -> None:
    """Rename the checked copy over the live file. The live file is first switched out of WAL (which
    checkpoints and deletes its -wal: a stale -wal left beside the new file would be replayed into it)
    and held EXCLUSIVE over the rename, so no other program is mid-write on it; one that has it open
    makes this fail (busy), with the live file still as it was."""
    if not live.exists():
        os.replace(copy, live)
        _fsync_dir(live.parent)
        return
    con = sqlite3.connect(live, timeout=5)
    try:
        mode = con.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise ShopError("restore_failed", why=L_("{path} is in use by another program (close it and try again)",
                                                     path=str(live)))
        con.execute("BEGIN EXCLUSIVE")
        os.replace(copy, live)
        _fsync_dir(live.parent)
        con.rollback()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ShopError("restore_failed", why=L_("{path} is in use by another program (close it and try again)",
                                                     path=str(live))) from None
        raise
    finally:
        con.close()
    for leftover in (Path(f"{live}-wal"), Path(f"{live}-shm")):
        # Only an -shm can remain (the -wal went with journal_mode=DELETE); it belongs to the old
        # file and nobody has that open any more (we held it exclusive): SQLite rebuilds it.
        try:
            leftover.unlink()
        except FileNotFoundError:
            pass


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
