"""Texts held for the owner's approval (status ``held``): how many wait and what they cost, and
approving or rejecting all, some or none of them at once (Care › Today, ``shopcare care approve``).

The care engine holds a run's texts when the shop asks for approval, on its first run, after an
import, or when a run would queue more than the shop's limit at once (care/engine.py hold_reason).
Approving puts them in the queue (due when they were, or now); rejecting cancels them for good: a
cancelled text keeps its dedupe key, so the engine never makes it again. Manager or owner; audited.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update

from app.errors import ValidationError
from app.models import Message
from app.services.base import audit, permissions
from app.services.base.context import Ctx

MAX_IDS = 10_000


@dataclass(frozen=True)
class Held:
    texts: int            # texts waiting
    parts: int            # the SMS parts they take (what the gateway bills)
    members: int
    by_kind: tuple[tuple[str, int], ...]


def summary(ctx: Ctx) -> Held:
    """What waits for approval: texts, SMS parts, members, texts per kind."""
    with ctx.tx(write=False) as t:
        texts, parts, members = t.s.execute(select(
            func.count(), func.coalesce(func.sum(Message.segments), 0), func.count(func.distinct(Message.member_id)))
            .where(Message.status == "held")).one()
        kinds = t.s.execute(select(Message.kind, func.count()).where(Message.status == "held")
                            .group_by(Message.kind).order_by(Message.kind)).all()
    return Held(int(texts), int(parts), int(members), tuple((k, int(n)) for k, n in kinds))


def _ids(ids) -> list[int] | None:
    if ids is None:
        return None
    try:
        out = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise ValidationError("message_ids_invalid", ids=", ".join(map(str, ids))) from None
    if not out or len(out) > MAX_IDS or out[0] < 1:
        raise ValidationError("message_ids_invalid", ids=", ".join(map(str, ids[:10])))
    return out


def _change(ctx: Ctx, ids, values: dict, action: str) -> tuple[int, list[int]]:
    """Change the held texts among ``ids`` (None: every held text); (how many, the ids not held)."""
    permissions.require(ctx, "manage_outbox")
    wanted = _ids(ids)
    with ctx.tx() as t:
        where = [Message.status == "held"]
        if wanted is not None:
            where.append(Message.id.in_(wanted))
        changed = list(t.s.execute(select(Message.id).where(*where)).scalars())
        if changed:
            t.s.execute(update(Message).where(*where).values(**values(t) if callable(values) else values)
                        .execution_options(synchronize_session=False))
            audit.record(t, action, "message", None, after={"texts": len(changed), "first": changed[0],
                                                             "last": changed[-1]})
        missing = sorted(set(wanted) - set(changed)) if wanted is not None else []
    return len(changed), missing


def approve(ctx: Ctx, ids=None) -> tuple[int, list[int]]:
    """Held texts join the queue, due when they were or now: ``ids`` (None: all). Returns (how many
    were approved, the ids given that were not waiting)."""
    return _change(ctx, ids, lambda t: {"status": "queued", "due_at": case(
        (Message.due_at < t.now(), t.now()), else_=Message.due_at)}, "message.approve_held")


def reject(ctx: Ctx, ids=None) -> tuple[int, list[int]]:
    """Held texts are cancelled (never sent; the engine will not make them again)."""
    return _change(ctx, ids, {"status": "cancelled", "last_error": "not approved"}, "message.reject_held")
