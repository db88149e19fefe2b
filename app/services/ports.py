"""What the services need from the outside world, declared as Protocols (see DESIGN.md, "Layers").

The adapters in app/adapters implement them (python-escpos printers and the on-screen preview; SMS
gateways in a later issue); tests pass fakes that record calls. Nothing here imports escpos or Qt.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from app.errors import ShopError
from app.services.context import Clock

if TYPE_CHECKING:
    from app.services.receipt import Receipt

__all__ = ["Clock", "PrinterError", "ReceiptPrinter", "SmsGateway"]


class PrinterError(ShopError):
    """A receipt printer that is off, unreachable, out of paper or failing.

    Its ``code`` is one of the ``printer_*`` entries of app.errors.CATALOGUE, so ``render(err, lang)``
    gives the cashier a sentence in English or Chinese. Printing happens after a sale has
    committed: this error is reported, never raised into the sale.
    """


@runtime_checkable
class ReceiptPrinter(Protocol):
    #: The setting string it was made from ("preview", "net:192.168.1.50:9100", …), for messages.
    description: str

    def print_receipt(self, receipt: Receipt, *, open_drawer: bool) -> None:
        """Print one receipt (and kick the cash drawer when asked). Raises PrinterError on failure,
        within a few seconds: never hangs on a printer that is off."""
        ...

    def test_print(self) -> None:
        """Print a short test page (shop name, printer setting, Chinese sample). Raises PrinterError."""
        ...


@runtime_checkable
class SmsGateway(Protocol):
    """Sends one text message (implemented in a later issue: log-only and Twilio-compatible)."""

    def send(self, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; returns the provider's message id."""
        ...
