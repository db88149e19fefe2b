"""How long a big purchase-history import holds the database's write lock, and how long it takes.

    .venv/bin/python benchmarks/bench_import_lock.py [-n 105000] [--phones 12000] [--out DIR] [--members]
                                                     [--quick] [--json PATH]

Builds a fresh SQLite shop (WAL, as the app runs it) in DIR (default benchmarks/out/import_lock),
writes a CSV history of N rows (about a third of them lines of 2- or 3-line receipts, the rest
receipt-less rows; phones drawn from a pool, so the import also creates that many members), and runs
``imports.import_sales`` on it, as ``shopcare import sales FILE`` does. ``--members``: a member file
of N rows instead (every third with opening stored value and points, some with a card, birthday,
tags and consent), run through ``imports.import_members`` (``shopcare import members FILE``).

The write lock is held from each write transaction's ``BEGIN IMMEDIATE`` to its COMMIT/ROLLBACK;
measured here to the write connection's return to the pool (the COMMIT and any WAL checkpoint it
runs included: the app has one write connection, so a till's checkout waits for all of it).
An import writes in chunks of about 50 ms, each its own transaction (app/services/admin/
import_chunks.py). Reports the total time, the number of write transactions, the longest (target:
under 100 ms, issue 17; also in the process's CPU time, which a loaded machine disturbs less), the
median and the sum of all of them. ``--quick``: 30,000 rows.
"""
from __future__ import annotations

import argparse
import random
import os
import shutil
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

import results  # noqa: E402

from app.db import Database  # noqa: E402
from app.services.admin import imports  # noqa: E402
from app.services.base import setup  # noqa: E402
from app.services.base.context import Actor, Ctx, FixedClock  # noqa: E402


def write_history(path: Path, n: int, phones: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    start = datetime(2021, 1, 1, 9, 0)
    pool = [f"13{rnd.randrange(10**9):09d}" for _ in range(phones)]
    out = ["phone,datetime,amount,qty,receipt"]
    receipt = 0
    while len(out) - 1 < n:
        phone = rnd.choice(pool)
        when = (start + timedelta(minutes=rnd.randrange(5 * 365 * 24 * 60))).strftime("%Y-%m-%d %H:%M:%S")
        lines = rnd.choice((1, 1, 1, 1, 2, 3))
        receipt += 1
        for _ in range(min(lines, n - (len(out) - 1))):
            amount = f"{rnd.randrange(500, 80000) / 100:.2f}"
            out.append(f"{phone},{when},{amount},{rnd.randrange(1, 4)},{f'R{receipt:07d}' if lines > 1 else ''}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def write_members(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    out = ["name,phone,birthday,gender,consent,card,balance,bonus,points,tags,join_date"]
    for i in range(n):
        rich = i % 3 == 0
        out.append(",".join([
            f"会员{i}", f"139{i:08d}", f"19{rnd.randrange(50, 99)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
            if i % 2 else "", rnd.choice(("男", "女", "")), rnd.choice(("是", "否")), f"C{i:07d}" if i % 4 == 0 else "",
            f"{rnd.randrange(100, 500000) / 100:.2f}" if rich else "", f"{rnd.randrange(0, 5000) / 100:.2f}" if rich else "",
            str(rnd.randrange(0, 3000)) if rich else "", "常客" if i % 5 == 0 else "",
            f"20{rnd.randrange(15, 26)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"]))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=None, help="rows (default 105,000; 30,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="30,000 rows")
    results.add_json_arg(ap)
    ap.add_argument("--phones", type=int, default=12_000)
    ap.add_argument("--members", action="store_true", help="a member file instead of history")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "import_lock")
    args = ap.parse_args()
    args.n = args.n or (30_000 if args.quick else 105_000)

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    csv = args.out / ("members.csv" if args.members else "history.csv")
    if args.members:
        write_members(csv, args.n)
    else:
        write_history(csv, args.n, args.phones)
    db = Database(f"sqlite:///{args.out / 'shop.db'}")
    db.upgrade()
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(datetime(2026, 6, 1, 12, 0)))
    setup.ensure_defaults(ctx)

    held: list[float] = []
    cpu: list[float] = []      # the same transactions in this process's CPU time (steadier on a loaded machine)
    opened: dict[int, tuple[float, float]] = {}

    def begin(conn) -> None:
        opened[id(conn.connection._connection_record)] = (time.perf_counter(), time.process_time())

    def end(rec) -> None:
        t0 = opened.pop(id(rec), None)
        if t0 is not None:
            held.append(time.perf_counter() - t0[0])
            cpu.append(time.process_time() - t0[1])

    # to the connection's return to the pool: the COMMIT (and a WAL checkpoint it runs) included,
    # as a till sharing the one write connection waits for it
    event.listen(db.write_engine, "begin", begin)
    event.listen(db.write_engine.pool, "checkin", lambda dbapi_conn, rec: end(rec))

    t0 = time.perf_counter()
    report = (imports.import_members if args.members else imports.import_sales)(ctx, csv)
    total = time.perf_counter() - t0
    print(f"rows {args.n}, {'members' if args.members else 'sales'} imported {report.imported}, "
          f"members created {report.members_created}")
    median = statistics.median(held)
    if os.environ.get("BENCH_VERBOSE"):
        print(" ".join(f"{h * 1000:.0f}" for h in held))
    print(f"total {total:.2f} s; write transactions {len(held)}, longest {max(held) * 1000:.0f} ms, "
          f"median {median * 1000:.0f} ms, sum {sum(held):.2f} s; in CPU time longest {max(cpu) * 1000:.0f} ms, "
          f"median {statistics.median(cpu) * 1000:.0f} ms")
    db.dispose()
    kind = "members" if args.members else "history"
    results.write(args.json, "import_lock" + ("_members" if args.members else ""), [
        results.figure(f"import {kind}: longest write transaction", max(held) * 1000, "ms", target_max=100.0,
                       note=f"{len(held)} write transaction{'s' if len(held) != 1 else ''}"),
        results.figure(f"import {kind}: longest write transaction, CPU time", max(cpu) * 1000, "ms",
                       target_max=100.0),
        results.figure(f"import {kind}: median write transaction", median * 1000, "ms"),
        results.figure(f"import {kind}: write lock held in all", sum(held), "s"),
        results.figure(f"import {kind}: whole import", total, "s"),
    ], setup=f"{args.n:,} rows, fresh SQLite shop")


if __name__ == "__main__":
    main()
