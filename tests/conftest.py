"""Shared fixtures: a fresh real SQLite file (WAL) per test, upgraded by alembic, and a context."""
from __future__ import annotations

import os
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.db import Database  # noqa: E402
from app.services.base import setup  # noqa: E402
from app.services.base.context import Actor, Ctx, FixedClock  # noqa: E402
from tests.shop import confirmed  # noqa: E402

START = datetime(2026, 3, 2, 10, 0, 0)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Keep every test away from the real user's data dir."""
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPCARE_DB", raising=False)


@pytest.fixture(autouse=True)
def _no_keyring():
    """No OS keyring unless a test sets one: keyring picks the highest-priority backend class it
    knows, and a test module's in-memory backend, once imported, would otherwise become every later
    test's keyring (the audit key and the gateway token would then live where no subprocess looks)."""
    import keyring
    from keyring.backends import fail

    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)


# SHOPCARE_TEST_PG=postgresql+psycopg://user@host/db runs every test that takes the ``db`` fixture
# on PostgreSQL instead of a SQLite file: each test gets a fresh database copied from a migrated
# template (CREATE DATABASE ... TEMPLATE), dropped after it. Unset: SQLite, as a shop runs it.
PG_URL = os.environ.get("SHOPCARE_TEST_PG")


def pytest_collection_modifyitems(config, items):
    """On a PostgreSQL run, tests of what only SQLite has (its file, pragmas, backup API) skip."""
    if not PG_URL:
        return
    skip = pytest.mark.skip(reason="SQLite only (the file, its pragmas or the backup API); this run is on PostgreSQL")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _pg_template():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(PG_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"shopcare_tpl_{os.getpid()}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    tpl = Database(base.set(database=name).render_as_string(hide_password=False))
    tpl.upgrade()
    tpl.dispose()
    yield admin, base, name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(request, tmp_path):
    if PG_URL:
        from sqlalchemy import text

        admin, base, template = request.getfixturevalue("_pg_template")
        name = f"shopcare_t_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**9}"
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        database = Database(base.set(database=name).render_as_string(hide_password=False))
        yield database
        database.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    database = Database(f"sqlite:///{tmp_path / 'shop.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def ctx(db, clock):
    """The owner, with the owner's password typed (``unconfirmed_ctx`` is the owner without it)."""
    c = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1", clock=clock))
    setup.ensure_defaults(c)
    return c


@pytest.fixture
def unconfirmed_ctx(ctx):
    return ctx.without_owner()


@pytest.fixture
def cashier_ctx(ctx):
    return ctx.as_actor(Actor(None, "cashier", "cashier"))
