"""Four tills selling at once for a while, on SQLite and on PostgreSQL: sales per second, checkout
latency (p50, p99) and lost updates (must be 0).

    .venv/bin/python benchmarks/bench_load.py [--seconds 60] [--tills 4] [--topups 0.05] [--pg URL]
                                              [--only sqlite|postgresql] [--quick] [--json PATH]

Each till is its own process with its own database connection, as separate machines would be.
The shop: 2,000 members, each with 200.00 of stored value, 20 products. Every sale has 1-3
lines; 40% are members paying with stored value (a few members are shared by all tills, so the
same balances are spent from several tills at once), the rest walk-ins paying cash or card.
One step in twenty (``--topups``) is a top-up of 50.00 (each writes an audit row, so four tills extend the audit
chain at once). After the run: every member's balance must equal 200.00 less what the tills report
having charged them plus what they report having credited, the audit chain must be one chain, the
ledgers must equal the cached balances (``shopcare check``), every sale
must be whole, and receipt numbers unique per till. PostgreSQL: a fresh database on the server
(default the local one; named after this process, dropped after), skipped when none answers.
``--quick``: 15 seconds of selling, 500 members. ``--json``: the figures of each database (lost updates,
duplicate receipts, audit chain breaks and check faults must all be 0).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402

MEMBERS, BALANCE, HOT, TOPUP = 2_000, 20_000, 20, 5_000     # HOT members are spent from every till


def build(url: str, members: int = MEMBERS) -> None:
    from app.db import Database
    from app.services.sales import catalog
    from app.services.ledger import ledger
    from app.services.base import setup
    from app.services.base.context import Actor, Ctx, FixedClock
    from app.services.members.members import MemberInput, create_member

    db = Database(url)
    db.upgrade()
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(datetime(2026, 3, 2, 8)))
    setup.ensure_defaults(ctx)
    for i in range(20):
        catalog.add_product(ctx, sku=f"P{i}", name=f"Product {i}", price=500 + 150 * i, discount_eligible=False)
    for i in range(members):
        m = create_member(ctx, MemberInput(name=f"会员{i}", phone=f"1390000{i:04d}"))
        with ctx.tx() as t:
            ledger.post_wallet(t, m.id, "opening", BALANCE, 0)
    for code in ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"):
        setup.ensure_defaults(Ctx(db=db, till=code))
    db.dispose()


def till(url: str, code: str, seconds: float, seed: int, topup_share: float, start, q, members: int = MEMBERS) -> None:
    from app.db import Database
    from app.errors import InsufficientFunds
    from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
    from app.services.base.context import Actor, Ctx
    from app.services.ledger.wallet import topup

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "cashier", "cashier"), till=code)
    rng = random.Random(seed)
    charged: Counter = Counter()
    lat, refused, sales, topups = [], 0, 0, 0
    start.wait()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        if rng.random() < topup_share:
            member_id = rng.randint(1, HOT) if rng.random() < 0.5 else rng.randint(1, members)
            r = topup(ctx, member_id, TOPUP, "cash")
            charged[member_id] -= r.amount + r.bonus
            topups += 1
            continue
        member_id = (rng.randint(1, HOT) if rng.random() < 0.3 else rng.randint(1, members)) \
            if rng.random() < 0.4 else None
        cart = Cart(tuple(CartLine(f"P{rng.randrange(20)}", rng.randint(1, 2)) for _ in range(rng.randint(1, 3))),
                    member_id=member_id)
        total = price_cart(ctx, cart).total
        tenders = [Tender("wallet", total)] if member_id else [Tender(rng.choice(("cash", "card")), total)]
        t0 = time.perf_counter()
        try:
            checkout(ctx, cart, tenders)
            sales += 1
            if member_id:
                charged[member_id] += total
        except InsufficientFunds:
            refused += 1
        lat.append(time.perf_counter() - t0)
    db.dispose()
    q.put((code, sales, refused, topups, lat, dict(charged)))


def run(url: str, tills: int, seconds: float, topup_share: float = 0.05, members: int = MEMBERS) -> dict:
    spawn = mp.get_context("spawn")
    start, q = spawn.Event(), spawn.Queue()
    procs = [spawn.Process(target=till, args=(url, f"T{i + 1}", seconds, 100 + i, topup_share, start, q, members)) for i in range(tills)]
    for p in procs:
        p.start()
    time.sleep(2.0)          # every till connected and waiting
    start.set()
    results = [q.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(30)
    return verify(url, results, seconds)


def verify(url: str, results, seconds: float) -> dict:
    from sqlalchemy import func, select

    from app.db import Database
    from app.models import Member, Sale
    from app.services.base import audit
    from app.services.base.context import Ctx
    from app.services.admin.integrity import run_check

    charged: Counter = Counter()
    for *_rest, c in results:
        charged.update(c)
    db = Database(url)
    with db.session(write=False) as s:
        balances = dict(s.execute(select(Member.id, Member.wallet_principal + Member.wallet_bonus)).all())
        n_sales = s.execute(select(func.count(Sale.id))).scalar()
        dup = s.execute(select(func.count()).select_from(
            select(Sale.till, Sale.seq).group_by(Sale.till, Sale.seq).having(func.count() > 1).subquery())).scalar()
    lost = sum(1 for mid, bal in balances.items() if bal != BALANCE - charged.get(mid, 0))
    with db.session(write=False) as s:
        chain_breaks = len(audit.verify_chain(Ctx(db=db, session=s)))
    report = run_check(Ctx(db=db))
    db.dispose()
    lat = sorted(x for r in results for x in r[4])
    sales = sum(r[1] for r in results)
    return {"sales": sales, "refused": sum(r[2] for r in results), "topups": sum(r[3] for r in results),
            "sales_per_s": sales / seconds, "chain_breaks": chain_breaks,
            "p50_ms": 1000 * statistics.median(lat), "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
            "lost_updates": lost, "sales_in_db": n_sales, "duplicate_receipts": dup,
            "check_faults": len(report.faults)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=None, help="default 60; 15 with --quick")
    ap.add_argument("--members", type=int, default=None, help=f"default {MEMBERS:,}; 500 with --quick")
    ap.add_argument("--quick", action="store_true", help="15 seconds of selling, 500 members")
    results.add_json_arg(ap)
    ap.add_argument("--tills", type=int, default=4)
    ap.add_argument("--topups", type=float, default=0.05, help="share of steps that are a top-up (default 0.05)")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1/test")
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    args = ap.parse_args()
    args.seconds = args.seconds or (15 if args.quick else 60)
    args.members = args.members or (500 if args.quick else MEMBERS)
    targets = []
    pg_name = f"shopcare_load_{os.getpid()}"   # other engineers' runs use the same server
    admin = None
    if args.only != "postgresql":
        folder = Path(tempfile.mkdtemp(prefix="shopcare-load-"))
        targets.append(("SQLite (WAL, one file)", f"sqlite:///{folder / 'load.db'}"))
    if args.only != "sqlite":
        try:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            base = make_url(args.pg)
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{pg_name}"'))
            targets.append(("PostgreSQL", base.set(database=pg_name).render_as_string(hide_password=False)))
        except Exception as exc:  # no server: say so and go on with SQLite
            print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}".splitlines()[0])
            admin = None
    figures = []
    for label, url in targets:
        build(url, args.members)
        r = run(url, args.tills, args.seconds, args.topups, args.members)
        figures += [
            results.figure(f"{label}: sales/s, {args.tills} tills", r["sales_per_s"], "sales/s",
                           note=f"{r['sales']:,} sales, {r['topups']:,} top-ups"),
            results.figure(f"{label}: checkout p50", r["p50_ms"], "ms"),
            results.figure(f"{label}: checkout p99", r["p99_ms"], "ms"),
            results.figure(f"{label}: lost updates", r["lost_updates"], "", target_max=0),
            results.figure(f"{label}: duplicate receipt numbers", r["duplicate_receipts"], "", target_max=0),
            results.figure(f"{label}: audit chain breaks", r["chain_breaks"], "", target_max=0),
            results.figure(f"{label}: shopcare check faults", r["check_faults"], "", target_max=0),
        ]
        print(f"{label}: {args.tills} tills x {args.seconds:.0f} s: {r['sales']} sales ({r['sales_per_s']:.1f}/s), "
              f"{r['refused']} refused (balance too low), {r['topups']} top-ups, checkout p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms, "
              f"lost updates {r['lost_updates']}, duplicate receipts {r['duplicate_receipts']}, "
              f"sales in the database {r['sales_in_db']}, audit chain breaks {r['chain_breaks']}, "
              f"check faults {r['check_faults']}")
    if args.only != "postgresql":
        shutil.rmtree(folder, ignore_errors=True)
    if admin is not None:
        from sqlalchemy import text

        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()
    if args.only == "postgresql" and not targets:
        return 1   # asked for PostgreSQL alone and none answered: no figures
    results.write(args.json, "load_pg" if args.only == "postgresql" else "load", figures,
                  setup=f"{args.tills} till processes x {args.seconds:.0f} s, {args.members:,} members")
    return 0


if __name__ == "__main__":
    sys.exit(main())
