"""Backups and restore on real SQLite files: hot, checked, atomic, and clear when they cannot be made."""
from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from app import paths
from app.db import Database, sqlite_module
from app.errors import ShopError, render
from app.services.admin import backup
from app.services.members.members import MemberInput, create_member

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks

pytestmark = pytest.mark.sqlite_only   # backups copy the SQLite file (PostgreSQL: pg_dump)


def members_in(path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT name FROM members ORDER BY id")]
    finally:
        con.close()


def add(ctx, name, phone):
    return create_member(ctx, MemberInput(name=name, phone=phone))


def test_backup_to_the_default_folder(ctx):
    add(ctx, "王芳", "13800138000")
    path = backup.backup(ctx.db)
    assert path.parent == paths.backup_dir()
    assert re.fullmatch(r"shopcare-\d{8}-\d{6}\.db", path.name)
    assert backup.integrity_ok(path) == (True, "ok")
    assert members_in(path) == ["王芳"]
    # A plain file: no WAL companions, no temporary file left behind.
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_two_backups_in_one_second_get_two_names(ctx):
    a = backup.backup(ctx.db)
    b = backup.backup(ctx.db)
    assert a != b and a.exists() and b.exists()


def test_backup_to_a_folder_or_a_file_name(ctx, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    p = backup.backup(ctx.db, folder)
    assert p.parent == folder and p.name.startswith("shopcare-")
    q = backup.backup(ctx.db, folder / "before-audit.db")
    assert q == folder / "before-audit.db" and backup.integrity_ok(q)[0]
    with pytest.raises(ShopError) as e:  # never overwrites
        backup.backup(ctx.db, folder / "before-audit.db")
    assert e.value.code == "backup_failed" and "already exists" in render(e.value)


def test_backup_is_hot_and_consistent(ctx, tmp_path):
    """A backup taken while another connection holds an open write transaction copies the last
    committed state, and does not wait for the writer."""
    add(ctx, "王芳", "13800138000")
    with ctx.db.session() as s:  # BEGIN IMMEDIATE: the write lock is held
        s.execute(text("UPDATE members SET notes = 'uncommitted'"))
        p = backup.backup(ctx.db, tmp_path)
    con = sqlite3.connect(p)
    assert con.execute("SELECT notes FROM members").fetchone()[0] == ""
    con.close()


@pytest.mark.parametrize("where", ["missing-folder", "missing/parent.db", "a-file/inside.db"])
def test_backup_to_a_place_that_cannot_be_written(ctx, tmp_path, where):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ShopError) as e:
        backup.backup(ctx.db, tmp_path / where)
    assert e.value.code == "backup_failed"
    assert "does not exist" in render(e.value)
    assert render(e.value, "zh_CN").startswith("备份失败")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into any folder")
def test_backup_to_a_read_only_folder(ctx, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ShopError) as e:
            backup.backup(ctx.db, ro)
        assert e.value.code == "backup_failed"
    finally:
        ro.chmod(0o700)


def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_file(ctx, tmp_path, monkeypatch):
    real_copy = backup._copy

    def copy_then_fill(src, tmp):
        real_copy(src, tmp)  # part of the file is there when the disk fills up
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backup, "_copy", copy_then_fill)
    folder = tmp_path / "usb"
    folder.mkdir()
    with pytest.raises(ShopError) as e:
        backup.backup(ctx.db, folder)
    assert e.value.code == "backup_failed" and "disk is full" in render(e.value)
    assert list(folder.iterdir()) == []


def test_a_copy_that_fails_its_check_is_never_renamed(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "integrity_ok", lambda path: (False, "*** in database main ***"))
    folder = tmp_path / "usb"
    folder.mkdir()
    with pytest.raises(ShopError) as e:
        backup.backup(ctx.db, folder)
    assert "integrity check" in render(e.value)
    assert list(folder.iterdir()) == []


def test_no_database_file_yet(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(ShopError) as e:
        backup.backup(db, tmp_path)
    assert e.value.code == "db_missing"


def test_postgresql_is_refused_for_now():
    fake_pg = SimpleNamespace(sqlite_path=None, url="postgresql+psycopg://till@shop/shopcare")
    for call in (lambda: backup.backup(fake_pg), lambda: backup.restore(fake_pg, "x.db")):
        with pytest.raises(ShopError) as e:
            call()
        assert e.value.code == "db_not_sqlite"


def test_restore_round_trip(ctx):
    add(ctx, "王芳", "13800138000")
    saved = backup.backup(ctx.db)
    add(ctx, "李雷", "13800138001")
    result = backup.restore(ctx.db, saved)
    assert members_in(ctx.db.sqlite_path) == ["王芳"]
    # The database as it was (with 李雷) was backed up first.
    assert result.safety_backup is not None and members_in(result.safety_backup) == ["王芳", "李雷"]
    assert result.revision_after == ctx.db.head_revision()
    # The live database is still a working WAL database the app can use.
    add(ctx, "韩梅梅", "13800138002")
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert members_in(ctx.db.sqlite_path) == ["王芳", "韩梅梅"]


def test_the_screens_restore_is_the_owners_with_the_password(ctx, cashier_ctx):
    from app.errors import PermissionDenied

    add(ctx, "王芳", "13800138000")
    saved = backup.backup(ctx.db)
    add(ctx, "李雷", "13800138001")
    for who in (cashier_ctx, ctx.without_owner()):
        with pytest.raises(PermissionDenied):
            backup.restore_as(who, saved)
        assert members_in(ctx.db.sqlite_path) == ["王芳", "李雷"]
    assert backup.restore_as(ctx, saved).restored_from == saved
    assert members_in(ctx.db.sqlite_path) == ["王芳"]


def test_restore_refuses_what_is_not_a_shopcare_backup(ctx, tmp_path):
    add(ctx, "王芳", "13800138000")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00garbage" * 1000)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    newer = backup.backup(ctx.db, tmp_path / "newer.db")
    con = sqlite3.connect(newer)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    for src, code, words in [(garbage, "restore_check_failed", "damaged"),
                             (other, "restore_check_failed", "not a ShopCare"),
                             (tmp_path / "missing.db", "restore_failed", "no such file"),
                             (newer, "restore_check_failed", "newer")]:
        with pytest.raises(ShopError) as e:
            backup.restore(ctx.db, src)
        assert e.value.code == code and words in render(e.value)
    assert members_in(ctx.db.sqlite_path) == ["王芳"]  # untouched
    assert list(paths.backup_dir().iterdir()) == []    # and nothing backed up for nothing


def test_upgrade_with_backup_backs_up_only_a_database_with_data_that_must_change(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'shop.db'}")
    assert backup.upgrade_with_backup(db) is None          # new: nothing to back up
    assert db.current_revision() == db.head_revision()
    assert backup.upgrade_with_backup(db) is None          # at head: nothing to do
    assert list(paths.backup_dir().glob("*.db")) == []
    from alembic import command

    command.downgrade(db.alembic_config(), "-1")             # a file from the previous version
    behind = db.current_revision()
    made = backup.upgrade_with_backup(db)
    assert made is not None and made.parent == paths.backup_dir() and backup.integrity_ok(made)[0]
    assert Database(f"sqlite:///{made}").current_revision() == behind   # the copy is from before
    assert db.current_revision() == db.head_revision()


def test_a_newer_database_is_refused_before_anything_happens(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'shop.db'}")
    db.upgrade()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(ShopError) as e:
        backup.upgrade_with_backup(db)
    assert e.value.code == "db_newer"
    assert list(paths.backup_dir().iterdir()) == []
