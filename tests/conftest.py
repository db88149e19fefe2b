"""Shared fixtures: a fresh real SQLite file (WAL) per test, upgraded by alembic, and a context."""
from __future__ import annotations

import gc
import os
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.db import Database  # noqa: E402
from app.services.base import setup  # noqa: E402
from app.services.base.context import Actor, Ctx, FixedClock  # noqa: E402
from tests.shop import confirmed  # noqa: E402

START = datetime(2026, 3, 2, 10, 0, 0)


# --- the UI-thread watchdog on the tests that drive a screen (issue 17 item 4) ---
# A test module that drives a screen sets ``pytestmark = pytest.mark.ui_watch``: each of its tests
# then runs under a UiWatchdog (tests/ui_watchdog.py, 50 ms) from the first line of its body to the
# last (fixtures' set-up and teardown are the test's own work and are not watched), and fails if
# the UI thread stalled over budget. A test that wants the dog (``dog.paused()`` around its own
# database filling, ``dog.doing(...)``, ``dog.allow(...)``) asks for the ``ui_dog`` fixture.
# SHOPCARE_UI_WATCH=0 turns the check off (a debugging session under a debugger stalls by design).


def _watching(item) -> bool:
    """``@pytest.mark.ui_watch(False, reason=...)`` on a test leaves it out (a screenshot renderer
    that grabs every tab at once is a tool, not a person driving the screen)."""
    mark = item.get_closest_marker("ui_watch")
    return (mark is not None and (not mark.args or mark.args[0]) and os.environ.get("SHOPCARE_UI_WATCH") != "0")


@pytest.fixture
def ui_dog(request, qapp):
    """The watchdog a ``ui_watch`` test runs under (started when its body starts)."""
    from tests.ui_watchdog import UiWatchdog

    return UiWatchdog(steady=True)


_warmed: list[bool] = []


def _warm_once() -> None:
    """What the app loads on a worker once its till is ready (app/ui/warmup.py), loaded once per
    test process before the first watched test: a screen test starts where a person's first screen
    starts, after the log-in, not in the middle of the process's one-off loads."""
    if _warmed:
        return
    from PySide6.QtWidgets import QApplication

    from app.ui import style, warmup

    style.apply(QApplication.instance())   # the app's look: its style sheet is part of every build's cost

    for lang, region in (("en", "CN"), ("en", None), ("zh_CN", "CN"), ("zh_TW", "TW"), ("zh_TW", None)):
        warmup.warm(lang, region, "CNY")
    _warmed.append(True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if not _watching(item):
        return (yield)
    from tests.ui_watchdog import UiWatchdog

    dog = item.funcargs.get("ui_dog") or UiWatchdog(steady=True)
    _warm_once()
    # What earlier tests left in this process is not the app's heap: set it aside from the garbage
    # collector for this test (a full collection walking it took 100-220 ms), as app/ui/warmup.py
    # sets aside what the app loads once; given back to the collector afterwards.
    gc.freeze()
    import tests.ui_watchdog as watchdog_module

    dog.start()
    watchdog_module.CURRENT = dog
    try:
        result = yield
    finally:
        watchdog_module.CURRENT = None
        dog.stop()
        gc.unfreeze()
    dog.assert_no_stall()
    return result


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
