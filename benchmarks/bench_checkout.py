"""Checkout latency on a big database, against the floor of raw sqlite3 writing the same rows.

    .venv/bin/python benchmarks/bench_checkout.py [BENCH_DB] [-n 2000]

Works on a COPY of the database built by build_bench_db.py (default benchmarks/out/bench.db), so the
original stays as built. For each of N iterations, interleaved so both see the same machine load:

(a) ShopCare: ``checkout()`` of a member's cart (3 lines) paid with stored value (the rest by card
    when the balance is short), committed in its own transaction through the app's engine (WAL,
    synchronous=FULL, BEGIN IMMEDIATE). Timed from the call to its return, commit included.
(b) raw sqlite3 (stdlib, same pragmas, own connection, BEGIN IMMEDIATE): the rows such a sale
    writes, with prepared statements: the till's receipt number, the sale, 3 lines, the payment,
    the wallet entry and the conditional balance update, the points entry and points update, the
    member's totals, and the e-bill message; then COMMIT. Timed the same way.

Reports median and p99 of each and the ratio (a)/(b). The copy is checked with ``shopcare check``'s
integrity check at the end (the raw rows keep the ledgers consistent too).
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import BUSY_TIMEOUT_MS, Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services.admin import integrity  # noqa: E402
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402

DEFAULT_DB = Path(__file__).resolve().parent / "out" / "bench.db"


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args(argv)

    work = args.db.with_name(args.db.stem + "_checkout.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    shutil.copyfile(args.db, work)

    rng = random.Random(args.seed)
    db = Database(f"sqlite:///{work}")
    clock = FixedClock(datetime.now().replace(microsecond=0, hour=9))
    ctx = Ctx(db=db, till="T1", clock=clock)
    raw = raw_connection(work)
    raw.execute("INSERT OR IGNORE INTO tills (code, name, last_receipt_seq) VALUES ('T2', 'T2', 0)")
    products = raw.execute("SELECT id, sku, name, price FROM products WHERE kind = 'goods' AND price < 5000 "
                           "ORDER BY id").fetchall()
    # Members with stored value to spend: half for each side, no member used twice.
    rich = [r[0] for r in raw.execute("SELECT id FROM members WHERE wallet_principal >= 30000 ORDER BY id")]
    rng.shuffle(rich)
    if len(rich) < 2 * args.n:
        raise SystemExit(f"only {len(rich)} members with stored value; build a bigger database")
    orm_members, raw_members = rich[:args.n], rich[args.n:2 * args.n]

    orm_ms, raw_ms = [], []
    for i in range(args.n):
        picks = [products[rng.randrange(len(products))] for _ in range(3)]
        clock.set(clock.now() + timedelta(seconds=7))
        when = clock.now()
        # (a) ShopCare
        mid = orm_members[i]
        cart = Cart(tuple(CartLine(sku, 1) for _pid, sku, _name, _price in picks), member_id=mid)
        total = price_cart(ctx, cart).total  # tier discount included (priced before the clock starts)
        t0 = time.perf_counter()
        checkout(ctx, cart, [Tender("wallet", amount=total)])
        orm_ms.append((time.perf_counter() - t0) * 1000)
        # (b) raw sqlite3, the same rows
        lines = [(pid, sku, name, price, 1) for pid, sku, name, price in picks]
        t0 = time.perf_counter()
        raw_sale(raw, raw_members[i], lines, when.isoformat(sep=" "))
        raw_ms.append((time.perf_counter() - t0) * 1000)
    raw.close()

    def show(label: str, ms: list[float]) -> None:
        print(f"{label:<28} median {statistics.median(ms):6.2f} ms   p99 {pct(ms, 99):6.2f} ms   "
              f"mean {statistics.fmean(ms):6.2f} ms")

    print(f"{args.n} sales each, member + 3 lines + stored value, one committed transaction each ({work.name})")
    show("ShopCare checkout()", orm_ms)
    show("raw sqlite3, same rows", raw_ms)
    print(f"ratio median {statistics.median(orm_ms) / statistics.median(raw_ms):.2f}x   "
          f"p99 {pct(orm_ms, 99) / pct(raw_ms, 99):.2f}x   (target <= 3x)")
    report = integrity.run_check(Ctx(db=db))
    print("integrity check:", "ok" if report.ok else [f.en for f in report.faults[:5]])
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
