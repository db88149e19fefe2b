"""Stock of the products that track it: receiving (入库), adjustments by hand, the stocktake (盘点),
low stock, a product's stock history, and what a cart would take below zero (the till's warning).

Every movement goes through ``ledger/stock.py`` (the only writer of ``on_hand``). Receiving,
adjusting and counting are for a manager or the owner; adjustments and stocktakes are audited. A
stocktake is one transaction: every count is checked first, and one bad row changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app import money
from app.errors import NotFound, ValidationError, quoted
from app.i18n import NC_
from app.models import Product, Sale, Staff, StockEntry
from app.services.base import audit, permissions
from app.services.base.context import Ctx
from app.services.base.text_rules import check_line, check_text, column_max
from app.services.ledger import stock
from app.services.sales import catalog
from app.services.sales.cart import PricedCart

# One movement or one count of a product: a small shop's delivery is a few hundred units; a
# number past this is a slip of the keyboard (an extra zero, a barcode typed into the quantity).
MAX_UNITS = 100_000
REASON_MAX = 200

# What each kind of stock movement is called (msgctxt stock_kind:<kind>), for the screens and the CLI.
KIND_NAMES = {
    "opening": NC_("stock_kind:opening", "opening stock"), "received": NC_("stock_kind:received", "received"),
    "sold": NC_("stock_kind:sold", "sold"), "refunded": NC_("stock_kind:refunded", "refunded"),
    "adjusted": NC_("stock_kind:adjusted", "adjusted"), "counted": NC_("stock_kind:counted", "stocktake"),
}


@dataclass(frozen=True)
class StockMove:
    """One product's stock moved: by how much, and what it holds before and after."""
    product_id: int
    sku: str
    name: str
    kind: str
    qty: int
    before: int
    after: int


@dataclass(frozen=True)
class StockRow:
    """A product that tracks stock, as the stock tab lists it."""
    product_id: int
    sku: str
    name: str
    category: str
    unit: str
    on_hand: int
    reorder_level: int | None
    cost: int | None
    active: bool

    @property
    def shortfall(self) -> int:
        """Units short of the reorder level (none set: 0); 0 or more is low stock."""
        return (self.reorder_level or 0) - self.on_hand


@dataclass(frozen=True)
class CountRow:
    """One line of a stocktake: what the books say, what was counted, and the difference posted."""
    product_id: int
    sku: str
    name: str
    unit: str
    on_hand: int
    counted: int
    difference: int


@dataclass(frozen=True)
class StocktakeResult:
    ref: str
    rows: tuple[CountRow, ...]          # every product counted
    posted: int                         # products with a difference (one 'counted' entry each)


@dataclass(frozen=True)
class HistoryRow:
    id: int
    at: datetime
    kind: str
    qty: int
    after: int                          # on hand right after this movement
    unit_cost: int | None
    supplier: str
    receipt_no: str | None
    ref: str | None
    staff: str
    note: str


@dataclass(frozen=True)
class Shortage:
    """A cart line (or lines of one product) that would take its tracked stock below zero."""
    product_id: int
    sku: str
    name: str
    on_hand: int
    qty: int

    @property
    def after(self) -> int:
        return self.on_hand - self.qty


# --- checks ---------------------------------------------------------------------------------------
def check_units(value: object, field: str, name: str, *, low: int, high: int = MAX_UNITS) -> int:
    """A typed quantity of units as a whole number from ``low`` to ``high``; the error names the
    field and the product. Text of digits (a cell of a file, a field) is read; nothing else is."""
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if not (digits.isascii() and digits.isdigit()) or len(text) - len(digits) > 1:
            raise ValidationError("stock_qty_invalid", field=field, name=name, value=quoted(value.strip()))
        if len(digits) > 12:
            raise ValidationError("stock_qty_range", field=field, name=name, value=quoted(text), min=low, max=high)
        value = sign * int(digits)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("stock_qty_invalid", field=field, name=name, value=quoted(repr(value)))
    if not low <= value <= high:
        raise ValidationError("stock_qty_range", field=field, name=name, value=value, min=low, max=high)
    return value


def find_product(t: Ctx, key: int | str) -> Product:
    """A product by id, or by SKU (any case) or barcode as typed."""
    if isinstance(key, bool):
        raise NotFound("sku_unknown", sku=repr(key))
    if isinstance(key, int):
        p = t.s.get(Product, key)
        if p is None:
            raise NotFound("sku_unknown", sku=str(key))
        return p
    return catalog.lookup(t, str(key))


def countable(p: Product) -> None:
    """Refuse a product a stocktake cannot count: one no longer sold, or one that does not track stock."""
    if not p.active:
        raise ValidationError("stock_inactive", name=p.name, sku=p.sku)
    _tracked(p)


def _tracked(p: Product, *, active: bool = True) -> None:
    if not p.track_stock:
        raise ValidationError("stock_not_tracked", name=p.name, sku=p.sku)
    if active and not p.active:
        raise ValidationError("stock_inactive", name=p.name, sku=p.sku)


