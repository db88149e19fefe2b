"""The app's own sender: every 30 seconds (and once at start, after rows a crash left ``sending``
are marked ``unknown``) it delivers due texts and polls delivery statuses and replies, on the
``io`` pool, never on the UI thread and never two runs at once. A gateway failure is shown, not
raised: the next run tries again.

The sending side (gateway settings, gateways, sender) is imported when first needed, so a build
without it still starts and says so.
"""
from __future__ import annotations

import importlib
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

INTERVAL_MS = 30_000
UNAVAILABLE = object()   # what a run returns when this build has no sending side


def sending_modules():
    """(gateway_config, sms adapters, sender), or None when this build has no sending side."""
    try:
        return tuple(importlib.import_module(name) for name in
                     ("app.services.texts.gateway_config", "app.adapters.sms", "app.services.texts.sender"))
    except ImportError:
        return None


class BackgroundSender(QObject):
    ran = Signal(object)        # the sender's SendReport
    failed = Signal(str)        # what went wrong, in the user's language
    changed = Signal()          # running / last result changed

    def __init__(self, state, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.state = state
        self.running = False
        self.recovered = False
        self.runs = 0
        self.last_report = None
        self.last_error: str | None = None
        self.last_run_at: datetime | None = None
        self._gateway = None     # (config, gateway), used on the worker only
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.run_now)

    @property
    def available(self) -> bool:
        return sending_modules() is not None

    def start(self) -> None:
        """The first run at once, then every interval; the sending side is imported by that first run,
        on the worker (the gateway and twilio cost the UI thread nothing)."""
        self.timer.start()
        QTimer.singleShot(0, self.run_now)

    def _unavailable(self) -> None:
        self.timer.stop()
        self.last_error = self.tr("Sending texts is not available in this build")
        self.changed.emit()

    def stop(self) -> None:
        self.timer.stop()

    def gateway_changed(self) -> None:
        """The gateway settings were saved: the next run builds the gateway afresh."""
        self._gateway = None

    def _gateway_for(self, gateway_config, sms):
        cfg = gateway_config.load_gateway_config()   # the environment may change it too
        if self._gateway is None or self._gateway[0] != cfg:
            self._gateway = (cfg, sms.make_gateway(cfg))
        return self._gateway[1]

    def run_now(self) -> bool:
        """One run on the io pool; False (and nothing started) while the last one is still going."""
        if self.running:
            return False
        self.running = True
        self.changed.emit()
        ctx, recover = self.state.ctx, not self.recovered

        def work():
            modules = sending_modules()   # imported here, on the worker, the first time
            if modules is None:
                return UNAVAILABLE
            gateway_config, sms, sender = modules
            if recover:
                sender.recover_stale(ctx)
            gateway = self._gateway_for(gateway_config, sms)
            report = sender.send_due(ctx, gateway)
            from app.services.care import satisfaction
            from app.services.ledger import balance_reply

            sender.poll(ctx, gateway, on_score=satisfaction.after_score,   # a low score: a complaint at once
                        balances=balance_reply.values)
            return report

        self.state.tasks.run(work, lambda report: self._done(report, recover), self._failed, pool="io",
                             what=self.tr("sending texts"))
        return True

    def _done(self, report, recovered: bool) -> None:
        self.running = False
        if report is UNAVAILABLE:
            self._unavailable()
            return
        self.recovered = self.recovered or recovered
        self.runs += 1
        self.last_report, self.last_error = report, None
        self.last_run_at = self.state.ctx.now()
        self.changed.emit()
        self.ran.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self._gateway = None
        self.runs += 1
        self.last_error = self.state.error_text(exc)
        self.last_run_at = self.state.ctx.now()
        self.changed.emit()
        self.failed.emit(self.last_error)

    def summary(self) -> str:
        """One line for the status bar and the messages screen."""
        if self.last_error:
            return self.tr("Texts: {error}").format(error=self.last_error)
        r = self.last_report
        if r is None:
            return self.tr("Texts: sending…") if self.running else ""
        return self.tr("Texts at {time}: {sent} sent, {failed} failed, {deferred} waiting").format(
            time=self.state.time(self.last_run_at), sent=self.state.number(r.sent),
            failed=self.state.number(r.failed), deferred=self.state.number(r.deferred))
