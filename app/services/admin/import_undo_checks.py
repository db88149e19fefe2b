"""An import undo's refusal checks: every row outside the batch that refers to what it brought in, and the sales, edits, stock and product changes since, each a reason with a count."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, or_, select

from app.errors import Conflict, ShopError
from app.models import Base, Category
from app.services.admin.import_undo_tables import (MEMBER_HISTORY, _L, _M, _P, _S, _ST, _chunks,
                                                   product_states)


class _UndoChecks:
    """What happened since the import (the checks part of import_undo._Undo, which holds the batch's rows)."""

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
        # Edited since the import began: a chunked import writes every row at its start time
        # (import_chunks), and a till may edit a member between two of its chunks.
        edited_q = select(_M.c.id).where(_M.c.updated_at > started)
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
