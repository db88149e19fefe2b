"""The end-of-day report for a day of 5,000 sales, on the big database.

    .venv/bin/python benchmarks/bench_eod.py [BENCH_DB] [--sales 5000] [-n 5] [--quick] [--json PATH] [--reuse]

Works on a copy of BENCH_DB (default benchmarks/out/bench.db: 200,000 members, 1,000,000 sales,
built by build_bench_db.py), made in benchmarks/out/ and brought to the schema's head (as a shop's
file is on update): the day after its history opens with the expiry run the app's care run does at
start (which keeps the day's lapse snapshot: points.snapshot_lapsing), then gets SALES sales through
the real ``checkout()`` (70% members; cash with change, card, stored value, points; about 1 in 50
refunded in part) and top-ups, then the report is timed N times, interleaved with its floor:

* the figures (``eod.eod_report``; target 150 ms at 200,000 members, issue 17 item 6), and as the
  floor raw sqlite3 running the very statements the report ran (captured from the engine);
* the PDF (``eod_pdf.write_eod_pdf``, font already loaded) and its page count (target: at most 6
  pages whatever the member count);
* ``shopcare report eod`` as a whole new process (imports and font loading included).

``--quick``: a day of 500 sales, N = 3 (a few minutes, most of it the copy). ``--reuse`` times again
on the copy a previous run filled (only that copy: never a database other than the one given).
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
sys.path.insert(0, str(ROOT / "benchmarks"))

import results  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from app.db import Database  # noqa: E402
from app.models import Member, Product, Sale  # noqa: E402
from app.services.ledger import expiry, wallet  # noqa: E402
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
    done = expiry.run(ctx)      # the app's care run at start: the day's expiry and lapse snapshot
    print(f"  expiry run at the day's start: {done.points:,} points of {done.members:,} members expired, "
          f"snapshot kept ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
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
    ap.add_argument("--quick", action="store_true", help="a day of 500 sales, n=3 (for scripts/bench.sh --quick)")
    ap.add_argument("--keep", action="store_true", help="keep the filled copy afterwards (for --reuse)")
    results.add_json_arg(ap)
    args = ap.parse_args()
    if args.quick:
        args.sales, args.n = min(args.sales, 500), min(args.n, 3)
    if not args.db.is_file():
        print(f"{args.db} not found: build it with benchmarks/build_bench_db.py", file=sys.stderr)
        return 2
    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f"{args.db.stem}_eod{'_quick' if args.quick else ''}.db"   # never beside the given file
    marker = work.with_suffix(".from")
    source = f"{args.db.resolve()} {args.db.stat().st_size} {args.db.stat().st_mtime_ns} {args.sales}"
    if args.reuse and work.is_file() and marker.is_file() and marker.read_text() == source:
        with Database(f"sqlite:///{work}").session(write=False) as s:
            day = s.execute(select(func.max(Sale.created_at))).scalar().date()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
        shutil.copyfile(args.db, work)
        work.chmod(0o600)
        Database(f"sqlite:///{work}").upgrade()
        print(f"filling one day with {args.sales} sales on a copy of {args.db.name} …", file=sys.stderr)
        day = fill_day(work, args.sales, args.seed).date()
        marker.write_text(source)

    # In-process split, after a first call has loaded the font.
    from sqlalchemy import event

    from app.db import sqlite_module
    from app.services.reports import eod, eod_pdf

    db = Database(f"sqlite:///{work}")
    ctx = Ctx(db=db, till="T1", clock=FixedClock(datetime.combine(day, datetime.max.time()).replace(microsecond=0)))
    out = work.with_suffix(".pdf")
    t0 = time.perf_counter()
    report = eod.eod_report(ctx, day)
    t1 = time.perf_counter()
    eod_pdf.write_eod_pdf(report, out, "zh_CN")
    t2 = time.perf_counter()
    # The floor: the statements the report ran, replayed by raw sqlite3 (same library, same file).
    statements: list[tuple[str, tuple]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append((statement, tuple(parameters)))

    event.listen(db.engine, "before_cursor_execute", grab)
    eod.eod_report(ctx, day)
    event.remove(db.engine, "before_cursor_execute", grab)
    raw = sqlite_module().connect(str(work))

    def replay() -> None:
        raw.execute("BEGIN")
        for statement, parameters in statements:
            raw.execute(statement, parameters).fetchall()
        raw.execute("COMMIT")

    figures = []
    floors = []
    pdfs = []
    for _ in range(args.n):
        a = time.perf_counter()
        replay()
        floors.append(time.perf_counter() - a)
        a = time.perf_counter()
        report = eod.eod_report(ctx, day)
        b = time.perf_counter()
        eod_pdf.write_eod_pdf(report, out, "zh_CN")
        figures.append(b - a)
        pdfs.append(time.perf_counter() - b)
    raw.close()
    db.dispose()
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))

    whole = []
    for i in range(args.n):
        each = work.with_name(f"{work.stem}_process{i}.pdf")   # a report never overwrites: a fresh name each
        each.unlink(missing_ok=True)
        a = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app", "--db", f"sqlite:///{work}", "--lang", "zh_CN", "report", "eod",
                        "--date", day.isoformat(), "-o", str(each)], cwd=ROOT, check=True, capture_output=True)
        whole.append(time.perf_counter() - a)
        each.unlink(missing_ok=True)
    with Database(f"sqlite:///{work}").session(write=False) as s:
        n_members = s.execute(select(func.count(Member.id))).scalar()
    lists = (f"birthdays {report.birthdays_today_count} + {report.birthdays_tomorrow_count}, "
             f"at risk {report.at_risk_count}, points expiring {report.expiring_count}")
    print(f"day {day}: {report.sales.count} sales, {report.refunds.count} refunds, {report.topped_up.count} top-ups; "
          f"{n_members:,} members; lists: {lists}")
    print(f"first call in the process: figures {t1 - t0:.3f} s, PDF {t2 - t1:.3f} s (font loaded)")
    for label, values in (("figures (eod_report)", figures), ("floor: its statements, raw sqlite3", floors),
                          ("PDF (write_eod_pdf)", pdfs), ("shopcare report eod, whole process", whole)):
        print(f"{label:36} min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f} s")
    print(f"PDF pages: {pages} ({len(statements)} statements)")
    med = lambda v: statistics.median(v) * 1000  # noqa: E731
    results.write(args.json, "eod", [
        results.figure("end-of-day figures (eod_report), median", med(figures), "ms", floor=med(floors),
                       floor_what="raw sqlite3, the same statements", target_max=150.0),
        results.figure("end-of-day PDF pages", pages, "pages", target_max=6, note=lists),
        results.figure("end-of-day PDF build (write_eod_pdf, font loaded), median", med(pdfs), "ms"),
        results.figure("end-of-day in the app (figures + PDF), median", med(figures) + med(pdfs), "ms",
                       target_max=2000.0),
        results.figure("shopcare report eod, new process, median", med(whole), "ms", target_max=1000.0),
    ], setup=f"{n_members:,} members, a day of {report.sales.count:,} sales ({args.db.name}), n={args.n}")
    if not args.keep and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(str(work) + suffix).unlink(missing_ok=True)
        marker.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
