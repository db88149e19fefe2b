"""Settings › Backups offscreen: back up now, the list, the rotation, and an owner's restore."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from sqlalchemy import select  # noqa: E402

from app.models import Member  # noqa: E402
from app.services.admin import backup, backup_schedule  # noqa: E402
from app.services.base.context import Actor  # noqa: E402
from tests.shop import member  # noqa: E402
from tests.test_settings_ui import english, screen_for, settle, shop  # noqa: F401  (fixtures)

pytestmark = pytest.mark.sqlite_only   # backups copy the SQLite file (PostgreSQL: pg_dump)


def names(ctx) -> list[str]:
    with ctx.tx(write=False) as t:
        return sorted(t.s.execute(select(Member.name)).scalars())


def test_back_up_now_lists_the_checked_copy(qtbot, shop):
    member(shop, "13800138000", "王芳")
    screen, state = screen_for(qtbot, shop)
    tab = screen.backups
    screen.tabs.setCurrentWidget(tab)
    assert tab.table.rowCount() == 0 and not tab.restore_button.isEnabled()
    tab.back_up_now()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=20_000)
    (when, path, size), = tab.found
    assert backup.integrity_ok(path) == (True, "ok") and size > 0
    assert path.name in tab.table.item(0, 1).text() and "Backed up and checked" in tab.status.text()
    assert tab.restore_button.isEnabled()                       # the owner, a row selected


def test_a_cashier_may_back_up_but_not_restore(qtbot, shop):
    backup.backup(shop.db)
    cashier = shop.as_actor(Actor(None, "Amy", "cashier"))
    screen, state = screen_for(qtbot, cashier)
    tab = screen.backups
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=10_000)
    tab.table.selectRow(0)
    assert tab.now_button.isEnabled() and not tab.restore_button.isEnabled()


def test_the_owner_restores_a_backup_and_the_shop_is_as_it_was(qtbot, shop):
    member(shop, "13800138000", "王芳")
    kept = backup.backup(shop.db)
    member(shop, "13900139000", "李雷")                          # after the backup: gone by the restore
    screen, state = screen_for(qtbot, shop)
    tab = screen.backups
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=10_000)
    assert tab.selected() == kept
    tab.restore_selected(confirm=False)
    qtbot.waitUntil(lambda: tab.restored is not None, timeout=30_000)
    assert names(shop) == ["王芳"]
    assert tab.restored.safety_backup is not None and "Restored" in tab.status.text()
    # The database as it was just before is itself a backup that a second restore brings back.
    assert {p for _, p in backup_schedule.backups()} >= {kept, tab.restored.safety_backup}
    backup.restore(shop.db, tab.restored.safety_backup)
    assert names(shop) == ["李雷", "王芳"]
    settle(qtbot, state.tasks)


def test_a_backup_failing_its_check_is_refused_on_screen_and_the_shop_carries_on(qtbot, shop):
    from app.db import sqlite_module

    member(shop, "13800138000", "王芳")
    bad = backup.backup(shop.db)
    con = sqlite_module().connect(bad)
    con.execute("UPDATE members SET wallet_principal = 99999900")   # 999,999.00 with no ledger entry
    con.commit()
    con.close()
    live = shop.db.sqlite_path
    before = live.read_bytes()
    screen, state = screen_for(qtbot, shop)
    state.care = care = _Worker()
    tab = screen.backups
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=10_000)
    tab.restore_selected(confirm=False)
    qtbot.waitUntil(lambda: "refused" in tab.status.text(), timeout=30_000)
    assert "unchanged" in tab.status.text() and tab.restored is None
    assert care.calls == ["stop", "start"]                       # the shop carries on
    assert live.read_bytes() == before and names(shop) == ["王芳"]
    assert tab.restore_button.isEnabled() and tab.now_button.isEnabled()
    settle(qtbot, state.tasks)


class _Worker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def stop(self) -> None:
        self.calls.append("stop")

    def start(self) -> None:
        self.calls.append("start")
