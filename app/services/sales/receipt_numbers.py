"""Receipt numbers: ``<till>-<seq>``, the sequence kept per till by one row-locking UPDATE, so two
tills (or two processes) never hand out the same number."""
from __future__ import annotations

from sqlalchemy import bindparam, update

from app.models import Till
from app.services.base.context import Ctx
from app.services.base.prepared import Prepared


def next_number(t: Ctx, till: str | None = None) -> tuple[str, int]:
    code = till or t.till
    row = _BUMP.row(t.s.connection(), {"b_code": code})
    seq = row[0] if row is not None else None
    if seq is None:  # the till's first receipt
        t.s.add(Till(code=code, name=code, last_receipt_seq=0))
        t.s.flush()
        seq = _BUMP.row(t.s.connection(), {"b_code": code})[0]
    return f"{code}-{seq:06d}", seq


_t = Till.__table__
_BUMP = Prepared(update(_t).where(_t.c.code == bindparam("b_code")).values(last_receipt_seq=_t.c.last_receipt_seq + 1)
                 .returning(_t.c.last_receipt_seq))
