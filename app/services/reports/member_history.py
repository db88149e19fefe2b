"""Everything the member page shows about one member, read in one transaction: the profile with its
consent details, balances and count cards, and the member's history (purchases, top-ups, points,
stored-value entries, messages, contact notes), each newest first and limited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.models import (ContactNote, Member, Message, Payment, PointsEntry, Sale, SaleLine, Staff, Topup,
                        WalletEntry)
from app.services.care import callbacks
from app.services.ledger import countcards, points
from app.services.members import members
from app.services.base.context import Ctx
from app.services.ledger.countcards import CountCardView
from app.services.members.members import MemberView

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Consent:
    care: bool
    care_at: datetime | None
    care_source: str | None
    marketing: bool
    marketing_at: datetime | None
    marketing_source: str | None
    opted_out_at: datetime | None
    ebill_enabled: bool


@dataclass(frozen=True)
class Purchase:
    sale_id: int
    receipt_no: str
    kind: str                 # sale | refund
    created_at: datetime
    total: int
    items: str                # "Latte ×2, Croissant"
    methods: tuple[str, ...]  # payment methods, in order: cash, card, wallet, points, voucher…
    points_earned: int


@dataclass(frozen=True)
class TopupLine:
    id: int
    created_at: datetime
    amount: int
    bonus: int
    pay_method: str
    status: str               # done | refunded


@dataclass(frozen=True)
class PointsLine:
    id: int
    created_at: datetime
    kind: str
    points: int
    expires_on: date | None
    receipt_no: str | None
    note: str


@dataclass(frozen=True)
class WalletLine:
    id: int
    created_at: datetime
    kind: str
    principal: int
    bonus: int
    receipt_no: str | None
    note: str


@dataclass(frozen=True)
class MessageLine:
    id: int
    created_at: datetime
    kind: str
    category: str
    status: str
    body: str
    sent_at: datetime | None


@dataclass(frozen=True)
class ContactLine:
    id: int
    created_at: datetime
    kind: str
    body: str
    outcome: str
    staff: str
    next_contact_on: date | None
    resolved_at: datetime | None = None     # care: a complaint's resolution (callbacks.py)
    resolution: str | None = None


@dataclass(frozen=True)
class MemberPage:
    member: MemberView
    consent: Consent
    referrer_name: str | None
    count_cards: tuple[CountCardView, ...]
    purchases: tuple[Purchase, ...]
    topups: tuple[TopupLine, ...]
    points: tuple[PointsLine, ...]
    wallet: tuple[WalletLine, ...]
    messages: tuple[MessageLine, ...]
    contacts: tuple[ContactLine, ...]
    tasks: tuple = ()   # care: callbacks.TaskView, open first (what is due next)
    # the next days on which some of the member's points lapse: ((day, points), ...), soonest first
    points_expiring: tuple[tuple[date, int], ...] = ()


def _receipts(t: Ctx, sale_ids: set[int]) -> dict[int, str]:
    if not sale_ids:
        return {}
    return dict(t.s.execute(select(Sale.id, Sale.receipt_no).where(Sale.id.in_(sale_ids))).all())


def purchases(t: Ctx, member_id: int, limit: int = HISTORY_LIMIT) -> tuple[Purchase, ...]:
    sales = t.s.execute(select(Sale.id, Sale.receipt_no, Sale.kind, Sale.created_at, Sale.total, Sale.points_earned)
                        .where(Sale.member_id == member_id)
                        .order_by(Sale.created_at.desc(), Sale.id.desc()).limit(limit)).all()
    ids = [s.id for s in sales]
    items: dict[int, list[str]] = {}
    methods: dict[int, list[str]] = {}
    if ids:
        for sale_id, name, qty in t.s.execute(select(SaleLine.sale_id, SaleLine.name, SaleLine.qty)
                                              .where(SaleLine.sale_id.in_(ids))
                                              .order_by(SaleLine.sale_id, SaleLine.line_no)):
            items.setdefault(sale_id, []).append(name if abs(qty) == 1 else f"{name} ×{abs(qty)}")
        for sale_id, method in t.s.execute(select(Payment.sale_id, Payment.method).where(Payment.sale_id.in_(ids))
                                           .order_by(Payment.sale_id, Payment.id)):
            got = methods.setdefault(sale_id, [])
            if method not in got:
                got.append(method)
    return tuple(Purchase(sale_id=s.id, receipt_no=s.receipt_no, kind=s.kind, created_at=s.created_at,
                          total=s.total, items=", ".join(items.get(s.id, [])), methods=tuple(methods.get(s.id, [])),
                          points_earned=s.points_earned) for s in sales)


def member_page(ctx: Ctx, member_id: int, limit: int = HISTORY_LIMIT) -> MemberPage:
    """The member page's data; raises NotFound (member_not_found) for an unknown id."""
    limit = max(1, int(limit))
    with ctx.tx(write=False) as t:
        m: Member = members.get_row(t, member_id)
        view = members.view(t, m)
        consent = Consent(care=m.consent_care, care_at=m.consent_care_at, care_source=m.consent_care_source,
                          marketing=m.consent_marketing, marketing_at=m.consent_marketing_at,
                          marketing_source=m.consent_marketing_source, opted_out_at=m.opted_out_at,
                          ebill_enabled=m.ebill_enabled)
        referrer = t.s.get(Member, m.referrer_id).name if m.referrer_id else None
        cards = tuple(countcards.cards_for(t, member_id))
        topups = tuple(TopupLine(r.id, r.created_at, r.amount, r.bonus, r.pay_method, r.status)
                       for r in t.s.execute(select(Topup).where(Topup.member_id == member_id)
                                            .order_by(Topup.id.desc()).limit(limit)).scalars())
        pts = t.s.execute(select(PointsEntry).where(PointsEntry.member_id == member_id)
                          .order_by(PointsEntry.id.desc()).limit(limit)).scalars().all()
        wal = t.s.execute(select(WalletEntry).where(WalletEntry.member_id == member_id)
                          .order_by(WalletEntry.id.desc()).limit(limit)).scalars().all()
        receipts = _receipts(t, {e.sale_id for e in (*pts, *wal) if e.sale_id})
        points_lines = tuple(PointsLine(e.id, e.created_at, e.kind, e.points, e.expires_on,
                                        receipts.get(e.sale_id) if e.sale_id else None, e.note or "") for e in pts)
        wallet_lines = tuple(WalletLine(e.id, e.created_at, e.kind, e.principal, e.bonus,
                                        receipts.get(e.sale_id) if e.sale_id else None, e.note or "") for e in wal)
        msgs = tuple(MessageLine(r.id, r.created_at, r.kind, r.category, r.status, r.body, r.sent_at)
                     for r in t.s.execute(select(Message).where(Message.member_id == member_id)
                                          .order_by(Message.created_at.desc(), Message.id.desc())
                                          .limit(limit)).scalars())
        contacts = tuple(ContactLine(r.id, r.created_at, r.kind, r.body, r.outcome or "", name or "",
                                     r.next_contact_on, r.resolved_at, r.resolution)
                         for r, name in t.s.execute(select(ContactNote, Staff.name)
                                                    .outerjoin(Staff, Staff.id == ContactNote.staff_id)
                                                    .where(ContactNote.member_id == member_id)
                                                    .order_by(ContactNote.created_at.desc(), ContactNote.id.desc())
                                                    .limit(limit)).all())
        return MemberPage(member=view, consent=consent, referrer_name=referrer, count_cards=cards,
                          purchases=purchases(t, member_id, limit), topups=topups, points=points_lines,
                          wallet=wallet_lines, messages=msgs, contacts=contacts,
                          tasks=tuple(callbacks.member_tasks(t, member_id, limit)),
                          points_expiring=tuple(points.upcoming(t, member_id, t.today() - timedelta(days=1))))
