"""The call-back list and service records: tasks by due date, completing one with a note that makes
the next task, complaints open until resolved (and at the till), audit rows, and the member page."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, PermissionDenied, ValidationError
from app.models import AuditLog, CallbackTask, ContactNote, Message
from app.services.care import callbacks
from app.services.reports import member_history, sales
from app.services.base.context import Actor
from tests.shop import member

TODAY = date(2026, 3, 2)


def count(db, model, *where):
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_open_tasks_by_due_date_from_rules_and_by_hand(ctx):
    a = member(ctx, "13800000001", "Ann").id
    b = member(ctx, "13800000002", "Bo").id
    with ctx.tx() as t:   # one the care engine wrote yesterday (overdue now)
        t.s.add(CallbackTask(member_id=b, due_on=date(2026, 3, 1), reason="Gold care call", source="tier_care",
                             dedupe_key="tier_care:x", status="open", created_at=datetime(2026, 3, 1, 8)))
    later = callbacks.add_task(ctx, a, date(2026, 3, 9), "Ask about the tea set")
    soon = callbacks.add_task(ctx, a, TODAY, "Call back about the order")
    tasks = callbacks.open_tasks(ctx)
    assert [x.reason for x in tasks] == ["Gold care call", "Call back about the order", "Ask about the tea set"]
    assert [x.source for x in tasks] == ["tier_care", "manual", "manual"]
    assert [x.id for x in callbacks.open_tasks(ctx, until=TODAY)] == [tasks[0].id, soon.id]
    assert [x.id for x in callbacks.open_tasks(ctx, source="tier_care")] == [tasks[0].id]
    assert later.masked_phone != "13800000001" and later.member_name == "Ann"


def test_bad_tasks_are_refused(ctx):
    a = member(ctx).id
    with pytest.raises(ValidationError) as e:
        callbacks.add_task(ctx, a, date(2026, 3, 1), "late")
    assert e.value.code == "task_due_invalid"
    with pytest.raises(ValidationError) as e:
        callbacks.add_task(ctx, a, TODAY, "  ")
    assert e.value.code == "task_reason_invalid"
    assert count(ctx.db, CallbackTask) == 0


def test_complete_with_a_note_makes_the_next_task(ctx):
    a = member(ctx, "13800000001", "Ann").id
    task = callbacks.add_task(ctx, a, TODAY, "Care call")
    done = callbacks.complete_task(ctx, task.id, kind="call", body="Likes the new oolong; wants the spring Longjing",
                                   outcome="interested", next_contact_on=date(2026, 4, 1))
    assert done.task.status == "done" and done.task.note_id == done.note.id and done.task.done_at is not None
    assert (done.note.kind, done.note.outcome, done.note.next_contact_on) == ("call", "interested", date(2026, 4, 1))
    nxt = done.next_task
    assert nxt is not None and nxt.due_on == date(2026, 4, 1) and nxt.source == "follow_up"
    assert nxt.reason.startswith("跟进：Likes the new oolong")        # the shop's language (zh_CN)
    assert [x.id for x in callbacks.open_tasks(ctx)] == [nxt.id]
    with pytest.raises(Conflict) as e:                                   # a task is ticked off once
        callbacks.complete_task(ctx, task.id, kind="call", body="again")
    assert e.value.code == "task_not_open"
    assert count(ctx.db, AuditLog, AuditLog.action == "task.complete") == 1


def test_complete_without_next_date_makes_no_task_and_bad_notes_change_nothing(ctx):
    a = member(ctx).id
    task = callbacks.add_task(ctx, a, TODAY, "Care call")
    for kw, code in ((dict(kind="fax", body="x"), "note_kind_invalid"),
                     (dict(kind="call", body=""), "note_body_invalid"),
                     (dict(kind="call", body="x", outcome="o" * 65), "note_outcome_too_long"),
                     (dict(kind="call", body="x", next_contact_on=TODAY), "next_contact_past")):
        with pytest.raises(ValidationError) as e:
            callbacks.complete_task(ctx, task.id, **kw)
        assert e.value.code == code
    assert count(ctx.db, ContactNote) == 0 and callbacks.open_tasks(ctx)[0].status == "open"
    done = callbacks.complete_task(ctx, task.id, kind="visit", body="Came in, all well")
    assert done.next_task is None and callbacks.open_tasks(ctx) == []


def test_a_text_note_can_be_sent_as_a_care_text(ctx):
    a = member(ctx, consent_care=True).id
    note = callbacks.add_note(ctx, a, kind="text", body="Your Longjing has arrived.", send_text=True)
    with ctx.db.session(write=False) as s:
        msg = s.execute(select(Message).where(Message.dedupe_key == f"note:{note.id}")).scalar_one()
    assert msg.category == "care" and "Your Longjing has arrived." in msg.body and "回T退订" in msg.body


def test_complaint_stays_open_until_resolved_and_shows_at_the_till(ctx):
    a = member(ctx, "13800000001", "Ann").id
    assert sales.member_card(ctx, a).open_complaints == 0
    c = callbacks.add_note(ctx, a, kind="complaint", body="The tea cake was damp", outcome="apologised")
    assert c.open_complaint
    assert sales.member_card(ctx, a).open_complaints == 1
    assert [x.id for x in callbacks.open_complaints(ctx)] == [c.id]
    with pytest.raises(PermissionDenied):                                # a cashier may not close it
        callbacks.resolve_complaint(ctx.as_actor(Actor(None, "c", "cashier")), c.id, "replaced")
    with pytest.raises(ValidationError):
        callbacks.resolve_complaint(ctx, c.id, " ")
    done = callbacks.resolve_complaint(ctx, c.id, "Replaced the cake and gave a ¥20 voucher")
    assert done.resolved_at is not None and not done.open_complaint
    assert sales.member_card(ctx, a).open_complaints == 0 and callbacks.open_complaints(ctx) == []
    with pytest.raises(Conflict):
        callbacks.resolve_complaint(ctx, c.id, "again")
    assert count(ctx.db, AuditLog, AuditLog.action == "complaint.resolve") == 1


def test_cancel_is_audited_with_its_reason(ctx):
    a = member(ctx).id
    task = callbacks.add_task(ctx, a, TODAY, "Care call")
    callbacks.cancel_task(ctx, task.id, "moved away")
    with ctx.db.session(write=False) as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "task.cancel")).scalar_one()
    assert row.reason == "moved away" and callbacks.open_tasks(ctx) == []


def test_member_page_lists_texts_notes_and_tasks(ctx):
    a = member(ctx, consent_care=True).id
    callbacks.add_note(ctx, a, kind="text", body="Your order is in", send_text=True)
    callbacks.add_note(ctx, a, kind="complaint", body="Late delivery")
    task = callbacks.add_task(ctx, a, date(2026, 3, 5), "Check the delivery")
    page = member_history.member_page(ctx, a)
    assert {x.kind for x in page.contacts} == {"text", "complaint"}
    assert [x.id for x in page.tasks] == [task.id]
    assert any("Your order is in" in m.body for m in page.messages)
