"""Engine and session set-up, SQLite pragmas, and upgrading the schema to head.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` (NORMAL can lose the last committed
sale on power loss), foreign keys on and a busy timeout. Write transactions begin IMMEDIATE: a busy
timeout does not save a deferred transaction that reads and then tries to write.

The SQLite library is the one bundled by ``pysqlite3`` (a wheel carrying its own, current SQLite)
when it is installed and free of the WAL-reset bug; otherwise Python's own ``sqlite3`` (on Debian 12,
SQLite 3.40.1, which has the bug). ``shopcare check`` reports which one runs.

A database that stays busy past the timeout (another till, or a long job, holds the write lock; on
PostgreSQL a lock timeout, a serialization failure or a deadlock) ends the unit of work with
``app.errors.Busy`` (code ``db_busy``), never a raw driver error. Nothing was committed then, so the
caller may run the whole service call again (the till does, see ``app.ui.tasks``).
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import make_url

from app import paths

if TYPE_CHECKING:   # the ORM is loaded by the first session: `shopcare check` reads through Core alone
    from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 10_000
# PostgreSQL SQLSTATEs that mean "another transaction is in the way; run again": serialization
# failure, deadlock detected, lock not available (lock_timeout).
PG_BUSY_STATES = {"40001", "40P01", "55P03"}
# The newest migration's revision. Start-up reads the file's revision with one plain query and
# imports alembic (~0.2 s of a cold start) only when it differs from this; a new migration updates
# it, and tests/test_migrations.py keeps it equal to alembic's own head.
SCHEMA_HEAD = "0017_points_lapse"
WRITE = "shopcare_write"
# A write unit of work that reads first and takes the write lock itself (``Database.write_lock``):
# the till's checkout, so the lock is held for its writes only.
LATE = "shopcare_write_late"


def sqlite_module():
    """The DB-API module for SQLite: pysqlite3's bundled library when it is free of the WAL-reset
    bug and Python's own is not, else Python's ``sqlite3``."""
    global _MODULE
    if _MODULE is None:
        _MODULE = sqlite3
        if sqlite_wal_reset_bug(sqlite3.sqlite_version):
            try:
                import pysqlite3.dbapi2 as bundled
            except ImportError:  # no wheel for this platform: the check says so
                pass
            else:
                if not sqlite_wal_reset_bug(bundled.sqlite_version):
                    _MODULE = bundled
    return _MODULE


_MODULE = None


def _sqlite_pragmas(busy_ms: int):
    def on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (the driver would send a plain deferred BEGIN).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()
    return on_connect


def _pg_lock_timeout(busy_ms: int):
    # Without it a till waits forever behind a row lock; with it the wait ends like SQLite's busy
    # timeout, as a ``Busy`` the till retries.
    def on_connect(dbapi_conn, _record) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(busy_ms)}")
        dbapi_conn.commit()
    return on_connect


def is_busy(exc: BaseException) -> bool:
    """Whether a driver error means "the database is busy, try again later" (nothing committed)."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in PG_BUSY_STATES:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes)
    text = str(orig).lower()
    return type(orig).__name__ == "OperationalError" and ("database is locked" in text
                                                           or "database table is locked" in text)


def _sqlite_begin(conn) -> None:
    opts = conn.get_execution_options()
    if opts.get(LATE):
        return  # its reads run as single statements until write_lock() sends BEGIN IMMEDIATE
    conn.exec_driver_sql("BEGIN IMMEDIATE" if opts.get(WRITE) else "BEGIN")


