"""Test helper: an outbox of a few hundred texts in every status, queued through the real outbox
service for real members, then moved on as a sender would have (straight in the table)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.models import Member, Message
from app.services.texts import outbox
from tests.shop import member

# status of the i-th text, in turn
PATTERN = ["delivered"] * 6 + ["sent"] * 2 + ["queued"] * 2 + ["failed", "unknown", "cancelled"]


def fill_outbox(ctx, count: int = 300, members: int = 12) -> dict[str, int]:
    """``count`` texts over ``members`` members, one every 1.6 hours up to an hour ago; returns the
    number of texts per status."""
    ids = [member(ctx, phone=f"1390000{i:04d}", name=f"会员{i}", consent_care=True).id for i in range(members)]
    start = ctx.now() - timedelta(hours=count * 1.6 + 1)
    per: dict[str, int] = {}
    with ctx.tx() as t:
        people = {m.id: m for m in t.s.execute(select(Member).where(Member.id.in_(ids))).scalars()}
        for i in range(count):
            m = people[ids[i % members]]
            when = start + timedelta(hours=i * 1.6)
            kind = ("ebill", "birthday", "winback")[i % 3]
            msg = outbox.enqueue(t, m, kind=kind, category="transactional" if kind == "ebill" else "care",
                                 body=f"【小雅茶社】{m.name}您好，第{i}条短信。回T退订", dedupe_key=f"test:{i}",
                                 lang="zh_CN", due_at=when, fresh=True)
            status = PATTERN[i % len(PATTERN)]
            per[status] = per.get(status, 0) + 1
            t.s.execute(update(Message).where(Message.id == msg.id).values(
                status=status, created_at=when, attempts=0 if status == "queued" else 1,
                sent_at=when if status in ("sent", "delivered") else None,
                provider_id=f"SM{msg.id:032d}" if status in ("sent", "delivered") else None,
                last_error="30003 Unreachable destination handset" if status == "failed" else None))
    return per
