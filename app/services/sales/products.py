"""Keeping the catalogue: products created, edited, deactivated (a product that has sold is never
deleted), their barcodes and member prices, and the shop's managed list of categories.

Every rule is checked by ``problems`` before anything is written, so the editor can show each
field's error where it is and the import can list every bad row; ``create`` and ``update`` raise
the first one. The till reads products through ``catalog`` (lookup, search)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable

from sqlalchemy import delete, exists, func, select
from sqlalchemy import update as sql_update

from app.errors import Duplicate, NotFound, ShopError, ValidationError
from app.models import Category, CountCard, MemberPrice, Product, ProductBarcode, SaleLine, StockEntry, Tier
from app.money import MAX_CARD_USES, MAX_POINTS_BALANCE, check_amount
from app.services.base import audit, permissions
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings
from app.services.sales import catalog

KINDS = ("goods", "service", "count_card")
SKU_MAX, BARCODE_MAX, NAME_MAX, UNIT_MAX, CATEGORY_MAX = 32, 32, 128, 8, 64
REORDER_MAX = 10_000_000
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class ProductInput:
    """A product as the editor or an import row describes it (amounts in minor units)."""
    sku: str
    name: str
    price: int
    barcodes: tuple[str, ...] = ()
    category: str = ""
    kind: str = "goods"
    unit: str = ""
    member_prices: dict[str, int] = field(default_factory=dict)   # tier code -> price
    no_member_price: bool = False
    points_eligible: bool = True
    discount_eligible: bool = True
    cost: int | None = None
    points_price: int | None = None
    track_stock: bool = False
    reorder_level: int | None = None
    favourite: bool = False
    colour: str = ""
    card_uses: int | None = None
    card_valid_days: int | None = None
    card_service_sku: str | None = None

    def tidy(self) -> ProductInput:
        codes = tuple(dict.fromkeys(c.strip() for c in self.barcodes if c and c.strip()))
        return replace(self, sku=(self.sku or "").strip(), name=" ".join((self.name or "").split()),
                       barcodes=codes, category=(self.category or "").strip(), unit=(self.unit or "").strip(),
                       colour=(self.colour or "").strip(),
                       card_service_sku=(self.card_service_sku or "").strip() or None,
                       member_prices={} if self.no_member_price else dict(self.member_prices))


@dataclass(frozen=True)
class ProductDetail:
    product: catalog.ProductView
    member_prices: dict[str, int]         # tier code -> price
    has_sales: bool


@dataclass(frozen=True)
class CategoryView:
    id: int
    name: str
    points_eligible: bool
    discount_eligible: bool
    active: bool
    products: int


# --- the rules ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Known:
    """What the rules read from the database, read once: an import checks 100,000 rows against one
    of these instead of querying for each (``known`` of :func:`problems`)."""
    currency: str
    tiers: frozenset[str]                          # tier codes
    categories: frozenset[str]
    taken: Callable[[tuple[str, ...], int | None], set[str]]   # (codes, product id) -> codes others use
    service_kind: Callable[[str], str | None]      # SKU -> its kind (a count card's service)


def known(t: Ctx) -> Known:
    """The database as the rules of one product need it (queried when asked)."""
    def service_kind(sku: str) -> str | None:
        return t.s.execute(select(Product.kind).where(Product.sku == sku)).scalar()

    return Known(load_settings(t).currency, frozenset(t.s.execute(select(Tier.code)).scalars()),
                 frozenset(t.s.execute(select(Category.name)).scalars()),
                 lambda codes, product_id: _codes_taken(t, codes, product_id), service_kind)


def problems(t: Ctx, data: ProductInput, product_id: int | None = None, *,
             known_now: Known | None = None) -> list[tuple[str, ShopError]]:
    """Every rule ``data`` breaks, as (field, error); empty when it can be saved. Reads only
    (``known_now``: what it reads, when the caller has it already)."""
    d = data.tidy()
    k = known_now or known(t)
    out: list[tuple[str, ShopError]] = []

    def amount(name: str, value: int | None, *, allow_zero: bool = True, label: str = "price") -> None:
        if value is None:
            return
        try:
            check_amount(value, k.currency, field=label, allow_zero=allow_zero)
        except ShopError as exc:
            out.append((name, exc))

    if not d.sku:
        out.append(("sku", ValidationError("sku_empty")))
    elif len(d.sku) > SKU_MAX:
        out.append(("sku", ValidationError("code_too_long", code=d.sku[:40], max=SKU_MAX)))
    if not d.name:
        out.append(("name", ValidationError("product_name_empty")))
    elif len(d.name) > NAME_MAX:
        out.append(("name", ValidationError("name_too_long", max=NAME_MAX)))
    if d.kind not in KINDS:
        out.append(("kind", ValidationError("product_kind_invalid", kind=d.kind)))
    if len(d.unit) > UNIT_MAX:
        out.append(("unit", ValidationError("unit_too_long", max=UNIT_MAX)))
    amount("price", d.price, allow_zero=d.kind != "count_card")
    amount("cost", d.cost, label="cost")
    for code in d.barcodes:
        if len(code) > BARCODE_MAX:
            out.append(("barcodes", ValidationError("code_too_long", code=code[:40], max=BARCODE_MAX)))
    if d.sku in d.barcodes:
        out.append(("barcodes", Duplicate("sku_duplicate", sku=d.sku)))
    taken = k.taken((d.sku, *d.barcodes), product_id)
    for code in (d.sku, *d.barcodes):
        if code and code in taken:
            out.append(("sku" if code == d.sku else "barcodes", Duplicate("sku_duplicate", sku=code)))
    if d.category and d.category not in k.categories:
        out.append(("category", NotFound("category_unknown", name=d.category)))
    for code, price in d.member_prices.items():
        if code not in k.tiers:
            out.append(("member_prices", NotFound("tier_not_found", tier=code)))
            continue
        before = len(out)
        amount("member_prices", price, label="member price")
        if len(out) == before and isinstance(d.price, int) and price > d.price:
            out.append(("member_prices", ValidationError("member_price_above", tier=code)))
    if d.points_price is not None and (isinstance(d.points_price, bool) or not isinstance(d.points_price, int)
                                       or not 0 < d.points_price <= MAX_POINTS_BALANCE):
        out.append(("points_price", ValidationError("points_price_invalid", value=repr(d.points_price)[:20])))
    if d.reorder_level is not None and (isinstance(d.reorder_level, bool) or not isinstance(d.reorder_level, int)
                                        or not 0 <= d.reorder_level <= REORDER_MAX):
        out.append(("reorder_level", ValidationError("reorder_level_invalid", value=repr(d.reorder_level)[:20])))
    if d.colour and not _COLOUR.fullmatch(d.colour):
        out.append(("colour", ValidationError("colour_invalid", value=d.colour[:20])))
    if d.kind == "count_card":
        if isinstance(d.card_uses, bool) or not isinstance(d.card_uses, int) or not 0 < d.card_uses <= MAX_CARD_USES:
            out.append(("card_uses", ValidationError("card_uses_invalid", max=MAX_CARD_USES)))
        if d.card_valid_days is not None and (not isinstance(d.card_valid_days, int) or d.card_valid_days < 0):
            out.append(("card_valid_days", ValidationError("card_days_invalid")))
        if not d.card_service_sku or k.service_kind(d.card_service_sku) != "service":
            out.append(("card_service_sku", NotFound("card_service_unknown", sku=d.card_service_sku or "")))
    return out


def _codes_taken(t: Ctx, codes: tuple[str, ...], product_id: int | None) -> set[str]:
    codes = tuple(c for c in codes if c)
    if not codes:
        return set()
    q1 = select(Product.sku).where(Product.sku.in_(codes))
    q2 = select(ProductBarcode.barcode).where(ProductBarcode.barcode.in_(codes))
    if product_id is not None:
        q1 = q1.where(Product.id != product_id)
        q2 = q2.where(ProductBarcode.product_id != product_id)
    return set(t.s.execute(q1).scalars()) | set(t.s.execute(q2).scalars())


def _raise_first(found: list[tuple[str, ShopError]]) -> None:
    if found:
        raise found[0][1]


# --- writing ------------------------------------------------------------------------------------
def _apply(t: Ctx, p: Product, d: ProductInput) -> None:
    service_id = None
    if d.kind == "count_card" and d.card_service_sku:
        service_id = t.s.execute(select(Product.id).where(Product.sku == d.card_service_sku)).scalar()
    for attr in ("sku", "name", "price", "category", "kind", "unit", "no_member_price", "points_eligible",
                 "discount_eligible", "cost", "points_price", "track_stock", "reorder_level", "favourite", "colour"):
        setattr(p, attr, getattr(d, attr))
    p.card_uses = d.card_uses if d.kind == "count_card" else None
    p.card_valid_days = d.card_valid_days if d.kind == "count_card" else None
    p.card_service_id = service_id
    t.s.flush()
    t.s.execute(delete(ProductBarcode).where(ProductBarcode.product_id == p.id))
    t.s.flush()
    for code in d.barcodes:
        t.s.add(ProductBarcode(product_id=p.id, barcode=code))
    t.s.execute(delete(MemberPrice).where(MemberPrice.product_id == p.id))
    tiers = dict(t.s.execute(select(Tier.code, Tier.id)).all())
    for code, price in sorted(d.member_prices.items()):
        t.s.add(MemberPrice(product_id=p.id, tier_id=tiers[code], price=price))
    catalog.write_keys(t, p.id, d.name, d.sku, d.barcodes, d.category)
    t.s.flush()


def _record(p: Product, d: ProductInput) -> dict:
    return {"sku": p.sku, "name": p.name, "price": p.price, "category": p.category, "kind": p.kind,
            "cost": p.cost, "member_prices": dict(d.member_prices), "active": p.active}


def create(ctx: Ctx, data: ProductInput) -> catalog.ProductView:
    permissions.require(ctx, "manage_products")
    d = data.tidy()
    with ctx.tx() as t:
        _raise_first(problems(t, d))
        p = Product(sku=d.sku, name=d.name, price=d.price, active=True)
        t.s.add(p)
        t.s.flush()
        _apply(t, p, d)
        audit.record(t, "product.add", "product", p.id, after=_record(p, d))
        ctx.db.cache.pop("products", None)
        return catalog.view(p, d.barcodes)


def update(ctx: Ctx, product_id: int, data: ProductInput) -> catalog.ProductView:
    """Change a product. Sales already made keep what they were sold as (lines are snapshots)."""
    permissions.require(ctx, "manage_products")
    d = data.tidy()
    with ctx.tx() as t:
        p = _get(t, product_id)
        _raise_first(problems(t, d, product_id))
        before = _record(p, replace(d, member_prices=_member_prices(t, p.id)))
        _apply(t, p, d)
        audit.record(t, "product.edit", "product", p.id, before=before, after=_record(p, d))
        ctx.db.cache.pop("products", None)
        return catalog.view(p, d.barcodes)


def set_active(ctx: Ctx, product_id: int, active: bool) -> catalog.ProductView:
    """Take a product off sale (or back on): it stays in history, reports and refunds."""
    permissions.require(ctx, "manage_products")
    with ctx.tx() as t:
        p = _get(t, product_id)
        if p.active != active:
            p.active = active
            audit.record(t, "product.activate" if active else "product.deactivate", "product", p.id)
        ctx.db.cache.pop("products", None)
        return catalog.views(t, [p])[0]


def remove(ctx: Ctx, product_id: int) -> None:
    """Delete a product that never sold, never moved stock and is no count card's package or service
    (a mistake just entered); anything else is deactivated instead."""
    permissions.require(ctx, "manage_products")
    with ctx.tx() as t:
        p = _get(t, product_id)
        if _has_history(t, p.id):
            raise ValidationError("product_has_sales", name=p.name)
        t.s.execute(delete(ProductBarcode).where(ProductBarcode.product_id == p.id))
        t.s.execute(delete(MemberPrice).where(MemberPrice.product_id == p.id))
        catalog.write_keys(t, p.id, "", "", (), "")
        audit.record(t, "product.remove", "product", p.id, before={"sku": p.sku, "name": p.name})
        t.s.delete(p)
        ctx.db.cache.pop("products", None)


def _has_history(t: Ctx, product_id: int) -> bool:
    return bool(t.s.execute(select(
        exists().where(SaleLine.product_id == product_id)
        | exists().where(StockEntry.product_id == product_id)
        | exists().where(CountCard.product_id == product_id)
        | exists().where(CountCard.service_id == product_id)
        | exists().where(Product.card_service_id == product_id))).scalar())


def _get(t: Ctx, product_id: int) -> Product:
    p = t.s.get(Product, product_id)
    if p is None:
        raise NotFound("product_not_found", id=product_id)
    return p


def _member_prices(t: Ctx, product_id: int) -> dict[str, int]:
    return dict(t.s.execute(select(Tier.code, MemberPrice.price).join(Tier, Tier.id == MemberPrice.tier_id)
                            .where(MemberPrice.product_id == product_id)).all())


def detail(ctx: Ctx, product_id: int) -> ProductDetail:
    with ctx.tx(write=False) as t:
        p = _get(t, product_id)
        return ProductDetail(catalog.views(t, [p])[0], _member_prices(t, p.id), _has_history(t, p.id))


def to_input(det: ProductDetail, service_sku: str | None = None) -> ProductInput:
    """The editor's starting point for an existing product."""
    v = det.product
    return ProductInput(sku=v.sku, name=v.name, price=v.price, barcodes=v.barcodes, category=v.category,
                        kind=v.kind, unit=v.unit, member_prices=dict(det.member_prices),
                        no_member_price=v.no_member_price, points_eligible=v.points_eligible,
                        discount_eligible=v.discount_eligible, cost=v.cost, points_price=v.points_price,
                        track_stock=v.track_stock, reorder_level=v.reorder_level, favourite=v.favourite,
                        colour=v.colour, card_uses=v.card_uses, card_valid_days=v.card_valid_days,
                        card_service_sku=service_sku)


