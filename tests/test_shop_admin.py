"""shop_admin on a real SQLite file: first run, tiers, bonus rules, points rules, staff — each refusal
changes nothing and reads clearly in both languages."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Duplicate, PermissionDenied, ShopError, ValidationError, render
from app.models import AuditLog
from app.services.base import auth
from app.services.admin import shop_admin
from app.services.ledger import wallet
from app.services.base import settings as shop_settings
from app.services.base.context import SYSTEM
from app.services.admin.shop_admin import BonusRuleInput, TierInput
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
    assert render(err.value, "en") == "Rank 4 is given to two tiers: Platinum and Diamond"
    assert render(err.value, "zh_CN") == "等级序号 4 重复：“白金会员”和“钻石会员”"
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



def test_points_vip_and_discount_rules(ctx):
    cfg = shop_admin.update_points_rules(ctx, 2, 50, "months", 6)
    assert (cfg.points_per_unit, cfg.points_redeem_rate, cfg.points_expiry_policy, cfg.points_expiry_months) == \
        (2, 50, "months", 6)
    cfg = shop_admin.update_vip_rule(ctx, "silver", 100_000, 0)
    assert (cfg.vip_tier, cfg.vip_single_purchase, cfg.vip_month_spend) == ("silver", 100_000, 0)
    cfg = shop_admin.update_discount_limits(ctx, 500, 2000)
    assert cfg.discount_limit_bp == {"cashier": 500, "manager": 2000, "owner": 10_000}
    for call, code in [(lambda: shop_admin.update_points_rules(ctx, -1, 50, "never", 12), "points_per_unit_invalid"),
                       (lambda: shop_admin.update_points_rules(ctx, 1, 0, "never", 12), "points_redeem_rate_invalid"),
                       (lambda: shop_admin.update_points_rules(ctx, 1, 100, "weekly", 12), "expiry_policy_invalid"),
                       (lambda: shop_admin.update_vip_rule(ctx, "nope", 1, 1), "tier_not_found"),
                       (lambda: shop_admin.update_discount_limits(ctx, 3000, 2000), "discount_limits_order"),
                       (lambda: shop_admin.update_discount_limits(ctx, 0, 10_001), "discount_limit_invalid")]:
        with pytest.raises(ShopError) as err:
            call()
        assert err.value.code == code
    assert shop_settings.load(ctx) == cfg


def test_currency_is_locked_once_money_is_recorded(ctx):
    shop_admin.update_shop(ctx, "Tea House", "HKD", "en", "Tea House HK")
    assert shop_settings.load(ctx).signature == "Tea House HK"
    m = member(ctx)
    wallet.topup(ctx, m.id, 10_000)
    with pytest.raises(Conflict) as err:
        shop_admin.update_shop(ctx, "Tea House", "CNY", "en")
    assert err.value.code == "currency_locked"
    assert shop_admin.update_shop(ctx, "Tea House 2", "HKD", "zh_CN").language == "zh_CN"


def test_staff_are_managed_by_the_owner_only(fresh):
    shop_admin.first_run(fresh, "Shop", "CNY", "zh_CN", "Boss", "1111", "boss-password")
    boss = auth.login(fresh, "Boss", "1111")
    with pytest.raises(PermissionDenied) as err:  # the PIN alone is not enough for staff
        shop_admin.add_staff(fresh.as_actor(boss), "Amy", "cashier", "2222")
    assert err.value.code == "owner_password_required"
    owner = auth.confirm_owner(fresh.as_actor(boss), "boss-password")
    amy = shop_admin.add_staff(owner, "Amy", "cashier", "2222")
    cashier = fresh.as_actor(auth.login(fresh, "Amy", "2222"))
    for call in (lambda: shop_admin.list_staff(cashier), lambda: shop_admin.add_staff(cashier, "Eve", "owner", "3333"),
                 lambda: shop_admin.set_role(cashier, amy.id, "owner"),
                 lambda: shop_admin.reset_pin(cashier, amy.id, "9999"),
                 lambda: shop_admin.update_points_rules(cashier, 5, 1, "never", 12),
                 lambda: shop_admin.save_bonus_rules(cashier, [BonusRuleInput(100, 1)])):
        with pytest.raises(PermissionDenied) as err:
            call()
        assert "收银员" in render(err.value, "zh_CN")
    assert [s.role for s in shop_admin.list_staff(owner)] == ["cashier", "owner"]
    # the last owner cannot be demoted or deactivated
    for call in (lambda: shop_admin.set_role(owner, boss.id, "manager"),
                 lambda: shop_admin.deactivate_staff(owner, boss.id)):
        with pytest.raises(Conflict) as err:
            call()
        assert err.value.code == "last_owner" and "Boss" in render(err.value, "zh_CN")
    assert {s.name: (s.role, s.active) for s in shop_admin.list_staff(owner)}["Boss"] == ("owner", True)
    shop_admin.set_role(owner, amy.id, "owner")
    assert shop_admin.set_role(owner, boss.id, "manager").role == "manager"
    # lockout, unlock and PIN reset
    for _ in range(auth.LOCK_AFTER):
        with pytest.raises(PermissionDenied):
            auth.login(fresh, "Amy", "0000")
    assert next(s for s in shop_admin.list_staff(owner) if s.name == "Amy").locked
    with pytest.raises(PermissionDenied) as err:
        auth.login(fresh, "Amy", "2222")
    assert err.value.code == "staff_locked"
    assert not shop_admin.unlock(owner, amy.id).locked
    assert auth.login(fresh, "Amy", "2222").role == "owner"
    with pytest.raises(ValidationError):
        shop_admin.reset_pin(owner, amy.id, "123")
    shop_admin.reset_pin(owner, amy.id, "87654321")
    assert auth.login(fresh, "Amy", "87654321").name == "Amy"
    assert not shop_admin.deactivate_staff(owner, boss.id).active
    with pytest.raises(ShopError):
        auth.login(fresh, "Boss", "1111")

def test_rules_are_saved_together_or_not_at_all(ctx):
    before = shop_settings.load(ctx)
    with pytest.raises(ValidationError) as err:
        shop_admin.save_rules(ctx, points_per_unit=3, points_redeem_rate=10, expiry_policy="never", expiry_months=12,
                              vip_tier="gold", vip_single_purchase=0, vip_month_spend=0,
                              cashier_discount_bp=5000, manager_discount_bp=1000)
    assert err.value.code == "discount_limits_order"
    assert shop_settings.load(ctx) == before
    cfg = shop_admin.save_rules(ctx, points_per_unit=3, points_redeem_rate=10, expiry_policy="never",
                                expiry_months=12, vip_tier="silver", vip_single_purchase=0, vip_month_spend=0,
                                cashier_discount_bp=500, manager_discount_bp=1000)
    assert (cfg.points_per_unit, cfg.vip_tier, cfg.discount_limit_bp["cashier"]) == (3, "silver", 500)
    assert shop_settings.load(ctx) == cfg
