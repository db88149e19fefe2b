"""Campaigns on a big database: the preview (every recipient's text composed and counted) and the
send (campaign, one voucher and one text per recipient, in one transaction).

    .venv/bin/python benchmarks/bench_campaigns.py [BENCH_DB] [--tier CODE]

Works on a copy (benchmarks/out/bench_campaigns.db) of the database built by build_bench_db.py
(default benchmarks/out/bench.db). Times the preview and the send of a campaign to every member
(or one tier) who takes offers, with a voucher each, then the results query.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import Database  # noqa: E402
from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks
from app.services.care import campaigns  # noqa: E402
from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=OUT / "bench.db")
    ap.add_argument("--tier", default=None, help="only this tier (default: everyone)")
    args = ap.parse_args(argv)
    work = args.db.parent / "bench_campaigns.db"
    src, dst = sqlite3.connect(args.db), sqlite3.connect(work)
    src.backup(dst)
    src.close()
    newest = datetime.fromisoformat(dst.execute("SELECT max(created_at) FROM sales").fetchone()[0])
    dst.close()
    day = newest.date() + timedelta(days=1)
    db = Database(f"sqlite:///{work}")
    db.upgrade()
    ctx = Ctx(db=db, clock=FixedClock(datetime.combine(day, datetime.min.time()).replace(hour=10)))
    spec = CampaignSpec("Bench week", Filters(tiers=(args.tier,) if args.tier else ()),
                        voucher=VoucherTerms(value=1500, min_spend=6000, expires_on=day + timedelta(days=21)))
    t0 = time.perf_counter()
    p = campaigns.preview(ctx, spec)
    t1 = time.perf_counter()
    print(f"preview: {p.reachable:,} of {p.matched:,} members, {p.segments:,} segments: {t1 - t0:.2f} s "
          f"({p.reachable / (t1 - t0):,.0f} recipients/s)")
    c = campaigns.send(ctx, spec)
    t2 = time.perf_counter()
    print(f"send: campaign {c.id}, {c.results.recipients:,} texts and vouchers in one transaction: {t2 - t1:.2f} s "
          f"({c.results.recipients / (t2 - t1):,.0f} recipients/s)")
    campaigns.list_campaigns(ctx)
    t3 = time.perf_counter()
    print(f"results (list_campaigns): {t3 - t2:.3f} s")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