def check(ctx: Ctx, data: ProductInput, product_id: int | None = None) -> list[tuple[str, ShopError]]:
    """``problems`` in its own read transaction (the editor's inline validation)."""
    with ctx.tx(write=False) as t:
        return problems(t, data, product_id)


# --- categories ---------------------------------------------------------------------------------
def categories(ctx: Ctx, *, active_only: bool = False) -> list[CategoryView]:
    with ctx.tx(write=False) as t:
        used = dict(t.s.execute(select(Product.category, func.count(Product.id)).group_by(Product.category)).all())
        q = select(Category).order_by(Category.sort, Category.name)
        if active_only:
            q = q.where(Category.active.is_(True))
        return [CategoryView(c.id, c.name, c.points_eligible, c.discount_eligible, c.active, used.get(c.name, 0))
                for c in t.s.execute(q).scalars()]


def _category_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("category_name_empty")
    if len(name) > CATEGORY_MAX:
        raise ValidationError("name_too_long", max=CATEGORY_MAX)
    return name


def add_category(ctx: Ctx, name: str, *, points_eligible: bool = True, discount_eligible: bool = True) -> CategoryView:
    permissions.require(ctx, "manage_products")
    name = _category_name(name)
    with ctx.tx() as t:
        if t.s.execute(select(Category.id).where(Category.name == name)).first():
            raise Duplicate("category_duplicate", name=name)
        sort = (t.s.execute(select(func.max(Category.sort))).scalar() or 0) + 1
        c = Category(name=name, points_eligible=points_eligible, discount_eligible=discount_eligible, sort=sort,
                     active=True)
        t.s.add(c)
        t.s.flush()
        audit.record(t, "category.add", "category", c.id, after={"name": name})
        return CategoryView(c.id, c.name, c.points_eligible, c.discount_eligible, c.active, 0)


