"""Demo throughput: ``shopcare demo`` through the real CLI into a fresh database, as a new process.

    .venv/bin/python benchmarks/bench_demo.py [--members 300] [--days 365] [--out DIR] [--quick] [--json PATH]

Times ``python -m app --db sqlite:///DIR/demo_bench.db demo --members M --days D --seed 1`` from
process start to exit (imports, schema creation and the final summary included), prints members/s
and sales/s, then runs ``shopcare check`` on the result. Target: 300 members × 365 days well under
a minute. ``--quick``: 100 members × 120 days. DIR defaults to benchmarks/out; the database is
made afresh each run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import results

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=None, help="default 300; 100 with --quick")
    ap.add_argument("--days", type=int, default=None, help="default 365; 120 with --quick")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument("--quick", action="store_true")
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    members = args.members or (100 if args.quick else 300)
    days = args.days or (120 if args.quick else 365)
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "demo_bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench_demo_") as home:   # its own config, audit head and logs
        return run(args, db, members, days, {**os.environ, "SHOPCARE_HOME": home})


def run(args, db: Path, members: int, days: int, env: dict) -> int:
    url = f"sqlite:///{db}"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "app", "--db", url, "demo", "--members", str(members),
                           "--days", str(days), "--seed", "1"], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print(proc.stdout, end="")
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    vals = dict(line.strip().split(": ", 1) for line in proc.stdout.splitlines() if line.startswith("  ") and ": " in line)
    m, n = int(vals["members"]), int(vals["sales"])
    moves = n + int(vals.get("topups", 0)) + int(vals.get("refunds", 0))
    print(f"wall {wall:.1f} s (process start to exit): {m / wall:.1f} members/s, {n / wall:.1f} sales/s, "
          f"{moves / wall:.1f} sales+top-ups+refunds/s")
    check = subprocess.run([sys.executable, "-m", "app", "--db", url, "check"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    print(f"shopcare check: exit {check.returncode}")
    results.write(args.json, "demo", [
        results.figure(f"shopcare demo --members {members} --days {days}: wall", wall, "s",
                       target_max=60.0 if (members, days) == (300, 365) else None,
                       note=f"{m} members, {n:,} sales"),
        results.figure("sales/s", n / wall, "sales/s"),
        results.figure("shopcare check on the result: exit status", check.returncode, "", target_max=0),
    ], setup=f"{members} members x {days} days, seed 1, as a new process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
