"""The end-of-day report for a day of 5,000 sales, on the big database (target: under 2 s).

    .venv/bin/python benchmarks/bench_eod.py [BENCH_DB] [--sales 5000] [-n 5] [--reuse]

Works on a copy of BENCH_DB (default benchmarks/out/bench.db: 200,000 members, 1,000,000 sales,
built by build_bench_db.py): the day after its history gets SALES sales through the real
``checkout()`` (70% members; cash with change, card, stored value, points; about 1 in 50 refunded
in part) and 200 top-ups, then the report is timed N times: the figures (``eod.eod_report``) and
the PDF (``eod_pdf.write_eod_pdf``), each run in a new process as ``shopcare report eod`` would
(imports and font loading included), plus the in-process split of one run.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app.db import Database  # noqa: E402
from app.models import Member, Product, Sale  # noqa: E402
from app.services.ledger import wallet  # noqa: E402
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart  # noqa: E402
from app.services.base.context import Ctx, FixedClock  # noqa: E402
from app.services.sales.refunds import RefundLine, refund  # noqa: E402

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.db"


def fill_day(work: Path, n_sales: int, seed: int) -> datetime:
    rng = random.Random(seed)
    db = Database(f"sqlite:///{work}")
    with db.session(write=False) as s:
        last = s.execute(select(func.max(Sale.created_at))).scalar()
        n_members = s.execute(select(func.max(Member.id))).scalar()
        skus = s.execute(select(Product.sku).where(Product.kind == "goods", Product.price < 8000)).scalars().all()
    day = (last + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = FixedClock(day)
    ctx = Ctx(db=db, till="T1", clock=clock)
    step = timedelta(seconds=(13 * 3600) // n_sales)
    t0 = time.perf_counter()
    for i in range(n_sales):
        clock.set(clock.now() + step)
        member_id = rng.randint(1, n_members) if rng.random() < 0.7 else None
        cart = Cart(tuple(CartLine(rng.choice(skus), rng.randint(1, 2)) for _ in range(rng.randint(1, 4))),
                    member_id=member_id)
        due = price_cart(ctx, cart).total
        how = rng.random()
        if member_id and how < 0.3:
            wallet.topup(ctx, member_id, max(due, 50_000), "cash" if rng.random() < 0.5 else "card")
            tenders = [Tender("wallet", due)]
        elif how < 0.55:
            tenders = [Tender("cash", -(-due // 10_000) * 10_000)]
        else:
            tenders = [Tender("card", due)]
        sale = checkout(ctx, cart, tenders)
        if rng.random() < 0.02:
            refund(ctx, sale.receipt_no, [RefundLine(1, 1)], reason="bench")
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} sales ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    db.dispose()
    return day


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    ap.add_argument("--sales", type=int, default=5000)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--reuse", action="store_true", help="time again on the copy a previous run filled")
    args = ap.parse_args()
    work = args.db.with_name(args.db.stem + "_eod.db")
    if args.reuse and work.is_file():
        with Database(f"sqlite:///{work}").session(write=False) as s:
            day = s.execute(select(func.max(Sale.created_at))).scalar().date()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)
        shutil.copyfile(args.db, work)
        print(f"filling one day with {args.sales} sales on a copy of {args.db.name} …", file=sys.stderr)
        day = fill_day(work, args.sales, args.seed).date()

    # In-process split, after a first call has loaded the font.
    from app.services.reports import eod, eod_pdf

    db = Database(f"sqlite:///{work}")
    ctx = Ctx(db=db, till="T1", clock=FixedClock(datetime.combine(day, datetime.max.time()).replace(microsecond=0)))
    out = work.with_suffix(".pdf")
    t0 = time.perf_counter()
    report = eod.eod_report(ctx, day)
    t1 = time.perf_counter()
    eod_pdf.write_eod_pdf(report, out, "zh_CN")
    t2 = time.perf_counter()
    figures = []
    pdfs = []
    for _ in range(args.n):
        a = time.perf_counter()
        report = eod.eod_report(ctx, day)
        b = time.perf_counter()
        eod_pdf.write_eod_pdf(report, out, "zh_CN")
        figures.append(b - a)
        pdfs.append(time.perf_counter() - b)
    db.dispose()

    whole = []
    for _ in range(args.n):
        a = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app", "--db", f"sqlite:///{work}", "--lang", "zh_CN", "report", "eod",
                        "--date", day.isoformat(), "-o", str(out)], cwd=ROOT, check=True, capture_output=True)
        whole.append(time.perf_counter() - a)
    print(f"day {day}: {report.sales.count} sales, {report.refunds.count} refunds, {report.topped_up.count} top-ups; "
          f"200,000-member database")
    print(f"first call in the process: figures {t1 - t0:.3f} s, PDF {t2 - t1:.3f} s (font loaded)")
    for label, values in (("figures (eod_report)", figures), ("PDF (write_eod_pdf)", pdfs),
                          ("shopcare report eod, whole process", whole)):
        print(f"{label:36} min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
