"""Restore works on a checked copy: a backup that fails any check leaves the live file byte-identical
and the shop starting as before; a good backup (old schema included) goes in upgraded; the command
line asks, or takes --yes; nobody restores under a running till app."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import subprocess
import sys
import time

import pytest
from sqlalchemy import select, text

from app.db import Database, sqlite_module
from app.errors import ShopError, render
from app.models import AuditLog
from app.services.base import audit
from app.services.admin import backup
from app.services.ledger import ledger
from app.services.base.context import SYSTEM, Ctx
from app.services.admin.integrity import run_check
from app.services.members.members import MemberInput, create_member
from tests.test_cli import ROOT, db_file, home, run  # noqa: F401 (home: a fixture)

pytestmark = pytest.mark.sqlite_only   # restore replaces a SQLite file (PostgreSQL: refused, see test_backup)

sqlite3 = sqlite_module()


def a_shop(ctx) -> None:
    m = create_member(ctx, MemberInput(name="王芳", phone="13800138000"))
    with ctx.tx() as t:
        ledger.post_wallet(t, m.id, "topup", 50_000, 5_000)


def live_bytes(db: Database) -> dict[str, bytes]:
    """The live database's files, byte for byte (the main file and its -wal/-shm as they are)."""
    folder = db.sqlite_path.parent
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name.startswith(db.sqlite_path.name) and not p.name.endswith("app-lock")}


def edited_backup(ctx, tmp_path, *sql: str, name="bad.db"):
    made = backup.backup(ctx.db, tmp_path / name)
    con = sqlite3.connect(made)
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()
    return made


def starts(url: str) -> None:
    """What the app and every command do on start: upgrade (after a backup), then a clean check."""
    db = Database(url)
    try:
        backup.upgrade_with_backup(db)
        report = run_check(Ctx(db=db, actor=SYSTEM))
        assert report.ok, [f.en for f in report.faults]
    finally:
        db.dispose()


def _bad_backups(ctx, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database\n" * 500)
    wrong_key = secrets.token_bytes(32)
    signed_elsewhere = backup.backup(ctx.db, tmp_path / "elsewhere.db")
    con = sqlite3.connect(signed_elsewhere)
    con.execute("DROP TRIGGER audit_log_no_update")
    prev = None
    rows = con.execute("SELECT id FROM audit_log ORDER BY id").fetchall()
    db = Database(f"sqlite:///{signed_elsewhere}")
    con.close()
    with db.session() as s:   # the same rows, chained under another till's key
        for row in s.execute(select(AuditLog).order_by(AuditLog.id)).scalars():
            row.prev_hash = prev
            row.hash = prev = hmac.new(wrong_key, audit._payload(prev, row), hashlib.sha256).hexdigest()
    db.dispose()
    con = sqlite3.connect(signed_elsewhere)
    con.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'no'); END")
    con.commit()
    con.close()
    assert rows
    return {
        "stored value without a ledger entry": (edited_backup(
            ctx, tmp_path, "UPDATE members SET wallet_principal = 99999900", name="rich.db"),
            "wallet_principal_mismatch"),
        "no audit triggers": (edited_backup(
            ctx, tmp_path, "DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete",
            name="open.db"), "audit_triggers"),
        "a newer schema": (edited_backup(
            ctx, tmp_path, "UPDATE alembic_version SET version_num = '0099_from_the_future'", name="newer.db"),
            "schema"),
        "a garbage schema revision": (edited_backup(
            ctx, tmp_path, "UPDATE alembic_version SET version_num = 'x'' OR 1=1; --'", name="junk.db"), "schema"),
        "not a SQLite file": (garbage, "integrity_check"),
        "an audit chain under another key": (signed_elsewhere, "audit_key_other"),
    }


def test_every_failing_backup_is_refused_and_the_live_file_stays_byte_identical(ctx, tmp_path):
    a_shop(ctx)
    cases = _bad_backups(ctx, tmp_path)
    before = live_bytes(ctx.db)
    for what, (src, check) in cases.items():
        with pytest.raises(ShopError) as e:
            backup.restore(ctx.db, src)
        assert e.value.code == "restore_check_failed", what
        assert check in e.value.params["check"], (what, e.value.params)
        assert "unchanged" in render(e.value) and "未作改动" in render(e.value, "zh_CN"), what
        assert live_bytes(ctx.db) == before, what
        assert not [p for p in ctx.db.sqlite_path.parent.iterdir() if ".restore-" in p.name], what
    starts(ctx.db.url)


def test_the_refusal_names_the_ledger_fault_in_both_languages(ctx, tmp_path):
    a_shop(ctx)
    src = edited_backup(ctx, tmp_path, "UPDATE members SET wallet_principal = 99999900")
    with pytest.raises(ShopError) as e:
        backup.restore(ctx.db, src)
    assert "99999900" in render(e.value) and "与流水合计" in render(e.value, "zh_CN")


