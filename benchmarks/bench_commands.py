"""How fast a command starts and finishes as a new process, against the floor of Python importing
SQLAlchemy (issue 17, item 2).

    .venv/bin/python benchmarks/bench_commands.py [--quick] [-n N] [--json PATH] [--code DIR]

Builds its own shops, fresh each run, in a temporary folder (with its own SHOPCARE_HOME: data,
cache and config there, so the parsed-font cache starts empty):

- a small shop: ``shopcare demo --members 200 --days 30`` (quick: 100 members, 14 days);
- a shop with a day of 5,000 sales: ``build_bench_db.build`` (5,000 members, 20,000 sales of
  history; quick: 2,000 and 5,000), then the day after it filled through the real ``checkout()``
  by ``bench_eod.fill_day`` (70% members; cash, card, stored value; ~2% refunded in part).

Then N rounds (default 15, quick 7), interleaved so every command sees the same machine load, each
timing a new process from start to exit (wall clock, output thrown away):

- the floor: ``python -c "import sqlalchemy"``;
- ``shopcare --db SMALL check`` (target: under 0.4 s and within 2.5x the floor);
- ``shopcare --help``;
- ``shopcare --db DAY report eod --date D -o FILE.pdf`` (target: under 1 s). Its first run, before
  the rounds, is timed apart: the machine's first report, when the CJK font is parsed and cached.

``--code DIR`` runs the commands from another checkout of ShopCare (``python -m app`` with DIR
first on the path), with this venv: how the BEFORE figures were taken.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import results  # noqa: E402


def _env(home: Path, code: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPCARE_DB", "SHOPCARE_TILL", "DISPLAY")}
    env.update(SHOPCARE_HOME=str(home), PYTHONPATH=str(code), LANG="en_US.UTF-8")
    return env


def _timed(cmd: list[str], env: dict, cwd: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.decode(errors='replace')}")
    return elapsed


def _build(tmp: Path, env: dict, code: Path, quick: bool) -> tuple[str, str, str]:
    """(small shop URL, 5,000-sale shop URL, its day)."""
    py = [sys.executable, "-m", "app"]
    small = f"sqlite:///{tmp / 'small.db'}"
    members, days = (100, 14) if quick else (200, 30)
    t0 = time.perf_counter()
    subprocess.run([*py, "--db", small, "demo", "--members", str(members), "--days", str(days), "--seed", "1"],
                   env=env, cwd=code, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"small shop: {members} members, {days} days ({time.perf_counter() - t0:.0f} s)", flush=True)

    # The day's shop is built with this checkout's code (the data, not what is measured).
    os.environ["SHOPCARE_HOME"] = env["SHOPCARE_HOME"]
    from build_bench_db import build
    from bench_eod import fill_day

    path = tmp / "day.db"
    hist_members, hist_sales = (2000, 5000) if quick else (5000, 20000)
    t0 = time.perf_counter()
    build(path, hist_members, hist_sales, 7, log=lambda *a, **k: None)
    day = fill_day(path, 5000, 11)
    print(f"day shop: {hist_members} members, {hist_sales} sales of history, then 5,000 sales on {day.date()} "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return small, f"sqlite:///{path}", day.date().isoformat()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller shops, 7 rounds (a few minutes)")
    ap.add_argument("-n", type=int, default=None, help="rounds (default 15, quick 7)")
    ap.add_argument("--code", type=Path, default=ROOT, help="the ShopCare checkout whose commands are timed")
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    n = args.n or (7 if args.quick else 15)
    code = args.code.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="bench_commands.", dir=ROOT / "benchmarks" / "out"
                                if (ROOT / "benchmarks" / "out").is_dir() else None))
    try:
        home = tmp / "home"
        env = _env(home, code)
        small, day_db, day = _build(tmp, env, code, args.quick)
        py = [sys.executable, "-m", "app"]
        cmds = {
            "floor": [sys.executable, "-c", "import sqlalchemy"],
            "check": [*py, "--db", small, "check"],
            "help": [*py, "--help"],
        }
        shutil.rmtree(home / "cache" / "fonts", ignore_errors=True)   # the machine's first report
        first_eod = _timed([*py, "--db", day_db, "report", "eod", "--date", day, "-o", str(tmp / "eod0.pdf")],
                           env, code)
        for name, cmd in cmds.items():   # one warm-up each (the file system's cache)
            _timed(cmd, env, code)
        times: dict[str, list[float]] = {k: [] for k in (*cmds, "eod")}
        for i in range(n):
            for name, cmd in cmds.items():
                times[name].append(_timed(cmd, env, code))
            times["eod"].append(_timed([*py, "--db", day_db, "report", "eod", "--date", day,
                                        "-o", str(tmp / f"eod{i + 1}.pdf")], env, code))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in times.items()), flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = {k: statistics.median(v / f for v, f in zip(times[k], times["floor"])) for k in times}
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print()
        print(f"| new process, median of {n} (load average {load:.1f}) | seconds | / floor (pairwise median) |")
        print("|---|---:|---:|")
        print(f"| floor: `python -c \"import sqlalchemy\"` | {med['floor']:.3f} | 1.00 |")
        print(f"| `shopcare check` (small shop) | {med['check']:.3f} | {ratio['check']:.2f} |")
        print(f"| `shopcare --help` | {med['help']:.3f} | {ratio['help']:.2f} |")
        print(f"| `shopcare report eod` (5,000-sale day) | {med['eod']:.3f} | {ratio['eod']:.2f} |")
        print(f"| `shopcare report eod`, first on the machine (font parsed), one run | {first_eod:.3f} | |")
        setup = (f"new processes, median of {n}; small shop {'100 members/14 days' if args.quick else '200 members/30 days'}; "
                 f"eod: a day of 5,000 sales; load average {load:.1f}; code {code}")
        results.write(args.json, "commands", [
            results.figure("shopcare check, small shop (new process)", med["check"], "s", floor=med["floor"],
                           floor_what='python -c "import sqlalchemy"', target_max=0.4, target_ratio=2.5,
                           note=f"pairwise median ratio {ratio['check']:.2f}"),
            results.figure("shopcare --help (new process)", med["help"], "s", floor=med["floor"],
                           floor_what='python -c "import sqlalchemy"'),
            results.figure("shopcare report eod, 5,000-sale day (new process)", med["eod"], "s", floor=med["floor"],
                           floor_what='python -c "import sqlalchemy"', target_max=1.0),
            results.figure("shopcare report eod, first run on the machine (font parsed and cached)", first_eod, "s",
                           note="one run"),
        ], setup=setup)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
