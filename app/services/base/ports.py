"""What the services need from the outside world, declared as Protocols (see DESIGN.md, "Layers").

The adapters in app/adapters implement them (python-escpos printers and the on-screen preview; the
log-only, Twilio-compatible and Tencent Cloud SMS gateways); tests pass fakes that record calls.
Nothing here imports escpos, twilio, tencentcloud or Qt.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from app.errors import ShopError
from app.services.base.context import Clock

if TYPE_CHECKING:
    from app.services.sales.receipt import Receipt

__all__ = ["Clock", "GatewayError", "InboundText", "PrinterError", "ReceiptPrinter", "RemoteStatus", "SendResult",
           "SmsGateway", "TemplateRef"]


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

    def print_slip(self, heading: str, lines: list[str], *, open_drawer: bool) -> None:
        """Print a slip that is not a sale (a top-up): ``heading`` (the shop name) large, then
        ``lines`` already laid out for the paper. Raises PrinterError on failure."""
        ...

    def test_print(self) -> None:
        """Print a short test page (shop name, printer setting, Chinese sample). Raises PrinterError."""
        ...


class GatewayError(ShopError):
    """A text gateway's refusal or failure. ``code`` is a ``sms_*`` entry of app.errors.CATALOGUE:

    * ``sms_auth_failed``: wrong account or token (Twilio 20003); the sender stops and leaves rows queued;
    * ``sms_key_refused``: Tencent refused the SecretId, SecretKey or SdkAppId (AuthFailure.*): as above;
    * ``sms_account_blocked``: the account may not send now (Tencent: SMS package used up, arrears);
      the sender stops and leaves rows queued too;
    * ``sms_no_template``: a gateway of approved templates has none for this text's kind: permanent;
    * ``sms_temporary``: rate limit (429), server error (5xx), time-out or no connection: try again later.
      ``ambiguous`` is true when the request may have reached the gateway (a read time-out), so the
      sender asks the gateway whether it took the text before sending it again;
    * ``sms_rejected``: a permanent refusal for this text, with the provider's code (21211, 21610, ...).

    ``effect`` says what a permanent refusal means for the member, whatever the provider's code:
    ``opted_out`` (unsubscribed, on the carrier's blacklist), ``invalid`` or ``not_mobile`` (the phone
    is flagged). The sender acts on it (sender._member_after_refusal).
    """

    def __init__(self, code: str, /, *, provider_code: str | None = None, ambiguous: bool = False,
                 effect: str | None = None, **params: object) -> None:
        self.provider_code = provider_code
        self.ambiguous = ambiguous
        self.effect = effect
        super().__init__(code, provider_code=provider_code or "-", **params)

    @property
    def temporary(self) -> bool:
        return self.code == "sms_temporary"

    @property
    def stops_sending(self) -> bool:
        """The account, not the text, was refused (wrong credentials; Tencent: SMS package used up or
        service suspended for arrears): the sender stops and leaves every text queued."""
        return self.code in ("sms_auth_failed", "sms_key_refused", "sms_account_blocked")


@dataclass(frozen=True)
class SendResult:
    """What the gateway answered to one send: its id for the text and its status ("queued", "sent"...)."""
    provider_id: str
    status: str


@dataclass(frozen=True)
class TemplateRef:
    """What a text was made of: its template kind (``ebill_sale``, ``birthday``…, the keys of
    texts.templates.KINDS) and the value of each placeholder, as filled. Gateways that send approved
    templates with parameters instead of free text (Tencent Cloud SMS) send these; the others send
    the body and ignore it."""
    kind: str
    values: dict


@dataclass(frozen=True)
class RemoteStatus:
    """A sent text's status at the gateway. ``status`` is Twilio's word (queued, sent, delivered,
    undelivered, failed...); ``error_code`` is set for failed and undelivered texts (30003-30008...)."""
    provider_id: str
    status: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class InboundText:
    """A text a customer sent to the shop's number."""
    provider_id: str
    from_phone: str
    to_phone: str
    body: str
    received_at: datetime | None


@runtime_checkable
class SmsGateway(Protocol):
    """Sends texts and answers for them: log-only, Twilio-compatible (app/adapters/sms.py) and Tencent
    Cloud SMS (app/adapters/sms_tencent.py). Every call returns or raises GatewayError within a few
    seconds: a gateway that hangs times out."""

    #: "log", "twilio" or "tencent", and the sender (number, messaging service or signature) texts
    #: come from, for messages.
    kind: str
    sender: str

    def send(self, to: str, body: str, template: TemplateRef | None = None) -> SendResult:
        """Send ``body`` to the E.164 number ``to``; ``template`` is what the body was made of (None for
        a text written by hand). Raises GatewayError."""
        ...

    def status(self, provider_id: str) -> RemoteStatus:
        """The status of a text sent earlier. Raises GatewayError."""
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The id of a text to ``to`` with exactly ``body`` that the gateway took since ``since``, if
        any: asked after an ambiguous time-out, so a text is never sent twice. Raises GatewayError."""
        ...

    def inbound(self, since: datetime | None) -> list[InboundText]:
        """Texts received by the shop's number since ``since`` (oldest first). Raises GatewayError."""
        ...
