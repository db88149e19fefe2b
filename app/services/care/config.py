"""The care engine's settings: lead times, cut-offs, win-back and repurchase thresholds, tier care
plans, and the day it last ran. Stored as JSON in the ``settings`` table under ``care_*`` keys
(no migration): ``care_config`` holds only what the shop changed, so new defaults reach old shops."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ValidationError
from app.i18n import L_
from app.models import Setting
from app.services.base.context import Ctx
from app.services.base.settings import POINTS_REMINDER_DAYS_DEFAULT

CONFIG_KEY, CALENDAR_KEY, LAST_RUN_KEY = "care_config", "care_calendar", "care_last_run"
HOLD_REASONS = ("setting", "first_run", "after_import", "over_limit")

RULES = ("birthday", "anniversary", "member_anniversary", "holiday", "tier_care", "winback", "repurchase",
         "points_reminder", "followup", "satisfaction")
PLAN_ACTIONS = ("text", "voucher", "gift", "call")
PLAN_PERIODS = ("month", "quarter", "half_year", "year")
FOLLOWUP_ACTIONS = ("text", "call")
MAX_FOLLOWUP_TEXT, MAX_PLAN_ID = 300, 40

# What each tier receives, and how often. Vouchers: value in minor units (fen), valid N days.
DEFAULT_TIER_PLANS: dict[str, list[dict]] = {
    "gold": [
        {"id": "gold-voucher", "action": "voucher", "every": "quarter", "value": 3000, "min_spend": 10000,
         "valid_days": 45},
        {"id": "gold-call", "action": "call", "every": "quarter"},
        {"id": "gold-gift", "action": "gift", "every": "year", "gift": "节令礼盒 seasonal gift box"},
    ],
    "silver": [
        {"id": "silver-text", "action": "text", "every": "quarter"},
        {"id": "silver-voucher", "action": "voucher", "every": "half_year", "value": 1500, "min_spend": 8000,
         "valid_days": 30},
    ],
    "ordinary": [],
}


@dataclass(frozen=True)
class CareConfig:
    enabled: tuple[str, ...] = RULES
    # Blessings: 0 = on the day, N = N days before. A blessing is still sent this many days after its
    # day (a catch-up after closed days); older ones are counted as missed, never sent.
    birthday_days_ahead: int = 0
    anniversary_days_ahead: int = 0
    holiday_days_ahead: int = 0
    blessing_cutoff_days: int = 7      # birthdays, anniversaries, membership anniversaries
    holiday_cutoff_days: int = 3       # a festival greeting goes stale sooner
    catch_up_max_days: int = 366       # how far back a catch-up looks for missed days at all
    # Win-back: silent for more than factor x the member's median gap between visits, and more than
    # the floor; at least min_visits visits; lapses older than max_days are left alone.
    winback_factor: float = 2.5
    winback_floor_days: int = 30
    winback_min_visits: int = 2
    winback_max_days: int = 365
    winback_call_top: int = 5          # the N biggest spenders due get a call task instead
    winback_daily_limit: int = 50      # new win-backs a day (biggest spenders first; the rest wait)
    winback_voucher: dict | None = field(default_factory=lambda: {
        "value": 2000, "min_spend": 5000, "valid_days": 30})
    winback_window_days: int = 30      # results: came back within this many days of the contact
    # Repurchase: >= min_purchases of one product, gaps varying by at most max_cv (stdev/mean),
    # a cycle of at least min_cycle_days, overdue by margin_pct of the cycle (at least 3 days);
    # past give_up_factor x the cycle the member has lapsed and win-back takes over.
    repurchase_min_purchases: int = 3
    repurchase_max_cv: float = 0.35
    repurchase_min_cycle_days: int = 14
    repurchase_margin_pct: int = 25
    repurchase_give_up_factor: float = 3.0
    repurchase_lookback_days: int = 730
    tier_plans: dict = field(default_factory=lambda: json.loads(json.dumps(DEFAULT_TIER_PLANS)))
    # Points reminder: a text this many days before a member's points expire ("350 points expire on
    # 31 Dec"), once per member and expiry day; at least 1 and shorter than the expiry period.
    points_reminder_days: int = POINTS_REMINDER_DAYS_DEFAULT
    # Service follow-ups (followup.py): a text or a call task N days after a purchase of a category or a
    # product (SKU): [{"id", "category" | "sku", "days", "action": "text" | "call", "text": ""}];
    # a follow-up is still sent this many days after its day (catch-up after closed days).
    followup_plans: list = field(default_factory=list)
    followup_cutoff_days: int = 3
    # Satisfaction texts ("reply 1-5") after sales with a line of one of these categories (none: off),
    # ``satisfaction_days_after`` days after the sale (0: the same day, at the next care run), at most
    # one per member every ``satisfaction_every_days`` days.
    satisfaction_categories: tuple = ()
    satisfaction_days_after: int = 0
    satisfaction_every_days: int = 30
    # Care texts wait in Care › Today for the owner's approval (status 'held') instead of going out
    # with the next sender run.
    hold_for_approval: bool = False
    # No surprise sends: even with the setting off, the texts of a run wait for approval when they
    # are the shop's first care texts, the first after a members or sales import, or when the run
    # would queue more than ``hold_above`` texts at once (0: no limit).
    hold_first_run: bool = True
    hold_after_import: bool = True
    hold_above: int = 50
    # Repurchase reminders worded per product category ({category: text with the "repurchase"
    # template's placeholders}); a category without one gets the shop's "repurchase" template.
    repurchase_wording: dict = field(default_factory=dict)


_FIELDS = {f.name: f for f in fields(CareConfig)}


# --- JSON values in the settings table ------------------------------------------------------------
def get_json(ctx: Ctx, key: str, default: object = None) -> object:
    with ctx.tx(write=False) as t:
        raw = t.s.execute(select(Setting.value).where(Setting.key == key)).scalar()
    return default if raw is None else json.loads(raw)


def put_json(t: Ctx, key: str, value: object) -> None:
    text = json.dumps(value, ensure_ascii=False)
    row = t.s.get(Setting, key)
    if row is not None:
        row.value = text
        t.s.flush()
        return
    try:
        with t.s.begin_nested():  # another till may insert the same key at the same moment
            t.s.add(Setting(key=key, value=text))
    except IntegrityError:
        t.s.get(Setting, key, populate_existing=True).value = text
    t.s.flush()


def defaults(currency: str = "CNY") -> CareConfig:
    """The defaults, their voucher amounts (written in fen) as round amounts of ``currency``
    (services/region.default_amount: a ¥20 win-back voucher is US$2, NT$80, HK$20)."""
    from app.services.base.region import default_amount

    base = CareConfig()
    if currency == "CNY":
        return base

    def scaled(spec: dict) -> dict:
        return {k: default_amount(v, currency) if k in ("value", "min_spend") else v for k, v in spec.items()}

    return replace(base, winback_voucher=scaled(base.winback_voucher),
                   tier_plans={tier: [scaled(p) for p in plans] for tier, plans in base.tier_plans.items()})


def load(ctx: Ctx) -> CareConfig:
    from app.services.base import settings as shop_settings

    stored = get_json(ctx, CONFIG_KEY, {}) or {}
    values = {k: v for k, v in stored.items() if k in _FIELDS}
    for key in ("enabled", "satisfaction_categories"):
        if key in values:
            values[key] = tuple(values[key])
    return replace(defaults(shop_settings.load(ctx).currency), **values)


def update(ctx: Ctx, **changes: object) -> CareConfig:
    """Change care settings (owner only; audited). Each value is checked first."""
    from app.services.base import audit, permissions

    permissions.require(ctx, "change_settings")
    for key, value in changes.items():
        validate(key, value)
    if "points_reminder_days" in changes:
        from app.services.base import settings as shop_settings

        shop_settings.reminder_fits(changes["points_reminder_days"], shop_settings.load(ctx))
    with ctx.tx() as t:
        if "tier_plans" in changes:
            check_plan_tiers(t, changes["tier_plans"])
        if "repurchase_wording" in changes:
            changes["repurchase_wording"] = check_wording_categories(t, changes["repurchase_wording"])
        stored = dict(get_json(t, CONFIG_KEY, {}) or {})
        before = {k: stored.get(k) for k in changes}
        for key, value in changes.items():
            stored[key] = list(value) if isinstance(value, tuple) else value
        put_json(t, CONFIG_KEY, stored)
        audit.record(t, "care.settings", "settings", CONFIG_KEY, before=before, after=dict(changes))
        return load(t)


def _bad(key: str, value: object, expected: object) -> ValidationError:
    return ValidationError("care_setting_invalid", key=key, value=value, expected=expected)


def validate(key: str, value: object) -> None:
    """A ValidationError unless ``value`` may be care setting ``key`` (the checks needing no database)."""
    if key not in _FIELDS:
        raise ValidationError("setting_unknown", key=key)
    default = getattr(CareConfig(), key)
    if key == "enabled":
        if not isinstance(value, (list, tuple)) or any(v not in RULES for v in value):
            raise _bad(key, value, L_("a list of {choices}", choices=", ".join(RULES)))
    elif key == "tier_plans":
        check_plans(value)
    elif key == "repurchase_wording":
        check_wording(value)
    elif key == "followup_plans":
        check_followups(value)
    elif key == "satisfaction_categories":
        if not isinstance(value, (list, tuple)) or any(not isinstance(c, str) or not c.strip() or len(c) > 64
                                                       for c in value):
            raise _bad(key, value, L_("a list of category names"))
    elif key == "satisfaction_every_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
            raise _bad(key, value, L_("a whole number from {min} to {max}", min=1, max=3660))
    elif key == "winback_voucher":
        if value is not None:
            check_voucher_spec(key, value)
    elif key == "points_reminder_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
            raise _bad(key, value, L_("a whole number of days from {min} to {max}", min=1, max=3660))
    elif isinstance(default, bool):
        if not isinstance(value, bool):
            raise _bad(key, value, L_("true or false"))
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 3660:
            raise _bad(key, value, L_("a whole number from {min} to {max}", min=0, max=3660))
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
            raise _bad(key, value, L_("a number above 0"))


_validate = validate   # its former name


def check_voucher_spec(key: str, spec: object) -> None:
    ok = (isinstance(spec, dict) and isinstance(spec.get("value"), int) and spec["value"] > 0
          and isinstance(spec.get("min_spend", 0), int) and spec.get("min_spend", 0) >= 0
          and isinstance(spec.get("valid_days", 30), int) and spec.get("valid_days", 30) >= 1
          and spec.get("kind", "amount") in ("amount", "percent"))
    if not ok:
        raise _bad(key, spec, L_("a voucher {spec} with value > 0", spec="{value, min_spend, valid_days[, kind]}"))


VOUCHER_MAX = 10_000_000      # minor units: a care voucher worth more than 100,000 is a typo
PERCENT_MAX = 9_999           # basis points: 99.99 %
VALID_DAYS_MAX = 3660
GIFT_MAX = 64


def _plan_error(code: str, tier: str, n: int, **values: object) -> ValidationError:
    return ValidationError(code, tier=tier, n=n, **values)


def check_plans(plans: object) -> None:
    """Each tier's plans, with a sentence naming the tier, the plan (1, 2, ...) and what is wrong."""
    if not isinstance(plans, dict):
        raise _bad("tier_plans", plans, L_("tier code -> list of plans"))
    for tier, items in plans.items():
        if not isinstance(items, list):
            raise _bad(f"tier_plans.{tier}", items, L_("a list of plans"))
        seen = set()
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise _bad(f"tier_plans.{tier}", item, L_("a plan"))
            if item.get("action") not in PLAN_ACTIONS:
                raise _plan_error("care_plan_action_invalid", tier, n, action=item.get("action"))
            if item.get("every") not in PLAN_PERIODS:
                raise _plan_error("care_plan_every_invalid", tier, n, every=item.get("every"))
            if item["action"] == "voucher":
                _check_plan_voucher(tier, n, item)
            if item["action"] == "gift":
                gift = item.get("gift", "")
                if not isinstance(gift, str) or not gift.strip() or len(gift) > GIFT_MAX:
                    raise _plan_error("care_plan_gift_invalid", tier, n, max=GIFT_MAX)
            pid = plan_id(tier, item)
            if pid in seen:
                raise _plan_error("care_plan_duplicate", tier, n, id=pid)
            seen.add(pid)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_plan_voucher(tier: str, n: int, item: dict) -> None:
    kind = item.get("kind", "amount")
    if kind not in ("amount", "percent"):
        raise _plan_error("care_plan_voucher_kind", tier, n, kind=kind)
    value = item.get("value")
    top = PERCENT_MAX if kind == "percent" else VOUCHER_MAX
    if not _whole(value) or not 0 < value <= top:
        raise _plan_error("care_plan_percent_invalid" if kind == "percent" else "care_plan_value_invalid", tier, n)
    spend = item.get("min_spend", 0)
    if not _whole(spend) or not 0 <= spend <= VOUCHER_MAX:
        raise _plan_error("care_plan_min_spend_invalid", tier, n)
    days = item.get("valid_days", 30)
    if not _whole(days) or not 1 <= days <= VALID_DAYS_MAX:
        raise _plan_error("care_plan_valid_days_invalid", tier, n, max=VALID_DAYS_MAX)


