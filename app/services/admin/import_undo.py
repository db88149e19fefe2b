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
from datetime import date, datetime

from sqlalchemy import Date, DateTime, and_, bindparam, case, delete, func, insert, or_, select, update

from app import i18n
from app.errors import Conflict, NotFound, ShopError, render
from app.models import (Base, Category, CountCard, CountCardEntry, ImportBatch, ImportChange, Member, MemberDate, MemberPrice,
                        MemberTag, Payment, PointsEntry, Product, ProductBarcode, ProductSearchKey, Sale, SaleLine,
                        StockEntry, Till, WalletEntry)
from app.services.admin.import_batches import Batch, _batch
from app.services.base import audit, permissions
from app.services.base.context import Ctx

MEMBER_HISTORY = ("total_spent", "visits", "last_visit_at", "tier_id")

_B = ImportBatch.__table__
_M, _P, _S, _C = Member.__table__, Product.__table__, Sale.__table__, CountCard.__table__
_L, _PAY = SaleLine.__table__, Payment.__table__
_W, _PT, _ST, _CE = WalletEntry.__table__, PointsEntry.__table__, StockEntry.__table__, CountCardEntry.__table__

# Tables an undo deletes rows of, in a safe order (what refers to a row goes before it).
TABLES = ("count_card_entries", "payments", "sale_lines", "wallet_entries", "points_entries", "stock_entries",
          "count_cards", "sales", "member_tags", "member_dates", "members", "product_barcodes", "member_prices",
          "product_search_keys", "products", "categories")


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


def _when(value, kind):
    """A value kept as JSON text back to the column's type (dates and datetimes are ISO text)."""
    if value is None or not isinstance(value, str):
        return value
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


