"""The outbox for the owner: list texts (keyset pages, newest first), count them by status, and
send again, cancel or settle the ones that need a decision.

Every change is one conditional UPDATE (``... WHERE id = :id AND status IN (...)``), so it cannot
overrule a sender that claimed the row a moment earlier; it is then audited. A row left ``unknown``
by a crash may or may not have reached the phone: sending it again is the owner's explicit choice,
or they check with the customer and mark it sent or not sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update

from app import i18n
from app.errors import Conflict, NotFound, ValidationError
from app.i18n import NC_
from app.models import Member, Message
from app.services.base import audit, permissions, phones
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings

STATUSES = ("held", "queued", "sending", "sent", "delivered", "failed", "unknown", "cancelled")
# A text's status as a sentence names it (the English is the status itself).
STATUS_NAMES = {"held": NC_("message_status:held", "held"), "queued": NC_("message_status:queued", "queued"),
                "sending": NC_("message_status:sending", "sending"), "sent": NC_("message_status:sent", "sent"),
                "delivered": NC_("message_status:delivered", "delivered"),
                "failed": NC_("message_status:failed", "failed"), "unknown": NC_("message_status:unknown", "unknown"),
                "cancelled": NC_("message_status:cancelled", "cancelled")}
RETRYABLE = ("failed", "unknown")
CANCELLABLE = ("held", "queued", "failed", "unknown")
PAGE_MAX = 500


@dataclass(frozen=True)
class MessageRow:
    id: int
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    member_id: int | None
    member_name: str | None
    phone: str
    masked_phone: str
    kind: str
    category: str
    lang: str
    body: str
    segments: int
    status: str
    attempts: int
    provider_id: str | None
    last_error: str | None
    error_code: str | None     # the gateway's code, once the sending side records it


_T = Message.__table__
_ERROR_CODE = _T.c.get("error_code")   # added by a later migration; None until then
_COLUMNS = [_T.c.id, _T.c.created_at, _T.c.due_at, _T.c.sent_at, _T.c.member_id, Member.name, _T.c.phone,
            _T.c.kind, _T.c.category, _T.c.lang, _T.c.body, _T.c.segments, _T.c.status, _T.c.attempts,
            _T.c.provider_id, _T.c.last_error]
if _ERROR_CODE is not None:
    _COLUMNS.append(_ERROR_CODE)


def _row(r) -> MessageRow:
    return MessageRow(id=r[0], created_at=r[1], due_at=r[2], sent_at=r[3], member_id=r[4], member_name=r[5],
                      phone=r[6], masked_phone=_mask(r[6]), kind=r[7], category=r[8], lang=r[9], body=r[10],
                      segments=r[11], status=r[12], attempts=r[13], provider_id=r[14], last_error=r[15],
                      error_code=r[16] if len(r) > 16 else None)


def _mask(phone: str | None) -> str:
    try:
        return phones.mask(phone)
    except Exception:  # a number the gateway flagged may not parse; show it as stored, with its end only
        return ("*" * 4 + phone[-4:]) if phone else ""


def _select():
    return select(*_COLUMNS).select_from(_T.outerjoin(Member.__table__, Member.id == _T.c.member_id))


def _phone_filter(ctx: Ctx, phone: str):
    """A full number matches exactly (in the shop's region); 3 to 6 digits match the end of the number."""
    text = phone.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if 3 <= len(digits) <= 6 and len(digits) == len(text):
        return _T.c.phone.like(f"%{digits}")
    return _T.c.phone == phones.normalize(text, load_settings(ctx).region)


def list_messages(ctx: Ctx, *, status: str | None = None, kind: str | None = None, member_id: int | None = None,
                  phone: str | None = None, date_from: date | None = None, date_to: date | None = None,
                  before_id: int | None = None, limit: int = 200) -> list[MessageRow]:
    """Texts newest first, filtered; the next page continues with ``before_id`` = the last row's id."""
    if status is not None and status not in STATUSES:
        raise ValidationError("message_status_unknown", status=status)
    if date_from and date_to and date_from > date_to:
        raise ValidationError("message_dates_reversed", date_from=date_from, date_to=date_to)
    q = _select()
    if status:
        q = q.where(_T.c.status == status)
    if kind:
        q = q.where(_T.c.kind == kind)
    if member_id is not None:
        q = q.where(_T.c.member_id == member_id)
    if phone and phone.strip():
        q = q.where(_phone_filter(ctx, phone))
    if date_from:
        q = q.where(_T.c.created_at >= datetime.combine(date_from, time()))
    if date_to:
        q = q.where(_T.c.created_at < datetime.combine(date_to + timedelta(days=1), time()))
    if before_id is not None:
        q = q.where(_T.c.id < before_id)
    q = q.order_by(_T.c.id.desc()).limit(max(1, min(int(limit), PAGE_MAX)))
    with ctx.tx(write=False) as t:
        return [_row(r) for r in t.s.execute(q).all()]


def get_message(ctx: Ctx, message_id: int) -> MessageRow:
    with ctx.tx(write=False) as t:
        r = t.s.execute(_select().where(_T.c.id == message_id)).first()
    if r is None:
        raise NotFound("message_not_found", id=message_id)
    return _row(r)


def status_counts(ctx: Ctx) -> dict[str, int]:
    """status -> number of texts, every status present."""
    with ctx.tx(write=False) as t:
        found = dict(t.s.execute(select(_T.c.status, func.count()).group_by(_T.c.status)).all())
    return {s: found.get(s, 0) for s in STATUSES}


def kinds(ctx: Ctx) -> list[str]:
    """The kinds of text in the outbox (for a filter list)."""
    with ctx.tx(write=False) as t:
        return sorted(t.s.execute(select(_T.c.kind).distinct()).scalars())


def _change(ctx: Ctx, message_id: int, allowed: tuple[str, ...], code: str, action: str,
            values: dict, reason: str | None = None) -> MessageRow:
    permissions.require(ctx, "manage_outbox")
    with ctx.tx() as t:
        before = t.s.execute(select(_T.c.status, _T.c.due_at, _T.c.attempts, _T.c.sent_at)
                             .where(_T.c.id == message_id)).first()
        if before is None:
            raise NotFound("message_not_found", id=message_id)
        done = t.s.execute(update(_T).where(_T.c.id == message_id, _T.c.status.in_(allowed))
                           .values(**values)).rowcount
        if done != 1:  # the status is not one this applies to (or a sender just claimed it)
            status = t.s.execute(select(_T.c.status).where(_T.c.id == message_id)).scalar()
            raise Conflict(code, id=message_id, status=i18n.Lazy(STATUS_NAMES.get(status, status),
                                                               "message_status:" + status))
        audit.record(t, action, "message", message_id, before={"status": before.status, "attempts": before.attempts},
                     after=values, reason=reason)
    return get_message(ctx, message_id)


def retry(ctx: Ctx, message_id: int) -> MessageRow:
    """A failed or unknown text goes back in the queue, due now, with a fresh count of attempts
    (manager or owner). For an unknown one this may send it twice: the owner's explicit choice."""
    return _change(ctx, message_id, RETRYABLE, "message_not_retryable", "message.retry",
                   {"status": "queued", "due_at": ctx.now(), "attempts": 0})


def approve(ctx: Ctx, message_id: int) -> MessageRow:
    """A held care text may go: it joins the queue (due when it was, or now), manager or owner."""
    with ctx.tx(write=False) as t:
        due = t.s.execute(select(_T.c.due_at).where(_T.c.id == message_id)).scalar()
    now = ctx.now()
    return _change(ctx, message_id, ("held",), "message_not_held", "message.approve",
                   {"status": "queued", "due_at": max(due, now) if due else now})


def cancel(ctx: Ctx, message_id: int) -> MessageRow:
    """A held, queued, failed or unknown text will not be sent (manager or owner)."""
    return _change(ctx, message_id, CANCELLABLE, "message_not_cancellable", "message.cancel",
                   {"status": "cancelled"})


def resolve_unknown(ctx: Ctx, message_id: int, was_sent: bool) -> MessageRow:
    """Settle an unknown text after checking with the customer: sent, or failed (manager or owner)."""
    # The time it was really sent is not known: when it was settled stands in for it.
    values = {"status": "sent", "sent_at": ctx.now()} if was_sent else \
        {"status": "failed", "last_error": "marked as not sent by staff"}
    return _change(ctx, message_id, ("unknown",), "message_not_unknown", "message.resolve", values,
                   reason="sent" if was_sent else "not sent")
