"""The care rules one by one: lunar conventions and bad lunar dates, the editable calendar, tier
care plans, win-back and repurchase on histories with known rhythms, win-back results, dry runs,
the savepoint that keeps a raced key from doubling a text or a voucher, and ``shopcare care run``."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import holidays
import pytest
from lunar_python import Lunar
from sqlalchemy import func, select

from app import cli
from app.errors import CATALOGUE_PAIRS as CATALOGUE
from app.errors import NotFound, ShopError, ValidationError, render
from app.models import CallbackTask, Message, Setting, Voucher
from app.services import care
from app.services.members import members
from app.services.care import engine
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.members.members import MemberInput, create_member
from tests.shop import stock_shop

TODAY = date(2026, 6, 30)


def _solar(y, m, d) -> date:
    s = Lunar.fromYmd(y, m, d).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def _count(db, model, *where) -> int:
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar()


# --- lunar dates ---------------------------------------------------------------------------------
def test_lunar_dates_that_a_year_lacks_follow_the_conventions():
    # 2026 has no leap month: a leap 6th-month birthday is kept in the ordinary 6th month.
    assert care.lunar_to_solar(2026, 6, 10, leap=True) == _solar(2026, 6, 10)
    # 2025 has a leap 6th month: it is kept there, and the ordinary 6th month is the other one.
    assert care.lunar_to_solar(2025, 6, 10, leap=True) == _solar(2025, -6, 10)
    assert care.lunar_to_solar(2025, 6, 10) == _solar(2025, 6, 10)
    # The 2nd month of 2026 has 29 days: day 30 falls on day 29.
    with pytest.raises(Exception):
        Lunar.fromYmd(2026, 2, 30)
    assert care.lunar_to_solar(2026, 2, 30) == _solar(2026, 2, 29)
    # Both at once: leap 6/30 in 2025, whose leap 6th month has 29 days.
    assert care.lunar_to_solar(2025, 6, 30, leap=True) == _solar(2025, -6, 29)


@pytest.mark.parametrize("month, day", [(13, 1), (0, 5), (2, 31), (6, 0)])
def test_a_lunar_date_no_year_has_is_refused(month, day):
    with pytest.raises(ValidationError) as err:
        care.lunar_to_solar(2026, month, day)
    assert err.value.code == "lunar_date_invalid"
    assert "农历" in render(err.value, "zh_CN") and f"{month}" in render(err.value, "en")


def test_solar_terms_and_the_default_festivals_agree_with_the_holidays_package():
    assert care.solar_term(2026, "冬至") == date(2026, 12, 22)
    assert care.solar_term(2027, "立春") == date(2027, 2, 4)
    for year in range(2024, 2031):
        first: dict[str, date] = {}
        for d, names in sorted(holidays.country_holidays("CN", years=year, language="en_US").items()):
            for name in names.split("; "):
                first.setdefault(name, d)
        assert care.lunar_to_solar(year, 1, 1) == first["Chinese New Year (Spring Festival)"]
        assert care.lunar_to_solar(year, 5, 5) == first["Dragon Boat Festival"]
        assert care.lunar_to_solar(year, 8, 15) == first["Mid-Autumn Festival"]


# --- the editable calendar ------------------------------------------------------------------------
def test_the_shop_edits_its_care_calendar(ctx):
    keys = [e.key for e in care.calendar(ctx)]
    assert {"spring_festival", "mid_autumn", "winter_solstice", "national_day"} <= set(keys)
    care.add_holiday(ctx, key="qixi", rule="lunar:7-7", name_en="Qixi", name_zh="七夕")
    care.remove_holiday(ctx, "winter_solstice")
    after = {e.key: e for e in care.calendar(ctx)}
    assert after["qixi"].rule == "lunar:07-07" and "winter_solstice" not in after
    care.reset_calendar(ctx)
    assert [e.key for e in care.calendar(ctx)] == keys


@pytest.mark.parametrize("rule, code", [
    ("lunar:13-01", "lunar_date_invalid"), ("moon:01-01", "care_holiday_rule_invalid"),
    ("solar:02-30", "care_holiday_rule_invalid"), ("term:冬天", "care_term_unknown"),
    ("public:Christmas", "care_public_unknown"), ("date:2026-02-30", "care_holiday_rule_invalid"),
])
def test_a_bad_calendar_rule_is_refused_and_changes_nothing(ctx, rule, code):
    before = care.calendar(ctx)
    with pytest.raises(ShopError) as err:
        care.add_holiday(ctx, key="x", rule=rule, name_en="X", name_zh="某节")
    assert err.value.code == code
    assert care.calendar(ctx) == before


def test_calendar_keys_are_unique_and_removing_an_unknown_day_fails(ctx):
    with pytest.raises(ValidationError) as err:
        care.add_holiday(ctx, key="mid_autumn", rule="lunar:08-15", name_en="Again", name_zh="又一个")
    assert err.value.code == "care_holiday_duplicate"
    with pytest.raises(NotFound):
        care.remove_holiday(ctx, "no_such_day")


def test_care_settings_are_checked(ctx):
    with pytest.raises(ValidationError) as err:
        care.update_config(ctx, birthday_days_ahead=-1)
    assert err.value.code == "care_setting_invalid"
    with pytest.raises(ValidationError):
        care.update_config(ctx, tier_plans={"gold": [{"action": "fly", "every": "month"}]})
    with pytest.raises(ValidationError):
        care.update_config(ctx, enabled=["birthday", "nope"])
    cfg = care.update_config(ctx, birthday_days_ahead=3)
    assert cfg.birthday_days_ahead == 3 and care.load_config(ctx).holiday_cutoff_days == 3


def test_every_care_error_reads_in_both_languages():
    for code in ("care_date_future", "lunar_date_invalid", "care_term_unknown", "care_public_unknown",
                 "care_holiday_rule_invalid", "care_holiday_key_invalid", "care_holiday_name_empty",
                 "care_holiday_duplicate", "care_holiday_not_found", "care_setting_invalid"):
        en, zh = CATALOGUE[code]
        assert en and zh and en != zh


# --- birthdays ahead, dry run, cut-off -------------------------------------------------------------
def test_dry_run_writes_nothing_and_predicts_the_real_run(ctx, db):
    ctx.clock.set(datetime(2026, 3, 2, 10))
    care.update_config(ctx, birthday_days_ahead=3)
    a = create_member(ctx, MemberInput(name="甲", phone="13700000001", birthday="1980-03-05", consent_care=True))
    create_member(ctx, MemberInput(name="乙", phone="13700000002", birthday="1980-03-05", consent_care=False))
    dry = care.run(ctx, dry_run=True)
    assert _count(db, Message, Message.category == "care") == 0
    with db.session(write=False) as s:
        assert s.get(Setting, "care_last_run") is None
    real = care.run(ctx)
    assert dry.rules == real.rules
    b = real.count("birthday")
    assert (b.due, b.queued, b.skipped_no_consent) == (2, 1, 1)
    body = next(o.body for o in real.outcomes if o.rule == "birthday" and o.outcome == "queued")
    assert "3" in body and a.name in body


def test_a_run_for_a_future_day_is_refused(ctx):
    with pytest.raises(ValidationError) as err:
        care.run(ctx, ctx.today() + timedelta(days=1))
    assert err.value.code == "care_date_future"


def test_a_month_closed_sends_only_what_is_still_fresh(ctx, db):
    ctx.clock.set(datetime(2026, 5, 1, 10))
    care.update_config(ctx, enabled=["birthday"])
    care.run(ctx)                                          # last run: 1 May
    for i, day in enumerate(("1970-05-10", "1970-05-28", "1970-06-03")):
        create_member(ctx, MemberInput(name=f"会员{i}", phone=f"1370000010{i}", birthday=day, consent_care=True))
    ctx.clock.set(datetime(2026, 6, 3, 10))                # closed for a month
    r = care.run(ctx).count("birthday")
    assert (r.due, r.queued, r.late, r.missed) == (3, 2, 1, 1)   # 28 May (6 days late) and today; 10 May missed


# --- tier care ---------------------------------------------------------------------------------------
def test_tier_care_plans_once_per_period(ctx, db):
    ctx.clock.set(datetime(2026, 4, 2, 10))
    care.update_config(ctx, enabled=["tier_care"])
    gold = create_member(ctx, MemberInput(name="金", phone="13600000001", tier="gold", consent_care=True))
    quiet = create_member(ctx, MemberInput(name="静", phone="13600000002", tier="gold", consent_care=True))
    members.opt_out(ctx, quiet.id)
    create_member(ctx, MemberInput(name="普", phone="13600000003", consent_care=True))
    r = care.run(ctx).count("tier_care")
    # gold: a voucher text, a call and a gift each; the opted-out: the gift only (handed over in person)
    assert (r.queued, r.tasks, r.skipped_no_consent) == (1, 3, 2)
    with db.session(write=False) as s:
        v = s.execute(select(Voucher)).scalar_one()
        body = s.execute(select(Message.body).where(Message.kind == "tier_care")).scalar_one()
        sources = sorted(s.execute(select(CallbackTask.source, CallbackTask.member_id)).all())
    assert v.member_id == gold.id and v.value == 3000 and v.code in body
    assert v.expires_on == date(2026, 5, 17) and v.campaign.startswith("tier_care:")
    assert sources == sorted([("tier_care", gold.id), ("gift", gold.id), ("gift", quiet.id)])
    ctx.clock.set(datetime(2026, 5, 20, 10))               # the same quarter: nothing new
    assert care.run(ctx).count("tier_care").queued == 0
    ctx.clock.set(datetime(2026, 7, 1, 10))                # next quarter: voucher and call again, no gift
    r = care.run(ctx).count("tier_care")
    assert (r.queued, r.tasks) == (1, 1)


def test_a_key_written_by_another_till_meanwhile_rolls_back_its_voucher(ctx, db, monkeypatch):
    ctx.clock.set(datetime(2026, 4, 2, 10))
    care.update_config(ctx, enabled=["tier_care"])
    create_member(ctx, MemberInput(name="金", phone="13600000001", tier="gold", consent_care=True))
    care.run(ctx)
    vouchers = _count(db, Voucher)
    monkeypatch.setattr(engine, "_existing_keys", lambda t, keys: set())   # as if the check raced
    r = care.run(ctx).count("tier_care")
    assert (r.queued, r.tasks, r.duplicate) == (0, 0, 3)
    assert _count(db, Voucher) == vouchers and _count(db, CallbackTask) == 2


# --- win-back and repurchase on known rhythms -----------------------------------------------------------
def _buy(ctx, member_id, when: datetime, *lines: tuple[str, int], voucher: str | None = None) -> None:
    ctx.clock.set(when)
    cart = Cart(tuple(CartLine(sku, qty) for sku, qty in lines), member_id=member_id)
    tenders = [Tender("voucher", voucher_code=voucher)] if voucher else []
    checkout(ctx, cart, tenders + [Tender("cash", 10 ** 6)])


def _history(ctx, name, phone, *, every, last_ago, visits, sku="COF", qty=1, consent=True, jitter=()):
    m = create_member(ctx, MemberInput(name=name, phone=phone, consent_care=consent, join_date=date(2024, 1, 1)))
    day = TODAY - timedelta(days=last_ago)
    days = []
    for i in range(visits):
        days.append(day)
        day -= timedelta(days=every + (jitter[i % len(jitter)] if jitter else 0))
    for d in sorted(days):
        _buy(ctx, m.id, datetime.combine(d, time(11)), (sku, qty))
    return m


@pytest.fixture
def rhythms(ctx):
    ctx.clock.set(datetime(2024, 1, 1, 9))
    stock_shop(ctx)
    care.update_config(ctx, enabled=["winback", "repurchase"], winback_call_top=1)
    made = dict(
        weekly=_history(ctx, "周周", "13500000001", every=7, last_ago=40, visits=10),
        big=_history(ctx, "大客户", "13500000002", every=7, last_ago=45, visits=10, qty=5),
        monthly=_history(ctx, "月月", "13500000003", every=30, last_ago=40, visits=6),
        once=_history(ctx, "一次", "13500000004", every=7, last_ago=100, visits=1),
        recent=_history(ctx, "常来", "13500000005", every=7, last_ago=20, visits=10),
        ancient=_history(ctx, "很久", "13500000006", every=7, last_ago=400, visits=10),
        shy=_history(ctx, "不收短信", "13500000007", every=7, last_ago=40, visits=10, consent=False),
        tea=_history(ctx, "茶友", "13500000008", every=21, last_ago=30, visits=5, sku="TEA", jitter=(1, -1, 0)),
        tea_soon=_history(ctx, "刚买", "13500000009", every=21, last_ago=22, visits=5, sku="TEA"),
        erratic=_history(ctx, "随缘", "13500000010", every=20, last_ago=30, visits=5, sku="TEA", jitter=(-15, 20, -8, 25)),
        twice=_history(ctx, "两次", "13500000011", every=21, last_ago=30, visits=2, sku="TEA"),
        gone=_history(ctx, "走了", "13500000012", every=21, last_ago=80, visits=5, sku="TEA"),
    )
    ctx.clock.set(datetime.combine(TODAY, time(9)))
    return made


def test_winback_follows_each_members_own_rhythm(ctx, rhythms):
    r = care.run(ctx)
    who = {o.member_id: o for o in r.outcomes if o.rule == "winback"}
    m = rhythms
    # due: weekly silent 40 (and 45); a member whose rhythm is tea every 21 days silent 80; not the
    # monthly one silent 40, the one-visit member, the recent one, or a lapse older than a year
    assert set(who) == {m["weekly"].id, m["big"].id, m["shy"].id, m["gone"].id}
    assert who[m["big"].id].outcome == "task"                       # the biggest spender gets a call
    assert who[m["weekly"].id].outcome == "queued" and who[m["shy"].id].outcome == "no_consent"
    assert who[m["weekly"].id].voucher_code in who[m["weekly"].id].body
    with ctx.tx(write=False) as t:
        task = t.s.execute(select(CallbackTask).where(CallbackTask.source == "winback")).scalar_one()
    assert task.member_id == m["big"].id and "45" in task.reason and task.dedupe_key.startswith("winback:")
    assert care.run(ctx).count("winback").due == 0                  # the history is read once a day
    ctx.clock.set(datetime.combine(TODAY + timedelta(days=1), time(9)))
    again = care.run(ctx).count("winback")
    assert (again.queued, again.tasks, again.duplicate) == (0, 0, 3)


def test_winback_takes_the_biggest_spenders_first_within_a_daily_limit(ctx, rhythms):
    care.update_config(ctx, winback_call_top=0, winback_daily_limit=1, enabled=["winback"])
    m = rhythms
    sent = lambda r: [o.member_id for o in r.outcomes if o.outcome == "queued"]  # noqa: E731
    first = care.run(ctx)
    assert sent(first) == [m["big"].id]                 # the biggest spender first; the shy one refused
    assert first.count("winback").skipped_no_consent == 1
    days = []
    for n in (1, 2):
        ctx.clock.set(datetime.combine(TODAY + timedelta(days=n), time(9)))
        days.append(sent(care.run(ctx)))
    # then one a day by spend (weekly and gone bought one coffee or one tea a visit); the member
    # without consent takes no one's place
    assert sorted(days[0] + days[1]) == sorted([m["weekly"].id, m["gone"].id]) and all(len(d) == 1 for d in days)


def test_repurchase_reminds_steady_buyers_who_are_overdue(ctx, rhythms):
    r = care.run(ctx)
    who = {o.member_id: o for o in r.outcomes if o.rule == "repurchase"}
    # tea every ~21 days, 30 days since: due; so is coffee every 30 days, 40 since (not yet a lapse for
    # win-back); 22 days since: not yet; erratic gaps, two purchases, or lapsed (80 days, win-back's
    # job), or weekly buyers (a cycle under 14 days): no
    assert set(who) == {rhythms["tea"].id, rhythms["monthly"].id}
    assert "Green tea" in who[rhythms["tea"].id].body and "30" in who[rhythms["tea"].id].body
    cycles = {c.member_id: c for c in care.overdue_cycles(ctx, care.load_config(ctx), TODAY)}
    assert 20 <= cycles[rhythms["tea"].id].cycle <= 22 and cycles[rhythms["tea"].id].cv < 0.1


def test_winback_results_count_who_came_back_and_what_they_spent(ctx, rhythms):
    r = care.run(ctx)
    code = next(o.voucher_code for o in r.outcomes if o.member_id == rhythms["weekly"].id and o.rule == "winback")
    _buy(ctx, rhythms["weekly"].id, datetime.combine(TODAY + timedelta(days=5), time(12)), ("COF", 2), voucher=code)
    _buy(ctx, rhythms["big"].id, datetime.combine(TODAY + timedelta(days=40), time(12)), ("COF", 1))  # too late
    res = care.winback_results(ctx)
    by = {o.member_id: o for o in res.outcomes}
    assert res.contacted == 3 and res.returned == 1                   # two texts and one call
    assert by[rhythms["weekly"].id].came_back_on == TODAY + timedelta(days=5)
    assert by[rhythms["weekly"].id].spent == 5800 * 2 and by[rhythms["weekly"].id].voucher_used
    assert by[rhythms["big"].id].came_back_on is None and by[rhythms["big"].id].how == "call"
    assert res.revenue == 5800 * 2 and res.vouchers_used == 1


# --- the command line -----------------------------------------------------------------------------
def _cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_care_run(db, ctx):
    ctx.clock.set(datetime.now().replace(microsecond=0))
    today = date.today()
    create_member(ctx, MemberInput(name="寿星", phone="13400000001", birthday=f"1980-{today:%m-%d}"
                                   if (today.month, today.day) != (2, 29) else "1980-02-29", consent_care=True))
    code, out, _ = _cli("--db", db.url, "--lang", "en", "care", "run", "--dry-run")
    assert code == 0 and "Dry run" in out and "birthday" in out and "寿星" in out
    assert _count(db, Message, Message.kind == "birthday") == 0
    code, out, _ = _cli("--db", db.url, "--lang", "zh_CN", "care", "run", "--date", today.isoformat())
    assert code == 0 and "生日祝福" in out
    assert _count(db, Message, Message.kind == "birthday") == 1
    code, out, _ = _cli("--db", db.url, "--lang", "en", "care", "run")
    assert code == 0 and _count(db, Message, Message.kind == "birthday") == 1


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "2026/02/30"])
def test_cli_care_run_refuses_a_bad_date(db, value):
    code, out, err = _cli("--db", db.url, "--lang", "en", "care", "run", "--date", value)
    assert code == 2 and "is not a date" in err and value in err and out == ""
    code, _out, err = _cli("--db", db.url, "--lang", "zh_CN", "care", "run", "--date", value)
    assert code == 2 and "不是有效日期" in err


def test_cli_care_run_refuses_a_future_date(db):
    code, _out, err = _cli("--db", db.url, "--lang", "en", "care", "run", "--date", "2999-01-01")
    assert code == 2 and "after today" in err


def test_cli_help_lists_care_run():
    assert "shopcare care run [--date D] [--dry-run]" in cli.build_parser().format_help()
