"""Text gateways behind the ``SmsGateway`` port: ``log`` (nothing leaves the machine) and ``twilio``;
``tencent`` (Tencent Cloud SMS, approved templates) lives in app/adapters/sms_tencent.py.

``LogGateway`` appends each text to ``<data dir>/log/outbox.log`` so a new shop sees what would be sent,
and answers with a ``log-<n>`` id. ``TwilioGateway`` is the real ``twilio`` client; its HTTP client sets
a time-out on every call (a gateway that hangs must not hang the sender) and, when an API base is
configured, sends Twilio's requests there instead of api.twilio.com: Twilio's own advice for
Twilio-compatible gateways and local test servers is a custom HTTP client that rewrites the URL.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from app import paths
from app.safe_text import printable
from app.services.base import phones
from app.services.texts import gateway_config
from app.services.texts.gateway_config import GatewayConfig
from app.services.base.ports import GatewayError, InboundText, RemoteStatus, SendResult, SmsGateway, TemplateRef
from app.services.base.redact import basic_forms, scrub

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0          # per HTTP call: connect and read
INBOUND_PAGE = 100
AUTH_CODES = (20003, 20005)   # authentication failed / account suspended
#: what a permanent refusal means for the member: unsubscribed; not a valid number; not a mobile
TWILIO_EFFECTS = {21610: "opted_out", 21211: "invalid", 21614: "not_mobile"}


def make_gateway(cfg: GatewayConfig | None = None, *, timeout: float = TIMEOUT_S) -> SmsGateway:
    """The gateway ``cfg`` (default: this machine's settings) describes."""
    cfg = cfg or gateway_config.load_gateway_config()
    if cfg.kind == "twilio":
        return TwilioGateway(cfg, gateway_config.load_auth_token(), timeout=timeout)
    if cfg.kind == "tencent":
        from app.adapters.sms_tencent import TencentGateway

        return TencentGateway(cfg, gateway_config.load_tencent_key(), timeout=timeout)
    return LogGateway()


# --- log ------------------------------------------------------------------------------------------
class LogGateway:
    """Writes each text to the outbox log instead of sending it."""

    kind = "log"
    sender = "log"
    _lock = threading.Lock()

    def __init__(self, file: Path | None = None) -> None:
        self.file = file or (paths.log_dir() / "outbox.log")
        self._count: int | None = None

    def send(self, to: str, body: str, template: TemplateRef | None = None) -> SendResult:
        with self._lock:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            if self._count is None:  # ids go on from the entries already in the file
                self._count = (sum(1 for line in self.file.open(encoding="utf-8") if line.startswith("log-"))
                               if self.file.exists() else 0)
            self._count += 1
            pid = f"log-{self._count}"
            stamp = datetime.now().replace(microsecond=0).isoformat(sep=" ")
            # one line, and no escape sequence from a name for whoever reads the log in a terminal
            one_line = printable(body.replace("\r\n", "\n").replace("\n", " / "))
            with self.file.open("a", encoding="utf-8") as out:
                # the phone masked (138****8000): a log file is no place for personal data in full
                out.write(f"{pid}\t{stamp}\tto {phones.mask(to)}\t{one_line}\n")
            paths.private_file(self.file)   # the texts themselves are personal: 0600
        return SendResult(pid, "sent")

    def status(self, provider_id: str) -> RemoteStatus:
        return RemoteStatus(provider_id, "sent")   # nothing was delivered: it stays "sent" (to the log)

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None

    def inbound(self, since: datetime | None) -> list[InboundText]:
        return []


# --- twilio ------------------------------------------------------------------------------------------
def _http_client(api_base: str, timeout: float):
    from twilio.http.http_client import TwilioHttpClient

    class _Client(TwilioHttpClient):
        """Twilio's HTTP client with a time-out on every call and, optionally, another API host."""

        def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):
            if api_base:
                parts, base = urlsplit(url), urlsplit(api_base)
                if (parts.hostname or "").endswith("twilio.com"):
                    url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
            return super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)

    return _Client(timeout=timeout, pool_connections=True)


