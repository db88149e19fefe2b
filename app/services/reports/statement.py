"""A member's statement over a period: opening balances, every movement in order with the running
stored-value and points balances after it, and the closing balances (what a customer asks for at
the counter). Read from the ledgers alone, so closing == opening + the movements, always.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app.errors import ValidationError
from app.models import PointsEntry, Sale, SaleLine, WalletEntry
from app.services.members import members
from app.services.base.context import Ctx
from app.services.base.days import check_day
from app.services.members.members import MemberView

MAX_DAYS = 3 * 366   # a longer period is several statements: it would not print on a few pages anyway


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    kind: str              # sale, refund, topup, topup_refund, cashout, adjustment, opening, expire, points_adjust
    reference: str         # receipt number, or "" for ledger-only movements
    detail: str            # items of a sale, the note of an adjustment
    amount: int            # what the sale came to / the money paid in or out (0 for points-only lines)
    bonus: int             # bonus stored value a top-up added (or its refund removed)
    wallet: int            # change of stored value (principal + bonus)
    points: int            # change of points
    wallet_after: int
    points_after: int


@dataclass(frozen=True)
class Statement:
    member: MemberView
    start: date
    end: date              # inclusive
    opening_wallet: int
    opening_points: int
    lines: tuple[StatementLine, ...]
    closing_wallet: int
    closing_points: int
    purchases: int         # net of refunds
    topped_up: int         # paid in, less top-up refunds
    points_earned: int
    points_used: int       # negative: redeemed and expired


def member_statement(ctx: Ctx, member_id: int, start: date, end: date) -> Statement:
    check_day(start, "from")
    check_day(end, "to")
    if end < start:
        raise ValidationError("date_range_invalid", start=start.isoformat(), end=end.isoformat())
    if (end - start).days > MAX_DAYS:
        raise ValidationError("statement_too_long", days=MAX_DAYS)
    t0, t1 = datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)
    with ctx.tx(write=False) as t:
        m = members.view(t, members.get_row(t, member_id))
        s = t.s
        opening_wallet = int(s.execute(select(func.sum(WalletEntry.principal + WalletEntry.bonus))
                                       .where(WalletEntry.member_id == member_id, WalletEntry.created_at < t0))
                             .scalar() or 0)
        opening_points = int(s.execute(select(func.sum(PointsEntry.points))
                                       .where(PointsEntry.member_id == member_id, PointsEntry.created_at < t0))
                             .scalar() or 0)
        sales = s.execute(select(Sale.id, Sale.kind, Sale.receipt_no, Sale.created_at, Sale.total)
                          .where(Sale.member_id == member_id, Sale.created_at >= t0, Sale.created_at < t1)).all()
        wallet = s.execute(select(WalletEntry.id, WalletEntry.kind, WalletEntry.principal, WalletEntry.bonus,
                                  WalletEntry.sale_id, WalletEntry.topup_id, WalletEntry.created_at, WalletEntry.note)
                           .where(WalletEntry.member_id == member_id, WalletEntry.created_at >= t0,
                                  WalletEntry.created_at < t1)).all()
        pts = s.execute(select(PointsEntry.id, PointsEntry.kind, PointsEntry.points, PointsEntry.sale_id,
                               PointsEntry.created_at, PointsEntry.note)
                        .where(PointsEntry.member_id == member_id, PointsEntry.created_at >= t0,
                               PointsEntry.created_at < t1)).all()
        ids = [x.id for x in sales]
        items: dict[int, list[str]] = {}
        if ids:
            for sid, name, qty in s.execute(select(SaleLine.sale_id, SaleLine.name, SaleLine.qty)
                                            .where(SaleLine.sale_id.in_(ids))
                                            .order_by(SaleLine.sale_id, SaleLine.line_no)):
                items.setdefault(sid, []).append(name if abs(qty) == 1 else f"{name} ×{abs(qty)}")

    # One line per sale (its wallet and points movements folded in), one per other movement.
    rows: list[tuple] = []   # (at, order, kind, reference, detail, amount, bonus, wallet, points)
    by_sale_w: dict[int, int] = {}
    by_sale_p: dict[int, int] = {}
    for w in wallet:
        if w.sale_id is not None:
            by_sale_w[w.sale_id] = by_sale_w.get(w.sale_id, 0) + w.principal + w.bonus
        else:
            money_kind = w.kind in ("topup", "topup_refund", "cashout")
            rows.append((w.created_at, w.id, w.kind, "", "" if money_kind else w.note,
                         w.principal if money_kind else 0, w.bonus if w.kind != "cashout" else 0,
                         w.principal + w.bonus, 0))
    for p in pts:
        if p.sale_id is not None:
            by_sale_p[p.sale_id] = by_sale_p.get(p.sale_id, 0) + p.points
        else:
            kind = {"adjust": "points_adjust", "expire": "expire", "opening": "points_opening"}.get(p.kind, p.kind)
            rows.append((p.created_at, p.id, kind, "", p.note, 0, 0, 0, p.points))
    for x in sales:
        rows.append((x.created_at, x.id, x.kind, x.receipt_no, ", ".join(items.get(x.id, [])), x.total, 0,
                     by_sale_w.get(x.id, 0), by_sale_p.get(x.id, 0)))
    rows.sort(key=lambda r: (r[0], r[1]))

    lines = []
    wallet_bal, points_bal = opening_wallet, opening_points
    for at, _order, kind, ref, detail, amount, bonus, dw, dp in rows:
        wallet_bal += dw
        points_bal += dp
        lines.append(StatementLine(at, kind, ref, detail, amount, bonus, dw, dp, wallet_bal, points_bal))
    return Statement(
        member=m, start=start, end=end, opening_wallet=opening_wallet, opening_points=opening_points,
        lines=tuple(lines), closing_wallet=wallet_bal, closing_points=points_bal,
        purchases=sum(x.total for x in sales),
        topped_up=sum(w.principal for w in wallet if w.kind in ("topup", "topup_refund")),
        points_earned=sum(p.points for p in pts if p.points > 0 and p.kind in ("earn", "refund")),
        points_used=sum(p.points for p in pts if p.kind in ("redeem", "expire")),
    )
