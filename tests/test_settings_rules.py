"""One validated path for every setting: settings.update keeps every rule the settings screens
(shop_admin) keep, for any caller. Refused changes leave the settings as they were. On SQLite and
(SHOPCARE_TEST_PG) PostgreSQL."""
from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

import pytest

from app.errors import Conflict, ShopError
from app.services.base import settings
from app.services.admin import shop_admin
from app.services.ledger import wallet
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from tests.shop import member, stock_shop

BAD = [
    ("shop_name", "x" * 10_000, "name_too_long"),
    ("shop_name", "   ", "shop_name_empty"),
    ("shop_name", 42, "shop_name_empty"),
    ("currency", "XYZ", "currency_invalid"),
    ("currency", "yuan", "currency_invalid"),
    ("region", "ZZ", "region_invalid"),
    ("region", "China", "region_invalid"),
    ("region", 86, "region_invalid"),
    ("language", "fr", "language_invalid"),
    ("points_per_unit", 10**12, "points_per_unit_invalid"),
    ("points_per_unit", 1.5, "points_per_unit_invalid"),
    ("points_per_unit", True, "points_per_unit_invalid"),
    ("points_redeem_rate", 0, "points_redeem_rate_invalid"),
    ("points_redeem_rate", 2**63, "points_redeem_rate_invalid"),
    ("points_expiry_policy", "sometimes", "expiry_policy_invalid"),
    ("points_expiry_months", 0, "expiry_months_invalid"),
    ("points_expiry_months", 10**6, "expiry_months_invalid"),
    ("discount_limit_bp", {"cashier": 10_000, "manager": 10_000}, "discount_limit_too_high"),
    ("discount_limit_bp", {"cashier": 5001, "manager": 8000}, "discount_limit_too_high"),
    ("discount_limit_bp", {"cashier": 3000, "manager": 2000}, "discount_limits_order"),
    ("discount_limit_bp", {"cashier": 500, "manager": 10_001}, "discount_limit_invalid"),
    ("discount_limit_bp", {"cashier": 5.5, "manager": 2000}, "discount_limit_invalid"),
    ("discount_limit_bp", {"cashier": 500, "manager": 2000, "owner": 100}, "discount_limit_invalid"),
    ("discount_limit_bp", {"cashier": 500}, "setting_invalid"),
    ("discount_limit_bp", 500, "setting_invalid"),
    ("vip_tier", "platinum", "tier_not_found"),
    ("vip_single_purchase", 10**30, "amount_absurd"),
    ("vip_single_purchase", 0.5, "setting_invalid"),
    ("vip_month_spend", Decimal("100"), "setting_invalid"),
    ("ebill_default", "yes", "setting_invalid"),
    ("signature", "签" * 41, "signature_too_long"),
    ("quiet_start", "9pm", "sms_quiet_hours_invalid"),
    ("daily_text_cap", 10**12, "sms_daily_cap_invalid"),
    ("optout_line_en", "", "sms_optout_line_invalid"),
    ("optout_line_zh", "退" * 31, "sms_optout_line_invalid"),
    ("no_such_setting", 1, "setting_unknown"),
]


@pytest.mark.parametrize("key,value,code", BAD, ids=[f"{k}-{c}" for k, _v, c in BAD])
def test_a_bad_setting_is_refused_and_changes_nothing(ctx, key, value, code):
    before = asdict(settings.load(ctx))
    with pytest.raises(ShopError) as e:
        settings.update(ctx, **{key: value})
    assert e.value.code == code
    ctx.db.cache.pop("settings", None)
    assert asdict(settings.load(ctx)) == before


def test_good_settings_are_stored_tidied(ctx):
    cfg = settings.update(ctx, shop_name="  Corner   Tea ", region="hk", currency="usd", quiet_start="9:05",
                          discount_limit_bp={"cashier": 5000, "manager": 10_000})
    assert (cfg.shop_name, cfg.region, cfg.currency, cfg.quiet_start) == ("Corner Tea", "HK", "USD", "09:05")
    assert cfg.discount_limit_bp == {"cashier": 5000, "manager": 10_000, "owner": 10_000}


def test_the_currency_is_locked_once_money_is_recorded_whoever_changes_it(ctx):
    stock_shop(ctx)
    settings.update(ctx, currency="JPY")          # nothing recorded yet: allowed
    settings.update(ctx, currency="CNY")
    m = member(ctx)
    wallet.topup(ctx, m.id, 26_900)               # ¥269.00
    for change in (lambda: settings.update(ctx, currency="JPY"),   # would read ¥26,900
                   lambda: shop_admin.update_shop(ctx, "My Shop", "JPY", "zh_CN")):
        with pytest.raises(Conflict) as e:
            change()
        assert e.value.code == "currency_locked"
    assert settings.load(ctx).currency == "CNY"


def test_the_currency_is_locked_by_a_sale_too(ctx):
    stock_shop(ctx)
    checkout(ctx, Cart((CartLine("TEA"),)), [Tender("cash", 5000)])
    with pytest.raises(Conflict):
        settings.update(ctx, currency="USD")


def test_the_settings_screen_refuses_a_cashier_limit_of_100_percent(ctx):
    with pytest.raises(ShopError) as e:
        shop_admin.update_discount_limits(ctx, 10_000, 10_000)
    assert e.value.code == "discount_limit_too_high"
    cfg = shop_admin.update_discount_limits(ctx, 5000, 10_000)
    assert cfg.discount_limit_bp["cashier"] == 5000
