"""An import undo's writes: the counts it shows, the balances moved back, the batch's rows deleted, the members' and products' kept values restored and the receipt counter rewound."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Date, DateTime, bindparam, case, delete, func, insert, or_, select, update

from app.models import Category, MemberDate, MemberPrice, MemberTag, ProductBarcode, ProductSearchKey, Till
from app.services.admin.import_undo_tables import _C, _CE, _L, _M, _P, _PAY, _PT, _S, _ST, _W, TABLES, _chunks


def _when(value, kind):
    """A value kept as JSON text back to the column's type (dates and datetimes are ISO text)."""
    if value is None or not isinstance(value, str):
        return value
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


class _UndoWrites:
    """What the undo does (the writes part of import_undo._Undo, which holds the batch's rows)."""

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
