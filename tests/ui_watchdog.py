"""A UI-thread watchdog for the tests that drive a screen: it finds every stretch over ``limit_ms``
in which the Qt event loop did not come back, and names the culprit.

How: a QTimer on the UI thread ticks every ``tick_ms`` and notes the time; a Python thread watches
that note and, once a tick is ``limit_ms`` late, takes the UI thread's stack
(``sys._current_frames``) while the stall is still going on. When the loop comes back, the next tick
measures the whole gap and records it with that stack and the UI thread's CPU time over the gap.

A gap counts as a stall when it is longer than ``limit_ms`` and the UI thread was doing the work:
the stack caught while it lasted shows Python running on the UI thread (its innermost frame is not
the event loop's wait; a frame at a ``def`` line is a slot waiting for the GIL, which a worker holds,
and counts too: the window is frozen either way), or the UI thread spent at least half the gap on
the CPU. A gap in which the UI thread sat idle in the event loop (the machine busy with other work,
the process descheduled) is noted in ``gaps`` but is no stall: this machine is shared.

Use the ``ui_watchdog`` fixture (tests/conftest.py), or by hand::

    dog = UiWatchdog(limit_ms=50)
    with dog:
        ...drive the screen, qtbot.waitUntil(...)...
    dog.assert_no_stall()

``with dog.paused():`` leaves out a test's own set-up on the UI thread (filling a database), and
``dog.allow(what, ms)`` documents a budget where Qt itself blocks (the first show of a window under
the offscreen platform lays out and polishes every widget at once).
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, Qt

APP = str(Path(__file__).resolve().parent.parent / "app")


IDLE = ("processEvents", "exec(", "exec_(", "sleep(", "waitForDone", "wait(")


def _busy(frames) -> bool:
    """Whether the UI thread was running Python (or waiting to: the GIL) rather than sitting in the
    event loop: its innermost frame is not pytest-qt's wait nor a line that runs the loop or sleeps."""
    if not frames:
        return False
    top = frames[-1]
    if top.filename.startswith(APP):
        return True
    if "pytestqt" in top.filename or not top.line:   # pytest-qt's wait, or a script's loop (no source)
        return False
    return not any(word in top.line for word in IDLE)


@dataclass
class Stall:
    ms: float           # how long the event loop did not come back
    cpu_ms: float       # the UI thread's CPU time over that stretch
    stack: str          # the UI thread's stack, caught while it was stalled ("" if not caught)
    in_app: bool        # the stack caught shows Python running on the UI thread (or waiting for the GIL)
    label: str          # what the test was doing (``dog.doing("...")``)

    def __str__(self) -> str:
        return f"{self.ms:.0f} ms (UI thread CPU {self.cpu_ms:.0f} ms) while {self.label or 'driving the screen'}:\n{self.stack}"


class UiWatchdog:
    def __init__(self, limit_ms: float = 50.0, tick_ms: int = 5) -> None:
        self.limit_ms = limit_ms
        self.ui_thread = threading.get_ident()
        self.gaps: list[Stall] = []
        self.stalls: list[Stall] = []
        self.allowed: dict[str, float] = {}
        self.longest_ms = 0.0
        self.label = ""
        self._armed = False
        self._last: float | None = None
        self._last_cpu = 0.0
        self._stack: tuple[str, bool] | None = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- driving ---
    def start(self) -> UiWatchdog:
        self._armed = True
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self._timer.start()
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="ui-watchdog", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._tick()   # a stall still going on when the test ends counts too
        self._armed = False
        self._timer.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1)
            self._thread = None

    def __enter__(self) -> UiWatchdog:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @contextmanager
    def paused(self):
        """The test's own work on the UI thread (set-up, filling a database): not watched."""
        self._armed = False
        try:
            yield
        finally:
            self._last, self._last_cpu, self._stack = time.perf_counter(), time.thread_time(), None
            self._armed = True

    def doing(self, label: str) -> None:
        """Name the step that follows (it shows in a stall's report)."""
        self._tick()
        self.label = label

    def allow(self, label: str, ms: float) -> None:
        """A documented budget: stalls during the step named ``label`` may last up to ``ms``."""
        self.allowed[label] = ms

    # --- measuring ---
    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self._armed and self._last is not None:
            gap = (now - self._last) * 1000
            if gap > self.limit_ms:
                stack, in_app = self._stack or ("", False)
                cpu_ms = (cpu - self._last_cpu) * 1000
                stall = Stall(gap, cpu_ms, stack, in_app, self.label)
                if in_app or cpu_ms >= gap / 2:
                    self.stalls.append(stall)
                    self.longest_ms = max(self.longest_ms, gap)
                else:
                    self.gaps.append(stall)
        self._last, self._last_cpu, self._stack = now, cpu, None

    def _watch(self) -> None:
        while not self._stop.wait(0.004):
            last = self._last
            if not self._armed or last is None or self._stack is not None:
                continue
            if (time.perf_counter() - last) * 1000 > self.limit_ms:
                frame = sys._current_frames().get(self.ui_thread)
                if frame is None:
                    continue
                frames = traceback.extract_stack(frame)
                self._stack = ("".join(traceback.format_list(frames[-14:])), _busy(frames))

    # --- judging ---
    def over_budget(self) -> list[Stall]:
        return [s for s in self.stalls if s.ms > self.allowed.get(s.label, self.limit_ms)]

    def assert_no_stall(self) -> None:
        bad = self.over_budget()
        assert not bad, (f"the UI thread stalled {len(bad)} time(s) over {self.limit_ms:.0f} ms:\n\n"
                         + "\n\n".join(str(s) for s in bad))


@pytest.fixture
def ui_watchdog(qapp):
    """A started UiWatchdog (50 ms); the test fails if the UI thread stalled over budget."""
    dog = UiWatchdog()
    dog.start()
    yield dog
    dog.stop()
    dog.assert_no_stall()