def check_plan_tiers(t: Ctx, plans: dict) -> None:
    """Plans only for tiers the shop has (an empty list for a tier since deleted is let be)."""
    from app.models import Tier

    codes = set(t.s.execute(select(Tier.code)).scalars())
    for tier, items in plans.items():
        if items and tier not in codes:
            raise ValidationError("care_plan_tier_unknown", tier=tier)


# --- repurchase wording per category -------------------------------------------------------------
def check_wording(wording: object) -> dict[str, str]:
    """{category: text}, each text a valid "repurchase" template (its placeholders only)."""
    from app.services.texts import templates

    if not isinstance(wording, dict):
        raise _bad("repurchase_wording", wording, L_("category -> text"))
    out = {}
    for category, text in wording.items():
        name = category.strip() if isinstance(category, str) else ""
        if not name:
            raise ValidationError("care_wording_category_empty")
        if not isinstance(text, str):
            raise ValidationError("template_empty")
        templates.validate("repurchase", text.strip())
        out[name] = text.strip()
    return out


def check_wording_categories(t: Ctx, wording: dict) -> dict[str, str]:
    """Only categories of the shop's list (the names the catalogue uses)."""
    from app.models import Category

    wording = check_wording(wording)
    known = set(t.s.execute(select(Category.name)).scalars())
    for category in wording:
        if category not in known:
            raise ValidationError("care_wording_category_unknown", category=category)
    return dict(wording)


