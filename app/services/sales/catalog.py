"""Products: the shop's goods, services and count-card packages, found by SKU or barcode."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, literal, select, union_all

from app.errors import Duplicate, NotFound, ValidationError
from app.i18n import L_
from app.models import Category, MemberPrice, Product, ProductBarcode, ProductSearchKey
from app.money import check_amount
from app.services.base import permissions
from app.services.base.context import Ctx
from app.services.sales.search_keys import normalise, prefix_range, product_keys


@dataclass(frozen=True)
class ProductView:
    id: int
    sku: str
    barcodes: tuple[str, ...]
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
    unit: str = ""
    cost: int | None = None
    no_member_price: bool = False
    points_price: int | None = None
    track_stock: bool = False
    reorder_level: int | None = None
    on_hand: int = 0
    favourite: bool = False
    colour: str = ""
    member_prices: tuple[tuple[int, int], ...] = ()   # (tier id, price): the tiers' member prices (会员价)

    def member_price(self, tier_id: int | None) -> int | None:
        """The price for a member of ``tier_id``, if the product has one and allows member prices."""
        if tier_id is None or self.no_member_price:
            return None
        return next((price for tier, price in self.member_prices if tier == tier_id), None)

    @property
    def barcode(self) -> str | None:
        """The first barcode (the one a label shows), if any."""
        return self.barcodes[0] if self.barcodes else None


def view(p: Product, barcodes: tuple[str, ...] | list[str] = (),
         member_prices: tuple[tuple[int, int], ...] = ()) -> ProductView:
    return ProductView(p.id, p.sku, tuple(barcodes), p.name, p.category, p.price, p.kind, p.points_eligible,
                       p.discount_eligible, p.active, p.card_uses, p.card_valid_days, p.card_service_id,
                       p.unit or "", p.cost, bool(p.no_member_price), p.points_price, bool(p.track_stock),
                       p.reorder_level, p.on_hand or 0, bool(p.favourite), p.colour or "",
                       tuple(member_prices))


def barcodes_of(t: Ctx, product_ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for i in range(0, len(product_ids), 500):
        for pid, code in t.s.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                     .where(ProductBarcode.product_id.in_(product_ids[i:i + 500]))
                                     .order_by(ProductBarcode.id)):
            out.setdefault(pid, []).append(code)
    return {pid: tuple(codes) for pid, codes in out.items()}


def member_prices_of(t: Ctx, product_ids: list[int]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Every tier's member price of these products, in one query per 500 products."""
    out: dict[int, list[tuple[int, int]]] = {}
    for i in range(0, len(product_ids), 500):
        for pid, tier_id, price in t.s.execute(select(MemberPrice.product_id, MemberPrice.tier_id, MemberPrice.price)
                                               .where(MemberPrice.product_id.in_(product_ids[i:i + 500]))
                                               .order_by(MemberPrice.tier_id)):
            out.setdefault(pid, []).append((tier_id, price))
    return {pid: tuple(rows) for pid, rows in out.items()}


def views(t: Ctx, products: list[Product]) -> list[ProductView]:
    ids = [p.id for p in products]
    codes, prices = barcodes_of(t, ids), member_prices_of(t, ids)
    return [view(p, codes.get(p.id, ()), prices.get(p.id, ())) for p in products]


def _find(t: Ctx, codes: set[str]) -> dict[str, Product]:
    """Products for codes as typed: the SKU exactly, a barcode, else the SKU in any letter case."""
    found: dict[str, Product] = {}
    for p in t.s.execute(select(Product).where(Product.sku.in_(codes))).scalars():
        found[p.sku] = p
    rest = codes - found.keys()
    if rest:
        for code, p in t.s.execute(select(ProductBarcode.barcode, Product).join(
                Product, Product.id == ProductBarcode.product_id).where(ProductBarcode.barcode.in_(rest))):
            found[code] = p
    rest = codes - found.keys()
    if rest:  # "p001" for "P001": the normalised SKU is one of the product's search keys
        norm = {normalise(c): c for c in rest if normalise(c)}
        if norm:
            for key, p in t.s.execute(select(ProductSearchKey.key, Product).join(
                    Product, Product.id == ProductSearchKey.product_id).where(ProductSearchKey.key.in_(norm))):
                code = norm[key]
                if normalise(p.sku) == key and code not in found:
                    found[code] = p
    return found


