"""shop_admin on a real SQLite file: first run, tiers, bonus rules, points rules, staff — each refusal
changes nothing and reads clearly in both languages."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Duplicate, PermissionDenied, ShopError, ValidationError, render
from app.models import AuditLog
from app.services import auth, shop_admin, wallet
from app.services import settings as shop_settings
from app.services.context import SYSTEM
from app.services.shop_admin import BonusRuleInput, TierInput
from tests.shop import member


@pytest.fixture
def fresh(ctx):
    return ctx.as_actor(SYSTEM)


def _audit_count(ctx) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(AuditLog)).scalar()


def test_first_run_sets_up_the_shop_and_its_owner_once(fresh):
    assert not shop_admin.has_staff(fresh)
    owner = shop_admin.first_run(fresh, "  小雅 花店 ", "usd", "en", "Li Na", "2468")
    assert (owner.name, owner.role, owner.active) == ("Li Na", "owner", True)
    cfg = shop_settings.load(fresh)
    assert (cfg.shop_name, cfg.currency, cfg.language) == ("小雅 花店", "USD", "en")
    assert auth.login(fresh, "Li Na", "2468").role == "owner"
    with pytest.raises(Conflict) as err:
        shop_admin.first_run(fresh, "Other", "CNY", "zh_CN", "Bob", "1357")
    assert err.value.code == "already_set_up"
    assert [s.name for s in auth.list_staff(fresh)] == ["Li Na"]


@pytest.mark.parametrize("args, code", [
    (("", "CNY", "en", "Li", "2468"), "shop_name_empty"),
    (("Shop", "XYZ1", "en", "Li", "2468"), "currency_invalid"),
    (("Shop", "CNY", "fr", "Li", "2468"), "language_invalid"),
    (("Shop", "CNY", "en", " ", "2468"), "name_empty"),
    (("Shop", "CNY", "en", "Li", "123"), "pin_invalid"),
    (("Shop", "CNY", "en", "Li", "12a4"), "pin_invalid"),
])
def test_first_run_refuses_bad_input_and_writes_nothing(fresh, args, code):
    before = shop_settings.load(fresh)
    with pytest.raises(ValidationError) as err:
        shop_admin.first_run(fresh, *args)
    assert err.value.code == code
    assert render(err.value, "zh_CN") != render(err.value, "en")
    assert not shop_admin.has_staff(fresh)
    assert shop_settings.load(fresh) == before


def test_tiers_add_swap_ranks_and_refuse_duplicates(ctx):
    tiers = shop_admin.list_tiers(ctx)
    assert [t.code for t in tiers] == ["ordinary", "silver", "gold"]
    platinum = shop_admin.add_tier(ctx, TierInput("Platinum", "白金会员", 4, 1_000_000, 1500, 200))
    assert (platinum.code, platinum.rank, platinum.members) == ("platinum", 4, 0)
    silver, gold = tiers[1], tiers[2]
    # swapping two ranks is one save
    shop_admin.save_tiers(ctx, [TierInput(silver.name_en, silver.name_zh, 3, silver.min_spend, id=silver.id),
                                TierInput(gold.name_en, gold.name_zh, 2, gold.min_spend, 1000, 150, id=gold.id)])
    assert [t.code for t in shop_admin.list_tiers(ctx)] == ["ordinary", "gold", "silver", "platinum"]
    before, audits = shop_admin.list_tiers(ctx), _audit_count(ctx)
    with pytest.raises(Duplicate) as err:
        shop_admin.add_tier(ctx, TierInput("Diamond", "钻石会员", 4))
    assert err.value.code == "tier_rank_duplicate"
    assert "Platinum" in render(err.value, "en") and "白金会员" in render(err.value, "zh_CN")
    with pytest.raises(Duplicate):
        shop_admin.add_tier(ctx, TierInput("gold", "新金卡", 9))
    for bad, code in [(TierInput("X", "", 5), "tier_name_empty"), (TierInput("X", "甲", 0), "tier_rank_invalid"),
                      (TierInput("X", "甲", 5, discount_bp=12000), "tier_discount_invalid"),
                      (TierInput("X", "甲", 5, min_spend=-1), "amount_negative")]:
        with pytest.raises(ValidationError) as err:
            shop_admin.add_tier(ctx, bad)
        assert err.value.code == code
    assert shop_admin.list_tiers(ctx) == before and _audit_count(ctx) == audits


def test_a_tier_members_hold_cannot_be_deleted(ctx):
    m = member(ctx)
    held = next(t for t in shop_admin.list_tiers(ctx) if t.members)
    assert held.code == "ordinary" and held.members == 1 and m.id
    with pytest.raises(Conflict) as err:
        shop_admin.delete_tier(ctx, held.id)
    assert err.value.code == "tier_in_use"
    with pytest.raises(Conflict) as err:  # gold is the VIP rule's tier
        shop_admin.delete_tier(ctx, next(t.id for t in shop_admin.list_tiers(ctx) if t.code == "gold"))
    assert err.value.code == "tier_is_vip"
    silver = next(t for t in shop_admin.list_tiers(ctx) if t.code == "silver")
    shop_admin.delete_tier(ctx, silver.id)
    assert [t.code for t in shop_admin.list_tiers(ctx)] == ["ordinary", "gold"]


def test_an_edited_bonus_rule_is_what_the_next_top_up_gets(ctx):
    m = member(ctx)
    assert wallet.preview_topup(ctx, m.id, 50_000).bonus == 5_000
    rule = next(r for r in shop_admin.list_bonus_rules(ctx) if r.min_amount == 50_000)
    shop_admin.update_bonus_rule(ctx, rule.id, 50_000, 8_800)
    assert wallet.preview_topup(ctx, m.id, 60_000).bonus == 8_800
    new = shop_admin.add_bonus_rule(ctx, 30_000, 2_000, valid_from=date(2026, 3, 1), valid_to=date(2026, 3, 31))
    assert wallet.preview_topup(ctx, m.id, 30_000).bonus == 2_000
    shop_admin.deactivate_bonus_rule(ctx, new.id)
    assert wallet.preview_topup(ctx, m.id, 30_000).bonus == 0


def test_nonsense_bonus_rules_are_refused_and_change_nothing(ctx):
    before, audits = shop_admin.list_bonus_rules(ctx), _audit_count(ctx)
    rule = before[0]
    cases = [
        (lambda: shop_admin.update_bonus_rule(ctx, rule.id, 50_000, -100), "bonus_negative"),
        (lambda: shop_admin.add_bonus_rule(ctx, 10_000, 20_000), "bonus_over_amount"),
        (lambda: shop_admin.add_bonus_rule(ctx, 0, 0), "topup_min_invalid"),
        (lambda: shop_admin.add_bonus_rule(ctx, 100_000, 9_000), "bonus_rule_duplicate"),
        (lambda: shop_admin.add_bonus_rule(ctx, 70_000, 7_000, date(2026, 5, 1), date(2026, 4, 1)),
         "date_range_invalid"),
    ]
    for call, code in cases:
        with pytest.raises(ShopError) as err:
            call()
        assert err.value.code == code
    assert "-1.00" in render(ValidationError("bonus_negative", value="-1.00"), "zh_CN")
    assert shop_admin.list_bonus_rules(ctx) == before and _audit_count(ctx) == audits
    # the same amount is fine once the dates do not overlap
    old = next(r for r in shop_admin.list_bonus_rules(ctx) if r.min_amount == 100_000)
    shop_admin.update_bonus_rule(ctx, old.id, 100_000, 12_000, valid_to=date(2026, 12, 31))
    shop_admin.add_bonus_rule(ctx, 100_000, 15_000, date(2027, 1, 1), date(2027, 1, 31))
    with pytest.raises(Duplicate):  # ... but an undated rule would cover January 2027 too
        shop_admin.update_bonus_rule(ctx, old.id, 100_000, 12_000)
