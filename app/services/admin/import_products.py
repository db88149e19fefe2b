"""The product catalogue in and out of a file (``shopcare import products`` / ``export products``,
the Products screen's Import… and Export…).

Import: CSV (UTF-8 with or without BOM, GB18030, Big5) or XLSX (the first sheet, or ``sheet``);
headers in English or Chinese as shops write them (import_columns.PRODUCT_COLUMNS, product_columns.py:
several barcode columns, a member price for every tier or one per tier). Every row is read and
checked by the products service's own rules (``products.problems``) against the database and the
rest of the file, and EVERY bad row comes back with its row number, column, value and reason:

- all or nothing: any bad row raises ``ImportFailed('import_rows', rows=<RowError>...)`` and
  nothing is written; ``skip_bad``: the good rows go in, the bad ones are in ``errors``;
- a SKU or barcode twice in the file is bad on both rows (each names the other); one that is
  already a product's is bad unless ``update``, which changes that product (matched by SKU, else
  by barcode) in the columns the file has, reporting each change; a row that changes nothing
  counts as ``unchanged``;
- an unknown category is bad unless ``add_categories``, which adds it (``new_categories``);
- opening stock (the stock column) turns stock tracking on and is an ``opening`` stock entry
  (ledger/stock.post_stock_many); a product that already has a stock record keeps it (changing
  it takes a stock count);
- a new product without a SKU gets the next free ``P000001``.

One write transaction (the catalogue lock on PostgreSQL, IMMEDIATE on SQLite: two imports run one
after the other, the second checked against the first's products); bulk inserts and updates;
audited (who, file, counts). ``dry_run`` checks and reports the same without writing (and never
raises for bad rows). Export: owner only, audited, private file, no formula cells
(base/export.py), headers in the reader's language, read back by this import unchanged.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Callable, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, text, update

from app import i18n
from app.errors import Duplicate, ImportFailed, ShopError, ValidationError, render
from app.models import Category, MemberPrice, Product, ProductBarcode, ProductSearchKey, StockEntry, Tier
from app.money import to_major_str
from app.services.admin import import_batches, product_columns
from app.services.admin.import_common import CHUNK, big_cache
from app.services.admin.product_rows import FIELDS, Columns, Parsed, parse
from app.services.base import audit, language, permissions
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings
from app.services.base.tabular import read_table
from app.services.ledger.stock import post_stock_many
from app.services.sales import products
from app.services.sales.search_keys import product_keys

CATALOGUE_LOCK = 0x5C_CA7A  # PostgreSQL advisory lock: one catalogue import at a time
SKU_FORMAT = "P{:06d}"


@dataclass(frozen=True)
class RowError:
    row: int                 # as in the file (the header is row 1)
    column: str              # the column as the file names it ("" for the row as a whole)
    message: str             # in the user's language (``text(lang)`` for another)
    value: str = ""
    code: str = ""
    error: ShopError | None = field(default=None, compare=False, repr=False)

    @property
    def row_no(self) -> int:
        return self.row

    def text(self, lang: str | None) -> str:
        why = render(self.error, lang) if self.error is not None else self.message
        if not self.column or why.startswith(self.column):
            return why
        return f"{self.column}{'：' if i18n.is_han(lang) else ': '}{why}"


class Change(NamedTuple):
    row: int
    sku: str
    field: str               # the column as the file names it
    before: str
    after: str


@dataclass(frozen=True)
class ProductImportResult:
    added: int
    updated: int
    skipped: int
    unchanged: int
    errors: tuple[RowError, ...]
    changes: tuple[Change, ...]
    new_categories: tuple[str, ...]
    opening_stock: int       # units put in stock by opening entries
    batch_id: int | None = None   # the import batch (None for a dry run): what an undo takes back


@dataclass
class _Plan:
    row_no: int
    data: products.ProductInput
    product_id: int | None           # the product it changes (update), else a new one
    stock: int | None                # opening stock to post
    changes: list[Change]


def import_products(ctx: Ctx, path: str | Path, *, skip_bad: bool = False, update: bool = False,
                    add_categories: bool = False, sheet: str | None = None, dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> ProductImportResult:
    permissions.require(ctx, "manage_products")
    cfg = load_settings(ctx)
    lang = language.configured_language(ctx) or language.language_from_env()
    with ctx.tx(write=False) as t:
        tiers = [product_columns.TierName(c, en, zh) for c, en, zh in
                 t.s.execute(select(Tier.code, Tier.name_en, Tier.name_zh).order_by(Tier.rank))]
    table = read_table(path, product_columns.columns(), ("name",), region=cfg.region, sheet=sheet,
                       classify=product_columns.classifier(Path(path).name, tiers))
    cols = Columns(table)
    total = len(table.rows)
    codes = [t.code for t in tiers]
    parsed = []
    for i, row in enumerate(table.rows, 1):
        parsed.append(parse(row, cols, cfg.currency, codes))
        if progress is not None and i % 5000 == 0:
            progress(i // 4, total)          # reading is about a quarter of the work
    with ctx.tx(write=not dry_run) as t:
        if not dry_run:
            _lock(t)
            big_cache(t)
        plans, errors, new_categories = _check(t, parsed, cols, cfg.currency, lang, update=update,
                                               add_categories=add_categories)
        if progress is not None:
            progress(total // 2, total)
        if errors and not skip_bad and not dry_run:
            raise ImportFailed("import_rows", file=table.file, count=len({e.row for e in errors}), rows=tuple(errors))
        bad_rows = {e.row for e in errors}
        good = [p for p in plans if p.row_no not in bad_rows]
        if skip_bad:
            used = {p.data.category for p in good}
            new_categories = [c for c in new_categories if c in used]
        new = [p for p in good if p.product_id is None]
        changed = [p for p in good if p.product_id is not None and p.changes]
        same = [p for p in good if p.product_id is not None and not p.changes]
        opening = sum(p.stock or 0 for p in good)
        result = ProductImportResult(
            added=len(new), updated=len(changed), skipped=len(bad_rows) if skip_bad or dry_run else 0,
            unchanged=len(same), errors=tuple(errors), changes=tuple(c for p in changed for c in p.changes),
            new_categories=tuple(new_categories), opening_stock=opening)
        if dry_run:
            return result
        batch = import_batches.begin(t, "products", table.file)
        _write(t, new, changed, new_categories, table.file, progress, total, batch)
        import_batches.finish(t, batch, {"added": result.added, "updated": result.updated,
                                         "unchanged": result.unchanged, "skipped": result.skipped,
                                         "opening_stock": opening})
        audit.record(t, "import.products", "import", None, after={
            "file": table.file, "added": result.added, "updated": result.updated, "unchanged": result.unchanged,
            "skipped": result.skipped, "skipped_rows": sorted(bad_rows)[:1000],
            "new_categories": list(new_categories), "opening_stock": opening, "ignored_columns": list(table.ignored),
            "batch": batch})
        ctx.db.cache.pop("products", None)
        if progress is not None:
            progress(total, total)
        return replace(result, batch_id=batch)


def _lock(t: Ctx) -> None:
    if t.s.bind.dialect.name == "postgresql":
        t.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CATALOGUE_LOCK})


# --- checking -----------------------------------------------------------------------------------
class _Existing:
    """The catalogue's codes, and the products a file's rows match, read once."""

    def __init__(self, t: Ctx) -> None:
        self.t = t
        self.sku_id = dict(t.s.execute(select(Product.sku, Product.id)).all())
        self.code_owner = dict(t.s.execute(select(ProductBarcode.barcode, ProductBarcode.product_id)).all())

    def match(self, sku: str, barcodes: tuple[str, ...]) -> tuple[int | None, ShopError | None]:
        by_sku = self.sku_id.get(sku) if sku else None
        by_code = next((self.code_owner[c] for c in barcodes if c in self.code_owner), None)
        if by_sku is not None and by_code is not None and by_sku != by_code:
            code = next(c for c in barcodes if self.code_owner.get(c) == by_code)
            return by_sku, Duplicate("import_matches_two", sku=sku, barcode=code)
        return (by_sku if by_sku is not None else by_code), None

    def taken(self, codes: tuple[str, ...], product_id: int | None) -> set[str]:
        out = set()
        for c in codes:
            for owner in (self.sku_id.get(c), self.code_owner.get(c)):
                if owner is not None and owner != product_id:
                    out.add(c)
        return out

    def load(self, ids: list[int]) -> dict[int, tuple[products.ProductInput, int, bool]]:
        """id -> (the product as the editor sees it, its on-hand, whether it has a stock record)."""
        from app.services.sales.catalog import barcodes_of

        t = self.t
        out: dict[int, tuple[products.ProductInput, int, bool]] = {}
        for i in range(0, len(ids), CHUNK):
            part = ids[i:i + CHUNK]
            codes = barcodes_of(t, part)
            prices: dict[int, dict[str, int]] = {}
            for pid, code, price in t.s.execute(select(MemberPrice.product_id, Tier.code, MemberPrice.price)
                                                .join(Tier, Tier.id == MemberPrice.tier_id)
                                                .where(MemberPrice.product_id.in_(part))):
                prices.setdefault(pid, {})[code] = price
            stocked = set(t.s.execute(select(StockEntry.product_id).where(StockEntry.product_id.in_(part))
                                      .distinct()).scalars())
            for p in t.s.execute(select(Product).where(Product.id.in_(part))).scalars():
                service = t.s.get(Product, p.card_service_id) if p.card_service_id is not None else None
                service_sku = service.sku if service is not None else None
                det = products.ProductDetail(_view(p, codes.get(p.id, ())), prices.get(p.id, {}), False)
                out[p.id] = (products.to_input(det, service_sku), p.on_hand or 0, p.id in stocked)
        return out


def _view(p: Product, codes: tuple[str, ...]):
    from app.services.sales.catalog import view

    return view(p, codes)


def _check(t: Ctx, parsed: list[Parsed], cols: Columns, currency: str, lang: str, *, update: bool,
           add_categories: bool) -> tuple[list[_Plan], list[RowError], list[str]]:
    ex = _Existing(t)
    tier_codes = frozenset(t.s.execute(select(Tier.code)).scalars())
    categories = set(t.s.execute(select(Category.name)).scalars())
    new_categories: list[str] = []
    errors: list[RowError] = []

    def bad(row: int, column: str, value: str, err: ShopError) -> None:
        errors.append(RowError(row, column, render(err, lang), value, err.code, err))

    for p in parsed:
        for column, value, err in p.faults:
            bad(p.row_no, column, value, err)
    _file_duplicates(parsed, cols, bad)
    # which rows change which products
    matches: dict[int, int | None] = {}
    for p in parsed:
        pid, err = ex.match(str(p.values.get("sku") or ""), tuple(p.values.get("barcodes") or ()))
        matches[p.row_no] = pid
        if err is not None:
            bad(p.row_no, cols.of_field("sku"), str(p.values.get("sku")), err)
    existing = ex.load(sorted({pid for pid in matches.values() if pid is not None}))
    if not update:
        for p in parsed:
            pid = matches[p.row_no]
            if pid is None or any(e.row == p.row_no and e.code == "import_matches_two" for e in errors):
                continue
            sku = str(p.values.get("sku") or "")
            code = sku if sku in ex.sku_id else next(c for c in p.values.get("barcodes") or () if c in ex.code_owner)
            there = existing[pid][0]
            bad(p.row_no, cols.of_field("sku" if code == sku else "barcodes"), code,
                Duplicate("import_product_exists", code=code, sku=there.sku, name=there.name))
    if add_categories:
        for p in parsed:
            c = " ".join(str(p.values.get("category") or "").split())
            if c and c not in categories and c not in new_categories:
                new_categories.append(c)
    known = products.Known(currency, tier_codes, frozenset(categories | set(new_categories)), ex.taken,
                           lambda sku: None)
    skus = set(ex.sku_id) | {str(p.values.get("sku")) for p in parsed if p.values.get("sku")}
    next_sku = [0]
    plans: list[_Plan] = []
    for p in parsed:
        pid = matches[p.row_no]
        before = existing[pid] if pid is not None else None
        plan = _plan(p, pid, before, cols, currency, skus, next_sku, bad)
        if plan is None:
            continue
        for name, err in products.problems(t, plan.data, pid, known_now=known):
            if pid is not None and not update and name in ("sku", "barcodes") and err.code == "sku_duplicate":
                continue   # said once already: import_product_exists
            tier = err.params.get("tier") if name == "member_prices" else None
            bad(p.row_no, cols.of_field(name, tier if isinstance(tier, str) else None),
                _shown(plan.data, name), err)
        plans.append(plan)
    # one fault per row, column and kind: a member price above the price in the column for every
    # tier is one fault, not one per tier
    unique: dict[tuple, RowError] = {}
    for e in errors:
        unique.setdefault((e.row, e.column, e.code, "" if e.code == "member_price_above" else e.value), e)
    return plans, sorted(unique.values(), key=lambda e: (e.row, e.column)), new_categories


def _shown(d: products.ProductInput, name: str) -> str:
    value = getattr(d, name, "")
    if isinstance(value, tuple):
        return " ".join(value)
    return "" if value is None or isinstance(value, dict) else str(value)


def _file_duplicates(parsed: list[Parsed], cols: Columns, bad) -> None:
    """A SKU or barcode on two rows (as either): each of those rows is bad, naming another."""
    rows_of: dict[str, list[tuple[int, str]]] = {}
    for p in parsed:
        sku = str(p.values.get("sku") or "")
        if sku:
            rows_of.setdefault(sku, []).append((p.row_no, "sku"))
        for c in p.values.get("barcodes") or ():
            if c != sku:
                rows_of.setdefault(c, []).append((p.row_no, "barcodes"))
    for code, rows in rows_of.items():
        if len(rows) < 2:
            continue
        for row, kind in rows:
            other = next(r for r, _ in rows if r != row) if any(r != row for r, _ in rows) else row
            err = Duplicate("import_sku_repeated" if kind == "sku" else "import_barcode_repeated",
                            **({"sku": code} if kind == "sku" else {"barcode": code}), row=other)
            bad(row, cols.of_field(kind), code, err)


def _plan(p: Parsed, pid: int | None, before, cols: Columns, currency: str, skus: set[str], next_sku: list[int],
          bad) -> _Plan | None:
    v = p.values
    stock = v.get("stock")
    if pid is None:
        if v.get("price") is None:
            if not any(c == cols.header("price") for c, _, _ in p.faults):
                bad(p.row_no, cols.header("price"), "", ValidationError("import_price_missing", field=cols.header("price")))
            v = {**v, "price": 0, "member_prices": {}}     # the row's other faults are still listed
        sku = str(v.get("sku") or "") or _free_sku(skus, next_sku)
        data = products.ProductInput(
            sku=sku, name=str(v.get("name") or ""), price=int(v["price"]), barcodes=tuple(v.get("barcodes") or ()),
            category=str(v.get("category") or ""), unit=str(v.get("unit") or ""),
            member_prices=dict(v.get("member_prices") or {}), cost=v.get("cost"),
            points_price=v.get("points_price"), reorder_level=v.get("reorder_level"),
            track_stock=stock is not None)
        return _Plan(p.row_no, data, None, stock or None, [])
    old, on_hand, stocked = before
    changes: dict = {}
    for name in FIELDS:
        if name not in v or name == "stock":
            continue
        value = v[name]
        if name == "sku" and not value:
            continue                      # matched by barcode: the SKU stays
        if name == "price" and value is None:
            continue
        if name == "name":
            value = " ".join(str(value).split())
        changes[name] = value
    data = replace(old, **changes).tidy()
    opening = None
    if stock is not None:
        if not old.track_stock and not stocked:
            data, opening = replace(data, track_stock=True), stock
        elif stock != on_hand:
            bad(p.row_no, cols.header("stock"), str(stock), ValidationError(
                "import_stock_existing", field=cols.header("stock"), name=old.name, on_hand=on_hand, value=stock))
    report = _differences(p, old, data, cols, currency)
    if opening is not None:
        report.append(Change(p.row_no, data.sku, cols.header("stock"), "", str(opening)))
    return _Plan(p.row_no, data, pid, opening or None, report)


def _free_sku(skus: set[str], next_sku: list[int]) -> str:
    while True:
        next_sku[0] += 1
        sku = SKU_FORMAT.format(next_sku[0])
        if sku not in skus:
            skus.add(sku)
            return sku


def _differences(p: Parsed, old: products.ProductInput, new: products.ProductInput, cols: Columns,
                 currency: str) -> list[Change]:
    def money(x):
        return "" if x is None else to_major_str(x, currency)

    out = []
    for name in FIELDS:
        if name in ("stock", "member_prices"):
            continue
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            fmt = money if name in ("price", "cost") else (lambda x: " ".join(x) if isinstance(x, tuple) else
                                                            "" if x is None else str(x))
            out.append(Change(p.row_no, new.sku, cols.of_field(name), fmt(a), fmt(b)))
    for tier in sorted(set(old.member_prices) | set(new.member_prices)):
        a, b = old.member_prices.get(tier), new.member_prices.get(tier)
        if a != b:
            column = cols.of_field("member_prices", tier)
            if tier not in cols.tier_cols:
                column = f"{column} ({tier})"
            out.append(Change(p.row_no, new.sku, column, money(a), money(b)))
    return out


# --- writing ------------------------------------------------------------------------------------
_P = Product.__table__
_COLUMNS = ("sku", "name", "price", "category", "kind", "unit", "no_member_price", "points_eligible",
            "discount_eligible", "cost", "points_price", "track_stock", "reorder_level", "favourite", "colour")


def _row(d: products.ProductInput) -> dict:
    return {c: getattr(d, c) for c in _COLUMNS}


def _write(t: Ctx, new: list[_Plan], changed: list[_Plan], new_categories: list[str], file: str,
           progress, total: int, batch: int) -> None:
    """Everything the import writes carries ``batch``; what an --update replaces is kept first
    (import_batches.remember: columns, barcodes, member prices before, and after to tell later edits),
    so ``shopcare import undo`` can put the catalogue back."""
    from app.services.admin.import_undo_tables import product_states

    conn = t.s.connection()
    before = product_states(conn, [p.product_id for p in changed]) if changed else {}
    if new_categories:
        sort = (t.s.execute(select(func.max(Category.sort))).scalar() or 0) + 1
        conn.execute(insert(Category.__table__), [
            {"name": c, "points_eligible": True, "discount_eligible": True, "sort": sort + i, "active": True}
            for i, c in enumerate(new_categories)])
        cat = Category.__table__
        import_batches.remember(t, batch, "categories", [
            (cid, {"name": name}) for cid, name in conn.execute(select(cat.c.id, cat.c.name).where(
                cat.c.name.in_(list(new_categories))))])
    _insert_all(conn, _P, (*_COLUMNS, "active", "on_hand", "import_batch_id"),
                (tuple(getattr(p.data, c) for c in _COLUMNS) + (True, 0, batch) for p in new))
    ids = {}
    wanted = [p.data.sku for p in new]
    for i in range(0, len(wanted), CHUNK):
        ids.update(conn.execute(select(_P.c.sku, _P.c.id).where(_P.c.sku.in_(wanted[i:i + CHUNK]))).all())
    for p in new:
        p.product_id = ids[p.data.sku]
    if changed:
        conn.execute(update(_P).where(_P.c.id == bindparam("b_id")).values(
            **{c: bindparam("v_" + c) for c in _COLUMNS}),
            [{"b_id": p.product_id, **{"v_" + c: v for c, v in _row(p.data).items()}} for p in changed])
        ids_changed = [p.product_id for p in changed]
        for i in range(0, len(ids_changed), CHUNK):
            part = ids_changed[i:i + CHUNK]
            for table in (ProductBarcode.__table__, MemberPrice.__table__, ProductSearchKey.__table__):
                conn.execute(delete(table).where(table.c.product_id.in_(part)))
    plans = new + changed
    if progress is not None:
        progress(total * 5 // 8, total)
    tiers = dict(t.s.execute(select(Tier.code, Tier.id)).all())
    _insert_all(conn, ProductBarcode.__table__, ("product_id", "barcode"),
                ((p.product_id, c) for p in plans for c in p.data.barcodes))
    _insert_all(conn, MemberPrice.__table__, ("product_id", "tier_id", "price"),
                ((p.product_id, tiers[code], price) for p in plans for code, price in sorted(p.data.member_prices.items())))
    keys = ProductSearchKey.__table__
    with _indexes_rebuilt(conn, keys, len(plans) * 20):
        _insert_all(conn, keys, ("product_id", "key"), (
            (p.product_id, k) for p in plans
            for k in product_keys(p.data.name, p.data.sku, p.data.barcodes, p.data.category)))
    if progress is not None:
        progress(total * 7 // 8, total)
    moves = [(p.product_id, p.stock) for p in plans if p.stock]
    if moves:
        post_stock_many(t, "opening", moves, note=f"opening stock imported from {file}", batch_id=batch)
    if changed:
        after = product_states(conn, list(before))
        import_batches.remember(t, batch, "products", [(pid, {**state, "after": after[pid]})
                                                       for pid, state in sorted(before.items())])


def _insert_all(conn, table, names: tuple[str, ...], rows, chunk: int = 50_000) -> None:
    """Plain rows (a few columns; millions of search keys) straight to the driver's executemany:
    SQLAlchemy's per-row parameter processing would take longer than the database's inserting."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(mark for _ in names)})"
    rows = iter(rows)
    while batch := list(islice(rows, chunk)):
        conn.exec_driver_sql(sql, batch)


@contextmanager
def _indexes_rebuilt(conn, table, adding: int):
    """SQLite: when an import adds more rows than ``table`` holds (a new shop's catalogue), its
    indexes are dropped and built again after the inserts, in the same transaction: sorting once is
    about twice as fast as keeping two indexes of millions of random keys in order row by row.
    Readers keep their snapshot meanwhile (WAL). Otherwise (and on PostgreSQL, where dropping an
    index would lock out the tills' searches) the rows go into the indexes as they come."""
    rebuild = conn.dialect.name == "sqlite" and adding > 10_000 and \
        adding > (conn.execute(select(func.count()).select_from(table)).scalar() or 0)
    indexes = list(table.indexes) if rebuild else []
    for ix in indexes:
        ix.drop(conn)
    yield
    for ix in indexes:
        ix.create(conn)


from app.services.admin.product_export import ProductExportResult, export_products  # noqa: E402  (the API)

__all__ = ["Change", "ProductExportResult", "ProductImportResult", "RowError", "export_products", "import_products"]