def lookup(t: Ctx, code: str) -> Product:
    """A product by SKU (any letter case) or barcode, as a scanner or a cashier types it."""
    text = (code or "").strip()
    p = _find(t, {text}).get(text) if text else None
    if p is None:
        raise NotFound("sku_unknown", sku=text)
    return p


# A till scans the same products all day: each process keeps what it looked up for a few seconds
# (a change made here clears it; a price changed on another till is seen within this time).
CACHE_SECONDS = 10.0


_P = Product.__table__
_B = ProductBarcode.__table__


def _find_rows(t: Ctx, codes: set[str]) -> dict[str, object]:
    """``_find`` for the till, without the ORM: code as typed -> the product's row. SKUs and
    barcodes are matched in one statement (a SKU wins), the SKU in another letter case after."""
    conn = t.s.connection()
    ids: dict[str, int] = {}
    for code, pid, is_sku in conn.execute(union_all(
            select(_P.c.sku, _P.c.id, literal(1)).where(_P.c.sku.in_(codes)),
            select(_B.c.barcode, _B.c.product_id, literal(0)).where(_B.c.barcode.in_(codes)))):
        if is_sku or code not in ids:
            ids[code] = pid
    rest = codes - ids.keys()
    if rest:
        ids.update({code: p.id for code, p in _find(t, rest).items()})
    rows = {r.id: r for r in conn.execute(select(_P).where(_P.c.id.in_(set(ids.values()))))} if ids else {}
    return {code: rows[pid] for code, pid in ids.items()}


def lookup_many(t: Ctx, codes: list[str]) -> dict[str, ProductView]:
    """Several products at once, keyed by the code as typed (SKU or barcode)."""
    wanted = {(c or "").strip() for c in codes}
    cache: dict = t.db.cache.setdefault("products", {})
    now = time.monotonic()
    found = {c: hit[1] for c in wanted if (hit := cache.get(c)) is not None and now - hit[0] < CACHE_SECONDS}
    missing = wanted - found.keys()
    if missing:
        rows = _find_rows(t, {c for c in missing if c})
        ids = list({p.id for p in rows.values()})
        codes, prices = barcodes_of(t, ids), member_prices_of(t, ids)  # a cart's prices in one query
        for code, p in rows.items():
            found[code] = view(p, codes.get(p.id, ()), prices.get(p.id, ()))
            cache[code] = (now, found[code])
    for code in wanted:
        if code not in found:
            raise NotFound("sku_unknown", sku=code)
    return found


def write_keys(t: Ctx, product_id: int, name: str, sku: str, barcodes: list[str] | tuple[str, ...],
               category: str) -> None:
    """Replace one product's search keys (after it is added or its name, codes or category change)."""
    t.s.execute(delete(ProductSearchKey).where(ProductSearchKey.product_id == product_id))
    keys = product_keys(name, sku, barcodes, category)
    if keys:
        t.s.execute(insert(ProductSearchKey), [{"product_id": product_id, "key": k} for k in sorted(keys)])


def _matches(t: Ctx, query: str, active_only: bool):
    q = select(Product)
    bounds = prefix_range(query)
    if bounds is not None:
        ids = (select(ProductSearchKey.product_id)
               .where(ProductSearchKey.key >= bounds[0], ProductSearchKey.key < bounds[1]))
        q = q.where(Product.id.in_(ids))
    if active_only:
        q = q.where(Product.active.is_(True))
    return q


def search(ctx: Ctx, query: str = "", *, limit: int = 50, offset: int = 0,
           active_only: bool = True) -> list[ProductView]:
    """Products whose name, pinyin initials or syllables, SKU, barcode or category start with (or,
    for names and initials, contain) the typed text, by name; all products when it is empty."""
    with ctx.tx(write=False) as t:
        # plain rows, not ORM objects: a page is read, shown and dropped as the cashier types
        q = _matches(t, query, active_only).with_only_columns(*Product.__table__.c)
        rows = t.s.execute(q.order_by(Product.name, Product.id).limit(limit).offset(offset)).all()
        return views(t, list(rows))


