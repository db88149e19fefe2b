"""Undoing an import (``shopcare import undo [--batch N] [--dry-run]``, the app's Undo import).

Every row an import writes carries its ``import_batch_id``; every value it replaced on a row that
was there before is in ``import_changes`` (``import_batches.remember``). ``undo`` puts the database
back exactly as it was before the import, in ONE write transaction:

- the batch's sales (with their lines and payments), wallet, points, stock and count-card entries,
  count cards, members (with their tags and dates) and products (with their barcodes, member prices
  and search keys) are deleted;
- the balances they moved on rows that stay (a member's stored value or points, a count card's uses,
  a product's on-hand) are moved back by the same amounts, so every ledger stays balanced;
- the values ``import_changes`` kept are written back (an ``--update``'s columns; the total spent,
  visits, last visit and tier of members who got imported history; a product's columns, barcodes
  and member prices); a member with imported history but no kept values gets totals recomputed
  from the sales that remain;
- the receipt counter of the import till goes back when the batch took its last numbers;
- the batch is marked undone (when, by whom) and the undo audited (``import.undo``).

It refuses (``ImportUndoRefused``, nothing changed) when anything since touches what the import
brought in, and says what: members who bought, topped up, used points or a count card, got texts,
vouchers, call-backs or were edited; products sold, stocked or edited; sales refunded; a later import
not undone. Every table holding a foreign key to an imported member, product, sale or count card is
looked at (from the models' metadata), so a new table cannot be forgotten. The checks run inside the
undo's write transaction: SQLite's write lock (IMMEDIATE), and on PostgreSQL the batch's rows locked
``FOR UPDATE``, so a sale on another till either commits first (and the undo sees it and refuses) or
waits for the undo and then fails on the member or product that is gone: never a half state.

``undo_preview`` is the same, written nothing: what would be removed (rows per table) and put back,
or why it would be refused.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import func, or_, select, update

from app import i18n
from app.errors import Conflict, NotFound, ShopError, render
from app.models import Category, ImportChange
from app.services.admin.import_batches import Batch, _batch
from app.services.admin.import_undo_checks import _UndoChecks
from app.services.admin.import_undo_tables import _B, _C, _M, _P, _S
from app.services.admin.import_undo_writes import _UndoWrites
from app.services.base import audit, permissions
from app.services.base.context import Ctx


class ImportUndoRefused(Conflict):
    """An undo that would take back more than the import brought in; ``params['reasons']`` lists
    each thing that happened since (ShopErrors with a count)."""


class _Reasons:
    """The reasons, rendered and joined in the reader's language (an error value with ``render``)."""

    def __init__(self, reasons: tuple[ShopError, ...]) -> None:
        self.reasons = reasons

    def render(self, lang: str | None) -> str:
        return ("；" if i18n.is_han(lang) else "; ").join(render(r, lang) for r in self.reasons)

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class UndoResult:
    """What an undo removed (or, from ``undo_preview``, would remove) and put back; ``refusal`` is
    why it cannot be done (``undo_preview`` only: ``undo`` raises it)."""
    batch: Batch
    removed: tuple[tuple[str, int], ...]     # (table, rows), tables with rows only
    restored: tuple[tuple[str, int], ...]    # (members|products, rows given back their values before)
    refusal: ShopError | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def undo(ctx: Ctx, batch_id: int | None = None) -> UndoResult:
    """Take back import ``batch_id`` (None: the latest that is done and not undone); raises a
    ShopError (ImportUndoRefused, NotFound, Conflict) and changes nothing when it cannot."""
    return _run(ctx, batch_id, dry_run=False)


def undo_preview(ctx: Ctx, batch_id: int | None = None) -> UndoResult:
    """What ``undo`` would do, or why it would refuse (``refusal``); writes nothing. A batch that
    does not exist, or no batch at all, raises NotFound."""
    return _run(ctx, batch_id, dry_run=True)


def _run(ctx: Ctx, batch_id: int | None, *, dry_run: bool) -> UndoResult:
    # who may run an import may take it back: products a manager too ("manage_products"), members
    # and history the owner ("import"); asked again below once the batch's kind is known
    if not permissions.allowed(ctx, "manage_products"):
        permissions.require(ctx, "import")
    with ctx.tx(write=not dry_run) as t:
        pg = t.s.bind.dialect.name == "postgresql"
        conn = t.s.connection()
        row = _pick(t, batch_id, lock=pg and not dry_run)
        batch = _batch(row)
        permissions.require(ctx, "manage_products" if batch.kind == "products" else "import")
        try:
            _refuse_state(t, batch)
            u = _Undo(t, batch)
            if pg and not dry_run:
                u.lock()
            reasons = u.reasons()
            if reasons:
                raise ImportUndoRefused("import_undo_refused", batch=batch.id, file=batch.file,
                                        why=_Reasons(tuple(reasons)), reasons=tuple(reasons))
        except ShopError as err:
            if dry_run and not isinstance(err, NotFound):
                return UndoResult(batch, (), (), err)
            raise
        removed = u.counts()
        restored = u.restored_counts()
        if dry_run:
            return UndoResult(batch, removed, restored)
        u.apply()
        now = t.now()
        conn.execute(update(_B).where(_B.c.id == batch.id).values(status="undone", undone_at=now,
                                                                  undone_by=t.actor.id))
        audit.record(t, "import.undo", "import", batch.id, before={"kind": batch.kind, "file": batch.file,
                                                                   "counts": batch.counts},
                     after={"removed": dict(removed), "restored": dict(restored)})
        if batch.kind == "products" or u.products_touched:
            ctx.db.cache.pop("products", None)
        return UndoResult(replace(batch, status="undone", undone_at=now), removed, restored)