class Database:
    """One database: its engine, and sessions for reading and for writing."""

    def __init__(self, url: str | None = None, *, echo: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        """``busy_timeout_ms``: how long one statement waits for another writer's lock."""
        self.url = url or paths.default_db_url()
        u = make_url(self.url)
        self.is_sqlite = u.get_backend_name() == "sqlite"
        if self.is_sqlite and u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            paths.private_sqlite(Path(u.database).expanduser())  # 0600, however an older version left it
        extra = {"module": sqlite_module()} if self.is_sqlite else {}
        self.engine: Engine = create_engine(self.url, echo=echo, **extra)
        if self.is_sqlite:
            # SQLite before 3.51.3 (3.50.7, 3.44.6) can corrupt a WAL database when two connections
            # write or checkpoint at once; this process writes through ONE connection, so even a
            # library with the bug is safe while it is the only process writing.
            self.write_engine = create_engine(self.url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=60,
                                              **extra)
            for engine in (self.engine, self.write_engine):
                event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
                event.listen(engine, "begin", _sqlite_begin)
        else:
            self.write_engine = self.engine
            if u.get_backend_name() == "postgresql":
                event.listen(self.engine, "connect", _pg_lock_timeout(busy_timeout_ms))
        self.cache: dict[str, object] = {}  # small per-process caches (settings), cleared on change
        self._makers: tuple | None = None

    @property
    def sqlite_path(self) -> Path | None:
        u = make_url(self.url)
        if not self.is_sqlite or not u.database or u.database == ":memory:":
            return None
        return Path(u.database).expanduser()

    def _make_sessions(self) -> tuple:
        from sqlalchemy.orm import sessionmaker

        self._makers = (
            sessionmaker(self.engine, expire_on_commit=False),
            sessionmaker(self.write_engine.execution_options(**{WRITE: True}), expire_on_commit=False),
            sessionmaker(self.write_engine.execution_options(**{WRITE: True, LATE: True}), expire_on_commit=False))
        return self._makers

    @contextmanager
    def session(self, write: bool = True, *, late: bool = False) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error. A database still busy after
        the timeout raises ``Busy`` (nothing was committed: the whole call may be run again).

        ``late`` (a write that reads first): on SQLite nothing is begun until ``write_lock``; the
        statements before it are reads, each its own snapshot, and must not write."""
        read, write_, late_ = self._makers or self._make_sessions()
        maker = (late_ if late else write_) if write else read
        try:
            with maker() as session:
                with session.begin():
                    yield session
        except DBAPIError as exc:
            if not is_busy(exc):
                raise
            from app.errors import Busy

            raise Busy("db_busy") from exc

    def write_lock(self, session: Session) -> None:
        """Take the write lock now (SQLite: BEGIN IMMEDIATE, waiting up to the busy timeout) in a
        ``session(late=True)``; nothing when the transaction already holds it, or elsewhere
        (PostgreSQL locks the rows a statement writes)."""
        if not self.is_sqlite:
            return
        dbapi_conn = session.connection().connection.dbapi_connection
        if dbapi_conn.in_transaction:
            return
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
        except sqlite_module().Error as exc:
            raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite_module().Error) from exc

    def dispose(self) -> None:
        self.engine.dispose()
        self.write_engine.dispose()

    # --- schema -------------------------------------------------------------------------------
    def alembic_config(self):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(paths.migrations_dir()))
        cfg.attributes["engine"] = self.write_engine
        return cfg

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def at_head(self) -> bool:
        """Whether the schema is at SCHEMA_HEAD, read without importing alembic (the start-up fast path)."""
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no alembic_version table yet: a new or foreign file
            return False
        return rows == [SCHEMA_HEAD]

    def needs_upgrade(self) -> bool:
        return self.current_revision() != self.head_revision()

    def upgrade(self) -> None:
        """Bring the schema to head (the caller backs the file up first when it holds data)."""
        from alembic import command

        current = self.current_revision()
        if current is not None and not self.knows_revision(current):
            from app.errors import ShopError

            raise ShopError("db_newer", rev=current)
        command.upgrade(self.alembic_config(), "head")

    def knows_revision(self, revision: str) -> bool:
        """Whether our migrations know ``revision`` (if not, a newer ShopCare wrote the file)."""
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        try:
            return ScriptDirectory.from_config(self.alembic_config()).get_revision(revision) is not None
        except CommandError:
            return False

    def has_tables(self) -> bool:
        return bool(inspect(self.engine).get_table_names())


def sqlite_version() -> str:
    """The version of the SQLite library the app runs on."""
    return sqlite_module().sqlite_version


def sqlite_library() -> str:
    """Which library that is: ``pysqlite3`` (bundled) or ``sqlite3`` (Python's own)."""
    return "pysqlite3" if sqlite_module() is not sqlite3 else "sqlite3"


def sqlite_wal_reset_bug(version: str | None = None) -> bool:
    """True for SQLite releases with the WAL-reset corruption bug (3.7.0 to 3.51.2, except the
    back-ported fixes 3.50.7+ and 3.44.6+)."""
    v = tuple(int(p) for p in (version or sqlite_version()).split(".")[:3])
    if v < (3, 7, 0) or v >= (3, 51, 3):
        return False
    if (3, 50, 7) <= v < (3, 51, 0) or (3, 44, 6) <= v < (3, 45, 0):
        return False
    return True