def count(ctx: Ctx, query: str = "", *, active_only: bool = True) -> int:
    with ctx.tx(write=False) as t:
        sub = _matches(t, query, active_only).with_only_columns(Product.id).subquery()
        return int(t.s.execute(select(func.count()).select_from(sub)).scalar() or 0)


def add_product(ctx: Ctx, *, sku: str, name: str, price: int, category: str = "", barcode: str | None = None,
                kind: str = "goods", points_eligible: bool = True, discount_eligible: bool = True,
                card_uses: int | None = None, card_valid_days: int | None = None,
                card_service_sku: str | None = None, barcodes: tuple[str, ...] = ()) -> ProductView:
    """A product in one call, for the demo, benchmarks and tests; the app and imports go through
    ``products.create`` and its rules. A category not yet in the list is added to it."""
    permissions.require(ctx, "manage_products")
    sku = (sku or "").strip()
    if not sku:
        raise NotFound("sku_unknown", sku=sku)
    if not (name or "").strip():
        raise ValidationError("product_name_empty")
    check_amount(price, field="price", allow_zero=True)
    if kind not in ("goods", "service", "count_card"):
        raise ValidationError("setting_invalid", key="kind", why=L_("goods, service or count_card"))
    codes = tuple(dict.fromkeys(c.strip() for c in ((barcode,) if barcode else ()) + tuple(barcodes) if c and c.strip()))
    with ctx.tx() as t:
        for code in (sku, *codes):
            clash = t.s.execute(select(Product.id).where(Product.sku == code).union(
                select(ProductBarcode.product_id).where(ProductBarcode.barcode == code))).first()
            if clash:
                raise Duplicate("sku_duplicate", sku=code)
        service_id = None
        if kind == "count_card":
            if not card_uses or card_uses <= 0 or not card_service_sku:
                raise ValidationError("setting_invalid", key="card_uses", why=L_("a count card needs uses and a service"))
            service_id = lookup(t, card_service_sku).id
        if category and t.s.execute(select(Category.id).where(Category.name == category)).first() is None:
            t.s.add(Category(name=category))       # the demo and scripts name categories as they go
        p = Product(sku=sku, name=name.strip(), category=category, price=price, kind=kind,
                    points_eligible=points_eligible, discount_eligible=discount_eligible, active=True,
                    card_uses=card_uses, card_valid_days=card_valid_days, card_service_id=service_id)
        t.s.add(p)
        t.s.flush()
        for code in codes:
            t.s.add(ProductBarcode(product_id=p.id, barcode=code))
        write_keys(t, p.id, p.name, sku, codes, category)
        t.s.flush()
        ctx.db.cache.pop("products", None)
        return view(p, codes)


def favourites(ctx: Ctx) -> list[ProductView]:
    """The products on the till's touch grid (ticked "Favourite on the till"), by category and name."""
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Product).where(Product.favourite.is_(True), Product.active.is_(True))
                           .order_by(Product.category, Product.name, Product.id)).scalars().all()
        return views(t, list(rows))


@dataclass(frozen=True)
class CategoryRule:
    """A category as an open-price line uses it: may it earn points, may it be discounted."""
    name: str
    points_eligible: bool
    discount_eligible: bool


def category_rules(t: Ctx, names: set[str] | None = None) -> dict[str, CategoryRule]:
    """Active categories (all, or those named), in the shop's order."""
    q = select(Category).where(Category.active.is_(True)).order_by(Category.sort, Category.name)
    if names is not None:
        q = q.where(Category.name.in_(names))
    return {c.name: CategoryRule(c.name, bool(c.points_eligible), bool(c.discount_eligible))
            for c in t.s.execute(q).scalars()}


def list_products(ctx: Ctx, active_only: bool = True) -> list[ProductView]:
    with ctx.tx(write=False) as t:
        q = select(Product).order_by(Product.category, Product.name)
        if active_only:
            q = q.where(Product.active.is_(True))
        return views(t, list(t.s.execute(q).scalars()))
