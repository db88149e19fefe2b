"""The outbox sender: deliver due texts through a gateway, poll their statuses and the replies.

The rule of DESIGN.md ("Messages"): claim a due row with a conditional UPDATE queued -> sending and
commit, THEN call the gateway, then record ``sent`` with the provider's id (or the error) and commit.
No database transaction is open while the gateway is called, so this runs in a worker thread beside
sales, and two tills can never claim the same row. A crash between the send and the record leaves
the row ``sending``; ``recover_stale`` turns it ``unknown`` for the owner to decide: never a silent resend.

Before each claim the row is checked again: consent at send time (a member who opted out after the
text was queued gets it cancelled, with the reason), quiet hours (texts of every category, e-bills
too, are deferred to the end of the quiet hours, never dropped: an e-bill sent at 22:30 wakes a
customer as surely as an offer does, and it is just as useful at 09:00), and the daily cap of care
and marketing texts per member (the extra is deferred to the next day). Owner's test texts
(``send_test``) go at once.

Temporary errors (rate limit, 5xx, time-out, no connection) are retried with exponential backoff
(``due_at`` moves forward; failed after MAX_ATTEMPTS). After a time-out that may have reached the
gateway, the gateway is asked whether it took the text before it is sent again. Permanent refusals
fail at once and update the member: an unsubscribed or blacklisted number (Twilio 21610, Tencent
FailedOperation.PhoneNumberInBlacklist) opts the member out, an invalid or non-mobile one (21211,
21614, InvalidParameterValue.IncorrectPhoneNumber) flags the phone: the gateway says so in the
error's ``effect``. A wrong account or token (20003, AuthFailure.*) stops the run and leaves the rows
queued. A text the gateway cannot send at all (Tencent: no approved template for its kind) fails
at once with the reason, never retried.

Nothing here imports Qt; the app runs ``send_due`` and ``poll`` on its io pool.
"""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app import i18n
from app.errors import ValidationError
from app.i18n import N_
from app.models import InboundMessage, Member, Message, SatisfactionScore
from app.services.base import audit, permissions, phones
from app.services.texts import outbox, bodies, templates
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.ports import GatewayError, SmsGateway, TemplateRef
from app.services.base.redact import scrub

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(seconds=30)      # 30 s, 1 min, 2 min, 4 min, then failed
STALE_AFTER = timedelta(minutes=2)         # far beyond a send's time-out: a row 'sending' longer was cut off
POLL_WINDOW = timedelta(days=3)            # statuses of texts sent this recently are polled
POLL_LIMIT = 200
SCORE_WINDOW = timedelta(days=3)           # a 1-5 reply this soon after a satisfaction text is its score
SATISFACTION_KIND = "satisfaction"
CAPPED = ("care", "marketing")
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "退订", "退訂", "t", "td", "r"}
START_WORDS = {"start", "unstop", "yes"}
TEST_TEXT = N_("ShopCare test text from {shop}")
#: the member phone flags each refusal sets (Twilio codes; a gateway may say it in GatewayError.effect)
PHONE_FLAGS = {"21211": "invalid", "21614": "not_mobile"}
UNSUBSCRIBED = "21610"
EFFECTS = {UNSUBSCRIBED: "opted_out", **PHONE_FLAGS}

BALANCE_KIND = "balance_reply"
BALANCE_EVERY = timedelta(hours=1)         # a member's balance query is answered at most once an hour

Step = Callable[[str, int], None]
#: (transaction, member, shop settings) -> the ``balance_reply`` template's values (ledger/balance_reply.py)
Balances = Callable[[Ctx, Member, object], dict]


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    deferred: int
    retried: int
    unknown: int
    cancelled: int = 0


@dataclass(frozen=True)
class PollReport:
    checked: int          # sent texts whose status was asked
    delivered: int
    failed: int
    inbound: int          # new replies stored
    opted_out: int
    opted_in: int
    scores: int
    balances: int = 0     # balance queries answered (texts queued)


