"""Member analytics on the big database: ``shopcare rfm`` (model fit included) against lifetimes.

    .venv/bin/python benchmarks/bench_rfm.py [BENCH_DB] [-n 3]

BENCH_DB (default benchmarks/out/bench.db: 200,000 members, 1,000,000 sales) is only read: it is
copied once to benchmarks/out/bench_rfm.db, since ``rfm`` keeps its fitted models in the settings
table. Each round, interleaved so both sides see the same machine load:

- **ShopCare**: ``analyse(ctx, as_of, refit=True)``, what ``shopcare rfm --refit`` runs: read the
  purchases from the database, the per-member summary, two BG/NBD fits (as of the date and at the
  calibration cut-off), the churn model's logistic fit, every member's p_alive, expected
  purchases, churn_risk, RFM scores and segments, the 80/20 curve, the cache write;
- **lifetimes** (test extra): ``summary_data_from_transaction_data`` on the same purchases, already
  in a DataFrame (reading them from the database is NOT counted on this side), then
  ``BetaGeoFitter.fit``: one fit, none of the rest.

Then one run of the real command as a process (``shopcare --db ... rfm --refit``), wall clock.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import Database  # noqa: E402
from app.services.analytics import purchases  # noqa: E402
from app.services.analytics.members import analyse  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
DEFAULT_DB = OUT / "bench.db"


def transactions(db_path: Path, as_of: date):
    """The purchases lifetimes is given: one row per sale with a member, net of its refunds, > 0."""
    from app.db import sqlite_module
    sqlite3 = sqlite_module()

    import pandas as pd

    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    end = (as_of + timedelta(days=1)).isoformat()
    df = pd.read_sql_query(
        "SELECT s.member_id, s.created_at, (s.total + COALESCE(r.refunded, 0)) / 100.0 AS value FROM sales s "
        "LEFT JOIN (SELECT original_sale_id AS id, SUM(total) AS refunded FROM sales WHERE kind = 'refund' "
        "AND created_at < ? GROUP BY original_sale_id) r ON r.id = s.id "
        "WHERE s.kind = 'sale' AND s.member_id IS NOT NULL AND s.created_at < ?", con, params=(end, end))
    con.close()
    df = df[df.value > 0]
    df["created_at"] = pd.to_datetime(df["created_at"])
    return df


def run_lifetimes(df, as_of: date) -> tuple[float, float, dict]:
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    t0 = time.perf_counter()
    summary = summary_data_from_transaction_data(df, "member_id", "created_at", monetary_value_col="value",
                                                 observation_period_end=as_of.isoformat(), freq="D")
    t1 = time.perf_counter()
    bgf = BetaGeoFitter(penalizer_coef=0.001).fit(summary["frequency"], summary["recency"], summary["T"])
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, {k: float(v) for k, v in bgf.params_.items()} | {"members": len(summary)}


def run_shopcare(ctx: Ctx, as_of: date) -> tuple[float, dict]:
    t0 = time.perf_counter()
    a = analyse(ctx, as_of, refit=True)
    elapsed = time.perf_counter() - t0
    p = a.params
    return elapsed, {"r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b, "members": a.members,
                     "churn": a.scores.models.churn.method}


def parts(ctx: Ctx, as_of: date) -> dict[str, float]:
    """Where ShopCare's time goes, once."""
    from app.services.analytics import scoring
    from app.services.analytics.summary import summarise

    day = purchases.day_number(as_of)
    t = [time.perf_counter()]
    p = purchases.load(ctx, as_of)
    t.append(time.perf_counter())
    s = summarise(p, day)
    t.append(time.perf_counter())
    models = scoring.fit_models(p, day, s)
    t.append(time.perf_counter())
    scoring.score(p, day, models, s=s)
    t.append(time.perf_counter())
    return {"read purchases (SQL scan + numpy grouping)": t[1] - t[0], "summary": t[2] - t[1],
            "fits (2 x BG/NBD + churn logistic)": t[3] - t[2], "scores, segments, curve": t[4] - t[3]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    ap.add_argument("-n", type=int, default=3, help="rounds (default 3)")
    ap.add_argument("--as-of", type=date.fromisoformat, default=None,
                    help="default: the day of the last sale in the database")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    copy = OUT / "bench_rfm.db"
    if not copy.exists() or copy.stat().st_mtime < args.db.stat().st_mtime:
        print(f"copying {args.db} -> {copy}", flush=True)
        shutil.copyfile(args.db, copy)
    db = Database(f"sqlite:///{copy}")
    ctx = Ctx(db=db)
    if args.as_of is None:
        with ctx.tx(write=False) as t:
            from sqlalchemy import text

            last = t.s.execute(text("SELECT MAX(created_at) FROM sales")).scalar()
        args.as_of = datetime.fromisoformat(str(last)).date()
    ctx = Ctx(db=db, clock=FixedClock(datetime.combine(args.as_of, datetime.min.time()) + timedelta(hours=23)))
    print(f"as of {args.as_of}; loading the transactions for lifetimes…", flush=True)
    df = transactions(copy, args.as_of)
    print(f"{len(df):,} purchases (member sales, net of refunds) from {df.member_id.nunique():,} members",
          flush=True)
    ours, theirs_summary, theirs_fit = [], [], []
    for i in range(args.n):
        o, po = run_shopcare(ctx, args.as_of)
        s, f, pt = run_lifetimes(df, args.as_of)
        ours.append(o)
        theirs_summary.append(s)
        theirs_fit.append(f)
        print(f"round {i + 1}: shopcare {o:.2f} s | lifetimes summary {s:.2f} s + fit {f:.2f} s = {s + f:.2f} s",
              flush=True)
    print("ShopCare parts:", {k: round(v, 3) for k, v in parts(ctx, args.as_of).items()})
    print("ShopCare BG/NBD:", po)
    print("lifetimes BG/NBD:", pt)
    cli = [str(ROOT / ".venv" / "bin" / "shopcare"), "--db", f"sqlite:///{copy}", "rfm", "--refit",
           "--as-of", args.as_of.isoformat()]
    t0 = time.perf_counter()
    done = subprocess.run(cli, capture_output=True, text=True)
    cli_s = time.perf_counter() - t0
    print(done.stdout.strip())
    med_o = statistics.median(ours)
    med_t = statistics.median([s + f for s, f in zip(theirs_summary, theirs_fit)])
    print()
    print("| | median of %d (s) |" % args.n)
    print("|---|---|")
    print(f"| ShopCare `analyse(refit=True)` (from the database, 2 fits + churn model + scores) | {med_o:.2f} |")
    print(f"| `shopcare rfm --refit` as a process (start-up included) | {cli_s:.2f} (one run) |")
    print(f"| lifetimes `summary_data_from_transaction_data` | {statistics.median(theirs_summary):.2f} |")
    print(f"| lifetimes `BetaGeoFitter.fit` | {statistics.median(theirs_fit):.2f} |")
    print(f"| lifetimes summary + fit (from a DataFrame already in memory) | {med_t:.2f} |")
    print(f"| ratio lifetimes / ShopCare | {med_t / med_o:.1f}x |")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
