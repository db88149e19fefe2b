"""After a top-up has been recorded: its slip (充值小票) on this till's receipt printer, off the UI
thread; with no printer set up (``preview``), on screen. A printer failure is said, never undoes
the top-up, and the slip can be printed again from the preview."""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


def slip_job(ctx, topup_id: int):
    """On the io worker: (printer setting, PrintOutcome)."""
    from app.adapters.printers import printer_from_setting
    from app.services.base import localconfig
    from app.services.sales import topup_slip

    cfg = localconfig.load()
    printer = printer_from_setting(cfg.printer, paper_mm=cfg.paper_mm, print_qr=cfg.print_qr)
    return cfg.printer, topup_slip.print_topup_slip(ctx, topup_id, printer, cfg)


class SlipPrinter:
    """Prints one top-up's slip and shows the outcome beside ``parent``; keeps what it showed
    (``preview``, ``failure``) for tests and screenshots."""

    def __init__(self, state, parent: QWidget | None) -> None:
        self.state = state
        self.parent = parent
        self.preview = None
        self.failure: QMessageBox | None = None
        self.outcome = None

    def print(self, topup_id: int) -> None:
        ctx = self.state.ctx
        self.state.tasks.run(lambda: slip_job(ctx, topup_id), self._printed, self._failed, pool="io",
                             what=QCoreApplication.translate("TopupSlip", "printing the top-up slip"))

    def _printed(self, out) -> None:
        setting, outcome = out
        self.outcome = outcome
        if not outcome.ok:
            self._failed_text(outcome.error_text(self.state.lang) or outcome.error_code or "?")
            return
        if str(setting).strip().lower() == "preview" and outcome.preview_lines:
            from app.ui.till.receipt_preview import ReceiptPreviewDialog

            self.preview = ReceiptPreviewDialog(self.state, list(outcome.preview_lines), self.parent,
                                                title=QCoreApplication.translate("TopupSlip", "Top-up slip"))
            self.preview.setModal(False)
            self.preview.show()

    def _failed(self, exc: BaseException) -> None:
        self._failed_text(self.state.error_text(exc))

    def _failed_text(self, why: str) -> None:
        self.failure = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("TopupSlip", "Top-up slip"),
                                   QCoreApplication.translate("TopupSlip", "The top-up is recorded; its slip did not print: {why}").format(why=why),
                                   QMessageBox.StandardButton.Ok, self.parent)
        self.failure.open()
