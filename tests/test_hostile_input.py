"""Hostile input: the command line never answers with a traceback, days are bounded, and every
refusal says what is wrong in the user's language (issue 12, hardening)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import InsufficientFunds, ValidationError, render
from app.models import Sale, Setting
from app.services import care
from app.services.ledger import countcards, vouchers, wallet
from app.services.reports import eod, sales, statement
from app.services.sales.checkout import MAX_POINTS, Cart, CartLine, Tender, checkout
from tests.shop import fund, ledger_faults, member, stock_shop
from tests.test_cli import ROOT, db_file, run, sqlite3

CJK = re.compile(r"[\u4e00-\u9fff]")

# Each makes the real `shopcare` refuse; none may end in a traceback.
HOSTILE = [
    ("report", "eod", "--date", "0001-01-01"),
    ("report", "eod", "--date", "9999-12-31"),
    ("report", "statement", "13800138000", "--from", "0001-01-01"),
    ("care", "run", "--date", "0001-01-01"),
    ("care", "run", "--date", "9999-12-31"),
    ("rfm", "--as-of", "0001-13-01"),
    ("--db", "garbage://", "check"),
    ("--db", "mysql://shop:s3cret@127.0.0.1/x", "check"),
    ("--db", "sqlite:///nowhere-dir/x.db", "check"),
    ("demo", "--members", "99999999999"),
    ("demo", "--seed", "x"),
    ("import", "members", "no-such-file.csv"),
    ("frobnicate",),
    ("--lang", "fr", "check"),
    ("reprint", "T1-000001", "--printer", "bogus"),
]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_hostile_arguments_get_a_sentence_never_a_traceback(tmp_path, lang):
    home = tmp_path / "home"
    assert run(home, "init").returncode == 0
    lang_env = "zh_CN.UTF-8" if lang == "zh_CN" else "en_US.UTF-8"
    for args in HOSTILE:
        proc = run(home, *(() if "--lang" in args else ("--lang", lang)), *args, lang_env=lang_env)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert proc.returncode != 0, (args, proc.stdout)
        last = proc.stderr.strip().splitlines()[-1]
        assert len(last) > 10, (args, proc.stderr)
        assert "s3cret" not in proc.stderr
        if lang == "zh_CN":
            assert CJK.search(last), (args, proc.stderr)        # said in Chinese, argparse's errors too
            assert "error:" not in proc.stderr and "usage:" not in proc.stderr, (args, proc.stderr)
        if "garbage://" in args:
            assert "garbage://" in proc.stderr and "sqlite:///" in proc.stderr


def test_argparse_errors_speak_chinese(tmp_path):
    home = tmp_path / "home"
    proc = run(home, "--lang", "zh_CN", "report", "eod", "--date", "2026-02-30")
    assert proc.returncode == 2
    assert "用法：" in proc.stderr and "错误：参数 --date：" in proc.stderr and "不是有效日期" in proc.stderr
    zh_env = run(home, "demo", "--members", "0", lang_env="zh_CN.UTF-8")   # the language from LANG
    assert zh_env.returncode == 2 and "不在 1 到 10000 之间" in zh_env.stderr
    en = run(home, "--lang", "en", "report", "eod", "--date", "0001-01-01")
    assert en.returncode == 2 and "outside the dates ShopCare keeps (1900-01-01 to 2100-12-31)" in en.stderr


def test_an_unexpected_failure_is_one_plain_sentence(tmp_path):
    home = tmp_path / "home"
    assert run(home, "init").returncode == 0
    con = sqlite3.connect(db_file(home))   # a setting damaged by hand: not JSON at all
    con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('points_per_unit', '{oops')")
    con.commit()
    con.close()
    for lang, words in (("en", "did not expect"), ("zh_CN", "意外问题")):
        proc = run(home, "--lang", lang, "report", "eod", "--date", "2026-01-01")
        assert proc.returncode == 2 and words in proc.stderr and "JSONDecodeError" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    # SHOPCARE_DEBUG=1: the traceback too, on stderr (tests/test_cli.py's run() refuses any)
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPCARE_DB", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(SHOPCARE_HOME=str(home), LANG="en_US.UTF-8", PYTHONPATH=str(ROOT), SHOPCARE_DEBUG="1")
    debug = subprocess.run([sys.executable, "-m", "app", "report", "eod", "--date", "2026-01-01"], cwd=ROOT,
                           env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert debug.returncode == 2 and "did not expect" in debug.stderr and "Traceback" in debug.stderr


# --- days given to services ---------------------------------------------------------------------
@pytest.mark.parametrize("day", [date(1, 1, 1), date(1899, 12, 31), date(2101, 1, 1), date(9999, 12, 31)])
def test_services_refuse_days_out_of_range(ctx, day):
    m = member(ctx)
    calls = [lambda: eod.eod_report(ctx, day), lambda: care.run(ctx, day, dry_run=True),
             lambda: sales.recent_sales(ctx, day), lambda: statement.member_statement(ctx, m.id, day, day)]
    for call in calls:
        with pytest.raises(ValidationError) as e:
            call()
        if e.value.code == "care_date_future":   # care says a later day is after today first
            assert day > date.today()
            continue
        assert e.value.code == "date_out_of_range"
        assert "1900-01-01" in render(e.value, "zh_CN") and CJK.search(render(e.value, "zh_CN"))
    assert eod.eod_report(ctx, date(1900, 1, 1)).day == date(1900, 1, 1)


# --- the till's tenders -------------------------------------------------------------------------
def test_a_huge_points_tender_is_refused_plainly(ctx):
    stock_shop(ctx)
    m = member(ctx)
    fund(ctx, m.id, points=5000)
    for pts in (10 ** 30, MAX_POINTS + 1):
        with pytest.raises(ValidationError) as e:
            checkout(ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("points", points=pts)])
        assert e.value.code == "points_absurd"
        assert "more than any member holds" in render(e.value, "en") and "积分超出" in render(e.value, "zh_CN")
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.count()).select_from(Sale)).scalar() == 0
    assert ledger_faults(ctx.db) == []


# --- messages that say what is wrong ------------------------------------------------------------
def test_count_card_asked_for_more_uses_than_it_has_says_how_many(ctx):
    stock_shop(ctx)
    m = member(ctx)
    checkout(ctx, Cart((CartLine("CUT10"),), member_id=m.id), [Tender("card", 40000)])
    card = countcards.cards_for(ctx, m.id)[0]
    with pytest.raises(InsufficientFunds) as e:
        checkout(ctx, Cart((CartLine("CUT", 11, count_card_id=card.id),), member_id=m.id), [])
    assert e.value.code == "countcard_too_few"
    assert "only 10 use(s) left, not 11" in render(e.value, "en") and "只剩 10 次" in render(e.value, "zh_CN")
    assert countcards.cards_for(ctx, m.id)[0].uses_left == 10


def test_a_past_voucher_expiry_says_it_is_past(ctx):
    with pytest.raises(ValidationError) as e:
        vouchers.issue(ctx, value=500, expires_on=date(2000, 1, 1))
    assert e.value.code == "voucher_expiry_past"
    assert "is in the past" in render(e.value, "en") and "not a date" not in render(e.value, "en")
    assert "已过" in render(e.value, "zh_CN")
    with pytest.raises(ValidationError) as e:
        vouchers.issue(ctx, value=500, kind="gift")
    assert render(e.value, "zh_CN") == "“gift”不是有效的券类型（金额或折扣）"


def test_chinese_messages_name_fields_in_chinese(ctx):
    m = member(ctx)
    with pytest.raises(ValidationError) as e:
        wallet.topup(ctx, m.id, -500, "cash")
    zh = render(e.value, "zh_CN")
    assert zh.startswith("充值金额：") and "top-up" not in zh
    assert render(e.value, "en").startswith("top-up: ")
    assert render(ValidationError("amount_invalid", field="balance", value="x"), "zh_CN").startswith("balance：")


# --- demo data never lands in a real shop -------------------------------------------------------
def test_demo_refuses_a_real_shops_database(ctx):
    from app.services.admin import demo

    member(ctx)
    with pytest.raises(ValidationError) as e:
        demo.build_demo(ctx, members=3, days=2)
    assert e.value.code == "demo_real_shop" and "1" in render(e.value, "en")
    with ctx.tx(write=False) as t:
        assert t.s.get(Setting, demo.DEMO_MARK) is None
        assert t.s.execute(select(func.count()).select_from(Sale)).scalar() == 0


def test_demo_fills_an_empty_database_and_its_own_again(ctx):
    from app.services.admin import demo

    demo.build_demo(ctx, members=3, days=2, seed=2)
    with ctx.tx(write=False) as t:
        assert t.s.get(Setting, demo.DEMO_MARK) is not None
    again = demo.build_demo(ctx, members=2, days=1, seed=3)   # an earlier demo: filled again
    assert again.members == 2
    for members, days in ((0, 1), (demo.MAX_MEMBERS + 1, 1), (1, demo.MAX_DAYS + 1)):
        with pytest.raises(ValidationError) as e:
            demo.build_demo(ctx, members=members, days=days)
        assert e.value.code == "number_out_of_range"


def test_cli_demo_refuses_a_real_shop(tmp_path):
    home = tmp_path / "home"
    assert run(home, "init").returncode == 0
    from tests.test_cli import add_member

    add_member(db_file(home), "王芳", "13800138000")
    proc = run(home, "--lang", "zh_CN", "demo", "--members", "3", "--days", "1")
    assert proc.returncode == 2 and "演示数据只能写入空数据库" in proc.stderr
    con = sqlite3.connect(db_file(home))
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 1
    con.close()
