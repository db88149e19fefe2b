"""Shared fixtures: a fresh real SQLite file (WAL) per test, upgraded by alembic, and a context."""
from __future__ import annotations

import os
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.db import Database  # noqa: E402
from app.services import setup  # noqa: E402
from app.services.context import Actor, Ctx, FixedClock  # noqa: E402

START = datetime(2026, 3, 2, 10, 0, 0)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Keep every test away from the real user's data dir."""
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPCARE_DB", raising=False)


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'shop.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def ctx(db, clock):
    c = Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1", clock=clock)
    setup.ensure_defaults(c)
    return c


@pytest.fixture
def cashier_ctx(ctx):
    return ctx.as_actor(Actor(None, "cashier", "cashier"))
