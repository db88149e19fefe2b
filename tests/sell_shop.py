"""Test helpers for member prices, categories and points prices, written straight to the tables
(their editors belong to the Products tab; these tests are about what the till does with them)."""
from __future__ import annotations

from sqlalchemy import select, update

from app.models import Category, MemberPrice, Product, Tier


def tier_id(ctx, code: str) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Tier.id).where(Tier.code == code)).scalar_one()


def set_member_price(ctx, sku: str, tier: str, price: int) -> None:
    tid = tier_id(ctx, tier)
    with ctx.tx() as t:
        pid = t.s.execute(select(Product.id).where(Product.sku == sku)).scalar_one()
        t.s.add(MemberPrice(product_id=pid, tier_id=tid, price=price))
    ctx.db.cache.pop("products", None)


def set_product(ctx, sku: str, **values) -> None:
    with ctx.tx() as t:
        t.s.execute(update(Product).where(Product.sku == sku).values(**values))
    ctx.db.cache.pop("products", None)


def add_category(ctx, name: str, *, points: bool = True, discount: bool = True, sort: int = 0,
                 active: bool = True) -> None:
    with ctx.tx() as t:
        t.s.add(Category(name=name, points_eligible=points, discount_eligible=discount, sort=sort, active=active))
