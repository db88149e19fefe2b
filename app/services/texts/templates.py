"""The shop's own text templates, per kind and language, over the defaults in
resources/templates/default.json.

A template is plain text with ``{name}`` placeholders. ``validate`` refuses anything else in braces
(``{nme}``, ``{name``, ``{}``, ``{0}``, ``{name.__class__}``, ``{name!r}``), so what is stored can
only ever be filled by ``texts.fill``: nothing is evaluated, no template can run code or crash a
sender. Care and marketing texts always carry the shop signature and the opt-out line: ``compose``
adds whichever the shop's text leaves out.

Stored in the ``settings`` table under ``template.<kind>.<lang>`` and kept per process for a few
seconds like the settings (every sale reads its e-bill template); a save here clears it at once.
"""
from __future__ import annotations

import difflib
import json
import re
import time
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from sqlalchemy import delete, select

from app import i18n, money
from app.errors import ValidationError, method_name
from app.i18n import N_, NC_
from app.models import Setting
from app.services.base import settings as shop_settings
from app.services.texts import bodies
from app.services.base.context import Ctx
from app.services.base.settings import CACHE_SECONDS, ShopSettings

LANGS = tuple(i18n.LANGUAGES)
MAX_CHARS = 480            # 8 Chinese segments: longer is a letter, not a text
SIGNED = ("care", "marketing")
# The opt-out line a shop that never set one sends (translated per language by the shopcare PO).
OPTOUT_DEFAULT = N_("Reply STOP to opt out")


@dataclass(frozen=True)
class TemplateKind:
    category: str                   # transactional | care | marketing
    placeholders: tuple[str, ...]   # what the text may use


_MEMBER = ("shop", "name", "points", "balance")
_VOUCHER = ("voucher_code", "voucher_expiry")
_CARE_VOUCHER = ("voucher", "voucher_code", "voucher_expiry", "min_spend")   # what the care engine fills
KINDS: dict[str, TemplateKind] = {
    "ebill_sale": TemplateKind("transactional", _MEMBER + ("amount", "paid", "receipt", "cards")),
    "ebill_refund": TemplateKind("transactional", _MEMBER + ("amount", "paid", "receipt", "cards")),
    # a visit paid by count cards alone: {cards} = "10 haircuts: 1 used, 9 left" (checkout.describe_cards)
    "ebill_countcard": TemplateKind("transactional", _MEMBER + ("cards", "receipt")),
    "ebill_topup": TemplateKind("transactional", _MEMBER + ("amount", "bonus")),
    # the care engine's (app/services/care/engine.py text_values fills these)
    "birthday": TemplateKind("care", _MEMBER + _VOUCHER + ("days",)),
    "birthday_ahead": TemplateKind("care", _MEMBER + ("days",)),
    "anniversary": TemplateKind("care", _MEMBER + _VOUCHER + ("years", "occasion")),
    "member_anniversary": TemplateKind("care", _MEMBER + ("years",)),
    "holiday": TemplateKind("care", _MEMBER + _VOUCHER + ("holiday",)),
    "tier_care": TemplateKind("care", _MEMBER + _VOUCHER + ("tier",)),
    "tier_care_voucher": TemplateKind("care", _MEMBER + _CARE_VOUCHER + ("tier",)),
    "winback": TemplateKind("care", _MEMBER + _VOUCHER + ("days", "days_since_visit")),
    "winback_voucher": TemplateKind("care", _MEMBER + _CARE_VOUCHER + ("days", "days_since_visit")),
    "repurchase": TemplateKind("care", _MEMBER + ("days", "product")),
    # points about to expire (care rule points_reminder): {expiring} of them on {expiry_date}, {days} ahead
    "points_reminder": TemplateKind("care", _MEMBER + ("expiring", "expiry_date", "days")),
    # a service follow-up N days after a purchase (care/followup.py); a plan may carry its own words
    "followup": TemplateKind("care", _MEMBER + ("days", "product", "category")),
    "campaign": TemplateKind("marketing", _MEMBER + _CARE_VOUCHER),
    # care: bring a friend (campaigns.py): {reward} is the points the member gets for a friend's visit
    "campaign_referral": TemplateKind("marketing", _MEMBER + _CARE_VOUCHER + ("reward",)),
    "satisfaction": TemplateKind("care", ("shop", "name")),    # "reply 1-5" after a visit (sender.SATISFACTION_KIND)
    "test": TemplateKind("transactional", ("shop",)),
    # the answer to a member's balance query (sender.py; values from ledger/balance_reply.py)
    "balance_reply": TemplateKind("transactional", ("shop", "name", "balance", "points", "points_note", "cards")),
}


def _lang(lang: str) -> str:
    return i18n.normalise(lang)


def _kind(kind: str) -> TemplateKind:
    if kind not in KINDS:
        raise ValidationError("template_kind_unknown", kind=kind, kinds=", ".join(KINDS))
    return KINDS[kind]


