"""Care results over a period: for every kind of care action, how many texts went out and calls were
made, how many of the members reached came back (bought) within the kind's window after a contact,
and what they spent then; and the satisfaction scores by category and by staff member.

- A contact is a care or marketing text of that kind that was sent (status sent or delivered, its
  ``sent_at`` in the period), or a call or gift task of that kind ticked off (``done_at`` in the
  period): tier care and gift tasks count under tier care, win-back calls under win-back, follow-up
  calls under follow-up.
- A member came back when they have a sale in (contact, contact + window]. Their spending is every
  sale and refund of theirs in the union of their windows of that kind (each counted once per kind).
  Kinds are measured each on their own: a member who had a birthday text and a holiday greeting and
  then bought counts under both.
- Windows (days): WINDOWS below; win-back uses the shop's ``winback_window_days``.
- Satisfaction: the scores given in the period; a score belongs to the sale its satisfaction text
  named (``satisfaction:<sale>``), so to the staff member who served it and to every category on it.
  A complaint is a score of 1 or 2.
Amounts are integer minor units; formatting is the caller's.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.errors import ValidationError
from app.models import CallbackTask, Message, Sale, SaleLine, SatisfactionScore, Staff
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.days import check_day
from app.services.care import config as care_config
from app.services.care.followup import sale_of
from app.services.care.satisfaction import COMPLAINT_AT

# The kinds the report always lists, in this order; other care kinds (anniversaries, satisfaction
# texts, note replies…) are listed after them when they had a contact in the period.
KINDS = ("birthday", "holiday", "tier_care", "winback", "repurchase", "followup", "points_reminder", "campaign")
# Days after a contact within which a purchase counts as coming back.
WINDOWS = {"birthday": 30, "anniversary": 30, "member_anniversary": 30, "holiday": 14, "tier_care": 30,
           "winback": 30, "repurchase": 14, "followup": 14, "points_reminder": 30, "campaign": 30,
           "campaign_referral": 30, "satisfaction": 30}
DEFAULT_WINDOW = 30
TASK_KINDS = {"tier_care": "tier_care", "gift": "tier_care", "winback": "winback", "followup": "followup"}
SENT = ("sent", "delivered")


@dataclass(frozen=True)
class KindResult:
    kind: str
    window_days: int
    texts: int          # texts sent
    calls: int          # call and gift tasks done
    members: int        # distinct members reached
    came_back: int      # of them, bought within the window after a contact
    visits: int         # their sales in those windows
    spent: int          # their sales less refunds in those windows, minor units

    @property
    def return_rate(self) -> float | None:
        return self.came_back / self.members if self.members else None


@dataclass(frozen=True)
class ScoreRow:
    key: str            # a category name, or a staff member's name ("" when unknown)
    count: int
    total: int          # sum of the scores
    complaints: int     # scores of 1 or 2

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass(frozen=True)
class CareResults:
    start: date
    end: date
    currency: str
    kinds: tuple[KindResult, ...]
    by_category: tuple[ScoreRow, ...]
    by_staff: tuple[ScoreRow, ...]
    scores: ScoreRow    # every score of the period

    def kind(self, kind: str) -> KindResult:
        return next(k for k in self.kinds if k.kind == kind)


def check_period(start: date, end: date) -> None:
    check_day(start, "from")
    check_day(end, "to")
    if end < start:
        raise ValidationError("date_range_invalid", start=start.isoformat(), end=end.isoformat())


def care_results(ctx: Ctx, start: date, end: date) -> CareResults:
    """Care results of contacts made on ``start``..``end`` (whole days, shop time)."""
    check_period(start, end)
    t0, t1 = datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)
    with ctx.tx(write=False) as t:
        currency = shop_settings.load(t).currency
        windows = dict(WINDOWS, winback=care_config.load(t).winback_window_days)
        contacts: dict[str, dict[int, list[datetime]]] = defaultdict(lambda: defaultdict(list))
        texts: dict[str, int] = defaultdict(int)
        calls: dict[str, int] = defaultdict(int)
        for kind, mid, at in t.s.execute(select(Message.kind, Message.member_id, Message.sent_at).where(
                Message.category.in_(("care", "marketing")), Message.status.in_(SENT), Message.member_id.is_not(None),
                Message.sent_at >= t0, Message.sent_at < t1)).yield_per(5000):
            texts[kind] += 1
            contacts[kind][mid].append(at)
        for source, mid, at in t.s.execute(select(CallbackTask.source, CallbackTask.member_id, CallbackTask.done_at)
                                           .where(CallbackTask.status == "done", CallbackTask.source.in_(TASK_KINDS),
                                                  CallbackTask.done_at >= t0, CallbackTask.done_at < t1)):
            kind = TASK_KINDS[source]
            calls[kind] += 1
            contacts[kind][mid].append(at)
        for per_member in contacts.values():
            for times in per_member.values():
                times.sort()
        reach = max((windows.get(k, DEFAULT_WINDOW) for k in contacts), default=0)
        counted: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))   # kind -> member -> sales
        if contacts:
            for sale_id, mid, kind_of_sale, at, total in t.s.execute(
                    select(Sale.id, Sale.member_id, Sale.kind, Sale.created_at, Sale.total).where(
                        Sale.member_id.is_not(None), Sale.created_at > t0,
                        Sale.created_at <= t1 + timedelta(days=reach))).yield_per(5000):
                for kind, per_member in contacts.items():
                    times = per_member.get(mid)
                    if not times:
                        continue
                    i = bisect.bisect_left(times, at) - 1      # the last contact before the sale
                    if i >= 0 and at <= times[i] + timedelta(days=windows.get(kind, DEFAULT_WINDOW)):
                        counted[kind][mid].append((kind_of_sale, total))
        order = list(KINDS) + sorted(k for k in contacts if k not in KINDS)
        results = []
        for kind in order:
            per_member, got = contacts.get(kind, {}), counted.get(kind, {})
            back = [m for m, sales in got.items() if any(k == "sale" for k, _ in sales)]
            results.append(KindResult(
                kind, windows.get(kind, DEFAULT_WINDOW), texts.get(kind, 0), calls.get(kind, 0), len(per_member),
                len(back), sum(1 for sales in got.values() for k, _ in sales if k == "sale"),
                sum(total for sales in got.values() for _, total in sales)))
        by_category, by_staff, every = _scores(t, t0, t1)
    return CareResults(start, end, currency, tuple(results), by_category, by_staff, every)


def _scores(t: Ctx, t0: datetime, t1: datetime) -> tuple[tuple[ScoreRow, ...], tuple[ScoreRow, ...], ScoreRow]:
    rows = t.s.execute(select(SatisfactionScore.score, Message.dedupe_key).join(
        Message, Message.id == SatisfactionScore.message_id).where(
        SatisfactionScore.created_at >= t0, SatisfactionScore.created_at < t1)).all()
    sale_ids = {sale_of(key) for _, key in rows} - {None}
    staff_of: dict[int, str] = {}
    cats_of: dict[int, set[str]] = defaultdict(set)
    ids = sorted(sale_ids)
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        staff_of.update(dict(t.s.execute(select(Sale.id, Staff.name).outerjoin(Staff, Staff.id == Sale.staff_id)
                                         .where(Sale.id.in_(part))).all()))
        for sale_id, cat in t.s.execute(select(SaleLine.sale_id, SaleLine.category).where(
                SaleLine.sale_id.in_(part), SaleLine.qty > 0)):
            if cat:
                cats_of[sale_id].add(cat)
    cat: dict[str, list[int]] = defaultdict(list)
    staff: dict[str, list[int]] = defaultdict(list)
    for score, key in rows:
        sale = sale_of(key)
        staff[staff_of.get(sale) or ""].append(score)
        for c in sorted(cats_of.get(sale, ())) or [""]:
            cat[c].append(score)

    def row(key: str, scores: list[int]) -> ScoreRow:
        return ScoreRow(key, len(scores), sum(scores), sum(1 for s in scores if s <= COMPLAINT_AT))

    def table(groups: dict[str, list[int]]) -> tuple[ScoreRow, ...]:
        return tuple(sorted((row(k, v) for k, v in groups.items()), key=lambda r: (-r.count, r.key)))

    return table(cat), table(staff), row("", [s for s, _ in rows])
