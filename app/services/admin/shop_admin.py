"""The owner's settings: first-run set-up, shop details, tiers, top-up bonus rules, points and VIP
rules, discount limits, and staff (roles, PINs, lockouts).

Every call is one transaction, checked against the acting staff member's role here (not only by
hiding buttons) and written to the audit log. Amounts are integers in minor units.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from app import i18n, money
from app.errors import Conflict, Duplicate, NotFound, ValidationError
from app.models import Member, Staff, Tier
from app.services.base import audit, auth, permissions, setup
from app.services.base import settings as shop_settings
from app.services.base.auth import StaffView
from app.services.base.context import SYSTEM, Ctx
# The rules of every setting live in settings.validate (one path); their limits are re-exported
# here for the settings screens.
from app.services.base.settings import (DAILY_CAP_MAX, EXPIRY_POLICIES, LANGUAGES, NAME_MAX,  # noqa: F401
                                   OPTOUT_LINE_MAX, SIGNATURE_MAX, ShopSettings)

# Offered first in the currency chooser; any ISO 4217 code babel knows is accepted.
COMMON_CURRENCIES = ("CNY", "HKD", "TWD", "MOP", "USD", "EUR", "GBP", "JPY", "SGD", "MYR", "AUD", "CAD")
MULTIPLIER_MAX = 1000  # percent


# --- values out ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TierView:
    id: int
    code: str
    name_en: str
    name_zh: str
    rank: int
    min_spend: int | None
    discount_bp: int
    points_multiplier_pct: int
    members: int  # members holding it (as their tier or their hand-set floor)


@dataclass(frozen=True)
class TierInput:
    """A tier as the owner edits it. ``id`` None adds a tier; ``min_spend`` None means reached only
    by the VIP rule or by hand."""
    name_en: str
    name_zh: str
    rank: int
    min_spend: int | None = None
    discount_bp: int = 0
    points_multiplier_pct: int = 100
    id: int | None = None
    code: str | None = None  # new tiers only; derived from the English name when empty


# The top-up bonus rules live in bonus_rules.py; the settings API names them here too.
from app.services.admin.bonus_rules import (BonusRuleInput, BonusRuleView, add_bonus_rule,  # noqa: E402,F401
                                            deactivate_bonus_rule, list_bonus_rules, save_bonus_rules,
                                            update_bonus_rule)


# --- helpers --------------------------------------------------------------------------------------
def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _staff_row(t: Ctx, staff_id: int) -> Staff:
    row = t.s.get(Staff, staff_id)
    if row is None:
        raise NotFound("staff_not_found", key=staff_id)
    return row


def _view(row: Staff) -> StaffView:
    return auth._view(row)


def _active_owners(t: Ctx) -> int:
    return t.s.execute(select(func.count()).select_from(Staff)
                       .where(Staff.role == "owner", Staff.active.is_(True))).scalar()


def has_staff(ctx: Ctx) -> bool:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Staff.id).limit(1)).first() is not None


# --- first run -------------------------------------------------------------------------------------
def _check_shop(shop_name: str, currency: str, language: str) -> tuple[str, str]:
    v = shop_settings.validate(shop_name=shop_name, currency=currency, language=language)
    return v["shop_name"], v["currency"]


def first_run(ctx: Ctx, shop_name: str, currency: str, language: str, owner_name: str,
              owner_pin: str, owner_password: str | None = None, region: str | None = None) -> StaffView:
    """Set the shop up and create its owner (with the owner's password, when given: the set-up
    screen asks for it); only while the shop has no staff at all. ``region`` (ISO 3166) is where
    phone numbers are read (kept as stored, or CN, when None). The seeded defaults, written in
    yuan, become round amounts of ``currency`` (setup.scale_defaults)."""
    name, code = _check_shop(shop_name, currency, language)
    where = {} if region is None else shop_settings.validate(region=region)
    auth.staff_name(owner_name)   # checked before anything is written
    auth._check_pin(owner_pin)
    if owner_password is not None:
        auth.check_owner_password(owner_password, owner_pin)
    with ctx.tx() as t:
        if t.s.execute(select(Staff.id).limit(1)).first() is not None:
            raise Conflict("already_set_up")
        # Nobody is logged in yet: the set-up acts as the system, with owner rights.
        st = t.as_actor(SYSTEM)
        scaled = setup.scale_defaults(st, shop_settings.load(st).currency, code)
        shop_settings.update(st, shop_name=name, currency=code, language=language, **where, **scaled)
        owner = auth.add_staff(st, owner_name, "owner", owner_pin)
        if owner_password is not None:
            owner = auth.set_owner_password(st, owner_password, staff_id=owner.id)
        audit.record(st, "shop.first_run", "settings", None,
                     after={"shop_name": name, "currency": code, "language": language, **where,
                            "owner": owner.name})
        return owner


def propose_shop(ctx: Ctx, language: str, currency: str, region: str) -> ShopSettings:
    """Store the language, currency and phone region a new shop starts with (``shopcare init``, from
    the system locale or its options), before the first run, which offers them again; the seeded
    defaults follow the currency. Only while the shop has no staff (afterwards: Settings)."""
    changes = shop_settings.validate(language=language, currency=currency, region=region)
    with ctx.tx() as t:
        if t.s.execute(select(Staff.id).limit(1)).first() is not None:
            raise Conflict("already_set_up")
        st = t.as_actor(SYSTEM)
        scaled = setup.scale_defaults(st, shop_settings.load(st).currency, changes["currency"])
        return shop_settings.update(st, **changes, **scaled)


# --- shop details -----------------------------------------------------------------------------------
def update_shop(ctx: Ctx, shop_name: str, currency: str, language: str, signature: str = "",
                region: str | None = None, open_price_max: int | None = None,
                negative_stock: str | None = None) -> ShopSettings:
    """Shop name, currency, language, text signature and (when given) the region phone numbers are
    read in and whether a sale may take stock below zero ("warn" or "refuse") (owner only). The
    currency cannot change once sales or stored value are recorded (settings.update enforces it for
    every caller); while it still can, defaults left as seeded follow it (setup.scale_defaults)."""
    where = {} if region is None else {"region": region}
    if open_price_max is not None:  # the most an open-price line (无码商品) may be
        where["open_price_max"] = open_price_max
    if negative_stock is not None:
        where["negative_stock"] = negative_stock
    permissions.require(ctx, "change_settings")
    code = shop_settings.validate(currency=currency)["currency"]
    with ctx.tx() as t:
        old = shop_settings.load(t).currency
        scaled = {} if shop_settings.money_recorded(t) else setup.scale_defaults(t, old, code)
        return shop_settings.update(t, shop_name=shop_name, currency=currency, language=language,
                                    signature=signature or "", **where, **scaled)


# --- points, VIP and discount rules -------------------------------------------------------------------
def update_points_rules(ctx: Ctx, points_per_unit: int, points_redeem_rate: int, expiry_policy: str,
                        expiry_months: int) -> ShopSettings:
    return shop_settings.update(ctx, points_per_unit=points_per_unit, points_redeem_rate=points_redeem_rate,
                                points_expiry_policy=expiry_policy, points_expiry_months=expiry_months)


def update_vip_rule(ctx: Ctx, vip_tier: str, single_purchase: int, month_spend: int) -> ShopSettings:
    """The VIP rule: one purchase over ``single_purchase`` or a month over ``month_spend`` lifts a
    member to ``vip_tier`` (0 turns a threshold off)."""
    return shop_settings.update(ctx, vip_tier=vip_tier, vip_single_purchase=single_purchase,
                                vip_month_spend=month_spend)


def update_discount_limits(ctx: Ctx, cashier_bp: int, manager_bp: int) -> ShopSettings:
    """The largest manual discount a cashier and a manager may give, in basis points (1000 = 10%):
    a cashier at most 50%, never more than a manager. The owner may always give up to 100%."""
    return shop_settings.update(ctx, discount_limit_bp={"cashier": cashier_bp, "manager": manager_bp,
                                                        "owner": 10_000})


def save_rules(ctx: Ctx, *, points_per_unit: int, points_redeem_rate: int, expiry_policy: str,
               expiry_months: int, vip_tier: str, vip_single_purchase: int, vip_month_spend: int,
               cashier_discount_bp: int, manager_discount_bp: int) -> ShopSettings:
    """The points, VIP and discount rules of the Settings screen, saved together or not at all."""
    permissions.require(ctx, "change_settings")
    with ctx.tx() as t:
        update_points_rules(t, points_per_unit, points_redeem_rate, expiry_policy, expiry_months)
        update_vip_rule(t, vip_tier, vip_single_purchase, vip_month_spend)
        return update_discount_limits(t, cashier_discount_bp, manager_discount_bp)


# --- tiers ----------------------------------------------------------------------------------------------
def _tier_members(t: Ctx) -> dict[int, int]:
    counts: dict[int, int] = {}
    for col in (Member.tier_id, Member.tier_floor_id):
        for tier_id, n in t.s.execute(select(col, func.count()).where(col.is_not(None)).group_by(col)).all():
            counts[tier_id] = counts.get(tier_id, 0) + n
    return counts


def list_tiers(ctx: Ctx) -> list[TierView]:
    with ctx.tx(write=False) as t:
        counts = _tier_members(t)
        return [TierView(x.id, x.code, x.name_en, x.name_zh, x.rank, x.min_spend, x.discount_bp,
                         x.points_multiplier_pct, counts.get(x.id, 0))
                for x in t.s.execute(select(Tier).order_by(Tier.rank)).scalars()]


def _code_for(name_en: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name_en.lower()).strip("_")[:24] or "tier"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def _check_tier(data: TierInput, currency: str) -> TierInput:
    en, zh = _text(data.name_en), _text(data.name_zh)
    if not en or not zh:
        raise ValidationError("tier_name_empty")
    if len(en) > NAME_MAX or len(zh) > NAME_MAX:
        raise ValidationError("name_too_long", max=NAME_MAX)
    if not _whole(data.rank) or not 1 <= data.rank <= 99:
        raise ValidationError("tier_rank_invalid", value=data.rank)
    if data.min_spend is not None:
        money.check_amount(data.min_spend, currency, field="minimum spend", allow_zero=True)
    if not _whole(data.discount_bp) or not 0 <= data.discount_bp <= 10_000:
        raise ValidationError("tier_discount_invalid", value=data.discount_bp / 100 if _whole(data.discount_bp)
                              else data.discount_bp)
    if not _whole(data.points_multiplier_pct) or not 0 <= data.points_multiplier_pct <= MULTIPLIER_MAX:
        raise ValidationError("tier_multiplier_invalid", value=data.points_multiplier_pct, max=MULTIPLIER_MAX)
    return TierInput(en, zh, data.rank, data.min_spend, data.discount_bp, data.points_multiplier_pct,
                     data.id, data.code)


def save_tiers(ctx: Ctx, rows: list[TierInput]) -> list[TierView]:
    """Add and change tiers in one go (ranks may be swapped); the tiers as they now are.

    Tiers not in ``rows`` are left as they are. Ranks and names stay unique across all tiers."""
    permissions.require(ctx, "change_settings")
    with ctx.tx() as t:
        currency = shop_settings.load(t).currency
        checked = [_check_tier(r, currency) for r in rows]
        existing = {x.id: x for x in t.s.execute(select(Tier)).scalars()}
        final: dict[object, TierInput] = {i: TierInput(x.name_en, x.name_zh, x.rank, x.min_spend, x.discount_bp,
                                                       x.points_multiplier_pct, x.id, x.code)
                                          for i, x in existing.items()}
        for n, r in enumerate(checked):
            if r.id is not None and r.id not in existing:
                raise NotFound("tier_not_found", tier=r.id)
            final[r.id if r.id is not None else f"new{n}"] = r
        ranks: dict[int, TierInput] = {}
        names: dict[str, TierInput] = {}
        for r in final.values():
            if r.rank in ranks:
                a, b = sorted((ranks[r.rank], r), key=lambda x: (x.id is None, x.id or 0))
                raise Duplicate("tier_rank_duplicate", rank=r.rank, name=i18n.ShopValue(a.name_en, a.name_zh, "tier"),
                                other=i18n.ShopValue(b.name_en, b.name_zh, "tier"))
            ranks[r.rank] = r
            for key in (r.name_en.lower(), r.name_zh):
                if key in names:
                    raise Duplicate("tier_duplicate", name=key)
                names[key] = r
        # Ranks are unique in the table: park the changed ones out of the way first.
        old_rank = {i: x.rank for i, x in existing.items()}
        moved = [r for r in checked if r.id is not None and existing[r.id].rank != r.rank]
        for n, r in enumerate(moved):
            existing[r.id].rank = -1 - n
        t.s.flush()
        taken = {x.code for x in existing.values()}
        for r in checked:
            if r.id is None:
                code = _text(r.code) or _code_for(r.name_en, taken)
                if code in taken:
                    raise Duplicate("tier_duplicate", name=code)
                taken.add(code)
                row = Tier(code=code, name_en=r.name_en, name_zh=r.name_zh, rank=r.rank, min_spend=r.min_spend,
                           discount_bp=r.discount_bp, points_multiplier_pct=r.points_multiplier_pct)
                t.s.add(row)
                t.s.flush()
                audit.record(t, "tier.add", "tier", row.id, after=_tier_dict(row))
            else:
                row = existing[r.id]
                before = {**_tier_dict(row), "rank": old_rank[row.id]}
                row.name_en, row.name_zh, row.rank = r.name_en, r.name_zh, r.rank
                row.min_spend, row.discount_bp, row.points_multiplier_pct = (r.min_spend, r.discount_bp,
                                                                           r.points_multiplier_pct)
                after = _tier_dict(row)
                if after != before:
                    audit.record(t, "tier.update", "tier", row.id, before=before, after=after)
        t.s.flush()
        t.s.info.pop("tiers", None)
    return list_tiers(ctx)


def _tier_dict(row: Tier) -> dict:
    return {"code": row.code, "name_en": row.name_en, "name_zh": row.name_zh, "rank": row.rank,
            "min_spend": row.min_spend, "discount_bp": row.discount_bp,
            "points_multiplier_pct": row.points_multiplier_pct}


def add_tier(ctx: Ctx, data: TierInput) -> TierView:
    tiers = save_tiers(ctx, [TierInput(**{**asdict(data), "id": None})])
    return next(x for x in tiers if x.rank == data.rank)


def update_tier(ctx: Ctx, tier_id: int, data: TierInput) -> TierView:
    tiers = save_tiers(ctx, [TierInput(**{**asdict(data), "id": tier_id})])
    return next(x for x in tiers if x.id == tier_id)


def delete_tier(ctx: Ctx, tier_id: int) -> None:
    """Delete a tier no member holds and the VIP rule does not name."""
    permissions.require(ctx, "change_settings")
    with ctx.tx() as t:
        row = t.s.get(Tier, tier_id)
        if row is None:
            raise NotFound("tier_not_found", tier=tier_id)
        held = _tier_members(t).get(row.id, 0)
        if held:
            raise Conflict("tier_in_use", name=i18n.ShopValue(row.name_en, row.name_zh, "tier"), count=held)
        if shop_settings.load(t).vip_tier == row.code:
            raise Conflict("tier_is_vip", name=i18n.ShopValue(row.name_en, row.name_zh, "tier"))
        if t.s.execute(select(func.count()).select_from(Tier)).scalar() <= 1:
            raise Conflict("tier_last")
        audit.record(t, "tier.delete", "tier", row.id, before=_tier_dict(row))
        t.s.delete(row)


# --- staff (owner only) -----------------------------------------------------------------------------------
def list_staff(ctx: Ctx) -> list[StaffView]:
    """Everyone, active or not (owner only; the login picker uses auth.list_staff)."""
    permissions.require(ctx, "view_staff")
    return auth.list_staff(ctx)


def add_staff(ctx: Ctx, name: str, role: str, pin: str) -> StaffView:
    permissions.require(ctx, "manage_staff")
    return auth.add_staff(ctx, name, role, pin)


def set_role(ctx: Ctx, staff_id: int, role: str) -> StaffView:
    permissions.require(ctx, "manage_staff")
    if role not in auth.ROLES:
        raise ValidationError("role_invalid", role=role)
    with ctx.tx() as t:
        row = _staff_row(t, staff_id)
        if row.role == role:
            return _view(row)
        if row.role == "owner" and row.active and _active_owners(t) <= 1:
            raise Conflict("last_owner", name=row.name)
        before = row.role
        row.role = role
        audit.record(t, "staff.role", "staff", row.id, before={"role": before}, after={"role": role})
        return _view(row)


def set_active(ctx: Ctx, staff_id: int, active: bool) -> StaffView:
    """Deactivate (cannot log in any more; history kept) or reactivate a staff member."""
    permissions.require(ctx, "manage_staff")
    with ctx.tx() as t:
        row = _staff_row(t, staff_id)
        if row.active == active:
            return _view(row)
        if not active and row.role == "owner" and _active_owners(t) <= 1:
            raise Conflict("last_owner", name=row.name)
        row.active = active
        audit.record(t, "staff.activate" if active else "staff.deactivate", "staff", row.id)
        return _view(row)


def deactivate_staff(ctx: Ctx, staff_id: int) -> StaffView:
    return set_active(ctx, staff_id, False)


def reset_pin(ctx: Ctx, staff_id: int, new_pin: str) -> StaffView:
    """A new PIN for someone who forgot theirs (also lifts a lockout)."""
    permissions.require(ctx, "manage_staff")
    new_pin = auth._check_pin(new_pin)
    with ctx.tx() as t:
        row = _staff_row(t, staff_id)
        row.pin_hash = auth._hasher.hash(new_pin)
        row.failed_logins = 0
        audit.record(t, "staff.reset_pin", "staff", row.id)
        return _view(row)


def unlock(ctx: Ctx, staff_id: int) -> StaffView:
    """Lift the lockout after too many wrong PINs (or wrong owner's passwords)."""
    permissions.require(ctx, "manage_staff")
    with ctx.tx() as t:
        row = _staff_row(t, staff_id)
        if row.failed_logins or row.password_failed or row.password_locked_until:
            row.failed_logins = 0
            row.password_failed, row.password_locked_until = 0, None
            audit.record(t, "staff.unlock", "staff", row.id)
        return _view(row)


# --- texts: quiet hours, daily cap, opt-out lines -------------------------------------------------------

def update_texting(ctx: Ctx, quiet_start: str, quiet_end: str, daily_text_cap: int, optout_line_zh: str,
                   optout_line_en: str, sms_part_price: int | None = None, balance_keywords=None) -> ShopSettings:
    """Quiet hours ("HH:MM" shop time; may cross midnight; equal times mean none), the daily cap of care
    and marketing texts per member, the opt-out lines texts carry and, when given, the price of one SMS
    part in minor units and the words a member texts to be told their balances (a comma-separated text
    or a list) (owner or manager)."""
    more = {} if sms_part_price is None else {"sms_part_price": sms_part_price}
    if balance_keywords is not None:
        more["balance_keywords"] = balance_keywords
    return shop_settings.update(ctx, permission="change_texting", quiet_start=quiet_start, quiet_end=quiet_end,
                                daily_text_cap=daily_text_cap, optout_line_zh=optout_line_zh,
                                optout_line_en=optout_line_en, **more)
