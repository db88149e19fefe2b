"""What the till does with a cart beyond editing it: take payment, print the receipt (io worker,
never undoing a sale), hold and recall carts (waiting out a busy database), refunds and the sales
history. A mixin of TillScreen: its texts are in the TillScreen context."""
from __future__ import annotations

import logging
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QTimer

from app.services.sales import held
from app.services.sales.checkout import Cart
from app.ui.reports.sales_history import SalesHistoryDialog
from app.ui.till.held_dialog import HeldDialog
from app.ui.till.pay_dialog import PayDialog
from app.ui.till.refund_dialog import RefundDialog
from app.ui.widgets import run

log = logging.getLogger(__name__)


def print_job(ctx, receipt_no: str, reprint: bool):
    """Print one receipt (runs in the io worker). Returns (printer setting, PrintOutcome), or None
    while the printing modules are not installed yet."""
    try:
        from app.adapters.printers import printer_from_setting
        from app.services.base import localconfig
        from app.services.sales import printing
    except ImportError:
        log.info("printing is not available yet; receipt %s not printed", receipt_no)
        return None
    cfg = localconfig.load()
    printer = printer_from_setting(cfg.printer, paper_mm=cfg.paper_mm, print_qr=cfg.print_qr)
    return cfg.printer, printing.print_sale(ctx, receipt_no, printer, cfg, reprint=reprint)


