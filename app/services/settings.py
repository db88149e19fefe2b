"""Typed shop settings over the ``settings`` table (JSON values), with defaults."""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field, fields, replace

from babel.numbers import get_currency_precision
from sqlalchemy import select

from app.errors import ValidationError
from app.models import Setting
from app.services.context import Ctx


@dataclass(frozen=True)
class ShopSettings:
    shop_name: str = "My Shop"
    currency: str = "CNY"
    region: str = "CN"               # default region for phone numbers (phonenumbers)
    language: str = "zh_CN"          # en or zh_CN
    # Points: earned per whole major unit of eligible spend (floored); redeemed at N points per unit.
    points_per_unit: int = 1
    points_redeem_rate: int = 100
    points_expiry_policy: str = "year_end"   # never | months | year_end (end of the year after)
    points_expiry_months: int = 12
    # Manual discount limits per role, in basis points (1000 = 10%).
    discount_limit_bp: dict = field(default_factory=lambda: {"cashier": 1000, "manager": 3000, "owner": 10000})
    # VIP rule: one purchase over a threshold, or a calendar month's spend over another, lifts a
    # member to ``vip_tier`` (0 disables a threshold).
    vip_tier: str = "gold"
    vip_single_purchase: int = 200_000
    vip_month_spend: int = 500_000
    ebill_default: bool = True
    signature: str = ""              # shop signature on texts; shop_name when empty
    # texts: gateways and sending. Quiet hours (shop-local "HH:MM", may cross midnight) defer texts;
    # the daily cap counts care and marketing texts per member (transactional ones are not capped).
    quiet_start: str = "21:00"
    quiet_end: str = "09:00"
    daily_text_cap: int = 3
    optout_line_zh: str = "回T退订"
    optout_line_en: str = "Reply STOP to opt out"

    @property
    def exponent(self) -> int:
        return get_currency_precision(self.currency)

    @property
    def minor_per_unit(self) -> int:
        return 10 ** self.exponent

    def point_value(self, points: int) -> int:
        """Minor units that ``points`` pay for (floored)."""
        return points * self.minor_per_unit // self.points_redeem_rate


_FIELDS = {f.name: f for f in fields(ShopSettings)}


# Settings are read by every sale but change rarely: each process keeps them for a few seconds
# (a change made here clears it at once; one made on another till is seen within this time).
CACHE_SECONDS = 10.0


def load(ctx: Ctx) -> ShopSettings:
    cached = ctx.db.cache.get("settings")
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Setting.key, Setting.value)).all()
    values = {}
    for key, raw in rows:
        if key in _FIELDS:
            values[key] = json.loads(raw)
    cfg = replace(ShopSettings(), **values)
    ctx.db.cache["settings"] = (time.monotonic(), cfg)
    return cfg


def update(ctx: Ctx, *, permission: str = "change_settings", **changes: object) -> ShopSettings:
    """Change settings (owner only, or whoever ``permission`` allows; audited)."""
    from app.services import audit, permissions

    permissions.require(ctx, permission)
    for key, value in changes.items():
        if key not in _FIELDS:
            raise ValidationError("setting_unknown", key=key)
        _validate(key, value)
    ctx.db.cache.pop("settings", None)
    with ctx.tx() as t:
        before = asdict(load(t))
        for key, value in changes.items():
            row = t.s.get(Setting, key)
            if row is None:
                t.s.add(Setting(key=key, value=json.dumps(value, ensure_ascii=False)))
            else:
                row.value = json.dumps(value, ensure_ascii=False)
        t.s.flush()
        ctx.db.cache.pop("settings", None)
        after = load(t)
        ctx.db.cache.pop("settings", None)  # not until committed: the next reader loads it afresh
        audit.record(t, "settings.update", "settings", None,
                     before={k: before[k] for k in changes}, after={k: getattr(after, k) for k in changes})
        return after


_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")  # texts: quiet hours


def _validate(key: str, value: object) -> None:
    def bad(why: str) -> ValidationError:
        return ValidationError("setting_invalid", key=key, why=why)

    if key in ("points_per_unit", "points_expiry_months") and (not isinstance(value, int) or value < 0):
        raise bad("a whole number ≥ 0")
    if key == "points_redeem_rate" and (not isinstance(value, int) or value <= 0):
        raise bad("a whole number > 0")
    if key == "points_expiry_policy" and value not in ("never", "months", "year_end"):
        raise bad("never, months or year_end")
    if key == "language" and value not in ("en", "zh_CN"):
        raise bad("en or zh_CN")
    if key == "currency":
        try:
            get_currency_precision(str(value))
        except Exception:
            raise bad("an ISO 4217 currency code") from None
    if key in ("vip_single_purchase", "vip_month_spend") and (not isinstance(value, int) or value < 0):
        raise bad("an amount ≥ 0 in minor units")
    # texts: gateways and sending (shop_admin.update_texting checks them with clearer errors)
    if key in ("quiet_start", "quiet_end") and not (isinstance(value, str) and _HHMM.fullmatch(value)):
        raise bad("a time HH:MM")
    if key == "daily_text_cap" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise bad("a whole number ≥ 0")
