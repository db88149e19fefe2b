"""One row of a product file read into the fields it gives (only those whose column the file has),
each cell's fault named by its column and value. Pure: the import checks the products' rules
(products.problems) and the database afterwards."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import ShopError, ValidationError
from app.money import parse_amount
from app.services.admin.import_cells import cell_shown, cell_text, cell_whole, no_extra_columns
from app.services.admin.product_columns import BARCODE_MORE, TIER_PREFIX, split_barcodes
from app.services.base.tabular import Cell, Row, Table
from app.services.ledger.stock import MAX_STOCK

# The fields a file can set, in the order changes are reported.
FIELDS = ("sku", "name", "barcodes", "category", "unit", "price", "member_prices", "cost", "stock",
          "reorder_level", "points_price")


@dataclass
class Parsed:
    row_no: int
    values: dict[str, object]                         # field -> value, for the columns the file has
    faults: list[tuple[str, str, ShopError]] = field(default_factory=list)   # (column, value, error)
    tier_columns: dict[str, str] = field(default_factory=dict)              # tier code -> its column


class Columns:
    """Where each field of a table comes from, and the header a fault names."""

    def __init__(self, table: Table) -> None:
        self.table = table
        cols = table.columns
        self.barcode_cols = [c for c in cols if c == "barcode" or c.startswith(BARCODE_MORE)]
        self.tier_cols = {c[len(TIER_PREFIX):]: c for c in cols if c.startswith(TIER_PREFIX)}
        self.has_member_prices = "member_price" in cols or bool(self.tier_cols)

    def header(self, canonical: str) -> str:
        return self.table.headers.get(canonical, canonical)

    def of_field(self, name: str, tier: str | None = None) -> str:
        """The column header a field's fault is shown under."""
        if name == "barcodes":
            return self.header(self.barcode_cols[0]) if self.barcode_cols else name
        if name == "member_prices":
            if tier and tier in self.tier_cols:
                return self.header(self.tier_cols[tier])
            return self.header("member_price") if "member_price" in self.table.columns else \
                self.header(next(iter(self.tier_cols.values()), "member_price"))
        return self.header(name)


def unquoted(text: str) -> str:
    """A text as typed before an export made it safe: "'=1+2" (a formula written as text) is "=1+2"."""
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@") else text


def parse(row: Row, cols: Columns, currency: str, tier_codes: list[str]) -> Parsed:
    out = Parsed(row.row_no, {})
    has = set(cols.table.columns)

    def fault(canonical: str, value: Cell, err: ShopError) -> None:
        out.faults.append((cols.header(canonical), cell_shown(value), err))

    def amount(canonical: str) -> int | None:
        text = cell_text(row.get(canonical))
        if not text:
            return None
        try:
            return parse_amount(text, currency, field=cols.header(canonical), allow_zero=True)
        except ShopError as err:
            fault(canonical, text, err)
            return None

    def whole(canonical: str) -> int | None:
        if not cell_text(row.get(canonical)):
            return None
        try:
            return cell_whole(row.get(canonical), cols.header(canonical))
        except ShopError as err:
            fault(canonical, row.get(canonical), err)
            return None

    try:
        no_extra_columns(row)
    except ShopError as err:
        out.faults.append(("", cell_shown(row.extra), err))
    for name in ("sku", "name", "category", "unit"):
        if name in has:
            out.values[name] = unquoted(cell_text(row.get(name)))
    if cols.barcode_cols:
        codes: list[str] = []
        for c in cols.barcode_cols:
            codes += split_barcodes(cell_text(row.get(c)))
        out.values["barcodes"] = tuple(dict.fromkeys(codes))
    for name in ("price", "cost"):
        if name in has:
            out.values[name] = amount(name)
    for name in ("stock", "reorder_level", "points_price"):
        if name in has:
            out.values[name] = whole(name)
    if cols.has_member_prices:
        prices: dict[str, int] = {}
        every = amount("member_price") if "member_price" in has else None
        if every is not None:
            prices = {code: every for code in tier_codes}
        for code, c in cols.tier_cols.items():
            value = amount(c)
            if value is not None:
                prices[code] = value
        out.values["member_prices"] = prices
        out.tier_columns = dict(cols.tier_cols)
    if "stock" in has and out.values.get("stock") is not None and out.values["stock"] > MAX_STOCK:
        fault("stock", row.get("stock"), ValidationError("amount_absurd", field=cols.header("stock"),
                                                         value=cell_text(row.get("stock"))))
    return out
