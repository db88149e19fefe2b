"""What the Products screen's list shows: a page of the catalogue search with each product's member
prices (tier names in both languages, so the screen shows the reader's), the total, and the
services a count-card package may cover. Reads only; the rules live in ``products``."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.models import MemberPrice, Product, Tier
from app.services.base.context import Ctx
from app.services.sales import catalog


@dataclass(frozen=True)
class TierPrice:
    code: str
    name_en: str
    name_zh: str
    price: int


@dataclass(frozen=True)
class ProductRow:
    product: catalog.ProductView
    member_prices: tuple[TierPrice, ...]    # by tier rank

    @property
    def id(self) -> int:
        return self.product.id


@dataclass(frozen=True)
class ProductPage:
    rows: tuple[ProductRow, ...]
    total: int | None        # products matching (asked with the first page only)
    shop_empty: bool         # no product at all, on sale or not (the screen says what to do next)


def member_prices_of(ctx: Ctx, product_ids: list[int]) -> dict[int, tuple[TierPrice, ...]]:
    out: dict[int, list[TierPrice]] = {}
    with ctx.tx(write=False) as t:
        for i in range(0, len(product_ids), 500):
            q = (select(MemberPrice.product_id, Tier.code, Tier.name_en, Tier.name_zh, MemberPrice.price)
                 .join(Tier, Tier.id == MemberPrice.tier_id)
                 .where(MemberPrice.product_id.in_(product_ids[i:i + 500])).order_by(Tier.rank))
            for pid, code, en, zh, price in t.s.execute(q):
                out.setdefault(pid, []).append(TierPrice(code, en, zh, price))
    return {pid: tuple(v) for pid, v in out.items()}


def page(ctx: Ctx, query: str = "", *, limit: int = 100, offset: int = 0, active_only: bool = True,
         with_total: bool = False) -> ProductPage:
    """One page of ``catalog.search`` (by name) with member prices; the total when ``with_total``."""
    found = catalog.search(ctx, query, limit=limit, offset=offset, active_only=active_only)
    prices = member_prices_of(ctx, [p.id for p in found])
    rows = tuple(ProductRow(p, prices.get(p.id, ())) for p in found)
    total = catalog.count(ctx, query, active_only=active_only) if with_total else None
    empty = bool(with_total and not total and not query.strip()
                 and (not active_only or catalog.count(ctx, "", active_only=False) == 0))
    return ProductPage(rows, total, empty)


def services(ctx: Ctx) -> list[tuple[str, str]]:
    """(SKU, name) of the services on sale, by name: what a count-card package may cover."""
    with ctx.tx(write=False) as t:
        return [(sku, name) for sku, name in t.s.execute(
            select(Product.sku, Product.name).where(Product.kind == "service", Product.active.is_(True))
            .order_by(Product.name))]


def sku_of(ctx: Ctx, product_id: int | None) -> str | None:
    if product_id is None:
        return None
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Product.sku).where(Product.id == product_id)).scalar()