# --- validation --------------------------------------------------------------------------------
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def validate(kind: str, text: str) -> None:
    """ValidationError unless ``text`` is non-empty, not too long, and every brace belongs to a
    ``{placeholder}`` this kind knows."""
    allowed = _kind(kind).placeholders
    shown = " ".join("{" + p + "}" for p in allowed)
    if not (text or "").strip():
        raise ValidationError("template_empty")
    if len(text) > MAX_CHARS:
        raise ValidationError("template_too_long", max=MAX_CHARS, count=len(text))
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "}":
            raise ValidationError("template_placeholder_malformed", fragment=text[max(0, i - 8):i + 1], allowed=shown)
        if ch == "{":
            close, reopen = text.find("}", i + 1), text.find("{", i + 1)
            if close < 0 or 0 <= reopen < close:
                end = reopen if reopen >= 0 else min(len(text), i + 12)
                raise ValidationError("template_placeholder_malformed", fragment=text[i:end], allowed=shown)
            name = text[i + 1:close]
            if not _NAME.fullmatch(name):
                raise ValidationError("template_placeholder_malformed", fragment=text[i:close + 1], allowed=shown)
            if name not in allowed:
                near = difflib.get_close_matches(name, allowed, n=1)
                if near:
                    raise ValidationError("template_placeholder_unknown_near", fragment="{" + name + "}",
                                          near="{" + near[0] + "}")
                raise ValidationError("template_placeholder_unknown", fragment="{" + name + "}", allowed=shown)
            i = close + 1
            continue
        i += 1


def _valid(kind: str, text: str) -> bool:
    try:
        validate(kind, text)
    except ValidationError:
        return False
    return True


# --- reading -----------------------------------------------------------------------------------
def default_text(kind: str, lang: str) -> str:
    _kind(kind)
    table = bodies.default_templates()[kind]
    return table.get(_lang(lang)) or table["en"]


def _key(kind: str, lang: str) -> str:
    return f"template.{kind}.{_lang(lang)}"


def _stored(ctx: Ctx) -> dict[str, str]:
    """The shop's own texts (only valid ones: a row edited by hand cannot break a sale)."""
    cached = ctx.db.cache.get("templates")
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Setting.key, Setting.value).where(Setting.key.like("template.%"))).all()
    table = {}
    for key, raw in rows:
        parts = key.split(".")
        try:
            text = json.loads(raw)
        except ValueError:
            continue
        if len(parts) == 3 and parts[1] in KINDS and isinstance(text, str) and _valid(parts[1], text):
            table[key] = text
    ctx.db.cache["templates"] = (time.monotonic(), table)
    return table


def template_for(ctx: Ctx, kind: str, lang: str) -> str:
    """The shop's text for ``kind`` in ``lang``, or the default."""
    _kind(kind)
    return _stored(ctx).get(_key(kind, lang)) or default_text(kind, lang)


def is_custom(ctx: Ctx, kind: str, lang: str) -> bool:
    _kind(kind)
    return _key(kind, lang) in _stored(ctx)


# --- changing ----------------------------------------------------------------------------------
def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValidationError("template_lang_unknown", lang=lang)


def save_template(ctx: Ctx, kind: str, lang: str, text: str) -> None:
    """Store the shop's text (owner only; audited). The default itself is stored as no row at all."""
    from app.services.base import audit, permissions

    permissions.require(ctx, "change_settings")
    _check_lang(lang)
    text = (text or "").strip()
    validate(kind, text)
    key = _key(kind, lang)
    with ctx.tx() as t:
        row = t.s.get(Setting, key)
        before = json.loads(row.value) if row is not None else None
        if text == default_text(kind, lang):
            if row is not None:
                t.s.delete(row)
        elif row is None:
            t.s.add(Setting(key=key, value=json.dumps(text, ensure_ascii=False)))
        else:
            row.value = json.dumps(text, ensure_ascii=False)
        audit.record(t, "template.save", "template", f"{kind}.{lang}", before={"text": before}, after={"text": text})
    ctx.db.cache.pop("templates", None)


def reset_template(ctx: Ctx, kind: str, lang: str) -> None:
    """Back to the default text (owner only; audited)."""
    from app.services.base import audit, permissions

    permissions.require(ctx, "change_settings")
    _kind(kind)
    _check_lang(lang)
    key = _key(kind, lang)
    with ctx.tx() as t:
        row = t.s.get(Setting, key)
        before = json.loads(row.value) if row is not None else None
        t.s.execute(delete(Setting).where(Setting.key == key))
        audit.record(t, "template.reset", "template", f"{kind}.{lang}", before={"text": before}, after=None)
    ctx.db.cache.pop("templates", None)


# --- filling -----------------------------------------------------------------------------------
def signature(cfg: ShopSettings) -> str:
    return cfg.signature or cfg.shop_name


def optout_line(cfg: ShopSettings, lang: str) -> str:
    """The shop's opt-out line for ``lang`` (a default one reads in ``lang`` itself: 回T退訂 in zh_TW)."""
    en = getattr(cfg, "optout_line_en", OPTOUT_DEFAULT)
    zh = getattr(cfg, "optout_line_zh", "") or i18n.gettext("zh_CN", OPTOUT_DEFAULT)
    if en == OPTOUT_DEFAULT and not i18n.is_han(lang):
        return i18n.gettext(lang, OPTOUT_DEFAULT)
    if zh == i18n.gettext("zh_CN", OPTOUT_DEFAULT) and i18n.is_han(lang):
        return i18n.gettext(lang, OPTOUT_DEFAULT)
    return zh if i18n.is_han(lang) else en