class SaleActions:
    # --- pay --------------------------------------------------------------------------------
    def pay(self) -> None:
        if self.dialog is not None:
            return
        if not self.model.cart.lines:
            self.show_error(QCoreApplication.translate("TillScreen", "The cart is empty: scan an item first."))
            return
        if self._pricing or not self.model.fresh():
            self._pay_when_priced = True
            if not self._reprice_timer.isActive():
                self.reprice()
            return
        member = self.member_bar.card.member if self.member_bar.card else None
        dialog = PayDialog(self.state, self.model.cart, self.model.priced, member, self)
        dialog.paid.connect(self.sale_done)
        self._open(dialog)

    def sale_done(self, result) -> None:
        self.last_receipt = result.receipt_no
        self.clear_cart()
        self.state.sale_recorded.emit(result)
        if result.member_id is not None:
            self.state.member_changed.emit(result.member_id)
        if result.change:
            text = QCoreApplication.translate("TillScreen", "Sale {receipt} recorded, change {change}").format(
                receipt=result.receipt_no, change=self.state.money(result.change))
        else:
            text = QCoreApplication.translate("TillScreen", "Sale {receipt} recorded").format(receipt=result.receipt_no)
        self.show_banner(text, "ok")
        self.sale_banner = text
        self.print_receipt(result.receipt_no)

    # --- printing (io worker; never undoes a sale) ------------------------------------------
    def print_receipt(self, receipt_no: str, reprint: bool = False) -> None:
        ctx = self.state.ctx
        run(self, lambda: print_job(ctx, receipt_no, reprint),
                             lambda out: self._printed(receipt_no, reprint, out),
                             lambda exc: self._print_failed(receipt_no, reprint, self.state.error_text(exc)),
                             pool="io", what=QCoreApplication.translate("TillScreen", "printing the receipt"))

    def _printed(self, receipt_no: str, reprint: bool, out) -> None:
        if out is None:
            return  # no printing module yet
        setting, outcome = out
        if outcome.ok:
            if str(setting).strip().lower() == "preview" and outcome.preview_lines:
                from app.ui.till.preview_side import show_beside

                show_beside(self, outcome.preview_lines, receipt_no,   # never in the way of the next sale
                            getattr(outcome, "preview_qr", ()))
            elif reprint:
                self.show_banner(QCoreApplication.translate("TillScreen", "Receipt {receipt} reprinted").format(receipt=receipt_no), "info")
            return
        text = outcome.error_text(self.state.lang)
        self._print_failed(receipt_no, reprint, text or outcome.error_code or "?")

    def _print_failed(self, receipt_no: str, reprint: bool, error: str) -> None:
        if reprint:
            text = QCoreApplication.translate("TillScreen", "Reprint of {receipt} failed: {error}").format(receipt=receipt_no, error=error)
        else:
            text = QCoreApplication.translate("TillScreen", "Sale {receipt} recorded; the printer failed: {error} — F9 to reprint").format(
                receipt=receipt_no, error=error)
        self.show_banner(text, "warn")

    # --- hold and recall --------------------------------------------------------------------
    def hold(self) -> None:
        cart = self.model.cart
        if not cart.lines:
            self.show_error(QCoreApplication.translate("TillScreen", "The cart is empty: nothing to hold."))
            return
        card = self.member_bar.card
        first = self.model.info.get(cart.lines[0].sku, (cart.lines[0].sku, 0))[0]
        label = card.member.name if card else first
        ctx = self.state.ctx

        def done(view) -> None:
            self.clear_cart()
            self.show_banner(QCoreApplication.translate("TillScreen", "Cart held ({label}) — F7 to recall").format(label=view.label), "info")

        self._patiently(lambda: held.hold(ctx, cart, label), done)

    def recall(self) -> None:
        if self.model.cart.lines:
            self.show_error(QCoreApplication.translate("TillScreen", "Finish, hold (F6) or clear (Esc) this cart before recalling another."))
            return
        dialog = HeldDialog(self.state, self)
        dialog.recall_requested.connect(self._recall)
        self._open(dialog)

    def _recall(self, held_id: int) -> None:
        ctx = self.state.ctx

        def done(cart: Cart) -> None:
            self.model.set_cart(replace(cart, member_id=None))
            if cart.member_id is not None:
                self.member_bar.attach(cart.member_id)  # attaching puts the member on the cart and reprices
            self.select_row(len(cart.lines) - 1)
            self.show_banner(QCoreApplication.translate("TillScreen", "Held cart recalled"), "info")
            self.schedule_reprice()

        self._patiently(lambda: held.recall(ctx, held_id), done)

    def _patiently(self, call, done) -> None:
        """One service call that a busy database (an import, another till) makes wait: the banner
        says so and the call runs again on its own (a Busy attempt committed nothing)."""
        shown = []

        def waiting(attempts: int, seconds: int) -> None:
            shown.append(True)
            self.show_banner(QCoreApplication.translate("TillScreen", "Waiting for the database — an import or another till is writing… "
                                     "attempt {n}, {s} s. The cart is kept.").format(n=attempts, s=seconds), "warn")

        def finished(result) -> None:
            if shown:
                self.banner.hide()
            done(result)

        def failed(exc: BaseException) -> None:
            if shown:
                self.banner.hide()
            self._entry_error(exc)

        self.state.tasks.write(call, finished, failed, owner=self, on_wait=waiting)

    # --- refunds and history ----------------------------------------------------------------
    def refund(self, receipt_no: str | None = None) -> None:
        if self.dialog is not None:
            return
        dialog = RefundDialog(self.state, receipt_no, self)
        dialog.refunded.connect(self.refund_done)
        self._open(dialog)
        if not receipt_no:
            dialog.receipt.setFocus()

    def refund_done(self, result) -> None:
        self.state.sale_recorded.emit(result)
        self.last_receipt = result.receipt_no
        self.show_banner(QCoreApplication.translate("TillScreen", "Refund {receipt} recorded: {amount} back on {original}").format(
            receipt=result.receipt_no, amount=self.state.money(result.preview.value),
            original=result.original_receipt_no), "ok")
        self.print_receipt(result.receipt_no)

    def history(self) -> None:
        if self.dialog is not None:
            return
        dialog = SalesHistoryDialog(self.state, self, select_receipt=self.last_receipt)
        dialog.reprint_requested.connect(lambda no: self.print_receipt(no, reprint=True))
        dialog.refund_requested.connect(lambda no: QTimer.singleShot(0, lambda: self.refund(no)))
        self._open(dialog)
