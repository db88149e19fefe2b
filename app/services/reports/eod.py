"""The end-of-day member report's figures, read from the ledgers for one shop day.

Every figure is a sum over rows that exist (sales, payments, top-ups, wallet and points entries,
vouchers, messages), so it reconciles with the books: ``tests/test_eod.py`` recomputes each one
from the database in plain Python. Amounts are integer minor units; formatting is the PDF's job.
A day is [00:00, 24:00) shop time (the clock's naive local time), for the whole shop: with several
tills, "cash expected" is what all the drawers together should hold above their floats.

The lists per member (birthdays today and tomorrow, valuable members at risk, points soon to
expire) are bounded whatever the member count: the report carries the top ``LIST_TOP`` of each (by
total spent, or by the points lapsing) and how many there are in all; the whole lists go to a CSV or
XLSX file with ``reports/eod_lists.py`` (the PDF says where). Every list's query reads an index:
``tests/test_eod.py`` checks SQLite's plans.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal_column, or_, select

from app import i18n
from app.models import (Member, Message, Payment, PointsEntry, Sale, SaleLine, Staff, Topup, WalletEntry)
from app.services.base import phones
from app.services.base.sqlfuncs import days_between
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.days import check_day
from app.services.ledger import points

TOP_PRODUCTS = 10
LIST_TOP = 20           # members shown per list in the report; the rest are counted ("and 1,226 more")
AT_RISK = LIST_TOP
EXPIRING_DAYS = points.LAPSE_DAYS   # "soon to expire": points lapsing in the 30 days after the day
                                   # (the daily expiry run keeps them for this window: points.snapshot_lapsing)
EXPIRING_LIST = LIST_TOP
AT_RISK_MIN_VISITS = 3  # written into the SQL as a constant: ix_members_at_risk is partial on it
AT_RISK_MIN_DAYS = 45
AT_RISK_GAPS = 2.5


@dataclass(frozen=True)
class Tally:
    count: int
    amount: int


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    qty: int          # net of refunds
    amount: int       # net of refunds
    cost: int | None = None   # of the net units; None when a line's cost was not recorded (sold before
                              # costs were kept, or a product without a cost): margin unknown, not 100%

    @property
    def margin(self) -> int | None:
        return None if self.cost is None else self.amount - self.cost

    @property
    def margin_ratio(self) -> float | None:
        m = self.margin
        return None if m is None or self.amount <= 0 else m / self.amount


@dataclass(frozen=True)
class CashierRow:
    name: str         # "" for sales without a staff member (imports, the command line)
    sales: int
    amount: int       # net: sales less refunds


@dataclass(frozen=True)
class MemberRow:
    member_id: int
    name: str
    masked_phone: str
    tier: str
    note: str         # birthday: "" or the age; at risk: days since the last visit
    value: int        # total spent


@dataclass(frozen=True)
class ExpiringRow:
    member_id: int
    name: str
    masked_phone: str
    points: int       # lapsing in the EXPIRING_DAYS after the day
    first_on: date    # the first day some of them lapse


@dataclass(frozen=True)
class EodReport:
    day: date
    shop_name: str
    currency: str
    language: str
    generated_at: datetime
    # sales
    sales: Tally                        # kind 'sale'
    refunds: Tally                      # kind 'refund' that are not voids (amount negative)
    voids: Tally                        # whole sales cancelled (amount negative)
    member_sales: Tally
    walkin_sales: Tally
    discounts: int                      # tier + manual discounts given on the day's sales
    by_method: dict[str, int]           # payment method -> net amount (sales less refunds)
    by_hour: tuple[int, ...]            # 24 net amounts
    # the drawer
    cash_sales: int                     # cash kept from sales (after change), less cash refunds
    cash_topups: int                    # top-ups paid in cash
    cash_paid_out: int                  # cash-outs and top-up refunds paid in cash (negative or 0)
    # stored value (the shop's liability)
    topped_up: Tally                    # paid principal
    topup_bonus: int
    wallet_spent: int                   # principal + bonus spent on sales (negative)
    wallet_refunded: int                # back to wallets by refunds
    wallet_paid_out: int                # cash-outs and top-up refunds (negative)
    wallet_adjusted: int
    outstanding_principal: int          # at the close of the day
    outstanding_bonus: int
    # points
    points_issued: int
    points_redeemed: int                # negative
    points_expired: int                 # negative
    points_other: int                   # refunds reversing earn/redeem, adjustments, openings
    points_outstanding: int
    points_expiring: Tally              # members and points lapsing in the EXPIRING_DAYS after the day
    # vouchers, members, texts
    vouchers_redeemed: Tally
    new_members: int
    texts_sent: int
    texts_failed: int
    texts_deferred: int
    text_segments: int                  # segments of the texts sent: what the gateway bills
    # lists
    top_products: tuple[ProductRow, ...]
    cashiers: tuple[CashierRow, ...]
    birthdays_today: tuple[MemberRow, ...]
    birthdays_tomorrow: tuple[MemberRow, ...]
    at_risk: tuple[MemberRow, ...]
    expiring_soon: tuple[ExpiringRow, ...] = ()   # the members with the most points lapsing soon
    # how many each list holds in all (the lists above are the first LIST_TOP)
    birthdays_today_count: int = 0
    birthdays_tomorrow_count: int = 0
    at_risk_count: int = 0

    @property
    def expiring_count(self) -> int:
        return self.points_expiring.count

    @property
    def net_sales(self) -> int:
        return self.sales.amount + self.refunds.amount + self.voids.amount

    @property
    def cash_expected(self) -> int:
        """Cash that came into the drawer today, on top of the opening float."""
        return self.cash_sales + self.cash_topups + self.cash_paid_out


def _span(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def _tally(row) -> Tally:
    return Tally(int(row[0] or 0), int(row[1] or 0))


def eod_report(ctx: Ctx, day: date | None = None) -> EodReport:
    """The figures of ``day`` (today by default)."""
    day = check_day(day or ctx.today())
    start, end = _span(day)
    with ctx.tx(write=False) as t:
        cfg = shop_settings.load(t)
        s = t.s
        in_day = and_(Sale.created_at >= start, Sale.created_at < end)
        is_void = Sale.note.like("void: %")

        def tally(*where) -> Tally:
            return _tally(s.execute(select(func.count(Sale.id), func.sum(Sale.total)).where(in_day, *where)).one())

        sales = tally(Sale.kind == "sale")
        refunds = tally(Sale.kind == "refund", ~is_void)
        voids = tally(Sale.kind == "refund", is_void)
        member_sales = tally(Sale.kind == "sale", Sale.member_id.is_not(None))
        walkin_sales = tally(Sale.kind == "sale", Sale.member_id.is_(None))
        discounts = int(s.execute(select(func.sum(Sale.tier_discount + Sale.manual_discount))
                                  .where(in_day, Sale.kind == "sale")).scalar() or 0)
        by_method = {m: int(a) for m, a in s.execute(
            select(Payment.method, func.sum(Payment.amount)).join(Sale, Sale.id == Payment.sale_id)
            .where(in_day).group_by(Payment.method).order_by(Payment.method)).all()}
        hours = [0] * 24
        for at, total in s.execute(select(Sale.created_at, Sale.total).where(in_day)).all():
            hours[at.hour] += total

        topup_day = and_(Topup.created_at >= start, Topup.created_at < end)
        topped_up = _tally(s.execute(select(func.count(Topup.id), func.sum(Topup.amount)).where(topup_day)).one())
        cash_topups = int(s.execute(select(func.sum(Topup.amount))
                                    .where(topup_day, Topup.pay_method == "cash")).scalar() or 0)
        w_day = and_(WalletEntry.created_at >= start, WalletEntry.created_at < end)
        wallet = {k: (int(p or 0), int(b or 0)) for k, p, b in s.execute(
            select(WalletEntry.kind, func.sum(WalletEntry.principal), func.sum(WalletEntry.bonus))
            .where(w_day).group_by(WalletEntry.kind)).all()}

        def w(kind: str) -> int:
            return sum(wallet.get(kind, (0, 0)))

        # A cash-out pays the principal back in cash (the bonus is forfeited); a refunded top-up goes
        # back the way it was paid.
        cash_refunded_topups = int(s.execute(
            select(func.sum(WalletEntry.principal)).join(Topup, Topup.id == WalletEntry.topup_id)
            .where(w_day, WalletEntry.kind == "topup_refund", Topup.pay_method == "cash")).scalar() or 0)
        cash_paid_out = wallet.get("cashout", (0, 0))[0] + cash_refunded_topups
        # At the close: what the members hold now (the cached balances, each equal to its ledger) less
        # what moved after the close, so a recent day reads a few rows instead of the whole ledger.
        held = s.execute(select(func.sum(Member.wallet_principal), func.sum(Member.wallet_bonus),
                                func.sum(Member.points_balance))).one()
        later = s.execute(select(func.sum(WalletEntry.principal), func.sum(WalletEntry.bonus))
                          .where(WalletEntry.created_at >= end)).one()
        outstanding = (int(held[0] or 0) - int(later[0] or 0), int(held[1] or 0) - int(later[1] or 0))

        p_day = and_(PointsEntry.created_at >= start, PointsEntry.created_at < end)
        pts = {k: int(v or 0) for k, v in s.execute(
            select(PointsEntry.kind, func.sum(PointsEntry.points)).where(p_day).group_by(PointsEntry.kind)).all()}
        points_outstanding = int(held[2] or 0) - int(s.execute(select(func.sum(PointsEntry.points))
                                                               .where(PointsEntry.created_at >= end)).scalar() or 0)

        # Points about to lapse (first in, first out, as the ledger stands now), and who holds the most.
        n_expiring, expiring_points, expiring = points.lapsing_summary(
            t, day, day + timedelta(days=EXPIRING_DAYS), EXPIRING_LIST)

        vouchers = _tally(s.execute(
            select(func.count(Payment.id), func.sum(Payment.amount)).join(Sale, Sale.id == Payment.sale_id)
            .where(in_day, Payment.method == "voucher", Sale.kind == "sale")).one())
        new_members = int(s.execute(select(func.count(Member.id))
                                    .where(Member.created_at >= start, Member.created_at < end)).scalar() or 0)

        sent_day = and_(Message.sent_at >= start, Message.sent_at < end)
        texts_sent, segments = s.execute(select(func.count(Message.id), func.sum(Message.segments))
                                         .where(sent_day, Message.status.in_(("sent", "delivered")))).one()
        made_day = and_(Message.created_at >= start, Message.created_at < end)
        texts_failed = s.execute(select(func.count(Message.id)).where(made_day, Message.status == "failed")).scalar()
        # Deferred: made today, still waiting at the close for quiet hours or the daily cap to pass.
        texts_deferred = s.execute(select(func.count(Message.id))
                                   .where(made_day, Message.status == "queued", Message.due_at >= end)).scalar()

        top = s.execute(
            select(SaleLine.sku, func.max(SaleLine.name), func.sum(SaleLine.qty), func.sum(SaleLine.line_total),
                   func.sum(SaleLine.qty * SaleLine.unit_cost),
                   func.sum(case((SaleLine.unit_cost.is_(None), 1), else_=0)))
            .join(Sale, Sale.id == SaleLine.sale_id).where(in_day)
            .group_by(SaleLine.sku).order_by(func.sum(SaleLine.line_total).desc(), SaleLine.sku)
            .limit(TOP_PRODUCTS)).all()
        cashiers = s.execute(
            select(Staff.name, func.sum(case((Sale.kind == "sale", 1), else_=0)), func.sum(Sale.total))
            .outerjoin(Staff, Staff.id == Sale.staff_id).where(in_day)
            .group_by(Staff.name).order_by(func.sum(Sale.total).desc(), Staff.name)).all()

        report = EodReport(
            day=day, shop_name=cfg.shop_name, currency=cfg.currency, language=cfg.language,
            generated_at=t.now(),
            sales=sales, refunds=refunds, voids=voids, member_sales=member_sales, walkin_sales=walkin_sales,
            discounts=discounts, by_method=by_method, by_hour=tuple(hours),
            cash_sales=by_method.get("cash", 0), cash_topups=cash_topups, cash_paid_out=cash_paid_out,
            topped_up=topped_up, topup_bonus=wallet.get("topup", (0, 0))[1],
            wallet_spent=w("spend"), wallet_refunded=w("refund"), wallet_paid_out=w("cashout") + w("topup_refund"),
            wallet_adjusted=w("adjustment") + w("opening"),
            outstanding_principal=outstanding[0], outstanding_bonus=outstanding[1],
            points_issued=pts.get("earn", 0), points_redeemed=pts.get("redeem", 0),
            points_expired=pts.get("expire", 0),
            points_other=pts.get("refund", 0) + pts.get("adjust", 0) + pts.get("opening", 0),
            points_outstanding=points_outstanding, points_expiring=Tally(n_expiring, expiring_points),
            vouchers_redeemed=vouchers, new_members=new_members,
            texts_sent=int(texts_sent or 0), texts_failed=int(texts_failed or 0),
            texts_deferred=int(texts_deferred or 0), text_segments=int(segments or 0),
            top_products=tuple(ProductRow(sku, name, int(q), int(a), None if uncosted else int(c or 0))
                               for sku, name, q, a, c, uncosted in top),
            cashiers=tuple(CashierRow(n or "", int(c), int(a)) for n, c, a in cashiers),
            birthdays_today=_birthdays(t, day, LIST_TOP), birthdays_tomorrow=_birthdays(t, day + timedelta(days=1), LIST_TOP),
            at_risk=_at_risk(t, end, LIST_TOP), expiring_soon=_expiring_rows(t, expiring, day),
            birthdays_today_count=_count(t, birthdays_query(day)),
            birthdays_tomorrow_count=_count(t, birthdays_query(day + timedelta(days=1))),
            at_risk_count=_count(t, at_risk_query(end)),
        )
    return report


def _count(t: Ctx, q) -> int:
    return int(t.s.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar() or 0)


def _member_rows(t: Ctx, q, note) -> tuple[MemberRow, ...]:
    from app.models import Tier

    lang = shop_settings.load(t).language
    rows = t.s.execute(q.add_columns(Tier.name_en, Tier.name_zh)
                       .outerjoin(Tier, Tier.id == Member.tier_id)).all()
    return tuple(MemberRow(r.id, r.name, phones.mask(r.phone) if r.phone else "",
                           i18n.pick(lang, r[-2] or "", r[-1] or "", context="tier"), note(r), r.total_spent)
                 for r in rows)


def birthdays_query(day: date):
    """Members whose birthday, solar or lunar, falls on ``day``, most valuable first (the care
    engine's conventions: 29 February on the 28th, a missing leap month or lunar day 30 moved);
    read off ix_members_birthday."""
    from app.services.care.dates import lunar_keys_on, solar_keys_on

    solar = [and_(Member.birthday_calendar == "solar", Member.birthday_month == m, Member.birthday_day == d)
             for m, d in solar_keys_on(day)]
    lunar = [and_(Member.birthday_calendar == "lunar", Member.birthday_month == m, Member.birthday_day == d,
                  Member.birthday_leap_month.is_(leap))
             for m, d, leap in lunar_keys_on(day)]
    return (select(Member.id, Member.name, Member.phone, Member.total_spent, Member.birth_year,
                   Member.birthday_calendar)
            .where(Member.erased_at.is_(None), or_(*solar, *lunar))
            .order_by(Member.total_spent.desc(), Member.id))


def age_on(day: date):
    """The age a birthday row (of ``birthdays_query``) turns on ``day``: "" without a birth year."""
    from app.services.care.dates import lunar_of

    lunar_year = lunar_of(day)[0]

    def age(r) -> str:
        if not r.birth_year:
            return ""
        return str((lunar_year if r.birthday_calendar == "lunar" else day.year) - r.birth_year)

    return age


def _birthdays(t: Ctx, day: date, limit: int | None = None) -> tuple[MemberRow, ...]:
    q = birthdays_query(day)
    return _member_rows(t, q if limit is None else q.limit(limit), age_on(day))


def at_risk_query(end: datetime):
    """Valuable members who stopped coming: at least 3 visits, and the days since the last visit
    are more than 45 and more than 2.5 times their own average gap, biggest spenders first.

    Written for ix_members_at_risk (partial on ``visits >= 3``, so the 3 is a constant in the SQL,
    and covering every column the test reads): the count walks that index alone and the top of the
    list reads it backwards by total spent, stopping at the limit (id, total spent and the days away:
    the index holds them all). "Away more than 45 days" is a
    difference of days rather than ``last_visit_at < cut``, so SQLite does not pick the last-visit
    index instead (it matches most members of a shop open a while, each read from the table)."""
    away = days_between(end, Member.last_visit_at)
    return (select(Member.id, Member.total_spent, away.label("away"))
            .where(Member.erased_at.is_(None), Member.visits >= literal_column(str(AT_RISK_MIN_VISITS)),
                   away > AT_RISK_MIN_DAYS,
                   away * Member.visits > AT_RISK_GAPS * days_between(Member.last_visit_at, Member.join_date))
            .order_by(Member.total_spent.desc(), Member.id.desc()))


def _at_risk(t: Ctx, end: datetime, limit: int | None = None) -> tuple[MemberRow, ...]:
    # The index answers the ids alone (a covering read); then the names of those few.
    q = at_risk_query(end)
    top = t.s.execute(q if limit is None else q.limit(limit)).all()
    if not top:
        return ()
    away = {r.id: r.away for r in top}
    rows = _member_rows(t, select(Member.id, Member.name, Member.phone, Member.total_spent)
                        .where(Member.id.in_(list(away))), lambda r: str(int(away[r.id])))
    order = {r.id: i for i, r in enumerate(top)}
    return tuple(sorted(rows, key=lambda m: order[m.member_id]))


def _expiring_rows(t: Ctx, top: list[tuple[int, int]], day: date) -> tuple[ExpiringRow, ...]:
    if not top:
        return ()
    people = {r.id: r for r in t.s.execute(select(Member.id, Member.name, Member.phone)
                                            .where(Member.id.in_([mid for mid, _ in top]))).all()}
    first = points.first_lapses(t, [mid for mid, _ in top], day)   # one query, not one a member
    return tuple(ExpiringRow(mid, people[mid].name, phones.mask(people[mid].phone) if people[mid].phone else "", pts,
                             first.get(mid, day + timedelta(days=EXPIRING_DAYS)))
                 for mid, pts in top)
