"""The only writers of cached balances: each posts a ledger entry and moves the member's cache in
the same transaction, debits by one conditional UPDATE that cannot overdraw (two tills on one
PostgreSQL database included).

The statements are built once and run on the session's connection: a sale posts several entries,
and the ORM's per-statement work would cost more than the writes themselves.
"""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import InsufficientFunds, ValidationError
from app.money import MAX_BALANCE, MAX_CARD_USES, MAX_POINTS_BALANCE
from app.models import CountCard, CountCardEntry, Member, PointsEntry, WalletEntry
from app.services.base.context import Ctx
from app.services.base.prepared import Prepared

_m = Member.__table__
_c = CountCard.__table__


def _within(col, delta: str, maximum: int):
    """The guards of one conditional move: "+ delta >= 0" stops an overdraft (always true for a
    credit); a credit may not take the balance past its shop-sized bound (app.money)."""
    return (col + bindparam(delta) >= 0) & or_(bindparam(delta) <= 0, col + bindparam(delta) <= maximum)


_MOVE_WALLET = (update(_m).where(_m.c.id == bindparam("b_id"),
                                 _within(_m.c.wallet_principal, "b_p", MAX_BALANCE),
                                 _within(_m.c.wallet_bonus, "b_b", MAX_BALANCE))
                .values(wallet_principal=_m.c.wallet_principal + bindparam("b_p"),
                        wallet_bonus=_m.c.wallet_bonus + bindparam("b_b")))
_MOVE_POINTS = (update(_m).where(_m.c.id == bindparam("b_id"), _within(_m.c.points_balance, "b_n", MAX_POINTS_BALANCE))
                .values(points_balance=_m.c.points_balance + bindparam("b_n")))
_MOVE_USES = (update(_c).where(_c.c.id == bindparam("b_id"), _within(_c.c.uses_left, "b_n", MAX_CARD_USES))
              .values(uses_left=_c.c.uses_left + bindparam("b_n")))
_INSERT = {model: insert(model.__table__).returning(model.__table__.c.id)
           for model in (WalletEntry, PointsEntry, CountCardEntry)}


# A sale's moves on its member, in ONE conditional UPDATE: the stored-value spend, the points it
# redeems and earns, the visit and the tier. Its WHERE holds the balances the sale was planned on
# (the snapshot: a member changed since is not touched, and the sale is planned again under the lock)
# and the same guards as each move alone: no balance below zero, points within their bound.
_SALE_MOVE = Prepared(
    update(_m).where(_m.c.id == bindparam("b_id"), _m.c.erased_at.is_(None),
                     _m.c.wallet_principal == bindparam("b_p0"), _m.c.wallet_bonus == bindparam("b_b0"),
                     _m.c.points_balance == bindparam("b_n0"), _m.c.total_spent == bindparam("b_s0"),
                     _m.c.tier_id.is_not_distinct_from(bindparam("b_tier0")),
                     _m.c.wallet_principal - bindparam("b_sp") >= 0, _m.c.wallet_bonus - bindparam("b_sb") >= 0,
                     _m.c.points_balance - bindparam("b_redeem") >= 0,
                     _m.c.points_balance - bindparam("b_redeem") + bindparam("b_earn") <= MAX_POINTS_BALANCE)
    .values(wallet_principal=_m.c.wallet_principal - bindparam("b_sp"),
            wallet_bonus=_m.c.wallet_bonus - bindparam("b_sb"),
            points_balance=_m.c.points_balance - bindparam("b_redeem") + bindparam("b_earn"),
            total_spent=_m.c.total_spent + bindparam("b_total"), visits=_m.c.visits + 1,
            last_visit_at=bindparam("b_now"), updated_at=bindparam("b_now"), tier_id=bindparam("b_tier")))
_WALLET_ROW = Prepared(insert(WalletEntry.__table__),
                       ("member_id", "kind", "principal", "bonus", "sale_id", "topup_id", "staff_id", "created_at",
                        "note"))
