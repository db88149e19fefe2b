"""The only writer of stock: each movement is a ``stock_entries`` row and moves ``products.on_hand``
by the same amount in the same transaction (``shopcare check`` proves on_hand == the sum).

A sale may take stock below zero (small shops do not count perfectly) unless the shop's
``negative_stock`` setting is "refuse"; then the conditional UPDATE refuses it, on two tills at once
too. Products that do not track stock have no entries.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import bindparam, insert, select, update

from app.errors import ValidationError
from app.models import Product, StockEntry
from app.services.base.context import Ctx

MAX_STOCK = 10_000_000          # units of one product: past this a typed number is a mistake
KINDS = ("opening", "received", "sold", "refunded", "adjusted", "counted")

_p = Product.__table__
_MOVE = (update(_p).where(_p.c.id == bindparam("b_id"))
         .values(on_hand=_p.c.on_hand + bindparam("b_n")))
_MOVE_NOT_BELOW = (update(_p).where(_p.c.id == bindparam("b_id"), _p.c.on_hand + bindparam("b_n") >= 0)
                   .values(on_hand=_p.c.on_hand + bindparam("b_n")))
_INSERT = insert(StockEntry.__table__)


def post_stock(t: Ctx, product_id: int, kind: str, qty: int, *, refuse_below_zero: bool = False,
               unit_cost: int | None = None, supplier: str = "", sale_id: int | None = None,
               ref: str | None = None, note: str = "") -> SimpleNamespace:
    """Move one product's stock by ``qty`` (signed) and record why."""
    return post_stock_many(t, kind, [(product_id, qty)], refuse_below_zero=refuse_below_zero,
                           unit_cost=unit_cost, supplier=supplier, sale_id=sale_id, ref=ref, note=note)[0]


def post_stock_many(t: Ctx, kind: str, moves: list[tuple[int, int]], *, refuse_below_zero: bool = False,
                    unit_cost: int | None = None, supplier: str = "", sale_id: int | None = None,
                    ref: str | None = None, note: str = "", batch_id: int | None = None) -> list[SimpleNamespace]:
    """Several movements of one kind (a sale's lines, a stocktake, an import's opening stock;
    ``batch_id``: the import batch the entries belong to, for its undo)."""
    if kind not in KINDS:
        raise ValidationError("setting_invalid", key="kind", why=", ".join(KINDS))
    for _pid, qty in moves:
        if isinstance(qty, bool) or not isinstance(qty, int) or abs(qty) > MAX_STOCK:
            raise ValidationError("ledger_amount_invalid", value=repr(qty)[:40], max=MAX_STOCK)
    t.s.flush()
    conn = t.s.connection()
    now, staff = t.now(), t.actor.id
    if len(moves) > 1 and not (refuse_below_zero and any(qty < 0 for _pid, qty in moves)):
        return _post_in_bulk(t, conn, kind, moves, dict(unit_cost=unit_cost, supplier=supplier, sale_id=sale_id,
                                                        ref=ref, staff_id=staff, created_at=now, note=note,
                                                        import_batch_id=batch_id))
    out = []
    for pid, qty in moves:
        stmt = _MOVE_NOT_BELOW if refuse_below_zero and qty < 0 else _MOVE
        if conn.execute(stmt, {"b_id": pid, "b_n": qty}).rowcount != 1:
            name, on_hand = conn.execute(select(_p.c.name, _p.c.on_hand).where(_p.c.id == pid)).first() or ("?", 0)
            raise ValidationError("stock_short", name=name, on_hand=on_hand, qty=-qty)
        values = dict(product_id=pid, kind=kind, qty=qty, unit_cost=unit_cost, supplier=supplier,
                      sale_id=sale_id, ref=ref, staff_id=staff, created_at=now, note=note, import_batch_id=batch_id)
        conn.execute(_INSERT, values)
        out.append(SimpleNamespace(**values))
        obj = t.s.identity_map.get(t.s.identity_key(Product, pid))  # type: ignore[arg-type]
        if obj is not None:
            t.s.expire(obj, ["on_hand"])
    return out


def _post_in_bulk(t: Ctx, conn, kind: str, moves: list[tuple[int, int]], common: dict) -> list[SimpleNamespace]:
    """Movements that cannot be refused (an import's opening stock, a stocktake): each statement
    once for all of them (executemany), the same rows as one by one."""
    moved = conn.execute(_MOVE, [{"b_id": pid, "b_n": qty} for pid, qty in moves]).rowcount
    if moved != len(moves):  # a product that is not there: name it as the one-by-one path does
        there = set(conn.execute(select(_p.c.id).where(_p.c.id.in_([pid for pid, _ in moves]))).scalars())
        pid, qty = next(m for m in moves if m[0] not in there)
        raise ValidationError("stock_short", name="?", on_hand=0, qty=-qty)
    rows = [dict(product_id=pid, kind=kind, qty=qty, **common) for pid, qty in moves]
    conn.execute(_INSERT, rows)
    for pid, _qty in moves:
        obj = t.s.identity_map.get(t.s.identity_key(Product, pid))  # type: ignore[arg-type]
        if obj is not None:
            t.s.expire(obj, ["on_hand"])
    return [SimpleNamespace(**r) for r in rows]
