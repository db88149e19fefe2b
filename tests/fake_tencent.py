"""A small fake of Tencent Cloud SMS (API 3.0, version 2021-01-11) for tests, on 127.0.0.1 at a random port.

It speaks what Tencent's SDK sends and reads: ``POST /`` with a JSON body, the action in ``X-TC-Action``,
``X-TC-Version``, ``X-TC-Region``, ``X-TC-Timestamp``, and ``Authorization: TC3-HMAC-SHA256
Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=content-type;host, Signature=<hex>``, which
it checks by computing the signature again with the SecretKey (a wrong key gets
AuthFailure.SignatureFailure, an unknown SecretId AuthFailure.SecretIdNotFound). Answers are
``{"Response": {..., "RequestId"}}``, errors ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``,
always HTTP 200 with Content-Type application/json, as Tencent's are.

Actions: ``SendSms`` (checks the SdkAppId, the approved signature, the approved template and its
number of parameters; answers a SendStatusSet per number), ``PullSmsSendStatus`` and
``PullSmsReplyStatus`` (queues: each report or reply is handed out once, ``Limit`` at a time),
``PullSmsSendStatusByPhoneNumber`` (reports of one number in a time range, not consumed).

Scriptable per number (``script(to, *actions)``, consumed one send at a time, then "ok"):
``("status", code)`` answers the send with that SendStatus code (FailedOperation.PhoneNumberInBlacklist,
InvalidParameterValue.IncorrectPhoneNumber, LimitExceeded.PhoneNumberThirtySecondLimit…);
``("error", code)`` answers with a request-level Error (RequestLimitExceeded,
FailedOperation.InsufficientBalanceInSmsPackage…); ``"500"`` an HTTP 500; ``"hang"`` waits longer than
the client's time-out without taking the text. ``deliver_as(to, "FAIL", description)`` sets the report.
``texts`` keeps what each member would read: 【signature】 and the template filled.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "2021-01-11"
SERVICE = "sms"


@dataclass
class Seen:
    action: str
    headers: dict
    body: dict


@dataclass
class FakeTencent:
    secret_id: str = "AKID" + "Fake0Id0" * 4
    secret_key: str = "fakeSecretKey0123456789abcdefABCD"
    sdk_app_id: str = "1400006666"
    signs: tuple[str, ...] = ("街角茶咖",)
    # approved templates: id -> text with {1}, {2}… (what a member reads after 【signature】)
    approved: dict[str, str] = field(default_factory=lambda: {
        "100001": "{1}您好，您本次消费{2}，储值余额{3}，积分{4}。",
        "100002": "亲爱的{1}，生日快乐！",
        "100003": "{1}您好，储值余额{2}，积分{3}。",
        "100009": "这是一条测试短信，本店短信可以正常送达此号码。",
    })
    hang_s: float = 1.5
    requests: list[Seen] = field(default_factory=list)
    texts: list[tuple[str, str, str]] = field(default_factory=list)     # (to, serial, text read)
    reports: list[dict] = field(default_factory=list)                  # the PullSmsSendStatus queue
    replies: list[dict] = field(default_factory=list)                  # the PullSmsReplyStatus queue
    history: list[dict] = field(default_factory=list)                  # every report, by number
    final: dict[str, tuple[str, str]] = field(default_factory=dict)    # to -> (SUCCESS|FAIL, description)
    echo_context: bool = True                                           # reports carry SessionContext
    _scripts: dict[str, list] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: int = 0

    # --- scripting ------------------------------------------------------------------------------
    def script(self, to: str, *actions) -> None:
        with self._lock:
            self._scripts.setdefault(to, []).extend(actions)

    def deliver_as(self, to: str, report: str, description: str = "") -> None:
        self.final[to] = (report, description)

    def add_reply(self, phone: str, text: str, when: datetime | None = None, sign: str | None = None) -> None:
        """A member's reply to the shop's texts, waiting in the reply queue."""
        when = when or datetime.now(timezone.utc)
        with self._lock:
            self.replies.append({"ExtendCode": "", "CountryCode": "86", "PhoneNumber": phone,
                                 "SignName": sign or self.signs[0], "ReplyContent": text,
                                 "ReplyTime": int(when.timestamp()), "SubscriberNumber": phone[3:]})

    def sent_to(self, to: str) -> list[str]:
        return [text for t, _s, text in self.texts if t == to]

    # --- the server -----------------------------------------------------------------------------
    def start(self) -> FakeTencent:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        action = headers.get("x-tc-action", "")
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except ValueError:
            body = {}
        with self._lock:
            self.requests.append(Seen(action, headers, body))
        status, payload = self._route(action, headers, raw, body)
        data = json.dumps({"Response": {**payload, "RequestId": str(uuid.uuid4())}}, ensure_ascii=False).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _error(code: str, message: str) -> tuple[int, dict]:
        return 200, {"Error": {"Code": code, "Message": message}}

    def _auth_error(self, headers: dict, raw: bytes) -> tuple[int, dict] | None:
        """None when the TC3-HMAC-SHA256 signature is right."""
        auth = headers.get("authorization", "")
        m = re.match(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
                     r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            return self._error("AuthFailure.InvalidAuthorization", "Authorization header is invalid")
        secret_id, day, service, signed, signature = m.groups()
        if secret_id != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        stamp = int(headers.get("x-tc-timestamp") or 0)
        if abs(time.time() - stamp) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired")
        canonical = "\n".join(["POST", "/", "", f"content-type:{headers.get('content-type')}\nhost:{headers.get('host')}\n",
                               signed, hashlib.sha256(raw).hexdigest()])
        scope = f"{day}/{service}/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(stamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])

        def hm(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

        key = hm(hm(hm(("TC3" + self.secret_key).encode("utf-8"), day), service), "tc3_request")
        if hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest() != signature:
            return self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated")
        return None

    def _route(self, action: str, headers: dict, raw: bytes, body: dict) -> tuple[int, dict]:
        refused = self._auth_error(headers, raw)
        if refused:
            return refused
        if headers.get("x-tc-version") != VERSION:
            return self._error("InvalidParameter", "Version not supported")
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId not exist")
        if action == "SendSms":
            return self._send(body)
        if action in ("PullSmsSendStatus", "PullSmsReplyStatus"):
            queue = self.reports if action == "PullSmsSendStatus" else self.replies
            limit = max(1, min(100, int(body.get("Limit") or 100)))
            with self._lock:
                out, queue[:] = queue[:limit], queue[limit:]
            return 200, {f"{action}Set": out}
        if action == "PullSmsSendStatusByPhoneNumber":
            begin, end = int(body.get("BeginTime") or 0), int(body.get("EndTime") or 2 ** 31)
            with self._lock:
                rows = [r for r in self.history if r["PhoneNumber"] == body.get("PhoneNumber")
                        and begin <= r["UserReceiveTime"] <= end]
            off, limit = int(body.get("Offset") or 0), int(body.get("Limit") or 100)
            return 200, {"PullSmsSendStatusSet": rows[off:off + limit]}
        return self._error("InvalidAction", f"The action {action} is not found")

    def _send(self, body: dict) -> tuple[int, dict]:
        numbers = body.get("PhoneNumberSet") or []
        if not numbers:
            return self._error("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty")
        out = []
        for to in numbers:
            with self._lock:
                queue = self._scripts.get(to) or []
                action = queue.pop(0) if queue else "ok"
            if isinstance(action, tuple) and action[0] == "error":
                return self._error(action[1], f"{action[1]} (scripted)")
            if action == "500":
                return 500, {"Error": {"Code": "InternalError", "Message": "server error"}}
            if action == "hang":
                time.sleep(self.hang_s)
                return self._error("InternalError.Timeout", "timeout")
            code = action[1] if isinstance(action, tuple) and action[0] == "status" else "Ok"
            if code == "Ok" and body.get("SignName") not in self.signs:
                code = "FailedOperation.SignatureIncorrectOrUnapproved"
            template = self.approved.get(str(body.get("TemplateId")))
            params = body.get("TemplateParamSet") or []
            if code == "Ok" and template is None:
                code = "FailedOperation.TemplateIncorrectOrUnapproved"
            if code == "Ok" and len(params) != len(set(re.findall(r"\{(\d+)\}", template))):
                code = "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
            serial = ""
            if code == "Ok":
                with self._lock:
                    self._seq += 1
                    serial = f"2433:{self._seq:030d}"
                    text = "【" + body["SignName"] + "】" + re.sub(r"\{(\d+)\}", lambda m: params[int(m.group(1)) - 1],
                                                                  template)
                    self.texts.append((to, serial, text))
                    report, why = self.final.get(to, ("SUCCESS", "DELIVRD"))
                    row = {"UserReceiveTime": int(time.time()), "CountryCode": "86", "SubscriberNumber": to[3:],
                           "PhoneNumber": to, "SerialNo": serial, "ReportStatus": report, "Description": why,
                           "SessionContext": body.get("SessionContext", "") if self.echo_context else ""}
                    self.reports.append(row)
                    self.history.append(row)
            out.append({"SerialNo": serial, "PhoneNumber": to, "Fee": 1 if code == "Ok" else 0,
                        "SessionContext": body.get("SessionContext", ""), "Code": code,
                        "Message": "send success" if code == "Ok" else code, "IsoCode": "CN"})
        return 200, {"SendStatusSet": out}


# --- pytest fixtures (import them into a test module to use them) ------------------------------------
def _fixtures():
    import pytest

    @pytest.fixture
    def fake_tencent():
        fake = FakeTencent().start()
        yield fake
        fake.stop()

    @pytest.fixture
    def tencent_cfg(fake_tencent):
        from app.services.texts.gateway_config import GatewayConfig
        from app.services.texts.tencent_config import TencentConfig, TencentTemplate

        tc = TencentConfig(secret_id=fake_tencent.secret_id, sdk_app_id=fake_tencent.sdk_app_id,
                           sign_name=fake_tencent.signs[0], region="ap-guangzhou", templates=(
                               TencentTemplate("ebill_sale", "100001", ("name", "amount", "balance", "points")),
                               TencentTemplate("birthday", "100002", ("name",)),
                               TencentTemplate("test", "100009", ())))
        return GatewayConfig(kind="tencent", api_base=fake_tencent.url, tencent=tc, has_secret_key=True)

    @pytest.fixture
    def tencent_gateway(fake_tencent, tencent_cfg):
        """The real TencentGateway (Tencent's SDK) talking to the fake server, 0.5 s time-out."""
        from app.adapters.sms_tencent import TencentGateway

        fake_tencent.hang_s = 1.2
        return TencentGateway(tencent_cfg, fake_tencent.secret_key, timeout=0.5)

    return fake_tencent, tencent_cfg, tencent_gateway


fake_tencent, tencent_cfg, tencent_gateway = _fixtures()