_POINTS_ROW = Prepared(insert(PointsEntry.__table__),
                       ("member_id", "kind", "points", "expires_on", "sale_id", "staff_id", "created_at", "note"))


def claim_sale(t: Ctx, member, *, spend: tuple[int, int], redeem: list[int], earn: int, total: int,
               tier_id: int | None, now: datetime) -> bool:
    """A sale's moves on ``member`` (a snapshot: ``members.snapshot``) in ONE conditional UPDATE:
    ``spend`` (principal, bonus) of stored value, the ``redeem`` points taken, ``earn`` points, the
    visit (``total`` spent) and the tier set to ``tier_id``. Its entries follow with
    :func:`sale_entries` once the sale row exists, in the same transaction.

    Returns False, having changed nothing, when the member's row is no longer the snapshot (another
    till moved it, or it was erased): plan the sale again on a fresh read. True when moved; the
    snapshot then holds the new values."""
    sp, sb = spend
    redeemed = sum(redeem)
    _whole(sp, sb, maximum=MAX_BALANCE)
    _whole(redeemed, earn, maximum=MAX_POINTS_BALANCE)
    s = t.s
    if s.identity_map or s.new or s.deleted:
        s.flush()  # a caller's pending changes first (a batch joining this transaction)
    moved = _SALE_MOVE.run(s.connection(), {
        "b_id": member.id, "b_p0": member.wallet_principal, "b_b0": member.wallet_bonus,
        "b_n0": member.points_balance, "b_s0": member.total_spent, "b_tier0": member.tier_id,
        "b_sp": sp, "b_sb": sb, "b_redeem": redeemed, "b_earn": earn, "b_total": total, "b_now": now,
        "b_tier": tier_id}).rowcount
    if moved != 1:
        return False
    if s.identity_map:  # a loaded Member of this transaction reads its new values afresh
        obj = s.identity_map.get(s.identity_key(Member, member.id))  # type: ignore[arg-type]
        if obj is not None:
            s.expire(obj)
    member.wallet_principal -= sp
    member.wallet_bonus -= sb
    member.points_balance += earn - redeemed
    member.total_spent += total
    member.visits += 1
    member.tier_id = tier_id
    return True


def sale_entries(t: Ctx, member_id: int, *, sale_id: int, payments: list[tuple], exchange: int | None,
                 earn: int, earn_expires: date | None, now: datetime) -> None:
    """The ledger entries of the moves :func:`claim_sale` made: one wallet 'spend' per stored-value
    payment, one points 'redeem' per points payment and for the points exchange, one 'earn'.
    ``payments``: (method, wallet principal, wallet bonus, points) of each payment."""
    conn, staff = t.s.connection(), t.actor.id
    for method, principal, bonus, _pts in payments:
        if method == "wallet":
            _WALLET_ROW.run(conn, dict(member_id=member_id, kind="spend", principal=-principal, bonus=-bonus,
                                       sale_id=sale_id, topup_id=None, staff_id=staff, created_at=now, note=""))
    entries = [dict(member_id=member_id, kind="redeem", points=-pts, expires_on=None, sale_id=sale_id,
                    staff_id=staff, created_at=now, note="") for method, _p, _b, pts in payments if method == "points"]
    if exchange:
        entries.append(dict(member_id=member_id, kind="redeem", points=-exchange, expires_on=None,
                            sale_id=sale_id, staff_id=staff, created_at=now, note=""))
    if earn:
        entries.append(dict(member_id=member_id, kind="earn", points=earn, expires_on=earn_expires,
                            sale_id=sale_id, staff_id=staff, created_at=now, note=""))
    if len(entries) == 1:
        _POINTS_ROW.run(conn, entries[0])
    elif entries:
        _POINTS_ROW.run_many(conn, entries)


