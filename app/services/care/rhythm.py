"""Rules on each member's own rhythm: win-back (silent far longer than usual) and repurchase
reminders (a product bought on a steady cycle, now overdue); and the win-back results."""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from app.models import CallbackTask, Member, Message, Product, Sale, SaleLine, Voucher
from app.services.care.config import CareConfig
from app.services.care.plan import Action, existing_keys
from app.services.base.context import Ctx


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min)


@dataclass(frozen=True)
class Lapse:
    """Why a member is due for win-back."""
    member_id: int
    name: str
    visits: int
    last_visit: date
    days_silent: int
    usual_gap: float      # median days between visits
    spent: int            # net spend so far, minor units


def lapsed_members(ctx: Ctx, cfg: CareConfig, on: date) -> list[Lapse]:
    """Members due for win-back on ``on``, biggest past spenders first: at least ``winback_min_visits``
    visit days, silent longer than ``winback_factor`` x their median gap and than the floor, and not
    longer than ``winback_max_days``."""
    with ctx.tx(write=False) as t:
        return _lapsed(t, cfg, on)


def _lapsed(t: Ctx, cfg: CareConfig, on: date) -> list[Lapse]:
    until = _end_of(on)
    newest = until - timedelta(days=cfg.winback_floor_days + 1)
    oldest = until - timedelta(days=cfg.winback_max_days + 1)
    last = (select(Sale.member_id, func.max(Sale.created_at).label("last"))
            .where(Sale.kind == "sale", Sale.member_id.is_not(None), Sale.created_at < until)
            .group_by(Sale.member_id).subquery())
    candidates = t.s.execute(select(Member.id, Member.name, Member.total_spent)
                             .join(last, last.c.member_id == Member.id)
                             .where(Member.erased_at.is_(None), last.c.last < newest, last.c.last >= oldest)).all()
    if not candidates:
        return []
    info = {mid: (name, spent) for mid, name, spent in candidates}
    visits: dict[int, set[date]] = defaultdict(set)
    ids = list(info)
    for i in range(0, len(ids), 500):
        for mid, at in t.s.execute(select(Sale.member_id, Sale.created_at).where(
                Sale.kind == "sale", Sale.member_id.in_(ids[i:i + 500]), Sale.created_at < until)):
            visits[mid].add(at.date())
    found = []
    for mid, days in visits.items():
        if len(days) < cfg.winback_min_visits:
            continue
        ordered = sorted(days)
        gap = statistics.median((b - a).days for a, b in zip(ordered, ordered[1:]))
        silent = (on - ordered[-1]).days
        if silent > cfg.winback_factor * gap and silent > cfg.winback_floor_days:
            name, spent = info[mid]
            found.append(Lapse(mid, name, len(ordered), ordered[-1], silent, gap, spent))
    found.sort(key=lambda x: (-x.spent, x.member_id))
    return found


def winback(t: Ctx, cfg: CareConfig, on: date) -> list[Action]:
    """A text (with a voucher when the shop set one) per lapse; the ``winback_call_top`` biggest
    spenders get a call task instead. One action per lapse: the key names the last visit, so a member
    who comes back and lapses again is asked again, and no one twice for the same silence. At most
    ``winback_daily_limit`` new lapses a day, biggest spenders first; the rest wait for the next days
    (lapses already acted on are listed too, and count as done)."""
    lapses = _lapsed(t, cfg, on)
    keys = [f"winback:{x.member_id}:{x.last_visit.isoformat()}" for x in lapses]
    done = existing_keys(t, keys)
    reachable = _reachable(t, [x.member_id for x in lapses])
    room = cfg.winback_daily_limit
    out = []
    for rank, (lapse, key) in enumerate(zip(lapses, keys), start=1):
        if key not in done and lapse.member_id in reachable:  # the unreachable are listed, take no room
            if room <= 0:
                continue
            room -= 1
        values = {"days_silent": lapse.days_silent, "last_visit": lapse.last_visit, "usual_gap": lapse.usual_gap,
                  "spent": lapse.spent, "visits": lapse.visits}
        if rank <= cfg.winback_call_top:
            out.append(Action("winback", lapse.member_id, lapse.name, on, key, "task", task_source="winback",
                              task_reason="winback", values=values, rank=rank))
        else:
            spec = cfg.winback_voucher
            out.append(Action("winback", lapse.member_id, lapse.name, on, key, "text",
                              template="winback_voucher" if spec else "winback", values=values,
                              voucher=dict(spec) if spec else None, rank=rank))
    return out


