"""Receipt numbers: ``<till>-<seq>``, the sequence kept per till by one row-locking UPDATE, so two
tills (or two processes) never hand out the same number."""
from __future__ import annotations

from sqlalchemy import update

from app.models import Till
from app.services.context import Ctx
from app.services.setup import ensure_till


def next_number(t: Ctx, till: str | None = None) -> tuple[str, int]:
    code = till or t.till
    if till is None:
        ensure_till(t)
    elif t.s.get(Till, code) is None:
        t.s.add(Till(code=code, name=code, last_receipt_seq=0))
        t.s.flush()
    seq = t.s.execute(update(Till).where(Till.code == code).values(last_receipt_seq=Till.last_receipt_seq + 1)
                      .returning(Till.last_receipt_seq)).scalar_one()
    return f"{code}-{seq:06d}", seq
