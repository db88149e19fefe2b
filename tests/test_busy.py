"""A busy database (another process holds the write lock: an import, another till) ends a service
call with ``Busy`` (code ``db_busy``), never a raw OperationalError; nothing was committed, so
running the call again records the sale once."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import func, select, text

from app.db import Database
from app.errors import Busy, render
from app.models import Sale
from app.services.base import setup
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.base.context import Actor, Ctx
from tests.conftest import PG_URL
from tests.shop import confirmed, stock_shop

SHORT_MS = 400  # the busy timeout of the database these tests use: they wait less


class Holder:
    """Another process holding the database's write lock until ``release()``: SQLite ``BEGIN
    IMMEDIATE`` (what an import's write transaction does), or on PostgreSQL an exclusive lock on the
    tables a sale writes."""

    def __init__(self, db: Database, tables: tuple[str, ...] = ("sales",)) -> None:
        if db.is_sqlite:
            code = f"""
                from app.db import sqlite_module
                c = sqlite_module().connect({str(db.sqlite_path)!r}, isolation_level=None)
                c.execute("BEGIN IMMEDIATE")
                c.execute("UPDATE tills SET name = name")
                print("held", flush=True)
                input()
                c.execute("ROLLBACK")
            """
        else:
            code = f"""
                import psycopg
                c = psycopg.connect({db.engine.url.set(drivername='postgresql').render_as_string(hide_password=False)!r})
                c.execute("LOCK TABLE {", ".join(tables)} IN EXCLUSIVE MODE")
                print("held", flush=True)
                input()
                c.rollback()
            """
        self.proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.wait(10) == 0


@pytest.fixture
def short_db(db):
    """The test's database opened again with a short busy timeout (the app's is 10 s)."""
    quick = Database(db.url, busy_timeout_ms=SHORT_MS)
    yield quick
    quick.dispose()


@pytest.fixture
def shop(short_db, clock):
    c = confirmed(Ctx(db=short_db, actor=Actor(None, "owner", "owner"), till="T1", clock=clock))
    setup.ensure_defaults(c)
    stock_shop(c)
    return c


def sales(ctx) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(Sale).where(Sale.kind == "sale")).scalar()


def test_checkout_while_another_process_writes_raises_busy_and_a_retry_records_it_once(shop):
    cart = Cart(lines=(CartLine("COF", 2),))
    holder = Holder(shop.db)
    try:
        t0 = time.monotonic()
        with pytest.raises(Busy) as e:
            checkout(shop, cart, [Tender("cash", amount=20_000)], client_ref="busy-1")
        assert time.monotonic() - t0 < 10  # the busy timeout, not forever
        assert e.value.code == "db_busy"
        assert "busy" in render(e.value, "en") and "数据库正忙" in render(e.value, "zh_CN")
    finally:
        holder.release()
    assert sales(shop) == 0  # the failed attempt committed nothing
    first = checkout(shop, cart, [Tender("cash", amount=20_000)], client_ref="busy-1")
    again = checkout(shop, cart, [Tender("cash", amount=20_000)], client_ref="busy-1")
    assert first.receipt_no == again.receipt_no
    assert sales(shop) == 1


def test_a_lock_released_within_the_timeout_is_simply_waited_for(shop):
    holder = Holder(shop.db)
    threading.Timer(SHORT_MS / 4000, holder.release).start()
    checkout(shop, Cart(lines=(CartLine("COF", 1),)), [Tender("cash", amount=20_000)], client_ref="busy-2")
    assert sales(shop) == 1


def test_other_database_errors_are_not_busy(shop):
    with pytest.raises(Exception) as e:
        with shop.tx() as t:
            t.s.execute(text("SELECT * FROM no_such_table"))
    assert not isinstance(e.value, Busy)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: its lock timeout")
def test_postgresql_lock_timeout_is_set(short_db):
    with short_db.session(write=False) as s:
        assert s.execute(text("SHOW lock_timeout")).scalar() in (f"{SHORT_MS}ms", f"{SHORT_MS}")
