"""Cold start of the till app: process start to a usable till, with the demo database.

Each run is a new process of the real app (``shopcare`` with no command, through
startup_driver.py): interpreter, imports, opening and checking the database, the PIN login dialog
ready, the PIN typed and checked (argon2), the main window on the till with its first loads done.
Typing is done by the driver in a few milliseconds and subtracted, so the figure is what the app
itself costs. The database is the demo shop (300 members, a year of sales) with an owner PIN.

    .venv/bin/python benchmarks/bench_startup.py [-n 10] [--platform offscreen|xvfb]

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


def one_run(env: dict) -> dict:
    env = dict(env, BENCH_T0=repr(time.time()))
    before = os.times()
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "startup_driver.py")], env=env,
                         capture_output=True, text=True, check=True).stdout
    after = os.times()
    marks = json.loads(out.strip().splitlines()[-1])
    marks["cpu"] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return marks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--platform", choices=["offscreen", "xvfb"], default="offscreen")
    args = ap.parse_args()
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
    try:
        one_run(env)  # warm-up: byte-code and the OS file cache
        runs = [one_run(env) for _ in range(args.n)]
    finally:
        if xvfb is not None:
            xvfb.terminate()
    rows = {
        "login dialog ready": [r["login_ready"] for r in runs],
        "PIN entered -> till ready": [r["till_ready"] - r["login_ready"] - r["typing"] for r in runs],
        "cold start (app's own time)": [r["till_ready"] - r["typing"] for r in runs],
        "process CPU (user+sys)": [r["cpu"] for r in runs],
    }
    print(f"{args.n} runs, platform {args.platform}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{'':30} {'min':>7} {'median':>7} {'max':>7}")
    for name, values in rows.items():
        print(f"{name:30} {min(values):7.3f} {statistics.median(values):7.3f} {max(values):7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
