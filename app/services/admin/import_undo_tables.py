"""The tables an import undo works on (short names, the delete order), and the products' kept state (product_states, also used by import_products): shared by the undo's checks and writes."""
from __future__ import annotations

from sqlalchemy import select

from app.models import (CountCard, CountCardEntry, ImportBatch, Member, MemberPrice, Payment, PointsEntry, Product,
                        ProductBarcode, Sale, SaleLine, StockEntry, WalletEntry)

MEMBER_HISTORY = ("total_spent", "visits", "last_visit_at", "tier_id")

_B = ImportBatch.__table__
_M, _P, _S, _C = Member.__table__, Product.__table__, Sale.__table__, CountCard.__table__
_L, _PAY = SaleLine.__table__, Payment.__table__
_W, _PT, _ST, _CE = WalletEntry.__table__, PointsEntry.__table__, StockEntry.__table__, CountCardEntry.__table__

# Tables an undo deletes rows of, in a safe order (what refers to a row goes before it).
TABLES = ("count_card_entries", "payments", "sale_lines", "wallet_entries", "points_entries", "stock_entries",
          "count_cards", "sales", "member_tags", "member_dates", "members", "product_barcodes", "member_prices",
          "product_search_keys", "products", "categories")


PRODUCT_COLUMNS = ("sku", "name", "price", "category", "kind", "unit", "no_member_price", "points_eligible",
                   "discount_eligible", "cost", "points_price", "track_stock", "reorder_level", "favourite", "colour",
                   "active")


def product_states(conn, ids: list[int]) -> dict[int, dict]:
    """Products' columns an import may change, barcodes and member prices (tier id -> price), as
    JSON-ready values: what ``import_products`` keeps before and after an ``--update``."""
    out: dict[int, dict] = {}
    for part in _chunks(sorted(ids)):
        for row in conn.execute(select(_P.c.id, *[_P.c[k] for k in PRODUCT_COLUMNS]).where(_P.c.id.in_(part))).mappings():
            out[row["id"]] = {"columns": {k: row[k] for k in PRODUCT_COLUMNS}, "barcodes": [], "member_prices": {}}
        for pid, code in conn.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                      .where(ProductBarcode.product_id.in_(part)).order_by(ProductBarcode.barcode)):
            out[pid]["barcodes"].append(code)
        for pid, tier, price in conn.execute(select(MemberPrice.product_id, MemberPrice.tier_id, MemberPrice.price)
                                             .where(MemberPrice.product_id.in_(part))):
            out[pid]["member_prices"][str(tier)] = int(price)
    return out


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
