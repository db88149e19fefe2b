"""Tencent Cloud SMS behind the ``SmsGateway`` port, through Tencent's own SDK
(``tencentcloud-sdk-python-sms``, API 3.0, version 2021-01-11, TC3-HMAC-SHA256 signing).

Mainland China texts are an approved signature plus an approved template with parameters, so a text
goes out as ``SendSms`` with the shop's SignName, the TemplateId set for the text's kind and its
placeholders' values as TemplateParamSet (in the template's order): the body ShopCare keeps is the
record and the preview, what the member reads is Tencent's approved template. A text whose kind has
no approved template, or one written by hand, is refused at once (``sms_no_template``), never retried.

Delivery reports and replies are PULLED (``PullSmsSendStatus``, ``PullSmsReplyStatus``): a till
behind a router gets no callbacks. Both are queues at Tencent: a report or reply is handed out once.
``status`` drains the report queue into this gateway's memory on its first call of a poll and
answers each text from there ("sent" while its report has not come); ``inbound`` drains the reply
queue. Tencent's codes are mapped onto the sender's classes like Twilio's (``_mapped``).

``api_base`` (the settings' API address) sends the requests to another host, e.g. a local fake server
in tests: ``HttpProfile(endpoint=host:port, protocol=http)``.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import datetime
from urllib.parse import urlsplit

from app.services.base.ports import GatewayError, InboundText, RemoteStatus, SendResult, TemplateRef
from app.services.base.redact import scrub
from app.services.texts import tencent_config
from app.services.texts.gateway_config import GatewayConfig

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
PULL_LIMIT = 100          # Tencent's most per pull
PULL_PAGES = 10           # at most 1,000 reports or replies a poll
PULL_EVERY_S = 10.0       # one drain of the report queue serves every status() of a poll
KEEP_REPORTS = 5000       # reports kept for texts not asked about yet (another till's, a later poll)

#: Tencent's codes (API 3.0 common and SMS errors, and SendStatus.Code) -> the sender's classes
AUTH = ("AuthFailure", "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "UnauthorizedOperation.SdkAppIdIsDisabled",
        "UnauthorizedOperation.RequestPermissionDeny", "UnauthorizedOperation.RequestIpNotInWhitelist",
        "InvalidParameterValue.SdkAppIdNotExist", "FailedOperation.ProhibitSubAccountUse")
BLOCKED = ("FailedOperation.InsufficientBalanceInSmsPackage", "UnauthorizedOperation.ServiceSuspendDueToArrears",
           "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny")
TEMPORARY = ("RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit",
             "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.DeliveryFrequencyLimit",
             "LimitExceeded.GlobalSmsSendingRateLimit", "LimitExceeded.PhoneNumberDailyLimit",
             "LimitExceeded.PhoneNumberSameContentDailyLimit", "LimitExceeded.AppDailyLimit",
             "LimitExceeded.DailyLimit", "LimitExceeded.AppMainlandChinaDailyLimit",
             "LimitExceeded.AppGlobalDailyLimit", "LimitExceeded.AppCountryOrRegionDailyLimit",
             "FailedOperation.MarketingSendTimeConstraint", "InternalError", "ServerNetworkError",
             "ClientNetworkError", "ResourceUnavailable", "FailedOperation.FailResolvePacket")
EFFECTS = {
    "FailedOperation.PhoneNumberInBlacklist": "opted_out",      # the member replied TD / is blacklisted
    "InvalidParameterValue.IncorrectPhoneNumber": "invalid",
    "FailedOperation.PhoneNumberParseFail": "invalid",
}
#: a short reason in the stored error for the refusals a shop can fix in the SMS console
HINTS = {
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature not approved or mistyped",
    "FailedOperation.MissingSignature": "no approved signature",
    "FailedOperation.TemplateIncorrectOrUnapproved": "template not approved or its id is wrong",
    "FailedOperation.TemplateUnapprovedOrNotExist": "template not approved or its id is wrong",
    "FailedOperation.TemplateIdNotExist": "template id does not exist",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "parameters do not match the approved template",
    "InvalidParameterValue.TemplateParameterFormatError": "a parameter's format is refused",
    "InvalidParameterValue.TemplateParameterLengthLimit": "a parameter is longer than the template allows",
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": "a link in a parameter",
    "FailedOperation.ContainSensitiveWord": "a sensitive word",
    "FailedOperation.PhoneNumberInBlacklist": "number opted out or blacklisted",
    "InvalidParameterValue.IncorrectPhoneNumber": "not a valid mobile number",
}


def _is(code: str, table) -> bool:
    return any(code == c or code.startswith(c + ".") for c in table)


def _mapped(code: str, message: str, secrets: tuple[str, ...] = (), *, ambiguous: bool = False) -> GatewayError:
    """A Tencent code and message as the sender's GatewayError."""
    why = scrub(f"{HINTS[code]}: {message}" if code in HINTS else message or code, secrets)[:200]
    if _is(code, AUTH):
        return GatewayError("sms_key_refused", provider_code=code)
    if _is(code, BLOCKED):
        return GatewayError("sms_account_blocked", provider_code=code, why=why)
    if _is(code, TEMPORARY):
        return GatewayError("sms_temporary", provider_code=code, why=why, ambiguous=ambiguous)
    return GatewayError("sms_rejected", provider_code=code, why=why, effect=EFFECTS.get(code))


