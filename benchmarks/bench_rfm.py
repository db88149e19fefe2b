"""Member analytics: ``shopcare rfm`` as a new process against lifetimes warm, on the same purchases.

    .venv/bin/python benchmarks/bench_rfm.py [DB] [-n 5] [--quick] [--json PATH] [--code DIR]

DB (a ShopCare SQLite file, e.g. /work/bench/bench.db: 200,000 members, 1,000,000 sales) is only
read: it is copied afresh for each run (``rfm`` keeps its fitted models in the settings table) and
the copy deleted at the end. Without DB, the 69,579-row purchase history of bench_import.py
(23,502 customers) is generated and imported into a fresh shop (``shopcare import sales``).

Each round, interleaved so both sides see the same machine load:

- **ShopCare as a process**: ``shopcare --db COPY rfm --refit --as-of D`` from process start to
  exit: Python, imports, reading the purchases from the database, the summary, two BG/NBD fits
  (as of D and at the calibration cut-off), the churn model's logistic fit, every member's p_alive,
  expected purchases, churn_risk, segments, the 80/20 curve, the cache write, the printout;
- **lifetimes, warm** (test extra; in this process, imports done, one warm-up round first):
  ``summary_data_from_transaction_data`` on the same purchases already in a DataFrame (reading
  them is NOT counted), ``BetaGeoFitter(penalizer_coef=0.001).fit`` and
  ``conditional_probability_alive`` for every member.

``--code DIR`` times another checkout's ``shopcare rfm`` (with this venv): the BEFORE figures.

Targets (issue 17): the process faster than lifetimes warm on the 69,579-row history (ratio <= 1),
at least 3x faster on 1,000,000 sales (ratio <= 1/3). Also printed: ``analyse(refit=True)`` in
this process, where its time goes, and both models' parameters (the same fit: 1/max T scaling).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import results  # noqa: E402
from app.db import Database  # noqa: E402
from app.services.analytics import purchases  # noqa: E402
from app.services.analytics.members import analyse  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


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
    bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"])
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


def history_shop(tmp: Path, env: dict) -> Path:
    """A fresh shop holding the 69,579-row history of bench_import.py (23,502 customers)."""
    from bench_import import write_history

    csv_path, db_path = tmp / "history70k.csv", tmp / "history70k.db"
    write_history(csv_path, 69_579, 23_502)
    url = f"sqlite:///{db_path}"
    for args in (["init"], ["import", "sales", str(csv_path)]):
        subprocess.run([sys.executable, "-m", "app", "--db", url, *args], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return db_path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=None,
                    help="a ShopCare SQLite file, copied (default: the 69,579-row history, imported fresh)")
    ap.add_argument("-n", type=int, default=None, help="rounds (default 5, quick 3)")
    ap.add_argument("--quick", action="store_true", help="3 rounds, no in-process split")
    ap.add_argument("--as-of", type=date.fromisoformat, default=None,
                    help="default: the day of the last sale in the database")
    ap.add_argument("--code", type=Path, default=ROOT,
                    help="the ShopCare checkout whose `shopcare rfm` is timed (default: this one)")
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    n = args.n or (3 if args.quick else 5)
    code = args.code.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_rfm.", dir=OUT))
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPCARE_DB", "DISPLAY")}
    env.update(SHOPCARE_HOME=str(tmp / "home"), PYTHONPATH=str(code))
    os.environ["SHOPCARE_HOME"] = env["SHOPCARE_HOME"]
    try:
        if args.db is None:
            print("building the 69,579-row history shop…", flush=True)
            copy = history_shop(tmp, env)
            what = "69,579-row purchase history (bench_import.py), fresh shop"
        else:
            copy = tmp / "bench_rfm.db"
            print(f"copying {args.db} -> {copy}", flush=True)
            shutil.copyfile(args.db, copy)
            what = f"copy of {args.db}"
        db = Database(f"sqlite:///{copy}")
        if args.as_of is None:
            from sqlalchemy import text

            with db.session(write=False) as s:
                last = s.execute(text("SELECT MAX(created_at) FROM sales")).scalar()
            args.as_of = datetime.fromisoformat(str(last)).date()
        ctx = Ctx(db=db, clock=FixedClock(datetime.combine(args.as_of, datetime.min.time()) + timedelta(hours=23)))
        print(f"as of {args.as_of}; loading the transactions for lifetimes…", flush=True)
        df = transactions(copy, args.as_of)
        n_buyers = df.member_id.nunique()
        print(f"{len(df):,} purchases (member sales, net of refunds) from {n_buyers:,} members", flush=True)
        cli = [sys.executable, "-m", "app", "--db", f"sqlite:///{copy}", "rfm", "--refit",
               "--as-of", args.as_of.isoformat()]
        run_lifetimes(df, args.as_of)                       # warm: imports, first calls
        first = subprocess.run(cli, env=env, cwd=code, capture_output=True, text=True)   # warm file cache
        if first.returncode != 0:
            raise SystemExit(first.stderr)
        procs, theirs = [], []
        for i in range(n):
            t0 = time.perf_counter()
            subprocess.run(cli, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            procs.append(time.perf_counter() - t0)
            s_, f_, pt = run_lifetimes(df, args.as_of)
            theirs.append(s_ + f_)
            print(f"round {i + 1}: shopcare rfm process {procs[-1]:.2f} s | lifetimes warm summary {s_:.2f} s "
                  f"+ fit and p_alive {f_:.2f} s = {s_ + f_:.2f} s", flush=True)
        ours = []
        if not args.quick:
            for _ in range(n):
                o, po = run_shopcare(ctx, args.as_of)
                ours.append(o)
            print("ShopCare parts:", {k: round(v, 3) for k, v in parts(ctx, args.as_of).items()})
            print("ShopCare BG/NBD:", po)
        print("lifetimes BG/NBD:", pt)
        print(first.stdout.strip())
        med_p, med_t = statistics.median(procs), statistics.median(theirs)
        big = len(df) >= 500_000
        target = 1 / 3 if big else 1.0
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print()
        print(f"| {what}, {len(df):,} purchases, median of {n} (load {load:.1f}) | seconds |")
        print("|---|---|")
        print(f"| `shopcare rfm --refit` as a new process | {med_p:.2f} |")
        if ours:
            print(f"| ShopCare `analyse(refit=True)` in a warm process | {statistics.median(ours):.2f} |")
        print(f"| lifetimes summary + fit + p_alive, warm process | {med_t:.2f} |")
        print(f"| ratio process / lifetimes warm | {med_p / med_t:.2f} (target <= {target:.2f}) |")
        figures = [results.figure(f"shopcare rfm process vs lifetimes warm, {len(df):,} purchases", med_p, "s",
                                  floor=med_t, floor_what="lifetimes summary + BG/NBD fit + p_alive, warm process",
                                  target_ratio=round(target, 4), note=what)]
        if ours:
            figures.append(results.figure(f"ShopCare analyse(refit=True) in process, {len(df):,} purchases",
                                          statistics.median(ours), "s", floor=med_t,
                                          floor_what="lifetimes warm"))
        results.write(args.json, "rfm", figures,
                      setup=f"{what}; {len(df):,} purchases from {n_buyers:,} members; median of {n}; load {load:.1f}")
        db.dispose()
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
