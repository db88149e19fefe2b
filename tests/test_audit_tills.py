"""Two tills write audit rows at the same moment: the hash chain stays one chain (each row follows
the row committed before it), on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading

from sqlalchemy import select

from app.db import Database
from app.models import AuditLog
from app.services.base import audit
from app.services.base.context import Actor, Ctx


def test_two_tills_audit_at_once_keep_one_chain(ctx):
    other = Database(ctx.db.url)   # the second till: its own engine and connections
    try:
        t2 = Ctx(db=other, actor=Actor(None, "manager", "manager"), till="T2", clock=ctx.clock)
        first_in, second_done = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def second_till() -> None:
            try:
                first_in.wait(10)
                with t2.tx() as t:
                    audit.record(t, "test.second", "members", 2, after={"till": "T2"})
            except BaseException as exc:  # handed to the test
                errors.append(exc)
            finally:
                second_done.set()

        worker = threading.Thread(target=second_till)
        worker.start()
        with ctx.tx() as t:
            audit.record(t, "test.first", "members", 1, after={"till": "T1"})
            t.s.flush()
            first_in.set()
            # The second till's row must wait for this one: were it written now, both would follow
            # the same previous row and the chain would fork.
            second_done.wait(1.5)
        worker.join(20)
        assert not errors, errors
        with ctx.tx(write=False) as t:
            assert audit.verify_chain(t) == []
            actions = t.s.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
        assert actions[-2:] == ["test.first", "test.second"]
    finally:
        other.dispose()
