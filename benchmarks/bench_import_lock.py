"""How long a big purchase-history import holds the database's write lock, and how long it takes.

    .venv/bin/python benchmarks/bench_import_lock.py [-n 105000] [--phones 12000] [--out DIR]

Builds a fresh SQLite shop (WAL, as the app runs it) in DIR (default benchmarks/out/import_lock),
writes a CSV history of N rows (about a third of them lines of 2- or 3-line receipts, the rest
receipt-less rows; phones drawn from a pool, so the import also creates that many members), and runs
``imports.import_sales`` on it, as ``shopcare import sales FILE`` does.

The write lock is held from each write transaction's ``BEGIN IMMEDIATE`` to its COMMIT/ROLLBACK
(SQLAlchemy engine events on the app's write engine): while it is held, a till's checkout waits.
Reports the total time, the longest write transaction and the sum of all of them.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from app.db import Database  # noqa: E402
from app.services import imports, setup  # noqa: E402
from app.services.context import Actor, Ctx, FixedClock  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=105_000)
    ap.add_argument("--phones", type=int, default=12_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "import_lock")
    args = ap.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    csv = args.out / "history.csv"
    write_history(csv, args.n, args.phones)
    db = Database(f"sqlite:///{args.out / 'shop.db'}")
    db.upgrade()
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(datetime(2026, 6, 1, 12, 0)))
    setup.ensure_defaults(ctx)

    held: list[float] = []
    opened: dict[int, float] = {}

    def begin(conn) -> None:
        opened[id(conn)] = time.perf_counter()

    def end(conn) -> None:
        t0 = opened.pop(id(conn), None)
        if t0 is not None:
            held.append(time.perf_counter() - t0)

    event.listen(db.write_engine, "begin", begin)
    event.listen(db.write_engine, "commit", end)
    event.listen(db.write_engine, "rollback", end)

    t0 = time.perf_counter()
    report = imports.import_sales(ctx, csv)
    total = time.perf_counter() - t0
    print(f"rows {args.n}, sales imported {report.imported}, members created {report.members_created}")
    print(f"total {total:.2f} s; write transactions {len(held)}, longest {max(held):.2f} s, "
          f"sum {sum(held):.2f} s")
    db.dispose()


if __name__ == "__main__":
    main()
