"""All database, printing, sending and PDF work runs here, off the UI thread.

``tasks.run(fn, on_done, on_error)`` calls ``fn()`` on a worker and hands its result (or its
exception) back to the UI thread by a queued signal. Database work goes through ONE worker so
writes from the app never race each other; printing and other slow I/O use their own workers so
a jammed printer never holds up a sale.

``run_patiently`` is for a service call that may meet a busy database (an import, another till):
a ``Busy`` from it committed nothing, so the whole call runs again, and the caller shows how long it
has waited, for up to ``BUSY_WAIT_S``; only then does the failure reach the caller.
"""
from __future__ import annotations

import logging
import time
import traceback
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from app.errors import Busy

log = logging.getLogger(__name__)

BUSY_WAIT_S = 60       # how long a call is retried on its own while the database stays busy
BUSY_PAUSE_MS = 500    # between attempts (SQLite's busy timeout already waits inside each one)


class _Relay(QObject):
    finished = Signal(object, object, object, object)  # task id, on_done, on_error, (result, error)


class _Job(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[], Any], relay: _Relay, on_done, on_error) -> None:
        super().__init__()
        self.task_id, self.fn, self.relay, self.on_done, self.on_error = task_id, fn, relay, on_done, on_error
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            outcome = (self.fn(), None)
        except BaseException as exc:  # handed to the UI thread; nothing is swallowed
            outcome = (None, exc)
        self.relay.finished.emit(self.task_id, self.on_done, self.on_error, outcome)


class TaskRunner(QObject):
    """Worker pools: ``db`` (one thread: every service call) and ``io`` (printers, gateways, PDFs)."""

    busy_changed = Signal(int)  # number of tasks still running

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools = {"db": QThreadPool(self), "io": QThreadPool(self)}
        self._pools["db"].setMaxThreadCount(1)
        self._pools["io"].setMaxThreadCount(2)
        self._relay = _Relay()
        self._relay.finished.connect(self._finished)
        self._next = 0
        self._running: set[int] = set()
        self._owners: dict[int, QObject | None] = {}

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *, pool: str = "db",
            owner: QObject | None = None) -> int:
        """``owner``: the widget the answer is for (default: the object ``on_done`` is a method of).
        An answer that arrives after its window was closed and deleted is dropped, not delivered
        into a dead widget."""
        self._next += 1
        self._running.add(self._next)
        self.busy_changed.emit(len(self._running))
        if owner is None and isinstance(getattr(on_done, "__self__", None), QObject):
            owner = on_done.__self__
        self._owners[self._next] = owner
        self._pools[pool].start(_Job(self._next, fn, self._relay, on_done, on_error))
        return self._next

    @property
    def busy(self) -> int:
        return len(self._running)

    @Slot(object, object, object, object)
    def _finished(self, task_id, on_done, on_error, outcome) -> None:
        self._running.discard(task_id)
        self.busy_changed.emit(len(self._running))
        owner = self._owners.pop(task_id, None)
        if owner is not None and not shiboken6.isValid(owner):
            return  # its window is gone: nobody to tell
        result, error = outcome
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                log.error("background task failed: %s", "".join(traceback.format_exception(error)))
        elif on_done is not None:
            on_done(result)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every pool is idle (shutdown and tests)."""
        return all(pool.waitForDone(msecs) for pool in self._pools.values())


class _Patient(QObject):
    """One call run again while it fails with ``Busy``; lives as long as the widget it reports to."""

    def __init__(self, runner: TaskRunner, fn, on_done, on_error, on_wait, limit_s: float,
                 parent: QObject) -> None:
        super().__init__(parent)
        self.runner, self.fn, self.on_done, self.on_error, self.on_wait = runner, fn, on_done, on_error, on_wait
        self.limit_s, self.attempts, self.started = limit_s, 0, time.monotonic()
        self._tick = QTimer(self, interval=1000)  # the waited seconds count up on screen
        self._tick.timeout.connect(self._report)
        self._attempt()

    def _attempt(self) -> None:
        self.attempts += 1
        self.runner.run(self.fn, self._done, self._failed, owner=self)

    def _done(self, result) -> None:
        self._tick.stop()
        self.on_done(result)
        self.deleteLater()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, Busy) and time.monotonic() - self.started < self.limit_s:
            if not self._tick.isActive():
                self._tick.start()
            self._report()
            QTimer.singleShot(BUSY_PAUSE_MS, self, self._attempt)
            return
        self._tick.stop()
        self.on_error(exc)
        self.deleteLater()

    def _report(self) -> None:
        self.on_wait(self.attempts, int(time.monotonic() - self.started))


def run_patiently(runner: TaskRunner, owner: QObject, fn: Callable[[], Any], on_done: Callable[[Any], None],
                  on_error: Callable[[BaseException], None], on_wait: Callable[[int, int], None],
                  limit_s: float | None = None) -> None:
    """Run ``fn`` on the db worker; while it fails with ``Busy`` run it again, calling
    ``on_wait(attempts, seconds waited)`` (after each busy attempt and every second), until it
    succeeds, fails otherwise, or ``limit_s`` (default ``BUSY_WAIT_S``) has passed: then
    ``on_error(Busy)``, and the caller offers to keep waiting. ``fn`` must be a whole service call
    (one unit of work): a ``Busy`` means it committed nothing, so running it again never doubles it.
    Nothing is delivered once ``owner`` is deleted."""
    _Patient(runner, fn, on_done, on_error, on_wait, BUSY_WAIT_S if limit_s is None else limit_s, owner)


def process_events() -> None:
    """Run the pending events once (screenshots, start-up).

    A QEventLoop's processEvents, not the static QCoreApplication.processEvents: on PySide6 6.12
    with CPython 3.11 the static one drops a reference to None on every call, and a few thousand
    calls abort the process."""
    from PySide6.QtCore import QEventLoop

    QEventLoop().processEvents()
