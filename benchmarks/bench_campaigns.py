"""A campaign to tens of thousands of members while a till sells: does the till wait?

    .venv/bin/python benchmarks/bench_campaigns.py [BENCH_DB] [--recipients 35000] [--quick] [--json PATH]

Works on a copy (benchmarks/out/bench_campaigns.db) of the database built by build_bench_db.py
(default benchmarks/out/bench.db), upgraded to head. It picks a campaign of about ``--recipients``
members who take offers (the most recent visitors: ``Filters.last_visit_after``), a ¥15 voucher each,
then:

1. times the preview (every recipient's text composed and counted; a read);
2. starts a till: a second PROCESS (its own connection, as another machine or the app's till
   would be) selling a member cart of 3 lines paid by card every ``--interval`` (0.2 s), each
   ``checkout()`` timed from call to return, a failure (``Busy`` after the 10 s busy timeout, or
   anything else) counted;
3. sends the campaign in this process (``campaigns.send``) while the till sells, timing every write
   transaction the campaign runs (from its BEGIN IMMEDIATE to the end of its COMMIT: how long it
   holds the write lock), then lets the till sell 2 s more;
4. the same till alone for as long (no campaign) as the floor: checkout p50/p99 on an idle database;
5. ``integrity.run_check`` on the copy, and every recipient with exactly one text and one voucher.

Targets (issue 17, item 3): checkout p99 during the send < 200 ms, no failures, the campaign's
longest transaction < 100 ms. ``--quick``: about 5,000 recipients. Figures with ``--json``
(benchmarks/results.py).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

OUT = Path(__file__).resolve().parent / "out"
REACHABLE = ("erased_at IS NULL AND consent_marketing = 1 AND opted_out_at IS NULL AND phone IS NOT NULL "
             "AND (phone_flag IS NULL OR phone_flag NOT IN ('invalid', 'not_mobile'))")


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# --- the till (a separate process) ------------------------------------------------------------------
def till_main(db_path: str, interval: float, stop_file: str, out: str, seed: int) -> int:
    from app.db import Database, sqlite_module
    from app.services.base.context import Actor, Ctx
    from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart

    raw = sqlite_module().connect(db_path)
    skus = [r[0] for r in raw.execute("SELECT sku FROM products WHERE kind = 'goods' AND active = 1 "
                                      "AND price < 5000 ORDER BY id LIMIT 200")]
    members = [r[0] for r in raw.execute("SELECT id FROM members WHERE erased_at IS NULL ORDER BY random() "
                                         "LIMIT 2000")]
    raw.close()
    db = Database(f"sqlite:///{db_path}")
    ctx = Ctx(db=db, actor=Actor(None, "cashier", "cashier"), till="T1")
    rng = random.Random(seed)
    lat: list[float] = []
    marks: list[float] = []
    failures: dict[str, int] = {}
    print("ready", flush=True)
    while not os.path.exists(stop_file):
        cart = Cart(tuple(CartLine(rng.choice(skus), 1) for _ in range(3)), member_id=rng.choice(members))
        t0 = time.perf_counter()
        try:
            total = price_cart(ctx, cart).total
            checkout(ctx, cart, [Tender("card", total)])
        except Exception as exc:  # counted, as the till would show it
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
        t1 = time.perf_counter()
        lat.append((t1 - t0) * 1000)
        marks.append(time.time())
        time.sleep(max(0.0, interval - (t1 - t0)))
    db.dispose()
    Path(out).write_text(json.dumps({"ms": lat, "at": marks, "failures": failures}))
    return 0


def run_till(db: Path, interval: float, seconds: float | None, seed: int, work: Callable | None = None) -> dict:
    """Start the till process, run ``work()`` (or sleep ``seconds``) while it sells, stop it 2 s after."""
    stop, out = OUT / f"till_stop_{os.getpid()}", OUT / f"till_out_{os.getpid()}.json"
    stop.unlink(missing_ok=True)
    out.unlink(missing_ok=True)
    p = subprocess.Popen([sys.executable, __file__, "--till-process", str(db), "--interval", str(interval),
                          "--stop-file", str(stop), "--till-out", str(out), "--seed", str(seed)],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)  # a few sales before the work starts
    began = time.time()
    result = work() if work else time.sleep(seconds)
    ended = time.time()
    time.sleep(2.0)
    stop.touch()
    p.wait(timeout=120)
    stop.unlink(missing_ok=True)
    data = json.loads(out.read_text())
    out.unlink()
    during = [ms for ms, at in zip(data["ms"], data["at"]) if began <= at - ms / 1000 <= ended]
    return {"all": data["ms"], "during": during, "failures": data["failures"], "result": result,
            "seconds": ended - began}


# --- the campaign's transactions ----------------------------------------------------------------------
class TxTimer:
    """How long each write transaction of this process holds the write lock: from just after its
    BEGIN IMMEDIATE to just after its COMMIT (SQLAlchemy session events)."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        from app.db import WRITE

        self.held: list[float] = []

        @event.listens_for(Session, "after_begin")
        def _began(session, tx, conn) -> None:
            # the outermost transaction only: a savepoint (the care engine writes each action in
            # one) must not restart the clock
            if conn.get_execution_options().get(WRITE) and "bench_began" not in session.info:
                session.info["bench_began"] = time.perf_counter()

        @event.listens_for(Session, "after_commit")
        def _committed(session) -> None:
            began = session.info.pop("bench_began", None)
            if began is not None:
                self.held.append((time.perf_counter() - began) * 1000)

        @event.listens_for(Session, "after_rollback")
        def _rolled_back(session) -> None:
            session.info.pop("bench_began", None)


