"""Members' personal data stays the user's (DESIGN.md, "Data safety"): after real commands every
folder under SHOPCARE_HOME is 0700 and every file 0600 (database, -wal/-shm, backups, exports,
report PDFs, the outbox log), and what an older version left readable is put right at start."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app import paths

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: the profile's ACL)")


def run(home: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPCARE_DB", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SHOPCARE_HOME=str(home), LANG="en_US.UTF-8", PYTHONPATH=str(ROOT))
    # A usual umask (022): the command itself must make its files private, not the test's process.
    proc = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def not_private(home: Path) -> list[str]:
    wrong = []
    for folder, dirs, files in os.walk(home):
        for name in dirs:
            p = Path(folder, name)
            if mode(p) != 0o700:
                wrong.append(f"{p} {oct(mode(p))}")
        for name in files:
            p = Path(folder, name)
            if mode(p) != 0o600:
                wrong.append(f"{p} {oct(mode(p))}")
    return wrong


def test_every_file_a_command_writes_is_private(tmp_path):
    home = tmp_path / "home"
    run(home, "init")
    run(home, "demo", "--members", "15", "--days", "3", "--seed", "4")
    run(home, "backup")
    run(home, "report", "eod")
    run(home, "outbox", "send")
    run(home, "outbox", "test", "13800138000", "hello")   # the log gateway: data/log/outbox.log
    run(home, "rfm", "--refit")
    out = tmp_path / "chosen"        # folders the user chose: the files are private, the folders theirs
    out.mkdir(mode=0o755)
    os.chmod(out, 0o755)
    run(home, "export", "members", "-o", str(out / "members.csv"))
    run(home, "export", "members", "-o", str(out / "members.xlsx"))
    run(home, "rfm", "-o", str(out / "rfm.csv"))
    run(home, "report", "eod", "-o", str(out / "day.pdf"))
    run(home, "backup", str(out))
    data = home / "data"
    assert (data / "shopcare.db").is_file() and list((data / "backups").glob("*.db"))
    assert list((data / "reports").glob("*.pdf")) and (data / "log" / "outbox.log").is_file()
    assert not_private(home) == []
    assert mode(home) == 0o700
    chosen = sorted(out.iterdir())
    assert len(chosen) == 5 and all(mode(p) == 0o600 for p in chosen), [(p.name, oct(mode(p))) for p in chosen]
    assert mode(out) == 0o755


def test_an_older_install_left_readable_is_put_right_at_start(tmp_path):
    home = tmp_path / "home"
    run(home, "init")
    run(home, "backup")
    data = home / "data"
    (data / "log").mkdir()
    (data / "log" / "outbox.log").write_text("log-1\t...\n")
    (home / "cache" / "x").mkdir(parents=True)
    for folder, dirs, files in os.walk(home):
        for name in dirs:
            os.chmod(Path(folder, name), 0o755)
        for name in files:
            os.chmod(Path(folder, name), 0o644)
    os.chmod(home, 0o755)
    assert not_private(home)
    run(home, "check")
    assert not_private(home) == []


def test_a_database_elsewhere_is_made_private_but_not_its_folder(tmp_path):
    home = tmp_path / "home"
    shop = tmp_path / "shared"
    shop.mkdir()
    os.chmod(shop, 0o755)
    db = shop / "shop.db"
    run(home, "--db", f"sqlite:///{db}", "init")
    os.chmod(db, 0o644)
    from app.db import sqlite_module

    # An older version's readable database, open elsewhere: its -wal and -shm exist, 0644 like it.
    con = sqlite_module().connect(db)
    try:
        con.execute("SELECT COUNT(*) FROM members").fetchone()
        sides = [Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert [mode(p) for p in sides] == [0o644, 0o644]
        run(home, "--db", f"sqlite:///{db}", "check")
        assert mode(db) == 0o600 and [mode(p) for p in sides] == [0o600, 0o600]
    finally:
        con.close()
    assert mode(shop) == 0o755


def test_helpers_make_private_and_leave_links_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "h"))
    old = os.umask(0o022)
    try:
        assert mode(paths.data_dir()) == 0o700 and mode(paths.backup_dir()) == 0o700
        assert mode(paths.cache_dir()) == 0o700 and mode(paths.config_dir()) == 0o700
        data = paths.data_dir()
        outside = tmp_path / "outside.txt"
        outside.write_text("not ours")
        os.chmod(outside, 0o644)
        (data / "link").symlink_to(outside)
        (data / "old.db").write_text("")
        os.chmod(data / "old.db", 0o644)
        os.chmod(data, 0o755)
        paths.fix_existing()
        assert mode(outside) == 0o644                        # a link is not followed
        assert mode(data / "old.db") == 0o600 and mode(data) == 0o700
    finally:
        os.umask(old)
