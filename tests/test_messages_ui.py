"""The Messages screen offscreen with pytest-qt, on a real SQLite file: the outbox with filters over
a few hundred texts, send again / cancel / settle (and a cashier refused), the template editor's
live preview and inline errors, the texting rules, the gateway's test text, and the background
sender, with the real gateway settings, log gateway and sender."""
from __future__ import annotations

import importlib
import threading
from datetime import timedelta

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.models import Message, Setting  # noqa: E402
from app.services.texts import outbox_admin, templates  # noqa: E402
from app.services.base import settings as shop_settings  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.texts.background_sender import BackgroundSender  # noqa: E402
from app.ui.texts.screen import MessagesScreen  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from tests.outbox_data import fill_outbox  # noqa: E402


@pytest.fixture(autouse=True)
def english(qapp, ctx):
    shop_settings.update(ctx, language="en")   # errors from the services in the UI's language
    i18n.install("en")
    yield
    i18n.install("en")


@pytest.fixture
def sending():
    """The sending side: gateway settings, gateways and the sender."""
    return tuple(importlib.import_module(n) for n in
                 ("app.services.texts.gateway_config", "app.adapters.sms", "app.services.texts.sender"))


def type_chinese(widget, text: str) -> None:
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def settle(qtbot, state, rounds: int = 3) -> None:
    for _ in range(rounds):
        state.tasks.wait()
        qtbot.wait(10)


def open_screen(qtbot, ctx) -> tuple[MessagesScreen, AppState]:
    state = AppState(ctx)
    screen = MessagesScreen(state)
    qtbot.addWidget(screen)
    screen.resize(1180, 760)
    screen.show()
    screen.activated()
    settle(qtbot, state)
    return screen, state


def status_in_db(ctx, message_id: int) -> str:
    with ctx.tx(write=False) as t:
        return t.s.get(Message, message_id).status


def select_first(qtbot, screen, state, status: str):
    tab = screen.outbox
    tab.show_status(status)
    settle(qtbot, state)
    tab.table.setCurrentIndex(tab.model.index(0, 0))
    return tab.selected()


