"""Points: how many a sale earns, when they expire, adjustments by hand, and the expiry run.

Every movement is a ``points_entries`` row written by ``ledger.post_points`` (the only writer of
``members.points_balance``). Nothing is edited in place, expiry included.

Rules
-----
* **Earning (points floor).** ``points = floor(base_minor * points_per_unit * multiplier_pct /
  (100 * minor_per_unit))``, integer arithmetic only. A negative base (a refund) gives the negative
  of the points the same positive base earns, so a refund never takes back more than was earned.
* **Expiry date of a credit** (``expiry_date``), by ``points_expiry_policy``: ``never`` -> none;
  ``months`` -> the earning date plus ``points_expiry_months`` months (day clamped to the month's
  end); ``year_end`` -> 31 December of the year after earning. ``expires_on`` is the day the points
  lapse: an expiry run for ``as_of`` expires credits with ``expires_on <= as_of``.
* **FIFO expiry** (``expire_due``). Every debit (redeem, expire, negative adjust, negative refund)
  is taken to consume the credits that expire soonest. So for a member the points due by
  ``as_of`` are ``max(0, credits expiring on or before as_of - all debits so far)``, capped at the
  balance, and expired by one new ``expire`` entry. A second run for the same date finds nothing
  more (the first run's entry is itself a debit).
"""
from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, delete, func, insert, literal_column, select, text
from sqlalchemy.orm import aliased

from app.errors import InsufficientFunds, NotFound, ValidationError
from app.i18n import L_
from app.money import MAX_POINTS
from app.models import Member, PointsEntry, PointsLapse, Setting
from app.services.base import audit, permissions
from app.services.ledger import ledger
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings



# --- values out ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointsEntryView:
    id: int
    member_id: int
    kind: str
    points: int
    expires_on: date | None
    sale_id: int | None
    staff_id: int | None
    created_at: datetime
    note: str


@dataclass(frozen=True)
class PointsAdjustResult:
    member_id: int
    entry_id: int
    delta: int
    expires_on: date | None
    before: int
    after: int


@dataclass(frozen=True)
class ExpireReport:
    as_of: date
    members: int   # members who lost points in this run
    points: int    # points expired in this run


def _view(e: PointsEntry) -> PointsEntryView:
    return PointsEntryView(id=e.id, member_id=e.member_id, kind=e.kind, points=e.points, expires_on=e.expires_on,
                           sale_id=e.sale_id, staff_id=e.staff_id, created_at=e.created_at, note=e.note or "")


# --- pure rules ------------------------------------------------------------------------------------
def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, the day clamped to the end of the target month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def expiry_date(cfg: ShopSettings, earned_on: date) -> date | None:
    """The day points earned on ``earned_on`` lapse under the shop's policy (None: never)."""
    policy = cfg.points_expiry_policy
    if policy == "never":
        return None
    if policy == "months":
        return add_months(earned_on, cfg.points_expiry_months)
    if policy == "year_end":
        return date(earned_on.year + 1, 12, 31)
    raise ValidationError("setting_invalid", key="points_expiry_policy", why=L_("never, months or year_end"))


def earn_points(cfg: ShopSettings, base_minor: int, multiplier_pct: int) -> int:
    """Points for ``base_minor`` of eligible spend at a tier multiplier in percent (100 = x1), floored."""
    if isinstance(base_minor, bool) or not isinstance(base_minor, int):
        raise ValidationError("amount_invalid", field="points base", value=repr(base_minor))
    if isinstance(multiplier_pct, bool) or not isinstance(multiplier_pct, int) or multiplier_pct < 0:
        raise ValidationError("percent_invalid", field="points multiplier", value=repr(multiplier_pct))
    if base_minor < 0:
        return -earn_points(cfg, -base_minor, multiplier_pct)
    return base_minor * cfg.points_per_unit * multiplier_pct // (100 * cfg.minor_per_unit)


# --- helpers -----------------------------------------------------------------------------------------
def _member(t: Ctx, member_id: int) -> Member:
    m = t.s.get(Member, member_id)
    if m is None:
        raise NotFound("member_not_found", key=member_id)
    return m


