"""``shopcare audit-key show|set``, run as a person would on two tills (two SHOPCARE_HOMEs, so two
computers' keys) against one database: SQLite here, PostgreSQL under SHOPCARE_TEST_PG."""
from __future__ import annotations

import secrets

from app.services.base import auth
from app.services.base.context import SYSTEM, Ctx
from tests.test_cli import run


def _owner_password(db, password: str) -> None:
    ctx = Ctx(db=db, actor=SYSTEM)
    staff = auth.add_staff(ctx, "Boss", "owner", "2468")
    auth.set_owner_password(ctx, password, staff_id=staff.id)


def test_two_tills_share_the_key_from_the_command_line(db, tmp_path):
    till1, till2 = tmp_path / "till1", tmp_path / "till2"
    url = ["--db", db.url]
    shown = run(till1, *url, "audit-key", "show")
    assert shown.returncode == 0, shown.stderr
    key = shown.stdout.strip()
    assert len(key.split()) == 8 and "audit-key set" in shown.stderr
    check = run(till2, *url, "check")
    assert check.returncode == 1 and "another till's key" in check.stdout and "audit_chain" not in check.stdout
    zh = run(till2, *url, "--lang", "zh_CN", "check")
    assert "另一台收银机的密钥" in zh.stdout

    wrong = run(till2, *url, "audit-key", "set", secrets.token_hex(32))
    assert wrong.returncode == 2 and "another key" in wrong.stderr and "Nothing was changed" in wrong.stderr
    bad = run(till2, *url, "audit-key", "set", "12345")
    assert bad.returncode == 2 and "64 hexadecimal digits" in bad.stderr
    assert run(till2, *url, "check").returncode == 1

    done = run(till2, *url, "audit-key", "set", *key.split())   # typed as shown, unquoted
    assert done.returncode == 0, done.stderr
    for till in (till2, till1):
        check = run(till, *url, "check")
        assert check.returncode == 0, check.stdout


def test_the_key_needs_the_owners_password_once_one_is_set(db, tmp_path):
    _owner_password(db, "tea-house-2026")
    url = ["--db", db.url]
    proc = run(tmp_path / "till1", *url, "audit-key", "show", stdin="")
    assert proc.returncode == 2 and "SHOPCARE_OWNER_PASSWORD" in proc.stderr and not proc.stdout.strip()
    proc = run(tmp_path / "till1", *url, "audit-key", "show", stdin="",
               extra_env={"SHOPCARE_OWNER_PASSWORD": "guess"})
    assert proc.returncode == 2 and "Wrong owner's password" in proc.stderr and not proc.stdout.strip()
    proc = run(tmp_path / "till1", *url, "audit-key", "show", stdin="",
               extra_env={"SHOPCARE_OWNER_PASSWORD": "tea-house-2026"})
    assert proc.returncode == 0 and len(proc.stdout.split()) == 8
    proc = run(tmp_path / "till2", *url, "audit-key", "set", proc.stdout.strip(), stdin="")
    assert proc.returncode == 2 and "SHOPCARE_OWNER_PASSWORD" in proc.stderr


def test_help_tells_how_to_share_the_key(tmp_path):
    top = run(tmp_path, "--help").stdout
    assert "audit-key show" in top and "audit-key set KEY" in top and "SHOPCARE_AUDIT_KEY" in top
    assert "keyed chain" in run(tmp_path, "check", "--help").stdout
    sub = run(tmp_path, "audit-key", "set", "--help").stdout
    assert "verifies the audit rows" in sub
