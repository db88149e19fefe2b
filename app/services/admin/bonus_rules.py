"""Top-up bonus rules (充值送): pay at least this much, get this bonus, within these dates. The
owner's settings; each call is one transaction, checked against the actor's role and audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app import money
from app.errors import Duplicate, NotFound, ValidationError
from app.models import TopupBonusRule
from app.services.base import audit, permissions
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

@dataclass(frozen=True)
class BonusRuleView:
    id: int
    min_amount: int
    bonus: int
    active: bool
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class BonusRuleInput:
    min_amount: int
    bonus: int
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True
    id: int | None = None


# --- top-up bonus rules ----------------------------------------------------------------------------------
def _rule_view(r: TopupBonusRule) -> BonusRuleView:
    return BonusRuleView(r.id, r.min_amount, r.bonus, r.active, r.valid_from, r.valid_to)


def list_bonus_rules(ctx: Ctx, include_inactive: bool = True) -> list[BonusRuleView]:
    with ctx.tx(write=False) as t:
        q = select(TopupBonusRule).order_by(TopupBonusRule.active.desc(), TopupBonusRule.min_amount,
                                            TopupBonusRule.id)
        if not include_inactive:
            q = q.where(TopupBonusRule.active.is_(True))
        return [_rule_view(r) for r in t.s.execute(q).scalars()]


def _check_rule(r: BonusRuleInput, currency: str) -> None:
    if not _whole(r.min_amount) or r.min_amount <= 0:
        raise ValidationError("topup_min_invalid")
    money.check_amount(r.min_amount, currency, field="top-up")
    if not _whole(r.bonus):
        raise ValidationError("bonus_negative", value=r.bonus)
    if r.bonus < 0:
        raise ValidationError("bonus_negative", value=money.to_major_str(r.bonus, currency))
    if r.bonus > r.min_amount:
        raise ValidationError("bonus_over_amount", bonus=money.to_major_str(r.bonus, currency),
                              amount=money.to_major_str(r.min_amount, currency))
    if r.valid_from and r.valid_to and r.valid_to < r.valid_from:
        raise ValidationError("date_range_invalid", start=r.valid_from.isoformat(), end=r.valid_to.isoformat())


def _overlap(a: BonusRuleInput | TopupBonusRule, b: BonusRuleInput | TopupBonusRule) -> bool:
    lo = max(a.valid_from or date.min, b.valid_from or date.min)
    hi = min(a.valid_to or date.max, b.valid_to or date.max)
    return lo <= hi


def save_bonus_rules(ctx: Ctx, rows: list[BonusRuleInput]) -> list[BonusRuleView]:
    """Add and change top-up bonus rules in one go; the rules as they now are. Two active rules for
    the same top-up amount may not apply on the same day (which would win is anyone's guess)."""
    permissions.require(ctx, "change_settings")
    with ctx.tx() as t:
        currency = shop_settings.load(t).currency
        for r in rows:
            _check_rule(r, currency)
        existing = {x.id: x for x in t.s.execute(select(TopupBonusRule)).scalars()}
        final: dict[object, BonusRuleInput] = {
            i: BonusRuleInput(x.min_amount, x.bonus, x.valid_from, x.valid_to, x.active, x.id)
            for i, x in existing.items()}
        for n, r in enumerate(rows):
            if r.id is not None and r.id not in existing:
                raise NotFound("bonus_rule_not_found", id=r.id)
            final[r.id if r.id is not None else f"new{n}"] = r
        active = [r for r in final.values() if r.active]
        for i, a in enumerate(active):
            for b in active[i + 1:]:
                if a.min_amount == b.min_amount and _overlap(a, b):
                    raise Duplicate("bonus_rule_duplicate", amount=money.to_major_str(a.min_amount, currency))
        for r in rows:
            if r.id is None:
                row = TopupBonusRule(min_amount=r.min_amount, bonus=r.bonus, active=r.active,
                                     valid_from=r.valid_from, valid_to=r.valid_to)
                t.s.add(row)
                t.s.flush()
                audit.record(t, "bonus_rule.add", "topup_bonus_rule", row.id, after=_rule_dict(row))
            else:
                row = existing[r.id]
                before = _rule_dict(row)
                row.min_amount, row.bonus, row.active = r.min_amount, r.bonus, r.active
                row.valid_from, row.valid_to = r.valid_from, r.valid_to
                if _rule_dict(row) != before:
                    audit.record(t, "bonus_rule.update", "topup_bonus_rule", row.id, before=before,
                                 after=_rule_dict(row))
        t.s.flush()
    return list_bonus_rules(ctx)


def _rule_dict(r: TopupBonusRule) -> dict:
    return {"min_amount": r.min_amount, "bonus": r.bonus, "active": r.active,
            "valid_from": r.valid_from, "valid_to": r.valid_to}


def add_bonus_rule(ctx: Ctx, min_amount: int, bonus: int, valid_from: date | None = None,
                   valid_to: date | None = None) -> BonusRuleView:
    before = {r.id for r in list_bonus_rules(ctx)}
    rules = save_bonus_rules(ctx, [BonusRuleInput(min_amount, bonus, valid_from, valid_to)])
    return next(r for r in rules if r.id not in before)


def update_bonus_rule(ctx: Ctx, rule_id: int, min_amount: int, bonus: int, valid_from: date | None = None,
                      valid_to: date | None = None, active: bool = True) -> BonusRuleView:
    rules = save_bonus_rules(ctx, [BonusRuleInput(min_amount, bonus, valid_from, valid_to, active, rule_id)])
    return next(r for r in rules if r.id == rule_id)


def deactivate_bonus_rule(ctx: Ctx, rule_id: int) -> BonusRuleView:
    """Stop a rule from applying to new top-ups (past top-ups keep their bonus)."""
    permissions.require(ctx, "change_settings")
    with ctx.tx() as t:
        row = t.s.get(TopupBonusRule, rule_id)
        if row is None:
            raise NotFound("bonus_rule_not_found", id=rule_id)
        if row.active:
            row.active = False
            audit.record(t, "bonus_rule.deactivate", "topup_bonus_rule", row.id)
        return _rule_view(row)
