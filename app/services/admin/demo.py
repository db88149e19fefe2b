"""Demo shop data: a believable neighbourhood tea & coffee shop with a small salon corner.

``build_demo(ctx, members=300, days=365, seed=1, progress=None)`` fills the database with a product
range, members and ``days`` of history ending yesterday. Everything random comes from
``random.Random(seed)``, so the same seed on an empty database makes the same shop (voucher codes
excepted: the voucher service draws them from ``secrets``).

Every member, sale, top-up, voucher and refund goes through the real services (``create_member``,
``checkout``, ``wallet.topup``, ``vouchers.issue``, ``refunds.refund``), so ledgers, tiers, audit
rows and e-bill texts are exactly what the till would have written. A ``FixedClock`` walks through
each day's opening hours, and each day is ONE transaction that every service call joins.

Who shops here:

* regulars: a weekly rhythm on their favourite weekdays, many with stored value;
* occasional buyers: now and then;
* lapsed big spenders: bought a lot (tea cakes, gift boxes, big top-ups), then stopped 120+ days
  before the end (with shorter histories: 60% of it), a win-back list in the making;
* one-time buyers: joined, bought once, never came back;
* newcomers: joined in the last two months;
* walk-ins: sales without a member.

Top-ups follow the shop's bonus ladder; stored value, points and a few e-vouchers pay for sales;
salon regulars buy a ten-visit count card and use it; a few sales are partly refunded.

Stock (``demo_stock``): two weeks before the end the packaged goods start tracking stock, with a
delivery five days before the end.

Care: ten days before the end a campaign (``campaigns.send``) gives everyone seen in the last two
months who takes offers a voucher, which their later visits redeem at the till; at the end the
default knowledge base articles, a few contact notes, a complaint resolved into a typical case, one
still open, and two call-backs by hand.

A shop's own data is never mixed with invented members: the demo writes the setting
``demo_shop`` (true) into the database it fills, and refuses (``demo_real_shop``) a database that
holds any member or sale without that mark. An empty database, or an earlier demo, it fills (again):
its products are added only when their SKU is free, members get phone and card numbers no existing
member has, and the shop name is set only while it is still the default.

Nothing is printed: ``progress(done, total, label)`` is called once per day.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Callable

from sqlalchemy import func, select, update

from app.errors import ValidationError
from app.models import CountCard, Member, Message, Product, ProductBarcode, Sale, Setting, Tier, Topup
from app.money import round_half_up
from app.services.admin.demo_care import (CAMPAIGN_DAYS_BEFORE_END, demo_campaign, demo_care_records, demo_replies,
                                          demo_text_history)
from app.services.admin.demo_catalogue import dress_catalogue
from app.services.admin.demo_people import DemoMember, ean13, plan_members, visit_times, weighted
from app.services.admin import demo_stock
from app.services.admin.demo_data import (
    CLOSE_HOUR,
    CARD,
    CARD_SKU,
    COST_SHARE,
    OPEN_HOUR,
    PRODUCTS,
    REFUND_REASONS,
    SHOP_NAME,
    TASTES,
    TOPUP_AMOUNTS,
)
from app.services.base import settings, setup
from app.services.base.context import Ctx, FixedClock
from app.services.ledger import vouchers, wallet
from app.services.members.members import create_member
from app.services.sales import catalog, refunds
from app.services.sales.checkout import Cart, CartLine, Tender, checkout

Progress = Callable[[int, int, str], None]

# the shop's hours and name, read by tests and the screenshots: part of the demo's API
__all__ = ["CLOSE_HOUR", "DEMO_MARK", "MAX_DAYS", "MAX_MEMBERS", "OPEN_HOUR", "PRODUCTS", "SHOP_NAME", "DemoSummary",
           "build_demo"]


@dataclass(frozen=True)
class DemoSummary:
    members: int
    sales: int
    refunds: int
    topups: int
    messages: int
    products: int
    days: int


# --- the shop ----------------------------------------------------------------------------------------
def _stock(t: Ctx) -> dict[str, tuple[int, bool]]:
    """Add the demo range (skipping SKUs already there); returns sku -> (price, discount eligible)."""
    have = set(t.s.execute(select(Product.sku)).scalars())
    barcodes = set(t.s.execute(select(ProductBarcode.barcode)).scalars())
    prices = {}
    for i, (sku, name, category, price, kind, pts, disc) in enumerate(PRODUCTS):
        prices[sku] = price
        if sku in have:
            continue
        barcode = ean13(f"6923{i + 1:08d}") if kind == "goods" else None
        if barcode in barcodes:
            barcode = None
        catalog.add_product(t, sku=sku, name=name, price=price, category=category, barcode=barcode, kind=kind,
                            points_eligible=pts, discount_eligible=disc)
        if category in COST_SHARE:   # goods have a cost price (the product report's margins); services none
            t.s.execute(update(Product).where(Product.sku == sku).values(cost=price * COST_SHARE[category] // 100))
            t.db.cache.pop("products", None)
    sku, name, category, price = CARD
    prices[sku] = price
    if sku not in have:
        catalog.add_product(t, sku=sku, name=name, price=price, category=category, kind="count_card",
                            card_uses=10, card_valid_days=365, card_service_sku="CUT")
    # The shop may have changed a price since: sell at today's catalogue price.
    return {sku: (price, disc) for sku, price, disc in t.s.execute(
        select(Product.sku, Product.price, Product.discount_eligible).where(Product.sku.in_(list(prices))))}


def build_demo(ctx: Ctx, members: int = 300, days: int = 365, seed: int = 1,
               progress: Progress | None = None) -> DemoSummary:
    """Fill the database with a demo shop; returns what was added. See the module docstring."""
    for name, value, most in (("members", members, MAX_MEMBERS), ("days", days, MAX_DAYS)):
        if not 1 <= value <= most:
            raise ValidationError("number_out_of_range", field=name, value=value, min=1, max=most)
    rng = random.Random(seed)
    end = ctx.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    clock = FixedClock(datetime.combine(start, time(OPEN_HOUR)))
    dctx = replace(ctx, clock=clock, session=None)

    setup.ensure_defaults(dctx)
    with dctx.tx() as t:
        _claim(t)
        if settings.load(t).shop_name == settings.ShopSettings().shop_name:
            settings.update(t, shop_name=SHOP_NAME, signature="街角茶咖")
        product_count = t.s.execute(select(func.count()).select_from(Product)).scalar()
        prices = _stock(t)
        tier_bp: dict[str | int, int] = {}
        for tier in t.s.execute(select(Tier)).scalars():
            tier_bp[tier.code] = tier_bp[tier.id] = tier.discount_bp
        taken_phones = set(x for x in t.s.execute(select(Member.phone)).scalars() if x)
        taken_cards = set(x for x in t.s.execute(select(Member.card_no)).scalars() if x)
        msg_before = t.s.execute(select(func.coalesce(func.max(Message.id), 0))).scalar()
        sale_before = t.s.execute(select(func.coalesce(func.max(Sale.id), 0))).scalar()
        topup_before = t.s.execute(select(func.coalesce(func.max(Topup.id), 0))).scalar()

    plans = plan_members(rng, members, days, taken_phones, taken_cards)
    by_join: dict[int, list[DemoMember]] = {}
    for p in plans:
        by_join.setdefault(p.join_day, []).append(p)
    active: list[DemoMember] = []
    shop = _Shop(prices, tier_bp, days)
    walkin_base = max(1.0, members * 0.006)

    for day in range(days):
        today = start + timedelta(days=day)
        weekday = today.weekday()
        events: list[tuple[time, int, str, DemoMember | None]] = []
        newcomers = by_join.get(day, [])
        for tm, p in zip(visit_times(rng, len(newcomers)), newcomers):
            events.append((tm, len(events), "join", p))
        for p in active:
            if day > p.stop_day:
                continue
            likely = weekday in p.weekdays if p.persona in ("regular", "lapsed") else True
            chance = p.rate * (1.0 if likely else 0.12)
            if rng.random() < chance:
                events.append((visit_times(rng, 1)[0], len(events), "visit", p))
        weekend = 1.5 if weekday >= 5 else 1.0
        n_walkins = max(0, int(rng.gauss(walkin_base * weekend, walkin_base * 0.3) + 0.5))
        for tm in visit_times(rng, n_walkins):
            events.append((tm, len(events), "walkin", None))
        for receipt in shop.refunds_due.pop(day, []):
            events.append((visit_times(rng, 1)[0], len(events), "refund:" + receipt, None))
        if day == days - CAMPAIGN_DAYS_BEFORE_END:   # care: a campaign the members redeem at their next visits
            events.append((time(OPEN_HOUR, 5), len(events), "campaign", None))
        if day == max(0, days - demo_stock.START_DAYS_BEFORE_END):   # stock: packaged goods start tracking it
            events.append((time(OPEN_HOUR, 1), len(events), "stock_start", None))
        if day == max(0, days - demo_stock.DELIVERY_DAYS_BEFORE_END) and days > demo_stock.DELIVERY_DAYS_BEFORE_END:
            events.append((time(OPEN_HOUR, 2), len(events), "stock_delivery", None))
        events.sort(key=lambda e: (e[0], e[1]))

        with dctx.tx() as t:
            for tm, _i, kind, p in events:
                clock.set(datetime.combine(today, tm))
                if kind == "join":
                    view = create_member(t, replace(p.data, join_date=today))
                    p.id = view.id
                    p.tier_bp = shop.tier_bp.get(view.tier_code or "", 0)
                    shop.members[p.id] = p
                    active.append(p)
                    _visit(t, rng, shop, p, today, day)
                elif kind == "visit":
                    _visit(t, rng, shop, p, today, day)
                elif kind == "walkin":
                    _walkin(t, rng, shop.prices)
                elif kind == "campaign":
                    demo_campaign(t, shop, today)
                elif kind == "stock_start":
                    demo_stock.start_stock(t)
                elif kind == "stock_delivery":
                    demo_stock.deliver(t)
                else:
                    _refund(t, rng, shop, kind.split(":", 1)[1])
            if progress is not None:
                progress(day + 1, days, today.isoformat())

    demo_care_records(dctx, rng, shop, end)
    with dctx.tx() as t:  # after the history: its sales were made at the prices of their day
        dress_catalogue(t)
    if days > 1:  # a one-day demo leaves its texts queued, for a real sender to deliver (tests/test_texts_day.py)
        demo_text_history(dctx, rng, msg_before, end)
        demo_replies(dctx, rng, end)
    with dctx.tx(write=False) as t:
        sales = t.s.execute(select(func.count()).select_from(Sale)
                            .where(Sale.id > sale_before, Sale.kind == "sale")).scalar()
        refund_count = t.s.execute(select(func.count()).select_from(Sale)
                                   .where(Sale.id > sale_before, Sale.kind == "refund")).scalar()
        topups = t.s.execute(select(func.count()).select_from(Topup).where(Topup.id > topup_before)).scalar()
        messages = t.s.execute(select(func.count()).select_from(Message).where(Message.id > msg_before)).scalar()
        products = t.s.execute(select(func.count()).select_from(Product)).scalar() - product_count
    return DemoSummary(members=len(plans), sales=sales, refunds=refund_count, topups=topups, messages=messages,
                       products=products, days=days)


DEMO_MARK = "demo_shop"   # a row of the settings table: this database holds demo data
MAX_MEMBERS, MAX_DAYS = 10_000, 3_650


def _claim(t: Ctx) -> None:
    """Mark the database as a demo shop's, or refuse it: it holds a real shop's members or sales."""
    if t.s.get(Setting, DEMO_MARK) is not None:
        return
    n_members = t.s.execute(select(func.count()).select_from(Member)).scalar()
    n_sales = t.s.execute(select(func.count()).select_from(Sale)).scalar()
    if n_members or n_sales:
        raise ValidationError("demo_real_shop", members=n_members, sales=n_sales)
    t.s.add(Setting(key=DEMO_MARK, value="true"))
    t.s.flush()


# --- one visit ---------------------------------------------------------------------------------------
def _basket(rng: random.Random, taste: str, persona: str) -> list[tuple[str, int]]:
    n = weighted(rng, [(1, 5), (2, 4), (3, 2)])
    skus: dict[str, int] = {}
    for _ in range(n):
        sku = weighted(rng, TASTES[taste])
        skus[sku] = skus.get(sku, 0) + (2 if rng.random() < 0.12 else 1)
    if persona == "lapsed" and rng.random() < 0.4:  # the big spenders buy the expensive things
        sku = rng.choice(("PUER", "LJ100", "GIFTBOX", "SCALP" if taste == "salon" else "OOL"))
        skus[sku] = skus.get(sku, 0) + rng.randint(1, 3)
    return list(skus.items())


def _advance(t: Ctx, minutes: int) -> None:
    clock = t.clock
    assert isinstance(clock, FixedClock)
    clock.set(clock.now() + timedelta(minutes=minutes, seconds=17))


@dataclass
class _Shop:
    prices: dict[str, tuple[int, bool]]          # sku -> (price, discount eligible)
    tier_bp: dict[str | int, int]                # tier code and tier id -> discount in basis points
    days: int
    refunds_due: dict[int, list[str]] = field(default_factory=dict)  # day -> receipts to refund a line of
    members: dict[int, DemoMember] = field(default_factory=dict)


def _visit(t: Ctx, rng: random.Random, shop: _Shop, p: DemoMember, today: date, day: int) -> None:
    prices, tier_bp, refunds_due, days = shop.prices, shop.tier_bp, shop.refunds_due, shop.days
    # Top up first when the member keeps stored value and it runs low (or on a whim, at the till).
    want_topup = p.saver and (p.wallet < 6_000 and rng.random() < 0.6 or p.visits == 0 and rng.random() < 0.5)
    if want_topup:
        amount = weighted(rng, TOPUP_AMOUNTS)
        if p.persona == "lapsed":
            amount = max(amount, rng.choice((100_000, 200_000)))
        r = wallet.topup(t, p.id, amount, rng.choice(("cash", "card", "card")))
        p.wallet = r.balance_after
        _advance(t, 1)

    lines: list[CartLine] = []
    # Count cards: salon people buy a ten-visit card and use it.
    card_ok = p.card is not None and p.card[1] > 0 and (p.card[2] is None or p.card[2] >= today)
    if p.taste == "salon":
        if card_ok and rng.random() < 0.85:
            lines.append(CartLine("CUT", 1, count_card_id=p.card[0]))
            if rng.random() < 0.3:
                lines.append(CartLine(weighted(rng, TASTES["salon"][3:]), 1))
        elif not card_ok and p.persona in ("regular", "lapsed") and p.visits >= 1 and rng.random() < 0.5:
            lines.append(CartLine(CARD_SKU, 1))
    if not lines:
        lines = [CartLine(sku, qty) for sku, qty in _basket(rng, p.taste, p.persona)]
    if p.persona == "onetime" and rng.random() < 0.3:
        lines.append(CartLine("BAG", 1))

    cart = Cart(tuple(lines), member_id=p.id)
    total = _total(lines, prices, p.tier_bp)
    tenders: list[Tender] = []
    due = total
    # A voucher the member holds, when it is still good and the basket reaches its minimum.
    for v in list(p.vouchers):
        code, value, min_spend, expires = v
        if expires < today:
            p.vouchers.remove(v)
        elif due > 0 and due >= min_spend and rng.random() < 0.7:
            tenders.append(Tender("voucher", voucher_code=code))
            p.vouchers.remove(v)
            due -= min(value, due)
            break
    if due > 0 and p.points >= 500 and rng.random() < 0.25:
        pts = min(p.points, due - 1) // 100 * 100
        if pts > 0:
            tenders.append(Tender("points", points=pts))
            due -= pts  # one point pays one fen at the default rate (100 points a yuan)
    if due > 0 and p.wallet > 0 and (p.saver or rng.random() < 0.5):
        use = min(p.wallet, due)
        tenders.append(Tender("wallet", amount=use))
        due -= use
    result = _pay(t, rng, cart, tenders, due)
    p.visits += 1
    if result.tier_upgraded_to:
        p.tier_bp = tier_bp[result.tier_upgraded_to]
    p.wallet = result.wallet_balance if result.wallet_balance is not None else p.wallet
    p.points = result.points_balance if result.points_balance is not None else p.points
    if any(pl.sku == CARD_SKU for pl in result.lines):
        card_id, expires = t.s.execute(select(CountCard.id, CountCard.expires_on)
                                       .where(CountCard.sale_id == result.sale_id)).first()
        p.card = (card_id, 10, expires)
    elif p.card is not None and any(pl.count_card_id == p.card[0] for pl in result.lines):
        p.card = (p.card[0], p.card[1] - 1, p.card[2])

    # A few vouchers: a thank-you after a big basket, or a birthday-month treat.
    if total >= 20_000 and rng.random() < 0.25 or rng.random() < 0.01:
        _advance(t, 1)
        v = vouchers.issue(t, value=rng.choice((1000, 2000, 3000)), member_id=p.id, min_spend=5000,
                           expires_on=today + timedelta(days=rng.choice((30, 60))), campaign="demo thank-you")
        p.vouchers.append((v.code, v.value, v.min_spend, v.expires_on))

    # Now and then a line comes back, the same day or within the week.
    refundable = [pl for pl in result.lines if pl.kind != "count_card" and pl.count_card_id is None and pl.line_total > 0]
    if refundable and len(result.lines) >= 2 and rng.random() < 0.03:
        later = day + rng.choice((0, 0, 1, 2, 5))
        if later < days:
            refunds_due.setdefault(later, []).append(result.receipt_no)


def _total(lines: list[CartLine], prices: dict[str, tuple[int, bool]], tier_bp: int) -> int:
    """The cart's total exactly as checkout prices it: the tier discount rounds half up per line, a
    line paid by a count card costs nothing."""
    total = 0
    for line in lines:
        if line.count_card_id is not None:
            continue
        price, discountable = prices[line.sku]
        gross = price * line.qty
        total += gross - (round_half_up(gross * tier_bp, 10_000) if discountable else 0)
    return total


def _pay(t: Ctx, rng: random.Random, cart: Cart, tenders: list[Tender], due: int):
    """Check out, the rest paid by card (QR or bank card) or in cash with change."""
    if due > 0:
        if rng.random() < 0.65:
            tenders.append(Tender("card", amount=due, reference=f"QR{rng.randrange(10**10):010d}"))
        else:
            step = rng.choice((1000, 5000, 10000))
            tenders.append(Tender("cash", amount=-(-due // step) * step))
    return checkout(t, cart, tenders)


def _walkin(t: Ctx, rng: random.Random, prices: dict[str, tuple[int, bool]]) -> None:
    n = weighted(rng, [(1, 6), (2, 3), (3, 1)])
    lines = {}
    for _ in range(n):
        sku = weighted(rng, TASTES["walkin"])
        lines[sku] = lines.get(sku, 0) + 1
    cart = Cart(tuple(CartLine(s, q) for s, q in lines.items()))
    total = sum(prices[s][0] * q for s, q in lines.items())
    _pay(t, rng, cart, [], total)


def _refund(t: Ctx, rng: random.Random, shop: _Shop, receipt_no: str) -> None:
    sale = t.s.execute(select(Sale).where(Sale.receipt_no == receipt_no)).scalar_one()
    candidates = [x for x in sale.lines if x.count_card_id is None and x.line_total > 0]
    line = rng.choice(candidates)
    refunds.refund(t, receipt_no, [refunds.RefundLine(line.line_no, 1)], reason=rng.choice(REFUND_REASONS))
    if sale.member_id is not None:  # balances moved back: re-read them
        m = t.s.get(Member, sale.member_id)
        t.s.refresh(m, ["wallet_principal", "wallet_bonus", "points_balance", "tier_id"])
        p = shop.members.get(sale.member_id)
        if p is not None:
            p.wallet = m.wallet_principal + m.wallet_bonus
            p.points = m.points_balance
            p.tier_bp = shop.tier_bp.get(m.tier_id, 0)
