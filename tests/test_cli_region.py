"""One command-line grammar and the shop's region from the command line, run as a person would:
global options after the command, files never overwritten, ``shopcare init`` proposing (and, when
asked, storing) the language, currency and phone region from the locale."""
from __future__ import annotations

from app.services.members import members
from app.services.base import region
from app.services.base import settings as shop_settings
from app.services.members.members import MemberInput
from tests.test_cli import add_member, ctx_for, db_file, home, run  # noqa: F401  (home is a fixture)


def test_global_options_are_accepted_after_the_command(home, tmp_path):
    assert run(home, "init").returncode == 0
    after = run(home, "report", "eod", "--date", "2026-01-01", "--lang", "zh_CN", "-o", str(tmp_path / "a.pdf"))
    assert after.returncode == 0, after.stderr
    assert "报表已生成" in after.stdout
    between = run(home, "report", "--lang", "zh_CN", "eod", "--date", "2026-01-01", "-o", str(tmp_path / "b.pdf"))
    assert between.returncode == 0 and "报表已生成" in between.stdout
    # after the command wins over before it, as a later option does
    both = run(home, "--lang", "zh_CN", "check", "--lang", "en")
    assert both.returncode == 0 and "OK: no faults found" in both.stdout
    other = tmp_path / "other.db"
    made = run(home, "init", "--db", f"sqlite:///{other}")
    assert made.returncode == 0 and other.is_file() and str(other) in made.stdout
    assert run(home, "check", "--db", f"sqlite:///{other}").returncode == 0
    refused = run(home, "check", "--lang", "fr")
    assert refused.returncode == 2 and "invalid choice" in refused.stderr
    assert "global options" in run(home, "report", "eod", "--help").stdout
    assert "--lang" in run(home, "export", "members", "--help").stdout


def test_zh_tw_is_accepted_as_a_language(home):
    assert run(home, "init").returncode == 0
    proc = run(home, "check", "--lang", "zh_TW")
    assert proc.returncode == 0, proc.stderr


def test_a_report_never_overwrites_an_earlier_file(home, tmp_path):
    assert run(home, "init").returncode == 0
    out = tmp_path / "day.pdf"
    out.write_bytes(b"%PDF- the owner's own file")
    first = run(home, "report", "eod", "--date", "2026-01-01", "-o", str(out))
    assert first.returncode == 0, first.stderr
    assert out.read_bytes() == b"%PDF- the owner's own file"              # kept
    second_name = tmp_path / "day (2).pdf"
    assert second_name.stat().st_size > 1000 and str(second_name) in first.stdout
    assert "already exists and is kept" in first.stderr and str(second_name) in first.stderr
    again = run(home, "--lang", "zh_CN", "report", "eod", "--date", "2026-01-01", "-o", str(out))
    assert (tmp_path / "day (3).pdf").is_file() and "已存在，保留原文件" in again.stderr
    # the default name in the reports folder follows the same rule
    a = run(home, "report", "eod", "--date", "2026-01-02")
    b = run(home, "report", "eod", "--date", "2026-01-02")
    reports = home / "data" / "reports"
    assert (reports / "eod-2026-01-02.pdf").is_file() and (reports / "eod-2026-01-02 (2).pdf").is_file()
    assert "already exists" not in a.stderr and "already exists" in b.stderr
    assert not list(tmp_path.glob("*.part")) and not list(reports.glob("*.part"))


def test_exports_and_backups_never_overwrite_either(home, tmp_path):
    assert run(home, "init").returncode == 0
    add_member(db_file(home), "王芳", "13800138000")
    out = tmp_path / "members.csv"
    out.write_text("keep me", encoding="utf-8")
    proc = run(home, "export", "members", "-o", str(out), stdin="")
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    written = tmp_path / "members (2).csv"
    assert "王芳" in written.read_text(encoding="utf-8-sig") and "already exists" in proc.stderr
    rfm_out = tmp_path / "rfm.csv"
    rfm_out.write_text("mine", encoding="utf-8")
    assert run(home, "rfm", "-o", str(rfm_out), stdin="").returncode == 0
    assert rfm_out.read_text(encoding="utf-8") == "mine" and (tmp_path / "rfm (2).csv").is_file()
    backup = tmp_path / "copy.db"
    backup.write_bytes(b"not a database, and not to be replaced")
    proc = run(home, "backup", str(backup))
    assert proc.returncode == 0, proc.stderr
    assert backup.read_bytes() == b"not a database, and not to be replaced"
    assert (tmp_path / "copy (2).db").stat().st_size > 0 and "already exists" in proc.stderr
    # a refused export leaves no empty file behind
    bad = run(home, "export", "members", "-o", str(tmp_path / "no-such-dir" / "m.csv"), stdin="")
    assert bad.returncode == 2 and not (tmp_path / "no-such-dir").exists()


def test_init_proposes_from_the_locale_and_stores_only_when_asked(home):
    proc = run(home, "init", lang_env="zh_TW.UTF-8")
    assert proc.returncode == 0
    assert "zh_TW" in proc.stdout and "TWD" in proc.stdout and "--region TW" in proc.stdout
    ctx = ctx_for(db_file(home))
    try:
        assert region.stored(ctx) is None and shop_settings.load(ctx).region == "CN"   # nothing changed
    finally:
        ctx.db.dispose()
    proc = run(home, "init", "--currency", "usd", "--region", "us", lang_env="en_US.UTF-8")
    assert proc.returncode == 0, proc.stderr
    assert "currency USD, phone region US" in proc.stdout
    ctx = ctx_for(db_file(home))
    try:
        cfg = shop_settings.load(ctx)
        assert (cfg.language, cfg.currency, cfg.region) == ("en", "USD", "US")
        assert cfg.vip_single_purchase == 20_000                          # US$200, not ¥2,000 in cents
        assert members.create_member(ctx, MemberInput("Ann", "(415) 555-0199")).phone == "+14155550199"
    finally:
        ctx.db.dispose()
    bad = run(home, "init", "--region", "ZZ")
    assert bad.returncode == 2 and "ZZ" in bad.stderr
    # the CLI reads phones in the shop's region too
    statement = run(home, "report", "statement", "415-555-0199")
    assert statement.returncode == 0, statement.stderr


def test_init_options_are_refused_once_the_shop_is_set_up(home):
    from app.services.admin import shop_admin

    assert run(home, "init").returncode == 0
    ctx = ctx_for(db_file(home))
    try:
        shop_admin.first_run(ctx, "Shop", "CNY", "zh_CN", "Boss", "2468")
    finally:
        ctx.db.dispose()
    quiet = run(home, "init")
    assert quiet.returncode == 0 and "Proposed" not in quiet.stdout
    refused = run(home, "init", "--currency", "USD")
    assert refused.returncode == 2 and refused.stderr.strip()