@dataclass(frozen=True)
class TestResult:
    message_id: int
    status: str
    provider_id: str | None
    answer: str


# --- quiet hours and the daily cap ---------------------------------------------------------------
def _hhmm(text: str) -> time:
    try:
        h, m = text.strip().split(":")
        if len(m) != 2:
            raise ValueError
        return time(int(h), int(m))
    except (ValueError, AttributeError):
        raise ValidationError("sms_quiet_hours_invalid", value=text) from None


def in_quiet_hours(when: datetime, start: str, end: str) -> bool:
    s, e, t = _hhmm(start), _hhmm(end), when.time()
    if s == e:
        return False
    return s <= t < e if s < e else (t >= s or t < e)


def quiet_end_after(when: datetime, start: str, end: str) -> datetime:
    """The end of the quiet hours ``when`` falls in (the same or the next day)."""
    s, e = _hhmm(start), _hhmm(end)
    day = when.date()
    if s > e and when.time() >= s:      # late evening: they end tomorrow morning
        day += timedelta(days=1)
    return datetime.combine(day, e)


def _next_allowed(when: datetime, cfg) -> datetime:
    if in_quiet_hours(when, cfg.quiet_start, cfg.quiet_end):
        return quiet_end_after(when, cfg.quiet_start, cfg.quiet_end)
    return when


def _capped_today(t: Ctx, msg: Message, today: date) -> int:
    start = datetime.combine(today, time())
    return t.s.execute(select(func.count()).select_from(Message).where(
        Message.member_id == msg.member_id, Message.category.in_(CAPPED), Message.id != msg.id,
        Message.status.in_(("sending", "sent", "delivered", "unknown")),
        Message.claimed_at >= start, Message.claimed_at < start + timedelta(days=1))).scalar()


def _refusal(m: Member | None, category: str) -> str | None:
    """Why the member may no longer get this text (consent re-checked at send time), or None."""
    if m is None or outbox.may_receive(m, category):
        return None
    if m.erased_at is not None or not m.phone:
        return "member erased"
    if m.phone_flag:
        return f"phone flagged {m.phone_flag}"
    if category == "transactional":
        return "e-bills turned off"
    if m.opted_out_at is not None:
        return "opted out"
    return "no consent"


# --- recovering after a crash --------------------------------------------------------------------
def recover_stale(ctx: Ctx, *, older_than: timedelta = STALE_AFTER) -> int:
    """Rows left 'sending' (claimed more than ``older_than`` ago) become 'unknown': the gateway may or
    may not have taken them, and only the owner can tell (outbox_admin.resolve_unknown / retry)."""
    with ctx.tx() as t:
        cut = t.now() - older_than
        # No claim time: claimed before 0003_texts recorded it, so long ago.
        claimed_long_ago = or_(Message.claimed_at.is_(None), Message.claimed_at <= cut)
        return t.s.execute(update(Message).where(Message.status == "sending", claimed_long_ago)
                           .values(status="unknown", last_error="interrupted while sending: it may or may not "
                                   "have gone; check before sending again")).rowcount


# --- sending -------------------------------------------------------------------------------------
def send_due(ctx: Ctx, gateway: SmsGateway, *, limit: int = 100, step: Step | None = None) -> SendReport:
    """Send up to ``limit`` due texts, one claim-send-record at a time. Raises GatewayError
    ``sms_auth_failed`` or ``sms_account_blocked`` (with ``params['report']``, the counts so far) when the gateway refuses the
    account: that text and the rest stay queued. ``step(name, message_id)`` is called after each
    step ("claimed", "sent", "recorded"): tests crash the sender there.

    No permission is asked: this delivers what permitted actions already queued (and re-checks consent),
    in the background at every till, whoever is logged in; choosing who gets what is guarded upstream."""
    counts = dict(sent=0, failed=0, deferred=0, retried=0, unknown=0, cancelled=0)
    cfg = shop_settings.load(ctx)
    with ctx.tx(write=False) as t:
        due = t.s.execute(select(Message.id).where(Message.status == "queued", Message.due_at <= t.now())
                          .order_by(Message.due_at, Message.id).limit(limit)).scalars().all()
    for msg_id in due:
        try:
            outcome = _send_one(ctx, gateway, msg_id, cfg, step=step)
        except GatewayError as exc:
            exc.params["report"] = SendReport(**counts)
            raise
        if outcome:
            counts[outcome] += 1
    return SendReport(**counts)


