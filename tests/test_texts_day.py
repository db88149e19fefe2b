"""End to end: a day of demo sales (app.services.admin.demo, through the real checkout and wallet services)
sent through the real twilio client to the fake gateway by a sender run every five minutes. Every e-bill
goes once, those queued in the quiet hours wait for their end, and every refusal is recorded."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.models import Member, Message
from app.services.admin import demo
from app.services.texts import sender
from tests.fake_twilio import fake_twilio, gateway, twilio_cfg  # noqa: F401

DAY = datetime(2026, 3, 1)          # the demo's day: the day before the ctx clock's (2026-03-02)
QUIET_END = datetime.combine(DAY.date(), time(9, 0))
LAST_RUN = datetime.combine(DAY.date(), time(20, 55))   # the sender's last run before the quiet hours
REFUSALS = {21211: "invalid", 21614: "not_mobile", 21610: "opted_out"}


@pytest.mark.slow
def test_a_day_of_demo_sales_sends_every_ebill_once(ctx, clock, fake_twilio, gateway, capsys):
    demo.build_demo(ctx, members=150, days=1, seed=7)
    with ctx.tx(write=False) as t:
        bills = t.s.execute(select(Message.id, Message.phone, Message.member_id, Message.created_at)
                            .where(Message.kind == "ebill").order_by(Message.id)).all()
    assert bills and all(b.created_at.date() == DAY.date() for b in bills)
    # The shop opens at 08:00, quiet until 09:00: a run at 08:xx defers what it finds to 09:00 (a bill
    # queued after the 08:55 run is simply sent by the 09:00 one). A sale after the 20:55 run meets the
    # 21:00 run: quiet again, deferred to 09:00 the next day.
    early = {b.id for b in bills if b.created_at < QUIET_END}
    deferred = {b.id for b in bills if b.created_at <= QUIET_END - timedelta(minutes=5)}
    evening = {b.id for b in bills if b.created_at > LAST_RUN}
    late = [b for b in bills if QUIET_END <= b.created_at <= LAST_RUN]
    refused = {}                                                     # code -> member id
    for code, b in zip(REFUSALS, [late[3], late[len(late) // 2], late[-4]]):
        fake_twilio.script(b.phone, *[("reject", code)] * 3)
        refused[code] = b.member_id

    totals = Counter()
    clock.set(datetime.combine(DAY.date(), time(8, 0)))
    while clock.now() <= QUIET_END + timedelta(days=1):
        report = sender.send_due(ctx, gateway, limit=1000)
        for field in ("sent", "failed", "deferred", "retried", "unknown", "cancelled"):
            totals[field] += getattr(report, field)
        if clock.now().minute == 0:
            totals["delivered"] += sender.poll(ctx, gateway).delivered
        clock.set(clock.now() + timedelta(minutes=5))
    totals["delivered"] += sender.poll(ctx, gateway).delivered

    with ctx.tx(write=False) as t:
        rows = {m.id: m for m in t.s.execute(select(Message).where(Message.kind == "ebill")).scalars()}
        members = {m.id: m for m in t.s.execute(select(Member).where(Member.id.in_(refused.values()))).scalars()}
    by_status = Counter(m.status for m in rows.values())
    with capsys.disabled():
        print(f"\ndemo day: {len(bills)} e-bills, {len(early)} + {len(evening)} queued in quiet hours ({len(deferred) + len(evening)} deferred); sender totals {dict(totals)}; "
              f"statuses {dict(by_status)}; accepted by the gateway {fake_twilio.accepted()}")

    # nothing twice; every e-bill that was not refused went exactly once
    assert max(fake_twilio.sends.values()) == 1
    refused_ids = {m.id for m in rows.values() if m.status in ("failed", "cancelled")}
    for m in rows.values():
        if m.id not in refused_ids:
            assert m.status == "delivered" and fake_twilio.sends[(m.phone, m.body)] == 1
    assert fake_twilio.accepted() == len(rows) - len(refused_ids)
    # the quiet hours deferred the early ones to 09:00, never dropped them; the rest went within 5 minutes
    assert totals["deferred"] == len(deferred) + len(evening) and deferred
    for msg_id in early - refused_ids:
        assert rows[msg_id].sent_at == QUIET_END
    for msg_id in evening - refused_ids:
        assert rows[msg_id].sent_at == QUIET_END + timedelta(days=1)
    for m in rows.values():
        if m.id not in early | evening and m.sent_at is not None:
            assert timedelta(0) <= m.sent_at - m.created_at < timedelta(minutes=5)
    # every refusal is recorded on the text and on the member
    failed = {m.error_code for m in rows.values() if m.status == "failed"}
    assert failed == {str(c) for c in REFUSALS}
    assert members[refused[21211]].phone_flag == "invalid"
    assert members[refused[21614]].phone_flag == "not_mobile"
    assert members[refused[21610]].opted_out_at is not None
    for m in rows.values():
        if m.status == "cancelled":   # a later e-bill to a flagged phone is not tried again
            assert m.member_id in (refused[21211], refused[21614]) and "flagged" in m.last_error
    assert totals["retried"] == totals["unknown"] == 0
