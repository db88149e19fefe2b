"""Print a sale's receipt after it has committed, and report how it went: never raise.

A printer that is off, unplugged or out of paper must never block or lose a sale (DESIGN.md,
"Receipts"): the sale is already in the database when this runs (off the UI thread), so every
failure comes back as a ``PrintOutcome`` the till shows, with reprint one key away.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from app.errors import ShopError, render
from app.services.base.context import Ctx
from app.services.base.localconfig import TillConfig
from app.services.base.ports import PrinterError, ReceiptPrinter
from app.services.sales.receipt import Receipt, build_receipt, layout, qr_blocks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintOutcome:
    ok: bool
    error_code: str | None = None
    error_text_en: str | None = None
    error_text_zh: str | None = None      # kept for screens that read it; error_text(lang) speaks every language
    preview_lines: tuple[str, ...] = ()   # the receipt as laid out for this till's paper (empty if not built)
    preview_qr: tuple = ()                # below the lines: (caption lines, QR payload) each (receipt.qr_blocks)
    receipt_no: str | None = None
    drawer_opened: bool = False
    error: ShopError | None = field(default=None, compare=False, repr=False)

    def error_text(self, lang: str) -> str | None:
        return render(self.error, lang) if self.error is not None else self.error_text_en


def _failed(exc: BaseException, lines: tuple[str, ...], receipt_no: str | None) -> PrintOutcome:
    if not isinstance(exc, ShopError):
        exc = PrinterError("printer_failed", printer="?", why=f"{type(exc).__name__}: {exc}")
    return PrintOutcome(False, exc.code, render(exc, "en"), render(exc, "zh_CN"), lines, receipt_no, error=exc)


def print_sale(ctx: Ctx, receipt_no: str, printer: ReceiptPrinter, cfg: TillConfig, *,
               reprint: bool = False) -> PrintOutcome:
    """Build the receipt of ``receipt_no`` and print it; the outcome, never an exception.

    The cash drawer is kicked when the till is set to (``cfg.open_drawer``) and cash changed hands,
    on the first print only (never on a reprint). Without ``cfg.print_qr`` no QR code is printed.
    """
    lines: tuple[str, ...] = ()
    number = receipt_no
    try:
        receipt = build_receipt(ctx, receipt_no, reprint=reprint)
        if not cfg.print_qr:
            receipt = replace(receipt, qr_payload=None, member_qr=None)
        number = receipt.receipt_no
        lines = tuple(layout(receipt, cfg.width_chars))
        codes = tuple((tuple(c), q) for c, q in qr_blocks(receipt, cfg.width_chars))
        drawer = bool(cfg.open_drawer and receipt.has_cash and not reprint)
        printer.print_receipt(receipt, open_drawer=drawer)
    except Exception as exc:  # never into the sale: report it
        if not isinstance(exc, ShopError):
            log.exception("printing receipt %s failed", receipt_no)
        return _failed(exc, lines, number)
    return PrintOutcome(True, preview_lines=lines, receipt_no=number, drawer_opened=drawer, preview_qr=codes)


def print_receipt(receipt: Receipt, printer: ReceiptPrinter, cfg: TillConfig, *, open_drawer: bool = False) -> PrintOutcome:
    """Print a receipt already built (the UI's preview dialog "Print" button); never raises."""
    lines = tuple(layout(receipt, cfg.width_chars))
    try:
        printer.print_receipt(receipt if cfg.print_qr else replace(receipt, qr_payload=None, member_qr=None),
                              open_drawer=open_drawer)
    except Exception as exc:
        return _failed(exc, lines, receipt.receipt_no)
    return PrintOutcome(True, preview_lines=lines, receipt_no=receipt.receipt_no, drawer_opened=open_drawer)


def test_print(printer: ReceiptPrinter, cfg: TillConfig) -> PrintOutcome:
    """A short test page on ``printer`` (Settings' "Test print"); never raises."""
    try:
        printer.test_print()
    except Exception as exc:
        return _failed(exc, (), None)
    return PrintOutcome(True, preview_lines=tuple(getattr(printer, "lines", ()) or ()))
