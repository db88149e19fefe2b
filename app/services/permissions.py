"""Who may do what. Enforced here, in the services, not just by hiding buttons."""
from __future__ import annotations

from app.errors import PermissionDenied
from app.services.context import Ctx

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
}

ACTION_NAMES = {
    "refund": ("refund a sale", "退款"), "refund_topup": ("refund a top-up", "退充值"),
    "cashout": ("cash out stored value", "储值退现"), "adjust_balance": ("adjust balances", "调整余额"),
    "override_price": ("change prices", "改价"), "import": ("import data", "导入数据"),
    "export": ("export member data", "导出会员数据"),
    "erase_member": ("erase a member's personal data", "删除会员个人信息"), "change_settings": ("change settings", "修改设置"),
    "manage_staff": ("manage staff", "管理员工"), "manage_products": ("manage products", "管理商品"),
    "issue_voucher": ("issue vouchers", "发放优惠券"), "expire_points": ("expire points", "执行积分过期"),
    "sell": ("sell", "收银"), "topup": ("top up", "充值"), "edit_member": ("edit members", "编辑会员"),
    # texts: outbox administration
    "manage_outbox": ("resend or cancel texts", "重发或取消短信"),
    # texts: gateways and sending
    "change_texting": ("change text settings", "修改短信设置"),
    # care: campaigns, call-backs and the knowledge base
    "send_campaign": ("send campaigns", "发送营销活动"),
    "resolve_complaint": ("resolve complaints", "处理投诉"),
    "edit_knowledge": ("edit the knowledge base", "编辑知识库"),
}


def allowed(ctx: Ctx, action: str) -> bool:
    return ctx.actor.role in RULES[action]


def require(ctx: Ctx, action: str) -> None:
    if not allowed(ctx, action):
        en, zh = ACTION_NAMES.get(action, (action, action))
        raise PermissionDenied("permission_denied", role=ctx.actor.role, action=en, action_zh=zh)
