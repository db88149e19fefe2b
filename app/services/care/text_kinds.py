"""Which text kinds the shop's care settings can send: a kind whose rule is switched off never
leaves, so a gateway of approved templates (Tencent) needs no template for it. Every other kind
(e-bills, campaigns, the test text, and any kind a later rule adds) counts as on. Follow-up texts
are on with a follow-up plan that texts, satisfaction texts with a category chosen (followup.py)."""
from __future__ import annotations

from app.services.base.context import Ctx
from app.services.care import config

#: the template kinds each care rule sends (plan.py, rhythm.py)
RULE_KINDS = {
    "birthday": ("birthday", "birthday_ahead"),
    "anniversary": ("anniversary",),
    "member_anniversary": ("member_anniversary",),
    "holiday": ("holiday",),
    "tier_care": ("tier_care", "tier_care_voucher"),
    "winback": ("winback", "winback_voucher"),
    "repurchase": ("repurchase",),
    "followup": ("followup",),
    "satisfaction": ("satisfaction",),
}


def switched_off(ctx: Ctx) -> frozenset[str]:
    """The template kinds no care rule that is on can send."""
    cfg = config.load(ctx)
    off = {k for rule, kinds in RULE_KINDS.items() if rule not in cfg.enabled for k in kinds}
    if cfg.birthday_days_ahead == 0:
        off.add("birthday_ahead")
    if not cfg.winback_voucher:
        off.add("winback_voucher")
    if not any(p.get("action", "text") == "text" for p in cfg.followup_plans):
        off.add("followup")
    if not cfg.satisfaction_categories:
        off.add("satisfaction")
    return frozenset(off)


def in_use(ctx: Ctx, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """``kinds`` less the switched-off ones, in order."""
    off = switched_off(ctx)
    return tuple(k for k in kinds if k not in off)