class _Undo:
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

    # --- what happened since ------------------------------------------------------------------------
    def _owned(self, table):
        """The rows of ``table`` the undo itself deletes (those are not 'since')."""
        b = self.b
        if "import_batch_id" in table.c:
            return table.c.import_batch_id == b
        if table.name in ("sale_lines", "payments"):
            return table.c.sale_id.in_(self.sales_q)
        if table.name in ("member_tags", "member_dates"):
            return table.c.member_id.in_(self.members_q)
        if table.name in ("product_barcodes", "member_prices", "product_search_keys"):
            return table.c.product_id.in_(self.products_q)
        return None

    def _referring(self, target: str, subq) -> dict[str, set[int]]:
        """table name -> the ids of ``target`` rows (in ``subq``) that a row not of this batch refers to."""
        out: dict[str, set[int]] = defaultdict(set)
        for table in Base.metadata.sorted_tables:
            if table.name in ("import_batches", "import_changes", "audit_log"):
                continue
            owned = self._owned(table)
            for fk in table.foreign_keys:
                if fk.column.table.name != target or fk.column.name != "id":
                    continue
                col = fk.parent
                cond = [col.in_(subq)]
                if owned is not None:
                    cond.append(or_(~owned, *( [table.c.import_batch_id.is_(None)] if "import_batch_id" in table.c
                                               else [])))
                found = set(self.conn.execute(select(col).where(and_(*cond)).distinct()).scalars())
                if found:
                    out[table.name] |= found
        return out

    def reasons(self) -> list[ShopError]:
        out: list[ShopError] = []
        by_reason: dict[str, set[int]] = defaultdict(set)
        others: dict[tuple[str, str], set[int]] = defaultdict(set)
        member_reason = {"sales": "undo_members_bought", "wallet_entries": "undo_members_wallet",
                         "topups": "undo_members_wallet", "points_entries": "undo_members_points",
                         "count_cards": "undo_members_cards", "messages": "undo_members_texts",
                         "inbound_messages": "undo_members_texts", "satisfaction_scores": "undo_members_texts",
                         "campaign_recipients": "undo_members_texts", "contact_notes": "undo_members_care",
                         "callback_tasks": "undo_members_care", "vouchers": "undo_members_vouchers",
                         "held_carts": "undo_members_held", "members": "undo_members_referred"}
        for table, ids in self._referring("members", self.members_q).items():
            key = member_reason.get(table)
            (by_reason[key] if key else others[("undo_members_other", table)]).update(ids)
        for table, ids in self._referring("count_cards", self.cards_q).items():
            (by_reason["undo_cards_used"] if table in ("count_card_entries", "sale_lines")
             else others[("undo_members_other", table)]).update(ids)
        product_reason = {"sale_lines": "undo_products_sold", "count_cards": "undo_products_sold",
                          "stock_entries": "undo_products_stock"}
        for table, ids in self._referring("products", self.products_q).items():
            key = product_reason.get(table)
            (by_reason[key] if key else others[("undo_products_other", table)]).update(ids)
        sale_reason = {"sales": "undo_sales_refunded", "sale_lines": "undo_sales_refunded"}
        for table, ids in self._referring("sales", self.sales_q).items():
            key = sale_reason.get(table)
            (by_reason[key] if key else others[("undo_sales_other", table)]).update(ids)
        lines_q = select(_L.c.id).where(_L.c.sale_id.in_(self.sales_q))
        for table, ids in self._referring("sale_lines", lines_q).items():
            (by_reason["undo_sales_refunded"] if table == "sale_lines"
             else others[("undo_sales_other", table)]).update(ids)
        # members who were there before: what the import's history or --update values would overwrite
        before = self.history_members | {m for m in self.changed_members
                                         if any(k in MEMBER_HISTORY for ch in self.changes["members"][m] for k in ch)}
        started = self.batch.started_at
        if before:
            # a sale after the batch's own (ids grow; the clock may stand still in a test or jump back)
            since = or_(_S.c.created_at > started, _S.c.id > self.sale_span[1]) if self.sale_span[1] \
                else _S.c.created_at > started
            for part in _chunks(sorted(before)):
                by_reason["undo_members_bought"] |= set(self.conn.execute(select(_S.c.member_id).where(
                    _S.c.member_id.in_(part), or_(_S.c.import_batch_id.is_(None), _S.c.import_batch_id != self.b),
                    since).distinct()).scalars())
        finished = self.batch.finished_at or started
        edited_q = select(_M.c.id).where(_M.c.updated_at > finished)
        edited = set(self.conn.execute(edited_q.where(_M.c.import_batch_id == self.b)).scalars())
        for part in _chunks(sorted(self.history_members | self.changed_members)):
            edited |= set(self.conn.execute(edited_q.where(_M.c.id.in_(part))).scalars())
        already = set().union(*(ids for key, ids in by_reason.items() if key.startswith("undo_members")), set())
        by_reason["undo_members_edited"] |= edited - already
        if self.new_categories:
            names = sorted(self.new_categories.values())
            cat = Category.__table__
            used = set(self.conn.execute(select(_P.c.id, _P.c.category).where(
                _P.c.category.in_(names), or_(_P.c.import_batch_id.is_(None), _P.c.import_batch_id != self.b)))
                .all())
            used = {name for pid, name in used if pid not in self.changed_products}
            used |= set(self.conn.execute(select(_L.c.category).where(
                _L.c.category.in_(names), _L.c.sale_id.not_in(self.sales_q))).scalars())
            used |= set(names) - set(self.conn.execute(select(cat.c.name).where(
                cat.c.id.in_(sorted(self.new_categories)))).scalars())        # renamed or removed since
            if used:
                by_reason["undo_categories_used"] |= set(used)
        changed = self._products_changed_since()
        if changed:
            by_reason["undo_products_changed"] |= changed
        # stock moved since on products the import gave opening stock but did not create
        stocked = set(self.conn.execute(select(_ST.c.product_id).where(
            _ST.c.import_batch_id == self.b, _ST.c.product_id.not_in(self.products_q)).distinct()).scalars())
        if stocked:
            first = self.conn.execute(select(func.min(_ST.c.id)).where(_ST.c.import_batch_id == self.b)).scalar()
            for part in _chunks(sorted(stocked)):
                by_reason["undo_products_stock"] |= set(self.conn.execute(select(_ST.c.product_id).where(
                    _ST.c.product_id.in_(part), _ST.c.id > first,
                    or_(_ST.c.import_batch_id.is_(None), _ST.c.import_batch_id != self.b)).distinct()).scalars())
        order = ("undo_members_bought", "undo_members_wallet", "undo_members_points", "undo_members_cards",
                 "undo_cards_used", "undo_members_texts", "undo_members_care", "undo_members_vouchers",
                 "undo_members_held", "undo_members_referred", "undo_members_edited", "undo_products_sold",
                 "undo_products_stock", "undo_products_changed", "undo_categories_used", "undo_sales_refunded")
        for key in order:
            if by_reason.get(key):
                out.append(Conflict(key, count=len(by_reason[key])))
        for (key, table), ids in sorted(others.items()):
            out.append(Conflict(key, count=len(ids), table=table))
        return out

    def _products_changed_since(self) -> set[int]:
        """Products an ``--update`` import changed that someone edited after it (their columns,
        barcodes or member prices differ from what the import left)."""
        now = product_states(self.conn, sorted(self.changed_products))
        return {pid for pid in self.changed_products
                if (after := self.changes["products"][pid][-1].get("after")) is not None and now.get(pid) != after}

    # --- what the undo does ---------------------------------------------------------------------------
    def counts(self) -> tuple[tuple[str, int], ...]:
        c, b = self.conn, self.b
        n = {}

        def count(table, cond) -> None:
            n[table.name] = c.execute(select(func.count()).select_from(table).where(cond)).scalar() or 0

        count(_CE, _CE.c.import_batch_id == b)
        count(_PAY, _PAY.c.sale_id.in_(self.sales_q))
        count(_L, _L.c.sale_id.in_(self.sales_q))
        for table in (_W, _PT, _ST, _C, _S):
            count(table, table.c.import_batch_id == b)
        count(MemberTag.__table__, MemberTag.__table__.c.member_id.in_(self.members_q))
        count(MemberDate.__table__, MemberDate.__table__.c.member_id.in_(self.members_q))
        count(_M, _M.c.import_batch_id == b)
        for model in (ProductBarcode, MemberPrice, ProductSearchKey):
            count(model.__table__, model.__table__.c.product_id.in_(self.products_q))
        count(_P, _P.c.import_batch_id == b)
        n["categories"] = len(self.new_categories)
        return tuple((name, n[name]) for name in TABLES if n.get(name))

    def restored_counts(self) -> tuple[tuple[str, int], ...]:
        members = len(self.history_members | self.changed_members)
        products = len(self.changed_products)
        return tuple((k, v) for k, v in (("members", members), ("products", products)) if v)

    def apply(self) -> None:
        c, b = self.conn, self.b
        self._reverse_balances()
        self._restore_products()
        self._rewind_receipts()
        # what refers to a row goes before it; rows of the batch that refer to each other let go first
        c.execute(delete(_CE).where(_CE.c.import_batch_id == b))
        c.execute(delete(_PAY).where(_PAY.c.sale_id.in_(self.sales_q)))
        c.execute(delete(_L).where(_L.c.sale_id.in_(self.sales_q)))
        for table in (_W, _PT, _ST):
            c.execute(delete(table).where(table.c.import_batch_id == b))
        c.execute(delete(_C).where(_C.c.import_batch_id == b))
        c.execute(update(_S).where(_S.c.import_batch_id == b, _S.c.original_sale_id.is_not(None))
                  .values(original_sale_id=None))
        c.execute(delete(_S).where(_S.c.import_batch_id == b))
        self._restore_members()
        for model in (MemberTag, MemberDate):
            c.execute(delete(model.__table__).where(model.__table__.c.member_id.in_(self.members_q)))
        c.execute(update(_M).where(_M.c.import_batch_id == b, _M.c.referrer_id.is_not(None)).values(referrer_id=None))
        c.execute(delete(_M).where(_M.c.import_batch_id == b))
        for model in (ProductBarcode, MemberPrice, ProductSearchKey):
            c.execute(delete(model.__table__).where(model.__table__.c.product_id.in_(self.products_q)))
        c.execute(update(_P).where(_P.c.import_batch_id == b, _P.c.card_service_id.is_not(None))
                  .values(card_service_id=None))
        c.execute(delete(_P).where(_P.c.import_batch_id == b))
        if self.new_categories:
            cat = Category.__table__
            c.execute(delete(cat).where(cat.c.id.in_(sorted(self.new_categories))))

    def _reverse_balances(self) -> None:
        """Balances of rows that stay, moved back by exactly what the batch's entries moved them."""
        c, b = self.conn, self.b
        wallet = c.execute(select(_W.c.member_id, func.sum(_W.c.principal), func.sum(_W.c.bonus)).where(
            _W.c.import_batch_id == b, _W.c.member_id.not_in(self.members_q)).group_by(_W.c.member_id)).all()
        if wallet:
            c.execute(update(_M).where(_M.c.id == bindparam("b_id")).values(
                wallet_principal=_M.c.wallet_principal - bindparam("b_p"), wallet_bonus=_M.c.wallet_bonus - bindparam("b_b")),
                [{"b_id": m, "b_p": int(p or 0), "b_b": int(bb or 0)} for m, p, bb in wallet])
        points = c.execute(select(_PT.c.member_id, func.sum(_PT.c.points)).where(
            _PT.c.import_batch_id == b, _PT.c.member_id.not_in(self.members_q)).group_by(_PT.c.member_id)).all()
        if points:
            c.execute(update(_M).where(_M.c.id == bindparam("b_id")).values(
                points_balance=_M.c.points_balance - bindparam("b_n")),
                [{"b_id": m, "b_n": int(n or 0)} for m, n in points])
        uses = c.execute(select(_CE.c.card_id, func.sum(_CE.c.uses)).where(
            _CE.c.import_batch_id == b, _CE.c.card_id.not_in(self.cards_q)).group_by(_CE.c.card_id)).all()
        if uses:
            c.execute(update(_C).where(_C.c.id == bindparam("b_id")).values(uses_left=_C.c.uses_left - bindparam("b_n")),
                      [{"b_id": cid, "b_n": int(n or 0)} for cid, n in uses])
        stock = c.execute(select(_ST.c.product_id, func.sum(_ST.c.qty)).where(
            _ST.c.import_batch_id == b, _ST.c.product_id.not_in(self.products_q)).group_by(_ST.c.product_id)).all()
        if stock:
            self.products_touched = True
            c.execute(update(_P).where(_P.c.id == bindparam("b_id")).values(on_hand=_P.c.on_hand - bindparam("b_n")),
                      [{"b_id": pid, "b_n": int(n or 0)} for pid, n in stock])

    def _rewind_receipts(self) -> None:
        """The import till's receipt counter back to where it was, when the batch took its last numbers."""
        c, b = self.conn, self.b
        tl = Till.__table__
        for till, top in c.execute(select(_S.c.till, func.max(_S.c.seq)).where(_S.c.import_batch_id == b)
                                   .group_by(_S.c.till)).all():
            last = c.execute(select(tl.c.last_receipt_seq).where(tl.c.code == till)).scalar()
            if last != top:
                continue          # another import or sale took numbers after it: leave the counter
            kept = c.execute(select(func.max(_S.c.seq)).where(
                _S.c.till == till, or_(_S.c.import_batch_id.is_(None), _S.c.import_batch_id != b))).scalar()
            c.execute(update(tl).where(tl.c.code == till).values(last_receipt_seq=kept or 0))

    def _restore_members(self) -> None:
        """Values an import replaced on members who were there before; totals recomputed from the
        sales that remain for members with imported history and no kept values. In bulk: one
        executemany per set of columns."""
        c = self.conn
        types = {col.name: col.type for col in _M.c}
        kept_history: set[int] = set()
        by_columns: dict[tuple[str, ...], list[dict]] = defaultdict(list)
        for mid, rows in self.changes["members"].items():
            if mid not in self.changed_members:
                continue
            values: dict = {}
            tags = None
            for before in reversed(rows):           # the earliest kept value of a column wins
                for k, v in before.items():
                    if k == "tags":
                        tags = list(v or ())
                    elif k in types and k != "id":
                        values[k] = _when(v, types[k])
            if values:
                by_columns[tuple(sorted(values))].append({"b_id": mid, **{"v_" + k: v for k, v in values.items()}})
            if tags is not None:
                mt = MemberTag.__table__
                c.execute(delete(mt).where(mt.c.member_id == mid))
                if tags:
                    c.execute(insert(mt), [{"member_id": mid, "tag": tg} for tg in dict.fromkeys(tags)])
            if {"total_spent", "visits", "last_visit_at"} <= set(values):
                kept_history.add(mid)
        for columns, params in by_columns.items():
            c.execute(update(_M).where(_M.c.id == bindparam("b_id")).values(
                **{k: bindparam("v_" + k) for k in columns}), params)
        recompute = sorted(self.history_members - kept_history)
        for part in _chunks(recompute):
            found = {mid: (total, visits, last) for mid, total, visits, last in c.execute(select(
                _S.c.member_id, func.sum(_S.c.total), func.sum(case((_S.c.kind == "sale", 1), else_=0)),
                func.max(_S.c.created_at)).where(_S.c.member_id.in_(part)).group_by(_S.c.member_id))}
            c.execute(update(_M).where(_M.c.id == bindparam("b_id")).values(
                total_spent=bindparam("v_total"), visits=bindparam("v_visits"), last_visit_at=bindparam("v_last")),
                [{"b_id": mid, "v_total": int(found.get(mid, (0,))[0] or 0),
                  "v_visits": int((found.get(mid) or (0, 0))[1] or 0), "v_last": (found.get(mid) or (0, 0, None))[2]}
                 for mid in part])

    def _restore_products(self) -> None:
        """Columns, barcodes, member prices (and so search keys) of products an --update changed."""
        from app.services.sales.search_keys import product_keys

        c = self.conn
        types = {col.name: col.type for col in _P.c}
        for pid in sorted(self.changed_products):
            rows = self.changes["products"][pid]
            first = rows[0]
            cols = {k: _when(v, types[k]) for k, v in (first.get("columns") or {}).items() if k in types}
            if cols:
                c.execute(update(_P).where(_P.c.id == pid).values(**cols))
            if "barcodes" in first:
                bt = ProductBarcode.__table__
                c.execute(delete(bt).where(bt.c.product_id == pid))
                if first["barcodes"]:
                    c.execute(insert(bt), [{"product_id": pid, "barcode": code} for code in first["barcodes"]])
            if "member_prices" in first:
                mp = MemberPrice.__table__
                c.execute(delete(mp).where(mp.c.product_id == pid))
                if first["member_prices"]:
                    c.execute(insert(mp), [{"product_id": pid, "tier_id": int(tier), "price": price}
                                           for tier, price in sorted(first["member_prices"].items())])
            name, sku, category = c.execute(select(_P.c.name, _P.c.sku, _P.c.category).where(_P.c.id == pid)).first()
            codes = list(c.execute(select(ProductBarcode.barcode).where(ProductBarcode.product_id == pid)
                                   .order_by(ProductBarcode.id)).scalars())
            kt = ProductSearchKey.__table__
            c.execute(delete(kt).where(kt.c.product_id == pid))
            keys = product_keys(name, sku, codes, category or "")
            if keys:
                c.execute(insert(kt), [{"product_id": pid, "key": k} for k in sorted(keys)])


