"""Build a large ShopCare database for the benchmarks: 200,000 members and 1,000,000 sales.

    .venv/bin/python benchmarks/build_bench_db.py [PATH] [--members N] [--sales N] [--seed S]

PATH defaults to benchmarks/out/bench.db (gitignored). The schema comes from ``Database.upgrade()``;
tiers, bonus rules, the till and the product range go through the services; the history is written
with bulk SQLAlchemy Core inserts (executemany in chunks, ids assigned here) that keep every ledger
consistent:

* each sale has 3 lines, its total equals the sum of its lines and the sum of its payments;
* about 70% of sales have a member; a third of those pay (partly) with stored value. When the
  member's balance would not cover it, a top-up (with the shop's bonus ladder) is written first;
  the spend is split between paid principal and bonus by the shop's own ``ledger.split_spend``;
* member sales earn points (``points.earn_points``), one ``earn`` entry each;
* members' cached balances, total spent, visits and last visit equal their ledgers and sales;
* the till's receipt sequence continues after the last sale.

No e-bill texts or audit rows are written for the history (the checkout benchmark writes its own).
At the end ``app.services.admin.integrity.run_check`` (what ``shopcare check`` runs) must report no fault.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select, update  # noqa: E402

from app.db import Database  # noqa: E402
from app.models import (Member, Payment, PointsEntry, Product, Sale, SaleLine, Tier, Till, Topup,  # noqa: E402
                        TopupBonusRule, WalletEntry)
from app.services.admin import integrity
from app.services.ledger import ledger, points
from app.services.base import settings, setup  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402
from app.services.admin.demo_data import COMPOUND_SURNAMES, GIVEN_ANY, GIVEN_F, GIVEN_M, PRODUCTS, SHOP_NAME, SURNAMES  # noqa: E402
from app.services.members.members import name_key  # noqa: E402

DEFAULT_PATH = Path(__file__).resolve().parent / "out" / "bench.db"
CHUNK = 20_000
PREFIXES = [str(p) for p in (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, *range(180, 190))]
HISTORY_DAYS = 730


def _name(rng: random.Random) -> tuple[str, str | None]:
    gender = rng.choice(("F", "M", None))
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
    pool = GIVEN_F if gender == "F" else GIVEN_M if gender == "M" else GIVEN_ANY
    given = rng.choice(pool) if rng.random() < 0.3 else rng.choice(pool) + rng.choice(pool)
    return surname + given, gender


def build(path: Path, n_members: int, n_sales: int, seed: int, log=print) -> dict:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    now = datetime.now().replace(microsecond=0)
    start = (now - timedelta(days=HISTORY_DAYS)).replace(hour=8, minute=0, second=0)
    ctx = Ctx(db=db, clock=FixedClock(start))
    setup.ensure_defaults(ctx)
    from app.services.sales import catalog

    settings.update(ctx, shop_name=SHOP_NAME)
    for i, (sku, name, category, price, kind, pts, disc) in enumerate(PRODUCTS):
        catalog.add_product(ctx, sku=sku, name=name, price=price, category=category, kind=kind,
                            points_eligible=pts, discount_eligible=disc,
                            barcode=f"69230000{i + 1:05d}" if kind == "goods" else None)
    cfg = settings.load(ctx)
    rng = random.Random(seed)
    t0 = time.perf_counter()

    # Bulk loading: no fsync per chunk (the finished file is checkpointed and synced at the end).
    @event.listens_for(db.engine, "connect")
    def _fast(dbapi_conn, _rec):  # pragma: no cover - only for new connections
        dbapi_conn.execute("PRAGMA synchronous = OFF")
    db.engine.dispose()

    with db.engine.begin() as conn:
        products = conn.execute(select(Product.id, Product.sku, Product.name, Product.price,
                                       Product.points_eligible).order_by(Product.id)).all()
        base_tier = conn.execute(select(Tier.id).order_by(Tier.rank).limit(1)).scalar()
        tiers = conn.execute(select(Tier.id, Tier.min_spend).order_by(Tier.rank)).all()
        rules = sorted(conn.execute(select(TopupBonusRule.id, TopupBonusRule.min_amount, TopupBonusRule.bonus)
                                    .where(TopupBonusRule.active.is_(True))).all(), key=lambda r: r[1])

        # --- members ---------------------------------------------------------------------------
        suffixes = rng.sample(range(100_000_000), n_members)
        joined = [start + timedelta(days=rng.randrange(HISTORY_DAYS // 2), minutes=rng.randrange(600))
                  for _ in range(n_members)]
        rows = []
        for i in range(n_members):
            name, gender = _name(rng)
            national = rng.choice(PREFIXES) + f"{suffixes[i]:08d}"
            month = rng.randint(1, 12)
            rows.append(dict(
                id=i + 1, name=name, name_key=name_key(name), phone="+86" + national, phone_last4=national[-4:],
                card_no=f"88{i + 1:08d}" if i % 3 == 0 else None, gender=gender,
                birthday_month=month, birthday_day=rng.randint(1, 28), birth_year=rng.randint(1955, 2006),
                birthday_calendar="lunar" if rng.random() < 0.15 else "solar", birthday_leap_month=False,
                tier_id=base_tier, join_date=joined[i].date(), notes="", consent_care=True,
                consent_marketing=rng.random() < 0.7, consent_care_source="import", ebill_enabled=True,
                wallet_principal=0, wallet_bonus=0, points_balance=0, total_spent=0, visits=0,
                created_at=joined[i], updated_at=joined[i]))
            if len(rows) == CHUNK:
                conn.execute(insert(Member), rows)
                rows = []
        if rows:
            conn.execute(insert(Member), rows)
    log(f"members: {n_members} in {time.perf_counter() - t0:.1f}s")

    # --- sales, in time order ------------------------------------------------------------------------
    principal = [0] * (n_members + 1)
    bonus = [0] * (n_members + 1)
    pts = [0] * (n_members + 1)
    spent = [0] * (n_members + 1)
    visits = [0] * (n_members + 1)
    last = [None] * (n_members + 1)
    span = (now - timedelta(days=1) - start).total_seconds()
    step = span / n_sales
    line_id = pay_id = wallet_id = points_id = topup_id = 0
    sales, lines, pays, wallets, pointss, topups = [], [], [], [], [], []

    def flush(conn):
        for model, batch in ((Sale, sales), (SaleLine, lines), (Payment, pays), (Topup, topups),
                             (WalletEntry, wallets), (PointsEntry, pointss)):
            if batch:
                conn.execute(insert(model), batch)
                batch.clear()

    with db.engine.begin() as conn:
        for sale_id in range(1, n_sales + 1):
            at = start + timedelta(seconds=int(sale_id * step))
            if at.hour < 8:
                at = at.replace(hour=8 + at.hour)
            member = rng.randint(1, n_members) if rng.random() < 0.7 else None
            if member is not None and joined[member - 1] > at:
                member = None  # not a member yet
            total = 0
            earn_base = 0
            for line_no in (1, 2, 3):
                pid, sku, pname, price, eligible = products[rng.randrange(len(products))]
                qty = 1 if rng.random() < 0.85 else 2
                line_id += 1
                lines.append(dict(id=line_id, sale_id=sale_id, line_no=line_no, product_id=pid, sku=sku, name=pname,
                                  qty=qty, unit_price=price, price_overridden=False, tier_discount=0,
                                  manual_discount=0, line_total=price * qty, points_eligible=eligible))
                total += price * qty
                earn_base += price * qty if eligible else 0
            due = total
            if member is not None and rng.random() < 0.33:
                while principal[member] + bonus[member] < due:
                    amount = rng.choice((50_000, 100_000, 200_000))
                    rule = max((r for r in rules if r[1] <= amount), key=lambda r: r[1], default=None)
                    add_bonus = rule[2] if rule else 0
                    topup_id += 1
                    wallet_id += 1
                    when = at - timedelta(minutes=1)
                    topups.append(dict(id=topup_id, member_id=member, amount=amount, bonus=add_bonus,
                                       pay_method="cash", rule_id=rule[0] if rule else None, till="T1",
                                       status="done", created_at=when))
                    wallets.append(dict(id=wallet_id, member_id=member, kind="topup", principal=amount,
                                        bonus=add_bonus, sale_id=None, topup_id=topup_id, created_at=when,
                                        note="top-up cash"))
                    principal[member] += amount
                    bonus[member] += add_bonus
                use = due if rng.random() < 0.8 else due // 2
                p_part, b_part = ledger.split_spend(principal[member], bonus[member], use)
                principal[member] -= p_part
                bonus[member] -= b_part
                wallet_id += 1
                wallets.append(dict(id=wallet_id, member_id=member, kind="spend", principal=-p_part, bonus=-b_part,
                                    sale_id=sale_id, topup_id=None, created_at=at, note=""))
                pay_id += 1
                pays.append(dict(id=pay_id, sale_id=sale_id, method="wallet", amount=use, tendered=None,
                                 wallet_principal=p_part, wallet_bonus=b_part, reference=None))
                due -= use
            change = 0
            if due:
                pay_id += 1
                if rng.random() < 0.6:
                    pays.append(dict(id=pay_id, sale_id=sale_id, method="card", amount=due, tendered=None,
                                     wallet_principal=None, wallet_bonus=None, reference=None))
                else:
                    tendered = -(-due // 5000) * 5000
                    change = tendered - due
                    pays.append(dict(id=pay_id, sale_id=sale_id, method="cash", amount=due, tendered=tendered,
                                     wallet_principal=None, wallet_bonus=None, reference=None))
            earned = 0
            if member is not None:
                earned = points.earn_points(cfg, earn_base, 100)
                if earned:
                    points_id += 1
                    pointss.append(dict(id=points_id, member_id=member, kind="earn", points=earned,
                                        expires_on=date(at.year + 1, 12, 31), sale_id=sale_id, created_at=at,
                                        note=""))
                    pts[member] += earned
                spent[member] += total
                visits[member] += 1
                last[member] = at
            sales.append(dict(id=sale_id, receipt_no=f"T1-{sale_id:06d}", till="T1", seq=sale_id, kind="sale",
                              source="import", member_id=member, created_at=at, subtotal=total, tier_discount=0,
                              manual_discount=0, total=total, change_given=change, points_earned=earned, note=""))
            if len(sales) == CHUNK:
                flush(conn)
            if sale_id % 100_000 == 0:
                log(f"sales: {sale_id:,} ({time.perf_counter() - t0:.0f}s)")
        flush(conn)
        conn.execute(update(Till).where(Till.code == "T1").values(last_receipt_seq=n_sales))

        # --- cached member values, tiers by cumulative spend ---------------------------------------------
        rows = []
        for m in range(1, n_members + 1):
            tier_id = base_tier
            for tid, min_spend in tiers:
                if min_spend is not None and spent[m] >= min_spend:
                    tier_id = tid
            rows.append(dict(b_id=m, wp=principal[m], wb=bonus[m], pb=pts[m], ts=spent[m], v=visits[m],
                             lv=last[m], tid=tier_id))
        from sqlalchemy import bindparam

        stmt = (update(Member.__table__).where(Member.__table__.c.id == bindparam("b_id"))
                .values(wallet_principal=bindparam("wp"), wallet_bonus=bindparam("wb"),
                        points_balance=bindparam("pb"), total_spent=bindparam("ts"), visits=bindparam("v"),
                        last_visit_at=bindparam("lv"), tier_id=bindparam("tid")))
        for i in range(0, len(rows), CHUNK):
            conn.execute(stmt, rows[i:i + CHUNK])
    build_s = time.perf_counter() - t0
    log(f"history written in {build_s:.1f}s; checkpointing")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()

    # --- verify with what `shopcare check` runs ---------------------------------------------------------------
    t1 = time.perf_counter()
    check_db = Database(f"sqlite:///{path}")
    report = integrity.run_check(Ctx(db=check_db))
    check_db.dispose()
    log(f"check: {'ok' if report.ok else 'FAULTS'} in {time.perf_counter() - t1:.1f}s; counts {dict(report.counts)}")
    for line in report.faults[:20]:
        log("  fault:", line.en)
    return {"build_s": build_s, "ok": report.ok, "counts": dict(report.counts), "topups": topup_id,
            "wallet_entries": wallet_id, "points_entries": points_id, "payments": pay_id}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--sales", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    args.path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = build(args.path, args.members, args.sales, args.seed)
    print(f"done in {time.perf_counter() - t0:.1f}s: {args.path} ({args.path.stat().st_size / 1e6:.0f} MB)")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