def _reachable(t: Ctx, ids: list[int]) -> set[int]:
    """Members a care text may reach (as outbox.may_receive for 'care')."""
    found: set[int] = set()
    for i in range(0, len(ids), 500):
        found |= set(t.s.execute(select(Member.id).where(
            Member.id.in_(ids[i:i + 500]), Member.consent_care.is_(True), Member.opted_out_at.is_(None),
            Member.phone.is_not(None), or_(Member.phone_flag.is_(None), Member.phone_flag != "invalid"))).scalars())
    return found


@dataclass(frozen=True)
class Cycle:
    """A product a member buys on a steady cycle."""
    member_id: int
    name: str
    product_id: int
    product: str
    purchases: int
    cycle: float          # median days between purchases
    cv: float             # stdev / mean of the gaps
    last: date
    days_since: int
    category: str = ""    # the product's category (its repurchase wording)


def overdue_cycles(ctx: Ctx, cfg: CareConfig, on: date) -> list[Cycle]:
    """(member, product) pairs bought on a steady cycle and now overdue by the margin, most overdue
    (relative to the cycle) first."""
    with ctx.tx(write=False) as t:
        return _overdue(t, cfg, on)


def _overdue(t: Ctx, cfg: CareConfig, on: date) -> list[Cycle]:
    until = _end_of(on)
    since = until - timedelta(days=cfg.repurchase_lookback_days)
    rows = t.s.execute(
        select(Sale.member_id, SaleLine.product_id, Sale.created_at)
        .join(SaleLine, SaleLine.sale_id == Sale.id).join(Product, Product.id == SaleLine.product_id)
        .where(Sale.kind == "sale", Sale.member_id.is_not(None), SaleLine.qty > 0, Product.kind != "count_card",
               Sale.created_at >= since, Sale.created_at < until))
    bought: dict[tuple[int, int], set[date]] = defaultdict(set)
    for mid, pid, at in rows:
        bought[(mid, pid)].add(at.date())
    found = []
    for (mid, pid), days in bought.items():
        if len(days) < cfg.repurchase_min_purchases:
            continue
        ordered = sorted(days)
        gaps = [(b - a).days for a, b in zip(ordered, ordered[1:])]
        mean = statistics.fmean(gaps)
        cycle = statistics.median(gaps)
        cv = statistics.pstdev(gaps) / mean if mean else 99.0
        since_last = (on - ordered[-1]).days
        margin = max(3.0, cycle * cfg.repurchase_margin_pct / 100)
        if (cycle >= cfg.repurchase_min_cycle_days and cv <= cfg.repurchase_max_cv
                and cycle + margin < since_last <= cycle * cfg.repurchase_give_up_factor):
            found.append(Cycle(mid, "", pid, "", len(ordered), cycle, cv, ordered[-1], since_last))
    if not found:
        return []
    names = dict(t.s.execute(select(Member.id, Member.name).where(
        Member.id.in_({c.member_id for c in found}), Member.erased_at.is_(None))).all())
    products = {pid: (name, category) for pid, name, category in t.s.execute(
        select(Product.id, Product.name, Product.category).where(Product.id.in_({c.product_id for c in found})))}
    found = [Cycle(c.member_id, names[c.member_id], c.product_id, products[c.product_id][0], c.purchases, c.cycle, c.cv,
                   c.last, c.days_since, products[c.product_id][1] or "") for c in found if c.member_id in names]
    found.sort(key=lambda c: (-c.days_since / c.cycle, c.member_id, c.product_id))
    return found


