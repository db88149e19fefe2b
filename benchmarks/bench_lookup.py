"""Member lookup at the till on a big database: ``members.find_members`` as the member box calls it.

    .venv/bin/python benchmarks/bench_lookup.py [BENCH_DB] [-n 2000] [--quick] [--json PATH]

Three kinds of query, N of each, drawn from real members of the database (default
benchmarks/out/bench.db, read only): the last 4 digits of a phone, a full 11-digit phone number,
and a Chinese name prefix (surname + first given character, e.g. "王芳"), plus the surname alone
as the worst case (1 in ~50 members share a common surname). Each call is timed end to end (its
own read transaction, settings load and result mapping included): p50 and p99, target p99 < 5 ms.
The floor, interleaved: raw sqlite3 replaying the statements the call ran (captured from the
engine) on the same file, in one read transaction. ``--quick``: 300 lookups of each kind.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import results  # noqa: E402
from raw_replay import captured, pct, replay, timed  # noqa: E402

from app.db import Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services.base.context import Ctx  # noqa: E402
from app.services.members.members import find_members  # noqa: E402

DEFAULT_DB = Path(__file__).resolve().parent / "out" / "bench.db"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    ap.add_argument("-n", type=int, default=None, help="lookups of each kind (default 2000; 300 with --quick)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="300 lookups of each kind")
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    args.n = args.n or (300 if args.quick else 2000)
    rng = random.Random(args.seed)

    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    count = raw.execute("SELECT max(id) FROM members").fetchone()[0]
    ids = [rng.randint(1, count) for _ in range(args.n)]
    rows = {i: raw.execute("SELECT phone, phone_last4, name FROM members WHERE id = ?", (i,)).fetchone() for i in ids}
    raw.close()
    queries = {
        "last 4 digits": [rows[i][1] for i in ids],
        "full phone": [rows[i][0][3:] for i in ids],           # "13812345678", as typed
        "name prefix (2 chars)": [rows[i][2][:2] for i in ids],
        "surname only (1 char)": [rows[i][2][:1] for i in ids],
    }

    db = Database(f"sqlite:///{args.db}")
    ctx = Ctx(db=db)
    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    for q in ("1234", "王"):  # warm up: imports, statement caches, the page cache
        find_members(ctx, q)
        replay(raw, captured(db, lambda: find_members(ctx, q)))
    print(f"find_members on {count:,} members, {args.n} lookups each ({args.db.name}); "
          "floor: raw sqlite3 replaying the same statements")
    worst = 0.0
    figures = []
    for label, qs in queries.items():
        ms, raw_ms, found = [], [], 0
        for q in qs:
            statements = captured(db, lambda: find_members(ctx, q))
            t0 = time.perf_counter()
            picks = find_members(ctx, q)
            ms.append((time.perf_counter() - t0) * 1000)
            raw_ms.append(timed(lambda: replay(raw, statements)))
            found += len(picks)
        worst = max(worst, pct(ms, 99))
        print(f"{label:<24} p50 {statistics.median(ms):6.2f} ms   p99 {pct(ms, 99):6.2f} ms   "
              f"max {max(ms):6.2f} ms   avg hits {found / len(qs):5.1f}   "
              f"raw p50 {statistics.median(raw_ms):6.2f} ms p99 {pct(raw_ms, 99):6.2f} ms")
        figures += [
            results.figure(f"{label}, p50", statistics.median(ms), "ms", floor=statistics.median(raw_ms),
                           floor_what="raw sqlite3, same SQL"),
            results.figure(f"{label}, p99", pct(ms, 99), "ms", floor=pct(raw_ms, 99),
                           floor_what="raw sqlite3, same SQL", target_max=5.0,
                           note=f"{found / len(qs):.1f} hits"),
        ]
    print(f"worst p99 {worst:.2f} ms (target < 5 ms)")
    raw.close()
    db.dispose()
    results.write(args.json, "lookup", figures, setup=f"find_members on {count:,} members, n={args.n} of each kind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
