"""This machine's text gateway settings: which gateway, the Twilio account, the sender, the API address.

Kept in ``app.paths.config_dir()/sms.json`` (mode 0600); the environment overrides the file for
headless jobs (``SHOPCARE_SMS_GATEWAY``, ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``,
``SHOPCARE_SMS_FROM``, ``SHOPCARE_SMS_API_BASE``). The auth token lives in the OS keyring when there
is one; on a machine without a keyring backend (a headless Linux) it goes into the same 0600 file.
It is never written to the database or a log, and never travels in a GatewayConfig.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from app import paths
from app.errors import ValidationError
from app.services.base import permissions
from app.services.base.context import Ctx
from app.services.base.keyring import KEYRING_SERVICE, keyring_backend
from app.services.base.localconfig import write_private_json

log = logging.getLogger(__name__)

FILE_NAME = "sms.json"
KINDS = ("log", "twilio")
KEYRING_USER = "twilio_auth_token"
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_TOKEN = re.compile(r"^[A-Za-z0-9]{8,128}$")
_ENV = {"kind": "SHOPCARE_SMS_GATEWAY", "account_sid": "TWILIO_ACCOUNT_SID", "sender": "SHOPCARE_SMS_FROM",
        "api_base": "SHOPCARE_SMS_API_BASE"}
TOKEN_ENV = "TWILIO_AUTH_TOKEN"


@dataclass(frozen=True)
class GatewayConfig:
    kind: str = "log"          # "log" | "twilio"
    account_sid: str = ""
    sender: str = ""           # E.164 number (+8613...) or a Messaging Service SID (MG...)
    api_base: str = ""         # "" = the provider's own; else e.g. "http://127.0.0.1:8765"
    has_token: bool = False    # the token itself never travels in this object

    @property
    def uses_service(self) -> bool:
        return self.sender.startswith("MG")


def path() -> Path:
    return paths.config_dir() / FILE_NAME


def validate(cfg: GatewayConfig) -> GatewayConfig:
    """The config with its fields trimmed; ValidationError for a bad one. The log gateway needs nothing."""
    cfg = replace(cfg, kind=(cfg.kind or "log").strip().lower(), account_sid=(cfg.account_sid or "").strip(),
                  sender=(cfg.sender or "").strip(), api_base=(cfg.api_base or "").strip().rstrip("/"))
    if cfg.kind not in KINDS:
        raise ValidationError("sms_gateway_invalid", value=cfg.kind)
    if cfg.api_base:
        parts = urlsplit(cfg.api_base)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ValidationError("sms_api_base_invalid", value=cfg.api_base)
    if cfg.kind == "twilio":
        if not _ACCOUNT_SID.match(cfg.account_sid):
            raise ValidationError("sms_account_sid_invalid", value=cfg.account_sid)
        if not (_E164.match(cfg.sender) or _SERVICE_SID.match(cfg.sender)):
            raise ValidationError("sms_sender_invalid", value=cfg.sender)
    return cfg


def _read_file() -> dict:
    file = path()
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError) as exc:
        log.warning("text gateway settings %s unreadable (%s): using defaults", file, exc)
        return {}


def _write_file(data: dict) -> None:
    write_private_json(path(), data)


# --- the auth token: OS keyring, else the 0600 file ---------------------------------------------
_keyring = keyring_backend  # the shop's keyring, shared with the audit key (base/keyring.py)


def load_auth_token() -> str:
    """The auth token: ``TWILIO_AUTH_TOKEN``, else the keyring, else the config file; "" when none."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env
    kr = _keyring()
    if kr is not None:
        try:
            token = kr.get_password(KEYRING_SERVICE, KEYRING_USER)
            if token:
                return token
        except Exception as exc:  # a locked or broken keyring: fall back to the file
            log.warning("keyring unavailable (%s)", type(exc).__name__)
    return str(_read_file().get("auth_token") or "")


def _store_token(token: str, data: dict) -> dict:
    """Put ``token`` in the keyring (and out of the file), or into the file when there is no keyring."""
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(KEYRING_SERVICE, KEYRING_USER, token)
            data.pop("auth_token", None)
            return data
        except Exception as exc:
            log.warning("keyring refused the token (%s): keeping it in %s", type(exc).__name__, path())
    data["auth_token"] = token
    return data


def token_in_keyring() -> bool:
    """Whether the stored token lives in the OS keyring (for the settings screen to say so)."""
    return _keyring() is not None and "auth_token" not in _read_file()


# --- load and save ---------------------------------------------------------------------------------
def load_gateway_config() -> GatewayConfig:
    """This machine's gateway settings; the environment overrides the file field by field. A damaged
    file or field never stops the app: the log gateway is the safe default."""
    data = _read_file()
    values = {k: str(data.get(k) or "") for k in ("kind", "account_sid", "sender", "api_base")}
    for key, var in _ENV.items():
        if os.environ.get(var, "").strip():
            values[key] = os.environ[var].strip()
    try:
        cfg = validate(GatewayConfig(**values))
    except ValidationError as exc:
        log.warning("text gateway settings ignored (%s): using the log gateway", exc)
        cfg = GatewayConfig()
    return replace(cfg, has_token=bool(load_auth_token()))


def save_gateway_config(ctx: Ctx, cfg: GatewayConfig, auth_token: str | None) -> GatewayConfig:
    """Validate and store this machine's gateway settings; ``auth_token`` None keeps the stored one.
    Returns what is now in effect (the environment still overrides it). A texting settings change:
    the file is this machine's, but who may change it is the shop's rule."""
    permissions.require(ctx, "change_texting")
    cfg = validate(cfg)
    token = None if auth_token is None else auth_token.strip()
    if token and not _TOKEN.match(token):
        raise ValidationError("sms_token_invalid")
    if cfg.kind == "twilio" and not (token or (token is None and load_auth_token())):
        raise ValidationError("sms_token_missing")
    data = _read_file()
    data.update({k: v for k, v in asdict(cfg).items() if k != "has_token"})
    if token:
        data = _store_token(token, data)
    _write_file(data)
    return load_gateway_config()
