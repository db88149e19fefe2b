"""Typed shop settings over the ``settings`` table (JSON values), with defaults.

``update`` is the one way to change them, and ``validate`` holds every rule a setting keeps: the
settings screens (shop_admin) and any other caller go through the same checks."""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field, fields, replace

from babel.numbers import get_currency_precision, list_currencies
from sqlalchemy import select

from app import i18n
from app.errors import Conflict, NotFound, ValidationError, quoted
from app.i18n import L_
from app.models import Sale, Setting, Tier, WalletEntry
from app.money import check_amount
from app.services.base.context import Ctx


@dataclass(frozen=True)
class ShopSettings:
    shop_name: str = "My Shop"
    currency: str = "CNY"
    # ISO 3166 code: the default region every phone number is read in (phonenumbers), and with the
    # language the locale of amounts and dates (services/region.py). A shop that never stored one
    # keeps mainland China's, as before; a new shop gets what its first start proposed.
    region: str = "CN"
    language: str = "zh_CN"          # one of app.i18n.LANGUAGES
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
    # what the gateway bills for one SMS part, in minor units (0: not told): previews show the cost
    sms_part_price: int = 0
    optout_line_zh: str = "回T退订"
    optout_line_en: str = "Reply STOP to opt out"
    # a member's reply of one of these words (any case) is answered with their balances (texts/replies.py)
    balance_keywords: tuple = ("余额", "查询", "餘額", "查詢", "BAL", "BALANCE")
    # stock: "warn" lets a sale take a product below zero (the till warns), "refuse" stops it
    negative_stock: str = "warn"
    # the most an open-price line (无码商品) may be, minor units: a slip of the finger stops here
    open_price_max: int = 10_000_000

    @property
    def exponent(self) -> int:
        return get_currency_precision(self.currency)

    @property
    def format_locale(self) -> str:
        """The CLDR locale for this shop's amounts and dates (language + region, e.g. en_GB)."""
        from app.services.base.region import format_locale

        return format_locale(self.language, self.region)

    @property
    def minor_per_unit(self) -> int:
        return 10 ** self.exponent

    def sms_cost(self, parts: int) -> int:
        """What ``parts`` SMS parts cost at the shop's price per part (0 when no price is set)."""
        return parts * self.sms_part_price

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
    """Change settings (owner only, or whoever ``permission`` allows; audited). The one path for
    every setting: each value is checked and normalised by ``validate``; then, against the database,
    the currency lock, the discount limits' order and the VIP tier."""
    from app.services.base import audit, permissions

    permissions.require(ctx, permission)
    changes = validate(**changes)
    ctx.db.cache.pop("settings", None)
    with ctx.tx() as t:
        before_cfg = load(t)
        _check_together(t, before_cfg, replace(before_cfg, **changes), changes)
        before = asdict(before_cfg)
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


