"""Receipt numbers: ``<till>-<seq>``, the sequence kept per till by one row-locking UPDATE, so two
tills (or two processes) never hand out the same number."""
from __future__ import annotations

from sqlalchemy import bindparam, update

from app.models import Till
from app.services.base.context import Ctx


def next_number(t: Ctx, till: str | None = None) -> tuple[str, int]:
    code = till or t.till
    seq = t.s.connection().execute(_BUMP, {"b_code": code}).scalar()
    if seq is None:  # the till's first receipt
        t.s.add(Till(code=code, name=code, last_receipt_seq=0))
        t.s.flush()
        seq = t.s.connection().execute(_BUMP, {"b_code": code}).scalar_one()
    return f"{code}-{seq:06d}", seq


_t = Till.__table__
_BUMP = (update(_t).where(_t.c.code == bindparam("b_code")).values(last_receipt_seq=_t.c.last_receipt_seq + 1)
         .returning(_t.c.last_receipt_seq))
