"""The demo shop's stock: two weeks before the end its packaged goods (beans, tea leaves, the gift
box, mugs and bags) start tracking stock with an opening count, a delivery comes five days before
the end, and the days' sales move it from then on; so the Stock tab has levels, low stock and
history to show. Fixed numbers, no random draws: the rest of the demo stays what its seed makes."""
from __future__ import annotations

from sqlalchemy import select, update

from app.models import Product
from app.services.base.context import Ctx
from app.services.ledger import stock
from app.services.sales import inventory

START_DAYS_BEFORE_END, DELIVERY_DAYS_BEFORE_END = 14, 5

# sku -> (opening units, reorder level, unit cost in fen)
TRACKED = {"BEANS": (30, 10, 3400), "LJ100": (20, 6, 6500), "PUER": (15, 5, 9000), "OOL": (20, 6, 4200),
           "GIFTBOX": (10, 3, 15000), "MUG": (6, 5, 1800), "BAG": (60, 20, 150)}
DELIVERY = {"BEANS": 24, "LJ100": 12, "OOL": 12}
SUPPLIER = "云南豆仓 Yunnan Bean Co."


def start_stock(t: Ctx) -> None:
    """Turn on stock for the packaged goods, each with its opening count and reorder level."""
    ids = dict(t.s.execute(select(Product.sku, Product.id).where(Product.sku.in_(list(TRACKED)),
                                                                  Product.track_stock.is_(False))).all())
    for sku, pid in ids.items():
        units, level, cost = TRACKED[sku]
        t.s.execute(update(Product).where(Product.id == pid).values(track_stock=True, reorder_level=level, cost=cost))
    t.db.cache.pop("products", None)   # the till's lookups must see track_stock from the next sale on
    moves = [(pid, TRACKED[sku][0]) for sku, pid in sorted(ids.items())]
    if moves:
        stock.post_stock_many(t, "opening", moves, note="demo")


def deliver(t: Ctx) -> None:
    for sku, units in DELIVERY.items():
        inventory.receive(t, sku, units, unit_cost=TRACKED[sku][2], supplier=SUPPLIER)
