"""The only writers of cached balances: each posts a ledger entry and moves the member's cache in
the same transaction, debits by one conditional UPDATE that cannot overdraw (two tills on one
PostgreSQL database included)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, insert, update

from app.errors import InsufficientFunds
from app.models import CountCard, CountCardEntry, Member, PointsEntry, WalletEntry
from app.services.context import Ctx


def post_wallet(t: Ctx, member_id: int, kind: str, principal: int, bonus: int, *,
                sale_id: int | None = None, topup_id: int | None = None, note: str = "") -> WalletEntry:
    """Move stored value by (principal, bonus), each signed; refuse to take either below zero."""
    m = Member
    stmt = (update(Member).where(m.id == member_id)
            .values(wallet_principal=m.wallet_principal + principal, wallet_bonus=m.wallet_bonus + bonus))
    if principal < 0:
        stmt = stmt.where(m.wallet_principal >= -principal)
    if bonus < 0:
        stmt = stmt.where(m.wallet_bonus >= -bonus)
    if _run(t, stmt, Member, member_id, "wallet_principal", "wallet_bonus") != 1:
        raise InsufficientFunds("wallet_insufficient", balance="?", amount=-(principal + bonus))
    entry = WalletEntry(member_id=member_id, kind=kind, principal=principal, bonus=bonus, sale_id=sale_id,
                        topup_id=topup_id, staff_id=t.actor.id, created_at=t.now(), note=note)
    t.s.add(entry)
    return entry


def post_points(t: Ctx, member_id: int, kind: str, points: int, *, expires_on: date | None = None,
                sale_id: int | None = None, note: str = "") -> PointsEntry:
    """Move points by a signed amount; a debit cannot take the balance below zero."""
    m = Member
    stmt = update(Member).where(m.id == member_id).values(points_balance=m.points_balance + points)
    if points < 0:
        stmt = stmt.where(m.points_balance >= -points)
    if _run(t, stmt, Member, member_id, "points_balance") != 1:
        raise InsufficientFunds("points_insufficient", member=member_id, balance="?", points=-points)
    entry = PointsEntry(member_id=member_id, kind=kind, points=points, expires_on=expires_on,
                        sale_id=sale_id, staff_id=t.actor.id, created_at=t.now(), note=note)
    t.s.add(entry)
    return entry


def post_points_many(t: Ctx, kind: str, rows: list[tuple[int, int]], *, note: str = "",
                     batch: int = 20_000) -> None:
    """``post_points`` for many members at once (the nightly expiry run over 200,000 members): the
    same conditional UPDATE and one entry per (member_id, signed points), sent as executemany.
    All or nothing: if any debit would go below zero, the whole call is refused."""
    if not rows:
        return
    t.s.flush()
    conn = t.s.connection()
    m = Member.__table__
    move = (m.update().where(m.c.id == bindparam("b_member"), m.c.points_balance + bindparam("b_pts") >= 0)
            .values(points_balance=m.c.points_balance + bindparam("b_pts")))
    now, staff = t.now(), t.actor.id
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        changed = conn.execute(move, [{"b_member": mid, "b_pts": int(pts)} for mid, pts in chunk]).rowcount
        if changed != len(chunk):
            raise InsufficientFunds("points_insufficient", member="?", balance="?", points="?")
        conn.execute(insert(PointsEntry.__table__), [
            {"member_id": mid, "kind": kind, "points": int(pts), "expires_on": None, "sale_id": None,
             "staff_id": staff, "created_at": now, "note": note} for mid, pts in chunk])
    for obj in list(t.s.identity_map.values()):  # loaded members now hold a stale cached balance
        if isinstance(obj, Member):
            t.s.expire(obj, ["points_balance"])


def post_count_card(t: Ctx, card_id: int, kind: str, uses: int, *, sale_id: int | None = None,
                    note: str = "") -> CountCardEntry:
    c = CountCard
    stmt = update(CountCard).where(c.id == card_id).values(uses_left=c.uses_left + uses)
    if uses < 0:
        stmt = stmt.where(c.uses_left >= -uses)
    if _run(t, stmt, CountCard, card_id, "uses_left") != 1:
        raise InsufficientFunds("countcard_empty", id=card_id)
    entry = CountCardEntry(card_id=card_id, kind=kind, uses=uses, sale_id=sale_id, staff_id=t.actor.id,
                           created_at=t.now(), note=note)
    t.s.add(entry)
    return entry


def _run(t: Ctx, stmt, model, pk: int, *attrs: str) -> int:
    """Execute a conditional UPDATE and refresh the cached attributes of any loaded instance."""
    rows = t.s.execute(stmt.execution_options(synchronize_session=False)).rowcount
    obj = t.s.identity_map.get(t.s.identity_key(model, pk))  # type: ignore[arg-type]
    if obj is not None:
        t.s.expire(obj, list(attrs))
    return rows


def split_spend(principal_balance: int, bonus_balance: int, amount: int) -> tuple[int, int]:
    """How a stored-value spend of ``amount`` divides between paid principal and bonus.

    The shop rule: in proportion to the two balances (bonus share floored), so a member cannot
    spend the bonus first and cash out the principal. Raises when the balance is short.
    """
    total = principal_balance + bonus_balance
    if amount > total:
        raise InsufficientFunds("wallet_insufficient", balance=total, amount=amount)
    if total == 0:
        return 0, 0
    bonus = amount * bonus_balance // total
    principal = amount - bonus
    if principal > principal_balance:  # rounding pushed principal past what is there
        principal, bonus = principal_balance, amount - principal_balance
    return principal, bonus
