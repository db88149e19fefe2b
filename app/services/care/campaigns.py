"""Campaigns: a marketing text to the members a filter picks, each with an optional e-voucher.

``preview`` counts who would get it (marketing consent, not opted out, a working phone) and what it
costs in SMS segments (each recipient's own text, composed and counted). ``send`` picks the
recipients once and writes the campaign row with their ids (``start``, one short transaction), then
queues every voucher (``vouchers.issue_many``) and every outbox row (kind 'campaign', category
'marketing', key ``campaign:<id>:<member>``; the voucher's own key is the same) in chunks
(``resume``): each chunk one whole transaction of about 50 ms, so a till selling meanwhile waits one
chunk at most. A campaign interrupted half-way stays 'sending' (``unfinished``) and ``resume``
finishes it with nothing doubled; a retry with the same ``client_ref`` returns the campaign already
sent, or finishes it.

A campaign's vouchers carry ``campaign:<id>`` in ``vouchers.campaign``; the till redeems them like
any voucher (checkout refuses one used or expired). A standard campaign's voucher is the
recipient's own. "Bring a friend" (kind 'referral') gives each recipient a voucher for a friend
(anyone may use it); when a member who joined on or after the campaign and names the recipient as
their referrer pays with it, the recipient gets ``referral_points`` points (``ledger.referrals.credit_referral``,
called by checkout in the sale's transaction, through ``ledger.post_points``). The referrer cannot
spend their own bring-a-friend voucher.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Callable

from babel.dates import format_date
from sqlalchemy import func, insert, select, update

from app.errors import NotFound, ValidationError
from app.i18n import L_
from app.models import Campaign, CampaignRecipient, Member, MemberTag, Message, Sale, Tier, Voucher
from app.money import check_amount, format_money, format_plain
from app.services.base import audit, permissions
from app.services.care import config as care_config
from app.services.ledger import vouchers
from app.services.texts import outbox, templates, bodies
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.text_rules import check_text

from app.services.analytics.segments import SEGMENTS  # numpy-free: the till imports campaigns

KINDS = ("standard", "referral")
SAMPLE_CODE = "X" * 8            # a code of the real length: the preview's segment count is exact
MAX_REFERRAL_POINTS = 100_000
VOUCHER_PLACEHOLDERS = ("voucher", "voucher_code", "voucher_expiry", "min_spend")


@dataclass(frozen=True)
class Filters:
    """Every given filter must hold (tags: any of them). Amounts in minor units; dates inclusive."""
    tiers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    last_visit_after: date | None = None
    last_visit_before: date | None = None
    spend_min: int | None = None
    spend_max: int | None = None
    birthday_month: int | None = None
    segment: str | None = None     # an RFM segment, when app.services.analytics is there


@dataclass(frozen=True)
class VoucherTerms:
    value: int                      # minor units, or basis points for 'percent'
    expires_on: date
    kind: str = "amount"
    min_spend: int = 0


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    filters: Filters = field(default_factory=Filters)
    body: str = ""                  # the shop's text; '' = the template of the campaign kind
    voucher: VoucherTerms | None = None
    kind: str = "standard"          # or 'referral' (bring a friend)
    referral_points: int = 0


@dataclass(frozen=True)
class Preview:
    matched: int                    # members the filters pick
    reachable: int                  # of them, who may get a marketing text: the recipients
    segments: int                   # SMS segments of all their texts together
    sample: str                     # the first recipient's text
    cost: int = 0                   # segments x the shop's price per SMS part (minor units; 0: no price set)


@dataclass(frozen=True)
class Results:
    recipients: int
    queued: int
    sent: int                       # sent or delivered
    failed: int
    cancelled: int
    vouchers_issued: int
    vouchers_redeemed: int
    revenue: int                    # total of the sales that used the campaign's vouchers
    referrals_credited: int
    held: int = 0                   # texts waiting for approval (more at once than the shop's limit)


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    kind: str
    created_at: datetime
    filters: Filters
    voucher: VoucherTerms | None
    referral_points: int
    segments: int
    results: Results
    replayed: bool = False
    status: str = "sent"            # 'sending' while its chunks are being written
    total: int = 0                  # members picked when it started
    done: int = 0                   # of them, covered by the chunks committed so far


# --- checking ------------------------------------------------------------------------------------
def _check(t: Ctx, spec: CampaignSpec) -> None:
    name = check_text(spec.name, "campaign_name", required=True).strip()
    if not name or len(name) > 80:
        raise ValidationError("campaign_name_invalid", max=80)
    if spec.kind not in KINDS:
        raise ValidationError("campaign_kind_invalid", kind=spec.kind)
    f = spec.filters
    known = set(t.s.execute(select(Tier.code)).scalars())
    for code in f.tiers:
        if code not in known:
            raise ValidationError("campaign_tier_unknown", tier=code, tiers=", ".join(sorted(known)))
    if f.birthday_month is not None and not 1 <= f.birthday_month <= 12:
        raise ValidationError("campaign_month_invalid", value=f.birthday_month)
    for v, label in ((f.spend_min, "minimum spend"), (f.spend_max, "maximum spend")):
        if v is not None:
            check_amount(v, field=label, allow_zero=True)
    if f.spend_min is not None and f.spend_max is not None and f.spend_min > f.spend_max:
        raise ValidationError("campaign_range_invalid", what=L_("spend"))
    if f.last_visit_after and f.last_visit_before and f.last_visit_after > f.last_visit_before:
        raise ValidationError("campaign_range_invalid", what=L_("last visit"))
    if f.segment is not None and f.segment not in SEGMENTS:
        raise ValidationError("campaign_segment_unknown", segment=f.segment, segments=", ".join(SEGMENTS))
    v = spec.voucher
    if v is not None:
        if v.kind not in ("amount", "percent"):
            raise ValidationError("campaign_voucher_invalid", kind=v.kind)
        if v.kind == "percent":
            if isinstance(v.value, bool) or not isinstance(v.value, int) or not 0 < v.value < 10_000:
                raise ValidationError("campaign_percent_invalid", value=v.value / 100 if isinstance(v.value, int) else v.value)
        else:
            check_amount(v.value, field="voucher")
        check_amount(v.min_spend, field="minimum spend", allow_zero=True)
        if v.expires_on is None or v.expires_on < t.today():
            raise ValidationError("campaign_expiry_past", date=str(v.expires_on))
    if spec.kind == "referral":
        if v is None:
            raise ValidationError("campaign_referral_needs_voucher")
        p = spec.referral_points
        if isinstance(p, bool) or not isinstance(p, int) or not 0 < p <= MAX_REFERRAL_POINTS:
            raise ValidationError("campaign_referral_points_invalid", value=p, max=MAX_REFERRAL_POINTS)
    if spec.body.strip():
        templates.validate(_template_kind(spec), spec.body.strip())
    elif v is None:   # the shop's template speaks of a voucher: without one it would read "use voucher  by ."
        text = templates.template_for(t, _template_kind(spec), shop_settings.load(t).language)
        if any("{" + p + "}" in text for p in VOUCHER_PLACEHOLDERS):
            raise ValidationError("campaign_text_needed")


def _template_kind(spec: CampaignSpec) -> str:
    return "campaign_referral" if spec.kind == "referral" else "campaign"


# --- selecting -----------------------------------------------------------------------------------
def _rfm_members(t: Ctx, segment: str) -> set[int]:
    """Members in ``segment`` as the analytics see them today (app/services/analytics)."""
    from app.services.analytics.members import segment_members  # numpy and scipy: only for this filter

    return segment_members(t, segment)


def _query(t: Ctx, f: Filters):
    q = select(Member).where(Member.erased_at.is_(None))
    if f.tiers:
        q = q.join(Tier, Tier.id == Member.tier_id).where(Tier.code.in_(f.tiers))
    if f.tags:
        q = q.where(Member.id.in_(select(MemberTag.member_id).where(MemberTag.tag.in_(f.tags))))
    if f.last_visit_after is not None:
        q = q.where(Member.last_visit_at >= datetime.combine(f.last_visit_after, datetime.min.time()))
    if f.last_visit_before is not None:
        q = q.where(Member.last_visit_at < datetime.combine(f.last_visit_before, datetime.max.time()))
    if f.spend_min is not None:
        q = q.where(Member.total_spent >= f.spend_min)
    if f.spend_max is not None:
        q = q.where(Member.total_spent <= f.spend_max)
    if f.birthday_month is not None:
        q = q.where(Member.birthday_month == f.birthday_month)
    return q.order_by(Member.id)


def _select(t: Ctx, f: Filters) -> list:
    """The members the filters pick, as plain rows of the columns a text and its consent need."""
    rows = list(t.s.execute(_query(t, f).with_only_columns(*_MEMBER_COLUMNS)))
    if f.segment is not None:
        keep = _rfm_members(t, f.segment)
        rows = [m for m in rows if m.id in keep]
    return rows


# --- texts ---------------------------------------------------------------------------------------
def _voucher_values(spec: CampaignSpec, cfg) -> dict:
    """The placeholders every recipient's text shares (the voucher's terms, the reward)."""
    lang = cfg.language
    out = {}
    v = spec.voucher
    if v is not None:
        out["voucher"] = (f"{v.value / 100:g}%" if v.kind == "percent"
                          else format_money(v.value, cfg.currency, lang))
        out["voucher_expiry"] = format_date(v.expires_on, "medium", locale=cfg.format_locale)
        out["min_spend"] = format_plain(v.min_spend, cfg.currency, lang)
    if spec.kind == "referral":
        out["reward"] = str(spec.referral_points)
    return out


def _member_values(m, spec: CampaignSpec, code: str | None, cfg, fixed: dict) -> dict:
    out = {"name": m.name, "points": str(m.points_balance),
           "balance": format_plain(m.wallet_principal + m.wallet_bonus, cfg.currency, cfg.language), **fixed}
    if spec.voucher is not None:
        out["voucher_code"] = code
    return out


def _values(m: Member, spec: CampaignSpec, code: str | None, cfg) -> dict:
    return _member_values(m, spec, code, cfg, _voucher_values(spec, cfg))


def _compose(t: Ctx, spec: CampaignSpec, m: Member, code: str | None, cfg) -> str:
    kind = _template_kind(spec)
    text = spec.body.strip() or templates.template_for(t, kind, cfg.language)
    return templates.render(cfg, kind, cfg.language, text, _values(m, spec, code, cfg))


def preview(ctx: Ctx, spec: CampaignSpec) -> Preview:
    """Who would get it and what it would cost; refuses what ``send`` would refuse (but an empty
    selection, which the dialog shows as a count of 0)."""
    with ctx.tx(write=False) as t:
        _check(t, spec)
        cfg = shop_settings.load(t)
        picked = _select(t, spec.filters)
        reach = [m for m in picked if outbox.may_receive(m, "marketing")]
        total, sample = 0, ""
        kind = _template_kind(spec)
        text = spec.body.strip() or templates.template_for(t, kind, cfg.language)
        fixed, code = _voucher_values(spec, cfg), SAMPLE_CODE if spec.voucher else None
        for m in reach:
            body = templates.render(cfg, kind, cfg.language, text, _member_values(m, spec, code, cfg, fixed))
            total += bodies.segments(body)[0]
            sample = sample or body
        return Preview(matched=len(picked), reachable=len(reach), segments=total, sample=sample,
                       cost=cfg.sms_cost(total))


# --- sending -------------------------------------------------------------------------------------
def _filters_json(f: Filters) -> str:
    return json.dumps(asdict(f), default=str, ensure_ascii=False)


def _filters_from(raw: str) -> Filters:
    d = json.loads(raw or "{}")
    for k in ("last_visit_after", "last_visit_before"):
        if d.get(k):
            d[k] = date.fromisoformat(d[k])
    for k in ("tiers", "tags"):
        d[k] = tuple(d.get(k) or ())
    return Filters(**d)


# Chunks: each is one transaction that the till waits behind at most once. The first takes
# CHUNK_START recipients; each next one is sized from the last one's time to take about CHUNK_TARGET_S
# (bounded), and the sender pauses between them as long as the last chunk took (at least
# CHUNK_PAUSE_S), so a till waiting for the write lock (SQLite's busy handler polls every 1-50 ms in
# its first 200 ms) gets it before the next chunk, however slow the machine is.
CHUNK_START = 50
CHUNK_MIN, CHUNK_MAX = 10, 2000
CHUNK_TARGET_S = 0.05
CHUNK_PAUSE_S = 0.05


@dataclass(frozen=True)
class Progress:
    """Where a sending campaign is: ``done`` of its ``total`` picked recipients covered so far."""
    campaign_id: int
    done: int
    total: int


def _reachable_ids(t: Ctx, f: Filters) -> tuple[int, list[int]]:
    """(members the filters pick, ids of those who may get a marketing text), read as plain columns."""
    q = _query(t, f).with_only_columns(Member.id, Member.phone, Member.erased_at, Member.phone_flag,
                                       Member.ebill_enabled, Member.opted_out_at, Member.consent_care,
                                       Member.consent_marketing)
    rows = t.s.execute(q).all()
    if f.segment is not None:
        keep = _rfm_members(t, f.segment)
        rows = [m for m in rows if m.id in keep]
    return len(rows), [m.id for m in rows if outbox.may_receive(m, "marketing")]


def send(ctx: Ctx, spec: CampaignSpec, *, client_ref: str | None = None,
         progress: Callable[[Progress], None] | None = None) -> CampaignView:
    """Start the campaign (``start``) and queue its vouchers and texts in chunks (``resume``);
    ``client_ref`` makes a retry return the campaign already sent, or finish the one that was
    interrupted. ``progress`` is called after each chunk."""
    campaign_id, replayed = start(ctx, spec, client_ref=client_ref)
    return resume(ctx, campaign_id, progress=progress, replayed=replayed)


def start(ctx: Ctx, spec: CampaignSpec, *, client_ref: str | None = None) -> tuple[int, bool]:
    """Check the campaign, pick its recipients once and write the campaign row (status 'sending', the
    picked ids kept on it) in one short transaction; (campaign id, whether ``client_ref`` had started
    it already). Nothing is queued yet: ``resume`` does that, in chunks."""
    permissions.require(ctx, "send_campaign")
    if spec.voucher is not None:
        permissions.require(ctx, "issue_voucher")
    with ctx.tx(write=False) as t:  # picking only reads: no write lock while the members are read
        if client_ref:
            done = t.s.execute(select(Campaign.id).where(Campaign.client_ref == client_ref)).scalar()
            if done is not None:
                return done, True
        _check(t, spec)
        matched, ids = _reachable_ids(t, spec.filters)
        limit = care_config.load(t).hold_above
    if not ids:
        raise ValidationError("campaign_selects_nobody", matched=matched)
    # No surprise sends: more texts at once than the shop's limit wait for approval (Care › Today)
    hold = bool(limit) and len(ids) > limit
    v = spec.voucher
    audit.key()   # read (keyring or file) before the write lock is taken, not inside it
    with ctx.tx() as t:
        if client_ref:  # started meanwhile by another window or till
            done = t.s.execute(select(Campaign.id).where(Campaign.client_ref == client_ref)).scalar()
            if done is not None:
                return done, True
        c = Campaign(name=spec.name.strip(), kind=spec.kind, filters=_filters_json(spec.filters),
                     body=spec.body.strip(), voucher_kind=v.kind if v else None, voucher_value=v.value if v else None,
                     voucher_min_spend=v.min_spend if v else 0, voucher_expires_on=v.expires_on if v else None,
                     referral_points=spec.referral_points if spec.kind == "referral" else 0,
                     client_ref=client_ref, staff_id=t.actor.id, created_at=t.now(),
                     status="sending", total=len(ids), done=0, held=hold, picked=",".join(map(str, ids)),
                     recipients=0, segments=0)
        t.s.add(c)
        t.s.flush()
        audit.record(t, "campaign.start", "campaign", c.id,
                     after={"name": c.name, "kind": c.kind, "recipients": len(ids), "held": hold,
                            "filters": json.loads(c.filters), "voucher": asdict(v) if v else None})
        return c.id, False


def unfinished(ctx: Ctx) -> list[int]:
    """Campaigns left 'sending' (the app or the command stopped half-way), oldest first: ``resume`` each."""
    with ctx.tx(write=False) as t:
        return list(t.s.execute(select(Campaign.id).where(Campaign.status == "sending").order_by(Campaign.id))
                     .scalars())


def resume(ctx: Ctx, campaign_id: int, *, progress: Callable[[Progress], None] | None = None,
           replayed: bool = False) -> CampaignView:
    """Queue the vouchers and texts of a 'sending' campaign from where its last committed chunk
    ended, chunk by chunk, each chunk one whole transaction (its vouchers, texts, recipient rows and
    the campaign's progress); returns the campaign once sent. Run twice, or on two tills at once,
    it does the same as once: a chunk first claims its range with a conditional update of ``done``."""
    permissions.require(ctx, "send_campaign")
    with ctx.tx(write=False) as t:
        c = t.s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("campaign_not_found", id=campaign_id)
        if c.voucher_kind:
            permissions.require(ctx, "issue_voucher")
        ids = [int(i) for i in c.picked.split(",")] if c.picked else []
        done, total, status = c.done, c.total, c.status
        spec, held = _spec_of(c), c.held
        # What every chunk shares, made once and before any write lock is taken: the shop's settings,
        # the template (its first read loads the translations) and the voucher's terms as text.
        cfg = shop_settings.load(t)
        kind = _template_kind(spec)
        text = spec.body.strip() or templates.template_for(t, kind, cfg.language)
        shared = _Shared(spec, held, cfg, kind, text, _voucher_values(spec, cfg))
    if spec.voucher is not None:
        audit.key()   # the audit key (keyring or file) is read outside the first chunk's transaction
    size = CHUNK_START
    joined = ctx.session is not None   # one caller's transaction (the demo): no pauses, no timing
    while status == "sending":
        chunk = ids[done:done + size]
        began = time.perf_counter()
        with ctx.tx() as t:
            done, status = _write_chunk(t, campaign_id, shared, chunk, done, total)
        took = time.perf_counter() - began
        size = max(CHUNK_MIN, min(CHUNK_MAX, size * 2, int(size * CHUNK_TARGET_S / max(took, 1e-4))))
        if progress is not None:
            progress(Progress(campaign_id, done, total))
        if status == "sending" and not joined and CHUNK_PAUSE_S:
            time.sleep(max(CHUNK_PAUSE_S, took))
    with ctx.tx(write=False) as t:
        return _view(t, t.s.get(Campaign, campaign_id), replayed=replayed)


def _spec_of(c: Campaign) -> CampaignSpec:
    terms = (VoucherTerms(value=c.voucher_value, expires_on=c.voucher_expires_on, kind=c.voucher_kind,
                          min_spend=c.voucher_min_spend) if c.voucher_kind else None)
    return CampaignSpec(c.name, _filters_from(c.filters), body=c.body or "", voucher=terms, kind=c.kind,
                        referral_points=c.referral_points)


_RECIPIENTS = insert(CampaignRecipient.__table__)
_MEMBER_COLUMNS = (Member.id, Member.name, Member.phone, Member.points_balance, Member.wallet_principal,
                   Member.wallet_bonus, Member.erased_at, Member.phone_flag, Member.ebill_enabled,
                   Member.opted_out_at, Member.consent_care, Member.consent_marketing)


@dataclass(frozen=True)
class _Shared:
    spec: CampaignSpec
    held: bool
    cfg: object
    kind: str
    text: str
    fixed: dict


def _write_chunk(t: Ctx, campaign_id: int, shared: _Shared, chunk: list[int], start: int,
                 total: int) -> tuple[int, str]:
    """One chunk, whole: claim ``chunk`` (the picked ids from ``start``), then its vouchers, texts and
    recipient rows. Returns (done, status) as they stand after it. A member who opted out or lost
    their phone since the campaign started is skipped."""
    end = start + len(chunk)
    status = "sent" if end >= total else "sending"
    table = Campaign.__table__
    claimed = t.s.execute(update(table).where(table.c.id == campaign_id, table.c.done == start,
                                              table.c.status == "sending")
                          .values(done=end, status=status))
    if claimed.rowcount != 1:   # another till or window covered this range meanwhile: where is it now?
        done, now_status = t.s.execute(select(table.c.done, table.c.status).where(table.c.id == campaign_id)).one()
        return done, now_status
    spec, cfg = shared.spec, shared.cfg
    rows = {m.id: m for m in t.s.execute(select(*_MEMBER_COLUMNS).where(Member.id.in_(chunk)))}
    reach = [rows[i] for i in chunk if i in rows and outbox.may_receive(rows[i], "marketing")]
    tag, v = f"campaign:{campaign_id}", spec.voucher
    codes: list[tuple[int | None, str | None]] = [(None, None)] * len(reach)
    if v is not None and reach:
        codes = vouchers.issue_many(t, value=v.value, kind=v.kind, min_spend=v.min_spend, expires_on=v.expires_on,
                                    campaign=tag,
                                    members=[m.id if spec.kind == "standard" else None for m in reach],
                                    dedupe_keys=[f"{tag}:{m.id}" for m in reach])
    items = [(m, templates.render(cfg, shared.kind, cfg.language, shared.text,
                                  _member_values(m, spec, code, cfg, shared.fixed)),
              f"{tag}:{m.id}") for m, (_vid, code) in zip(reach, codes)]
    sent = outbox.enqueue_many(t, items, kind="campaign", category="marketing", lang=cfg.language,
                               held=shared.held)
    if reach:
        t.s.connection().execute(_RECIPIENTS, [
            dict(campaign_id=campaign_id, member_id=m.id, message_id=msg_id, voucher_id=vid)
            for m, (msg_id, _segs), (vid, _code) in zip(reach, sent, codes)])
    segments = sum(segs for _id, segs in sent)
    t.s.execute(update(table).where(table.c.id == campaign_id)
                .values(recipients=table.c.recipients + len(reach), segments=table.c.segments + segments))
    if status == "sent":
        c = t.s.get(Campaign, campaign_id)
        t.s.refresh(c)
        audit.record(t, "campaign.send", "campaign", c.id,
                     after={"name": c.name, "kind": c.kind, "recipients": c.recipients, "segments": c.segments,
                            "filters": json.loads(c.filters), "voucher": asdict(v) if v else None})
    return end, status


# --- results -------------------------------------------------------------------------------------
def _results(t: Ctx, c: Campaign) -> Results:
    by_status = dict(t.s.execute(
        select(Message.status, func.count()).join(CampaignRecipient, CampaignRecipient.message_id == Message.id)
        .where(CampaignRecipient.campaign_id == c.id).group_by(Message.status)).all())
    tag = f"campaign:{c.id}"
    issued, used = t.s.execute(select(func.count(), func.count(Voucher.used_sale_id))
                               .where(Voucher.campaign == tag)).one()
    revenue = t.s.execute(select(func.coalesce(func.sum(Sale.total), 0))
                          .where(Sale.id.in_(select(Voucher.used_sale_id).where(Voucher.campaign == tag)))).scalar()
    credited = t.s.execute(select(func.count()).select_from(CampaignRecipient)
                           .where(CampaignRecipient.campaign_id == c.id,
                                  CampaignRecipient.credited_at.is_not(None))).scalar()
    return Results(recipients=c.recipients, queued=by_status.get("queued", 0) + by_status.get("sending", 0),
                   sent=by_status.get("sent", 0) + by_status.get("delivered", 0), failed=by_status.get("failed", 0),
                   cancelled=by_status.get("cancelled", 0), vouchers_issued=issued, vouchers_redeemed=used,
                   revenue=int(revenue), referrals_credited=credited, held=by_status.get("held", 0))


def _view(t: Ctx, c: Campaign, *, replayed: bool = False) -> CampaignView:
    terms = (VoucherTerms(value=c.voucher_value, expires_on=c.voucher_expires_on, kind=c.voucher_kind,
                          min_spend=c.voucher_min_spend) if c.voucher_kind else None)
    return CampaignView(id=c.id, name=c.name, kind=c.kind, created_at=c.created_at, filters=_filters_from(c.filters),
                        voucher=terms, referral_points=c.referral_points, segments=c.segments,
                        results=_results(t, c), replayed=replayed, status=c.status, total=c.total, done=c.done)


def get(ctx: Ctx, campaign_id: int) -> CampaignView:
    with ctx.tx(write=False) as t:
        c = t.s.get(Campaign, campaign_id)
        if c is None:
            raise NotFound("campaign_not_found", id=campaign_id)
        return _view(t, c)


def list_campaigns(ctx: Ctx, limit: int = 200) -> list[CampaignView]:
    """Newest first, each with its results."""
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Campaign).order_by(Campaign.id.desc()).limit(limit)).scalars().all()
        return [_view(t, c) for c in rows]


