"""Customers' replies the shop should read (Messages › Replies): every reply nothing understood
(not STOP/START, not a score, not a balance query: ``inbound_messages.action = 'none'``), with the
member it came from, until someone marks it read. The sender stores them (sender._poll_inbound)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.errors import ValidationError
from app.models import InboundMessage, Member
from app.services.base import phones
from app.services.base.context import Ctx

PAGE_MAX = 500


@dataclass(frozen=True)
class Reply:
    id: int
    received_at: datetime
    member_id: int | None
    member_name: str | None     # None: the number is no member's
    masked_phone: str
    body: str
    read_at: datetime | None


def _mask(phone: str) -> str:
    try:
        return phones.mask(phone)
    except Exception:   # a number that does not parse: its end only
        return ("*" * 4 + phone[-4:]) if phone else ""


def list_replies(ctx: Ctx, *, unread_only: bool = False, limit: int = 200) -> list[Reply]:
    """Replies not understood, newest first (unread ones only, if asked)."""
    im = InboundMessage
    q = (select(im.id, im.received_at, im.member_id, Member.name, im.from_phone, im.body, im.read_at)
         .outerjoin(Member, Member.id == im.member_id).where(im.action == "none"))
    if unread_only:
        q = q.where(im.read_at.is_(None))
    q = q.order_by(im.received_at.desc(), im.id.desc()).limit(max(1, min(int(limit), PAGE_MAX)))
    with ctx.tx(write=False) as t:
        rows = t.s.execute(q).all()
    return [Reply(r[0], r[1], r[2], None if r[2] is None else r[3], _mask(r[4]), r[5], r[6]) for r in rows]


def unread_count(ctx: Ctx) -> int:
    with ctx.tx(write=False) as t:
        return int(t.s.execute(select(func.count()).select_from(InboundMessage).where(
            InboundMessage.action == "none", InboundMessage.read_at.is_(None))).scalar())


def mark_read(ctx: Ctx, ids, *, read: bool = True) -> int:
    """Mark replies read (or unread again); how many changed."""
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise ValidationError("message_ids_invalid", ids=", ".join(map(str, ids))) from None
    if not wanted:
        return 0
    with ctx.tx() as t:
        im = InboundMessage
        q = update(im).where(im.id.in_(wanted), im.action == "none")
        q = q.where(im.read_at.is_(None)).values(read_at=t.now()) if read else \
            q.where(im.read_at.is_not(None)).values(read_at=None)
        return t.s.execute(q).rowcount
