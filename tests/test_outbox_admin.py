"""Outbox administration on a real SQLite file: keyset pages with filters, counts, and retry,
cancel and resolve, each conditional, audited and refused to a cashier."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.errors import Conflict, NotFound, PermissionDenied, ValidationError, render
from app.models import AuditLog, Message
from app.services.texts import outbox_admin
from tests.outbox_data import fill_outbox


@pytest.fixture
def outbox(ctx):
    return fill_outbox(ctx, count=300)


def first_with(ctx, status):
    return outbox_admin.list_messages(ctx, status=status, limit=1)[0]


def test_pages_walk_every_text_once_newest_first(ctx, outbox):
    seen, before = [], None
    while True:
        page = outbox_admin.list_messages(ctx, before_id=before, limit=70)
        if not page:
            break
        seen += [r.id for r in page]
        before = page[-1].id
    assert len(seen) == 300 and seen == sorted(seen, reverse=True)
    row = outbox_admin.list_messages(ctx, limit=1)[0]
    assert row.member_name.startswith("会员") and row.masked_phone.startswith("139****")


def test_filters_combine(ctx, outbox):
    counts = outbox_admin.status_counts(ctx)
    assert counts == {s: outbox.get(s, 0) for s in outbox_admin.STATUSES} and counts["sending"] == 0
    failed = outbox_admin.list_messages(ctx, status="failed", limit=500)
    assert len(failed) == counts["failed"] and {r.status for r in failed} == {"failed"}
    assert failed[0].last_error.startswith("30003")
    birthdays = outbox_admin.list_messages(ctx, kind="birthday", status="delivered", limit=500)
    assert birthdays and {(r.kind, r.status) for r in birthdays} == {("birthday", "delivered")}
    one = outbox_admin.list_messages(ctx, phone="139 0000 0003", limit=500)
    assert len(one) == 25 and {r.phone for r in one} == {"+8613900000003"}
    assert [r.id for r in outbox_admin.list_messages(ctx, phone="0003", limit=500)] == [r.id for r in one]
    assert [r.id for r in outbox_admin.list_messages(ctx, member_id=one[0].member_id, limit=500)] == [r.id for r in one]
    day = ctx.today() - timedelta(days=3)
    rows = outbox_admin.list_messages(ctx, date_from=day, date_to=day, limit=500)
    assert rows and {r.created_at.date() for r in rows} == {day}
    assert outbox_admin.list_messages(ctx, kind="campaign") == []


def test_bad_filters_are_refused(ctx, outbox):
    with pytest.raises(ValidationError) as err:
        outbox_admin.list_messages(ctx, status="lost")
    assert render(err.value, "zh_CN") == "“lost”不是短信状态"
    with pytest.raises(ValidationError):
        outbox_admin.list_messages(ctx, date_from=ctx.today(), date_to=ctx.today() - timedelta(days=1))
    with pytest.raises(ValidationError):
        outbox_admin.list_messages(ctx, phone="12ab")


def test_retry_cancel_and_resolve(ctx, outbox):
    failed, unknown, queued = first_with(ctx, "failed"), first_with(ctx, "unknown"), first_with(ctx, "queued")
    again = outbox_admin.retry(ctx, failed.id)
    assert (again.status, again.attempts, again.due_at) == ("queued", 0, ctx.now())
    gone = outbox_admin.cancel(ctx, queued.id)
    assert gone.status == "cancelled"
    settled = outbox_admin.resolve_unknown(ctx, unknown.id, was_sent=True)
    assert settled.status == "sent" and settled.sent_at == ctx.now()
    other = outbox_admin.list_messages(ctx, status="unknown", limit=2)[0]
    assert outbox_admin.resolve_unknown(ctx, other.id, was_sent=False).status == "failed"
    with ctx.tx(write=False) as t:
        audit = t.s.execute(select(AuditLog.action, AuditLog.entity_id).where(AuditLog.entity == "message")).all()
    assert audit == [("message.retry", str(failed.id)), ("message.cancel", str(queued.id)),
                     ("message.resolve", str(unknown.id)), ("message.resolve", str(other.id))]


def test_a_change_that_does_not_apply_is_refused_and_changes_nothing(ctx, outbox):
    sent = first_with(ctx, "delivered")
    with pytest.raises(Conflict) as err:
        outbox_admin.retry(ctx, sent.id)
    assert "已送达" in render(err.value, "zh_CN")
    for call in (lambda: outbox_admin.cancel(ctx, sent.id), lambda: outbox_admin.resolve_unknown(ctx, sent.id, True)):
        with pytest.raises(Conflict):
            call()
    with pytest.raises(NotFound):
        outbox_admin.cancel(ctx, 999_999)
    # a row a sender has just claimed is not overruled
    queued = first_with(ctx, "queued")
    with ctx.tx() as t:
        t.s.get(Message, queued.id).status = "sending"
    with pytest.raises(Conflict):
        outbox_admin.cancel(ctx, queued.id)
    assert outbox_admin.get_message(ctx, queued.id).status == "sending"
    assert outbox_admin.get_message(ctx, sent.id).status == "delivered"


def test_a_cashier_may_look_but_not_change(cashier_ctx, ctx, outbox):
    assert len(outbox_admin.list_messages(cashier_ctx, limit=10)) == 10
    failed, unknown = first_with(ctx, "failed"), first_with(ctx, "unknown")
    for call in (lambda: outbox_admin.retry(cashier_ctx, failed.id),
                 lambda: outbox_admin.cancel(cashier_ctx, failed.id),
                 lambda: outbox_admin.resolve_unknown(cashier_ctx, unknown.id, False)):
        with pytest.raises(PermissionDenied) as err:
            call()
        assert "重发或取消短信" in render(err.value, "zh_CN")
    assert outbox_admin.get_message(ctx, failed.id).status == "failed"
    assert outbox_admin.get_message(ctx, unknown.id).status == "unknown"
