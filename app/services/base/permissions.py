"""Who may do what. Enforced here, in the services, not just by hiding buttons."""
from __future__ import annotations

from sqlalchemy import select

from app import i18n
from app.errors import PermissionDenied
from app.i18n import NC_
from app.models import Staff
from app.services.base.context import Ctx

# action -> roles allowed ("system" is the command line / scheduled jobs, with owner rights)
RULES: dict[str, frozenset[str]] = {
    "sell": frozenset({"cashier", "manager", "owner", "system"}),
    "topup": frozenset({"cashier", "manager", "owner", "system"}),
    "edit_member": frozenset({"cashier", "manager", "owner", "system"}),
    "override_price": frozenset({"manager", "owner", "system"}),
    "refund": frozenset({"manager", "owner", "system"}),
    "refund_topup": frozenset({"manager", "owner", "system"}),
    "cashout": frozenset({"manager", "owner", "system"}),
    "adjust_balance": frozenset({"manager", "owner", "system"}),
    "expire_points": frozenset({"manager", "owner", "system"}),
    "import": frozenset({"owner", "system"}),
    "export": frozenset({"owner", "system"}),
    "erase_member": frozenset({"owner", "system"}),
    "change_settings": frozenset({"owner", "system"}),
    "manage_staff": frozenset({"owner", "system"}),
    "view_staff": frozenset({"owner", "system"}),
    # the audit chain's key, shown to copy to another till, or taken from one (services/audit.py)
    "manage_audit_key": frozenset({"owner", "system"}),  # the staff list (no owner's password needed to look)
    "manage_products": frozenset({"manager", "owner", "system"}),
    "issue_voucher": frozenset({"manager", "owner", "system"}),
    # texts: outbox administration
    "manage_outbox": frozenset({"manager", "owner", "system"}),
    # texts: gateways and sending
    "change_texting": frozenset({"manager", "owner", "system"}),
    # care: campaigns, call-backs and the knowledge base
    "send_campaign": frozenset({"manager", "owner", "system"}),
    "resolve_complaint": frozenset({"manager", "owner", "system"}),
    "edit_knowledge": frozenset({"manager", "owner", "system"}),
    # stock: receiving, adjustments by hand and the stocktake (sales/inventory.py)
    "receive_stock": frozenset({"manager", "owner", "system"}),
    "adjust_stock": frozenset({"manager", "owner", "system"}),
    "stocktake": frozenset({"manager", "owner", "system"}),
}

# Actions that need, on top of the role, the owner's password typed for this ctx (auth.confirm_owner):
# exports of personal data, balance adjustments by hand and the shop's settings (issue 7). A PIN is
# short and typed at the till in view of others; knowing the owner's PIN must not be enough for these.
# - change_texting is settings too: the gateway account (which decides who pays for every text) and the
#   opt-out lines the law asks for. A manager may still change them, with the owner typing the password.
# - manage_staff is the Staff tab of Settings: a new owner or a new PIN must not come from a PIN alone.
# - "system" (the command line and scheduled jobs) is not asked: who runs commands on the shop's computer
#   can read the database file anyway; `shopcare export` asks on its own (app/cli/env.py).
# - manage_audit_key: whoever holds the audit key can re-sign a chain they edited.
OWNER_PASSWORD: frozenset[str] = frozenset({"export", "adjust_balance", "change_settings", "change_texting",
                                            "manage_staff", "manage_audit_key"})

ACTION_NAMES = {
    "refund": NC_("action:refund", "refund a sale"), "refund_topup": NC_("action:refund_topup", "refund a top-up"),
    "cashout": NC_("action:cashout", "cash out stored value"), "adjust_balance": NC_("action:adjust_balance", "adjust balances"),
    "override_price": NC_("action:override_price", "change prices"), "import": NC_("action:import", "import data"),
    "export": NC_("action:export", "export member data"),
    "erase_member": NC_("action:erase_member", "erase a member's personal data"), "change_settings": NC_("action:change_settings", "change settings"),
    "manage_staff": NC_("action:manage_staff", "manage staff"),
    "manage_audit_key": NC_("action:manage_audit_key", "show or change the audit key"), "view_staff": NC_("action:view_staff", "see the staff list"),
    "manage_products": NC_("action:manage_products", "manage products"),
    "issue_voucher": NC_("action:issue_voucher", "issue vouchers"), "expire_points": NC_("action:expire_points", "expire points"),
    "sell": NC_("action:sell", "sell"), "topup": NC_("action:topup", "top up"), "edit_member": NC_("action:edit_member", "edit members"),
    # texts: outbox administration
    "manage_outbox": NC_("action:manage_outbox", "resend or cancel texts"),
    # texts: gateways and sending
    "change_texting": NC_("action:change_texting", "change text settings"),
    # care: campaigns, call-backs and the knowledge base
    "send_campaign": NC_("action:send_campaign", "send campaigns"),
    "resolve_complaint": NC_("action:resolve_complaint", "resolve complaints"),
    "edit_knowledge": NC_("action:edit_knowledge", "edit the knowledge base"),
    # stock
    "receive_stock": NC_("action:receive_stock", "receive stock"),
    "adjust_stock": NC_("action:adjust_stock", "adjust stock"),
    "stocktake": NC_("action:stocktake", "post a stocktake"),
}


def action_name(action: str) -> i18n.Lazy:
    """What ``action`` is called in a sentence ("A cashier may not {action}"), in the reader's language."""
    return i18n.Lazy(ACTION_NAMES.get(action, action), context="action:" + action)


def allowed(ctx: Ctx, action: str) -> bool:
    """Whether the acting staff member's role may do ``action`` (what the UI shows or hides)."""
    return ctx.actor.role in RULES[action]


def needs_owner_password(ctx: Ctx, action: str) -> bool:
    """Whether ``action`` still waits for the owner's password on this ctx (its role may do it)."""
    return action in OWNER_PASSWORD and ctx.actor.role != "system" and not ctx.owner_confirmed


def require(ctx: Ctx, action: str) -> None:
    """The one place every guarded service asks: the role, then the owner's password where needed."""
    name = action_name(action)
    if not allowed(ctx, action):
        raise PermissionDenied("permission_denied", role=ctx.actor.role, action=name)
    if needs_owner_password(ctx, action):
        if not has_owner_password(ctx):
            raise PermissionDenied("owner_password_unset")
        raise PermissionDenied("owner_password_required", action=name)


def password_owners(t: Ctx) -> list[Staff]:
    """The active owners who have set the owner's password (any one of them may confirm)."""
    return list(t.s.execute(select(Staff).where(Staff.role == "owner", Staff.active.is_(True),
                                                Staff.password_hash.is_not(None)).order_by(Staff.id)).scalars())


def has_owner_password(ctx: Ctx) -> bool:
    """Whether any active owner has set the owner's password."""
    with ctx.tx(write=False) as t:
        return bool(password_owners(t))
