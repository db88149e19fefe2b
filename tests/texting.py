"""Test helpers for the texts tests: queue a text like the services do, read the outbox back."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.models import Member, Message
from app.services.texts import outbox


def queue(ctx, member_id: int, *, kind: str = "ebill", category: str = "transactional", body: str | None = None,
          key: str | None = None, due_at: datetime | None = None) -> int | None:
    """Queue one text for a member through outbox.enqueue (consent checked); its id, or None."""
    with ctx.tx() as t:
        m = t.s.get(Member, member_id)
        n = t.s.execute(select(Message.id)).all()
        row = outbox.enqueue(t, m, kind=kind, category=category, body=body or f"{kind} {len(n) + 1} for {m.name}",
                             dedupe_key=key or f"{kind}:{member_id}:{len(n) + 1}", lang="zh_CN", due_at=due_at)
        return row.id if row else None


def row(ctx, msg_id: int) -> Message:
    with ctx.tx(write=False) as t:
        msg = t.s.get(Message, msg_id)
        t.s.expunge(msg)
        return msg


def member_row(ctx, member_id: int) -> Member:
    with ctx.tx(write=False) as t:
        m = t.s.get(Member, member_id)
        t.s.expunge(m)
        return m


def statuses(ctx) -> dict[str, int]:
    with ctx.tx(write=False) as t:
        out: dict[str, int] = {}
        for (s,) in t.s.execute(select(Message.status)).all():
            out[s] = out.get(s, 0) + 1
        return out