def set_wording(ctx: Ctx, category: str, text: str | None) -> CareConfig:
    """The repurchase wording of one product category (``text`` None or empty: back to the shop's
    "repurchase" template)."""
    wording = dict(load(ctx).repurchase_wording)
    name = (category or "").strip()
    if text is None or not text.strip():
        if name not in wording:
            raise ValidationError("care_wording_not_set", category=name)
        wording.pop(name)
    else:
        wording[name] = text
    return update(ctx, repurchase_wording=wording)
def check_followups(plans: object) -> None:
    """Follow-up plans: a category or a SKU, 1 day or more after the purchase (0 is refused: that is
    the sale itself), a text (the plan's own words, or the shop's "followup" template) or a call."""
    from app.services.texts import templates

    if not isinstance(plans, (list, tuple)):
        raise _bad("followup_plans", plans, L_("a list of follow-up plans"))
    seen = set()
    for item in plans:
        if not isinstance(item, dict):
            raise _bad("followup_plans", item, L_("a list of follow-up plans"))
        category, sku = str(item.get("category") or "").strip(), str(item.get("sku") or "").strip()
        if bool(category) == bool(sku):
            raise ValidationError("followup_target_invalid")
        days = item.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
            raise ValidationError("followup_days_invalid", value=days, max=3660)
        if item.get("action", "text") not in FOLLOWUP_ACTIONS:
            raise _bad("followup_plans", item.get("action"), L_("one of {choices}", choices=", ".join(FOLLOWUP_ACTIONS)))
        text = item.get("text") or ""
        if not isinstance(text, str) or len(text) > MAX_FOLLOWUP_TEXT:
            raise ValidationError("followup_text_too_long", max=MAX_FOLLOWUP_TEXT)
        if text.strip():
            templates.validate("followup", text)
        pid = followup_id(item)
        if len(pid) > MAX_PLAN_ID or pid in seen:
            raise _bad("followup_plans", pid, L_("plans with distinct ids of at most {max} characters", max=MAX_PLAN_ID))
        seen.add(pid)