def test_a_good_backup_of_an_old_schema_is_restored_and_upgraded(ctx, tmp_path):
    from alembic import command

    a_shop(ctx)
    old = backup.backup(ctx.db, tmp_path / "old.db")
    create_member(ctx, MemberInput(name="李雷", phone="13800138001"))   # after the backup: gone by the restore
    # Take the backup back to schema 0006 with its audit rows as ShopCare then wrote them (plain SHA-256).
    olddb = Database(f"sqlite:///{old}")
    command.downgrade(olddb.alembic_config(), "0006_audit_append_only")
    with olddb.engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_log_no_update"))
    with olddb.session() as s:
        prev = None
        for row in s.execute(select(AuditLog).order_by(AuditLog.id)).scalars():
            row.prev_hash = prev
            row.hash = prev = hashlib.sha256(audit._payload(prev, row)).hexdigest()
    with olddb.engine.begin() as c:
        c.execute(text("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"))
        c.execute(text("PRAGMA journal_mode = DELETE"))
    olddb.dispose()

    result = backup.restore(ctx.db, old)
    assert result.revision_before == "0006_audit_append_only" and result.revision_after == ctx.db.head_revision()
    assert result.safety_backup is not None and result.safety_backup.is_file()
    with ctx.db.engine.connect() as c:
        assert c.execute(text("SELECT name FROM members ORDER BY id")).scalars().all() == ["王芳"]
    assert not os.path.exists(f"{ctx.db.sqlite_path}-journal")
    assert os.stat(ctx.db.sqlite_path).st_mode & 0o777 == 0o600
    assert run_check(ctx).ok
    create_member(ctx, MemberInput(name="韩梅梅", phone="13800138002"))  # audited, keyed after the plain rows
    assert run_check(ctx).ok
    starts(ctx.db.url)


def test_restoring_an_older_backup_of_the_same_shop_is_not_a_truncated_audit_log(ctx, tmp_path):
    a_shop(ctx)
    early = backup.backup(ctx.db, tmp_path / "early.db")
    for i in range(3):
        create_member(ctx, MemberInput(name=f"会员{i}", phone=f"1390013900{i}"))
    backup.restore(ctx.db, early)
    assert run_check(ctx).ok, [f.en for f in run_check(ctx).faults]


def _holder(url: str) -> subprocess.Popen:
    """Another process holding the till app's lock, as the running app does."""
    code = ("import sys; from app.db import Database; from app.services.admin import backup; "
            f"backup.hold_app_lock(Database({url!r})); print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_refused_while_a_till_app_holds_the_database(ctx, tmp_path):
    a_shop(ctx)
    good = backup.backup(ctx.db, tmp_path / "good.db")
    app = _holder(ctx.db.url)
    try:
        before = live_bytes(ctx.db)
        with pytest.raises(ShopError) as e:
            backup.restore(ctx.db, good)
        assert e.value.code == "restore_app_running" and "close the till app" in render(e.value)
        assert live_bytes(ctx.db) == before
    finally:
        app.stdin.close()
        app.wait(30)
    assert backup.restore(ctx.db, good).restored_from == good   # the app closed: now it goes


def test_the_apps_own_restore_goes_while_it_holds_the_lock(ctx, tmp_path):
    a_shop(ctx)
    good = backup.backup(ctx.db, tmp_path / "good.db")
    backup.hold_app_lock(ctx.db)
    try:
        assert backup.restore_as(ctx, good).restored_from == good
        # Afterwards the app's lock is shared again: another till app may open the file too.
        other = _holder(ctx.db.url)
        other.stdin.close()
        other.wait(30)
    finally:
        backup.release_app_lock(ctx.db)


def test_the_command_asks_on_a_terminal_and_refuses_without_one(home, tmp_path):
    assert run(home, "init").returncode == 0
    made = run(home, "backup", str(tmp_path))
    assert made.returncode == 0, made.stderr
    src = next(tmp_path.glob("shopcare-*.db"))
    before = db_file(home).read_bytes()

    piped = run(home, "restore", str(src), stdin="yes\n")   # no terminal, no --yes: refused
    assert piped.returncode == 2 and "--yes" in piped.stderr
    assert db_file(home).read_bytes() == before

    def on_a_terminal(answer: str) -> subprocess.CompletedProcess:
        master, slave = os.openpty()
        env = {**os.environ, "SHOPCARE_HOME": str(home), "PYTHONPATH": str(ROOT), "LANG": "en_US.UTF-8"}
        env.pop("SHOPCARE_DB", None)
        proc = subprocess.Popen([sys.executable, "-m", "app", "restore", str(src)], cwd=ROOT, env=env,
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(slave)
        os.write(master, answer.encode())
        out, err = proc.communicate(timeout=120)
        os.close(master)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    no = on_a_terminal("no\n")
    assert no.returncode == 2 and "Type yes" in no.stderr and "not confirmed" in no.stderr
    assert db_file(home).read_bytes() == before
    yes = on_a_terminal("yes\n")
    assert yes.returncode == 0 and "Restored" in yes.stdout, yes.stderr
    scripted = run(home, "restore", "--yes", str(src))
    assert scripted.returncode == 0 and "Restored" in scripted.stdout
    assert run(home, "check").returncode == 0


def test_the_command_refuses_while_the_app_runs(home, tmp_path):
    assert run(home, "init").returncode == 0
    assert run(home, "backup", str(tmp_path)).returncode == 0
    src = next(tmp_path.glob("shopcare-*.db"))
    app = _holder(f"sqlite:///{db_file(home)}")
    try:
        proc = run(home, "restore", "--yes", str(src))
        assert proc.returncode == 2 and "close the till app first" in proc.stderr
        zh = run(home, "--lang", "zh_CN", "restore", "--yes", str(src))
        assert "请先关闭收银程序" in zh.stderr
    finally:
        app.stdin.close()
        app.wait(30)
