"""This machine's text gateway settings: which gateway, the Twilio account, the sender, the API address,
and Tencent Cloud SMS's account, application, signature, region and templates (tencent_config).

Kept in ``app.paths.config_dir()/sms.json`` (mode 0600); the environment overrides the file for
headless jobs (``SHOPCARE_SMS_GATEWAY``, ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``,
``SHOPCARE_SMS_FROM``, ``SHOPCARE_SMS_API_BASE``; ``TENCENTCLOUD_SECRET_ID``,
``TENCENTCLOUD_SECRET_KEY``, the names Tencent's own tools read). The auth token and the Tencent
SecretKey live in the OS keyring when there is one; on a machine without a keyring backend (a
headless Linux) they go into the same 0600 file. They are never written to the database or a log,
and never travel in a GatewayConfig.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from app import paths
from app.errors import ValidationError
from app.services.base import permissions
from app.services.base.context import Ctx
from app.services.base.keyring import KEYRING_SERVICE, keyring_backend
from app.services.base.localconfig import write_private_json
from app.services.texts import tencent_config
from app.services.texts.tencent_config import TencentConfig

log = logging.getLogger(__name__)

FILE_NAME = "sms.json"
KINDS = ("log", "twilio", "tencent")
KEYRING_USER = "twilio_auth_token"
TENCENT_KEYRING_USER = "tencent_secret_key"
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_TOKEN = re.compile(r"^[A-Za-z0-9]{8,128}$")
_ENV = {"kind": "SHOPCARE_SMS_GATEWAY", "account_sid": "TWILIO_ACCOUNT_SID", "sender": "SHOPCARE_SMS_FROM",
        "api_base": "SHOPCARE_SMS_API_BASE"}
TOKEN_ENV = "TWILIO_AUTH_TOKEN"
TENCENT_ID_ENV, TENCENT_KEY_ENV = "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"


@dataclass(frozen=True)
class GatewayConfig:
    kind: str = "log"          # "log" | "twilio" | "tencent"
    account_sid: str = ""
    sender: str = ""           # E.164 number (+8613...) or a Messaging Service SID (MG...)
    api_base: str = ""         # "" = the provider's own; else e.g. "http://127.0.0.1:8765"
    has_token: bool = False    # the token itself never travels in this object
    tencent: TencentConfig = field(default_factory=TencentConfig)
    has_secret_key: bool = False   # Tencent's SecretKey: neither does it

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
    if cfg.kind == "tencent":
        cfg = replace(cfg, tencent=tencent_config.validate(cfg.tencent))
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


def load_tencent_key() -> str:
    """Tencent's SecretKey: ``TENCENTCLOUD_SECRET_KEY``, else the keyring, else the file; "" when none."""
    env = os.environ.get(TENCENT_KEY_ENV, "").strip()
    if env:
        return env
    kr = _keyring()
    if kr is not None:
        try:
            key = kr.get_password(KEYRING_SERVICE, TENCENT_KEYRING_USER)
            if key:
                return key
        except Exception as exc:
            log.warning("keyring unavailable (%s)", type(exc).__name__)
    return str(_read_file().get("tencent_secret_key") or "")


def _store_secret(user: str, file_key: str, secret: str, data: dict) -> dict:
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(KEYRING_SERVICE, user, secret)
            data.pop(file_key, None)
            return data
        except Exception as exc:
            log.warning("keyring refused the secret (%s): keeping it in %s", type(exc).__name__, path())
    data[file_key] = secret
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
    tencent = tencent_config.from_json(data.get("tencent"))
    if os.environ.get(TENCENT_ID_ENV, "").strip():
        tencent = replace(tencent, secret_id=os.environ[TENCENT_ID_ENV].strip())
    try:
        cfg = validate(GatewayConfig(**values, tencent=tencent))
    except ValidationError as exc:
        log.warning("text gateway settings ignored (%s): using the log gateway", exc)
        cfg = GatewayConfig(tencent=tencent)
    return replace(cfg, has_token=bool(load_auth_token()), has_secret_key=bool(load_tencent_key()))


def save_gateway_config(ctx: Ctx, cfg: GatewayConfig, auth_token: str | None,
                        secret_key: str | None = None) -> GatewayConfig:
    """Validate and store this machine's gateway settings; ``auth_token`` (Twilio) and ``secret_key``
    (Tencent) None keep the stored one. Returns what is now in effect (the environment still
    overrides it). A texting settings change: the file is this machine's, but who may change it is
    the shop's rule."""
    permissions.require(ctx, "change_texting")
    cfg = validate(cfg)
    token = None if auth_token is None else auth_token.strip()
    if token and not _TOKEN.match(token):
        raise ValidationError("sms_token_invalid")
    if cfg.kind == "twilio" and not (token or (token is None and load_auth_token())):
        raise ValidationError("sms_token_missing")
    key = None if secret_key is None else secret_key.strip()
    if key and not tencent_config.valid_secret_key(key):
        raise ValidationError("sms_secret_key_invalid")
    if cfg.kind == "tencent" and not (key or (key is None and load_tencent_key())):
        raise ValidationError("sms_secret_key_missing")
    data = _read_file()
    data.update({"kind": cfg.kind, "account_sid": cfg.account_sid, "sender": cfg.sender, "api_base": cfg.api_base,
                 "tencent": tencent_config.to_json(cfg.tencent)})
    if token:
        data = _store_token(token, data)
    if key:
        data = _store_secret(TENCENT_KEYRING_USER, "tencent_secret_key", key, data)
    _write_file(data)
    return load_gateway_config()
