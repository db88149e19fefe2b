"""All database, printing, sending and PDF work runs here, off the UI thread: the ONE API for
background work (shaped like Anki's QueryOp / CollectionOp).

- ``tasks.query(fn, on_done, on_error, what=...)``, the read flavour: ``fn()`` runs on a worker
  (``pool="db"``, ``"io"`` for printers, gateways, files and PDFs, or ``"bulk"`` for an import that
  reads a whole file) and its result reaches
  ``on_done`` on the UI thread by a queued signal.
- ``tasks.write(fn, on_done, on_error, what=..., owner=..., on_wait=...)``, the write flavour: ``fn``
  is one whole service call (one unit of work) on the db worker; while it fails with ``Busy`` (it
  committed nothing) it runs again, ``on_wait(attempts, seconds)`` shows the wait, for up to
  ``BUSY_WAIT_S``; only then does the failure reach ``on_error``.
- ``tasks.run`` is the primitive both use (kept for the screens that call it).
- Long jobs (an import, a campaign's send) run on the ``bulk`` worker, never on the db worker the
  till's sales use; a chunked job (campaigns) takes the database's one writing connection for one
  short chunk at a time, so a sale waits one chunk at most. ``Progress`` carries the job's progress
  callback from that worker to the screen.

Database work goes through ONE worker so writes from the app never race each other; printing and
other slow I/O use their own workers so a jammed printer never holds up a sale. An answer for a
widget that was closed meanwhile is dropped.

Failures are handled in one place, here: a ShopError is a refusal the screen shows rendered in the
person's language (``AppState.error_text``) and is not logged as a bug; anything else is logged with
its traceback (app/logs.py) from the worker, the runner's ``fault`` signal carries one plain sentence
("Something went wrong while <what>. The details were saved.") to the main window's fault bar with
its "Open log folder" button (app/ui/faults.py), and ``on_error`` still gets the exception, so the
screen puts itself right and shows that same sentence.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from app import logs
from app.errors import Busy, ShopError

log = logging.getLogger(__name__)

BUSY_WAIT_S = 60       # how long a call is retried on its own while the database stays busy
BUSY_PAUSE_MS = 500    # between attempts (SQLite's busy timeout already waits inside each one)


DOING = "_shopcare_doing"   # the attribute a failed task's exception carries: what it was doing


def fault_text(doing: str | None = None) -> str:
    """The one sentence a person reads about a failure nobody foresaw (its details are in the log)."""
    if doing:
        return QCoreApplication.translate("Tasks", "Something went wrong while {doing}. The details were saved.").format(
            doing=doing)
    return QCoreApplication.translate("Tasks", "Something went wrong. The details were saved.")


def _describe(fn, what: str | None) -> str:
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{what} ({name})" if what else name


class _Relay(QObject):
    finished = Signal(object, object, object, object)  # task id, on_done, on_error, (result, error)


class Progress(QObject):
    """A long job's progress, from its worker to the UI thread: pass ``report`` as the service's
    ``progress`` callback and connect ``moved`` (a queued signal; nothing arrives once it is deleted)."""
    moved = Signal(object)

    def report(self, value: object) -> None:
        if shiboken6.isValid(self):
            self.moved.emit(value)


class _Job(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[], Any], relay: _Relay, on_done, on_error,
                 what: str | None = None) -> None:
        super().__init__()
        self.task_id, self.fn, self.relay, self.on_done, self.on_error = task_id, fn, relay, on_done, on_error
        self.what = what
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            outcome = (self.fn(), None)
        except BaseException as exc:  # handed to the UI thread; nothing is swallowed
            if not isinstance(exc, ShopError):  # a bug: its traceback into the log, from here
                logs.log_failure(exc, "background task " + _describe(self.fn, self.what), log)
            outcome = (None, exc)
        self.relay.finished.emit(self.task_id, self.on_done, self.on_error, outcome)


class TaskRunner(QObject):
    """Worker pools: ``db`` (one thread: every service call), ``io`` (printers, gateways, PDFs) and
    ``bulk`` (one thread: an import's minutes of reading and checking a file, or a campaign's chunks,
    which must not queue the till's sales behind them; their writes still go through the database's
    one writing connection)."""

    busy_changed = Signal(int)  # number of tasks still running
    fault = Signal(str)         # a failure nobody foresaw (already logged): the sentence to show

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools = {"db": QThreadPool(self), "io": QThreadPool(self), "bulk": QThreadPool(self)}
        self._pools["db"].setMaxThreadCount(1)
        self._pools["bulk"].setMaxThreadCount(1)
        self._pools["io"].setMaxThreadCount(2)
        self._relay = _Relay()
        self._relay.finished.connect(self._finished)
        self._next = 0
        self._running: set[int] = set()
        self._owners: dict[int, QObject | None] = {}
        self._what: dict[int, str | None] = {}

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *, pool: str = "db",
            owner: QObject | None = None, what: str | None = None) -> int:
        """``owner``: the widget the answer is for (default: the object ``on_done`` is a method of).
        An answer that arrives after its window was closed and deleted is dropped, not delivered
        into a dead widget. ``what``: what the task does, as the person would say it, already
        translated ("saving the member"): the failure sentence names it."""
        self._next += 1
        self._running.add(self._next)
        self.busy_changed.emit(len(self._running))
        if owner is None and isinstance(getattr(on_done, "__self__", None), QObject):
            owner = on_done.__self__
        self._owners[self._next] = owner
        self._what[self._next] = what
        self._pools[pool].start(_Job(self._next, fn, self._relay, on_done, on_error, what))
        return self._next

    def query(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None, *, what: str | None = None,
              owner: QObject | None = None, pool: str = "db") -> int:
        """The read flavour: ``fn`` off the UI thread, ``on_done(result)`` back on it (see the module)."""
        return self.run(fn, on_done, on_error, pool=pool, owner=owner, what=what)

    def write(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None, *, what: str | None = None,
              owner: QObject | None = None, on_wait: Callable[[int, int], None] | None = None,
              limit_s: float | None = None, pool: str = "db") -> None:
        """The write flavour: ``fn``, one whole service call, on the db worker, run again while the
        database is busy (``on_wait(attempts, seconds waited)`` after each busy attempt and every
        second) for up to ``limit_s`` (default ``BUSY_WAIT_S``); then ``on_error(Busy)``, and the
        caller may offer to keep waiting. Nothing is delivered once ``owner`` is deleted."""
        if owner is None and isinstance(getattr(on_done, "__self__", None), QObject):
            owner = on_done.__self__
        _Patient(self, fn, on_done or (lambda _r: None), on_error, on_wait or (lambda _a, _s: None),
                 BUSY_WAIT_S if limit_s is None else limit_s, owner or self, what, pool)

    @property
    def busy(self) -> int:
        return len(self._running)

    @Slot(object, object, object, object)
    def _finished(self, task_id, on_done, on_error, outcome) -> None:
        self._running.discard(task_id)
        self.busy_changed.emit(len(self._running))
        owner = self._owners.pop(task_id, None)
        what = self._what.pop(task_id, None)
        result, error = outcome
        if error is not None and not isinstance(error, ShopError):
            try:
                setattr(error, DOING, what)   # AppState.error_text names it in the sentence
            except AttributeError:
                pass
            self.fault.emit(fault_text(what))  # logged already, by the worker; shown whoever asked
        if owner is not None and not shiboken6.isValid(owner):
            return  # its window is gone: nobody to tell
        if error is not None:
            if on_error is not None:
                on_error(error)
            elif isinstance(error, ShopError):
                log.info("background refusal nobody showed: %s", error.code)
        elif on_done is not None:
            on_done(result)

    def wait(self, msecs: int = 30_000, pools: tuple[str, ...] | None = None) -> bool:
        """Block until every pool (or those named in ``pools``) is idle (shutdown and tests)."""
        return all(pool.waitForDone(msecs) for name, pool in self._pools.items() if pools is None or name in pools)


class _Patient(QObject):
    """One call run again while it fails with ``Busy``; lives as long as the widget it reports to."""

    def __init__(self, runner: TaskRunner, fn, on_done, on_error, on_wait, limit_s: float,
                 parent: QObject, what: str | None = None, pool: str = "db") -> None:
        super().__init__(parent)
        self.pool = pool
        self.runner, self.fn, self.on_done, self.on_error, self.on_wait = runner, fn, on_done, on_error, on_wait
        self.what = what
        self.limit_s, self.attempts, self.started = limit_s, 0, time.monotonic()
        self._tick = QTimer(self, interval=1000)  # the waited seconds count up on screen
        self._tick.timeout.connect(self._report)
        self._attempt()

    def _attempt(self) -> None:
        self.attempts += 1
        self.runner.run(self.fn, self._done, self._failed, owner=self, what=self.what, pool=self.pool)

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
        if self.on_error is not None:
            self.on_error(exc)
        elif isinstance(exc, ShopError):
            log.info("background refusal nobody showed: %s", exc.code)
        self.deleteLater()

    def _report(self) -> None:
        self.on_wait(self.attempts, int(time.monotonic() - self.started))


def run_patiently(runner: TaskRunner, owner: QObject, fn: Callable[[], Any], on_done: Callable[[Any], None],
                  on_error: Callable[[BaseException], None], on_wait: Callable[[int, int], None],
                  limit_s: float | None = None, what: str | None = None) -> None:
    """The write flavour under its older name: ``runner.write(fn, on_done, on_error, owner=owner,
    on_wait=on_wait, limit_s=limit_s)``."""
    runner.write(fn, on_done, on_error, what=what, owner=owner, on_wait=on_wait, limit_s=limit_s)


def process_events() -> None:
    """Run the pending events once (screenshots, start-up).

    A QEventLoop's processEvents, not the static QCoreApplication.processEvents: on PySide6 6.12
    with CPython 3.11 the static one drops a reference to None on every call, and a few thousand
    calls abort the process."""
    from PySide6.QtCore import QEventLoop

    QEventLoop().processEvents()
