"""Satisfaction scores that close the loop: a score of 1 or 2 opens a complaint at once, a contact
note of kind 'complaint' naming the sale and the staff member who served, and a call task for today
on the call list (source 'complaint', key ``complaint:score:<score id>``, so each score opens one).

The sender stores a 1-5 reply as a score only within its SCORE_WINDOW after a satisfaction text; any
other digit stays an ordinary reply. The poll calls ``after_score`` in the reply's own transaction
(``sender.poll(ctx, gateway, on_score=satisfaction.after_score)``); a care run opens any complaint a
poll without the hook left out (``open_missing_complaints``). A resolved complaint can be kept as a
typical case with ``knowledge.save_case``.
"""
from __future__ import annotations

from babel.dates import format_date
from sqlalchemy import select

from app import i18n
from app.models import CallbackTask, ContactNote, InboundMessage, Member, Message, Sale, SatisfactionScore, Staff
from app.services.base import audit
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.care.followup import sale_of

COMPLAINT_AT = 2          # a score of this or lower is a complaint
TASK_SOURCE = "complaint"


def complaint_key(score_id: int) -> str:
    return f"complaint:score:{score_id}"


def after_score(t: Ctx, score: SatisfactionScore) -> int | None:
    """Called in the transaction that stored ``score``: a low score opens its complaint. The task id, or None."""
    if score.score > COMPLAINT_AT:
        return None
    return _open(t, score)


def _open(t: Ctx, score: SatisfactionScore) -> int | None:
    key = complaint_key(score.id)
    if t.s.execute(select(CallbackTask.id).where(CallbackTask.dedupe_key == key)).first():
        return None
    member = t.s.get(Member, score.member_id)
    if member is None or member.erased_at is not None:
        return None
    shop = shop_settings.load(t)
    lang = shop.language
    msg = t.s.get(Message, score.message_id)
    sale = t.s.get(Sale, sale_of(msg.dedupe_key)) if msg is not None and sale_of(msg.dedupe_key) else None
    staff = t.s.get(Staff, sale.staff_id).name if sale is not None and sale.staff_id else "-"
    reply = t.s.get(InboundMessage, score.inbound_id)
    params = dict(name=member.name, score=score.score, staff=staff,
                  receipt=sale.receipt_no if sale is not None else "-",
                  date=format_date(sale.created_at.date(), "medium", locale=shop.format_locale) if sale is not None else "-",
                  reply=(reply.body.strip() if reply is not None else str(score.score))[:200])
    body = i18n.T_(lang, "Satisfaction score {score} of 5 after receipt {receipt} ({date}), served by {staff}. "
                         "Reply: {reply}", **params)
    note = ContactNote(member_id=member.id, staff_id=None, kind="complaint", body=body,
                       outcome=i18n.T_(lang, "score {score} of 5", score=score.score)[:64], created_at=t.now())
    t.s.add(note)
    t.s.flush()
    task = CallbackTask(member_id=member.id, due_on=t.today(), source=TASK_SOURCE, status="open", dedupe_key=key,
                        reason=i18n.T_(lang, "Complaint: {name} gave {score} of 5 for receipt {receipt} ({date}), "
                                             "served by {staff}: call back", **params),
                        created_at=t.now())
    t.s.add(task)
    t.s.flush()
    audit.record(t, "complaint.open", "contact_note", note.id,
                 after={"member": member.id, "score": score.score, "sale": sale.id if sale is not None else None,
                        "task": task.id})
    return task.id


def open_missing_complaints(ctx: Ctx) -> int:
    """Open the complaint of every low score that has none yet (scores stored by a poll without the
    hook, or before this existed). Idempotent: each score's task key is looked up first."""
    with ctx.tx(write=False) as t:
        low = t.s.execute(select(SatisfactionScore.id).where(SatisfactionScore.score <= COMPLAINT_AT)
                          .order_by(SatisfactionScore.id)).scalars().all()
        if not low:
            return 0
        have = set(t.s.execute(select(CallbackTask.dedupe_key).where(CallbackTask.source == TASK_SOURCE)).scalars())
    todo = [i for i in low if complaint_key(i) not in have]
    opened = 0
    for score_id in todo:
        with ctx.tx() as t:
            opened += _open(t, t.s.get(SatisfactionScore, score_id)) is not None
    return opened
