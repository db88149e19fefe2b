"""The care engine on a big database: ``care.run`` for one day, rule by rule.

    .venv/bin/python benchmarks/bench_care.py [BENCH_DB]

Works on a copy (benchmarks/out/bench_care.db) of the big database (default
benchmarks/out/bench.db from build_bench_db.py: 200,000 members, 1,000,000 sales). Times, for the
day after the newest sale: each rule's planning alone (read only), a dry run, the real run (texts,
vouchers and tasks written in chunks), and a second run of the same day (everything a duplicate):
the cost of the app's run every few minutes.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services import care  # noqa: E402
from app.services.care import config as care_config  # noqa: E402
from app.services.care import plan, rhythm  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=OUT / "bench.db")
    ap.add_argument("--holiday", action="store_true",
                    help="make the day a holiday on the shop's calendar: a greeting to every consenting member")
    args = ap.parse_args(argv)
    work = OUT / "bench_care.db"
    src = sqlite3.connect(args.db)
    dst = sqlite3.connect(work)
    src.backup(dst)
    src.close()
    newest = datetime.fromisoformat(dst.execute("SELECT max(created_at) FROM sales").fetchone()[0])
    dst.close()
    day = newest.date() + timedelta(days=1)
    db = Database(f"sqlite:///{work}")
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
            t0 = time.perf_counter()
            n = len(fn())
            print(f"  plan {name:<22} {time.perf_counter() - t0:7.2f} s  {n:>7,} actions")
    for label, kwargs in (("dry run", dict(dry_run=True)), ("run", {}), ("second run, same day", {})):
        t0 = time.perf_counter()
        r = care.run(ctx, **kwargs)
        tot = r.total
        print(f"  {label:<27} {time.perf_counter() - t0:7.2f} s  due {tot.due:,} queued {tot.queued:,} "
              f"tasks {tot.tasks:,} no consent {tot.skipped_no_consent:,} duplicate {tot.duplicate:,}")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
