"""Finding the sale a customer brings back without typing its whole receipt number: the last digits
on the slip ("128" finds T1-000128), or the till's recent sales to pick from. Read-only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.errors import ValidationError
from app.i18n import L_
from app.models import Member, Sale
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.reports.sales import SaleSummary, _status

MAX_TEXT = 32          # longer than any receipt number
RECENT_DAYS = 30       # what "recent" means when nothing is typed
LIMIT = 50


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_sales(ctx: Ctx, text: str = "", *, till: str | None = None, limit: int = LIMIT) -> list[SaleSummary]:
    """Sales (never refunds) whose receipt number is ``text`` or ends with it, newest first; with no
    ``text``, the sales of the last RECENT_DAYS days (of ``till`` when given). A whole number typed in
    any case finds its sale first."""
    typed = "".join((text or "").split()).upper()
    if len(typed) > MAX_TEXT:
        raise ValidationError("text_too_long", field=L_("receipt number"), max=MAX_TEXT)
    refunded = (select(Sale.original_sale_id.label("sid"), (-func.sum(Sale.total)).label("back"))
                .where(Sale.original_sale_id.is_not(None)).group_by(Sale.original_sale_id).subquery())
    q = (select(Sale.id, Sale.receipt_no, Sale.created_at, Sale.kind, Sale.member_id, Member.name, Member.phone,
                Sale.total, func.coalesce(refunded.c.back, 0))
         .outerjoin(Member, Member.id == Sale.member_id)
         .outerjoin(refunded, refunded.c.sid == Sale.id)
         .where(Sale.kind == "sale"))
    if typed:
        q = q.where(func.upper(Sale.receipt_no).like("%" + _escape_like(typed), escape="\\"))
    else:
        q = q.where(Sale.created_at >= ctx.now() - timedelta(days=RECENT_DAYS))
    if till:
        q = q.where(Sale.till == till)
    q = q.order_by((func.upper(Sale.receipt_no) == typed).desc(), Sale.created_at.desc(), Sale.id.desc())
    with ctx.tx(write=False) as t:
        rows = t.s.execute(q.limit(max(1, min(int(limit), 200)))).all()
    return [SaleSummary(sid, no, at, kind, mid, name or "", phones.mask(phone) if phone else "", total, int(back),
                        _status(kind, total, int(back)))
            for sid, no, at, kind, mid, name, phone, total, back in rows]
