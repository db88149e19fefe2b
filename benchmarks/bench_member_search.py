"""The Members screen's queries on a big database: ``member_list.first_page`` / ``next_page``.

    .venv/bin/python benchmarks/bench_member_search.py [BENCH_DB] [-n 300] [--quick] [--json PATH]

BENCH_DB defaults to benchmarks/out/bench.db (200,000 members, built by build_bench_db.py; read
only). Each call is timed end to end as the list's worker runs it (its own read transaction, the
count of matches on a first page, phone masking and row mapping): p50 and p99 of

* for every sort of the list (last visit, name, total spent, balance, points): the first page (with
  the exact count "200,000 members") and the next page after a random member's place in that order
  (keyset: as fast deep in the list as at the top); target 20 ms a page (issue 17, item 5);
* a name-prefix search (surname + first given character, e.g. "王芳") and a surname alone;
* the last 4 digits of a phone.

``--quick``: 30 calls of each instead of N. ``--json PATH``: the figures for scripts/bench.sh
(p50 of each sort's pages, target_max 20 ms).
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import results  # noqa: E402

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
    ap.add_argument("--quick", action="store_true", help="30 calls of each (a minute), for scripts/bench.sh --quick")
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    if args.quick:
        args.n = min(args.n, 30)
    if not args.db.exists():
        print(f"{args.db} not found: build it with benchmarks/build_bench_db.py", file=sys.stderr)
        return 2
    copy = None
    probe = Database(f"sqlite:///file:{args.db}?mode=ro&uri=true")
    behind = not probe.at_head()
    probe.dispose()
    if behind:   # a file of an older schema: measure what a shop gets on update, on a copy brought to head
        import shutil

        copy = Path(__file__).resolve().parent / "out" / f"{args.db.stem}_search.db"
        copy.parent.mkdir(parents=True, exist_ok=True)
        print(f"{args.db.name} is behind the schema's head: timing an upgraded copy ({copy.name})", file=sys.stderr)
        shutil.copyfile(args.db, copy)
        copy.chmod(0o600)
        Database(f"sqlite:///{copy}").upgrade()
        args.db = copy
    rng = random.Random(args.seed)
    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    count = raw.execute("SELECT count(*) FROM members WHERE erased_at IS NULL").fetchone()[0]
    top = raw.execute("SELECT max(id) FROM members").fetchone()[0]
    picks = [raw.execute("SELECT name, phone_last4, last_visit_at, id, name_key, total_spent, "
                         "wallet_principal + wallet_bonus, points_balance FROM members WHERE id = ?",
                         (rng.randint(1, top),)).fetchone() for _ in range(args.n)]
    raw.close()
    picks = [p for p in picks if p]

    ctx = Ctx(db=Database(f"sqlite:///{args.db}"))
    for q in ("", "王", "1234"):  # warm up: imports, statement caches, the page cache
        member_list.first_page(ctx, q)

    def cursor_of(p, sort: str = "last_visit") -> Cursor:
        if sort == "last_visit":
            when = datetime.fromisoformat(p[2]) if p[2] else None
            return Cursor(value=when, id=p[3], nulls=when is None)
        return Cursor(value={"name": p[4], "total_spent": p[5], "balance": p[6], "points": p[7]}[sort], id=p[3])

    cases: dict[str, tuple] = {}   # label -> (call, sort or None)
    for sort in ("last_visit", "name", "total_spent", "balance", "points"):
        if sort not in member_list.SORTS:   # an older checkout (for a before figure): not a sort yet
            continue
        cases[f"first page by {sort}"] = (lambda p, s=sort: member_list.first_page(ctx, "", s), sort)
        cases[f"next page by {sort} (keyset, anywhere)"] = (
            lambda p, s=sort: member_list.next_page(ctx, "", s, cursor_of(p, s)), sort)
    cases["name prefix (2 chars)"] = (lambda p: member_list.first_page(ctx, p[0][:2]), None)
    cases["surname only (1 char)"] = (lambda p: member_list.first_page(ctx, p[0][:1]), None)
    cases["last 4 digits"] = (lambda p: member_list.first_page(ctx, p[1]), None)
    print(f"member_list on {count:,} members ({args.db.name}), {len(picks)} calls each; "
          f"page size {member_list.PAGE_SIZE}")
    figures = []
    for label, (fn, sort) in cases.items():
        for p in picks[:3]:   # warm this query's statement cache and pages
            fn(p)
        times = []
        rows = []
        for p in picks:
            t0 = time.perf_counter()
            page = fn(p)
            times.append((time.perf_counter() - t0) * 1000)
            rows.append(len(page.rows))
        p50, p99 = statistics.median(times), pct(times, 99)
        print(f"{label:38s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   "
              f"max {max(times):7.2f} ms   avg rows {statistics.mean(rows):6.1f}")
        if sort is not None:
            figures.append(results.figure(f"members list {label}, p50", p50, "ms", target_max=20.0,
                                          note=f"p99 {p99:.1f} ms, {statistics.mean(rows):.0f} rows a page"))
        else:
            figures.append(results.figure(f"members search, {label}, p50", p50, "ms", note=f"p99 {p99:.1f} ms"))
    results.write(args.json, "member_search", figures,
                  setup=f"{count:,} members ({args.db.name}), n={len(picks)}, page {member_list.PAGE_SIZE} rows")
    ctx.db.dispose()
    if copy is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
