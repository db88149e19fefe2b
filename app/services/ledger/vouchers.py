"""E-vouchers: unique codes, a fixed amount or a percentage, minimum spend, expiry, one use.
Redemption happens in checkout (a conditional update, so a voucher cannot be used twice)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from app.errors import NotFound, ValidationError, quoted
from app.models import Voucher
from app.money import check_amount
from app.services.base import audit, permissions
from app.services.base.context import Ctx

# No 0/O, 1/I/L: codes are read aloud and typed by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class VoucherView:
    id: int
    code: str
    member_id: int | None
    kind: str
    value: int
    min_spend: int
    expires_on: date | None
    status: str


def _view(v: Voucher) -> VoucherView:
    return VoucherView(v.id, v.code, v.member_id, v.kind, v.value, v.min_spend, v.expires_on, v.status)


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def issue(ctx: Ctx, *, value: int, kind: str = "amount", member_id: int | None = None, min_spend: int = 0,
          expires_on: date | None = None, campaign: str | None = None) -> VoucherView:
    permissions.require(ctx, "issue_voucher")
    if kind not in ("amount", "percent"):
        raise ValidationError("campaign_voucher_invalid", kind=kind)
    if kind == "percent" and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10_000):
        # basis points: a whole number, never a float stored as the voucher's value
        raise ValidationError("percent_invalid", field="voucher",
                              value=value / 100 if type(value) is int else quoted(repr(value)))
    if kind == "amount":
        check_amount(value, field="voucher")
    check_amount(min_spend, field="minimum spend", allow_zero=True)
    with ctx.tx() as t:
        if member_id is not None:
            from app.services.members.members import get_row

            get_row(t, member_id)
        if expires_on is not None and expires_on < t.today():
            raise ValidationError("voucher_expiry_past", date=expires_on.isoformat())
        code = new_code()
        while t.s.execute(select(Voucher.id).where(Voucher.code == code)).first():
            code = new_code()
        v = Voucher(code=code, member_id=member_id, kind=kind, value=value, min_spend=min_spend,
                    expires_on=expires_on, status="active", campaign=campaign, created_at=t.now())
        t.s.add(v)
        t.s.flush()
        audit.record(t, "voucher.issue", "voucher", v.id, after={"code": code, "value": value, "kind": kind})
        return _view(v)


def _fresh_codes(t: Ctx, n: int) -> list[str]:
    """``n`` new codes, unused and distinct: one look-up for the lot (and one more per rare clash)."""
    codes: list[str] = []
    while len(codes) < n:
        want = {new_code() for _ in range(n - len(codes))} - set(codes)
        taken = set(t.s.execute(select(Voucher.code).where(Voucher.code.in_(want))).scalars())
        codes.extend(want - taken)
    return codes


_INSERT_MANY = insert(Voucher.__table__)


def issue_many(t: Ctx, *, value: int, kind: str, min_spend: int, expires_on: date | None, campaign: str,
               members: list[int | None], dedupe_keys: list[str]) -> list[tuple[int, str]]:
    """Issue one voucher per entry of ``members`` (a member's own, or None: anyone's) in the caller's
    transaction, each with its ``dedupe_keys`` entry (unique: a key already used refuses the whole
    call), by one statement; (id, code) in the same order. The terms were checked, and the action
    that issues them is audited, by the caller (a campaign: ``campaign.start`` and ``campaign.send``
    name its voucher terms and count; each voucher carries the campaign and its key)."""
    permissions.require(t, "issue_voucher")
    if not members:
        return []
    now = t.now()
    codes = _fresh_codes(t, len(members))
    rows = [dict(code=code, member_id=member, kind=kind, value=value, min_spend=min_spend, expires_on=expires_on,
                 status="active", used_sale_id=None, used_at=None, campaign=campaign, created_at=now, dedupe_key=key)
            for code, member, key in zip(codes, members, dedupe_keys)]
    # A plain executemany, then the ids by key: RETURNING in the parameters' order costs one
    # statement per row on SQLite.
    t.s.connection().execute(_INSERT_MANY, rows)
    by_key = dict(t.s.execute(select(Voucher.dedupe_key, Voucher.id).where(Voucher.dedupe_key.in_(dedupe_keys))).all())
    ids = [by_key[k] for k in dedupe_keys]
    return list(zip(ids, codes))


def get(ctx: Ctx, code: str) -> VoucherView:
    with ctx.tx(write=False) as t:
        v = t.s.execute(select(Voucher).where(Voucher.code == (code or "").strip().upper())).scalar()
        if v is None:
            raise NotFound("voucher_not_found", code=code)
        return _view(v)