def _check_points(value: int, *, allow_negative: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value == 0 or (value < 0 and not allow_negative):
        raise ValidationError("points_adjust_invalid" if allow_negative else "points_invalid", value=value)
    return check_points_size(value)


def check_points_size(value: int) -> int:
    """Points in one movement are bounded (app.money.MAX_POINTS): 2**62 twice overflowed SQLite."""
    if abs(value) > MAX_POINTS:
        raise ValidationError("points_too_many", value=value, max=MAX_POINTS)
    return value


# --- commands ----------------------------------------------------------------------------------------
def adjust(ctx: Ctx, member_id: int, delta: int, reason: str) -> PointsAdjustResult:
    """Add (delta > 0, expiring by policy from today) or remove points by hand, with a reason."""
    permissions.require(ctx, "adjust_balance")
    why = (reason or "").strip()
    if not why:
        raise ValidationError("reason_required")
    _check_points(delta, allow_negative=True)
    with ctx.tx() as t:
        cfg = load_settings(t)
        m = _member(t, member_id)
        t.s.refresh(m, ["points_balance"])
        before = m.points_balance
        if before + delta < 0:
            raise InsufficientFunds("adjust_points_negative", balance=before, delta=delta)
        expires = expiry_date(cfg, t.today()) if delta > 0 else None
        entry = ledger.post_points(t, m.id, "adjust", delta, expires_on=expires, note=why)
        t.s.flush()
        t.s.refresh(m, ["points_balance"])
        after = m.points_balance
        audit.record(t, "points.adjust", "member", m.id, before={"points": before},
                     after={"points": after, "expires_on": expires}, reason=why)
        return PointsAdjustResult(member_id=m.id, entry_id=entry.id, delta=delta, expires_on=expires,
                                  before=before, after=after)


def open_points(t: Ctx, member_id: int, points: int, note: str = "", *,
                earned_on: date | None = None) -> PointsEntryView | None:
    """An imported opening balance (kind 'opening'), inside the caller's transaction.

    It expires by policy counted from ``earned_on`` (default: today). Zero posts nothing (None)."""
    if type(points) is int and points == 0:
        return None
    _check_points(points, allow_negative=False)
    _member(t, member_id)
    cfg = load_settings(t)
    entry = ledger.post_points(t, member_id, "opening", points,
                               expires_on=expiry_date(cfg, earned_on or t.today()), note=note or "")
    t.s.flush()
    return _view(entry)


def _due_query(as_of: date, member_id: int | None = None):
    """Per member: points due to expire by ``as_of`` (FIFO), capped at the balance; only due > 0."""
    pe = PointsEntry
    credit_due = func.coalesce(func.sum(case(
        (and_(pe.points > 0, pe.expires_on.is_not(None), pe.expires_on <= as_of), pe.points), else_=0)), 0)
    consumed = func.coalesce(func.sum(case((pe.points < 0, -pe.points), else_=0)), 0)
    sums = select(pe.member_id.label("member_id"), (credit_due - consumed).label("due"))
    if member_id is not None:
        sums = sums.where(pe.member_id == member_id)
    sums = sums.group_by(pe.member_id).having(credit_due > consumed).subquery()
    due = case((sums.c.due > Member.points_balance, Member.points_balance), else_=sums.c.due)
    return (select(sums.c.member_id, due.label("due"))
            .join(Member, Member.id == sums.c.member_id)
            .where(Member.points_balance > 0)
            .order_by(sums.c.member_id))


def expire_due(ctx: Ctx, as_of: date, *, at: datetime | None = None) -> ExpireReport:
    """Expire every member's points due by ``as_of`` (FIFO, idempotent). One grouped query finds
    them all; one 'expire' entry is written per member with a non-zero amount, dated ``at``
    (default now; the daily run dates a caught-up day's entries on that day: ledger/expiry.py)."""
    permissions.require(ctx, "expire_points")
    with ctx.tx() as t:
        t.s.flush()
        rows = [(int(mid), int(due)) for mid, due in t.s.execute(_due_query(as_of)).all()]
        total = sum(due for _, due in rows)
        ledger.post_points_many(t, "expire", [(mid, -due) for mid, due in rows], note=f"expired by {as_of.isoformat()}",
                                at=at)
        if rows:
            audit.record(t, "points.expire", "points", None, after={"as_of": as_of, "members": len(rows),
                                                                    "points": total})
        return ExpireReport(as_of=as_of, members=len(rows), points=total)


# --- queries -------------------------------------------------------------------------------------------
# Credits are ``points > 0`` written as SQL text, not a bound 0: SQLite uses the partial index
# ix_points_entries_lapse (WHERE points > 0) only for a query whose WHERE says the same.
_CREDIT = literal_column("0")


def _due_between_query(after: date, until: date, members=None):
    """Per member: the points that lapse after ``after`` up to and including ``until`` (FIFO, as the
    ledger stands now): due by ``until`` less due by ``after``; only members with some.

    FIFO, as algebra: with B the balance (every credit less every debit) and K(d) the credits not
    yet lapsed by d (expiring after d, or never), the points due by d are ``max(0, B - K(d))`` (the
    debits took the soonest credits first). With X the credits lapsing in (after, until], K(after) =
    K(until) + X, so what lapses in the window is ``min(X, max(0, B - K(until)))``. B is
    ``members.points_balance`` (equal to its ledger: ``shopcare check``); so only credits are read,
    all from ix_points_entries_lapse: those lapsing in the window (a range of expires_on), then for
    each of their members the later and the never-expiring ones. ``tests/test_points_lapse.py``
    checks it against the plain FIFO ``schedule`` for random ledgers. ``members``: only these (a
    select of member ids)."""
    pe = PointsEntry
    soon = (select(pe.member_id.label("member_id"), func.sum(pe.points).label("x"))
            .where(pe.points > _CREDIT, pe.expires_on > after, pe.expires_on <= until,
                   *([] if members is None else [pe.member_id.in_(members)]))
            .group_by(pe.member_id).subquery("soon"))
    later = aliased(PointsEntry)

    def credits(*where):
        return (select(func.coalesce(func.sum(later.points), 0))
                .where(later.expires_on.is_(None) if not where else and_(*where),
                       later.member_id == soon.c.member_id, later.points > _CREDIT).scalar_subquery())

    kept = credits(later.expires_on > until) + credits()   # K(until): lapsing after it, or never
    # Materialized: each member's two look-ups run once (inlined, SQLite would run them per use).
    per = (select(soon.c.member_id, soon.c.x, (Member.points_balance - kept).label("y"))
           .join(Member, Member.id == soon.c.member_id)
           .where(Member.points_balance > 0, Member.erased_at.is_(None))
           .cte("lapse").prefix_with("MATERIALIZED"))
    return (select(per.c.member_id, case((per.c.y > per.c.x, per.c.x), else_=per.c.y).label("pts"))
            .where(per.c.y > 0).order_by(per.c.member_id))


def lapsing_between(t: Ctx, after: date, until: date) -> dict[int, int]:
    """member id -> points that lapse after ``after``, up to and including ``until`` (inside the
    caller's transaction): the reminders' "350 points expire on 31 Dec" and the end-of-day report's
    "soon to expire"."""
    return {int(mid): int(pts) for mid, pts in t.s.execute(_due_between_query(after, until)).all()}


def lapsing_summary(t: Ctx, after: date, until: date, top: int) -> tuple[int, int, list[tuple[int, int]]]:
    """(members, points) lapsing after ``after`` up to ``until``, and the ``top`` members with the most
    [(member id, points)]: the end-of-day report's "soon to expire". From the day's lapse snapshot
    when it is for this window and still holds (``_from_snapshot``), else counted live in the
    database (window functions: no row per member crosses to Python). Both exact."""
    found = _from_snapshot(t, after, until, top)
    if found is not None:
        return found
    q = _due_between_query(after, until).order_by(None).subquery()
    rows = t.s.execute(select(q.c.member_id, q.c.pts, func.count().over(), func.sum(q.c.pts).over())
                       .order_by(q.c.pts.desc(), q.c.member_id).limit(max(1, top))).all()
    if not rows:
        return 0, 0, []
    return int(rows[0][2]), int(rows[0][3]), [(int(m), int(p)) for m, p, _n, _s in rows[:top]]


# --- the daily lapse snapshot ------------------------------------------------------------------------
# The end-of-day report's window: what lapses in the LAPSE_DAYS after its day (eod.EXPIRING_DAYS).
LAPSE_DAYS = 30
SNAPSHOT_KEY = "points_lapse_snapshot"
SNAPSHOT_MAX_CHANGED = 20_000   # more members with entries since the snapshot: counted live instead
SNAPSHOT_CHUNK = 10_000         # members per transaction when it is built (~35 ms at 200,000 members)


def snapshot_day(t: Ctx) -> date | None:
    """The day the lapse snapshot was taken (or is being built) for (None: none yet)."""
    head = _snapshot_head(t, building=True)
    return date.fromisoformat(head["after"]) if head else None


def _snapshot_head(t: Ctx, *, building: bool = False) -> dict | None:
    """The snapshot's head; one still being built only with ``building``."""
    raw = t.s.execute(select(Setting.value).where(Setting.key == SNAPSHOT_KEY)).scalar()
    head = json.loads(raw) if raw else None
    return head if head and (building or not head.get("building")) else None


def claim_snapshot(t: Ctx, day: date) -> bool:
    """Mark the snapshot for ``day`` as being built, inside the caller's transaction (the day's
    expiry, which holds the expiry marker's lock: one till builds it, the others find it claimed).
    False when it is already for ``day``. Until ``build_snapshot`` finishes, the report counts live."""
    if snapshot_day(t) == day:
        return False
    _write_head(t, {"after": day.isoformat(), "building": True})
    return True


def _write_head(t: Ctx, head: dict) -> None:
    row = t.s.get(Setting, SNAPSHOT_KEY)
    if row is None:
        t.s.add(Setting(key=SNAPSHOT_KEY, value=json.dumps(head)))
    else:
        row.value = json.dumps(head)
    t.s.flush()


def build_snapshot(ctx: Ctx, day: date) -> int | None:
    """Keep what lapses per member in (day, day + LAPSE_DAYS] in ``points_lapse``, as the ledger
    stands, after ``claim_snapshot``: a long job, written in chunks of SNAPSHOT_CHUNK members, each
    one transaction; the head (the last entry id it covers, how many entries there were up to it,
    how many members were erased, the totals) is written last and only then is it read. The report
    trusts it only while those still hold and works out live the members with entries since: exact,
    never stale. A crash midway leaves it 'building': counted live until the next day's. Returns
    the members with some (None when another run took it over)."""
    until = day + timedelta(days=LAPSE_DAYS)
    with ctx.tx() as t:
        s = t.s
        if s.get_bind().dialect.name == "postgresql":
            # Every entry numbered before the last one read is committed and seen (entries are
            # numbered when written, committed later): wait for the writers under way, briefly.
            s.execute(text("LOCK TABLE points_entries IN SHARE MODE"))
        last, entries = s.execute(select(func.max(PointsEntry.id), func.count()).select_from(PointsEntry)).one()
        erased = s.execute(select(func.count()).select_from(Member).where(Member.erased_at.is_not(None))).scalar()
        top_id = s.execute(select(func.max(Member.id))).scalar() or 0
        s.execute(delete(PointsLapse))
    for lo in range(0, top_id + 1, SNAPSHOT_CHUNK):
        with ctx.tx() as t:
            part = select(Member.id).where(Member.id >= lo, Member.id < lo + SNAPSHOT_CHUNK)
            t.s.execute(insert(PointsLapse).from_select(["member_id", "points"], _due_between_query(day, until, part)))
    with ctx.tx() as t:
        head = _snapshot_head(t, building=True)
        if not head or head.get("after") != day.isoformat() or not head.get("building"):
            return None                      # another run has claimed a later day meanwhile
        members, total = t.s.execute(select(func.count(), func.coalesce(func.sum(PointsLapse.points), 0))).one()
        _write_head(t, {"after": day.isoformat(), "until": until.isoformat(), "last_entry": int(last or 0),
                        "entries": int(entries), "erased": int(erased), "members": int(members),
                        "points": int(total)})
    return int(members)


def snapshot_lapsing(ctx: Ctx, day: date) -> int | None:
    """Claim and build the snapshot for ``day`` (the expiry run claims it in its own transaction)."""
    with ctx.tx() as t:
        _write_head(t, {"after": day.isoformat(), "building": True})
    return build_snapshot(ctx, day)


def _from_snapshot(t: Ctx, after: date, until: date, top: int) -> tuple[int, int, list[tuple[int, int]]] | None:
    """``lapsing_summary`` from the snapshot, or None when it is for another window or no longer
    holds: an entry up to its last one was removed (an import undone), a member was erased, or
    too many members changed since. The members with entries since are worked out live; all of it
    in SQL (the entries since are a range of ids), no row per member crosses to Python."""
    head = _snapshot_head(t)
    if not head or head["after"] != after.isoformat() or head["until"] != until.isoformat():
        return None
    pe, lp, s = PointsEntry, PointsLapse, t.s
    # The members changed are fixed once (entries up to ``hi``), so each member is counted once,
    # from the snapshot or live, even where a statement sees entries committed since an earlier one
    # (PostgreSQL's read committed); such a race fails the count check below: counted live.
    hi = s.execute(select(func.max(pe.id))).scalar() or 0
    entries = s.execute(select(func.count()).select_from(pe)).scalar()
    since = s.execute(select(func.count()).where(pe.id > head["last_entry"])).scalar()
    erased = s.execute(select(func.count()).select_from(Member).where(Member.erased_at.is_not(None))).scalar()
    newer = and_(pe.id > head["last_entry"], pe.id <= hi)
    n_changed = s.execute(select(func.count(pe.member_id.distinct())).where(newer)).scalar()
    if entries - since != head["entries"] or erased != head["erased"] or n_changed > SNAPSHOT_MAX_CHANGED:
        return None
    changed = select(pe.member_id).where(newer)
    stale_n, stale_pts = s.execute(select(func.count(), func.coalesce(func.sum(lp.points), 0))
                                   .where(lp.member_id.in_(changed))).one()
    q = _due_between_query(after, until, changed).order_by(None).subquery()
    live = s.execute(select(q.c.member_id, q.c.pts, func.count().over(), func.sum(q.c.pts).over())
                     .order_by(q.c.pts.desc(), q.c.member_id).limit(max(1, top))).all()
    live_n, live_pts = (int(live[0][2]), int(live[0][3])) if live else (0, 0)
    kept = s.execute(select(lp.member_id, lp.points).where(lp.member_id.not_in(changed))
                     .order_by(lp.points.desc(), lp.member_id).limit(max(1, top))).all()
    best = sorted([(int(m), int(p)) for m, p in kept] + [(int(m), int(p)) for m, p, _n, _s in live],
                  key=lambda mp: (-mp[1], mp[0]))[:max(0, top)]
    if _snapshot_head(t) != head:        # a new day's snapshot began meanwhile (its rows read half
        return None                      # rewritten under read committed): counted live
    return (head["members"] - int(stale_n) + live_n, head["points"] - int(stale_pts) + live_pts, best)


def expiry_dates_between(t: Ctx, after: date, until: date) -> list[date]:
    """The days after ``after`` up to ``until`` on which some credit expires."""
    pe = PointsEntry
    return list(t.s.execute(select(pe.expires_on).where(pe.points > _CREDIT, pe.expires_on > after, pe.expires_on <= until)
                            .distinct().order_by(pe.expires_on)).scalars())


def schedule(credits: list[tuple[date | None, int]], debits: int) -> list[tuple[date, int]]:
    """Pure FIFO: (expiry date, points lapsing that day) for credits [(expires_on, points)] after
    ``debits`` points (every redeem, expiry and negative adjustment so far) took the soonest first."""
    left, out = debits, []
    for expires, pts in sorted(((e, p) for e, p in credits if p > 0), key=lambda c: (c[0] is None, c[0] or date.max)):
        used = min(left, pts)
        left -= used
        if expires is not None and pts - used > 0:
            if out and out[-1][0] == expires:
                out[-1] = (expires, out[-1][1] + pts - used)
            else:
                out.append((expires, pts - used))
    return out


def first_lapses(t: Ctx, ids: list[int], after: date, chunk: int = 500) -> dict[int, date]:
    """id -> the first day after ``after`` on which some of the member's points lapse (FIFO, as
    ``upcoming``), for many members with one query per ``chunk`` of them (inside ``t``'s transaction)."""
    out: dict[int, date] = {}
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        rows: dict[int, list] = {}
        for mid, expires, pts in t.s.execute(select(PointsEntry.member_id, PointsEntry.expires_on, PointsEntry.points)
                                             .where(PointsEntry.member_id.in_(part))):
            rows.setdefault(mid, []).append((expires, int(pts)))
        for mid, entries in rows.items():
            credits = [(e, p) for e, p in entries if p > 0]
            debits = sum(-p for _, p in entries if p < 0)
            soon = [d for d, _p in schedule(credits, debits) if d > after]
            if soon:
                out[mid] = soon[0]
    return out


def upcoming(ctx: Ctx, member_id: int, after: date, limit: int = 3) -> list[tuple[date, int]]:
    """The member's next expiries after ``after``: [(day, points that lapse that day)], soonest first."""
    with ctx.tx(write=False) as t:
        _member(t, member_id)
        rows = t.s.execute(select(PointsEntry.expires_on, PointsEntry.points)
                           .where(PointsEntry.member_id == member_id)).all()
    credits = [(e, int(p)) for e, p in rows if p > 0]
    debits = sum(-int(p) for _, p in rows if p < 0)
    return [(d, p) for d, p in schedule(credits, debits) if d > after][:max(0, limit)]


def due_to_expire(ctx: Ctx, member_id: int, as_of: date) -> int:
    """Points of this member that an expiry run for ``as_of`` would expire (for reminders and the UI)."""
    with ctx.tx(write=False) as t:
        _member(t, member_id)
        row = t.s.execute(_due_query(as_of, member_id)).first()
        return int(row.due) if row else 0


def history(ctx: Ctx, member_id: int, limit: int = 50) -> list[PointsEntryView]:
    """The member's points entries, newest first."""
    with ctx.tx(write=False) as t:
        _member(t, member_id)
        rows = t.s.execute(select(PointsEntry).where(PointsEntry.member_id == member_id)
                           .order_by(PointsEntry.id.desc()).limit(max(0, int(limit)))).scalars().all()
        return [_view(e) for e in rows]