def _signed(body: str, cfg: ShopSettings, lang: str) -> str:
    sig, stop, zh = signature(cfg), optout_line(cfg, lang), i18n.is_han(lang)
    if zh and f"【{sig}】" not in body:
        body = f"【{sig}】{body}"
    elif not zh and not body.startswith(sig):
        body = f"{sig}: {body}"
    if stop and stop not in body:
        body = f"{body}{'' if zh else ' '}{stop}"
    return body


def sign(cfg: ShopSettings, lang: str, body: str) -> str:
    """A text written by hand (a service reply from the care screen) signed and with the opt-out line."""
    return _signed(body, cfg, lang)


def render(cfg: ShopSettings, kind: str, lang: str, text: str, values: dict) -> str:
    """``text`` filled with ``values`` (a placeholder without a value becomes empty), signed and with
    the opt-out line for care and marketing kinds. Pure: no database."""
    spec = _kind(kind)
    full = {p: "" for p in spec.placeholders}
    full["shop"] = signature(cfg)
    full.update({k: v for k, v in (values or {}).items() if v is not None})
    body = bodies.fill(text, full)
    body = _signed(body, cfg, lang) if spec.category in SIGNED else body
    # what it was made of, for gateways that send approved templates with parameters (Tencent)
    return bodies.Composed(body, kind, {p: full[p] for p in spec.placeholders})


def compose(ctx: Ctx, kind: str, lang: str, values: dict, *, cfg: ShopSettings | None = None) -> str:
    """The text to send: the shop's template for ``kind`` in ``lang`` filled with ``values``."""
    cfg = cfg or shop_settings.load(ctx)
    return render(cfg, kind, lang, template_for(ctx, kind, lang), values)


# --- preview -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    text: str
    chars: int
    segments: int
    encoding: str   # "GSM-7" | "UCS-2"


_SAMPLE_HOLIDAY = NC_("holiday", "Mid-Autumn Festival")
_SAMPLE_TIER = NC_("tier", "Gold")
_SAMPLE_OCCASION = NC_("occasion:wedding", "wedding anniversary")


def sample_values(cfg: ShopSettings, lang: str) -> dict[str, str]:
    """Believable values for the editor's preview."""
    lang = _lang(lang)
    cur = cfg.currency

    def amount(minor: int) -> str:
        return money.format_plain(minor, cur, lang)

    return {
        "shop": signature(cfg), "name": i18n.T_(lang, "Fang Wang"),
        "amount": amount(5800),
        "paid": i18n.T_(lang, "{method} {amount}", method=method_name("wallet", lang), amount=amount(5800)),
        "balance": amount(44200), "points": money.format_int(1280, lang), "bonus": amount(5000),
        "receipt": "T1-000123", "voucher_code": "BDAY-7K3Q",
        "voucher_expiry": format_date(date(2026, 3, 31), "medium", locale=i18n.babel_locale(lang)),
        "years": "3", "holiday": i18n.gettext(lang, _SAMPLE_HOLIDAY, context="holiday"),
        "tier": i18n.gettext(lang, _SAMPLE_TIER, context="tier"),
        "days_since_visit": "45", "days": "45",
        "occasion": i18n.gettext(lang, _SAMPLE_OCCASION, context="occasion:wedding"),
        "product": i18n.T_(lang, "Ripe Pu'er cake"), "voucher": amount(2000), "min_spend": amount(10000),
        "cards": i18n.T_(lang, "{card}: {used} used, {left} left", card=i18n.T_(lang, "10 haircuts"), used="1",
                         left="9"),
        "reward": "200", "category": i18n.T_(lang, "Hair colour"), "expiring": money.format_int(350, lang),
        "expiry_date": format_date(date(2026, 12, 31), "medium", locale=i18n.babel_locale(lang)),
        "points_note": i18n.T_(lang, " ({points} of them expire by {date})", points="350",
                               date=format_date(date(2026, 12, 31), "medium", locale=i18n.babel_locale(lang))),
    }


def preview_text(cfg: ShopSettings, kind: str, lang: str, text: str, values: dict | None = None) -> Preview:
    """The preview of an unsaved ``text`` with sample values (pure: the editor calls it per keystroke)."""
    body = render(cfg, kind, lang, text, {**sample_values(cfg, lang), **(values or {})})
    count, encoding = bodies.segments(body)
    return Preview(text=body, chars=len(body), segments=count, encoding=encoding)


def preview(ctx: Ctx, kind: str, lang: str, text: str | None = None, values: dict | None = None) -> Preview:
    """The preview of ``text`` (default: the shop's template) with sample values over ``values``."""
    cfg = shop_settings.load(ctx)
    return preview_text(cfg, kind, lang, template_for(ctx, kind, lang) if text is None else text, values)
