"""Cold start of the till app: process start to a usable till, with the demo database.

Each run is a new process of the real app (``shopcare`` with no command, through
startup_driver.py): interpreter, imports, opening and checking the database, the PIN login dialog
ready, the PIN typed and checked (argon2), the main window on the till with its first loads done.
Typing is done by the driver in a few milliseconds and subtracted, so the figure is what the app
itself costs. The database is the demo shop (300 members, a year of sales) with an owner PIN.

    .venv/bin/python benchmarks/bench_startup.py [-n 10] [--platform offscreen|xvfb] [--quick] [--json PATH]

Closing: once the till is ready the driver waits ``--settle`` seconds (the background sender, care
engine and the day's backup start meanwhile, as in a shop) and closes the window; "close" is from
that moment to the process's end (the backup on close included when the app waits for it).

Floor, interleaved run by run: a bare PySide6 process (interpreter, Qt's import, a QApplication and
an empty main window shown, then quit), the least any Qt till could cost.

xvfb: a real X server (Xvfb, from the test set-up) and Qt's xcb platform, so the window is really
mapped and painted. Byte-code is written as a user's install has it (PYTHONDONTWRITEBYTECODE is
cleared for the runs), and one warm-up run is not counted.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "startup_home"
PIN = "1234"


def build_home() -> None:
    """The demo shop in its own SHOPCARE_HOME, made once and reused."""
    if (OUT / "data" / "shopcare.db").is_file():
        return
    env = dict(os.environ, SHOPCARE_HOME=str(OUT))
    subprocess.run([sys.executable, "-m", "app", "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    code = ("from app.ui.app import open_shop; from app.services.admin import shop_admin; "
            f"shop_admin.first_run(open_shop(), '茶与咖啡', 'CNY', 'zh_CN', 'Owner', '{PIN}')")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def start_xvfb() -> tuple[subprocess.Popen, str]:
    display = ":97"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc, display


FLOOR = ("import os, time\n"
         "from PySide6.QtCore import QTimer\n"
         "from PySide6.QtWidgets import QApplication, QMainWindow\n"
         "app = QApplication([])\n"
         "w = QMainWindow()\n"
         "w.resize(1280, 800)\n"
         "w.show()\n"
         "def done():\n"
         "    print(time.time() - float(os.environ['BENCH_T0']), flush=True)\n"
         "    app.quit()\n"
         "QTimer.singleShot(0, done)\n"
         "app.exec()\n")


def one_run(env: dict) -> dict:
    t0 = time.time()
    env = dict(env, BENCH_T0=repr(t0))
    before = os.times()
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "startup_driver.py")], env=env,
                         capture_output=True, text=True, check=True).stdout
    gone = time.time() - t0
    after = os.times()
    marks = json.loads(out.strip().splitlines()[-1])
    marks["gone"] = gone
    marks["cpu"] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return marks


def floor_run(env: dict) -> float:
    """A bare Qt process: start to an empty main window shown."""
    env = dict(env, BENCH_T0=repr(time.time()))
    out = subprocess.run([sys.executable, "-c", FLOOR], env=env, capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--platform", choices=["offscreen", "xvfb"], default="offscreen")
    ap.add_argument("--settle", type=float, default=1.5,
                    help="seconds between the till ready and closing (background work starts meanwhile)")
    ap.add_argument("--quick", action="store_true", help="5 runs")
    results.add_json_arg(ap)
    args = ap.parse_args()
    if args.quick:
        args.n = min(args.n, 5)
    build_home()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(SHOPCARE_HOME=str(OUT), BENCH_PIN=PIN)
    xvfb = None
    if args.platform == "xvfb":
        if not shutil.which("Xvfb"):
            sys.exit("Xvfb is not installed (bash scripts/setup.sh --test installs it)")
        xvfb, display = start_xvfb()
        env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display)
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    if args.settle > 0:
        env["BENCH_SETTLE_MS"] = str(int(args.settle * 1000))
    load = os.getloadavg()[0]
    try:
        one_run(env)  # warm-up: byte-code and the OS file cache
        floor_run(env)
        runs, floors = [], []
        for _ in range(args.n):   # interleaved: both see the same machine
            runs.append(one_run(env))
            floors.append(floor_run(env))
    finally:
        if xvfb is not None:
            xvfb.terminate()
    rows = {
        "login dialog ready": [r["login_ready"] for r in runs],
        "PIN entered -> till ready": [r["till_ready"] - r["login_ready"] - r["typing"] for r in runs],
        "cold start (app's own time)": [r["till_ready"] - r["typing"] for r in runs],
        "floor: bare Qt window shown": floors,
        "close -> window gone": [r["closed"] - r["close"] for r in runs],
        "close -> app.cli.main returned": [r["exit"] - r["close"] for r in runs],
        "close -> process gone": [r["gone"] - r["close"] for r in runs],
        "CPU to a usable till": [r["cpu_till_ready"] for r in runs],
        "process CPU (user+sys)": [r["cpu"] for r in runs],
    }
    print(f"{args.n} runs, platform {args.platform}, {os.cpu_count()} cores, load {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f}, settle {args.settle:g} s")
    print(f"{'':32} {'min':>7} {'median':>7} {'max':>7}")
    for name, values in rows.items():
        print(f"{name:32} {min(values):7.3f} {statistics.median(values):7.3f} {max(values):7.3f}")
    med = {k: statistics.median(v) for k, v in rows.items()}
    cold, floor = med["cold start (app's own time)"], med["floor: bare Qt window shown"]
    print(f"cold start / floor: {cold / floor:.2f}x")
    results.write(args.json, "startup", [
        results.figure(f"cold start to a usable till ({args.platform}), median", cold, "s", floor=floor,
                       floor_what="bare PySide6 window shown", target_max=1.0),
        results.figure(f"cold start to a usable till ({args.platform}), max", max(rows["cold start (app's own time)"]),
                       "s", note="the slowest run"),
        results.figure("close to window gone, median", med["close -> window gone"], "s", target_max=0.2,
                       note="background sender, care engine and backup running"),
        results.figure("close to process gone, median", med["close -> process gone"], "s",
                       note="work in flight on the io pool finishes first; the backup on close is detached"),
        results.figure("login dialog ready, median", med["login dialog ready"], "s"),
        results.figure("CPU to a usable till, median", med["CPU to a usable till"], "s",
                       note="all threads, process start to the till ready: steadier than wall time on a busy machine"),
    ], setup=f"demo shop (300 members, a year of sales), n={args.n}, platform {args.platform}, "
             f"{os.cpu_count()} cores, load {load:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
