"""The Members screen's queries on a big database: ``member_list.first_page`` / ``next_page``.

    .venv/bin/python benchmarks/bench_member_search.py [BENCH_DB] [-n 300]

BENCH_DB defaults to benchmarks/out/bench.db (200,000 members, built by build_bench_db.py; read
only). Each call is timed end to end as the list's worker runs it (its own read transaction, the
count of matches on a first page, phone masking and row mapping): p50 and p99 of

* the list's first page (every member, newest visit first, with the exact count "200,000 members");
* the next page after a random point of that order (keyset: as fast deep in the list as at the top);
* a name-prefix search (surname + first given character, e.g. "王芳") and a surname alone;
* the last 4 digits of a phone;
* the first page sorted by name, by total spent and by balance (no index on the last two: a scan).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services.members import member_list  # noqa: E402
from app.services.base.context import Ctx  # noqa: E402
from app.services.members.member_list import Cursor  # noqa: E402

DEFAULT_DB = Path(__file__).resolve().parent / "out" / "bench.db"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    if not args.db.exists():
        print(f"{args.db} not found: build it with benchmarks/build_bench_db.py", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    count = raw.execute("SELECT count(*) FROM members WHERE erased_at IS NULL").fetchone()[0]
    top = raw.execute("SELECT max(id) FROM members").fetchone()[0]
    picks = [raw.execute("SELECT name, phone_last4, last_visit_at, id FROM members WHERE id = ?",
                         (rng.randint(1, top),)).fetchone() for _ in range(args.n)]
    raw.close()
    picks = [p for p in picks if p]

    ctx = Ctx(db=Database(f"sqlite:///{args.db}"))
    for q in ("", "王", "1234"):  # warm up: imports, statement caches, the page cache
        member_list.first_page(ctx, q)

    def cursor_of(p) -> Cursor:
        when = datetime.fromisoformat(p[2]) if p[2] else None
        return Cursor(value=when, id=p[3], nulls=when is None)

    cases = {
        "first page (all, by last visit)": lambda p: member_list.first_page(ctx, ""),
        "next page (keyset, anywhere)": lambda p: member_list.next_page(ctx, "", "last_visit", cursor_of(p)),
        "name prefix (2 chars)": lambda p: member_list.first_page(ctx, p[0][:2]),
        "surname only (1 char)": lambda p: member_list.first_page(ctx, p[0][:1]),
        "last 4 digits": lambda p: member_list.first_page(ctx, p[1]),
        "first page by name": lambda p: member_list.first_page(ctx, "", "name"),
        "first page by total spent": lambda p: member_list.first_page(ctx, "", "total_spent"),
        "first page by balance": lambda p: member_list.first_page(ctx, "", "balance"),
    }
    print(f"member_list on {count:,} members ({args.db.name}), {len(picks)} calls each "
          f"(fewer for the scans); page size {member_list.PAGE_SIZE}")
    for label, fn in cases.items():
        n = len(picks) if "spent" not in label and "balance" not in label else min(len(picks), 40)
        times = []
        rows = []
        for p in picks[:n]:
            t0 = time.perf_counter()
            page = fn(p)
            times.append((time.perf_counter() - t0) * 1000)
            rows.append(len(page.rows))
        print(f"{label:34s} p50 {statistics.median(times):7.2f} ms   p99 {pct(times, 99):7.2f} ms   "
              f"max {max(times):7.2f} ms   avg rows {statistics.mean(rows):6.1f}")
    ctx.db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
