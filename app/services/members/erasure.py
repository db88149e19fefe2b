"""Erasing a member: a customer who asks to be forgotten. The personal fields are cleared, and so
are the phone numbers, bodies and error texts (a gateway's error quotes the number) of the texts sent
to them or to their number, the replies they sent, the labels of carts held for them and the contact
notes about them; the
anonymous ledgers (sales, stored value, points, count cards) stay for the books, and so do the
cached balances that equal them. One transaction; owner only; audited (without the personal data).

Stored value still held is the shop's debt to that customer: the owner settles it first (cash-out),
so erasing a member who holds stored value or count-card uses is refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update

from app.errors import Conflict, NotFound, ValidationError
from app.models import (CallbackTask, ContactNote, CountCard, HeldCart, InboundMessage, Member, MemberDate,
                        MemberTag, Message)
from app.services.base import audit, permissions
from app.services.base.context import Ctx

ERASED_NAME = ""          # shown by the UI as "Erased member #id"


@dataclass(frozen=True)
class ErasureResult:
    member_id: int
    texts_cleared: int
    notes_cleared: int
    tasks_cancelled: int


def erase_member(ctx: Ctx, member_id: int, reason: str) -> ErasureResult:
    permissions.require(ctx, "erase_member")
    why = (reason or "").strip()
    if not why:
        raise ValidationError("reason_required")
    with ctx.tx() as t:
        m = t.s.get(Member, member_id)
        if m is None:
            raise NotFound("member_not_found", key=member_id)
        if m.erased_at is not None:
            raise Conflict("member_erased", key=member_id)
        if m.wallet_principal + m.wallet_bonus > 0:
            raise Conflict("erase_stored_value_left", key=member_id)
        uses = t.s.execute(select(CountCard.id).where(CountCard.member_id == member_id,
                                                      CountCard.uses_left > 0)).first()
        if uses is not None:
            raise Conflict("erase_count_card_left", key=member_id)
        now = t.now()
        # Their texts, and test texts typed to their number (no member id): the error text too.
        theirs = (or_(Message.member_id == member_id, Message.phone == m.phone) if m.phone
                  else Message.member_id == member_id)
        texts = t.s.execute(update(Message).where(theirs)
                            .values(phone="", body="", last_error=None, status=_cancel_unsent())
                            .execution_options(synchronize_session=False)).rowcount
        sent_by = (or_(InboundMessage.member_id == member_id, InboundMessage.from_phone == m.phone) if m.phone
                   else InboundMessage.member_id == member_id)
        t.s.execute(update(InboundMessage).where(sent_by).values(from_phone="", body="")
                    .execution_options(synchronize_session=False))
        t.s.execute(update(HeldCart).where(HeldCart.member_id == member_id).values(label="")
                    .execution_options(synchronize_session=False))
        notes = t.s.execute(update(ContactNote).where(ContactNote.member_id == member_id)
                            .values(body="", outcome="")
                            .execution_options(synchronize_session=False)).rowcount
        tasks = t.s.execute(update(CallbackTask).where(CallbackTask.member_id == member_id,
                                                       CallbackTask.status == "open")
                            .values(status="cancelled", reason="")
                            .execution_options(synchronize_session=False)).rowcount
        t.s.execute(delete(MemberTag).where(MemberTag.member_id == member_id))
        t.s.execute(delete(MemberDate).where(MemberDate.member_id == member_id))
        for field, value in dict(
                name=ERASED_NAME, name_key="", phone=None, phone_last4=None, phone_flag=None, card_no=None,
                gender=None, birthday_month=None, birthday_day=None, birth_year=None, birthday_calendar="solar",
                birthday_leap_month=False, notes="", consent_care=False, consent_care_at=None,
                consent_care_source=None, consent_marketing=False, consent_marketing_at=None,
                consent_marketing_source=None, opted_out_at=now, ebill_enabled=False, erased_at=now,
                updated_at=now).items():
            setattr(m, field, value)
        t.s.flush()
        # The audit row says that and why, never who the customer was.
        audit.record(t, "member.erase", "member", member_id, after={
            "texts_cleared": texts, "notes_cleared": notes, "tasks_cancelled": tasks}, reason=why)
        return ErasureResult(member_id, texts, notes, tasks)


def _cancel_unsent():
    """Texts not yet out are never sent now; the others keep their outcome (the books of the SMS bill)."""
    from sqlalchemy import case

    return case((Message.status.in_(("held", "queued", "failed", "unknown")), "cancelled"), else_=Message.status)
