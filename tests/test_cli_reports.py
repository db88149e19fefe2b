"""``shopcare report eod`` and ``shopcare report statement``, run as a person would."""
from __future__ import annotations

import subprocess

from tests.test_cli import add_member, db_file, home, run  # noqa: F401  (home is a fixture)


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_eod_for_a_demo_day_to_the_reports_folder_and_to_a_file(home, tmp_path):
    assert run(home, "demo", "--members", "20", "--days", "3", "--seed", "3").returncode == 0
    proc = run(home, "--lang", "en", "report", "eod")
    assert proc.returncode == 0, proc.stderr
    written = proc.stdout.strip().split(": ", 1)[1]
    assert written.startswith(str(home / "data" / "reports" / "eod-")) and written.endswith(".pdf")
    assert "End-of-day member report" in _text(written)
    out = tmp_path / "day.pdf"
    zh = run(home, "--lang", "zh_CN", "report", "eod", "--date", "2026-01-01", "-o", str(out))
    assert zh.returncode == 0 and "报表已生成" in zh.stdout
    assert "会员日结报表" in _text(out) and not list(tmp_path.glob("*.part"))


def test_report_errors_are_sentences_with_exit_2(home, tmp_path):
    assert run(home, "report", "eod").returncode == 2                     # no database yet: says so
    assert run(home, "init").returncode == 0
    bad_date = run(home, "report", "eod", "--date", "2026-02-30")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr
    (tmp_path / "taken").write_text("a file, not a folder")
    blocked = run(home, "report", "eod", "-o", str(tmp_path / "taken" / "x.pdf"))
    assert blocked.returncode == 2 and "Cannot write the report" in blocked.stderr
    nobody = run(home, "report", "statement", "13800138000")
    assert nobody.returncode == 2 and "No member" in nobody.stderr


def test_statement_by_phone_and_an_ambiguous_last_four(home, tmp_path):
    assert run(home, "init").returncode == 0
    add_member(db_file(home), "王芳", "13800138000")
    add_member(db_file(home), "李雷", "13900138000")
    out = tmp_path / "s.pdf"
    proc = run(home, "--lang", "zh_CN", "report", "statement", "13800138000", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "会员对账单" in _text(out) and "王芳" in _text(out)
    two = run(home, "report", "statement", "8000")
    assert two.returncode == 2 and "matches 2 members" in two.stderr and "王芳" in two.stderr
    backwards = run(home, "report", "statement", "13800138000", "--from", "2026-03-01", "--to", "2026-02-01")
    assert backwards.returncode == 2 and "before the start date" in backwards.stderr


def test_report_help_names_what_it_does(home):
    for words, expected in ((("report",), ["eod", "statement"]),
                            (("report", "eod"), ["--date D", "FILE.pdf", "cash expected in the drawer"]),
                            (("report", "statement"), ["MEMBER", "--from D", "--to D"]),
                            ((), ["report eod", "report statement"])):
        proc = run(home, *words, "--help")
        assert proc.returncode == 0
        text = " ".join(proc.stdout.split())
        assert all(e in text for e in expected), (words, proc.stdout)


def test_eod_lists_whole_to_a_csv_and_list_needs_a_table_file(home, tmp_path):
    import csv
    import stat

    assert run(home, "demo", "--members", "40", "--days", "3", "--seed", "3").returncode == 0
    out = tmp_path / "lists.csv"
    proc = run(home, "--lang", "en", "report", "eod", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "recorded in the audit log" in proc.stdout and stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert header[:4] == ["list", "member_id", "name", "phone"]
    one = run(home, "report", "eod", "--list", "at-risk", "-o", str(tmp_path / "risk.csv"))
    assert one.returncode == 0, one.stderr
    with open(tmp_path / "risk.csv", encoding="utf-8-sig", newline="") as f:
        assert {r["list"] for r in csv.DictReader(f)} <= {"at-risk"}
    alone = run(home, "report", "eod", "--list", "at-risk")
    assert alone.returncode == 2 and "-o FILE.csv" in alone.stderr
    bad = run(home, "report", "eod", "--list", "nobody", "-o", str(tmp_path / "x.csv"))
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
