"""The product catalogue to CSV or XLSX (owner only, audited, private, no formula cells: the one
export writer, base/export.py), its headers in the reader's language and in the form the product
import reads back: importing the file again with "update" changes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from app import i18n
from app.models import MemberPrice, Product, ProductBarcode, Tier
from app.services.admin.product_columns import header, tier_header
from app.services.base import export, language, permissions
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings

_FIXED = (("sku", "text"), ("name", "text"), ("barcode", "text"), ("category", "text"), ("unit", "text"),
          ("price", "money"))
_AFTER = (("cost", "money"), ("stock", "int"), ("reorder_level", "int"), ("points_price", "int"))


@dataclass(frozen=True)
class ProductExportResult:
    path: Path
    rows: int


def export_products(ctx: Ctx, path: str | Path, *, lang: str | None = None,
                    active_only: bool = False) -> ProductExportResult:
    """Every product (or those on sale) to ``path`` (.csv or .xlsx), one row each: SKU, name,
    barcodes (separated by spaces), category, unit, price, a member price column per tier, cost,
    stock (blank when not tracked), reorder level, points price."""
    permissions.require(ctx, "export")
    lang = lang or language.configured_language(ctx) or language.language_from_env()
    cfg = load_settings(ctx)
    with ctx.tx(write=False) as t:
        tiers = list(t.s.execute(select(Tier.id, Tier.code, Tier.name_en, Tier.name_zh).order_by(Tier.rank)))
        q = select(func.count(Product.id))
        total = t.s.execute(q.where(Product.active.is_(True)) if active_only else q).scalar() or 0
    columns = (*(export.Column(c, k, header(lang, c)) for c, k in _FIXED),
               *(export.Column("tier:" + code, "money", tier_header(lang, i18n.pick(lang, en, zh, context="tier")))
                 for _id, code, en, zh in tiers),
               *(export.Column(c, k, header(lang, c)) for c, k in _AFTER))

    def rows(t: Ctx):
        codes: dict[int, list[str]] = {}
        for pid, code in t.s.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                     .order_by(ProductBarcode.id)):
            codes.setdefault(pid, []).append(code)
        prices: dict[tuple[int, int], int] = {
            (pid, tier): price for pid, tier, price in
            t.s.execute(select(MemberPrice.product_id, MemberPrice.tier_id, MemberPrice.price))}
        q = select(Product).order_by(Product.id)
        if active_only:
            q = q.where(Product.active.is_(True))
        for p in t.s.execute(q).yield_per(2000).scalars():
            yield (p.sku, p.name, " ".join(codes.get(p.id, ())), p.category, p.unit or "", p.price,
                   *(prices.get((p.id, tier[0])) for tier in tiers),
                   p.cost, p.on_hand if p.track_stock else None, p.reorder_level, p.points_price)

    n = export.export_table(ctx, path, columns, rows, currency=cfg.currency, action="products.export",
                            details={"active_only": active_only, "language": lang}, sheet="Products",
                            entity="products", total=total)
    return ProductExportResult(Path(path), n)