class TwilioGateway:
    """The real Twilio REST client (or a Twilio-compatible gateway at ``cfg.api_base``)."""

    kind = "twilio"

    def __init__(self, cfg: GatewayConfig, auth_token: str, *, timeout: float = TIMEOUT_S) -> None:
        from twilio.rest import Client

        self.cfg = cfg
        self.sender = cfg.sender
        self.client = Client(cfg.account_sid, auth_token or "-", http_client=_http_client(cfg.api_base, timeout))
        # what an error text must never show (a gateway may echo the request it refused)
        self.secrets = basic_forms(cfg.account_sid or "", auth_token or "")

    def _call(self, fn, *args, **kwargs):
        """Run one client call; every failure becomes a GatewayError."""
        import requests
        from twilio.base.exceptions import TwilioException

        try:
            return fn(*args, **kwargs)
        except requests.exceptions.ConnectTimeout as exc:   # never reached the gateway: safe to retry
            raise GatewayError("sms_temporary", why="connect timeout") from exc
        except requests.exceptions.Timeout as exc:          # it may have taken the request
            raise GatewayError("sms_temporary", why="timeout", ambiguous=True) from exc
        except requests.exceptions.RequestException as exc:
            raise GatewayError("sms_temporary", why=type(exc).__name__) from exc
        except TwilioException as exc:
            raise _mapped(exc, self.secrets) from None  # the cause's text may quote the credentials

    def send(self, to: str, body: str, template: TemplateRef | None = None) -> SendResult:
        who = {"messaging_service_sid": self.sender} if self.cfg.uses_service else {"from_": self.sender}
        msg = self._call(self.client.messages.create, to=to, body=body, **who)
        return SendResult(msg.sid, msg.status or "queued")

    def status(self, provider_id: str) -> RemoteStatus:
        msg = self._call(lambda: self.client.messages(provider_id).fetch())
        code = None if msg.error_code in (None, 0, "") else str(msg.error_code)
        return RemoteStatus(provider_id, msg.status or "", code, msg.error_message)

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        after = (since - timedelta(days=1)).date()  # Twilio filters DateSent by day
        sender = {} if self.cfg.uses_service else {"from_": self.sender}
        rows = self._call(self.client.messages.list, to=to, date_sent_after=after, limit=50, **sender)
        for m in rows:
            if (m.direction or "").startswith("outbound") and m.body == body:
                return m.sid
        return None

    def inbound(self, since: datetime | None) -> list[InboundText]:
        """Replies to the shop's number. With a messaging service as the sender there is no single
        number to list by: replies are not fetched (the Twilio console shows them)."""
        if self.cfg.uses_service:
            return []
        kwargs = {"to": self.sender, "page_size": INBOUND_PAGE}
        if since is not None:
            kwargs["date_sent_after"] = (since - timedelta(days=1)).date()
        rows = self._call(lambda: list(self.client.messages.stream(**kwargs)))
        out = [InboundText(m.sid, m.from_ or "", m.to or "", m.body or "", _local(m.date_sent or m.date_created))
               for m in rows if (m.direction or "") == "inbound"]
        return sorted(out, key=lambda x: (x.received_at or datetime.min, x.provider_id))


def _local(when: datetime | None) -> datetime | None:
    """Twilio's GMT time as shop-local naive time (the database keeps the shop's own time)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone().replace(tzinfo=None, microsecond=0)


def _mapped(exc, secrets: tuple[str, ...] = ()) -> GatewayError:
    status = getattr(exc, "status", None) or 0
    code = getattr(exc, "code", None)
    # TwilioRestException.msg reads "Unable to create record: <Twilio's message>"
    why = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", None) or exc)
    why = scrub(why.split(": ", 1)[-1], secrets)[:200]
    if status == 401 or code in AUTH_CODES:
        return GatewayError("sms_auth_failed", provider_code=str(code or 20003))
    if status == 429 or status >= 500 or not status:
        return GatewayError("sms_temporary", provider_code=str(code) if code else None,
                            why=f"HTTP {status}" if status else why)
    return GatewayError("sms_rejected", provider_code=str(code or status), why=why, effect=TWILIO_EFFECTS.get(code))