def post_wallet(t: Ctx, member_id: int, kind: str, principal: int, bonus: int, *,
                sale_id: int | None = None, topup_id: int | None = None, note: str = "") -> SimpleNamespace:
    """Move stored value by (principal, bonus), each signed; refuse to take either below zero."""
    _whole(principal, bonus, maximum=MAX_BALANCE)
    params = {"b_id": member_id, "b_p": principal, "b_b": bonus}
    if _move(t, _MOVE_WALLET, params, Member, member_id, wallet_principal=principal, wallet_bonus=bonus) != 1:
        _over(t, _m, member_id, {"wallet_principal": principal, "wallet_bonus": bonus}, MAX_BALANCE)
        raise InsufficientFunds("wallet_insufficient", balance="?", amount=-(principal + bonus))
    return _entry(t, WalletEntry, member_id=member_id, kind=kind, principal=principal, bonus=bonus,
                  sale_id=sale_id, topup_id=topup_id, staff_id=t.actor.id, created_at=t.now(), note=note)


def post_points(t: Ctx, member_id: int, kind: str, points: int, *, expires_on: date | None = None,
                sale_id: int | None = None, note: str = "") -> SimpleNamespace:
    """Move points by a signed amount; a debit cannot take the balance below zero."""
    _whole(points, maximum=MAX_POINTS_BALANCE)
    if _move(t, _MOVE_POINTS, {"b_id": member_id, "b_n": points}, Member, member_id, points_balance=points) != 1:
        _over(t, _m, member_id, {"points_balance": points}, MAX_POINTS_BALANCE)
        raise InsufficientFunds("points_insufficient", member=member_id, balance="?", points=-points)
    return _entry(t, PointsEntry, member_id=member_id, kind=kind, points=points, expires_on=expires_on,
                  sale_id=sale_id, staff_id=t.actor.id, created_at=t.now(), note=note)


def post_points_many(t: Ctx, kind: str, rows: list[tuple[int, int]], *, note: str = "",
                     batch: int = 20_000, at: datetime | None = None) -> None:
    """``post_points`` for many members at once (the nightly expiry run over 200,000 members): the
    same conditional UPDATE and one entry per (member_id, signed points), sent as executemany.
    All or nothing: if any debit would go below zero, the whole call is refused. ``at`` dates the
    entries (default now: the expiry run dates a caught-up day on that day)."""
    if not rows:
        return
    _whole(*(pts for _, pts in rows), maximum=MAX_POINTS_BALANCE)
    t.s.flush()
    conn = t.s.connection()
    m = Member.__table__
    move = (m.update().where(m.c.id == bindparam("b_member"), _within(m.c.points_balance, "b_pts", MAX_POINTS_BALANCE))
            .values(points_balance=m.c.points_balance + bindparam("b_pts")))
    now, staff = at or t.now(), t.actor.id
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
                    note: str = "", at: datetime | None = None) -> SimpleNamespace:
    _whole(uses, maximum=MAX_CARD_USES)
    if _move(t, _MOVE_USES, {"b_id": card_id, "b_n": uses}, CountCard, card_id, uses_left=uses) != 1:
        _over(t, _c, card_id, {"uses_left": uses}, MAX_CARD_USES)
        raise InsufficientFunds("countcard_empty", id=card_id)
    return _entry(t, CountCardEntry, card_id=card_id, kind=kind, uses=uses, sale_id=sale_id,
                  staff_id=t.actor.id, created_at=at or t.now(), note=note)


def _whole(*values: object, maximum: int) -> None:
    """The last guard before the database: a movement is an int within its bound (a float or a
    number past 2**63 would be stored as a float by SQLite, or refused raw by the driver)."""
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or abs(v) > maximum:
            raise ValidationError("ledger_amount_invalid", value=repr(v)[:40], max=maximum)


def _over(t: Ctx, table, pk: int, deltas: dict[str, int], maximum: int) -> None:
    """After a refused move: raise the clear refusal when a credit would pass the bound (the
    caller raises its own "insufficient" otherwise)."""
    row = t.s.connection().execute(select(*(table.c[k] for k in deltas)).where(table.c.id == pk)).first()
    if row is not None and any(d > 0 and v + d > maximum for v, d in zip(row, deltas.values(), strict=True)):
        raise ValidationError("balance_too_large", max=maximum)


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
