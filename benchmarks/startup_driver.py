"""One cold start of the real app, driven like a cashier would: ``shopcare`` (app.cli.main with no
command) runs as it always does; when the login dialog is ready the PIN is typed into it and Enter
pressed, and when the till is on screen with its first loads done the app quits. Prints one JSON
line of wall-clock marks, in seconds since the parent spawned this process (``BENCH_T0``).

Run by bench_startup.py; not a test.
"""
from __future__ import annotations

import json
import os
import sys
import time

T0 = float(os.environ.get("BENCH_T0") or time.time())
PIN = os.environ.get("BENCH_PIN", "1234")
marks: dict[str, float] = {"interpreter": time.time() - T0}


def mark(key: str) -> None:
    marks.setdefault(key, time.time() - T0)


def main() -> int:
    # Importing the UI modules here rather than inside run() changes the order, not the cost.
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    from app.ui import startup
    from app.ui.main_window import MainWindow
    from app.ui.tasks import TaskRunner

    pools: dict[int, str] = {}   # task id -> pool, to tell the till's loads from background work
    run = TaskRunner.run

    def run_noting_pool(self, fn, on_done=None, on_error=None, *, pool="db", owner=None, what=None):
        task = run(self, fn, on_done, on_error, pool=pool, owner=owner, what=what)
        pools[task] = pool
        return task

    TaskRunner.run = run_noting_pool

    loaded = startup.LoginDialog._loaded
    typed = {}

    def login_ready(self, result):
        loaded(self, result)
        mark("login_ready")
        typed["at"] = time.time()

        def type_pin():
            QTest.keyClicks(self.pin, PIN)
            typed["took"] = time.time() - typed["at"]
            QTest.keyClick(self.pin, Qt.Key.Key_Return)

        QTimer.singleShot(0, type_pin)

    startup.LoginDialog._loaded = login_ready

    shown = MainWindow.show_restored   # show() or showMaximized(), as app/ui/window_state.py decides

    def window_shown(self):
        shown(self)
        mark("window_shown")
        till = self.screens.get("till")

        def idle():
            # The till is usable once the database worker has answered its first loads. Background work
            # on the io pool (the sender, the care engine, the day's backup) does not count: a cashier
            # can sell meanwhile.
            if any(pools.get(t) == "db" for t in self.state.tasks._running):
                QTimer.singleShot(5, idle)
                return
            mark("till_ready")
            marks["cpu_till_ready"] = time.process_time()   # every thread's CPU: steadier than wall time on a busy machine
            if till is not None:
                marks["till_focus"] = bool(till.focusWidget())
            if os.environ.get("BENCH_SETTLE_MS"):
                # closing as a cashier does at the end of a day: the background work started meanwhile
                QTimer.singleShot(int(os.environ["BENCH_SETTLE_MS"]), close)
            else:
                close()

        def close():
            mark("close")
            self.close()
            mark("closed")   # the window is gone

        QTimer.singleShot(0, idle)

    MainWindow.show_restored = window_shown

    from app.cli import main as cli_main

    code = cli_main([])
    marks["typing"] = typed.get("took", 0.0)
    marks["exit"] = time.time() - T0   # app.cli.main returned (the parent also times the process's end)
    print(json.dumps(marks), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
