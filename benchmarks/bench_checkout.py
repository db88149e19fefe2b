"""Checkout latency on a big database, against the floor of raw sqlite3 writing the same rows.

    .venv/bin/python benchmarks/bench_checkout.py [BENCH_DB] [-n 2000] [--quick] [--json PATH]
    .venv/bin/python benchmarks/bench_checkout.py [BENCH_DB] --pg URL [--pg-members 20000] [--pg-sales 100000]

Works on a COPY of the database built by build_bench_db.py (default benchmarks/out/bench.db), made in
benchmarks/out/ and deleted at the end, so the original is never written. ``--quick``: n=300. For each
of N iterations, interleaved so both see the same machine load:

(a) ShopCare: ``checkout()`` of a member's cart (3 lines) paid with stored value (the rest by card
    when the balance is short), committed in its own transaction through the app's engine (WAL,
    synchronous=FULL, BEGIN IMMEDIATE). Timed from the call to its return, commit included.
(b) raw sqlite3 (stdlib, same pragmas, own connection, BEGIN IMMEDIATE): the rows such a sale
    writes, with prepared statements: the till's receipt number, the sale, 3 lines, the payment,
    the wallet entry and the conditional balance update, the points entry and points update, the
    member's totals, and the e-bill message; then COMMIT. Timed the same way.

Reports median and p99 of each, the ratio (a)/(b) (targets: median <= 2x, p99 <= 3x), and the CPU
time of each side (``time.process_time``: what this process itself spent, the machine's disk and
other load left out). The copy is checked with ``shopcare check``'s integrity check at the end (the
raw rows keep the ledgers consistent too).

``--pg URL`` (a server the benchmark may create databases on): the same on PostgreSQL. A database
``bench_checkout`` is created (dropped first if there), filled from a SQLite database of
``--pg-members`` / ``--pg-sales`` built by build_bench_db.py (it writes SQLite only), and dropped at
the end; the floor is raw psycopg (server-side prepared statements, one transaction) writing the
same rows.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import results  # noqa: E402

from app.db import BUSY_TIMEOUT_MS, Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services.admin import integrity  # noqa: E402
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_DB = OUT / "bench.db"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def raw_sale(conn: sqlite3.Connection, member_id: int, lines: list[tuple], when: str, till: str = "T2") -> None:
    """One sale with a stored-value payment, written as plainly as SQLite allows."""
    total = sum(price * qty for _pid, _sku, _name, price, qty in lines)
    c = conn.cursor()
    c.execute("BEGIN IMMEDIATE")
    try:
        seq = c.execute("UPDATE tills SET last_receipt_seq = last_receipt_seq + 1 WHERE code = ? "
                        "RETURNING last_receipt_seq", (till,)).fetchone()[0]
        receipt = f"{till}-{seq:06d}"
        c.execute("INSERT INTO sales (receipt_no, till, seq, kind, source, member_id, created_at, subtotal, "
                  "tier_discount, manual_discount, total, change_given, points_earned, note) "
                  "VALUES (?, ?, ?, 'sale', 'till', ?, ?, ?, 0, 0, ?, 0, ?, '')",
                  (receipt, till, seq, member_id, when, total, total, total // 100))
        sale_id = c.lastrowid
        c.executemany("INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, qty, unit_price, "
                      "price_overridden, tier_discount, manual_discount, line_total, points_eligible) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, 1)",
                      [(sale_id, i, pid, sku, name, qty, price, price * qty)
                       for i, (pid, sku, name, price, qty) in enumerate(lines, start=1)])
        c.execute("INSERT INTO payments (sale_id, method, amount, wallet_principal, wallet_bonus) "
                  "VALUES (?, 'wallet', ?, ?, 0)", (sale_id, total, total))
        if c.execute("UPDATE members SET wallet_principal = wallet_principal - ? WHERE id = ? AND wallet_principal >= ?",
                     (total, member_id, total)).rowcount != 1:
            raise RuntimeError("balance")
        c.execute("INSERT INTO wallet_entries (member_id, kind, principal, bonus, sale_id, created_at, note) "
                  "VALUES (?, 'spend', ?, 0, ?, ?, '')", (member_id, -total, sale_id, when))
        c.execute("UPDATE members SET points_balance = points_balance + ? WHERE id = ?", (total // 100, member_id))
        c.execute("INSERT INTO points_entries (member_id, kind, points, sale_id, created_at, note) "
                  "VALUES (?, 'earn', ?, ?, ?, '')", (member_id, total // 100, sale_id, when))
        c.execute("UPDATE members SET total_spent = total_spent + ?, visits = visits + 1, last_visit_at = ?, "
                  "updated_at = ? WHERE id = ?", (total, when, when, member_id))
        phone = c.execute("SELECT phone FROM members WHERE id = ?", (member_id,)).fetchone()[0]
        c.execute("INSERT INTO messages (dedupe_key, member_id, phone, kind, category, lang, body, segments, "
                  "status, created_at, due_at, attempts) VALUES (?, ?, ?, 'ebill', 'transactional', 'zh_CN', ?, 2, "
                  "'queued', ?, ?, 0)", (f"ebill:sale:{sale_id}", member_id, phone,
                                         f"【街角茶咖】消费{total / 100:.2f}元，小票{receipt}", when, when))
        c.execute("COMMIT")
    except BaseException:
        c.execute("ROLLBACK")
        raise


def raw_pg_sale(conn, member_id: int, lines: list[tuple], when: datetime, till: str = "T2") -> None:
    """raw_sale on PostgreSQL: psycopg, statements prepared on the server, one transaction."""
    total = sum(price * qty for _pid, _sku, _name, price, qty in lines)
    with conn.transaction():
        c = conn.cursor()
        seq = c.execute("UPDATE tills SET last_receipt_seq = last_receipt_seq + 1 WHERE code = %s "
                        "RETURNING last_receipt_seq", (till,), prepare=True).fetchone()[0]
        receipt = f"{till}-{seq:06d}"
        sale_id = c.execute(
            "INSERT INTO sales (receipt_no, till, seq, kind, source, member_id, created_at, subtotal, tier_discount, "
            "manual_discount, total, change_given, points_earned, note) VALUES (%s, %s, %s, 'sale', 'till', %s, %s, "
            "%s, 0, 0, %s, 0, %s, '') RETURNING id",
            (receipt, till, seq, member_id, when, total, total, total // 100), prepare=True).fetchone()[0]
        c.executemany("INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, qty, unit_price, "
                      "price_overridden, tier_discount, manual_discount, line_total, points_eligible, refunded_qty) "
                      "VALUES (%s, %s, %s, %s, %s, %s, %s, false, 0, 0, %s, true, 0)",
                      [(sale_id, i, pid, sku, name, qty, price, price * qty)
                       for i, (pid, sku, name, price, qty) in enumerate(lines, start=1)])
        c.execute("INSERT INTO payments (sale_id, method, amount, wallet_principal, wallet_bonus) "
                  "VALUES (%s, 'wallet', %s, %s, 0)", (sale_id, total, total), prepare=True)
        c.execute("UPDATE members SET wallet_principal = wallet_principal - %s WHERE id = %s AND wallet_principal >= %s",
                  (total, member_id, total), prepare=True)
        if c.rowcount != 1:
            raise RuntimeError("balance")
        c.execute("INSERT INTO wallet_entries (member_id, kind, principal, bonus, sale_id, created_at, note) "
                  "VALUES (%s, 'spend', %s, 0, %s, %s, '')", (member_id, -total, sale_id, when), prepare=True)
        c.execute("UPDATE members SET points_balance = points_balance + %s WHERE id = %s", (total // 100, member_id),
                  prepare=True)
        c.execute("INSERT INTO points_entries (member_id, kind, points, sale_id, created_at, note) "
                  "VALUES (%s, 'earn', %s, %s, %s, '')", (member_id, total // 100, sale_id, when), prepare=True)
        c.execute("UPDATE members SET total_spent = total_spent + %s, visits = visits + 1, last_visit_at = %s, "
                  "updated_at = %s WHERE id = %s", (total, when, when, member_id), prepare=True)
        phone = c.execute("SELECT phone FROM members WHERE id = %s", (member_id,), prepare=True).fetchone()[0]
        c.execute("INSERT INTO messages (dedupe_key, member_id, phone, kind, category, lang, body, segments, status, "
                  "created_at, due_at, attempts) VALUES (%s, %s, %s, 'ebill', 'transactional', 'zh_CN', %s, 2, "
                  "'queued', %s, %s, 0)", (f"ebill:sale:{sale_id}", member_id, phone,
                                           f"【街角茶咖】消费{total / 100:.2f}元，小票{receipt}", when, when), prepare=True)


def pg_copy(sqlite_path: Path, pg_url: str) -> None:
    """Create the schema on ``pg_url`` and copy every row of the SQLite file into it."""
    from sqlalchemy import create_engine, func, select, text

    from app.models import Base

    Database(pg_url).upgrade()
    src = create_engine(f"sqlite:///{sqlite_path}")
    dst = create_engine(pg_url)
    with src.connect() as s, dst.begin() as d:
        tables = [t for t in Base.metadata.sorted_tables if t.name != "alembic_version"]
        d.execute(text("SET session_replication_role = replica"))  # triggers and FK checks off while loading
        for t in reversed(tables):
            d.execute(t.delete())
        for t in tables:
            rows = s.execute(select(t)).mappings()
            chunk = []
            for r in rows:
                chunk.append(dict(r))
                if len(chunk) == 20_000:
                    d.execute(t.insert(), chunk)
                    chunk = []
            if chunk:
                d.execute(t.insert(), chunk)
            if "id" in t.c:
                top = d.execute(select(func.max(t.c.id))).scalar()
                if top:
                    d.execute(text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), {int(top)})"))
        d.execute(text("SET session_replication_role = origin"))
    src.dispose()
    dst.dispose()


def run(url: str, raw_sale_fn, raw_conn, n: int, seed: int, products: list, rich: list) -> tuple:
    """N interleaved sales each side: (ShopCare ms, raw ms, ShopCare CPU ms, raw CPU ms)."""
    rng = random.Random(seed)
    db = Database(url)
    clock = FixedClock(datetime.now().replace(microsecond=0, hour=9))
    ctx = Ctx(db=db, till="T1", clock=clock)
    rng.shuffle(rich)
    if len(rich) < 2 * n:
        raise SystemExit(f"only {len(rich)} members with stored value; build a bigger database")
    orm_members, raw_members = rich[:n], rich[n:2 * n]
    orm_ms, raw_ms, orm_cpu, raw_cpu, held = [], [], [], [], []
    locked_at = []
    take_lock = getattr(db, "write_lock", None)
    if take_lock is not None:  # when the write lock is taken (SQLite: BEGIN IMMEDIATE), to its commit
        def write_lock(session):
            locked_at.append(time.perf_counter())
            return take_lock(session)
        db.write_lock = write_lock
    for i in range(n):
        picks = [products[rng.randrange(len(products))] for _ in range(3)]
        clock.set(clock.now() + timedelta(seconds=7))
        when = clock.now()
        # (a) ShopCare
        cart = Cart(tuple(CartLine(sku, 1) for _pid, sku, _name, _price in picks), member_id=orm_members[i])
        total = price_cart(ctx, cart).total  # tier discount included (priced before the clock starts)
        c0, t0 = time.process_time(), time.perf_counter()
        locked_at.clear()
        checkout(ctx, cart, [Tender("wallet", amount=total)])
        t1 = time.perf_counter()
        orm_ms.append((t1 - t0) * 1000)
        held.append((t1 - (locked_at[0] if locked_at else t0)) * 1000)
        orm_cpu.append((time.process_time() - c0) * 1000)
        # (b) the raw driver, the same rows
        lines = [(pid, sku, name, price, 1) for pid, sku, name, price in picks]
        c0, t0 = time.process_time(), time.perf_counter()
        raw_sale_fn(raw_conn, raw_members[i], lines, when)
        raw_ms.append((time.perf_counter() - t0) * 1000)
        raw_cpu.append((time.process_time() - c0) * 1000)
    report = integrity.run_check(Ctx(db=db))
    print("integrity check:", "ok" if report.ok else [f.en for f in report.faults[:5]])
    db.dispose()
    return orm_ms, raw_ms, orm_cpu, raw_cpu, held


def show(label: str, ms: list[float]) -> None:
    print(f"{label:<30} median {statistics.median(ms):6.2f} ms   p99 {pct(ms, 99):6.2f} ms   "
          f"mean {statistics.fmean(ms):6.2f} ms")


def figures(side: str, floor_what: str, orm_ms, raw_ms, orm_cpu, raw_cpu, held) -> list[dict]:
    show("ShopCare write lock held", held)
    print(f"ratio median {statistics.median(orm_ms) / statistics.median(raw_ms):.2f}x   "
          f"p99 {pct(orm_ms, 99) / pct(raw_ms, 99):.2f}x   (targets <= 2x, <= 3x); CPU median "
          f"{statistics.median(orm_cpu):.2f} vs {statistics.median(raw_cpu):.2f} ms "
          f"({statistics.median(orm_cpu) / max(statistics.median(raw_cpu), 1e-9):.2f}x)")
    return [
        results.figure(f"checkout median{side}", statistics.median(orm_ms), "ms", floor=statistics.median(raw_ms),
                       floor_what=floor_what, target_ratio=2.0),
        results.figure(f"checkout p99{side}", pct(orm_ms, 99), "ms", floor=pct(raw_ms, 99), floor_what=floor_what,
                       target_ratio=3.0),
        results.figure(f"checkout CPU median{side}", statistics.median(orm_cpu), "ms",
                       floor=statistics.median(raw_cpu), floor_what=floor_what + " (CPU)",
                       note="this process's CPU time only: the disk's and the machine's waits left out"),
        results.figure(f"checkout write lock held, median{side}", statistics.median(held), "ms",
                       floor=statistics.median(raw_ms), floor_what=floor_what + " (holds it throughout)",
                       note="from BEGIN IMMEDIATE (SQLite) or the first statement to the commit's end"),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    ap.add_argument("-n", type=int, default=None, help="sales each side (default 2000; --quick: 300)")
    ap.add_argument("--quick", action="store_true", help="n=300: a few minutes")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--pg", default=None, help="also (only) run on PostgreSQL at this server URL")
    ap.add_argument("--pg-members", type=int, default=20_000)
    ap.add_argument("--pg-sales", type=int, default=100_000)
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    n = args.n or (300 if args.quick else 2000)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.pg:
        return main_pg(args, n)

    work = OUT / (args.db.stem + "_checkout.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(args.db, work)
    try:
        raw = raw_connection(work)
        raw.execute("INSERT OR IGNORE INTO tills (code, name, last_receipt_seq) VALUES ('T2', 'T2', 0)")
        products = raw.execute("SELECT id, sku, name, price FROM products WHERE kind = 'goods' AND price < 5000 "
                               "ORDER BY id").fetchall()
        # Members with stored value to spend: half for each side, no member used twice.
        rich = [r[0] for r in raw.execute("SELECT id FROM members WHERE wallet_principal >= 30000 ORDER BY id")]
        members = raw.execute("SELECT count(*) FROM members").fetchone()[0]
        sales = raw.execute("SELECT count(*) FROM sales").fetchone()[0]

        def raw_sqlite(conn, member_id, lines, when):
            raw_sale(conn, member_id, lines, when.isoformat(sep=" "))

        orm_ms, raw_ms, orm_cpu, raw_cpu, held = run(f"sqlite:///{work}", raw_sqlite, raw, n, args.seed, products, rich)
        raw.close()
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)
    setup = f"{members:,} members / {sales:,} sales (SQLite {sqlite3.sqlite_version}), n={n}, load {os.getloadavg()[0]:.1f}"
    print(f"{n} sales each, member + 3 lines + stored value, one committed transaction each ({setup})")
    show("ShopCare checkout()", orm_ms)
    show("raw sqlite3, same rows", raw_ms)
    show("ShopCare CPU", orm_cpu)
    show("raw sqlite3 CPU", raw_cpu)
    results.write(args.json, "checkout", figures("", "raw sqlite3", orm_ms, raw_ms, orm_cpu, raw_cpu, held), setup=setup)
    return 0


def main_pg(args, n: int) -> int:
    import psycopg
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(args.pg)
    name = "bench_checkout"
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    src = OUT / f"pg_source_{args.pg_members}_{args.pg_sales}.db"
    try:
        subprocess.run([sys.executable, str(Path(__file__).with_name("build_bench_db.py")), str(src),
                        "--members", str(args.pg_members), "--sales", str(args.pg_sales)], check=True,
                       stdout=subprocess.DEVNULL)
        t0 = time.perf_counter()
        pg_copy(src, url)
        print(f"PostgreSQL database {name} filled from {src.name} in {time.perf_counter() - t0:.0f} s")
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        raw = psycopg.connect(dsn, autocommit=True)
        raw.execute("INSERT INTO tills (code, name, last_receipt_seq) VALUES ('T2', 'T2', 0) ON CONFLICT DO NOTHING")
        products = raw.execute("SELECT id, sku, name, price FROM products WHERE kind = 'goods' AND price < 5000 "
                               "ORDER BY id").fetchall()
        rich = [r[0] for r in raw.execute("SELECT id FROM members WHERE wallet_principal >= 30000 ORDER BY id")]
        version = raw.execute("SHOW server_version").fetchone()[0]
        orm_ms, raw_ms, orm_cpu, raw_cpu, held = run(url, raw_pg_sale, raw, n, args.seed, products, rich)
        raw.close()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(str(src) + suffix).unlink(missing_ok=True)
    setup = (f"PostgreSQL {version}, {args.pg_members:,} members / {args.pg_sales:,} sales, n={n}, "
             f"load {os.getloadavg()[0]:.1f}")
    print(f"{n} sales each on {setup}")
    show("ShopCare checkout()", orm_ms)
    show("raw psycopg, same rows", raw_ms)
    show("ShopCare CPU", orm_cpu)
    show("raw psycopg CPU", raw_cpu)
    results.write(args.json, "checkout_pg", figures(" (PostgreSQL)", "raw psycopg", orm_ms, raw_ms, orm_cpu, raw_cpu, held),
                  setup=setup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
