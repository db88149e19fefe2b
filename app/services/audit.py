"""The audit log: who did what, on which till, before and after, and why.

Each row carries the hash of the previous one (a chain ``shopcare check`` can verify)."""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from app.models import AuditLog
from app.services.context import Ctx

AUDIT_LOCK = 0x5C_A0D1  # the advisory lock key that orders the audit chain on PostgreSQL


def _digest(prev: str | None, row: AuditLog) -> str:
    payload = json.dumps([prev, row.at.isoformat(), row.staff_id, row.till, row.action, row.entity,
                          row.entity_id, row.before, row.after, row.reason], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def record(t: Ctx, action: str, entity: str, entity_id: object, *, before: object = None,
           after: object = None, reason: str | None = None) -> None:
    """Add an audit row inside the caller's transaction."""
    if t.s.bind.dialect.name == "postgresql":
        # Two tills auditing at once would both read the same last row and fork the chain; the
        # lock (held to the end of this transaction) makes the second wait for the first's row.
        # SQLite needs none: its write transactions begin IMMEDIATE, one at a time.
        t.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    prev = t.s.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    row = AuditLog(at=t.now(), staff_id=t.actor.id, till=t.till, action=action, entity=entity,
                   entity_id=None if entity_id is None else str(entity_id),
                   before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
                   after=None if after is None else json.dumps(after, ensure_ascii=False, default=str),
                   reason=reason, prev_hash=prev)
    row.hash = _digest(prev, row)
    t.s.add(row)


def verify_chain(t: Ctx) -> list[int]:
    """Ids of audit rows whose hash does not follow from the previous row (empty when intact)."""
    bad, prev = [], None
    for row in t.s.execute(select(AuditLog).order_by(AuditLog.id)).scalars():
        if row.prev_hash != prev or row.hash != _digest(prev, row):
            bad.append(row.id)
        prev = row.hash
    return bad
