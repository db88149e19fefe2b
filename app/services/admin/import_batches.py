"""Import batches: every import is recorded (who, when, which file, what it counted), and every
row it writes carries the batch's id, so the owner can see past imports and undo the latest.

A member or history import writes in chunks (import_chunks.py): ``begin`` commits with the first
chunk a batch ``running``, ``finish`` marks it ``done`` in the last; a failed, cancelled or killed
import's batch is taken back whole and becomes ``failed``. A products import runs ``begin`` and
``finish`` in its one transaction. Only a ``done`` batch is an import that happened."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select, update

from app.models import ImportBatch, ImportChange, Staff
from app.services.base import permissions
from app.services.base.context import Ctx

KINDS = ("members", "sales", "products")


@dataclass(frozen=True)
class Batch:
    id: int
    kind: str
    file: str
    staff_id: int | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict
    undone_at: datetime | None
    undone_by: int | None = None
    staff_name: str | None = None     # who ran it (None: the command line)


def begin(t: Ctx, kind: str, path: str | Path) -> int:
    """Record an import starting now in ``t``'s transaction; returns the batch id to tag rows with.
    Only the file's name is kept: its folder may name a person (``C:/Users/Wang Fang/...``)."""
    assert kind in KINDS, kind
    result = t.s.connection().execute(insert(ImportBatch.__table__).values(
        kind=kind, file=Path(str(path)).name[:255], staff_id=t.actor.id, started_at=t.now(), status="running",
        counts="{}"))
    return int(result.inserted_primary_key[0])


def finish(t: Ctx, batch_id: int, counts: dict, *, at: datetime | None = None) -> None:
    """The import wrote everything: record what it counted (plain numbers, no personal data)."""
    b = ImportBatch.__table__
    t.s.connection().execute(update(b).where(b.c.id == batch_id).values(
        status="done", finished_at=at or t.now(), counts=json.dumps(counts, sort_keys=True)))


def remember(t: Ctx, batch_id: int, entity: str, rows: list[tuple[int, dict]]) -> None:
    """Keep the values an import is about to change (``(row id, {column: value before})``; dates and
    datetimes as ISO text), so an undo can put them back: members an ``--update`` changes, and the
    totals, visits, last visit and tier of members who get imported history."""
    if rows:
        t.s.connection().execute(insert(ImportChange.__table__), [
            {"batch_id": batch_id, "entity": entity, "entity_id": rid, "before": json.dumps(before, default=str)}
            for rid, before in rows])


def recent(t: Ctx, limit: int = 50) -> list[Batch]:
    """The latest imports first."""
    b, st = ImportBatch.__table__, Staff.__table__
    rows = t.s.connection().execute(select(b, st.c.name.label("staff_name")).outerjoin(st, st.c.id == b.c.staff_id)
                                    .order_by(b.c.id.desc()).limit(limit)).mappings().all()
    return [_batch(r) for r in rows]


def list_batches(ctx: Ctx, limit: int = 50) -> list[Batch]:
    """The latest imports first, for ``shopcare import list`` and the app (manager or owner)."""
    permissions.require(ctx, "manage_products")
    with ctx.tx(write=False) as t:
        return recent(t, limit)


def _batch(r) -> Batch:
    counts = json.loads(r["counts"] or "{}")
    counts.pop("writer", None)      # a running import's process (import_chunks), not a count
    return Batch(id=r["id"], kind=r["kind"], file=r["file"], staff_id=r["staff_id"], started_at=r["started_at"],
                 finished_at=r["finished_at"], status=r["status"], counts=counts,
                 undone_at=r["undone_at"], undone_by=r["undone_by"], staff_name=r.get("staff_name"))


def recover_left(ctx: Ctx) -> list[int]:
    """At an opening (the app's ``open_shop``, every command): take back the batches an import killed
    or crashed half-way left ``running`` (import_chunks.recover). One small query when there are
    none, and the import code is loaded only when there are."""
    b = ImportBatch.__table__
    with ctx.tx(write=False) as t:
        left = t.s.connection().execute(select(b.c.id).where(b.c.status == "running", b.c.kind != "products")
                                        .limit(1)).first()
    if left is None:
        return []
    from app.services.admin import import_chunks

    return import_chunks.recover(ctx)


def undo(ctx: Ctx, batch_id: int | None = None):
    """Take back an import (None: the latest done and not undone): see import_undo.py."""
    from app.services.admin.import_undo import undo as _undo

    return _undo(ctx, batch_id)


def undo_preview(ctx: Ctx, batch_id: int | None = None):
    """What ``undo`` would remove and put back, or why it would refuse; writes nothing."""
    from app.services.admin.import_undo import undo_preview as _preview

    return _preview(ctx, batch_id)
