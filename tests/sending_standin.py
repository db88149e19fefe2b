"""Minimal stand-ins for the sending side's modules (app.services.gateway_config, app.adapters.sms,
app.services.sender and shop_admin.update_texting), to the names and shapes of the texts contract,
so the Messages screen can be tested before that side is merged. ``install`` only fills in what
is missing: once the real modules are there, the tests run against them.
"""
from __future__ import annotations

import itertools
import re
import sys
import types
from dataclasses import dataclass, field, make_dataclass, replace

from sqlalchemy import select, update

from app.errors import ValidationError
from app.models import Message
from app.services import permissions, phones, shop_admin
from app.services import settings as shop_settings


@dataclass(frozen=True)
class GatewayConfig:
    kind: str = "log"
    account_sid: str = ""
    sender: str = ""
    api_base: str = ""
    has_token: bool = False


def _gateway_config_module() -> types.ModuleType:
    mod = types.ModuleType("app.services.gateway_config")
    store = {"cfg": GatewayConfig(), "token": None}

    def load_gateway_config() -> GatewayConfig:
        return replace(store["cfg"], has_token=store["token"] is not None)

    def save_gateway_config(cfg: GatewayConfig, auth_token: str | None) -> GatewayConfig:
        if cfg.kind not in ("log", "twilio"):
            raise ValidationError("setting_invalid", key="gateway", why="log or twilio")
        if cfg.kind == "twilio" and not cfg.account_sid.startswith("AC"):
            raise ValidationError("setting_invalid", key="account_sid", why="AC followed by 32 characters")
        store["cfg"] = replace(cfg, has_token=False)
        if auth_token is not None:
            store["token"] = auth_token
        return load_gateway_config()

    mod.GatewayConfig = GatewayConfig
    mod.load_gateway_config = load_gateway_config
    mod.save_gateway_config = save_gateway_config
    mod.store = store
    return mod


class LogGateway:
    """Writes nothing anywhere; remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_with: Exception | None = None
        self._ids = itertools.count(1)

    def send(self, phone: str, body: str) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((phone, body))
        return f"LOG{next(self._ids):06d}"


def _sms_module() -> types.ModuleType:
    mod = types.ModuleType("app.adapters.sms")
    mod.LogGateway = LogGateway
    mod.gateways = []

    def make_gateway(cfg=None):
        gw = LogGateway()
        mod.gateways.append(gw)
        return gw

    mod.make_gateway = make_gateway
    return mod


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retried: int = 0
    unknown: int = 0


@dataclass(frozen=True)
class PollReport:
    updated: int = 0
    replies: int = 0


@dataclass(frozen=True)
class TestResult:
    message_id: int
    status: str
    provider_id: str | None
    answer: str


def _sender_module() -> types.ModuleType:
    mod = types.ModuleType("app.services.sender")
    mod.SendReport, mod.PollReport, mod.TestResult = SendReport, PollReport, TestResult
    mod.calls = []
    tests = itertools.count(1)

    def recover_stale(ctx) -> int:
        mod.calls.append("recover_stale")
        with ctx.tx() as t:
            return t.s.execute(update(Message).where(Message.status == "sending").values(status="unknown")).rowcount

    def send_due(ctx, gateway, *, limit: int = 100) -> SendReport:
        mod.calls.append("send_due")
        with ctx.tx() as t:  # claim and commit before the gateway is called
            ids = list(t.s.execute(select(Message.id).where(Message.status == "queued", Message.due_at <= ctx.now())
                                   .order_by(Message.id).limit(limit)).scalars())
            t.s.execute(update(Message).where(Message.id.in_(ids)).values(status="sending"))
        sent = 0
        for mid in ids:
            with ctx.tx(write=False) as t:
                m = t.s.get(Message, mid)
                phone, body = m.phone, m.body
            pid = gateway.send(phone, body)
            with ctx.tx() as t:
                t.s.execute(update(Message).where(Message.id == mid).values(
                    status="sent", provider_id=pid, sent_at=ctx.now(), attempts=Message.attempts + 1))
            sent += 1
        return SendReport(sent=sent)

    def poll(ctx, gateway) -> PollReport:
        mod.calls.append("poll")
        return PollReport()

    def send_test(ctx, gateway, phone: str, text: str | None = None) -> TestResult:
        permissions.require(ctx, "manage_outbox")
        number = phones.normalize(phone, shop_settings.load(ctx).region)
        from app.services import templates

        body = text or templates.compose(ctx, "test", shop_settings.load(ctx).language, {})
        with ctx.tx() as t:
            msg = Message(dedupe_key=f"test:{ctx.now().isoformat()}:{next(tests)}", member_id=None, phone=number,
                          kind="test", category="transactional", lang="en", body=body, segments=1,
                          status="sending", created_at=ctx.now(), due_at=ctx.now(), attempts=1)
            t.s.add(msg)
            t.s.flush()
            mid = msg.id
        pid = gateway.send(number, body)
        with ctx.tx() as t:
            t.s.execute(update(Message).where(Message.id == mid).values(status="sent", provider_id=pid,
                                                                       sent_at=ctx.now()))
        return TestResult(message_id=mid, status="sent", provider_id=pid, answer=f"logged {len(body)} characters")

    mod.recover_stale, mod.send_due, mod.poll, mod.send_test = recover_stale, send_due, poll, send_test
    return mod


_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
TextingSettings = make_dataclass(
    "TextingSettings", [("quiet_start", str, field(default="21:00")), ("quiet_end", str, field(default="09:00")),
                        ("daily_text_cap", int, field(default=3)), ("optout_line_zh", str, field(default="回T退订")),
                        ("optout_line_en", str, field(default="Reply STOP to opt out"))],
    bases=(shop_settings.ShopSettings,), frozen=True)


def update_texting(ctx, quiet_start, quiet_end, daily_text_cap, optout_line_zh, optout_line_en):
    permissions.require(ctx, "change_settings")
    for key, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if not _HHMM.fullmatch(value or ""):
            raise ValidationError("setting_invalid", key=key, why="HH:MM")
    base = shop_settings.load(ctx)
    values = {f: getattr(base, f) for f in base.__dataclass_fields__ if f in shop_settings.ShopSettings.__dataclass_fields__}
    return TextingSettings(**values, quiet_start=quiet_start, quiet_end=quiet_end, daily_text_cap=daily_text_cap,
                           optout_line_zh=optout_line_zh, optout_line_en=optout_line_en)


def install(monkeypatch) -> list[str]:
    """Put in the stand-ins for whatever of the sending side is missing; names what was put in."""
    import importlib

    made = []
    for name, build in (("app.services.gateway_config", _gateway_config_module), ("app.adapters.sms", _sms_module),
                        ("app.services.sender", _sender_module)):
        try:
            importlib.import_module(name)
        except ImportError:
            monkeypatch.setitem(sys.modules, name, build())
            made.append(name)
    if not hasattr(shop_admin, "update_texting"):
        monkeypatch.setattr(shop_admin, "update_texting", update_texting, raising=False)
        made.append("shop_admin.update_texting")
    return made
