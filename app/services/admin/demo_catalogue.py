"""The demo shop's till extras: categories with their rules, favourites on the till's grid (with
colours), gold and silver member prices (会员价) and points prices (积分兑换), so a demo till shows
what a real one can do. Each is added only where the shop has none yet (a re-run changes nothing)."""
from __future__ import annotations

from sqlalchemy import select, update

from app.models import Category, MemberPrice, Product, Tier
from app.services.base.context import Ctx

# sku -> button colour on the till's grid
FAVOURITES = {"AMER": "#7c2d12", "LATTE": "#a16207", "CAPP": "#92400e", "JASM": "#15803d", "BOBA": "#b45309",
              "LEMON": "#ca8a04", "CROIS": "#fde68a", "EGGT": "#fcd34d", "MATCHA": "#86efac", "MUG": "#bfdbfe",
              "BAG": "#e5e7eb"}
# sku -> (gold price, silver price), minor units
MEMBER_PRICES = {"LATTE": (2000, 2200), "BEANS": (5800, 6200), "LJ100": (10800, 11800)}
# sku -> points for one unit
POINTS_PRICES = {"MUG": 4500, "BAG": 500}
# category -> (points eligible, discount eligible); the rest allow both
RULES = {"周边 Merchandise": (True, False)}


def dress_catalogue(t: Ctx) -> None:
    have = set(t.s.execute(select(Category.name)).scalars())
    used = list(dict.fromkeys(t.s.execute(select(Product.category).where(Product.category != "")
                                          .order_by(Product.id)).scalars()))
    for sort, name in enumerate(used):
        if name not in have:
            pts, disc = RULES.get(name, (True, True))
            t.s.add(Category(name=name, points_eligible=pts, discount_eligible=disc, sort=sort, active=True))
        elif name in RULES:  # named by the demo's products as they were added, with the default rules
            pts, disc = RULES[name]
            t.s.execute(update(Category).where(Category.name == name)
                        .values(points_eligible=pts, discount_eligible=disc))
    if t.s.execute(select(Product.id).where(Product.favourite.is_(True)).limit(1)).first() is None:
        for sku, colour in FAVOURITES.items():
            t.s.execute(update(Product).where(Product.sku == sku).values(favourite=True, colour=colour))
    if t.s.execute(select(Product.id).where(Product.points_price.is_not(None)).limit(1)).first() is None:
        for sku, points in POINTS_PRICES.items():
            t.s.execute(update(Product).where(Product.sku == sku).values(points_price=points))
    if t.s.execute(select(MemberPrice.id).limit(1)).first() is None:
        tiers = dict(t.s.execute(select(Tier.code, Tier.id)).all())
        ids = dict(t.s.execute(select(Product.sku, Product.id).where(Product.sku.in_(MEMBER_PRICES))).all())
        for sku, prices in MEMBER_PRICES.items():
            for code, price in zip(("gold", "silver"), prices, strict=True):
                if sku in ids and code in tiers:
                    t.s.add(MemberPrice(product_id=ids[sku], tier_id=tiers[code], price=price))
    t.s.flush()
    t.db.cache.pop("products", None)
