"""The shop's region on a real SQLite file: what a first start proposes from a locale, phone numbers
read in the shop's region (member add and edit, search, imports), defaults scaled to the currency,
TWD and HKD amounts, dates in the language and region's format."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ValidationError, render
from app.models import Tier, TopupBonusRule
from app.money import format_day, format_money, format_plain, parse_amount
from app.services.admin import imports, shop_admin
from app.services.members import members
from app.services.base import region, setup
from app.services.base import settings as shop_settings
from app.services.care import config as care_config
from app.services.base.context import SYSTEM
from app.services.members.members import MemberInput
from app.services.base.region import Proposal

US_PHONE = "(415) 555-0199"


@pytest.mark.parametrize("name, expected", [
    ("en_US.UTF-8", ("en", "USD", "US")),
    ("zh_CN.UTF-8", ("zh_CN", "CNY", "CN")),
    ("zh_TW", ("zh_TW", "TWD", "TW")),
    ("zh_TW.Big5", ("zh_TW", "TWD", "TW")),
    ("zh_HK", ("zh_TW", "HKD", "HK")),
    ("zh-Hant-HK", ("zh_TW", "HKD", "HK")),
    ("zh_SG.UTF-8", ("zh_CN", "SGD", "SG")),
    ("en_GB.UTF-8", ("en", "GBP", "GB")),
    ("en_HK", ("en", "HKD", "HK")),
    ("zh", ("zh_CN", "CNY", "CN")),
    ("zh_Hant", ("zh_TW", "TWD", "TW")),
    ("fr_FR.UTF-8", ("en", "EUR", "FR")),    # a language not spoken yet: English, but its region and money
    ("en", ("en", "USD", "US")),
    ("C", ("en", "USD", "US")),
    ("C.UTF-8", ("en", "USD", "US")),
    ("POSIX", ("en", "USD", "US")),
    ("", ("en", "USD", "US")),
    (None, ("en", "USD", "US")),
    ("klingon", ("en", "USD", "US")),
])
def test_propose_from_locale(name, expected):
    assert region.propose_from_locale(name) == Proposal(*expected)


def test_the_environment_is_read_lc_all_first_and_c_counts_as_unset():
    assert region.propose_from_env({"LANG": "zh_TW.UTF-8"}) == Proposal("zh_TW", "TWD", "TW")
    assert region.propose_from_env({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}).region == "US"
    assert region.propose_from_env({"LC_ALL": "C", "LC_MESSAGES": "zh_HK.UTF-8"}).currency == "HKD"
    assert region.propose_from_env({}) == region.FALLBACK


@pytest.mark.parametrize("fen, currency, minor", [
    (5000, "CNY", 5000),       # ¥50 voucher
    (5000, "USD", 500),        # US$5
    (5000, "TWD", 20000),      # NT$200 (TWD minor units are cents, ISO 4217)
    (5000, "HKD", 5000),       # HK$50
    (5000, "JPY", 1000),       # ¥1,000 (no minor unit)
    (12000, "USD", 1200),
    (500, "USD", 100),         # ¥5 -> US$0.50 would not be round: at least one whole unit
    (5000, "KRW", 50),         # not in the table: the same number of major units
    (0, "USD", 0),
])
def test_default_amounts_are_round_amounts_per_currency(fen, currency, minor):
    assert region.default_amount(fen, currency) == minor


def test_twd_and_hkd_amounts():
    assert format_money(20000, "TWD", "en") == "NT$200"          # whole dollars: no decimals
    assert format_money(3350, "TWD", "en") == "NT$33.50"         # cents kept when there are some
    assert format_money(123456700, "TWD", "zh_TW") == "$1,234,567"
    assert format_plain(20000, "TWD") == "200"
    assert format_money(5000, "HKD", "en") == "HK$50.00"
    assert format_money(5000, "HKD", "zh_Hant_HK") == "HK$50.00"
    assert parse_amount("NT$200", "TWD") == 20000 == parse_amount("200", "TWD")
    assert parse_amount("200.5", "TWD") == 20050
    assert parse_amount("HK$1,234.50", "HKD") == 123450
    with pytest.raises(ValidationError) as err:     # another currency's sign is not read as this one's
        parse_amount("HK$50", "TWD")
    assert err.value.code == "amount_invalid"
    assert format_money(5800, "CNY", "zh_CN") == "¥58.00"       # unchanged
    assert format_money(5800, "CNY", "en") == "CN¥58.00"


def test_dates_follow_language_and_region():
    day = date(2026, 11, 28)
    assert format_day(day, region.format_locale("en", "GB"), "short") == "28/11/2026"
    assert format_day(day, region.format_locale("en", "US"), "short") == "11/28/26"
    assert region.format_locale("zh_TW", "HK") == "zh_Hant_HK"
    assert region.format_locale("en", "CN") == "en_US"            # no en_CN in CLDR: the language's own
    assert format_day(day, region.format_locale("zh_CN", "CN")) == format_day(day, "zh_CN")


@pytest.fixture
def fresh(ctx):
    return ctx.as_actor(SYSTEM)


def _set_up(fresh, currency: str, region_code: str | None, lang: str = "en"):
    shop_admin.first_run(fresh, "Corner Tea", currency, lang, "Li Na", "2468", region=region_code)
    return shop_settings.load(fresh)


def test_a_shop_without_a_stored_region_keeps_reading_numbers_as_mainland_china(ctx):
    assert shop_settings.load(ctx).region == "CN"
    m = members.create_member(ctx, MemberInput("Wang", "138 0013 8000"))
    assert m.phone == "+8613800138000"


def test_a_us_shop_reads_a_us_number_as_american_everywhere(fresh, ctx, tmp_path):
    cfg = _set_up(fresh, "USD", "us")
    assert (cfg.currency, cfg.region, cfg.language) == ("USD", "US", "en")
    m = members.create_member(ctx, MemberInput("Ann", US_PHONE))
    assert m.phone == "+14155550199"
    assert m.masked_phone == "415***0199"
    assert members.find_by_phone(ctx, "415-555-0199").id == m.id        # search by phone
    assert [p.id for p in members.find_members(ctx, "4155550199")] == [m.id]
    from app.services.members import member_list

    assert [r.id for r in member_list.first_page(ctx, "(415) 555-0199").rows] == [m.id]   # Members list
    other = members.create_member(ctx, MemberInput("Bob", "+86 138 0013 8000"))   # a written +86 stays Chinese
    assert other.phone == "+8613800138000"
    edited = members.update_member(ctx, other.id, phone="(212) 555-0142")        # member edit
    assert edited.phone == "+12125550142"
    csv = tmp_path / "members.csv"
    csv.write_text("name,phone\nCara,(646) 555-0123\n", encoding="utf-8")
    assert imports.import_members(ctx, csv).imported == 1                     # imports
    assert members.find_by_phone(ctx, "+16465550123").name == "Cara"


def test_in_a_cn_shop_the_same_number_is_read_as_chinese_as_before(fresh, ctx):
    _set_up(fresh, "CNY", "CN", "zh_CN")
    try:
        m = members.create_member(ctx, MemberInput("Ann", US_PHONE))
    except ValidationError as err:   # refused, or read as a mainland number: never as American
        assert err.code == "phone_invalid"
    else:
        assert m.phone == "+864155550199"


def test_region_is_checked_in_the_one_settings_path(fresh, ctx):
    with pytest.raises(ValidationError) as err:
        _set_up(fresh, "USD", "XX")
    assert err.value.code == "region_invalid"
    assert "XX" in render(err.value, "en") and "XX" in render(err.value, "zh_CN")
    assert not shop_admin.has_staff(fresh)
    _set_up(fresh, "HKD", "hk", "zh_TW")
    cfg = shop_settings.load(ctx)
    assert (cfg.region, cfg.language, cfg.currency, cfg.format_locale) == ("HK", "zh_TW", "HKD", "zh_Hant_HK")
    cfg = shop_admin.update_shop(ctx, "Corner Tea", "HKD", "zh_TW", region="MO")
    assert cfg.region == "MO"
    with pytest.raises(ValidationError):
        shop_admin.update_shop(ctx, "Corner Tea", "HKD", "zh_TW", region="Hong Kong")
    assert shop_settings.load(ctx).region == "MO"


def _defaults(ctx):
    with ctx.tx(write=False) as t:
        tiers = {x.code: x.min_spend for x in t.s.execute(select(Tier)).scalars()}
        bonus = sorted((r.min_amount, r.bonus) for r in t.s.execute(select(TopupBonusRule)).scalars())
    cfg = shop_settings.load(ctx)
    return tiers, bonus, (cfg.vip_single_purchase, cfg.vip_month_spend)


@pytest.mark.parametrize("currency, tiers, bonus, vip, winback", [
    ("CNY", {"silver": 200_000, "gold": 500_000}, [(50_000, 5_000), (100_000, 12_000), (200_000, 30_000)],
     (200_000, 500_000), 2000),
    ("USD", {"silver": 20_000, "gold": 50_000}, [(5_000, 500), (10_000, 1_200), (20_000, 3_000)],
     (20_000, 50_000), 200),
    ("TWD", {"silver": 800_000, "gold": 2_000_000}, [(200_000, 20_000), (400_000, 48_000), (800_000, 120_000)],
     (800_000, 2_000_000), 8000),
    ("HKD", {"silver": 200_000, "gold": 500_000}, [(50_000, 5_000), (100_000, 12_000), (200_000, 30_000)],
     (200_000, 500_000), 2000),
])
def test_seeded_defaults_become_round_amounts_of_the_chosen_currency(fresh, ctx, currency, tiers, bonus, vip,
                                                                     winback):
    _set_up(fresh, currency, None)
    got_tiers, got_bonus, got_vip = _defaults(ctx)
    assert {k: v for k, v in got_tiers.items() if k != "ordinary"} == tiers
    assert got_bonus == bonus
    assert got_vip == vip
    care = care_config.load(ctx)
    assert care.winback_voucher["value"] == winback
    gold = next(p for p in care.tier_plans["gold"] if p["action"] == "voucher")
    assert gold["value"] == region.default_amount(3000, currency)


def test_defaults_the_owner_changed_are_left_alone_when_the_currency_changes(fresh, ctx):
    _set_up(fresh, "CNY", "CN", "zh_CN")
    rule = shop_admin.list_bonus_rules(ctx)[0]
    shop_admin.update_bonus_rule(ctx, rule.id, 88_800, 8_800)
    shop_admin.update_shop(ctx, "Corner Tea", "USD", "en", region="US")    # no money recorded yet: allowed
    tiers, bonus, vip = _defaults(ctx)
    assert (88_800, 8_800) in bonus                                        # the owner's own rule, untouched
    assert (10_000, 1_200) in bonus and tiers["gold"] == 50_000 and vip == (20_000, 50_000)


def test_an_existing_shop_keeps_its_cny_defaults(ctx):
    setup.ensure_defaults(ctx)
    tiers, bonus, vip = _defaults(ctx)
    assert tiers["gold"] == 500_000 and (50_000, 5_000) in bonus and vip == (200_000, 500_000)
    assert care_config.load(ctx).winback_voucher["value"] == 2000


def test_a_gb_shop_writes_dates_the_british_way_in_texts(fresh, ctx):
    from app.services.care import engine

    cfg = _set_up(fresh, "GBP", "GB")
    assert cfg.format_locale == "en_GB"
    assert engine._date(date(2026, 11, 28), cfg.format_locale) == "28 Nov 2026"
    assert format_money(500, cfg.currency, cfg.format_locale) == "£5.00"
    assert region.default_amount(5000, cfg.currency) == 500
