"""A small fake of Twilio's 2010-04-01 Messages API for tests, on 127.0.0.1 at a random port.

It follows Twilio's published OpenAPI description (/work/shared/ref/twilio_api_v2010.json):
``POST /2010-04-01/Accounts/{Sid}/Messages.json`` (form-encoded To, From or MessagingServiceSid, Body;
HTTP basic auth with the account SID and auth token; 201 with a message resource), ``GET
.../Messages/{Sid}.json`` (one message, for status polling) and ``GET .../Messages.json`` (filtered by
To, From and DateSent>, paged with PageSize/Page and the first/next/previous_page_uri fields). Errors are
Twilio's JSON body ``{code, message, more_info, status}`` with the matching HTTP status.

Scriptable per recipient number (``script(to, *actions)``, consumed one request at a time, then "ok"):
``("reject", code)`` answers 400 with that code (21211, 21614, 21610, ...); ``"429"`` / ``"500"``;
``"hang"`` waits longer than the client's time-out before answering, without taking the text;
``"hang_after_accept"`` takes the text, then hangs. A wrong token gets 401 with code 20003.
Every accepted send is counted per (To, Body) in ``sends``, so a test can prove a text went once.
"""
from __future__ import annotations

import base64
import json
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

API = "/2010-04-01"
ERRORS = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21602: (400, "Message body is required."),
    21603: (400, "The 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _rfc2822(when: datetime) -> str:
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)


