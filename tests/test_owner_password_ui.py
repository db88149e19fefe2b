"""The owner's password on screen: asked before an adjustment, an export and a settings change; kept
while Settings is shown; set and changed from Settings › Staff. The services refuse without it
(tests/test_permissions.py); here the dialogs hand them the confirmed ctx."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLineEdit  # noqa: E402

from app.services.base import auth, settings
from app.services.members import members
from app.services.admin import shop_admin  # noqa: E402
from app.services.base.context import SYSTEM, Actor  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.members.member_page import MemberPage  # noqa: E402
from app.ui.members.screen import MembersScreen  # noqa: E402
from app.ui.settings.owner_password import OwnerPasswordDialog, SetOwnerPasswordDialog  # noqa: E402
from app.ui.settings.screen import SettingsScreen  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from tests.shop import fund, member  # noqa: E402

PASSWORD = "tea-house-2026"


@pytest.fixture
def english(ctx):
    settings.update(ctx, language="en")
    i18n.install("en")
    yield
    i18n.install("en")


@pytest.fixture
def staff(ctx, english):
    """A real owner (PIN 2468, the owner's password set) and a manager; their ctxs, PIN-logged-in."""
    system = ctx.as_actor(SYSTEM).without_owner()
    boss = auth.add_staff(system, "Boss", "owner", "2468")
    auth.set_owner_password(system, PASSWORD, staff_id=boss.id)
    mia = auth.add_staff(system, "Mia", "manager", "1357")
    return (system.as_actor(Actor(boss.id, "Boss", "owner")), system.as_actor(Actor(mia.id, "Mia", "manager")))


def settle(qtbot, state) -> None:
    state.tasks.wait()
    qtbot.wait(20)


def open_password(qtbot, holder, state) -> OwnerPasswordDialog:
    settle(qtbot, state)
    dialog = holder.password_dialog
    assert isinstance(dialog, OwnerPasswordDialog) and dialog.isVisible()
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    return dialog


def test_a_manager_adjusts_once_the_owner_types_the_password(qtbot, ctx, staff):
    _boss, mia = staff
    v = member(ctx)
    fund(ctx, v.id, principal=10_000, points=100)
    state = AppState(mia)
    page = MemberPage(state, v.id)
    qtbot.addWidget(page)
    settle(qtbot, state)
    dialog = page.open_adjust()
    dialog.kind.setCurrentIndex(dialog.kind.findData("points"))
    qtbot.keyClicks(dialog.amount, "-30")
    qtbot.keyClicks(dialog.reason, "counted twice")
    dialog.confirm()
    ask = open_password(qtbot, dialog, state)
    assert "the owner types the owner's password" in ask.note.text()
    qtbot.keyClicks(ask.password, "not-the-password")
    qtbot.keyClick(ask.password, Qt.Key.Key_Return)
    settle(qtbot, state)
    assert ask.error.isVisible() and ask.error.text().startswith("Wrong owner's password (4 tries left")
    assert ask.password.text() == "" and members.get_member(ctx, v.id).points == 100  # nothing changed
    qtbot.keyClicks(ask.password, PASSWORD)
    qtbot.keyClick(ask.password, Qt.Key.Key_Return)
    settle(qtbot, state)
    settle(qtbot, state)
    assert not ask.isVisible() and members.get_member(ctx, v.id).points == 70
    assert not state.ctx.owner_confirmed  # an adjustment does not keep the password for later


def test_cancelling_the_password_changes_nothing(qtbot, ctx, staff):
    boss, _mia = staff
    v = member(ctx)
    fund(ctx, v.id, principal=10_000)
    state = AppState(boss)
    page = MemberPage(state, v.id)
    qtbot.addWidget(page)
    settle(qtbot, state)
    dialog = page.open_adjust()
    qtbot.keyClicks(dialog.amount, "-20")
    qtbot.keyClicks(dialog.reason, "counted twice")
    dialog.confirm()
    ask = open_password(qtbot, dialog, state)
    assert "type the owner's password" in ask.note.text()
    ask.reject()
    settle(qtbot, state)
    assert members.get_member(ctx, v.id).wallet_principal == 10_000


def test_export_asks_the_password_first(qtbot, ctx, staff, tmp_path):
    boss, _mia = staff
    member(ctx)
    state = AppState(boss)
    screen = MembersScreen(state)
    qtbot.addWidget(screen)
    target = tmp_path / "members.csv"
    screen.export_members(str(target))
    ask = open_password(qtbot, screen, state)
    assert not target.exists()
    qtbot.keyClicks(ask.password, PASSWORD)
    ask.submit()
    settle(qtbot, state)
    settle(qtbot, state)
    assert target.exists() and "exported" in screen.export_label.text()


def test_settings_ask_once_while_shown_and_again_after_leaving(qtbot, ctx, staff):
    boss, _mia = staff
    state = AppState(boss)
    screen = SettingsScreen(state)
    qtbot.addWidget(screen)
    screen.show()
    screen.activated()
    settle(qtbot, state)
    screen.shop.shop_name.setText("Little Tea House")
    qtbot.mouseClick(screen.shop.save, Qt.MouseButton.LeftButton)
    ask = open_password(qtbot, screen.shop, state)
    assert settings.load(ctx).shop_name != "Little Tea House"
    qtbot.keyClicks(ask.password, PASSWORD)
    ask.submit()
    settle(qtbot, state)
    settle(qtbot, state)
    assert settings.load(ctx).shop_name == "Little Tea House", screen.shop.status.text()
    assert state.ctx.owner_confirmed
    # the next change on the screen goes straight through
    screen.shop.shop_name.setText("Little Tea House 2")
    screen.shop.password_dialog = None
    qtbot.mouseClick(screen.shop.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert screen.shop.password_dialog is None and settings.load(ctx).shop_name == "Little Tea House 2"
    # leaving the screen (the main window calls this) drops it: the next change asks again
    state.forget_owner()
    qtbot.mouseClick(screen.shop.save, Qt.MouseButton.LeftButton)
    assert isinstance(open_password(qtbot, screen.shop, state), OwnerPasswordDialog)
    # another staff member logging in never inherits it
    state.keep_owner(auth.confirm_owner(boss, PASSWORD))
    state.set_actor(Actor(None, "Amy", "cashier"))
    assert state.ctx.owner_ok is None


def test_without_a_password_the_dialog_says_where_to_set_it(qtbot, ctx, english):
    system = ctx.as_actor(SYSTEM).without_owner()
    boss = auth.add_staff(system, "Boss", "owner", "2468")
    owner = system.as_actor(Actor(boss.id, "Boss", "owner"))
    state = AppState(owner)
    screen = SettingsScreen(state)
    qtbot.addWidget(screen)
    screen.show()
    screen.activated()
    settle(qtbot, state)
    qtbot.mouseClick(screen.shop.save, Qt.MouseButton.LeftButton)
    ask = open_password(qtbot, screen.shop, state)
    assert ask.error.text() == "Set the owner's password first: Settings › Staff" and not ask.password.isEnabled()
    ask.reject()
    # Settings › Staff: set the first one with the PIN login alone
    tab = screen.staff
    assert tab is not None and not tab.password_button.isHidden() and tab.password_button.text() == "Set owner password…"
    assert "no owner's password yet" in tab.table.item(0, 2).text()
    tab.owner_password()
    dialog = tab.password_dialog
    assert isinstance(dialog, SetOwnerPasswordDialog) and not dialog.old.isVisible()
    qtbot.keyClicks(dialog.new, "24682468")
    dialog.submit()
    assert dialog.error.text() == "The owner's password cannot be digits only (that would be a PIN): add letters"
    dialog.new.clear()
    qtbot.keyClicks(dialog.new, PASSWORD)
    qtbot.keyClicks(dialog.again, PASSWORD)
    dialog.submit()
    settle(qtbot, state)
    settle(qtbot, state)
    assert auth.has_owner_password(ctx) and tab.password_button.text() == "Change owner password…"
    assert "owner's password set" in tab.table.item(0, 2).text()
    # changing it needs the old one
    tab.owner_password()
    change = tab.password_dialog
    assert change.old.isVisible()
    qtbot.keyClicks(change.new, "another-password")
    qtbot.keyClicks(change.again, "another-password")
    change.submit()
    assert change.error.text() == "Type the current owner's password to change it"
    qtbot.keyClicks(change.old, PASSWORD)
    change.submit()
    settle(qtbot, state)
    assert auth.confirm_owner(owner, "another-password").owner_confirmed
    shop_admin.list_staff(owner)  # looking at the staff needs no password
