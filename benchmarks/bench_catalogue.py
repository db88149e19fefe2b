"""The catalogue at 100,000 products: the till's barcode lookup, pinyin search, and the import.

    .venv/bin/python benchmarks/bench_catalogue.py [-n 100000] [--lookups 2000] [--searches 200] [--out DIR]
                                                   [--quick] [--json PATH]
    .venv/bin/python benchmarks/bench_catalogue.py --raw-import FILE DB     (the raw baseline of (c), as a process)

Writes a price list of N products (Chinese names from a list of shop words, EAN-13-like barcodes
with the 690-695 prefixes, ten categories, member prices on half, opening stock on two thirds) to
DIR/products.csv (default benchmarks/out/catalogue), and an empty migrated shop DIR/empty.db.
Then, all in one run so both sides see the same machine:

(a) barcode lookup as the till scans: ``catalog.lookup_many`` in its own read transaction, for
    random barcodes, each call timed; against raw sqlite3 running the same statements (captured
    from the engine) on the same file. p50/p99, target p99 < 2 ms.
(b) search as the cashier types ("nt", "lj", "6901", "kafei", "xhlj", "mk"): ``catalog.search``
    (the first page of 50, with its barcodes) against raw sqlite3 running the same SQL. p50/p99,
    target < 30 ms.
(c) ``shopcare import products FILE --add-categories`` as a new process on a copy of the empty
    shop, against this script's ``--raw-import`` (a new process: the same rows, search keys from
    the same function, written with stdlib sqlite3 executemany in one transaction). Wall and CPU
    seconds of each, and the ratio; target under 20 s. ``shopcare check`` runs on the result.

``--quick``: 20,000 products, 300 lookups, 30 searches of each, one run of each import (the 20 s
target is for 100,000 products and is not applied to fewer).
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
from raw_replay import captured, pct, replay, timed  # noqa: E402

from app.db import sqlite_module  # noqa: E402

sqlite3 = sqlite_module()   # the app's own SQLite library

WORDS = ("拿铁 美式 摩卡 卡布奇诺 西湖龙井 铁观音 普洱 红茶 绿茶 乌龙 咖啡豆 马克杯 保温杯 饼干 巧克力 牛奶 酸奶 面包 "
         "蛋糕 矿泉水 可乐 雪碧 橙汁 苹果 香蕉 大米 面粉 食用油 酱油 香醋 洗发水 牙膏 毛巾 纸巾 薯片 坚果").split()
CATEGORIES = "咖啡 茶叶 杯具 零食 饮料 乳品 烘焙 粮油 调味 日化".split()
QUERIES = ("nt", "lj", "6901", "kafei", "xhlj", "mk")
HEADER = ["商品名称", "货号", "条码", "售价", "会员价", "分类", "进价", "库存", "单位"]


def write_price_list(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(n):
            price = rng.randint(100, 99900)
            w.writerow([f"{rng.choice(WORDS)}{rng.choice(WORDS)} {rng.randint(1, 999)}g", f"S{i:06d}",
                        f"69{rng.randint(0, 5)}{rng.randint(0, 9)}{i:09d}", f"{price / 100:.2f}",
                        f"{price * 9 // 1000:.2f}" if i % 2 else "", rng.choice(CATEGORIES),
                        f"{price * 6 // 1000:.2f}", rng.randint(0, 200) if i % 3 else "", "件"])


def line(label: str, app: list[float], raw: list[float]) -> str:
    return (f"{label:<22} app p50 {statistics.median(app):6.2f} ms p99 {pct(app, 99):6.2f} ms | raw p50 "
            f"{statistics.median(raw):6.2f} ms p99 {pct(raw, 99):6.2f} ms | ratio p50 "
            f"{statistics.median(app) / statistics.median(raw):4.1f}x p99 {pct(app, 99) / pct(raw, 99):4.1f}x")


def bench_reads(path: Path, lookups: int, searches: int, seed: int) -> list[dict]:
    from app.db import Database
    from app.services.base.context import Ctx
    from app.services.sales import catalog

    rng = random.Random(seed)
    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    codes = [c for (c,) in raw.execute("SELECT barcode FROM product_barcodes")]
    picks = [rng.choice(codes) for _ in range(lookups)]
    db = Database(f"sqlite:///{path}")
    ctx = Ctx(db=db)

    def lookup(code: str) -> None:
        db.cache.pop("products", None)     # a scan of a product not seen for 10 s: the database answers
        with ctx.tx(write=False) as t:
            catalog.lookup_many(t, [code])

    for code in picks[:50]:   # warm up: imports, statement caches, the page cache
        lookup(code)
    app_ms, raw_ms = [], []
    for code in picks:
        statements = captured(db, lambda: lookup(code))
        app_ms.append(timed(lambda: lookup(code)))
        raw_ms.append(timed(lambda: replay(raw, statements)))
    print(f"(a) barcode lookup, {lookups} random barcodes of {len(codes):,}")
    print("   " + line("lookup_many", app_ms, raw_ms) + "   (target p99 < 2 ms)")
    same = "raw sqlite3, same SQL"
    figures = [
        results.figure("barcode lookup p50", statistics.median(app_ms), "ms", floor=statistics.median(raw_ms),
                       floor_what=same),
        results.figure("barcode lookup p99", pct(app_ms, 99), "ms", floor=pct(raw_ms, 99), floor_what=same,
                       target_max=2.0),
    ]
    print(f"(b) search as typed, first page of 50, {searches} times each")
    for q in QUERIES:
        statements = captured(db, lambda: catalog.search(ctx, q, limit=50))
        hits = len(catalog.search(ctx, q, limit=50))
        total = catalog.count(ctx, q)
        app_ms = [timed(lambda: catalog.search(ctx, q, limit=50)) for _ in range(searches)]
        raw_ms = [timed(lambda: replay(raw, statements)) for _ in range(searches)]
        print("   " + line(f"'{q}' ({hits}/{total:,})", app_ms, raw_ms) + "   (target < 30 ms)")
        figures.append(results.figure(f"search '{q}' p99", pct(app_ms, 99), "ms", floor=pct(raw_ms, 99),
                                      floor_what=same, target_max=30.0, note=f"{hits} of {total:,}"))
    raw.close()
    db.dispose()
    return figures


def raw_import(file: Path, path: Path) -> int:
    """The rows ``shopcare import products`` writes for this file, with stdlib sqlite3 alone."""
    from app.services.sales.search_keys import product_keys

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA cache_size=-65536")
    with open(file, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    tiers = [t for (t,) in con.execute("SELECT id FROM tiers ORDER BY rank")]
    con.execute("BEGIN IMMEDIATE")
    for c in sorted({r[5] for r in rows}):
        con.execute("INSERT INTO categories (name, points_eligible, discount_eligible, sort, active) VALUES (?,1,1,0,1)",
                    (c,))

    def cents(text: str) -> int | None:
        return round(float(text) * 100) if text else None

    con.executemany(
        "INSERT INTO products (sku, name, price, category, kind, unit, no_member_price, points_eligible, "
        "discount_eligible, cost, points_price, track_stock, reorder_level, favourite, colour, active, on_hand) "
        "VALUES (?,?,?,?,'goods',?,0,1,1,?,NULL,?,NULL,0,'',1,0)",
        [(r[1], r[0], cents(r[3]), r[5], r[8], cents(r[6]), r[7] != "") for r in rows])
    ids = dict(con.execute("SELECT sku, id FROM products"))
    con.executemany("INSERT INTO product_barcodes (product_id, barcode) VALUES (?,?)", [(ids[r[1]], r[2]) for r in rows])
    con.executemany("INSERT INTO member_prices (product_id, tier_id, price) VALUES (?,?,?)",
                    [(ids[r[1]], t, cents(r[4])) for r in rows if r[4] for t in tiers])
    con.executemany("INSERT INTO product_search_keys (product_id, key) VALUES (?,?)",
                    ((ids[r[1]], k) for r in rows for k in sorted(product_keys(r[0], r[1], [r[2]], r[5]))))
    stock = [(ids[r[1]], int(r[7])) for r in rows if r[7] and int(r[7])]
    con.executemany("UPDATE products SET on_hand = on_hand + ? WHERE id = ?", [(q, i) for i, q in stock])
    con.executemany("INSERT INTO stock_entries (product_id, kind, qty, supplier, created_at, note) "
                    "VALUES (?, 'opening', ?, '', datetime('now'), 'opening stock')", stock)
    con.execute("COMMIT")
    con.close()
    return len(rows)


def run_process(cmd: list[str], home: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``cmd`` as a new process (its own SHOPCARE_HOME: the audit
    chain's head is kept beside the database's user, one per database)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "SHOPCARE_HOME": str(home)})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=None, help="products (default 100,000; 20,000 with --quick)")
    ap.add_argument("--lookups", type=int, default=None, help="default 2000; 300 with --quick")
    ap.add_argument("--searches", type=int, default=None, help="default 200; 30 with --quick")
    ap.add_argument("--runs", type=int, default=None, help="runs of each import process (default 2; 1 with --quick)")
    ap.add_argument("--quick", action="store_true")
    results.add_json_arg(ap)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "catalogue")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--raw-import", nargs=2, metavar=("FILE", "DB"), type=Path)
    args = ap.parse_args(argv)
    q = args.quick
    args.n = args.n or (20_000 if q else 100_000)
    args.lookups = args.lookups or (300 if q else 2000)
    args.searches = args.searches or (30 if q else 200)
    args.runs = args.runs or (1 if q else 2)
    if args.raw_import:
        print(raw_import(*args.raw_import))
        return 0
    from app.db import Database

    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    price_list, empty = out / "products.csv", out / "empty.db"
    write_price_list(price_list, args.n)
    db = Database(f"sqlite:///{empty}")
    db.upgrade()
    from app.services.base import setup
    from app.services.base.context import Ctx

    setup.ensure_defaults(Ctx(db=db))
    db.dispose()
    py = sys.executable
    timings: dict[str, list[tuple[float, float]]] = {"app": [], "raw": []}
    for i in range(args.runs):
        for side in ("app", "raw"):
            target = out / f"{side}-{i}.db"
            shutil.copy(empty, target)
            cmd = ([py, "-m", "app", "--db", f"sqlite:///{target}", "import", "products", str(price_list),
                    "--add-categories"] if side == "app" else
                   [py, str(Path(__file__).resolve()), "--raw-import", str(price_list), str(target)])
            timings[side].append(run_process(cmd, out / f"home-{side}-{i}"))
    check = subprocess.run([py, "-m", "app", "--db", f"sqlite:///{out / 'app-0.db'}", "check"], cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, "SHOPCARE_HOME": str(out / "home-app-0")})
    figures = bench_reads(out / "app-0.db", args.lookups, args.searches, args.seed)
    print(f"(c) import of {args.n:,} products as a new process ({args.runs} runs each; median)")
    app_wall = statistics.median(w for w, _ in timings["app"])
    raw_wall = statistics.median(w for w, _ in timings["raw"])
    app_cpu = statistics.median(c for _, c in timings["app"])
    raw_cpu = statistics.median(c for _, c in timings["raw"])
    print(f"   shopcare import products  wall {app_wall:6.1f} s  cpu {app_cpu:6.1f} s   (target < 20 s)")
    print(f"   raw sqlite3, same rows    wall {raw_wall:6.1f} s  cpu {raw_cpu:6.1f} s")
    print(f"   ratio                     wall {app_wall / raw_wall:4.1f}x     cpu {app_cpu / raw_cpu:4.1f}x")
    print(f"   shopcare check on the result: exit {check.returncode} ({check.stdout.strip().splitlines()[-1]})")
    figures += [
        results.figure(f"shopcare import products, {args.n:,} products: wall", app_wall, "s", floor=raw_wall,
                       floor_what="raw sqlite3 process, same rows", target_max=20.0 if args.n >= 100_000 else None),
        results.figure(f"shopcare import products, {args.n:,} products: CPU", app_cpu, "s", floor=raw_cpu,
                       floor_what="raw sqlite3 process, same rows"),
        results.figure("shopcare check faults on the result", 0 if check.returncode == 0 else 1, "", target_max=0),
    ]
    results.write(args.json, "catalogue", figures,
                  setup=f"{args.n:,} products, {args.lookups} lookups, {args.searches} searches each, "
                        f"{args.runs} import run(s) each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