def _on_hand(t: Ctx, product_id: int) -> int:
    """The product's stock now, its row locked to the end of the transaction on PostgreSQL (SQLite's
    write transactions are one at a time already), so what is posted against it stays true."""
    return int(t.s.execute(select(Product.on_hand).where(Product.id == product_id).with_for_update()).scalar() or 0)


def _reason(reason: object) -> str:
    why = check_line(reason, "reason", max_len=REASON_MAX)
    if not why:
        raise ValidationError("reason_required")
    return why


# --- receiving and adjusting ----------------------------------------------------------------------
def receive(ctx: Ctx, sku_or_id: int | str, qty: object, *, unit_cost: int | None = None, supplier: str = "",
            note: str = "", update_cost: bool = False, ref: str | None = None) -> StockMove:
    """Goods delivered (入库): ``qty`` > 0 units in; with ``update_cost`` the unit cost becomes the
    product's cost price (what margins are worked out from from now on)."""
    permissions.require(ctx, "receive_stock")
    supplier = check_line(supplier, "supplier", max_len=column_max(StockEntry.supplier))
    note = check_text((note or "").strip(), "notes", max_len=500, multiline=True)
    ref = check_line(ref, "label", max_len=column_max(StockEntry.ref)) or None
    if unit_cost is not None:
        money.check_amount(unit_cost, field="unit cost", allow_zero=True)
    with ctx.tx() as t:
        p = find_product(t, sku_or_id)
        qty = check_units(qty, "received", p.name, low=1)
        _tracked(p)
        before = _on_hand(t, p.id)
        stock.post_stock(t, p.id, "received", qty, unit_cost=unit_cost, supplier=supplier, ref=ref, note=note)
        if update_cost and unit_cost is not None and unit_cost != p.cost:
            audit.record(t, "product.cost", "product", p.id, before={"cost": p.cost}, after={"cost": unit_cost},
                         reason="received")
            p.cost = unit_cost
            ctx.db.cache.pop("products", None)   # the till's lookups carry the cost into sale lines
        return StockMove(p.id, p.sku, p.name, "received", qty, before, before + qty)


def adjust(ctx: Ctx, product: int | str, qty: object, reason: str) -> StockMove:
    """A correction by hand (breakage, samples, a miscount found): signed units with a reason,
    audited. It may not take stock below zero: a product whose real stock is unknown is counted."""
    permissions.require(ctx, "adjust_stock")
    why = _reason(reason)
    with ctx.tx() as t:
        p = find_product(t, product)
        qty = check_units(qty, "adjustment", p.name, low=-MAX_UNITS)
        if qty == 0:
            raise ValidationError("adjust_nothing")
        _tracked(p, active=False)   # a product no longer sold may still be written off
        before = _on_hand(t, p.id)
        if qty < 0 and before + qty < 0:
            raise ValidationError("stock_adjust_below_zero", name=p.name, qty=-qty, on_hand=before)
        stock.post_stock(t, p.id, "adjusted", qty, note=why)
        audit.record(t, "stock.adjust", "product", p.id, before={"on_hand": before},
                     after={"on_hand": before + qty}, reason=why)
        return StockMove(p.id, p.sku, p.name, "adjusted", qty, before, before + qty)


# --- the stocktake --------------------------------------------------------------------------------
def _count_rows(t: Ctx, counts: dict) -> list[tuple[Product, int]]:
    """Each counted product with its count, every row checked before anything is written."""
    if not isinstance(counts, dict) or not counts:
        raise ValidationError("stocktake_empty")
    if len(counts) > 100_000:
        raise ValidationError("stock_qty_range", field="counted", name="-", value=len(counts), min=1, max=100_000)
    found: dict[int, tuple[Product, int, object]] = {}
    for key, value in counts.items():
        p = find_product(t, key.strip() if isinstance(key, str) else key)
        counted = check_units(value, "counted", p.name, low=0)
        countable(p)
        if p.id in found:
            raise ValidationError("stocktake_twice", name=p.name, first=str(found[p.id][2]), second=str(key))
        found[p.id] = (p, counted, key)
    return [(p, counted) for p, counted, _key in found.values()]


def preview_stocktake(ctx: Ctx, counts: dict) -> list[CountRow]:
    """What posting ``counts`` ({SKU, barcode or product id: units counted}) would change; nothing
    is written. The same checks as ``post_stocktake``."""
    with ctx.tx(write=False) as t:
        return [CountRow(p.id, p.sku, p.name, p.unit or "", p.on_hand, n, n - p.on_hand)
                for p, n in _count_rows(t, counts)]


