"""Products: the shop's goods, services and count-card packages, found by SKU or barcode."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import or_, select

from app.errors import Duplicate, NotFound, ValidationError
from app.i18n import L_
from app.models import Product
from app.money import check_amount
from app.services.base import permissions
from app.services.base.context import Ctx


@dataclass(frozen=True)
class ProductView:
    id: int
    sku: str
    barcode: str | None
    name: str
    category: str
    price: int
    kind: str
    points_eligible: bool
    discount_eligible: bool
    active: bool
    card_uses: int | None
    card_valid_days: int | None
    card_service_id: int | None


def view(p: Product) -> ProductView:
    return ProductView(p.id, p.sku, p.barcode, p.name, p.category, p.price, p.kind, p.points_eligible,
                       p.discount_eligible, p.active, p.card_uses, p.card_valid_days, p.card_service_id)


def lookup(t: Ctx, code: str) -> Product:
    """A product by SKU or barcode, as a scanner types it."""
    text = (code or "").strip()
    p = t.s.execute(select(Product).where(or_(Product.sku == text, Product.barcode == text))).scalars().first()
    if p is None:
        raise NotFound("sku_unknown", sku=text)
    return p


# A till scans the same products all day: each process keeps what it looked up for a few seconds
# (a change made here clears it; a price changed on another till is seen within this time).
CACHE_SECONDS = 10.0


def lookup_many(t: Ctx, codes: list[str]) -> dict[str, ProductView]:
    """Several products at once, keyed by the code as typed (SKU or barcode)."""
    wanted = {(c or "").strip() for c in codes}
    cache: dict = t.db.cache.setdefault("products", {})
    now = time.monotonic()
    found = {c: hit[1] for c in wanted if (hit := cache.get(c)) is not None and now - hit[0] < CACHE_SECONDS}
    missing = wanted - found.keys()
    if missing:
        for p in t.s.execute(select(Product).where(or_(Product.sku.in_(missing),
                                                       Product.barcode.in_(missing)))).scalars():
            for code in (p.sku, p.barcode):
                if code in missing and code not in found:
                    found[code] = view(p)
                    cache[code] = (now, found[code])
    for code in wanted:
        if code not in found:
            raise NotFound("sku_unknown", sku=code)
    return found


def add_product(ctx: Ctx, *, sku: str, name: str, price: int, category: str = "", barcode: str | None = None,
                kind: str = "goods", points_eligible: bool = True, discount_eligible: bool = True,
                card_uses: int | None = None, card_valid_days: int | None = None,
                card_service_sku: str | None = None) -> ProductView:
    permissions.require(ctx, "manage_products")
    sku = (sku or "").strip()
    if not sku:
        raise NotFound("sku_unknown", sku=sku)
    if not (name or "").strip():
        raise ValidationError("name_empty")
    check_amount(price, field="price", allow_zero=True)
    if kind not in ("goods", "service", "count_card"):
        raise ValidationError("setting_invalid", key="kind", why=L_("goods, service or count_card"))
    with ctx.tx() as t:
        clash = t.s.execute(select(Product.id).where(or_(Product.sku == sku, Product.barcode == sku,
                                                         *( [Product.sku == barcode, Product.barcode == barcode]
                                                            if barcode else [])))).first()
        if clash:
            raise Duplicate("sku_duplicate", sku=barcode if barcode and clash else sku)
        service_id = None
        if kind == "count_card":
            if not card_uses or card_uses <= 0 or not card_service_sku:
                raise ValidationError("setting_invalid", key="card_uses", why=L_("a count card needs uses and a service"))
            service_id = lookup(t, card_service_sku).id
        p = Product(sku=sku, barcode=barcode or None, name=name.strip(), category=category, price=price, kind=kind,
                    points_eligible=points_eligible, discount_eligible=discount_eligible, active=True,
                    card_uses=card_uses, card_valid_days=card_valid_days, card_service_id=service_id)
        t.s.add(p)
        t.s.flush()
        ctx.db.cache.pop("products", None)
        return view(p)


def list_products(ctx: Ctx, active_only: bool = True) -> list[ProductView]:
    with ctx.tx(write=False) as t:
        q = select(Product).order_by(Product.category, Product.name)
        if active_only:
            q = q.where(Product.active.is_(True))
        return [view(p) for p in t.s.execute(q).scalars()]