def repurchase(t: Ctx, cfg: CareConfig, on: date, skip_members: set[int] = frozenset()) -> list[Action]:
    """One reminder per member per run (the most overdue product; the next one waits for another
    day), keyed by member, product and last purchase: once per overdue spell. Worded as the shop
    wrote it for the product's category (``repurchase_wording``), else by the "repurchase" template."""
    out, seen = [], set(skip_members)
    for c in overdue_cycles(t, cfg, on):
        if c.member_id in seen:
            continue
        seen.add(c.member_id)
        out.append(Action("repurchase", c.member_id, c.name, on,
                          f"repurchase:{c.member_id}:{c.product_id}:{c.last.isoformat()}", "text",
                          template="repurchase",
                          values={"product": c.product, "cycle": c.cycle, "days_since": c.days_since, "last": c.last,
                                  "category": c.category, "wording": cfg.repurchase_wording.get(c.category)}))
    return out


# --- win-back results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class WinbackOutcome:
    member_id: int
    contacted_at: datetime
    how: str                       # 'text' or 'call'
    came_back_on: date | None      # first sale within the window after the contact
    visits: int                    # sales in the window
    spent: int                     # net of refunds, minor units
    voucher_code: str | None
    voucher_used: bool


@dataclass(frozen=True)
class WinbackResults:
    window_days: int
    outcomes: tuple[WinbackOutcome, ...]

    @property
    def contacted(self) -> int:
        return len(self.outcomes)

    @property
    def returned(self) -> int:
        return sum(1 for o in self.outcomes if o.came_back_on is not None)

    @property
    def revenue(self) -> int:
        return sum(o.spent for o in self.outcomes)

    @property
    def vouchers_used(self) -> int:
        return sum(1 for o in self.outcomes if o.voucher_used)


def winback_results(ctx: Ctx, *, since: date | None = None, until: date | None = None,
                    window_days: int | None = None) -> WinbackResults:
    """Who came back within the window after a win-back text or call task (contacts made in
    [since, until]) and what they spent then (sales less their refunds, in that window)."""
    from app.services.care import config as care_config

    with ctx.tx(write=False) as t:
        window = window_days if window_days is not None else care_config.load(t).winback_window_days
        contacts: list[tuple[int, datetime, str, str]] = []
        q = select(Message.member_id, Message.created_at, Message.dedupe_key).where(
            Message.kind == "winback", Message.status.not_in(("cancelled", "failed")))
        contacts += [(mid, at, "text", key) for mid, at, key in t.s.execute(q)]
        q = select(CallbackTask.member_id, CallbackTask.created_at, CallbackTask.dedupe_key).where(
            CallbackTask.source == "winback", CallbackTask.status != "cancelled")
        contacts += [(mid, at, "call", key) for mid, at, key in t.s.execute(q)]
        out = []
        for mid, at, how, key in sorted(contacts, key=lambda c: (c[1], c[0])):
            if mid is None or (since and at.date() < since) or (until and at.date() > until):
                continue
            end = at + timedelta(days=window)
            sales = t.s.execute(select(Sale.kind, Sale.created_at, Sale.total).where(
                Sale.member_id == mid, Sale.created_at > at, Sale.created_at <= end)
                .order_by(Sale.created_at)).all()
            firsts = [s.created_at.date() for s in sales if s.kind == "sale"]
            voucher = t.s.execute(select(Voucher.code, Voucher.status).where(
                Voucher.member_id == mid, Voucher.campaign == key[:64])).first()
            out.append(WinbackOutcome(mid, at, how, firsts[0] if firsts else None, len(firsts),
                                      sum(s.total for s in sales), voucher.code if voucher else None,
                                      bool(voucher and voucher.status == "used")))
        return WinbackResults(window, tuple(out))