def take_back_running(t: Ctx, batch_id: int) -> UndoResult:
    """Inside ``t``'s write transaction: take back a batch an import left ``running`` (cancelled,
    failed or killed between its chunks; import_chunks.py), whole, with the undo's own checks,
    deletes and restores (the caller removes the batch row). Refuses (ImportUndoRefused) like ``undo``
    when something since touches what the half import brought in."""
    pg = t.s.bind.dialect.name == "postgresql"
    batch = _batch(_pick(t, batch_id, lock=pg))
    if batch.status != "running":
        raise Conflict("import_undo_not_done", batch=batch.id, file=batch.file)
    u = _Undo(t, batch)
    if pg:
        u.lock()
    reasons = u.reasons()
    if reasons:
        raise ImportUndoRefused("import_undo_refused", batch=batch.id, file=batch.file,
                                why=_Reasons(tuple(reasons)), reasons=tuple(reasons))
    removed = u.counts()
    restored = u.restored_counts()
    u.apply()
    audit.record(t, "import.taken_back", "import", batch.id, before={"kind": batch.kind, "file": batch.file},
                 after={"removed": dict(removed), "restored": dict(restored)})
    if u.products_touched:
        t.db.cache.pop("products", None)
    return UndoResult(replace(batch, status="failed"), removed, restored)


def _pick(t: Ctx, batch_id: int | None, *, lock: bool):
    q = select(_B)
    if batch_id is None:
        q = q.where(_B.c.status == "done").order_by(_B.c.id.desc()).limit(1)
    else:
        q = q.where(_B.c.id == batch_id)
    if lock:
        q = q.with_for_update()
    row = t.s.connection().execute(q).mappings().first()
    if row is None:
        if batch_id is None:
            raise NotFound("import_undo_none")
        raise NotFound("import_batch_not_found", batch=batch_id)
    return row


def _refuse_state(t: Ctx, batch: Batch) -> None:
    if batch.status == "undone":
        when = batch.undone_at.strftime("%Y-%m-%d %H:%M") if batch.undone_at else "?"
        raise Conflict("import_undo_already", batch=batch.id, file=batch.file, when=when)
    if batch.status != "done":
        raise Conflict("import_undo_not_done", batch=batch.id, file=batch.file)
    later = t.s.connection().execute(select(func.max(_B.c.id)).where(
        _B.c.id > batch.id, _B.c.status.in_(("done", "running")))).scalar()
    if later is not None:
        raise Conflict("import_undo_later", batch=batch.id, later=later)


class _Undo(_UndoChecks, _UndoWrites):
    """One batch's rows and the checks and writes of its undo (inside the caller's transaction)."""

    def __init__(self, t: Ctx, batch: Batch) -> None:
        self.t, self.batch, self.b = t, batch, batch.id
        self.conn = t.s.connection()
        c = self.conn
        b = self.b
        self.sales_q = select(_S.c.id).where(_S.c.import_batch_id == b)
        self.members_q = select(_M.c.id).where(_M.c.import_batch_id == b)
        self.products_q = select(_P.c.id).where(_P.c.import_batch_id == b)
        self.cards_q = select(_C.c.id).where(_C.c.import_batch_id == b)
        self.changes: dict[str, dict[int, list[dict]]] = {"members": defaultdict(list), "products": defaultdict(list)}
        ch = ImportChange.__table__
        for entity, eid, before in c.execute(select(ch.c.entity, ch.c.entity_id, ch.c.before)
                                             .where(ch.c.batch_id == b).order_by(ch.c.id)):
            self.changes.setdefault(entity, defaultdict(list))[eid].append(json.loads(before))
        new_members = set(c.execute(self.members_q).scalars())
        # members who were there before and got imported history (their totals and tier moved)
        self.history_members = set(c.execute(select(_S.c.member_id).where(
            _S.c.import_batch_id == b, _S.c.member_id.is_not(None)).distinct()).scalars()) - new_members
        self.changed_members = set(self.changes["members"]) - new_members
        self.changed_products = set(self.changes["products"]) - set(c.execute(self.products_q).scalars())
        self.sale_span = c.execute(select(func.min(_S.c.id), func.max(_S.c.id)).where(_S.c.import_batch_id == b)).first()
        self.products_touched = bool(self.changed_products)
        self.new_categories = {cid: kept[0]["name"] for cid, kept in self.changes.get("categories", {}).items()}

    # --- PostgreSQL: hold what the undo takes back, so nothing slips in between check and delete ----
    def lock(self) -> None:
        """Every row the undo deletes or gives back its values, FOR UPDATE (subqueries: a batch can
        name more rows than a statement takes parameters)."""
        c, b = self.conn, self.b
        ch = ImportChange.__table__
        changed = lambda entity: select(ch.c.entity_id).where(ch.c.batch_id == b, ch.c.entity == entity)  # noqa: E731
        history = select(_S.c.member_id).where(_S.c.import_batch_id == b, _S.c.member_id.is_not(None))
        c.execute(select(_M.c.id).where(or_(_M.c.import_batch_id == b, _M.c.id.in_(history),
                                            _M.c.id.in_(changed("members")))).order_by(_M.c.id).with_for_update()).all()
        c.execute(select(_P.c.id).where(or_(_P.c.import_batch_id == b, _P.c.id.in_(changed("products"))))
                  .order_by(_P.c.id).with_for_update()).all()
        c.execute(select(_C.c.id).where(_C.c.import_batch_id == b).order_by(_C.c.id).with_for_update()).all()
        c.execute(select(_S.c.id).where(_S.c.import_batch_id == b).order_by(_S.c.id).with_for_update()).all()
        if self.new_categories:
            cat = Category.__table__
            c.execute(select(cat.c.id).where(cat.c.id.in_(sorted(self.new_categories))).with_for_update()).all()