# --- the rules every setting keeps (shop_admin's screens and any direct caller alike) ---------------
LANGUAGES = tuple(i18n.LANGUAGES)
EXPIRY_POLICIES = ("never", "months", "year_end")
NAME_MAX = 64
SIGNATURE_MAX = 40
OPTOUT_LINE_MAX = 30
DAILY_CAP_MAX = 20
POINTS_PER_UNIT_MAX = 1000
REDEEM_RATE_MAX = 1_000_000
EXPIRY_MONTHS_MAX = 120
# A cashier gives at most half off on their own: more needs a manager (whose limit, like the
# owner's, may reach 100%). Limits are basis points: 5000 = 50%.
CASHIER_DISCOUNT_MAX_BP = 5000
FULL_BP = 10_000

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")  # texts: quiet hours


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _whole(value: object, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def validate(**changes: object) -> dict[str, object]:
    """Check each setting on its own and return the values as they will be stored (names with
    their spaces tidied, codes upper-cased, times as HH:MM). Raises the same errors the settings
    screens show."""
    out = {}
    for key, value in changes.items():
        if key not in _FIELDS:
            raise ValidationError("setting_unknown", key=key)
        out[key] = _validate(key, value)
    return out


def _validate(key: str, value: object) -> object:
    def bad(why: object) -> ValidationError:
        return ValidationError("setting_invalid", key=key, why=why)

    if key == "shop_name":
        name = _text(value)
        if not name:
            raise ValidationError("shop_name_empty")
        if len(name) > NAME_MAX:
            raise ValidationError("name_too_long", max=NAME_MAX)
        return name
    if key == "currency":
        code = value.strip().upper() if isinstance(value, str) else ""
        if not re.fullmatch(r"[A-Z]{3}", code) or code not in list_currencies():
            raise ValidationError("currency_invalid", value=quoted(str(value)))
        return code
    if key == "region":
        import phonenumbers  # only here: the settings every sale reads need no phone library

        code = value.strip().upper() if isinstance(value, str) else ""
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError("region_invalid", value=quoted(str(value)))
        return code
    if key == "language":
        if value not in LANGUAGES:
            raise ValidationError("language_invalid", value=quoted(str(value)))
        return value
    if key == "points_per_unit":
        if not _whole(value, 0, POINTS_PER_UNIT_MAX):
            raise ValidationError("points_per_unit_invalid", value=quoted(repr(value)))
        return value
    if key == "points_redeem_rate":
        if not _whole(value, 1, REDEEM_RATE_MAX):
            raise ValidationError("points_redeem_rate_invalid", value=quoted(repr(value)))
        return value
    if key == "points_expiry_policy":
        if value not in EXPIRY_POLICIES:
            raise ValidationError("expiry_policy_invalid", value=quoted(str(value)))
        return value
    if key == "points_expiry_months":
        if not _whole(value, 1, EXPIRY_MONTHS_MAX):
            raise ValidationError("expiry_months_invalid", value=quoted(repr(value)))
        return value
    if key == "discount_limit_bp":
        return _discount_limits(value)
    if key == "negative_stock":
        if value not in ("warn", "refuse"):
            raise bad(L_("warn or refuse"))
        return value
    if key == "vip_tier":
        if not isinstance(value, str) or not value.strip() or len(value) > 32:
            raise ValidationError("tier_not_found", tier=quoted(str(value)))
        return value.strip()
    if key in ("vip_single_purchase", "vip_month_spend", "open_price_max", "sms_part_price"):
        # whole minor units within the shop's bound (the currency's own digits: see _check_together)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad(L_("an amount ≥ 0 in minor units"))
        return value
    if key == "ebill_default":
        if not isinstance(value, bool):
            raise bad(L_("true or false"))
        return value
    if key == "signature":
        sig = _text(value) if value is not None else ""
        if value is not None and not isinstance(value, str):
            raise bad(L_("text"))
        if len(sig) > SIGNATURE_MAX:
            raise ValidationError("signature_too_long", max=SIGNATURE_MAX)
        return sig
    if key in ("quiet_start", "quiet_end"):
        m = _HHMM.fullmatch(value.strip()) if isinstance(value, str) else None
        if not m:
            raise ValidationError("sms_quiet_hours_invalid", value=quoted(str(value)))
        return f"{int(m.group(1)):02d}:{m.group(2)}"
    if key == "daily_text_cap":
        if not _whole(value, 0, DAILY_CAP_MAX):
            raise ValidationError("sms_daily_cap_invalid", value=quoted(repr(value)))
        return value
    if key in ("optout_line_zh", "optout_line_en"):
        line = _text(value)
        if not line or len(line) > OPTOUT_LINE_MAX:
            raise ValidationError("sms_optout_line_invalid", max=OPTOUT_LINE_MAX)
        return line
    if key == "balance_keywords":
        return _keywords(value)
    return value


KEYWORDS_MAX, KEYWORD_CHARS = 10, 20
# words a reply already means something by (sender.STOP_WORDS / START_WORDS, scores 1-5)
RESERVED_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "退订", "退訂", "t", "td", "r",
                            "start", "unstop", "yes", "1", "2", "3", "4", "5"})


def _keywords(value: object) -> tuple[str, ...]:
    """The balance keywords: up to KEYWORDS_MAX words (a comma-separated text or a list), each one
    word of at most KEYWORD_CHARS characters, none that already opts out, in or scores; none at all
    switches balance replies off."""
    words = value.replace("，", ",").split(",") if isinstance(value, str) else value
    if not isinstance(words, (list, tuple)) or not all(isinstance(w, str) for w in words):
        raise ValidationError("balance_keywords_invalid", value=quoted(repr(value)), max=KEYWORDS_MAX,
                              chars=KEYWORD_CHARS)
    out: list[str] = []
    for w in (w.strip() for w in words):
        if not w:
            continue
        if len(w) > KEYWORD_CHARS or len(w.split()) != 1 or any(not ch.isprintable() for ch in w):
            raise ValidationError("balance_keywords_invalid", value=quoted(w), max=KEYWORDS_MAX, chars=KEYWORD_CHARS)
        if w.casefold() in RESERVED_WORDS:
            raise ValidationError("balance_keyword_reserved", value=quoted(w))
        if w.casefold() not in {x.casefold() for x in out}:
            out.append(w)
    if len(out) > KEYWORDS_MAX:
        raise ValidationError("balance_keywords_invalid", value=quoted(", ".join(out)), max=KEYWORDS_MAX,
                              chars=KEYWORD_CHARS)
    return tuple(out)


