"""Settings › Backups › Audit key for several tills, offscreen with real widgets: the owner shows the key on
till 1 (after the owner's password) and copies it; till 2 (another config dir: another computer's key)
refuses a wrong key and takes the right one, after which both tills' checks pass."""
from __future__ import annotations

import secrets
from dataclasses import replace

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.services.base import audit  # noqa: E402
from app.services.base.context import Actor  # noqa: E402
from app.services.admin.integrity import run_check  # noqa: E402
from tests.test_integrity import codes  # noqa: E402
from tests.test_owner_password_ui import open_password  # noqa: E402
from tests.test_settings_ui import OWNER_PASSWORD, english, screen_for, settle, shop  # noqa: F401  (fixtures)


def test_the_owner_shows_the_key_on_one_till_and_uses_it_on_another(qtbot, shop, english, tmp_path, monkeypatch):
    screen, state = screen_for(qtbot, shop.without_owner())
    box = screen.backups.audit_key
    screen.tabs.setCurrentWidget(screen.backups)
    assert not box.key_field.text() and not box.copy_button.isEnabled() and not box.use_button.isEnabled()
    qtbot.mouseClick(box.show_button, qtbot_left())
    ask = open_password(qtbot, box, state)
    assert not box.key_field.text()                       # nothing shown before the password
    qtbot.keyClicks(ask.password, OWNER_PASSWORD)
    ask.submit()
    settle(qtbot, state.tasks)
    settle(qtbot, state.tasks)
    shown = box.key_field.text()
    assert shown.replace(" ", "") == audit.key().hex() and len(shown.split()) == 8, box.status.text()
    qtbot.mouseClick(box.copy_button, qtbot_left())
    assert QApplication.clipboard().text() == shown and "Copied" in box.status.text()
    screen.activated()                                    # shown again later: the key is not left on screen
    settle(qtbot, state.tasks)
    assert not box.key_field.text()

    # Till 2: its own computer, its own key.
    monkeypatch.setenv("SHOPCARE_HOME", str(tmp_path / "till2"))
    audit._KEYS.clear()
    t2 = replace(shop.without_owner(), till="T2")
    assert codes(run_check(t2)) == ["audit_key_other"]
    screen2, state2 = screen_for(qtbot, t2)
    box2 = screen2.backups.audit_key
    qtbot.keyClicks(box2.other, secrets.token_hex(32))
    qtbot.mouseClick(box2.use_button, qtbot_left())
    ask = open_password(qtbot, box2, state2)
    qtbot.keyClicks(ask.password, OWNER_PASSWORD)
    ask.submit()
    settle(qtbot, state2.tasks)
    settle(qtbot, state2.tasks)
    assert "another key" in box2.status.text() and "Nothing was changed" in box2.status.text()
    assert codes(run_check(t2)) == ["audit_key_other"]
    box2.other.setText(shown)
    box2.password_dialog = None
    qtbot.mouseClick(box2.use_button, qtbot_left())      # the password holds while the screen is shown
    settle(qtbot, state2.tasks)
    assert box2.password_dialog is None and "now uses that key" in box2.status.text(), box2.status.text()
    assert not box2.other.text() and run_check(t2).ok, codes(run_check(t2))


def test_a_cashier_sees_the_box_but_cannot_use_it(qtbot, shop, english):
    screen, _state = screen_for(qtbot, shop.as_actor(Actor(None, "Amy", "cashier")))
    box = screen.backups.audit_key
    box.other.setText("12345678")
    assert not box.show_button.isEnabled() and not box.use_button.isEnabled() and not box.other.isEnabled()


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
