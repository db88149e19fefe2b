"""The care engine in the running app: once at start, after the till is on screen (catching up the
days the shop was closed, the points that lapsed on them first: app/services/ledger/expiry.py) and
every 10 minutes after, on the ``io`` pool, never two runs at once. The engine (with lunar-python
and holidays) is imported by its first run, on the worker. It reads in a read transaction and writes
in short chunks, so the till keeps selling while it works; its dedupe keys make a run that another
till (or ``shopcare care run``) already did a no-op.
"""
from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal

INTERVAL_MS = 10 * 60 * 1000


def _run(ctx):
    """On the worker: the engine is imported here (lunar-python and holidays with it, ~0.2 s), never
    on the UI thread."""
    from app.services import care

    return care.run(ctx)


class BackgroundCare(QObject):
    changed = Signal()

    def __init__(self, state, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.state = state
        self.running = False
        self.runs = 0
        self.last_report = None
        self.last_error: str | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.run_now)

    def start(self) -> None:
        self.timer.start()
        QTimer.singleShot(0, self.run_now)

    def stop(self) -> None:
        self.timer.stop()

    def run_now(self) -> bool:
        """One run on the io pool; False while the last one is still going."""
        if self.running:
            return False
        self.running = True
        self.state.tasks.run(partial(_run, self.state.ctx), self._done, self._failed, pool="io",
                             what=self.tr("running the care engine"))
        return True

    def _done(self, report) -> None:
        self.running, self.runs = False, self.runs + 1
        self.last_report, self.last_error = report, None
        self.changed.emit()

    def _failed(self, exc: BaseException) -> None:
        self.running, self.runs = False, self.runs + 1
        self.last_error = self.state.error_text(exc)
        self.changed.emit()

    def summary(self) -> str:
        if self.last_error:
            return self.tr("Care: {error}").format(error=self.last_error)
        if self.last_report is None:
            return ""
        total = self.last_report.total
        text = self.tr("Care: {texts} text(s) and {tasks} task(s) added").format(texts=total.queued, tasks=total.tasks)
        expired = getattr(self.last_report, "expiry", None)
        if expired is not None and expired.points:
            text += self.tr(", {points} points expired").format(points=self.state.number(expired.points))
        return text
