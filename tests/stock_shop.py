"""Test helpers for stock: products that track it (set straight on the row: the product editor is
another change's), and the stock ledger read from the tables."""
from __future__ import annotations

from sqlalchemy import func, select, update

from app.models import Product, StockEntry


def track(ctx, sku: str, *, reorder_level: int | None = None, on: bool = True) -> int:
    """Make ``sku`` track stock (with a reorder level); returns its id."""
    with ctx.tx() as t:
        t.s.execute(update(Product).where(Product.sku == sku).values(track_stock=on, reorder_level=reorder_level))
        return t.s.execute(select(Product.id).where(Product.sku == sku)).scalar_one()


def on_hand(db, sku: str) -> int:
    with db.session(write=False) as s:
        return s.execute(select(Product.on_hand).where(Product.sku == sku)).scalar_one()


def entries(db, sku: str | None = None) -> list[tuple[str, int]]:
    """(kind, qty) of the stock entries, oldest first (of one product when given)."""
    with db.session(write=False) as s:
        q = select(StockEntry.kind, StockEntry.qty).join(Product, Product.id == StockEntry.product_id)
        if sku is not None:
            q = q.where(Product.sku == sku)
        return [tuple(r) for r in s.execute(q.order_by(StockEntry.id)).all()]


def stock_faults(db) -> list[str]:
    """Products whose on_hand differs from the sum of their stock entries."""
    with db.session(write=False) as s:
        sums = dict(s.execute(select(StockEntry.product_id, func.sum(StockEntry.qty))
                              .group_by(StockEntry.product_id)).all())
        return [f"{sku}: on_hand {n} != ledger {sums.get(pid, 0)}"
                for pid, sku, n in s.execute(select(Product.id, Product.sku, Product.on_hand)).all()
                if n != sums.get(pid, 0)]