PRODUCT_COLUMNS = ("sku", "name", "price", "category", "kind", "unit", "no_member_price", "points_eligible",
                   "discount_eligible", "cost", "points_price", "track_stock", "reorder_level", "favourite", "colour",
                   "active")


def product_states(conn, ids: list[int]) -> dict[int, dict]:
    """Products' columns an import may change, barcodes and member prices (tier id -> price), as
    JSON-ready values: what ``import_products`` keeps before and after an ``--update``."""
    out: dict[int, dict] = {}
    for part in _chunks(sorted(ids)):
        for row in conn.execute(select(_P.c.id, *[_P.c[k] for k in PRODUCT_COLUMNS]).where(_P.c.id.in_(part))).mappings():
            out[row["id"]] = {"columns": {k: row[k] for k in PRODUCT_COLUMNS}, "barcodes": [], "member_prices": {}}
        for pid, code in conn.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                      .where(ProductBarcode.product_id.in_(part)).order_by(ProductBarcode.barcode)):
            out[pid]["barcodes"].append(code)
        for pid, tier, price in conn.execute(select(MemberPrice.product_id, MemberPrice.tier_id, MemberPrice.price)
                                             .where(MemberPrice.product_id.in_(part))):
            out[pid]["member_prices"][str(tier)] = int(price)
    return out


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