@dataclass
class Seen:
    """One request as the server saw it."""
    method: str
    path: str
    query: dict
    form: dict
    auth: tuple[str, str] | None
    content_type: str


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0123456789abcdef" * 2
    auth_token: str = "secret0token0123456789abcdef0000"
    hang_s: float = 1.5
    # Like some real gateways and proxies: every error body quotes the request's Authorization header and
    # the credentials it carried (what ShopCare must never store or print).
    echo_auth: bool = False
    requests: list[Seen] = field(default_factory=list)
    messages: dict[str, dict] = field(default_factory=dict)     # sid -> resource (insertion order)
    sends: Counter = field(default_factory=Counter)             # (to, body) -> accepted sends
    final_status: dict[str, tuple[str, int | None]] = field(default_factory=dict)  # to -> (status, code)
    _scripts: dict[str, list] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- scripting ------------------------------------------------------------------------------
    def script(self, to: str, *actions) -> None:
        with self._lock:
            self._scripts.setdefault(to, []).extend(actions)

    def deliver_as(self, to: str, status: str, error_code: int | None = None) -> None:
        """What a status fetch answers for texts to ``to`` (default: delivered)."""
        self.final_status[to] = (status, error_code)

    def add_inbound(self, from_: str, body: str, to: str, when: datetime | None = None) -> str:
        """A customer's text to the shop's number ``to``."""
        sid = _sid("SM")
        when = when or datetime.now(timezone.utc)
        with self._lock:
            self.messages[sid] = self._resource(sid, to=to, from_=from_, body=body, status="received",
                                                direction="inbound", when=when)
        return sid

    def accepted(self, to: str | None = None) -> int:
        return sum(n for (t, _b), n in self.sends.items() if to is None or t == to)

    def posts(self) -> list[Seen]:
        return [r for r in self.requests if r.method == "POST"]

    # --- the resource ---------------------------------------------------------------------------
    def _resource(self, sid: str, *, to: str, from_: str, body: str, status: str, direction: str,
                  when: datetime, service: str | None = None) -> dict:
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": _rfc2822(when), "date_sent": _rfc2822(when), "date_updated": _rfc2822(when),
            "direction": direction, "error_code": None, "error_message": None, "from": from_,
            "messaging_service_sid": service, "num_media": "0", "num_segments": "1", "price": None,
            "price_unit": "USD", "sid": sid, "status": status, "to": to,
            "uri": f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{API}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "_when": when.timestamp(),
        }

    # --- the server -----------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body go in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_GET(self) -> None:
                fake._handle(self, "GET")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8") if length else ""
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        auth = None
        header = h.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            auth = (user, password)
        with self._lock:
            self.requests.append(Seen(method, parts.path, query, form, auth, h.headers.get("Content-Type") or ""))
        status, payload, after = self._route(method, parts.path, query, form, auth)
        if self.echo_auth and status >= 400:
            user, password = auth or ("", "")
            payload = {**payload, "message": f"{payload.get('message')} (request: Authorization: {header}; "
                                             f"account_sid={user} auth_token={password} Bearer {password})"}
        data = json.dumps(payload).encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out)
            pass
        if after:
            after()

    def _error(self, code: int, **values) -> tuple[int, dict, None]:
        status, text = ERRORS[code]
        return status, {"code": code, "message": text.format(**values),
                        "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}, None

    def _route(self, method, path, query, form, auth):
        prefix = f"{API}/Accounts/"
        if not path.startswith(prefix):
            return 404, {"code": 20404, "message": "The requested resource was not found", "more_info": "",
                         "status": 404}, None
        sid, _, rest = path[len(prefix):].partition("/")
        if auth is None or auth[0] != sid or sid != self.account_sid or auth[1] != self.auth_token:
            return self._error(20003)
        if method == "POST" and rest == "Messages.json":
            return self._create(form)
        if method == "GET" and rest == "Messages.json":
            return self._list(query)
        if method == "GET" and rest.startswith("Messages/") and rest.endswith(".json"):
            msg_sid = rest[len("Messages/"):-len(".json")]
            with self._lock:
                msg = self.messages.get(msg_sid)
                if msg is None:
                    return 404, {"code": 20404, "message": f"The requested resource {path} was not found",
                                 "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}, None
                if msg["direction"] != "inbound":
                    final, code = self.final_status.get(msg["to"], ("delivered", None))
                    msg["status"], msg["error_code"] = final, code
                    msg["error_message"] = None if code is None else f"error {code}"
                return 200, _public(msg), None
        return 405, {"code": 20004, "message": "Method not allowed", "more_info": "", "status": 405}, None

    def _create(self, form):
        to, body = form.get("To", ""), form.get("Body", "")
        if not to:
            return self._error(21604)
        if not body:
            return self._error(21602)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._error(21603)
        with self._lock:
            queue = self._scripts.get(to) or []
            action = queue.pop(0) if queue else "ok"
        if isinstance(action, tuple) and action[0] == "reject":
            return self._error(action[1], to=to)
        if action == "429":
            return self._error(20429)
        if action == "500":
            return self._error(20500)
        if action == "401":
            return self._error(20003)
        if action == "hang":
            time.sleep(self.hang_s)
            return self._error(20500)
        sid = _sid("SM")
        with self._lock:
            msg = self._resource(sid, to=to, from_=form.get("From") or "", body=body, status="queued",
                                 direction="outbound-api", when=datetime.now(timezone.utc),
                                 service=form.get("MessagingServiceSid"))
            self.messages[sid] = msg
            self.sends[(to, body)] += 1
        if action == "hang_after_accept":
            time.sleep(self.hang_s)
        return 201, _public(msg), None

    def _list(self, query):
        size = max(1, min(1000, int(query.get("PageSize") or 50)))
        page = int(query.get("Page") or 0)
        after = query.get("DateSent>")
        with self._lock:
            rows = list(self.messages.values())
        rows = [m for m in rows if (not query.get("To") or m["to"] == query["To"])
                and (not query.get("From") or m["from"] == query["From"])]
        if after:
            cut = datetime.fromisoformat(after[:10]).replace(tzinfo=timezone.utc).timestamp()
            rows = [m for m in rows if m["_when"] >= cut]
        rows.sort(key=lambda m: -m["_when"])  # Twilio lists newest first
        chunk = rows[page * size:(page + 1) * size]
        base = f"{API}/Accounts/{self.account_sid}/Messages.json"
        keep = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}

        def uri(n: int) -> str:
            return base + "?" + urlencode({**keep, "PageSize": size, "Page": n, "PageToken": f"PA{n}"})

        more = (page + 1) * size < len(rows)
        return 200, {
            "messages": [_public(m) for m in chunk], "page": page, "page_size": size,
            "start": page * size, "end": page * size + max(0, len(chunk) - 1),
            "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
        }, None


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A client killed in the middle of a request (the crash tests) is expected: no traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def _public(msg: dict) -> dict:
    return {k: v for k, v in msg.items() if not k.startswith("_")}


def parse_date(text: str) -> datetime:
    return parsedate_to_datetime(text)


# --- pytest fixtures (import them into a test module to use them) ------------------------------------
SHOP_NUMBER = "+8613900000000"


def _fixtures():
    import pytest

    @pytest.fixture
    def fake_twilio():
        fake = FakeTwilio().start()
        yield fake
        fake.stop()

    @pytest.fixture
    def twilio_cfg(fake_twilio):
        from app.services.texts.gateway_config import GatewayConfig

        return GatewayConfig(kind="twilio", account_sid=fake_twilio.account_sid, sender=SHOP_NUMBER,
                             api_base=fake_twilio.url, has_token=True)

    @pytest.fixture
    def gateway(fake_twilio, twilio_cfg):
        """The real TwilioGateway (the twilio client) talking to the fake server, 0.5 s time-out."""
        from app.adapters.sms import TwilioGateway

        fake_twilio.hang_s = 1.2
        return TwilioGateway(twilio_cfg, fake_twilio.auth_token, timeout=0.5)

    return fake_twilio, twilio_cfg, gateway


fake_twilio, twilio_cfg, gateway = _fixtures()
