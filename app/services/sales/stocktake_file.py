"""A stocktake typed into a spreadsheet: a CSV or XLSX file with a product column (sku/货号, a SKU or
a barcode) and a count column (counted/实盘数量), read into the counts ``inventory`` posts.

Every row is checked before anything is posted; bad rows are reported together, each with its row
number as the file shows it (``ImportFailed('stocktake_rows')``), and nothing is counted.
"""
from __future__ import annotations

from pathlib import Path

from app.errors import ImportFailed, NotFound, ShopError, ValidationError, quoted
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.tabular import read_table
from app.services.sales import inventory

COLUMNS = {
    "sku": ("sku", "code", "barcode", "货号", "貨號", "商品编码", "商品編碼", "条码", "條碼", "编码", "編碼"),
    "counted": ("counted", "count", "qty", "quantity", "实盘数量", "實盤數量", "实盘", "實盤", "盘点数量", "盤點數量",
                "数量", "數量"),
}


def read_counts(ctx: Ctx, path: str | Path) -> dict[int, int]:
    """{product id: units counted} from the file at ``path``; ImportFailed naming every bad row."""
    cfg = shop_settings.load(ctx)
    table = read_table(path, COLUMNS, ("sku", "counted"), region=cfg.region)
    counts: dict[int, int] = {}
    seen: dict[int, str] = {}
    bad: list[tuple[int, ShopError]] = []
    with ctx.tx(write=False) as t:
        for row in table.rows:
            code = str(row.get("sku") or "").strip()
            try:
                if row.extra:
                    raise ValidationError("import_extra_cells", value=quoted(row.extra))
                if not code:
                    raise NotFound("sku_unknown", sku="")
                p = inventory.find_product(t, code)
                cell = row.get("counted")
                counted = inventory.check_units(cell if isinstance(cell, str) else str(cell), "counted", p.name, low=0)
                inventory.countable(p)
                if p.id in seen:
                    raise ValidationError("stocktake_twice", name=p.name, first=seen[p.id], second=code)
            except ShopError as exc:
                bad.append((row.row_no, exc))
                continue
            seen[p.id] = code
            counts[p.id] = counted
    if bad:
        raise ImportFailed("stocktake_rows", file=table.file, count=len(bad), rows=tuple(bad))
    return counts
