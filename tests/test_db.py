"""Database set-up: SQLite pragmas, IMMEDIATE writes, and refusing a schema from a newer ShopCare."""
import pytest
from sqlalchemy import text

from app.db import Database, sqlite_wal_reset_bug
from app.errors import ShopError


@pytest.mark.sqlite_only
def test_sqlite_pragmas(db):
    with db.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


@pytest.mark.sqlite_only
def test_write_sessions_hold_the_write_lock_from_the_start(db, tmp_path):
    from app.db import sqlite_module
    sqlite3 = sqlite_module()

    with db.session(write=True) as s:
        s.execute(text("SELECT 1"))  # a read only, yet BEGIN IMMEDIATE already took the lock
        other = sqlite3.connect(db.sqlite_path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    with db.session(write=False) as s:  # reads begin deferred: no lock taken
        s.execute(text("SELECT 1"))
        other = sqlite3.connect(db.sqlite_path, timeout=0.1)
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
        other.close()


def test_newer_schema_is_refused(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    database.upgrade()
    with database.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    with pytest.raises(ShopError) as e:
        database.upgrade()
    assert e.value.code == "db_newer"
    database.dispose()


@pytest.mark.parametrize("version,bad", [("3.40.1", True), ("3.51.2", True), ("3.51.3", False), ("3.50.7", False),
                                         ("3.44.6", False), ("3.44.5", True), ("3.6.23", False)])
def test_wal_reset_bug_versions(version, bad):
    assert sqlite_wal_reset_bug(version) is bad