def pick_date(db_path: Path, n: int) -> tuple[date, int]:
    from app.db import sqlite_module

    c = sqlite_module().connect(db_path)
    row = c.execute(f"SELECT last_visit_at FROM members WHERE {REACHABLE} AND last_visit_at IS NOT NULL "
                    "ORDER BY last_visit_at DESC LIMIT 1 OFFSET ?", (n - 1,)).fetchone()
    after = datetime.fromisoformat(str(row[0])).date() + timedelta(days=1)
    got = c.execute(f"SELECT count(*) FROM members WHERE {REACHABLE} AND last_visit_at >= ?",
                    (after.isoformat(),)).fetchone()[0]
    c.close()
    return after, got


def verify(db_path: Path, campaign_id: int) -> dict:
    from app.db import Database, sqlite_module
    from app.services.admin import integrity
    from app.services.base.context import Ctx

    c = sqlite_module().connect(db_path)
    tag = f"campaign:{campaign_id}"
    texts = c.execute("SELECT count(*), count(DISTINCT member_id) FROM messages WHERE dedupe_key LIKE ?",
                      (tag + ":%",)).fetchone()
    vouchers = c.execute("SELECT count(*), count(DISTINCT member_id) FROM vouchers WHERE campaign = ?",
                         (tag,)).fetchone()
    recips = c.execute("SELECT count(*) FROM campaign_recipients WHERE campaign_id = ?", (campaign_id,)).fetchone()[0]
    c.close()
    db = Database(f"sqlite:///{db_path}")
    report = integrity.run_check(Ctx(db=db))
    db.dispose()
    ok = getattr(report, "ok", None)
    if ok is None:
        ok = not getattr(report, "faults", None)
    if not ok:
        print("check faults:", [str(f) for f in getattr(report, "faults", ())][:5])
    return {"texts": texts, "vouchers": vouchers, "recipients": recips, "check_ok": bool(ok)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", type=Path, default=OUT / "bench.db")
    ap.add_argument("--recipients", type=int, default=35_000, help="about this many recipients (default 35,000)")
    ap.add_argument("--quick", action="store_true", help="about 5,000 recipients")
    ap.add_argument("--interval", type=float, default=0.2, help="the till sells every this many seconds")
    ap.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    ap.add_argument("--till-process", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--stop-file", help=argparse.SUPPRESS)
    ap.add_argument("--till-out", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    from results import add_json_arg, figure, write

    add_json_arg(ap)
    args = ap.parse_args(argv)
    if args.till_process:
        return till_main(str(args.till_process), args.interval, args.stop_file, args.till_out, args.seed)
    n = 5_000 if args.quick else args.recipients

    from app.db import Database, sqlite_module
    from app.services.base.context import Ctx, FixedClock
    from app.services.care import campaigns
    from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms

    OUT.mkdir(exist_ok=True)
    work = OUT / "bench_campaigns.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    src, dst = sqlite_module().connect(args.db), sqlite_module().connect(work)
    src.backup(dst)
    src.close()
    newest = datetime.fromisoformat(dst.execute("SELECT max(created_at) FROM sales").fetchone()[0])
    dst.close()
    db = Database(f"sqlite:///{work}")
    db.upgrade()
    db.dispose()
    try:   # a fresh copy at this path: the audit chain recorded for an earlier copy does not apply
        from app.services.base import audit

        audit.forget(f"sqlite:///{work}")
    except (ImportError, AttributeError):
        pass
    print(f"copy of {args.db} upgraded: {time.perf_counter() - t0:.1f} s")
    after, expected = pick_date(work, n)
    day = newest.date() + timedelta(days=1)
    spec = CampaignSpec("Bench week", Filters(last_visit_after=after),
                        voucher=VoucherTerms(value=1500, min_spend=6000, expires_on=day + timedelta(days=21)))

    db = Database(f"sqlite:///{work}")
    ctx = Ctx(db=db, clock=FixedClock(datetime.combine(day, datetime.min.time()).replace(hour=10)))
    t0 = time.perf_counter()
    p = campaigns.preview(ctx, spec)
    preview_s = time.perf_counter() - t0
    print(f"preview: {p.reachable:,} of {p.matched:,} members (last visit from {after}), {p.segments:,} segments: "
          f"{preview_s:.2f} s")

    timer = TxTimer()
    chunked = "progress" in inspect.signature(campaigns.send).parameters
    seen: list = []

    def send():
        began = time.perf_counter()
        kw = {"progress": seen.append} if chunked else {}
        c = campaigns.send(ctx, spec, **kw)
        return c, time.perf_counter() - began

    timer.held.clear()
    run = run_till(work, args.interval, None, 1, send)
    c, send_s = run["result"]
    held = list(timer.held)
    db.dispose()
    floor = run_till(work, args.interval, max(send_s, 5.0), 2)
    during, idle = run["during"], floor["during"]
    fails = sum(run["failures"].values())
    print(f"send: campaign {c.id}, {c.results.recipients:,} texts and vouchers: {send_s:.2f} s "
          f"({c.results.recipients / send_s:,.0f} recipients/s), {len(held)} write transactions "
          f"({len(seen)} progress reports), longest {max(held):.1f} ms, median {statistics.median(held):.1f} ms")
    print(f"till during the send: {len(during)} checkouts, p50 {pct(during, 50):.1f} ms, p99 {pct(during, 99):.1f} ms, "
          f"max {max(during, default=float('nan')):.1f} ms, failures {run['failures'] or 0}")
    print(f"till alone (floor):   {len(idle)} checkouts, p50 {pct(idle, 50):.1f} ms, p99 {pct(idle, 99):.1f} ms, "
          f"failures {floor['failures'] or 0}")
    v = verify(work, c.id)
    one_each = (v["texts"][0] == v["texts"][1] == v["vouchers"][0] == v["vouchers"][1] == v["recipients"]
                == c.results.recipients)
    print(f"check: {'ok' if v['check_ok'] else 'FAULTS'}; texts {v['texts'][0]:,} for {v['texts'][1]:,} members, "
          f"vouchers {v['vouchers'][0]:,} for {v['vouchers'][1]:,}, recipient rows {v['recipients']:,}: "
          f"{'one each' if one_each else 'NOT one each'}")
    setup = (f"{args.db.name}: campaign to {c.results.recipients:,} members (voucher each), till selling every "
             f"{args.interval:g} s in another process; {'chunked' if chunked else 'one transaction'}")
    write(args.json, "campaigns", [
        figure("checkout p99 during a campaign send", pct(during, 99), "ms", floor=pct(idle, 99),
               floor_what="the same till, no campaign", target_max=200.0,
               note=f"n={len(during)}, failures {fails}"),
        figure("checkout p50 during a campaign send", pct(during, 50), "ms", floor=pct(idle, 50),
               floor_what="the same till, no campaign"),
        figure("checkouts failed during the send", fails, "count", target_max=0),
        figure("campaign's longest write transaction", max(held), "ms", target_max=100.0,
               floor=pct(idle, 99), floor_what="one checkout alone, p99 (how loaded the machine is)",
               note=f"{len(held)} transactions, median {statistics.median(held):.1f} ms"),
        figure("campaign send, wall", send_s, "s", note=f"{c.results.recipients / send_s:,.0f} recipients/s"),
        figure("campaign preview", preview_s, "s"),
        figure("integrity check and one text + one voucher each", 1.0 if (v["check_ok"] and one_each) else 0.0,
               "ok", target_min=1.0),
    ], setup=setup)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    return 0 if v["check_ok"] and one_each else 1


if __name__ == "__main__":
    raise SystemExit(main())