def _discount_limits(value: object) -> dict[str, int]:
    """{"cashier": bp, "manager": bp[, "owner": 10000]}: whole basis points, a cashier at most
    CASHIER_DISCOUNT_MAX_BP, cashier <= manager; the owner may always give 100%."""
    if not isinstance(value, dict) or not {"cashier", "manager"} <= set(value) <= {"cashier", "manager", "owner"}:
        raise ValidationError("setting_invalid", key="discount_limit_bp", why=L_("cashier and manager limits"))
    limits = {"cashier": value["cashier"], "manager": value["manager"], "owner": value.get("owner", FULL_BP)}
    for role, bp in limits.items():
        if not _whole(bp, 0, FULL_BP):
            ok = isinstance(bp, int) and not isinstance(bp, bool)
            raise ValidationError("discount_limit_invalid", role=role, value=bp / 100 if ok else quoted(repr(bp)))
    if limits["owner"] != FULL_BP:
        raise ValidationError("discount_limit_invalid", role="owner", value=limits["owner"] / 100)
    if limits["cashier"] > CASHIER_DISCOUNT_MAX_BP:
        raise ValidationError("discount_limit_too_high", role="cashier", value=limits["cashier"] / 100,
                              max=CASHIER_DISCOUNT_MAX_BP / 100)
    if limits["cashier"] > limits["manager"]:
        raise ValidationError("discount_limits_order")
    return limits


# The care engine's points reminder goes this many days before points expire (care_config key
# ``points_reminder_days``; the default lives here so that a change of the expiry policy can check it).
POINTS_REMINDER_DAYS_DEFAULT = 14


def shortest_expiry_days(cfg: ShopSettings) -> int | None:
    """The fewest days between earning points and their expiry under the shop's policy (None: they
    never expire). ``months``: the shortest span of that many calendar months (31 January plus one
    month is 28 February: 28 days)."""
    import calendar
    from datetime import date, timedelta

    if cfg.points_expiry_policy == "never":
        return None
    if cfg.points_expiry_policy == "year_end":
        return 365           # earned on 31 December, lapsing on 31 December of the next year
    months, best, d = cfg.points_expiry_months, None, date(2023, 1, 1)
    while d.year < 2027:     # four years hold every month length and a leap year
        year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
        end = date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))
        best = (end - d).days if best is None else min(best, (end - d).days)
        d += timedelta(days=1)
    return best


def reminder_fits(days: int, cfg: ShopSettings) -> None:
    """Refuse a points reminder ``days`` ahead that is not shorter than the expiry period."""
    period = shortest_expiry_days(cfg)
    if period is not None and days >= period:
        raise ValidationError("points_reminder_too_long", days=days, period=period)


def money_recorded(t: Ctx) -> bool:
    """Whether sales or stored value are recorded: from then on the currency cannot change (every
    amount is kept in the minor units of the currency it was taken in)."""
    return (t.s.execute(select(Sale.id).limit(1)).first() is not None
            or t.s.execute(select(WalletEntry.id).limit(1)).first() is not None)


def _check_together(t: Ctx, old: ShopSettings, new: ShopSettings, changes: dict) -> None:
    """The rules that need the database or other settings."""
    if new.currency != old.currency and money_recorded(t):
        raise Conflict("currency_locked", old=old.currency, new=new.currency)
    for key in ("vip_single_purchase", "vip_month_spend", "open_price_max", "sms_part_price"):
        if key in changes or "currency" in changes:
            check_amount(getattr(new, key), new.currency, field=key, allow_zero=key != "open_price_max")
    if "points_expiry_policy" in changes or "points_expiry_months" in changes:
        raw = t.s.execute(select(Setting.value).where(Setting.key == "care_config")).scalar()
        stored = json.loads(raw) if raw else {}
        days = stored.get("points_reminder_days", POINTS_REMINDER_DAYS_DEFAULT) if isinstance(stored, dict) else None
        period = shortest_expiry_days(new)
        if isinstance(days, int) and not isinstance(days, bool) and period is not None and days >= period:
            raise ValidationError("points_expiry_shorter_than_reminder", period=period, days=days)
    if "vip_tier" in changes and t.s.execute(select(Tier.id).where(Tier.code == new.vip_tier)).first() is None:
        raise NotFound("tier_not_found", tier=quoted(new.vip_tier))


# --- free values kept beside the typed settings (the import wizard's remembered mappings) ------
VALUE_KEY_MAX = 64


def stored_value(ctx: Ctx, key: str) -> str | None:
    """The text kept under ``key`` (not a ShopSettings field), or None."""
    assert key not in _FIELDS and len(key) <= VALUE_KEY_MAX, key
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Setting.value).where(Setting.key == key)).scalar()


def store_value(ctx: Ctx, key: str, value: str) -> None:
    """Keep ``value`` under ``key`` (not a ShopSettings field: those change through ``update``).
    The caller checks its own permission."""
    assert key not in _FIELDS and len(key) <= VALUE_KEY_MAX, key
    with ctx.tx() as t:
        row = t.s.get(Setting, key)
        if row is None:
            t.s.add(Setting(key=key, value=value))
        else:
            row.value = value
        t.s.flush()