def followup_id(item: dict) -> str:
    """A follow-up plan's stable id (part of its dedupe keys): given, or target-days-action."""
    target = str(item.get("category") or "").strip() or "sku-" + str(item.get("sku") or "").strip()
    return str(item.get("id") or f"{target}-{item.get('days')}d-{item.get('action', 'text')}").strip()


def plan_id(tier: str, item: dict) -> str:
    """A plan's stable id (part of its dedupe keys): given, or tier-action-period."""
    return str(item.get("id") or f"{tier}-{item['action']}-{item['every']}")


def period_of(every: str, d: date) -> tuple[str, date]:
    """(label, first day) of the ``every`` period holding ``d``: 2027-03, 2027-Q1, 2027-H1, 2027."""
    if every == "month":
        return f"{d.year}-{d.month:02d}", d.replace(day=1)
    if every == "quarter":
        q = (d.month - 1) // 3
        return f"{d.year}-Q{q + 1}", date(d.year, 3 * q + 1, 1)
    if every == "half_year":
        h = (d.month - 1) // 6
        return f"{d.year}-H{h + 1}", date(d.year, 6 * h + 1, 1)
    return f"{d.year}", date(d.year, 1, 1)


def last_run(ctx: Ctx) -> date | None:
    raw = get_json(ctx, LAST_RUN_KEY)
    return date.fromisoformat(raw) if raw else None


def set_last_run(t: Ctx, day: date) -> None:
    current = last_run(t)
    if current is None or day > current:
        put_json(t, LAST_RUN_KEY, day.isoformat())


def as_dict(cfg: CareConfig) -> dict:
    return asdict(cfg)
