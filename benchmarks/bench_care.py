"""The care engine on a big database: ``care.run`` for one day, rule by rule.

    .venv/bin/python benchmarks/bench_care.py [BENCH_DB] [--holiday] [--quick] [--json PATH]

Works on a copy (benchmarks/out/bench_care.db) of the big database (default
benchmarks/out/bench.db from build_bench_db.py: 200,000 members, 1,000,000 sales). Times, for the
day after the newest sale: each rule's planning alone (read only), a dry run, the real run (texts,
vouchers and tasks written in chunks), and a second run of the same day (everything a duplicate):
the cost of the app's run every few minutes. Every write transaction of the real run is timed
(BEGIN IMMEDIATE to the end of COMMIT: how long a till selling meanwhile could wait); target: the
longest under 100 ms (issue 17, item 3). ``--quick`` skips the per-rule planning.
"""
from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.db import Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services import care  # noqa: E402
from app.services.care import config as care_config  # noqa: E402
from app.services.care import plan, rhythm  # noqa: E402
from app.services.base import audit  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402
from bench_campaigns import TxTimer  # noqa: E402
from results import add_json_arg, figure, write  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=OUT / "bench.db")
    ap.add_argument("--holiday", action="store_true",
                    help="make the day a holiday on the shop's calendar: a greeting to every consenting member")
    ap.add_argument("--quick", action="store_true", help="skip the per-rule planning times")
    add_json_arg(ap)
    args = ap.parse_args(argv)
    work = OUT / "bench_care.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(args.db)
    dst = sqlite3.connect(work)
    src.backup(dst)
    src.close()
    newest = datetime.fromisoformat(dst.execute("SELECT max(created_at) FROM sales").fetchone()[0])
    dst.close()
    day = newest.date() + timedelta(days=1)
    db = Database(f"sqlite:///{work}")
    db.upgrade()
    audit.forget(db.url)   # a fresh copy at this path: the chain recorded for an earlier copy does not apply
    ctx = Ctx(db=db, clock=FixedClock(datetime.combine(day, datetime.min.time()).replace(hour=10)))
    members = db.engine.connect().exec_driver_sql("SELECT count(*) FROM members").scalar()
    print(f"care run for {day} on {members:,} members ({work.name})" + (", a holiday" if args.holiday else ""))
    if args.holiday:
        care.add_holiday(ctx, key="bench_day", rule=f"date:{day.isoformat()}", name_en="Bench day", name_zh="测试节")

    with ctx.tx(write=False) as t:
        cfg = care_config.load(t)
        for name, fn in (("birthdays", lambda: plan.birthdays(t, cfg, day, day)),
                         ("anniversaries", lambda: plan.anniversaries(t, cfg, day, day)),
                         ("member anniversaries", lambda: plan.member_anniversaries(t, cfg, day, day)),
                         ("holidays", lambda: plan.holiday_greetings(t, cfg, day, day)),
                         ("tier care", lambda: plan.tier_care(t, cfg, day)),
                         ("win-back", lambda: rhythm.winback(t, cfg, day)),
                         ("repurchase", lambda: rhythm.repurchase(t, cfg, day))):
            if args.quick:
                break
            t0 = time.perf_counter()
            n = len(fn())
            print(f"  plan {name:<22} {time.perf_counter() - t0:7.2f} s  {n:>7,} actions")
    timer = TxTimer()
    figures, chunks = [], []
    for label, kwargs in (("dry run", dict(dry_run=True)), ("run", {}), ("second run, same day", {})):
        timer.held.clear()
        t0 = time.perf_counter()
        if "progress" in inspect.signature(care.run).parameters:   # (the code before chunks by time had none)
            kwargs["progress"] = lambda done, total: chunks.append(done)
        r = care.run(ctx, **kwargs)
        took = time.perf_counter() - t0
        tot = r.total
        held = list(timer.held) or [0.0]
        print(f"  {label:<27} {took:7.2f} s  due {tot.due:,} queued {tot.queued:,} "
              f"tasks {tot.tasks:,} no consent {tot.skipped_no_consent:,} duplicate {tot.duplicate:,}; "
              f"{len(timer.held)} write transactions, longest {max(held):.1f} ms, median {statistics.median(held):.1f} ms")
        if label == "run":
            figures += [figure("care run: longest write transaction", max(held), "ms", target_max=100.0,
                               note=f"{len(timer.held)} transactions, {tot.queued:,} queued, {tot.tasks:,} tasks"),
                        figure("care run, first of the day", took, "s", note=f"{tot.due:,} due")]
        elif label.startswith("second"):
            figures.append(figure("care run, later that day (all done)", took, "s"))
    db.dispose()
    write(args.json, "care", figures, setup=f"{args.db.name}, {members:,} members, {day}"
          + (", a holiday (a greeting to every consenting member)" if args.holiday else ""))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
