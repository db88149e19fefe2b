"""Tencent Cloud SMS settings: the account's SecretId, the SMS application (SmsSdkAppId), the approved
signature, the region, and per text kind the approved template's id with the ShopCare placeholders
its parameters {1}, {2}… are filled from.

Mainland China texts are sent as an approved signature plus an approved body template with
parameters: Tencent puts 【signature】 in front and fills {1}, {2}… with ``TemplateParamSet`` in
order. So a kind (``ebill_sale``, ``birthday``…) can only go out once the shop has a template
approved for it and has typed its id here; a kind without one is refused at send time with that
reason (never retried) and the settings screen lists the kinds that lack one.

The SecretKey is a credential: it lives where the Twilio token does (keyring, else the 0600 file,
see gateway_config), never in this object. These are plain values, checked by ``validate``; nothing
here talks to Tencent.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from app.errors import ValidationError
from app.services.texts import bodies
from app.services.texts import templates as text_templates

#: the regions Tencent Cloud SMS's API answers in (API 3.0 ``Region``)
REGIONS = ("ap-guangzhou", "ap-beijing", "ap-nanjing")
SIGN_MIN, SIGN_MAX = 2, 12
MAX_PARAMS = 12
_SECRET_ID = re.compile(r"^AKID[A-Za-z0-9]{12,60}$")
_SECRET_KEY = re.compile(r"^[A-Za-z0-9]{16,64}$")
_APP_ID = re.compile(r"^[12][0-9]{9}$")              # 1400006666 (mainland), 2400006666 (global)
_TEMPLATE_ID = re.compile(r"^[0-9]{1,12}$")
_BRACKETS = set("【】[]()（）〔〕<>《》{}")


@dataclass(frozen=True)
class TencentTemplate:
    kind: str                        # a key of texts.templates.KINDS
    template_id: str = ""            # "" = no approved template yet: texts of this kind are refused
    params: tuple[str, ...] = ()     # the placeholders filling {1}, {2}…, in order


@dataclass(frozen=True)
class TencentConfig:
    secret_id: str = ""
    sdk_app_id: str = ""
    sign_name: str = ""              # as approved, without 【】: Tencent adds them
    region: str = REGIONS[0]
    templates: tuple[TencentTemplate, ...] = field(default_factory=tuple)

    def template(self, kind: str) -> TencentTemplate | None:
        """The approved template for ``kind`` (one with an id), or None."""
        for t in self.templates:
            if t.kind == kind and t.template_id:
                return t
        return None


def default_params(kind: str) -> tuple[str, ...]:
    """The placeholders the default Chinese text of ``kind`` uses, in order (without {shop}: the
    signature is Tencent's): what a template submitted for approval would most likely take."""
    text = bodies.default_templates()[kind].get("zh_CN") or bodies.default_templates()[kind]["en"]
    seen: list[str] = []
    for name in re.findall(r"\{([a-z_][a-z0-9_]*)\}", text):
        if name != "shop" and name not in seen:
            seen.append(name)
    return tuple(seen)


def kinds() -> tuple[str, ...]:
    """Every text kind a template id can be given for."""
    return tuple(text_templates.KINDS)


def placeholders(kind: str) -> tuple[str, ...]:
    return text_templates.KINDS[kind].placeholders


def missing(cfg: TencentConfig, wanted: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The kinds of ``wanted`` (default: all) without an approved template id."""
    return tuple(k for k in (wanted if wanted is not None else kinds()) if cfg.template(k) is None)


# --- validation ------------------------------------------------------------------------------------
def check_sign_name(name: str) -> str:
    """The signature as Tencent wants it for mainland China texts, or ValidationError
    ``sms_sign_invalid``: 2 to 12 characters, Chinese, letters or digits only (no spaces, no
    punctuation, no 【】: Tencent adds the brackets), not digits only."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if len(name) < SIGN_MIN or len(name) > SIGN_MAX:
        raise ValidationError("sms_sign_length", value=name, min=SIGN_MIN, max=SIGN_MAX, count=len(name))
    if any(ch in _BRACKETS for ch in name):
        raise ValidationError("sms_sign_brackets", value=name)
    for ch in name:
        han = "CJK UNIFIED IDEOGRAPH" in unicodedata.name(ch, "")
        if not (han or (ch.isascii() and ch.isalnum())):
            raise ValidationError("sms_sign_character", value=name, char=ch)
    if name.isdigit():
        raise ValidationError("sms_sign_digits", value=name)
    return name


def check_template(t: TencentTemplate) -> TencentTemplate:
    kind = (t.kind or "").strip()
    if kind not in text_templates.KINDS:
        raise ValidationError("template_kind_unknown", kind=kind, kinds=", ".join(text_templates.KINDS))
    tid = (t.template_id or "").strip()
    if tid and not _TEMPLATE_ID.match(tid):
        raise ValidationError("sms_template_id_invalid", kind=kind, value=tid)
    params = tuple(p.strip().strip("{}").strip() for p in t.params if p and p.strip())
    allowed = placeholders(kind)
    for p in params:
        if p not in allowed:
            raise ValidationError("sms_template_param_unknown", kind=kind, param=p,
                                  allowed=", ".join("{" + a + "}" for a in allowed))
    if len(params) > MAX_PARAMS:
        raise ValidationError("sms_template_params_too_many", kind=kind, max=MAX_PARAMS)
    return TencentTemplate(kind, tid, params)


def validate(cfg: TencentConfig) -> TencentConfig:
    """The settings trimmed and checked (ValidationError for the first bad one)."""
    cfg = replace(cfg, secret_id=(cfg.secret_id or "").strip(), sdk_app_id=(cfg.sdk_app_id or "").strip(),
                  region=(cfg.region or REGIONS[0]).strip())
    if not _SECRET_ID.match(cfg.secret_id):
        raise ValidationError("sms_secret_id_invalid", value=cfg.secret_id)
    if not _APP_ID.match(cfg.sdk_app_id):
        raise ValidationError("sms_app_id_invalid", value=cfg.sdk_app_id)
    if cfg.region not in REGIONS:
        raise ValidationError("sms_region_invalid", value=cfg.region, regions=", ".join(REGIONS))
    sign = check_sign_name(cfg.sign_name)
    seen: dict[str, TencentTemplate] = {}
    for t in cfg.templates:
        t = check_template(t)
        seen[t.kind] = t                 # the last one for a kind wins
    return replace(cfg, sign_name=sign, templates=tuple(seen.values()))


def valid_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.match(key or ""))


# --- the settings file's form ----------------------------------------------------------------------
def to_json(cfg: TencentConfig) -> dict:
    return {"secret_id": cfg.secret_id, "sdk_app_id": cfg.sdk_app_id, "sign_name": cfg.sign_name,
            "region": cfg.region,
            "templates": {t.kind: {"id": t.template_id, "params": list(t.params)} for t in cfg.templates}}


def from_json(data: object) -> TencentConfig:
    """Whatever the file holds, as a TencentConfig (not validated: ``validate`` is)."""
    if not isinstance(data, dict):
        return TencentConfig()
    table = data.get("templates") if isinstance(data.get("templates"), dict) else {}
    items = []
    for kind, spec in table.items():
        if not isinstance(spec, dict):
            continue
        params = spec.get("params") if isinstance(spec.get("params"), list) else []
        items.append(TencentTemplate(str(kind), str(spec.get("id") or ""), tuple(str(p) for p in params)))
    return TencentConfig(secret_id=str(data.get("secret_id") or ""), sdk_app_id=str(data.get("sdk_app_id") or ""),
                         sign_name=str(data.get("sign_name") or ""), region=str(data.get("region") or REGIONS[0]),
                         templates=tuple(items))


def param_set(t: TencentTemplate, values: dict) -> list[str]:
    """``TemplateParamSet``: the value of each of the template's placeholders, in order."""
    return [str(values.get(p) or "") for p in t.params]