def _claim(ctx: Ctx, msg_id: int, cfg, *, checks: bool) -> tuple[str, Message | None]:
    """In one committed transaction: re-check the row, then claim it. ('claimed', row) or (outcome, None)."""
    with ctx.tx() as t:
        now = t.now()
        msg = t.s.get(Message, msg_id)
        if msg is None or msg.status != "queued" or msg.due_at > now:
            return "", None                       # another till took it, or it changed
        member = t.s.get(Member, msg.member_id) if msg.member_id else None
        if checks:
            why = _refusal(member, msg.category)
            if why:
                t.s.execute(update(Message).where(Message.id == msg_id, Message.status == "queued")
                            .values(status="cancelled", last_error=f"cancelled at send time: {why}"))
                return "cancelled", None
            later = _next_allowed(now, cfg)
            if later == now and msg.category in CAPPED and member is not None \
                    and _capped_today(t, msg, now.date()) >= cfg.daily_text_cap:
                later = _next_allowed(datetime.combine(now.date() + timedelta(days=1), time()), cfg)
            if later > now:
                t.s.execute(update(Message).where(Message.id == msg_id, Message.status == "queued")
                            .values(due_at=later))
                return "deferred", None
        done = t.s.execute(update(Message).where(Message.id == msg_id, Message.status == "queued",
                                                 Message.due_at <= now)
                           .values(status="sending", claimed_at=now, attempts=Message.attempts + 1)
                           .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            return "", None
        t.s.expunge(msg)            # as read before the claim: the attempt now made is attempts + 1
        return "claimed", msg


def _secrets(gateway: SmsGateway) -> tuple[str, ...]:
    """The gateway's credentials, to hide wherever an error text might quote them."""
    return tuple(getattr(gateway, "secrets", ()) or ())


def _send_one(ctx: Ctx, gateway: SmsGateway, msg_id: int, cfg, *, step: Step | None = None) -> str:
    what, msg = _claim(ctx, msg_id, cfg, checks=True)
    if what != "claimed":
        return what
    if step:
        step("claimed", msg_id)
    return _deliver(ctx, gateway, msg, msg.attempts + 1, step=step, retries=True)


def template_ref(msg: Message) -> TemplateRef | None:
    """What the text was made of (messages.template), or None: written by hand, or unreadable."""
    try:
        made = json.loads(msg.template) if getattr(msg, "template", None) else None
    except ValueError:
        return None
    if not isinstance(made, dict) or not isinstance(made.get("kind"), str) or not isinstance(made.get("values"), dict):
        return None
    return TemplateRef(made["kind"], {str(k): str(v) for k, v in made["values"].items()})


def _deliver(ctx: Ctx, gateway: SmsGateway, msg: Message, attempt: int, *, step: Step | None = None,
             retries: bool = True) -> str:
    """Call the gateway for a claimed row (committed 'sending'), then record what happened."""
    msg_id = msg.id
    provider_id, error = None, None
    ref = template_ref(msg)
    try:
        if msg.last_error and msg.last_error.startswith("ambiguous"):
            provider_id = gateway.find_sent(msg.phone, msg.body, msg.created_at)
        if provider_id is None:
            # only with a template: a gateway (or a test's fake) that knows nothing of templates still works
            provider_id = (gateway.send(msg.phone, msg.body, template=ref) if ref is not None
                           else gateway.send(msg.phone, msg.body)).provider_id
    except GatewayError as exc:
        error = exc
    if step:
        step("sent", msg_id)
    outcome = _record(ctx, msg, attempt, provider_id, error, retries=retries, secrets=_secrets(gateway))
    if step:
        step("recorded", msg_id)
    if error is not None and error.stops_sending:
        raise error
    return outcome


def _record(ctx: Ctx, msg: Message, attempt: int, provider_id: str | None, error: GatewayError | None,
            *, retries: bool, secrets: tuple[str, ...] = ()) -> str:
    """Record the gateway's answer. ``retries`` False (a test text): sent now or never, so no answer
    puts it back in the queue. Error texts are scrubbed of credentials (``redact.scrub``)."""
    live = Message.status.in_(("sending", "unknown"))   # 'unknown' if another till recovered it meanwhile
    with ctx.tx() as t:
        now = t.now()
        row = update(Message).where(Message.id == msg.id, live)
        if error is None:
            t.s.execute(row.values(status="sent", provider_id=provider_id, sent_at=now, last_error=None,
                                   error_code=None))
            return "sent"
        code = error.provider_code
        why = scrub(error.params.get("why") or error.code, secrets)
        if error.stops_sending and not retries:   # a test text: refused now, so never
            t.s.execute(row.values(status="failed", last_error="gateway refused the account", error_code=code))
            return "failed"
        if error.stops_sending:   # not this text's fault: back in the queue, attempt not counted
            t.s.execute(row.values(status="queued", attempts=attempt - 1, last_error="gateway refused the account",
                                   error_code=code))
            return ""
        # A time-out after the request left may have delivered it: remembered until the text is settled.
        ambiguous = error.ambiguous or (msg.last_error or "").startswith("ambiguous")
        tag = "ambiguous " if ambiguous else ""
        if error.temporary and retries and attempt < MAX_ATTEMPTS:
            t.s.execute(row.values(status="queued", due_at=now + BACKOFF_FIRST * 2 ** (attempt - 1),
                                   last_error=f"{tag}attempt {attempt}: {why}", error_code=code))
            return "retried"
        if error.temporary and ambiguous:   # given up, but it may have gone: the owner decides
            t.s.execute(row.values(status="unknown", last_error=f"{tag}attempt {attempt}: {why}", error_code=code))
            return "unknown"
        t.s.execute(row.values(status="failed", last_error=f"attempt {attempt}: {why}", error_code=code))
        effect = getattr(error, "effect", None) or EFFECTS.get(code or "")
        if msg.member_id is not None and effect is not None:
            _member_after_refusal(t, msg.member_id, code or "-", effect)
        return "failed"


def _member_after_refusal(t: Ctx, member_id: int, code: str, effect: str) -> None:
    m = t.s.get(Member, member_id)
    if m is None:
        return
    if effect == "opted_out" and m.opted_out_at is None:
        m.opted_out_at = t.now()
        audit.record(t, "member.opted_out", "member", m.id, after={"source": f"gateway {code}"})
    elif effect in ("invalid", "not_mobile") and m.phone_flag != effect:
        before = m.phone_flag
        m.phone_flag = effect
        audit.record(t, "member.phone_flag", "member", m.id, before={"phone_flag": before},
                     after={"phone_flag": m.phone_flag}, reason=f"gateway {code}")


def send_test(ctx: Ctx, gateway: SmsGateway, phone: str, text: str | None = None) -> TestResult:
    """Send one 'test' text to ``phone`` now (no quiet hours, no retry); the gateway's answer.

    Now or never: the row is written already claimed ('sending'), so no sender run can pick it up,
    and whatever the gateway answers it ends sent, failed or unknown, never back in the queue.
    Outbox administration (manager and up): it texts any number any text, at the shop's cost."""
    permissions.require(ctx, "manage_outbox")
    cfg = shop_settings.load(ctx)
    to = phones.normalize(phone, cfg.region)
    shop = cfg.signature or cfg.shop_name
    body = text if text is not None else i18n.text(cfg.language, TEST_TEXT, shop=shop)
    if not body.strip():
        raise ValidationError("sms_test_text_empty")
    # the shop's own test text is the "test" template (a gateway of approved templates sends that);
    # a text typed here is written by hand
    made_of = None if text is not None else json.dumps({"kind": "test", "values": {"shop": shop}}, ensure_ascii=False)
    with ctx.tx() as t:
        now = t.now()
        msg = Message(dedupe_key=f"test:{uuid.uuid4().hex}", member_id=None, phone=to, kind="test",
                      category="transactional", lang=cfg.language, body=body, segments=bodies.segments(body)[0],
                      template=made_of, status="sending", created_at=now, due_at=now, claimed_at=now, attempts=1)
        t.s.add(msg)
        t.s.flush()
        msg_id = msg.id
        t.s.expunge(msg)
    error = None
    try:
        _deliver(ctx, gateway, msg, 1, retries=False)
    except GatewayError as exc:
        error = exc
    with ctx.tx(write=False) as t:
        row = t.s.get(Message, msg_id)
        if error is None and row.status == "failed":
            answer = f"{gateway.kind}: refused ({row.error_code or '-'}): {row.last_error}"
        elif error is not None:
            answer = f"{gateway.kind}: {error}"
        else:
            answer = f"{gateway.kind}: accepted as {row.provider_id}"
        return TestResult(msg_id, row.status, row.provider_id, scrub(answer, _secrets(gateway)))


# --- polling ---------------------------------------------------------------------------------------
ScoreHook = Callable[[Ctx, SatisfactionScore], object]


def poll(ctx: Ctx, gateway: SmsGateway, *, on_score: ScoreHook | None = None,
         balances: Balances | None = None) -> PollReport:
    """Ask the gateway for the statuses of recently sent texts (no public callback URL at a till) and
    for the replies to the shop's number; store each reply once and act on it. ``on_score(t, score)``
    runs in the transaction that stores a satisfaction score (the care domain's
    ``satisfaction.after_score`` opens a complaint for a low one: this layer cannot import it).
    ``balances`` gives the values a balance query is answered with (``ledger.balance_reply.values``;
    without it a balance query is stored, not answered)."""
    checked = delivered = failed = 0
    with ctx.tx(write=False) as t:
        recent = t.s.execute(select(Message.id, Message.provider_id).where(
            Message.status == "sent", Message.provider_id.is_not(None), Message.provider_id.not_like("log-%"),
            Message.sent_at >= t.now() - POLL_WINDOW).order_by(Message.sent_at).limit(POLL_LIMIT)).all()
    for msg_id, pid in recent:
        try:
            st = gateway.status(pid)
        except GatewayError as exc:
            if exc.stops_sending:
                raise
            if exc.temporary:
                break            # try the rest next time
            continue             # e.g. 20404: the gateway no longer knows it
        checked += 1
        if st.status in ("delivered", "read"):
            new, code = "delivered", None
        elif st.status in ("failed", "undelivered"):
            new, code = "failed", st.error_code
        else:
            continue
        with ctx.tx() as t:
            why = scrub(f"{st.status}: {st.error_message or code or ''}", _secrets(gateway))
            n = t.s.execute(update(Message).where(Message.id == msg_id, Message.status == "sent").values(
                status=new, error_code=code, last_error=None if new == "delivered" else why)).rowcount
        delivered += n if new == "delivered" else 0
        failed += n if new == "failed" else 0
    counts = _poll_inbound(ctx, gateway, on_score, balances)
    return PollReport(checked, delivered, failed, *counts)


def _keyword(body: str) -> str:
    return " ".join(body.split()).casefold().strip(".!。！")


def _poll_inbound(ctx: Ctx, gateway: SmsGateway, on_score: ScoreHook | None = None,
                  balances: Balances | None = None) -> tuple[int, ...]:
    with ctx.tx(write=False) as t:
        since = t.s.execute(select(func.max(InboundMessage.received_at))).scalar()
    replies = gateway.inbound(since)
    cfg = shop_settings.load(ctx)
    keywords = {_keyword(w) for w in cfg.balance_keywords}
    stored = out = back = scores = answered = 0
    for r in replies:
        with ctx.tx() as t:
            if t.s.execute(select(InboundMessage.id).where(InboundMessage.provider_id == r.provider_id)).first():
                continue
            when = r.received_at or t.now()
            member = t.s.execute(select(Member).where(Member.phone == r.from_phone)).scalar_one_or_none()
            row = InboundMessage(provider_id=r.provider_id, from_phone=r.from_phone[:20], to_phone=r.to_phone[:40],
                                 body=r.body, received_at=when, member_id=member.id if member else None,
                                 action="none")
            t.s.add(row)
            t.s.flush()
            stored += 1
            word = _keyword(r.body)
            if member is None:
                if word in keywords:   # answered with nothing: the number is no member's
                    row.action = "balance"
                    log.info("balance query %s from a number that is no member's (%s): not answered", row.id,
                             phones.mask(r.from_phone))
                continue
            if word in STOP_WORDS:
                row.action = "stop"
                if member.opted_out_at is None:
                    member.opted_out_at = when
                    audit.record(t, "member.opted_out", "member", member.id, after={"source": "reply", "text": r.body})
                    out += 1
            elif word in START_WORDS:
                row.action = "start"
                if member.opted_out_at is not None:
                    member.opted_out_at = None
                    audit.record(t, "member.opted_in", "member", member.id, after={"source": "reply", "text": r.body})
                    back += 1
            elif len(word) == 1 and word in "12345":
                asked = t.s.execute(select(Message.id).where(
                    Message.member_id == member.id, Message.kind == SATISFACTION_KIND,
                    Message.status.in_(("sent", "delivered")), Message.sent_at <= when,
                    Message.sent_at >= when - SCORE_WINDOW,
                    ~select(SatisfactionScore.id).where(SatisfactionScore.message_id == Message.id).exists())
                    .order_by(Message.sent_at.desc()).limit(1)).scalar()
                if asked is not None:
                    row.action = "score"
                    score = SatisfactionScore(member_id=member.id, message_id=asked, inbound_id=row.id,
                                              score=int(word), created_at=when)
                    t.s.add(score)
                    t.s.flush()
                    if on_score is not None:
                        on_score(t, score)
                    scores += 1
            elif word in keywords:
                row.action = "balance"
                answered += _answer_balance(t, member, row.id, cfg, balances)
    return stored, out, back, scores, answered


def _answer_balance(t: Ctx, member: Member, inbound_id: int, cfg, balances: Balances | None) -> int:
    """Queue the answer to a balance query in the reply's own transaction: at most one an hour per
    member (a flood gets one answer), a transactional text (the member's e-bill choice applies)."""
    if balances is None:
        log.warning("balance query %s from member %s: this sender answers no balance queries", inbound_id, member.id)
        return 0
    now = t.now()
    recent = t.s.execute(select(Message.id).where(Message.member_id == member.id, Message.kind == BALANCE_KIND,
                                                  Message.created_at > now - BALANCE_EVERY).limit(1)).first()
    if recent is not None:
        log.info("balance query %s from member %s: already answered within the hour", inbound_id, member.id)
        return 0
    lang = cfg.language
    body = templates.compose(t, BALANCE_KIND, lang, balances(t, member, cfg), cfg=cfg)
    try:
        with t.s.begin_nested():   # another till answering the same member this hour fails the key: one answer
            msg = outbox.enqueue(t, member, kind=BALANCE_KIND, category="transactional", body=body, lang=lang,
                                 dedupe_key=f"{BALANCE_KIND}:{member.id}:{now:%Y%m%d%H}")
    except IntegrityError:
        msg = None
    if msg is None:
        log.info("balance query %s from member %s: not answered (e-bills off, no working phone, or answered "
                 "this hour)", inbound_id, member.id)
        return 0
    return 1
