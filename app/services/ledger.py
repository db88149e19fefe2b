"""The only writers of cached balances: each posts a ledger entry and moves the member's cache in
the same transaction, debits by one conditional UPDATE that cannot overdraw (two tills on one
PostgreSQL database included).

The statements are built once and run on the session's connection: a sale posts several entries,
and the ORM's per-statement work would cost more than the writes themselves.
"""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import InsufficientFunds
from app.models import CountCard, CountCardEntry, Member, PointsEntry, WalletEntry
from app.services.context import Ctx

_m = Member.__table__
_c = CountCard.__table__
# "+ delta >= 0" is the overdraft guard for debits and always true for credits.
_MOVE_WALLET = (update(_m).where(_m.c.id == bindparam("b_id"),
                                 _m.c.wallet_principal + bindparam("b_p") >= 0,
                                 _m.c.wallet_bonus + bindparam("b_b") >= 0)
                .values(wallet_principal=_m.c.wallet_principal + bindparam("b_p"),
                        wallet_bonus=_m.c.wallet_bonus + bindparam("b_b")))
_MOVE_POINTS = (update(_m).where(_m.c.id == bindparam("b_id"), _m.c.points_balance + bindparam("b_n") >= 0)
                .values(points_balance=_m.c.points_balance + bindparam("b_n")))
_MOVE_USES = (update(_c).where(_c.c.id == bindparam("b_id"), _c.c.uses_left + bindparam("b_n") >= 0)
              .values(uses_left=_c.c.uses_left + bindparam("b_n")))
_INSERT = {model: insert(model.__table__).returning(model.__table__.c.id)
           for model in (WalletEntry, PointsEntry, CountCardEntry)}


def post_wallet(t: Ctx, member_id: int, kind: str, principal: int, bonus: int, *,
                sale_id: int | None = None, topup_id: int | None = None, note: str = "") -> SimpleNamespace:
    """Move stored value by (principal, bonus), each signed; refuse to take either below zero."""
    params = {"b_id": member_id, "b_p": principal, "b_b": bonus}
    if _move(t, _MOVE_WALLET, params, Member, member_id, wallet_principal=principal, wallet_bonus=bonus) != 1:
        raise InsufficientFunds("wallet_insufficient", balance="?", amount=-(principal + bonus))
    return _entry(t, WalletEntry, member_id=member_id, kind=kind, principal=principal, bonus=bonus,
                  sale_id=sale_id, topup_id=topup_id, staff_id=t.actor.id, created_at=t.now(), note=note)


def post_points(t: Ctx, member_id: int, kind: str, points: int, *, expires_on: date | None = None,
                sale_id: int | None = None, note: str = "") -> SimpleNamespace:
    """Move points by a signed amount; a debit cannot take the balance below zero."""
    if _move(t, _MOVE_POINTS, {"b_id": member_id, "b_n": points}, Member, member_id, points_balance=points) != 1:
        raise InsufficientFunds("points_insufficient", member=member_id, balance="?", points=-points)
    return _entry(t, PointsEntry, member_id=member_id, kind=kind, points=points, expires_on=expires_on,
                  sale_id=sale_id, staff_id=t.actor.id, created_at=t.now(), note=note)


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
                    note: str = "") -> SimpleNamespace:
    if _move(t, _MOVE_USES, {"b_id": card_id, "b_n": uses}, CountCard, card_id, uses_left=uses) != 1:
        raise InsufficientFunds("countcard_empty", id=card_id)
    return _entry(t, CountCardEntry, card_id=card_id, kind=kind, uses=uses, sale_id=sale_id,
                  staff_id=t.actor.id, created_at=t.now(), note=note)


def _entry(t: Ctx, model, **values) -> SimpleNamespace:
    """Insert one ledger row and hand back a read-only record with the model's attribute names."""
    entry_id = t.s.connection().execute(_INSERT[model], values).scalar_one()
    return SimpleNamespace(id=entry_id, **values)


def _move(t: Ctx, stmt, params: dict, model, pk: int, **deltas: int) -> int:
    """Run a conditional UPDATE on the session's connection (after flushing pending ORM changes);
    a loaded instance gets the same deltas in memory, so nothing is read back."""
    t.s.flush()
    rows = t.s.connection().execute(stmt, params).rowcount
    obj = t.s.identity_map.get(t.s.identity_key(model, pk))  # type: ignore[arg-type]
    if obj is not None:
        state = obj._sa_instance_state
        for attr, delta in deltas.items():
            if rows == 1 and attr in state.dict and attr not in state.committed_state:
                set_committed_value(obj, attr, state.dict[attr] + delta)
            else:
                t.s.expire(obj, [attr])
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
