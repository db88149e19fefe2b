"""Queueing texts in the outbox, inside the transaction of the event that causes them.

Consent rules: transactional texts (e-bills) go unless the member turned them off; care and
marketing texts only with recorded consent and never after opt-out. The unique ``dedupe_key``
makes a second queueing of the same event a no-op.
"""
from __future__ import annotations

import json
from datetime import datetime

from types import SimpleNamespace

from sqlalchemy import insert, select

from app.models import Member, Message
from app.services.texts import bodies
from app.services.base.context import Ctx
from app.services.base.prepared import Prepared


def may_receive(m: Member, category: str) -> bool:
    if not m.phone or m.erased_at is not None or m.phone_flag in ("invalid", "not_mobile"):
        return False
    if category == "transactional":
        return m.ebill_enabled
    if m.opted_out_at is not None:
        return False
    return m.consent_care if category == "care" else m.consent_marketing


def enqueue(t: Ctx, m: Member, *, kind: str, category: str, body: str, dedupe_key: str, lang: str,
            due_at: datetime | None = None, fresh: bool = False, held: bool = False) -> SimpleNamespace | None:
    """Queue one text for ``m`` if consent allows and the event has not queued one already.
    ``fresh``: the caller's event was created in this transaction, so its key cannot exist yet.
    ``held``: it waits for the owner's approval (outbox_admin.approve) before the sender sees it."""
    if not may_receive(m, category):
        return None
    if not fresh and t.s.execute(select(Message.id).where(Message.dedupe_key == dedupe_key)).first():
        return None
    now = t.now()
    made_of = bodies.template_of(body)   # the template kind and values, when composed from one
    values = dict(dedupe_key=dedupe_key, member_id=m.id, phone=m.phone, kind=kind, category=category, lang=lang,
                  body=str(body), template=json.dumps(made_of, ensure_ascii=False) if made_of else None, segments=bodies.segments(body)[0], status="held" if held else "queued", created_at=now, due_at=due_at or now,
                  attempts=0, provider_id=None, last_error=None, sent_at=None)
    s = t.s
    if s.identity_map or s.new or s.deleted:
        s.flush()  # the member and the event it refers to are written first
    msg_id = _INSERT.row(s.connection(), values)[0]
    return SimpleNamespace(id=msg_id, **values)


_INSERT = Prepared(insert(Message.__table__).returning(Message.__table__.c.id),
                   ("dedupe_key", "member_id", "phone", "kind", "category", "lang", "body", "template", "segments",
                    "status", "created_at", "due_at", "attempts", "provider_id", "last_error", "sent_at"))
_INSERT_MANY = insert(Message.__table__)


def enqueue_many(t: Ctx, items: list[tuple[object, str, str]], *, kind: str, category: str, lang: str,
                 held: bool = False) -> list[tuple[int, int]]:
    """Queue many fresh texts at once: ``items`` are (member, body, dedupe_key), each member already
    found able to receive ``category`` (``may_receive``) and each key new to this transaction's cause
    (a key already queued refuses the whole call: the unique index, nothing doubles). One statement
    for the lot; (message id, segments) in the order given. A member may be a plain row with the
    columns ``may_receive`` reads."""
    if not items:
        return []
    now = t.now()
    rows = []
    for m, body, key in items:
        made_of = bodies.template_of(body)
        rows.append(dict(dedupe_key=key, member_id=m.id, phone=m.phone, kind=kind, category=category, lang=lang,
                         body=str(body), template=json.dumps(made_of, ensure_ascii=False) if made_of else None,
                         segments=bodies.segments(body)[0], status="held" if held else "queued", created_at=now,
                         due_at=now, attempts=0, provider_id=None, last_error=None, sent_at=None))
    # A plain executemany, then the ids by key: RETURNING in the parameters' order costs one
    # statement per row on SQLite.
    t.s.connection().execute(_INSERT_MANY, rows)
    keys = [r["dedupe_key"] for r in rows]
    by_key = dict(t.s.execute(select(Message.dedupe_key, Message.id).where(Message.dedupe_key.in_(keys))).all())
    return [(by_key[r["dedupe_key"]], r["segments"]) for r in rows]