def _network(exc) -> GatewayError:
    """The SDK wraps every network failure as ClientNetworkError (the requests error as its context)."""
    import requests

    cause = exc.__context__ or exc.__cause__
    text = f"{type(cause).__name__ if cause else ''} {getattr(exc, 'message', '') or ''}"
    if isinstance(cause, requests.exceptions.ConnectTimeout) or "ConnectTimeout" in text:
        return GatewayError("sms_temporary", provider_code="ClientNetworkError", why="connect timeout")
    if isinstance(cause, requests.exceptions.Timeout) or "timed out" in text.lower():
        return GatewayError("sms_temporary", provider_code="ClientNetworkError", why="timeout", ambiguous=True)
    return GatewayError("sms_temporary", provider_code="ClientNetworkError",
                        why=type(cause).__name__ if cause else "no connection")


def _local(stamp: int | None) -> datetime | None:
    """A UNIX time (Tencent's) as shop-local naive time (the database keeps the shop's own time)."""
    if not stamp:
        return None
    return datetime.fromtimestamp(int(stamp)).replace(microsecond=0)


def body_key(body: str) -> str:
    """What a text carries as SessionContext, so a report can be matched to it after a time-out."""
    return "sc-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


class TencentGateway:
    """The real Tencent Cloud SMS client (or any host at ``cfg.api_base`` speaking its API)."""

    kind = "tencent"

    def __init__(self, cfg: GatewayConfig, secret_key: str, *, timeout: float = TIMEOUT_S) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        self.cfg = cfg
        self.tc = cfg.tencent
        self.sender = f"【{self.tc.sign_name}】" if self.tc.sign_name else self.tc.sdk_app_id
        http = HttpProfile(reqMethod="POST", reqTimeout=timeout)
        if cfg.api_base:
            parts = urlsplit(cfg.api_base)
            http = HttpProfile(protocol=parts.scheme, endpoint=parts.netloc, reqMethod="POST", reqTimeout=timeout)
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http, language="en-US")
        self.client = sms_client.SmsClient(credential.Credential(self.tc.secret_id or "-", secret_key or "-"),
                                           self.tc.region, profile)
        self.secrets = tuple(s for s in (self.tc.secret_id, secret_key) if s)
        self._reports: dict[str, RemoteStatus] = {}
        self._pulled_at = 0.0
        self._lock = threading.Lock()

    # --- calling the SDK -----------------------------------------------------------------------
    def _call(self, action: str, **fields):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        req = getattr(models, f"{action}Request")()
        for k, v in fields.items():
            setattr(req, k, v)
        import requests

        try:
            return getattr(self.client, action)(req)
        except TencentCloudSDKException as exc:
            code = exc.get_code() or ""
            # the SDK wraps a network failure (also one while reading the answer) with the requests error as context
            if code == "ClientNetworkError" or isinstance(exc.__context__, requests.exceptions.RequestException):
                raise _network(exc) from None
            if code == "ServerNetworkError":   # an HTTP status other than 200
                raise GatewayError("sms_temporary", provider_code=code, why="HTTP error") from None
            raise _mapped(code, exc.get_message() or "", self.secrets) from None

    # --- the port --------------------------------------------------------------------------------
    def send(self, to: str, body: str, template: TemplateRef | None = None) -> SendResult:
        approved = self.tc.template(template.kind) if template is not None else None
        if approved is None:
            kind = template.kind if template is not None else "-"
            why = ("written by hand: Tencent sends only approved templates" if template is None
                   else f"no approved Tencent template for '{kind}'")
            raise GatewayError("sms_no_template", provider_code="no_template", kind=kind, why=why)
        resp = self._call("SendSms", PhoneNumberSet=[to], SmsSdkAppId=self.tc.sdk_app_id, SignName=self.tc.sign_name,
                          TemplateId=approved.template_id,
                          TemplateParamSet=tencent_config.param_set(approved, template.values),
                          SessionContext=body_key(body))
        statuses = resp.SendStatusSet or []
        if not statuses:
            raise GatewayError("sms_temporary", provider_code="empty", why="no send status in the answer",
                               ambiguous=True)
        st = statuses[0]
        if (st.Code or "") != "Ok":
            raise _mapped(st.Code or "", st.Message or "", self.secrets)
        return SendResult(st.SerialNo, "sent")

    def _drain_reports(self) -> None:
        for _ in range(PULL_PAGES):
            resp = self._call("PullSmsSendStatus", Limit=PULL_LIMIT, SmsSdkAppId=self.tc.sdk_app_id)
            rows = resp.PullSmsSendStatusSet or []
            for r in rows:
                ok = (r.ReportStatus or "").upper() == "SUCCESS"
                code = None if ok else (r.Description or "FAIL")[:64]
                self._reports[r.SerialNo] = RemoteStatus(r.SerialNo, "delivered" if ok else "undelivered", code,
                                                         None if ok else r.Description)
            if len(rows) < PULL_LIMIT:
                break
        while len(self._reports) > KEEP_REPORTS:   # the oldest first
            self._reports.pop(next(iter(self._reports)))
        self._pulled_at = time.monotonic()

    def status(self, provider_id: str) -> RemoteStatus:
        """The report pulled for this text, or "sent" while none has come."""
        with self._lock:
            if provider_id not in self._reports and time.monotonic() - self._pulled_at > PULL_EVERY_S:
                self._drain_reports()
            found = self._reports.pop(provider_id, None)
        return found or RemoteStatus(provider_id, "sent")

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """After a time-out: the SerialNo of a text to ``to`` whose report carries this body's
        SessionContext (Tencent echoes it in reports once enabled for the account), else None."""
        begin = int(since.timestamp()) - 60
        resp = self._call("PullSmsSendStatusByPhoneNumber", BeginTime=begin, EndTime=int(time.time()) + 60,
                          Offset=0, Limit=PULL_LIMIT, PhoneNumber=to, SmsSdkAppId=self.tc.sdk_app_id)
        want = body_key(body)
        for r in resp.PullSmsSendStatusSet or []:
            if (r.SessionContext or "") == want:
                return r.SerialNo
        return None

    def inbound(self, since: datetime | None) -> list[InboundText]:
        """The replies waiting in Tencent's queue (``since`` is not needed: each is handed out once)."""
        out: list[InboundText] = []
        for _ in range(PULL_PAGES):
            resp = self._call("PullSmsReplyStatus", Limit=PULL_LIMIT, SmsSdkAppId=self.tc.sdk_app_id)
            rows = resp.PullSmsReplyStatusSet or []
            for r in rows:
                phone = r.PhoneNumber or (f"+{r.CountryCode}{r.SubscriberNumber}" if r.SubscriberNumber else "")
                # a reply has no id of its own: the number, the second and the text make one
                ident = hashlib.sha256(f"{phone}|{r.ReplyTime}|{r.ReplyContent}".encode("utf-8")).hexdigest()[:40]
                out.append(InboundText(f"tc-{ident}", phone, f"【{r.SignName or self.tc.sign_name}】"[:40],
                                       r.ReplyContent or "", _local(r.ReplyTime)))
            if len(rows) < PULL_LIMIT:
                break
        return sorted(out, key=lambda x: (x.received_at or datetime.min, x.provider_id))
