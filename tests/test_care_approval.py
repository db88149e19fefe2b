"""Care texts held for the owner's approval: the engine holds them, the sender leaves them, the
owner approves (they go) or cancels (they never go), and nothing else can be approved."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.errors import Conflict, PermissionDenied
from app.models import Message
from app.services import care
from app.services.texts import outbox_admin, sender
from app.adapters.sms import make_gateway
from app.services.texts.gateway_config import GatewayConfig
from tests.shop import member


def statuses(ctx) -> dict[int, str]:
    with ctx.tx(write=False) as t:
        return dict(t.s.execute(select(Message.member_id, Message.status).where(Message.category == "care")).all())


def test_held_texts_wait_for_approval_then_go_once(ctx, clock, cashier_ctx):
    clock.set(datetime(2026, 3, 2, 10))
    a = member(ctx, "13800138001", "王芳", birthday="1990-03-02", consent_care=True)
    b = member(ctx, "13800138002", "李雷", birthday="1985-03-02", consent_care=True)
    care.update_config(ctx, hold_for_approval=True)
    report = care.run(ctx)
    assert report.count("birthday").queued == 2
    assert statuses(ctx) == {a.id: "held", b.id: "held"}
    gw = make_gateway(GatewayConfig(kind="log"))                          # the real log-only gateway
    assert sender.send_due(ctx, gw).sent == 0                              # the sender leaves them alone
    held = {m.member_id: m.id for m in outbox_admin.list_messages(ctx, status="held")}
    with pytest.raises(PermissionDenied):
        outbox_admin.approve(cashier_ctx, held[a.id])
    outbox_admin.approve(ctx, held[a.id])
    outbox_admin.cancel(ctx, held[b.id])
    with pytest.raises(Conflict) as e:
        outbox_admin.approve(ctx, held[b.id])                              # cancelled: not waiting any more
    assert e.value.code == "message_not_held"
    assert sender.send_due(ctx, gw).sent == 1
    assert sender.send_due(ctx, gw).sent == 0                              # once
    assert statuses(ctx) == {a.id: "sent", b.id: "cancelled"}
    assert care.run(ctx).count("birthday").queued == 0                    # the keys stay used


def test_without_the_setting_care_texts_go_by_themselves(ctx, clock):
    care.update_config(ctx, hold_first_run=False)   # (the first care texts would wait: test_no_surprise_sends.py)
    clock.set(datetime(2026, 3, 2, 10))
    m = member(ctx, "13800138001", "王芳", birthday="1990-03-02", consent_care=True)
    care.run(ctx)
    assert statuses(ctx) == {m.id: "queued"}


def test_the_today_tab_approves_what_waits(qtbot, ctx, clock):
    pytest.importorskip("pytestqt")
    from app.ui import i18n
    from app.ui.care.today_tab import TodayTab
    from app.ui.state import AppState

    i18n.install("en")
    clock.set(datetime(2026, 3, 2, 10))
    a = member(ctx, "13800138001", "王芳", birthday="1990-03-02", consent_care=True)
    state = AppState(ctx)
    tab = TodayTab(state)
    qtbot.addWidget(tab, before_close_func=lambda _w: state.tasks.wait())
    tab.show()
    tab.load()
    qtbot.waitUntil(lambda: tab.data is not None, timeout=10_000)
    assert not tab.hold.isChecked() and tab.hold.isEnabled()
    tab.hold.setChecked(True)                                   # the owner switches approval on
    qtbot.waitUntil(lambda: care.load_config(ctx).hold_for_approval, timeout=10_000)
    care.run(ctx)
    tab.load()
    qtbot.waitUntil(lambda: tab.data is not None and tab.approve_all.isEnabled(), timeout=10_000)
    assert "awaiting approval" in tab.texts.item(0, 2).text() and tab.approve_all.text() == "Approve all waiting (1)"
    tab.approve(all_held=True)
    qtbot.waitUntil(lambda: statuses(ctx) == {a.id: "queued"}, timeout=10_000)
    qtbot.waitUntil(lambda: not tab.approve_all.isEnabled(), timeout=10_000)