def update_category(ctx: Ctx, category_id: int, *, name: str, points_eligible: bool, discount_eligible: bool,
                    active: bool = True) -> CategoryView:
    """Rename (its products follow) or change the rules of a category."""
    permissions.require(ctx, "manage_products")
    name = _category_name(name)
    with ctx.tx() as t:
        c = t.s.get(Category, category_id)
        if c is None:
            raise NotFound("category_unknown", name=str(category_id))
        if name != c.name and t.s.execute(select(Category.id).where(Category.name == name)).first():
            raise Duplicate("category_duplicate", name=name)
        old = c.name
        ids = list(t.s.execute(select(Product.id).where(Product.category == old)).scalars())
        if name != old:
            t.s.execute(sql_update(Product).where(Product.category == old).values(category=name))
            for p in t.s.execute(select(Product).where(Product.id.in_(ids))).scalars():
                catalog.write_keys(t, p.id, p.name, p.sku, catalog.barcodes_of(t, [p.id]).get(p.id, ()), name)
        c.name, c.points_eligible, c.discount_eligible, c.active = name, points_eligible, discount_eligible, active
        audit.record(t, "category.edit", "category", c.id, before={"name": old}, after={"name": name})
        ctx.db.cache.pop("products", None)
        return CategoryView(c.id, c.name, c.points_eligible, c.discount_eligible, c.active, len(ids))


def remove_category(ctx: Ctx, category_id: int) -> None:
    """Delete a category no product uses (else rename it or move its products first)."""
    permissions.require(ctx, "manage_products")
    with ctx.tx() as t:
        c = t.s.get(Category, category_id)
        if c is None:
            raise NotFound("category_unknown", name=str(category_id))
        n = t.s.execute(select(func.count(Product.id)).where(Product.category == c.name)).scalar() or 0
        if n:
            raise ValidationError("category_in_use", name=c.name, count=n)
        audit.record(t, "category.remove", "category", c.id, before={"name": c.name})
        t.s.delete(c)
