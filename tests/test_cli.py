"""The ``shopcare`` command, run as a person would: a subprocess against real SQLite files."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import db as dbmod
from app.db import Database, sqlite_module
from app.services.base import settings as shop_settings
from app.services.base.context import SYSTEM, Actor, Ctx
from app.services.members.members import MemberInput, create_member
from tests.shop import confirmed

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def run(home: Path, *args: str, lang_env: str = "en_US.UTF-8", extra_env: dict | None = None,
        stdin: str | None = None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SHOPCARE_DB", "SHOPCARE_TILL", "LC_ALL", "LC_MESSAGES", "LANG", "DISPLAY",
                        "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(SHOPCARE_HOME=str(home), LANG=lang_env, PYTHONPATH=str(ROOT))
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, input=stdin)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def db_file(home: Path) -> Path:
    return home / "data" / "shopcare.db"


def ctx_for(path: Path) -> Ctx:
    return Ctx(db=Database(f"sqlite:///{path}"), actor=SYSTEM)


def add_member(path: Path, name: str, phone: str) -> int:
    ctx = ctx_for(path)
    try:
        return create_member(ctx, MemberInput(name=name, phone=phone)).id
    finally:
        ctx.db.dispose()


def names(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT name FROM members ORDER BY id")]
    finally:
        con.close()


def test_init_creates_a_database_at_head(home):
    proc = run(home, "init")
    assert proc.returncode == 0, proc.stderr
    path = db_file(home)
    assert path.is_file() and str(path) in proc.stdout
    db = Database(f"sqlite:///{path}")
    assert db.current_revision() == db.head_revision()
    con = sqlite3.connect(path)
    assert con.execute("SELECT code FROM tills").fetchall() == [("T1",)]
    assert con.execute("SELECT COUNT(*) FROM tiers").fetchone()[0] == 3
    con.close()
    again = run(home, "init")  # safe to run again; no backup needed at head
    assert again.returncode == 0 and "Backed up" not in again.stderr


def test_init_with_db_option_and_till_from_env(home, tmp_path):
    other = tmp_path / "elsewhere" / "shop.db"
    proc = run(home, "--db", f"sqlite:///{other}", "init", extra_env={"SHOPCARE_TILL": "T2"})
    assert proc.returncode == 0, proc.stderr
    assert other.is_file() and not db_file(home).exists()
    con = sqlite3.connect(other)
    assert con.execute("SELECT code FROM tills").fetchall() == [("T2",)]
    con.close()
    via_env = run(home, "check", extra_env={"SHOPCARE_DB": f"sqlite:///{other}"})
    assert via_env.returncode == 0, via_env.stdout + via_env.stderr


def test_check_passes_then_fails_on_a_corrupted_balance(home):
    assert run(home, "init").returncode == 0
    mid = add_member(db_file(home), "王芳", "13800138000")
    ok = run(home, "check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK: no faults" in ok.stdout and "Checked 1 members" in ok.stdout
    assert f"SQLite library {dbmod.sqlite_version()} ({dbmod.sqlite_library()})" in ok.stdout

    con = sqlite3.connect(db_file(home))
    con.execute("UPDATE members SET wallet_principal = 5000 WHERE id = ?", (mid,))
    con.commit()
    con.close()
    bad = run(home, "check")
    assert bad.returncode == 1
    assert re.search(rf"FAULT: Member {mid}: cached paid stored value 5000 differs from its ledger sum 0",
                     bad.stdout), bad.stdout
    assert "1 fault(s) found" in bad.stderr
    zh = run(home, "--lang", "zh_CN", "check")
    assert zh.returncode == 1 and f"会员 {mid}" in zh.stdout and "发现 1 个问题" in zh.stderr


def test_check_on_a_missing_database_creates_nothing(home):
    proc = run(home, "check")
    assert proc.returncode == 2
    assert "run 'shopcare init' first" in proc.stderr
    assert not db_file(home).exists()


def test_backup_then_restore_round_trip(home, tmp_path):
    assert run(home, "init").returncode == 0
    add_member(db_file(home), "王芳", "13800138000")
    folder = tmp_path / "usb"
    folder.mkdir()
    made = run(home, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    copies = list(folder.glob("shopcare-*.db"))
    assert len(copies) == 1 and str(copies[0]) in made.stdout
    con = sqlite3.connect(copies[0])
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    add_member(db_file(home), "李雷", "13800138001")
    assert names(db_file(home)) == ["王芳", "李雷"]
    restored = run(home, "restore", "--yes", str(copies[0]))
    assert restored.returncode == 0, restored.stderr
    assert names(db_file(home)) == ["王芳"]
    safety = list((home / "data" / "backups").glob("shopcare-*.db"))
    assert len(safety) == 1 and names(safety[0]) == ["王芳", "李雷"]
    assert str(safety[0]) in restored.stdout
    assert run(home, "check").returncode == 0


def test_backup_to_the_default_folder(home):
    assert run(home, "init").returncode == 0
    proc = run(home, "backup")
    assert proc.returncode == 0, proc.stderr
    assert len(list((home / "data" / "backups").glob("shopcare-*.db"))) == 1


@pytest.mark.parametrize("where", ["no/such/folder", "no/such/folder/copy.db", "a-file/copy.db"])
def test_backup_to_a_missing_or_unwritable_folder(home, tmp_path, where):
    assert run(home, "init").returncode == 0
    (tmp_path / "a-file").write_text("a file where a folder should be")
    proc = run(home, "backup", str(tmp_path / where))
    assert proc.returncode == 2
    assert proc.stderr.startswith("Backup failed: ") and "does not exist" in proc.stderr
    assert proc.stdout == ""


def test_errors_render_in_chinese(home, tmp_path):
    assert run(home, "init").returncode == 0
    by_option = run(home, "--lang", "zh_CN", "backup", str(tmp_path / "missing" / "dir"))
    assert by_option.returncode == 2 and by_option.stderr.startswith("备份失败：")
    by_env = run(home, "restore", str(tmp_path / "nothing.db"), lang_env="zh_CN.UTF-8")
    assert by_env.returncode == 2 and by_env.stderr.startswith("恢复失败："), by_env.stderr
    english = run(home, "--lang", "en", "restore", str(tmp_path / "nothing.db"), lang_env="zh_CN.UTF-8")
    assert english.stderr.startswith("Restore failed: ")


def test_the_shop_language_setting_wins_over_lang(home, tmp_path):
    assert run(home, "init").returncode == 0
    ctx = confirmed(ctx_for(db_file(home)).as_actor(Actor(None, "owner", "owner")))
    shop_settings.update(ctx, language="en")
    ctx.db.dispose()
    proc = run(home, "check", lang_env="zh_CN.UTF-8")
    assert proc.returncode == 0 and "OK: no faults found" in proc.stdout


HELP = {
    (): ["start the till app", "init", "demo", "import", "check", "backup", "restore", "SHOPCARE_DB",
         "--db URL", "--lang"],
    ("init",): ["create or upgrade the database"],
    ("demo",): ["demo shop data", "--members N", "--days D", "--seed S"],
    ("import",): ["members", "sales", "--skip-bad"],
    ("import", "members"): ["CSV or XLSX", "--skip-bad", "FILE"],
    ("import", "sales"): ["phone", "datetime", "amount", "sku, qty", "FILE"],
    ("check",): ["quick_check", "ledger", "Exit 1 on any fault"],
    ("backup",): ["Hot, consistent backup", "PATH", "integrity-checked"],
    ("restore",): ["PATH", "backed up"],
}


@pytest.mark.parametrize("words", list(HELP), ids=lambda w: " ".join(w) or "shopcare")
def test_help(home, words):
    proc = run(home, *words, "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split()).lower()
    for expected in HELP[words]:
        assert expected.lower() in text, (expected, proc.stdout)
    assert not (home / "data" / "shopcare.db").exists()  # help touches no database


def test_bad_usage_exits_2(home):
    assert run(home, "frobnicate").returncode == 2
    assert run(home, "import").returncode == 2
    assert run(home, "demo", "--members", "0").returncode == 2
    assert run(home, "--lang", "fr", "check").returncode == 2


def test_no_command_without_a_display_says_so(home):
    proc = run(home)
    assert proc.returncode == 2
    assert "No display" in proc.stderr


def test_import_members_reports_every_bad_row(home, tmp_path):
    pytest.importorskip("app.services.admin.imports")
    assert run(home, "init").returncode == 0
    good = tmp_path / "good.csv"
    good.write_text("name,phone\n王芳,13800138000\n李雷,13800138001\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,手机号\n韩梅梅,13800138002\n,13800138003\n张三,12345\n", encoding="utf-8")
    ok = run(home, "import", "members", str(good))
    assert ok.returncode == 0, ok.stderr
    assert "2 members imported" in ok.stdout

    refused = run(home, "--lang", "zh_CN", "import", "members", str(bad))
    assert refused.returncode == 2
    assert "第 3 行" in refused.stderr and "第 4 行" in refused.stderr and "第 2 行" not in refused.stderr
    assert names(db_file(home)) == ["王芳", "李雷"]  # all or nothing

    skipped = run(home, "import", "members", str(bad), "--skip-bad")
    assert skipped.returncode == 0, skipped.stderr
    assert "1 member imported" in skipped.stdout and "row 3:" in skipped.stdout and "row 4:" in skipped.stdout
    assert names(db_file(home)) == ["王芳", "李雷", "韩梅梅"]
    assert run(home, "check").returncode == 0


def test_import_of_a_missing_file(home, tmp_path):
    proc = run(home, "import", "sales", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "No such file" in proc.stderr


def test_demo_then_check(home):
    demo = pytest.importorskip("app.services.admin.demo")
    if not hasattr(demo, "build_demo"):
        pytest.skip("app.services.admin.demo.build_demo is not there yet")
    proc = run(home, "demo", "--members", "30", "--days", "5", "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    assert "%" in proc.stderr  # progress on stderr
    con = sqlite3.connect(db_file(home))
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] >= 30
    con.close()
    check = run(home, "check")
    assert check.returncode == 0, check.stdout


def test_readme_lists_every_import_column():
    imports = pytest.importorskip("app.services.admin.imports")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- import-columns")[1].split("<!-- /import-columns -->")[0]
    members_part, sales_part = section.split("Sales history")

    def documented(part: str) -> dict[str, list[str]]:
        cells = [line.split("|") for line in part.splitlines() if line.startswith("| `")]
        return {c[1].split()[0].strip("`"): [a.strip() for a in c[2].split(",")] for c in cells}

    for table, part in ((imports.MEMBER_COLUMNS, members_part), (imports.SALES_COLUMNS, sales_part)):
        assert documented(part) == {k: list(v) for k, v in table.items()}


def test_export_asks_the_owners_password_once_one_is_set(home, tmp_path):
    from app.services.base import auth

    assert run(home, "init").returncode == 0
    add_member(db_file(home), "王芳", "13800138000")
    out = tmp_path / "members.csv"
    # no owner's password yet: the export runs as before (scripts keep working)
    assert run(home, "export", "members", "-o", str(out), stdin="").returncode == 0 and out.exists()
    out.unlink()
    ctx = ctx_for(db_file(home))
    auth.add_staff(ctx, "Boss", "owner", "2468")
    ctx.db.dispose()
    proc = run(home, "owner-password", stdin="2468\n")
    assert proc.returncode == 2 and "must not be the PIN" in proc.stderr
    assert run(home, "owner-password", stdin="tea-house-2026\n").returncode == 0
    # not a terminal and no SHOPCARE_OWNER_PASSWORD: refused, nothing written
    proc = run(home, "export", "members", "-o", str(out), stdin="")
    assert proc.returncode == 2 and "SHOPCARE_OWNER_PASSWORD" in proc.stderr and not out.exists()
    proc = run(home, "export", "members", "-o", str(out), stdin="", extra_env={"SHOPCARE_OWNER_PASSWORD": "guess"})
    assert proc.returncode == 2 and "Wrong owner's password" in proc.stderr and not out.exists()
    proc = run(home, "--lang", "zh_CN", "export", "members", "-o", str(out), stdin="",
               extra_env={"SHOPCARE_OWNER_PASSWORD": "guess"})
    assert proc.returncode == 2 and "老板密码错误" in proc.stderr and not out.exists()
    proc = run(home, "export", "members", "-o", str(out), stdin="",
               extra_env={"SHOPCARE_OWNER_PASSWORD": "tea-house-2026"})
    assert proc.returncode == 0 and out.exists(), proc.stderr
    assert "SHOPCARE_OWNER_PASSWORD" in run(home, "--help").stdout