def post_stocktake(ctx: Ctx, counts: dict, ref: str | None = None, note: str = "") -> StocktakeResult:
    """Make each counted product's stock what was counted: one 'counted' entry per product whose count
    differs from its stock at this moment, all in one transaction, audited as one stocktake."""
    permissions.require(ctx, "stocktake")
    note = check_text((note or "").strip(), "notes", max_len=500, multiline=True)
    with ctx.tx() as t:
        ref = check_line(ref, "label", max_len=column_max(StockEntry.ref)) or f"{t.till}-{t.now():%Y%m%d-%H%M%S}"
        counted_rows = _count_rows(t, counts)
        # the stock now, every counted row locked (PostgreSQL) in id order, the order checkout locks in
        ids, now = sorted(p.id for p, _n in counted_rows), {}
        for i in range(0, len(ids), 500):
            now.update(t.s.execute(select(Product.id, Product.on_hand).where(Product.id.in_(ids[i:i + 500]))
                                   .order_by(Product.id).with_for_update()).all())
        rows = [CountRow(p.id, p.sku, p.name, p.unit or "", now[p.id] or 0, n, n - (now[p.id] or 0))
                for p, n in counted_rows]
        moves = [(r.product_id, r.difference) for r in rows if r.difference]
        if moves:
            stock.post_stock_many(t, "counted", moves, ref=ref, note=note)
            changed = [r for r in rows if r.difference]
            audit.record(t, "stock.count", "stocktake", ref, before={r.sku: r.on_hand for r in changed},
                         after={r.sku: r.counted for r in changed},
                         reason=note or None)
        return StocktakeResult(ref, tuple(rows), len(moves))


# --- reading --------------------------------------------------------------------------------------
def _row(p: Product) -> StockRow:
    return StockRow(p.id, p.sku, p.name, p.category or "", p.unit or "", p.on_hand or 0, p.reorder_level,
                    p.cost, bool(p.active))


def tracked(ctx: Ctx, *, category: str | None = None, low_only: bool = False) -> list[StockRow]:
    """The active products that track stock (of one category when given), by category and name;
    with ``low_only`` just those at or below their reorder level (see ``low_stock``)."""
    if low_only:
        rows = low_stock(ctx)
        return [r for r in rows if category is None or r.category == category]
    with ctx.tx(write=False) as t:
        q = select(Product).where(Product.track_stock.is_(True), Product.active.is_(True))
        if category is not None:
            q = q.where(Product.category == category)
        return [_row(p) for p in t.s.execute(q.order_by(Product.category, Product.name, Product.id)).scalars()]


def low_stock(ctx: Ctx) -> list[StockRow]:
    """Active products that track stock and hold no more than their reorder level (no level: 0, so
    what has run out is listed too), the furthest below it first."""
    level = func.coalesce(Product.reorder_level, 0)
    with ctx.tx(write=False) as t:
        q = (select(Product).where(Product.track_stock.is_(True), Product.active.is_(True), Product.on_hand <= level)
             .order_by((level - Product.on_hand).desc(), Product.name, Product.id))
        return [_row(p) for p in t.s.execute(q).scalars()]


def tracked_categories(ctx: Ctx) -> list[str]:
    """The categories of the products that track stock (for a stocktake of one category)."""
    with ctx.tx(write=False) as t:
        return list(t.s.execute(select(Product.category).where(Product.track_stock.is_(True), Product.active.is_(True),
                                                               Product.category != "")
                                .distinct().order_by(Product.category)).scalars())


def history(ctx: Ctx, product: int | str, limit: int = 50) -> list[HistoryRow]:
    """A product's stock movements, newest first, each with the stock right after it."""
    limit = max(0, min(int(limit), 1000))
    with ctx.tx(write=False) as t:
        p = find_product(t, product)
        rows = t.s.execute(select(StockEntry, Sale.receipt_no, Staff.name)
                           .outerjoin(Sale, Sale.id == StockEntry.sale_id)
                           .outerjoin(Staff, Staff.id == StockEntry.staff_id)
                           .where(StockEntry.product_id == p.id)
                           .order_by(StockEntry.id.desc()).limit(limit)).all()
        after, out = p.on_hand or 0, []
        for e, receipt_no, staff in rows:
            out.append(HistoryRow(e.id, e.created_at, e.kind, e.qty, after, e.unit_cost, e.supplier or "",
                                  receipt_no, e.ref, staff or "", e.note or ""))
            after -= e.qty
        return out


def shortages(ctx: Ctx, priced: PricedCart) -> list[Shortage]:
    """The products of ``priced`` that track stock and would end below zero if it were sold now
    (what the till warns of; with the setting "refuse" checkout refuses them)."""
    wanted: dict[int, int] = {}
    for line in priced.lines:
        if line.track_stock:
            wanted[line.product_id] = wanted.get(line.product_id, 0) + line.qty
    if not wanted:
        return []
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Product.id, Product.sku, Product.name, Product.on_hand)
                           .where(Product.id.in_(list(wanted)), Product.track_stock.is_(True))).all()
    return [Shortage(pid, sku, name, on_hand or 0, wanted[pid]) for pid, sku, name, on_hand in rows
            if (on_hand or 0) - wanted[pid] < 0]
