"""Care settings as the owner edits them (Settings › Care and ``shopcare care config|calendar|wording|
preview``): tier plans checked with sentences that name the plan, the calendar with all 24 solar
terms and more festivals to switch on, repurchase wording per product category used by the engine,
and the preview of who would get what tomorrow (the engine's own dry run)."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from lunar_python import Solar
from sqlalchemy import func, select

from app import cli
from app.errors import CATALOGUE_PAIRS as CATALOGUE
from app.errors import NotFound, PermissionDenied, ShopError, ValidationError, render
from app.models import Message, Setting
from app.services import care
from app.services.care import holiday_calendar
from app.services.care.config import set_wording
from app.services.members.members import MemberInput, create_member
from app.services.sales import catalog
from app.services.sales.checkout import Cart, CartLine, Tender, checkout

TODAY = date(2026, 6, 30)


def _settings_rows(db) -> int:
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(Setting)).scalar()


# --- tier care plans ---------------------------------------------------------------------------------
@pytest.mark.parametrize("plan, code", [
    ({"action": "fly", "every": "month"}, "care_plan_action_invalid"),
    ({"action": "text", "every": "fortnight"}, "care_plan_every_invalid"),
    ({"action": "voucher", "every": "month", "value": 0}, "care_plan_value_invalid"),
    ({"action": "voucher", "every": "month", "value": 500, "min_spend": -1}, "care_plan_min_spend_invalid"),
    ({"action": "voucher", "every": "month", "value": 500, "valid_days": 0}, "care_plan_valid_days_invalid"),
    ({"action": "voucher", "every": "month", "kind": "percent", "value": 10000}, "care_plan_percent_invalid"),
    ({"action": "gift", "every": "year", "gift": " "}, "care_plan_gift_invalid"),
])
def test_a_bad_tier_plan_is_refused_with_a_sentence_naming_it(ctx, db, plan, code):
    before = care.load_config(ctx).tier_plans
    good = {"action": "call", "every": "quarter"}
    with pytest.raises(ValidationError) as err:
        care.update_config(ctx, tier_plans={"gold": [good, plan]})
    assert err.value.code == code
    assert "gold" in render(err.value, "en") and "2" in render(err.value, "en")
    assert render(err.value, "zh_CN") != render(err.value, "en")
    assert care.load_config(ctx).tier_plans == before


def test_tier_plans_are_added_edited_and_removed(ctx):
    plans = care.load_config(ctx).tier_plans
    plans["silver"] = [{"id": "silver-text", "action": "text", "every": "month"},
                       {"action": "voucher", "every": "year", "kind": "percent", "value": 1000, "min_spend": 0,
                        "valid_days": 60}]
    plans["gold"] = [p for p in plans["gold"] if p["action"] != "gift"]
    cfg = care.update_config(ctx, tier_plans=plans)
    assert [p["every"] for p in cfg.tier_plans["silver"]] == ["month", "year"]
    assert not any(p["action"] == "gift" for p in cfg.tier_plans["gold"])
    with pytest.raises(ValidationError) as err:   # a tier the shop does not have
        care.update_config(ctx, tier_plans={"platinum": [{"action": "call", "every": "year"}]})
    assert err.value.code == "care_plan_tier_unknown"
    with pytest.raises(ValidationError) as err:   # two plans one id
        care.update_config(ctx, tier_plans={"gold": [{"action": "call", "every": "year"}] * 2})
    assert err.value.code == "care_plan_duplicate"


def test_only_the_owner_changes_care_settings(cashier_ctx, unconfirmed_ctx):
    with pytest.raises(PermissionDenied):
        care.update_config(cashier_ctx, birthday_days_ahead=2)
    with pytest.raises(PermissionDenied):
        holiday_calendar.switch(unconfirmed_ctx, ["qingming"], True)


# --- the care calendar -------------------------------------------------------------------------------
def test_all_24_solar_terms_and_more_festivals_are_offered_with_their_dates():
    offered = care.choices()
    terms = [e for e in offered if e.rule.startswith("term:")]
    assert len(terms) == 24 and len({e.key for e in offered}) == len(offered)
    start = date(2026, 12, 6)
    for e in terms:   # each term's next date is the day lunar-python names that term
        d = care.next_date(e, start)
        assert start <= d <= start + timedelta(days=366)
        assert Solar.fromYmd(d.year, d.month, d.day).getLunar().getJieQi() == e.name_zh
    by_key = {e.key: e for e in offered}
    assert care.next_date(by_key["new_years_eve"], start) == date(2027, 2, 5)    # 2027 New Year: 6 Feb
    assert care.next_date(by_key["qixi"], start) == date(2027, 8, 8)
    assert care.next_date(by_key["laba"], start) == date(2027, 1, 15)


def test_days_are_switched_on_and_off_and_the_engine_greets_on_them(ctx, db):
    ctx.clock.set(datetime(2027, 4, 4, 10))   # 清明 2027 is 5 April
    care.update_config(ctx, enabled=["holiday"])
    m = create_member(ctx, MemberInput(name="清", phone="13700000001", consent_care=True))
    holiday_calendar.switch(ctx, ["qingming", "qixi"], True)
    keys = [e.key for e in care.calendar(ctx)]
    assert "qingming" in keys and "qixi" in keys and "winter_solstice" in keys
    p = care.preview(ctx, ("holiday",))
    assert p.on == date(2027, 4, 5) and [r.member_id for r in p.rows] == [m.id]
    assert p.rows[0].phone == "137****0001" and "清明" in p.rows[0].text   # the shop writes Chinese
    with pytest.raises(NotFound):
        holiday_calendar.switch(ctx, ["no_such_day"], True)
    holiday_calendar.switch(ctx, ["qingming"], False)
    assert care.preview(ctx, ("holiday",)).planned == 0
    ctx.clock.set(datetime(2027, 4, 5, 10))
    assert care.run(ctx).count("holiday").queued == 0


def test_the_whole_calendar_saved_at_once_or_not_at_all(ctx, db):
    before = care.calendar(ctx)
    bad = list(before) + [care.HolidayEntry("shop_day", "solar:02-30", "Shop day", "店庆")]
    with pytest.raises(ShopError) as err:
        care.set_calendar(ctx, bad)
    assert err.value.code == "care_holiday_rule_invalid"
    with pytest.raises(ValidationError) as err:
        care.set_calendar(ctx, list(before) + [before[0]])
    assert err.value.code == "care_holiday_duplicate"
    assert care.calendar(ctx) == before
    saved = care.set_calendar(ctx, [before[0], care.HolidayEntry("shop_day", "solar:5-20", "Shop day", "店庆")])
    assert [e.rule for e in saved] == [before[0].rule, "solar:05-20"]


# --- repurchase wording per category -------------------------------------------------------------------
def _buy(ctx, member_id, when: datetime, sku: str) -> None:
    ctx.clock.set(when)
    checkout(ctx, Cart((CartLine(sku, 1),), member_id=member_id), [Tender("cash", 10 ** 6)])


@pytest.fixture
def regulars(ctx):
    """A haircut every 30 days and a pastry every 21, each overdue on TODAY."""
    ctx.clock.set(datetime(2025, 1, 1, 9))
    catalog.add_product(ctx, sku="CUT", name="Haircut 剪发", price=5000, kind="service", category="美发 Salon")
    catalog.add_product(ctx, sku="TART", name="Egg tart 蛋挞", price=800, category="烘焙 Bakery")
    care.update_config(ctx, enabled=["repurchase"])
    made = {}
    for key, sku, every, ago, phone in (("hair", "CUT", 30, 40, "13900000001"), ("tart", "TART", 21, 30, "13900000002")):
        m = create_member(ctx, MemberInput(name=key, phone=phone, consent_care=True, join_date=date(2025, 1, 1)))
        for i in range(5, -1, -1):
            _buy(ctx, m.id, datetime.combine(TODAY - timedelta(days=ago + i * every), time(11)), sku)
        made[key] = m
    ctx.clock.set(datetime.combine(TODAY, time(9)))
    return made


def test_a_category_gets_its_own_wording_and_the_others_the_default(ctx, db, regulars):
    set_wording(ctx, "美发 Salon", "{name}, {days} days since your {product}: time for a trim? Book a chair.")
    p = care.preview(ctx, ("repurchase",), on=TODAY)
    by = {r.member_id: r.text for r in p.rows}
    assert "time for a trim" in by[regulars["hair"].id] and "Haircut" in by[regulars["hair"].id]
    assert "需要补货了吗" in by[regulars["tart"].id]            # the default template (the shop writes Chinese)
    assert "回T退订" in by[regulars["hair"].id]                  # signed and with the opt-out line
    care.run(ctx)
    with db.session(write=False) as s:
        bodies = dict(s.execute(select(Message.member_id, Message.body).where(Message.kind == "repurchase")).all())
    assert bodies == {regulars["hair"].id: by[regulars["hair"].id], regulars["tart"].id: by[regulars["tart"].id]}


def test_bad_wording_is_refused_and_changes_nothing(ctx, db, regulars):
    with pytest.raises(ValidationError) as err:
        set_wording(ctx, "美发 Salon", "{nme}, time for a trim?")
    assert err.value.code == "template_placeholder_unknown_near"
    with pytest.raises(ValidationError) as err:
        set_wording(ctx, "Spaceships", "{name}, another rocket?")
    assert err.value.code == "care_wording_category_unknown"
    with pytest.raises(ValidationError) as err:
        set_wording(ctx, "烘焙 Bakery", None)
    assert err.value.code == "care_wording_not_set"
    assert care.load_config(ctx).repurchase_wording == {}


def test_the_preview_shows_unsaved_changes_and_writes_nothing(ctx, db, regulars):
    rows = _settings_rows(db)
    p = care.preview(ctx, ("repurchase",), on=TODAY, repurchase_wording={"烘焙 Bakery": "{name}, fresh tarts!"})
    assert any("fresh tarts" in r.text for r in p.rows)
    assert care.load_config(ctx).repurchase_wording == {}
    with pytest.raises(ValidationError):
        care.preview(ctx, ("repurchase",), on=TODAY, repurchase_margin_pct=-5)
    with db.session(write=False) as s:
        assert s.execute(select(func.count()).select_from(Message).where(Message.category == "care")).scalar() == 0
    assert _settings_rows(db) == rows


def test_every_new_care_error_reads_in_three_languages():
    for code in ("care_plan_action_invalid", "care_plan_every_invalid", "care_plan_voucher_kind",
                 "care_plan_value_invalid", "care_plan_percent_invalid", "care_plan_min_spend_invalid",
                 "care_plan_valid_days_invalid", "care_plan_gift_invalid", "care_plan_duplicate",
                 "care_plan_tier_unknown", "care_wording_category_empty", "care_wording_category_unknown",
                 "care_wording_not_set", "care_holiday_not_offered", "care_calendar_add_usage"):
        en, zh = CATALOGUE[code]
        assert en and zh and en != zh, code


# --- the command line ----------------------------------------------------------------------------------
def _cli(db, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--db", db.url, "--lang", "en", *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_line_reaches_config_calendar_wording_and_preview(ctx, db, regulars):
    code, out, _ = _cli(db, "care", "config", "set", "winback_floor_days", "45")
    assert code == 0 and "winback_floor_days = 45" in out and care.load_config(ctx).winback_floor_days == 45
    code, _, err = _cli(db, "care", "config", "set", "winback_floor_days", "-3")
    assert code != 0 and "winback_floor_days" in err and care.load_config(ctx).winback_floor_days == 45
    code, out, _ = _cli(db, "care", "calendar", "on", "start_of_spring")
    assert code == 0 and "[x] start_of_spring" in out and "[ ] qingming" in out
    assert sum(1 for line in out.splitlines() if "term:" in line) == 24
    code, out, _ = _cli(db, "care", "wording", "set", "美发 Salon", "{name}, time for a trim?")
    assert code == 0 and "美发 Salon: {name}, time for a trim?" in out
    code, out, _ = _cli(db, "care", "preview", "--rule", "repurchase", "--date", TODAY.isoformat())
    assert code == 0 and "139****0001" in out
    code, out, _ = _cli(db, "care", "config", "show")
    assert '"美发 Salon": "{name}, time for a trim?"' in out
