"""The app's log (app/logs.py) and the support bundle (app/services/admin/support.py, `shopcare support-bundle`):
real files under the test's SHOPCARE_HOME, the real command in a subprocess, the zip opened and read."""
from __future__ import annotations

import logging
import os
import re
import stat
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from app import logs, paths
from app.errors import ValidationError
from tests.test_cli import add_member, db_file, run

NAME, PHONE = "Zhao Mingyue", "13912345678"   # a member the bundle must not give away


@pytest.fixture
def log_file(tmp_path):
    path = logs.configure()
    yield path
    logs.close()


def read(path: Path) -> str:
    logs.flush()
    return path.read_text(encoding="utf-8")


def test_the_log_is_private_in_the_user_log_folder_under_shopcare_home(log_file, tmp_path):
    assert log_file == tmp_path / "home" / "logs" / "shopcare.log"
    logging.getLogger("app.test").info("started")
    assert "started" in read(log_file)
    if paths.POSIX:
        assert stat.S_IMODE(os.stat(log_file).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(log_file.parent).st_mode) == 0o700
    assert logs.configure() == log_file and sum(
        isinstance(h, logs.PrivateRotatingFileHandler) for h in logging.getLogger().handlers) == 1


def test_the_log_rotates_and_keeps_its_copies_private(log_file):
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logs.PrivateRotatingFileHandler))
    assert handler.maxBytes == logs.MAX_BYTES and handler.backupCount == logs.BACKUPS
    handler.doRollover()
    logging.getLogger("app.test").warning("after the rollover")
    files = logs.log_files()
    assert [p.name for p in files] == ["shopcare.log", "shopcare.log.1"]
    if paths.POSIX:
        assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in files)


def test_phone_numbers_are_masked_to_their_last_4_digits(log_file):
    logging.getLogger("app.test").warning("called %s, +86 139-1234-5678 and 手机%s已 on 2026-03-02, member #42",
                                          PHONE, "13800138000")
    try:
        raise KeyError(f"no tier for +86{PHONE}")
    except KeyError as exc:
        logs.log_failure(exc, "pricing")
    text = read(log_file)
    assert "…5678" in text and "手机…8000已" in text and "2026-03-02" in text and "member #42" in text
    digits = re.sub(r"[ \-]", "", text)
    assert PHONE not in digits and "13800138000" not in digits
    assert "KeyError" in text and "Traceback" in text        # the traceback itself is kept


def test_a_database_error_does_not_write_its_parameters(log_file, db):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as caught:
        with db.session() as s:
            s.execute(text("INSERT INTO no_such_table (name, phone) VALUES (:n, :p)"), {"n": NAME, "p": PHONE})
    logs.log_failure(caught.value, "saving")
    written = read(log_file)
    assert "no_such_table" in written and logs.HIDDEN_PARAMETERS in written
    assert NAME not in written and PHONE not in written


def test_a_refusal_is_logged_by_its_code_without_a_traceback(log_file):
    try:
        raise ValidationError("name_too_long", max=64)
    except ValidationError as exc:
        logs.log_failure(exc, "saving the member")
    text = read(log_file)
    assert "INFO" in text and "name_too_long" in text
    assert "Traceback" not in text and "ERROR" not in text


@pytest.mark.qt_no_exception_capture   # pytest-qt's own hook would fail the test: here the hook is the subject
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_uncaught_exceptions_are_logged_with_their_traceback(log_file, capsys):
    assert sys.excepthook is logs._excepthook and threading.excepthook is logs._thread_excepthook
    try:
        {}["first"]
    except KeyError:
        sys.excepthook(*sys.exc_info())            # what Python calls for an exception nobody caught

    def worker():
        raise ZeroDivisionError("in a thread")

    thread = threading.Thread(target=worker, name="sender")
    thread.start()
    thread.join()
    text = read(log_file)
    assert "CRITICAL" in text and "uncaught KeyError" in text and "'first'" in text
    assert "uncaught ZeroDivisionError in thread sender" in text and text.count("Traceback") == 2
    assert "KeyError" in capsys.readouterr().err   # the hook before it still runs (stderr)
    logs.close()
    assert sys.excepthook is not logs._excepthook


# --- the support bundle -------------------------------------------------------------------------
def seeded_home(home: Path) -> Path:
    """A shop with one member, and a log that mentions the member's phone and (in a traceback) name."""
    assert run(home, "init").returncode == 0
    add_member(db_file(home), NAME, PHONE)
    path = logs.configure()
    logging.getLogger("app.test").warning("call back %s tomorrow", PHONE)
    try:
        raise KeyError(NAME)
    except KeyError as exc:
        logs.log_failure(exc, "loading the member page")
    logs.flush()
    assert NAME in path.read_text(encoding="utf-8")   # a name in an exception's text reaches the log…
    return path


