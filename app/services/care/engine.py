"""``care.run``: plan every care action due on a day (and on the days since the last run), then
queue texts and create tasks, each under its dedupe key, so running twice, or on two tills at
once, does what running once does.

Planning only reads. Writing goes in chunks, each one transaction (IMMEDIATE on SQLite, so two
tills take turns); inside it every action checks its key in ``messages`` and ``callback_tasks``
and is written in a savepoint, so a key another till wrote a moment earlier (PostgreSQL) rolls back
that one action, voucher included, and counts as a duplicate.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Callable

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import ValidationError
from app import i18n
from app.i18n import NC_
from app.models import CallbackTask, ImportBatch, Member, Message
from app.money import format_int, format_money, format_plain
from app.services.texts import bodies, outbox, templates
from app.services.base import settings
from app.services.ledger import expiry, vouchers
from app.services.ledger.expiry import ExpiryRun
from app.services.care import config as care_config
from app.services.care import followup, plan, rhythm, satisfaction
from app.services.care.config import RULES, CareConfig
from app.services.care.plan import Action
from app.services.base.context import SYSTEM, Ctx
from app.services.base.days import check_day

# Actions per transaction: the first chunk takes CHUNK; each next one is sized from the last one's time
# to take about CHUNK_TARGET_S (bounded), with a pause as long as the last chunk took (at least
# CHUNK_PAUSE_S) between them, so a till selling meanwhile waits one short chunk at most and gets
# the write lock before the next.
CHUNK = 50
CHUNK_MIN, CHUNK_MAX = 10, 2000
CHUNK_TARGET_S = 0.05
CHUNK_PAUSE_S = 0.05

OUTCOMES = ("queued", "task", "no_consent", "duplicate", "missed")


@dataclass(frozen=True)
class RuleCount:
    rule: str
    due: int = 0                  # actions due in the window (= the sum of the five below)
    queued: int = 0               # texts queued (dry run: that would be)
    tasks: int = 0                # call-back / gift tasks created
    skipped_no_consent: int = 0   # the member may not get it (no care consent, opted out, no phone)
    duplicate: int = 0            # already done (by an earlier run or another till)
    missed: int = 0               # too stale after closed days: not sent, counted here
    late: int = 0                 # of queued + tasks: done after their day (caught up)


@dataclass(frozen=True)
class CareOutcome:
    rule: str
    member_id: int
    member_name: str
    due_on: date
    dedupe_key: str
    outcome: str                  # one of OUTCOMES
    late: bool = False
    body: str | None = None       # the text queued (or that would be)
    task_reason: str | None = None
    message_id: int | None = None
    task_id: int | None = None
    voucher_code: str | None = None


@dataclass(frozen=True)
class CareReport:
    on: date
    dry_run: bool
    window_start: date            # first day whose due actions this run looked at
    last_run_before: date | None
    rules: tuple[RuleCount, ...]
    outcomes: tuple[CareOutcome, ...] = field(repr=False, default=())
    expiry: ExpiryRun | None = None    # the points and count cards expired first (ledger/expiry.py)
    # Why this run's texts wait for the owner's approval (status 'held'; config.HOLD_REASONS), or None
    hold: str | None = None

    @property
    def texts(self) -> int:
        """Texts this run queued (or held; dry run: would)."""
        return sum(1 for o in self.outcomes if o.outcome == "queued")

    def count(self, rule: str) -> RuleCount:
        return next(r for r in self.rules if r.rule == rule)

    @property
    def parts(self) -> int:
        """SMS parts of the texts queued (dry run: that would be); times the shop's price per part
        (ShopSettings.sms_cost) what they cost."""
        return sum(bodies.segments(o.body)[0] for o in self.outcomes if o.outcome == "queued" and o.body)

    @property
    def total(self) -> RuleCount:
        sums = {k: sum(getattr(r, k) for r in self.rules)
                for k in ("due", "queued", "tasks", "skipped_no_consent", "duplicate", "missed", "late")}
        return RuleCount("total", **sums)


def run(ctx: Ctx, on: date | None = None, *, dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None) -> CareReport:
    """Every care action due on ``on`` (default today), catching up the days since the last run:
    a blessing is still sent within its cut-off after its day, an older one is counted as missed.
    ``dry_run``: plan and check everything, write nothing. ``progress(done, total)`` after each chunk
    of actions. A run stopped half-way is simply run again: the written actions count as duplicates."""
    today = ctx.today()
    on = on or today
    if on > today:
        raise ValidationError("care_date_future", date=on.isoformat(), today=today.isoformat())
    check_day(on)
    shop = settings.load(ctx)
    # The shop's expiry policy first (its own catch-up and dedupe): the reminders then count what is left.
    expired = expiry.run(ctx, on, dry_run=dry_run)
    with ctx.tx(write=False) as t:
        cfg = care_config.load(t)
        before = care_config.last_run(t)
        start = window_start(cfg, before, on)
        # Win-back and repurchase read the whole sales history: once a day (the first run of the
        # day), since later sales that day only make fewer members due. A dry run follows the same
        # rule, so it predicts exactly what a real run then does (a later run that day skips them).
        actions = plan_actions(t, cfg, start, on, rhythm_rules=before is None or before < on)
        hold = hold_reason(t, cfg, lambda most: count_texts(t, actions, on, most=most))
    outcomes: list[CareOutcome] = []
    i, size, joined = 0, CHUNK, ctx.session is not None
    while i < len(actions):
        began = time.perf_counter()
        with ctx.tx(write=not dry_run) as t:
            outcomes += _apply(t, actions[i:i + size], on, shop, dry_run, hold=hold is not None)
        i += size
        took = time.perf_counter() - began
        size = max(CHUNK_MIN, min(CHUNK_MAX, size * 2, int(size * CHUNK_TARGET_S / max(took, 1e-4))))
        if progress is not None:
            progress(min(i, len(actions)), len(actions))
        if i < len(actions) and not joined and not dry_run and CHUNK_PAUSE_S:
            time.sleep(max(CHUNK_PAUSE_S, took))
    if not dry_run:
        with ctx.tx() as t:
            care_config.set_last_run(t, on)
        satisfaction.open_missing_complaints(ctx)   # low scores stored without the poll's hook
    return CareReport(on, dry_run, start, before, _count(outcomes), tuple(outcomes), expired,
                      hold=hold if any(o.outcome == "queued" for o in outcomes) else None)


def hold_reason(t: Ctx, cfg: CareConfig, count) -> str | None:
    """Why this run's texts must wait for the owner's approval, or None: the shop's setting, the
    shop's first care texts ever, the first since a members or sales import, or more than
    ``hold_above`` texts at once (no surprise sends). ``count(most)``: the texts the run would queue,
    counted up to ``most``."""
    if cfg.hold_for_approval:
        return "setting"
    texts = count(max(cfg.hold_above, 0) + 1)
    if texts == 0:
        return None
    last_text = t.s.execute(select(func.max(Message.created_at)).where(Message.category == "care")).scalar()
    if cfg.hold_first_run and last_text is None:
        return "first_run"
    if cfg.hold_after_import and imported_since(t, last_text):
        return "after_import"
    if cfg.hold_above and texts > cfg.hold_above:
        return "over_limit"
    return None


def imported_since(t: Ctx, since) -> bool:
    """Whether members or sales were imported (a batch finished, not undone) after ``since``."""
    if since is None:
        return False
    return bool(t.s.execute(select(func.count()).select_from(ImportBatch).where(
        ImportBatch.kind.in_(("members", "sales")), ImportBatch.status == "done",
        ImportBatch.finished_at > since)).scalar())


def count_texts(t: Ctx, actions: list[Action], on: date, *, most: int | None = None) -> int:
    """How many texts writing ``actions`` would queue (what ``_apply`` decides, without writing),
    counted up to ``most`` (a run for every member stops counting early)."""
    texts = [a for a in actions if a.channel == "text"]
    n, done = 0, set()
    for i in range(0, len(texts), 500):
        part = texts[i:i + 500]
        done |= _existing_keys(t, [a.dedupe_key for a in part])
        members = _members(t, {a.member_id for a in part})
        for a in part:
            if _verdict(a, members.get(a.member_id), done, on) is None:
                done.add(a.dedupe_key)
                n += 1
        if most is not None and n >= most:
            return n
    return n


def window_start(cfg: CareConfig, last_run: date | None, on: date) -> date:
    """The first day to look at: the day after the last run (at most ``catch_up_max_days`` back),
    never later than ``on`` itself (a second run on one day looks at that day again)."""
    if last_run is None:
        return on
    return max(min(last_run + timedelta(days=1), on), on - timedelta(days=cfg.catch_up_max_days))


def plan_actions(t: Ctx, cfg: CareConfig, first: date, on: date, *, rhythm_rules: bool = True,
                 calendar=None) -> list[Action]:
    """Everything due in [first, on], in the order it is written (``calendar``: a care calendar not
    saved yet, for Settings › Care's preview)."""
    actions: list[Action] = []
    if "birthday" in cfg.enabled:
        actions += plan.birthdays(t, cfg, first, on)
    if "anniversary" in cfg.enabled:
        actions += plan.anniversaries(t, cfg, first, on)
    if "member_anniversary" in cfg.enabled:
        actions += plan.member_anniversaries(t, cfg, first, on)
    if "holiday" in cfg.enabled:
        actions += plan.holiday_greetings(t, cfg, first, on, calendar)
    if "tier_care" in cfg.enabled:
        actions += plan.tier_care(t, cfg, on)
    if "points_reminder" in cfg.enabled:
        actions += plan.points_reminders(t, cfg, first, on)
    if "followup" in cfg.enabled:
        actions += followup.followups(t, cfg, first, on)
    if "satisfaction" in cfg.enabled:
        actions += followup.satisfaction(t, cfg, first, on)
    winback = rhythm.winback(t, cfg, on) if rhythm_rules and "winback" in cfg.enabled else []
    actions += winback
    if rhythm_rules and "repurchase" in cfg.enabled:
        actions += rhythm.repurchase(t, cfg, on, skip_members={a.member_id for a in winback})
    order = {r: i for i, r in enumerate(RULES)}
    actions.sort(key=lambda a: (a.due_on, order[a.rule], a.rank, a.member_id, a.dedupe_key))
    return actions


# --- writing -------------------------------------------------------------------------------------
_existing_keys = plan.existing_keys


def may_be_called(m: Member) -> bool:
    """A call task needs a phone that works and a member who has not opted out."""
    return bool(m.phone) and m.erased_at is None and m.opted_out_at is None and m.phone_flag != "invalid"


def _members(t: Ctx, ids: set[int]) -> dict[int, Member]:
    found: dict[int, Member] = {}
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        found.update((m.id, m) for m in t.s.execute(select(Member).where(Member.id.in_(ids[i:i + 500]))).scalars())
    return found


def _verdict(a: Action, m: Member | None, done: set[str], on: date) -> str | None:
    """The outcome of an action that will not be written ('duplicate', 'missed', 'no_consent'), or None."""
    if a.dedupe_key in done:
        return "duplicate"
    if a.stale_after is not None and a.stale_after < on:
        return "missed"
    allowed = m is not None and (
        outbox.may_receive(m, "care") if a.channel == "text"
        else m.erased_at is None if a.task_source == "gift" else may_be_called(m))
    return None if allowed else "no_consent"


def apply_actions(t: Ctx, actions: list[Action], on: date, shop, dry_run: bool, *, hold: bool = False
                  ) -> list[CareOutcome]:
    """Decide each action (done already, stale, no consent) and write it, or with ``dry_run`` only
    compose what would be written (the preview in Settings › Care)."""
    return _apply(t, actions, on, shop, dry_run, hold=hold)


def _apply(t: Ctx, actions: list[Action], on: date, shop, dry_run: bool, *, hold: bool = False) -> list[CareOutcome]:
    keys = [a.dedupe_key for a in actions]
    done = _existing_keys(t, keys)
    members = _members(t, {a.member_id for a in actions})
    out = []
    for a in actions:
        m = members.get(a.member_id)
        base = CareOutcome(a.rule, a.member_id, a.member_name, a.due_on, a.dedupe_key, "missed")
        verdict = _verdict(a, m, done, on)
        if verdict is not None:
            out.append(replace(base, outcome=verdict))
            continue
        late = a.stale_after is not None and a.due_on < on
        try:
            with t.s.begin_nested():
                result = _write(t, a, m, on, shop, dry_run, hold)
        except IntegrityError:  # another till wrote this key a moment ago
            out.append(replace(base, outcome="duplicate"))
            continue
        done.add(a.dedupe_key)
        out.append(replace(base, late=late, **result))
    return out


def _write(t: Ctx, a: Action, m: Member, on: date, shop, dry_run: bool, hold: bool = False) -> dict:
    lang = shop.language
    values = dict(a.values)
    code = None
    if a.voucher:
        spec = a.voucher
        expires = on + timedelta(days=int(spec.get("valid_days", 30)))
        if dry_run:
            code = i18n.T_(lang, "(code)")
        else:
            v = vouchers.issue(t.as_actor(SYSTEM), value=int(spec["value"]), kind=spec.get("kind", "amount"),
                               member_id=m.id, min_spend=int(spec.get("min_spend", 0)), expires_on=expires,
                               campaign=a.dedupe_key[:64])
            code = v.code
        values.update(voucher_code=code, voucher_expiry=expires, voucher_value=int(spec["value"]),
                      voucher_kind=spec.get("kind", "amount"), min_spend=int(spec.get("min_spend", 0)))
    if a.channel == "task":
        reason = task_reason(a, m.name, values, shop)
        task_id = None
        if not dry_run:
            task = CallbackTask(member_id=m.id, due_on=on, reason=reason, source=a.task_source,
                                dedupe_key=a.dedupe_key, status="open", created_at=t.now())
            t.s.add(task)
            t.s.flush()
            task_id = task.id
        return dict(outcome="task", task_reason=reason, task_id=task_id, voucher_code=code)
    # a follow-up plan's own words, or the shop's wording for this repurchase's category
    own = values.get("text") if a.rule == "followup" else values.get("wording")
    body = (templates.render(shop, a.template, lang, own, text_values(a, m.name, values, shop)) if own
            else templates.compose(t, a.template, lang, text_values(a, m.name, values, shop), cfg=shop))
    msg_id = None
    if not dry_run:
        # The key was looked up in this transaction (``fresh``: no second look-up); a row another
        # till committed since then fails the unique index and rolls back this action's savepoint.
        msg = outbox.enqueue(t, m, kind=a.rule, category="care", body=body, dedupe_key=a.dedupe_key, lang=lang,
                             fresh=True, held=hold)
        if msg is None:  # pragma: no cover - consent was checked above
            raise IntegrityError("care", {}, Exception(a.dedupe_key))
        msg_id = msg.id
    return dict(outcome="queued", body=body, message_id=msg_id, voucher_code=code)


# --- text bodies and task reasons ----------------------------------------------------------------
def _date(d: date, locale: str) -> str:
    """A date in a text, in the shop's language and region (ShopSettings.format_locale)."""
    return format_date(d, "medium", locale=locale)


def _money(minor: int, shop, lang: str) -> str:
    return format_plain(minor, shop.currency, lang)


OCCASIONS = {"wedding": NC_("occasion:wedding", "wedding anniversary"), "other": NC_("occasion:other", "anniversary")}


def text_values(a: Action, name: str, values: dict, shop) -> dict:
    """Placeholders for the templates: {name} {shop} and the rule's own ({days} {holiday} {years}
    {occasion} {tier} {product} {voucher} {voucher_code} {voucher_expiry} {min_spend}; the points
    reminder's {expiring} {expiry_date} {points})."""
    lang = shop.language
    out = {"name": name, "shop": shop.signature or shop.shop_name}
    if a.rule == "birthday":
        out["days"] = values["days"]
    elif a.rule == "anniversary":
        kind = values.get("occasion_kind") if values.get("occasion_kind") in OCCASIONS else "other"
        out["occasion"] = values.get("label") or i18n.entry(lang, OCCASIONS[kind], context="occasion:" + kind)
    elif a.rule == "member_anniversary":
        out["years"] = values["years"]
    elif a.rule == "holiday":
        out["holiday"] = i18n.pick(lang, values["holiday_en"], values["holiday_zh"], context="holiday")
    elif a.rule == "tier_care":
        out["tier"] = i18n.pick(lang, values["tier_en"], values["tier_zh"], context="tier")
    elif a.rule == "winback":
        out["days"] = out["days_since_visit"] = values["days_silent"]
    elif a.rule == "repurchase":
        out["product"] = values["product"]
        out["days"] = values["days_since"]
    elif a.rule == "points_reminder":
        out["expiring"] = format_int(values["expiring"], lang)
        out["expiry_date"] = _date(values["expiry_date"], shop.format_locale)
        out["points"] = format_int(values["balance"], lang)
        out["days"] = values["days"]
    elif a.rule == "followup":
        out.update(product=values["product"], days=values["days"], category=values["category"])
    if "voucher_code" in values:
        kind, value = values["voucher_kind"], values["voucher_value"]
        out["voucher"] = f"{value / 100:g}%" if kind == "percent" else format_money(value, shop.currency, lang)
        out["voucher_code"] = values["voucher_code"]
        out["voucher_expiry"] = _date(values["voucher_expiry"], shop.format_locale)
        out["min_spend"] = _money(values["min_spend"], shop, lang)
    return out


TASK_REASONS = {
    "tier_care": NC_("task_reason:tier_care", "{tier} care call: {name} ({period})"),
    "gift": NC_("task_reason:gift", "Prepare a gift for {name}: {gift} ({tier}, {period})"),
    "winback": NC_("task_reason:winback", "Win-back call: {name}, last visit {last} ({days} days ago; usually every {gap} days), "
                "spent {spent} in {visits} visits"),
    "followup": NC_("task_reason:followup", "Follow-up call: {name} bought {product} on {bought} (receipt {receipt}, "
                    "served by {staff}), {days} days ago"),
}


def task_reason(a: Action, name: str, values: dict, shop) -> str:
    """What the task asks of the staff, in the shop's language."""
    lang = shop.language
    params = {"name": name}
    if a.rule == "tier_care":
        params.update(tier=i18n.pick(lang, values["tier_en"], values["tier_zh"], context="tier"), period=values["period"],
                      gift=values.get("gift") or i18n.T_(lang, "a gift"))
    elif a.rule == "followup":
        params.update(product=values["product"], bought=_date(values["bought"], shop.format_locale),
                      receipt=values["receipt"], staff=values["staff"] or "-", days=values["days"])
    else:
        params.update(last=_date(values["last_visit"], shop.format_locale), days=values["days_silent"],
                      gap=f"{values['usual_gap']:g}", spent=_money(values["spent"], shop, lang), visits=values["visits"])
    return i18n.entry(lang, TASK_REASONS[a.task_source], context="task_reason:" + a.task_source, **params)


def _count(outcomes: list[CareOutcome]) -> tuple[RuleCount, ...]:
    counts = {r: dict(due=0, queued=0, tasks=0, skipped_no_consent=0, duplicate=0, missed=0, late=0) for r in RULES}
    field_of = {"queued": "queued", "task": "tasks", "no_consent": "skipped_no_consent", "duplicate": "duplicate",
                "missed": "missed"}
    for o in outcomes:
        c = counts[o.rule]
        c["due"] += 1
        c[field_of[o.outcome]] += 1
        if o.late:
            c["late"] += 1
    return tuple(RuleCount(r, **c) for r, c in counts.items())