# --- the outbox ----------------------------------------------------------------------------------------
def test_outbox_pages_counts_and_filters(qtbot, ctx):
    per = fill_outbox(ctx, count=300)
    screen, state = open_screen(qtbot, ctx)
    tab = screen.outbox
    assert tab.model.rowCount() == 200                       # the first page
    tab.table.scrollToBottom()                                # the view asks for more near the end
    settle(qtbot, state)
    assert tab.model.rowCount() == 300 and len({r.id for r in tab.model.rows}) == 300
    assert tab.count_buttons["failed"].text() == f"Failed {per['failed']}"
    assert tab.count_buttons[None].text() == "All 300"
    assert tab.unknown_banner.isVisible()
    texts = "1 text" if per["unknown"] == 1 else f"{per['unknown']} texts"  # a count: the plural form
    assert f"{texts} may or may not have been sent — check with the customer" in tab.unknown_text.text()

    qtbot.mouseClick(tab.show_unknown, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.model.rowCount() == per["unknown"] and {r.status for r in tab.model.rows} == {"unknown"}
    status_col = 4
    assert tab.model.index(0, status_col).data() == "⚠ Unknown"
    assert "check with the customer" in tab.model.index(0, status_col).data(Qt.ItemDataRole.ToolTipRole)
    assert "check with the customer" in tab.detail.text()

    tab.status_pick.setCurrentIndex(tab.status_pick.findData("delivered"))
    tab.kind_pick.setCurrentIndex(tab.kind_pick.findData("birthday"))
    settle(qtbot, state)
    expected = outbox_admin.list_messages(ctx, status="delivered", kind="birthday", limit=500)
    assert [r.id for r in tab.model.rows] == [r.id for r in expected] and expected

    tab.clear()
    qtbot.keyClicks(tab.who, "0003")                          # last 4 digits of one member's phone
    tab.apply_filter()
    settle(qtbot, state)
    assert tab.model.rowCount() == 25 and {r.phone for r in tab.model.rows} == {"+8613900000003"}

    tab.who.clear()
    type_chinese(tab.who, "会员3")                            # the start of exactly one member's name
    tab.apply_filter()
    settle(qtbot, state)
    assert {r.member_name for r in tab.model.rows} == {"会员3"} and tab.model.rowCount() == 25
    tab.who.clear()
    type_chinese(tab.who, "会员1")                            # 会员1, 会员10, 会员11
    tab.apply_filter()
    settle(qtbot, state)
    assert tab.model.rowCount() == 0 and "Several members" in tab.status.text()

    tab.clear()
    day = ctx.today() - timedelta(days=2)
    tab.date_from.set_value(day)
    tab.date_to.set_value(day)
    settle(qtbot, state)
    assert tab.model.rows and {r.created_at.date() for r in tab.model.rows} == {day}
    tab.date_from.set_value(day + timedelta(days=1))          # after the end: refused, said why
    settle(qtbot, state)
    assert "is after the end date" in tab.status.text()


def test_owner_sends_again_cancels_and_settles_unknown_texts(qtbot, ctx):
    per = fill_outbox(ctx, count=60)
    screen, state = open_screen(qtbot, ctx)
    tab = screen.outbox
    failed = select_first(qtbot, screen, state, "failed")
    assert tab.retry.isEnabled() and tab.cancel.isEnabled() and not tab.mark_sent.isVisible()
    qtbot.mouseClick(tab.retry, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert status_in_db(ctx, failed.id) == "queued" and tab.model.rows[0].status == "queued"
    assert f"Text {failed.id} is queued again" in tab.status.text()

    unknown = select_first(qtbot, screen, state, "unknown")
    assert tab.mark_sent.isVisible() and tab.mark_sent.isEnabled()
    tab.confirm = lambda _text: False                          # the owner thinks better of sending it twice
    tab.retry_selected()
    settle(qtbot, state)
    assert status_in_db(ctx, unknown.id) == "unknown"
    qtbot.mouseClick(tab.mark_sent, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert status_in_db(ctx, unknown.id) == "sent" and tab.counts["unknown"] == per["unknown"] - 1

    other = select_first(qtbot, screen, state, "unknown")
    asked = []
    tab.confirm = lambda text: asked.append(text) or True
    tab.retry_selected()
    settle(qtbot, state)
    assert status_in_db(ctx, other.id) == "queued" and "may send it twice" in asked[0]

    queued = select_first(qtbot, screen, state, "queued")
    qtbot.mouseClick(tab.cancel, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert status_in_db(ctx, queued.id) == "cancelled" and not tab.retry.isEnabled()


def test_a_cashier_sees_the_outbox_but_is_refused_changes(qtbot, cashier_ctx, ctx):
    fill_outbox(ctx, count=60)
    screen, state = open_screen(qtbot, cashier_ctx)
    tab = screen.outbox
    failed = select_first(qtbot, screen, state, "failed")
    assert tab.model.rowCount() > 0
    assert not tab.retry.isEnabled() and not tab.cancel.isEnabled()
    tab.retry_selected()                                       # even called directly, the service refuses
    settle(qtbot, state)
    assert "may not resend or cancel texts" in tab.status.text()
    tab.cancel_selected()
    settle(qtbot, state)
    assert status_in_db(ctx, failed.id) == "failed"
    unknown = select_first(qtbot, screen, state, "unknown")
    assert not tab.mark_sent.isEnabled()
    tab.resolve_selected(True)
    settle(qtbot, state)
    assert status_in_db(ctx, unknown.id) == "unknown" and "resend or cancel texts" in tab.status.text()
    assert not screen.templates.save.isEnabled()


# --- templates -----------------------------------------------------------------------------------------
def pick_template(qtbot, screen, state, kind: str, lang: str):
    tab = screen.templates
    screen.tabs.setCurrentWidget(tab)
    tab.kind.setCurrentIndex(tab.kind.findData(kind))
    tab.lang.setCurrentIndex(tab.lang.findData(lang))
    settle(qtbot, state)
    return tab


def test_typing_updates_the_preview_and_the_segment_count(qtbot, ctx):
    shop_settings.update(ctx, signature="小雅")
    screen, state = open_screen(qtbot, ctx)
    tab = pick_template(qtbot, screen, state, "ebill_sale", "en")
    assert tab.editor.toPlainText() == templates.default_text("ebill_sale", "en")
    assert "Fang Wang" in tab.preview.text() and tab.which.text() == "The default text"
    tab.editor.clear()
    qtbot.keyClicks(tab.editor, "Hi {name}, you spent {amount}.")
    assert tab.preview.text() == "Hi Fang Wang, you spent 58.00."
    assert tab.counter.text().startswith("30 characters · 1 SMS part(s) · GSM-7")
    assert tab.error.isHidden()

    tab = pick_template(qtbot, screen, state, "holiday", "zh_CN")
    tab.editor.clear()
    type_chinese(tab.editor, "好" * 62)                       # + 【小雅】 and 回T退订 = 70: one text
    assert tab.counter.text().startswith("70 characters · 1 SMS part(s) · UCS-2")
    type_chinese(tab.editor, "好")                            # 71 characters: two parts
    assert tab.counter.text().startswith("71 characters · 2 SMS part(s) · UCS-2")
    assert tab.preview.text().startswith("【小雅】好") and tab.preview.text().endswith("回T退订")


def test_a_malformed_placeholder_shows_the_error_and_saves_nothing(qtbot, ctx):
    screen, state = open_screen(qtbot, ctx)
    tab = pick_template(qtbot, screen, state, "birthday", "en")
    tab.editor.clear()
    qtbot.keyClicks(tab.editor, "Happy birthday {nme}")
    assert tab.error.isVisible() and tab.error.text() == "Unknown placeholder {nme}: did you mean {name}?"
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert "did you mean" in tab.status.text()                 # the refusal, under the buttons too
    tab.editor.clear()
    qtbot.keyClicks(tab.editor, "Happy birthday {name")
    assert tab.error.text().startswith("'{name' is not a placeholder: use a name in braces, one of {shop} {name}")
    tab.save_buttons[0].click()
    settle(qtbot, state)
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(Setting).where(Setting.key.like("template.%"))).first() is None
    assert "is not a placeholder" in tab.status.text()


def test_a_saved_template_is_used_and_can_be_reset(qtbot, ctx):
    screen, state = open_screen(qtbot, ctx)
    tab = pick_template(qtbot, screen, state, "winback", "zh_CN")
    tab.editor.clear()
    type_chinese(tab.editor, "{name}，好久不见！")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.which.text() == "The shop's own text" and tab.status.text() == "Saved: new texts use it now."
    assert templates.template_for(ctx, "winback", "zh_CN") == "{name}，好久不见！"
    assert templates.compose(ctx, "winback", "zh_CN", {"name": "王芳"}).endswith("王芳，好久不见！回T退订")
    qtbot.mouseClick(tab.reset, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.editor.toPlainText() == templates.default_text("winback", "zh_CN")
    assert not templates.is_custom(ctx, "winback", "zh_CN")


# --- texting rules and gateway ---------------------------------------------------------------------------
def test_texting_rules_are_saved_through_the_shop_settings(qtbot, ctx, sending):
    screen, state = open_screen(qtbot, ctx)
    tab = screen.texting
    screen.tabs.setCurrentWidget(tab)
    assert tab.quiet_start.text() == "21:00" and tab.optout_zh.text() == "回T退订"
    tab.quiet_start.setText("22:30")
    tab.cap.setValue(2)
    tab.optout_en.setText("Text STOP to stop")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.status.text() == "Texting rules saved."
    assert (state.settings.quiet_start, state.settings.daily_text_cap, state.settings.optout_line_en) == \
        ("22:30", 2, "Text STOP to stop")
    tab.quiet_end.setText("25:00")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.status.text() and tab.status.text() != "Texting rules saved."
    assert state.settings.quiet_end == "09:00"


def test_gateway_settings_keep_the_token_hidden_and_a_test_text_shows_the_answer(qtbot, ctx, sending):
    gateway_config, _sms, _sender = sending
    screen, state = open_screen(qtbot, ctx)
    tab = screen.gateway
    screen.tabs.setCurrentWidget(tab)
    assert tab.kind.currentData() == "log" and not tab.account_sid.isEnabled()
    tab.kind.setCurrentIndex(tab.kind.findData("twilio"))
    qtbot.keyClicks(tab.account_sid, "AC" + "0" * 32)
    qtbot.keyClicks(tab.token, "5ecret70ken0123456789abcdef01234")
    qtbot.keyClicks(tab.sender, "+8613900009999")
    qtbot.keyClicks(tab.api_base, "http://127.0.0.1:9")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.status.text() == "Gateway saved."
    assert tab.token.text() == "" and "A token is stored" in tab.token.placeholderText()
    saved = gateway_config.load_gateway_config()
    assert (saved.kind, saved.sender, saved.has_token) == ("twilio", "+8613900009999", True)

    tab.kind.setCurrentIndex(tab.kind.findData("log"))
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert gateway_config.load_gateway_config().has_token                  # empty field: the token is kept
    qtbot.keyClicks(tab.test_phone, "13900001234")
    qtbot.mouseClick(tab.send_test, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.answer.text().startswith("Test text ") and "The gateway said:" in tab.answer.text()
    with ctx.tx(write=False) as t:
        test = t.s.execute(select(Message).where(Message.kind == "test")).scalar_one()
    assert test.phone == "+8613900001234" and test.status in ("sent", "delivered")
    assert "5ecret70ken0123456789abcdef01234" not in tab.answer.text()


# --- the background sender ---------------------------------------------------------------------------------
def test_background_sender_recovers_sends_never_overlaps_and_survives_errors(qtbot, ctx, sending, monkeypatch,
                                                                           caplog):
    _gc, _sms, sender_module = sending
    fill_outbox(ctx, count=26)
    with ctx.tx() as t:
        stale = t.s.execute(select(Message).where(Message.status == "queued")).scalars().first()
        stale.status = "sending"                                     # left by a crash
        stale_id = stale.id
    state = AppState(ctx)
    runner = BackgroundSender(state, interval_ms=40)
    state.sender = runner
    inside, most = [0], [0]
    lock = threading.Lock()
    real_send_due = sender_module.send_due

    def watched(*args, **kw):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            return real_send_due(*args, **kw)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(sender_module, "send_due", watched)
    runner.start()
    assert runner.run_now() is False or runner.running               # one run at a time
    qtbot.waitUntil(lambda: runner.runs >= 3, timeout=5000)
    runner.stop()
    settle(qtbot, state)
    assert most[0] == 1 and runner.last_error is None and runner.recovered
    assert status_in_db(ctx, stale_id) == "unknown"
    assert outbox_admin.status_counts(ctx)["queued"] == 0
    assert "sent" in runner.summary()

    def broken(*_a, **_k):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(sender_module, "send_due", broken)
    errors = []
    runner.failed.connect(errors.append)
    assert runner.run_now()
    settle(qtbot, state)
    sentence = "Something went wrong while sending texts. The details were saved."   # the cause is in the log
    assert errors and sentence in errors[0] and sentence in runner.summary() and "gateway down" not in errors[0]
    assert "ConnectionError: gateway down" in caplog.text
    monkeypatch.setattr(sender_module, "send_due", watched)
    assert runner.run_now()                                           # and the next run goes on
    settle(qtbot, state)
    assert runner.last_error is None


def test_the_screen_without_a_sending_side_says_so(qtbot, ctx, monkeypatch):
    monkeypatch.setattr("app.ui.texts.screen.sending_modules", lambda: None)
    screen, state = open_screen(qtbot, ctx)
    assert not screen.gateway.save.isEnabled() and not screen.gateway.send_test.isEnabled()
    assert "not available" in screen.outbox.sender_line.text()


def test_the_main_window_runs_the_sender_and_shows_its_result(qtbot, ctx, sending):
    from app.ui.main_window import MainWindow

    fill_outbox(ctx, count=26)
    state = AppState(ctx)
    window = MainWindow(state)
    qtbot.addWidget(window)
    window.show()
    sender = window.start_background_sender()
    qtbot.waitUntil(lambda: sender.runs >= 1, timeout=5000)
    settle(qtbot, state)
    assert window.texts_status.text().startswith("Texts at ") and " sent, " in window.texts_status.text()
    screen = window.show_screen("messages")
    settle(qtbot, state)
    assert screen.outbox.sender_line.text() == sender.summary() and screen.outbox.send_now.isEnabled()
    assert outbox_admin.status_counts(ctx)["queued"] == 0
    window.close()
    assert not sender.timer.isActive()