def assert_no_personal_data(bundle: Path) -> dict[str, str]:
    """…and never the bundle: no file in the zip holds the name or the full phone, in any spelling."""
    with zipfile.ZipFile(bundle) as zf:
        files = {name: zf.read(name).decode("utf-8") for name in zf.namelist()}
    for name, body in files.items():
        assert NAME not in body, name
        assert PHONE not in re.sub(r"[ \-+]", "", body), name
    return files


def test_cli_support_bundle_has_logs_check_versions_settings_and_no_personal_data(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SHOPCARE_HOME", str(home))
    seeded_home(home)
    out = tmp_path / "bundle.zip"
    proc = run(home, "support-bundle", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Support bundle written" in proc.stdout and str(home / "logs") in proc.stdout
    if paths.POSIX:
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    files = assert_no_personal_data(out)
    assert {"README.txt", "check.txt", "versions.json", "settings.json", "logs/shopcare.log"} <= set(files)
    log = files["logs/shopcare.log"]
    assert "loading the member page failed: KeyError" in log and "Traceback" in log and "…5678" in log
    assert "OK: no faults found" in files["check.txt"] and "SQLite library" in files["check.txt"]
    import json

    import PySide6

    versions = json.loads(files["versions.json"])
    assert versions["shopcare"] and versions["python"] == sys.version.split()[0]
    assert versions["pyside6"] == PySide6.__version__ and versions["sqlite"]
    assert versions["schema_revision"] == versions["schema_head"] and versions["database"] == "sqlite"
    settings = json.loads(files["settings.json"])
    assert settings["shop"]["currency"] and settings["gateway"]["kind"] == "log"
    assert isinstance(settings["shop"]["open_price_max"], int)   # an amount, not a phone to mask
    # a file that is there already is not replaced, unless --force
    before = out.read_bytes()
    refused = run(home, "support-bundle", "-o", str(out))
    assert refused.returncode == 2 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert out.read_bytes() == before
    assert run(home, "--lang", "zh_CN", "support-bundle", "-o", str(out)).stderr.strip().endswith("覆盖")
    forced = run(home, "support-bundle", "-o", str(out), "--force")
    assert forced.returncode == 0 and zipfile.is_zipfile(out)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]   # no temporary file left
    logs.close()


def test_cli_support_bundle_without_a_database_creates_none(tmp_path):
    home = tmp_path / "home"
    out = tmp_path / "b.zip"
    proc = run(home, "support-bundle", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert not db_file(home).exists()
    with zipfile.ZipFile(out) as zf:
        assert "No database to check" in zf.read("check.txt").decode()
    bad = run(home, "support-bundle", "-o", str(tmp_path / "b.txt"))
    assert bad.returncode == 2 and "is a .zip file" in bad.stderr


def test_support_bundle_help_says_what_it_holds(tmp_path):
    proc = run(tmp_path / "home", "support-bundle", "--help")
    assert proc.returncode == 0 and "--force" in proc.stdout and "No personal data" in proc.stdout
    top = run(tmp_path / "home", "--help")
    assert "shopcare support-bundle -o FILE.zip" in top.stdout and "shopcare.log" in top.stdout


def test_cli_unexpected_failure_keeps_its_traceback_in_the_log(tmp_path):
    from app.db import sqlite_module

    sqlite3 = sqlite_module()
    home = tmp_path / "home"
    assert run(home, "init").returncode == 0
    con = sqlite3.connect(db_file(home))   # a setting damaged by hand: not JSON at all
    con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('points_per_unit', '{oops')")
    con.commit()
    con.close()
    proc = run(home, "report", "eod", "--date", "2026-01-01")
    log = home / "logs" / "shopcare.log"
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "did not expect (JSONDecodeError)" in proc.stderr and str(log) in proc.stderr
    text = log.read_text(encoding="utf-8")
    assert "shopcare report failed: JSONDecodeError" in text and "Traceback" in text
    refused = run(home, "support-bundle", "-o", str(tmp_path / "b.txt"))   # a refusal: by its code, at INFO
    assert refused.returncode == 2
    last = log.read_text(encoding="utf-8")[len(text):]
    assert "INFO" in last and "refused: support_bundle_name" in last and "Traceback" not in last


def test_member_names_are_taken_out_as_words_and_chinese_names_anywhere():
    from app.services.admin.support import _Private

    private = _Private({"Li", "王芳", NAME}, {"+86" + PHONE, PHONE})
    cleaned = private.clean(f"Linux, SQLite; paid by Li. 王芳的卡 {NAME} +86 139 1234 5678 {PHONE}")
    assert cleaned == "Linux, SQLite; paid by [name]. [name]的卡 [name] …5678 [phone]"
