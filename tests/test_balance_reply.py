"""Balance by text: a member's reply of 余额 / BAL (the shop's keywords) through the real twilio client
and the fake Twilio server is answered once an hour with stored value, points (those about to expire
named) and count-card uses; a number that is no member's gets nothing (logged, masked); replies
nothing understood wait in Messages › Replies. On SQLite and, with SHOPCARE_TEST_PG, on PostgreSQL."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.errors import ValidationError
from app.models import InboundMessage, Message
from app.services.admin import shop_admin
from app.services.base import settings as shop_settings
from app.services.ledger import balance_reply, countcards, ledger, wallet
from app.services.sales import catalog
from app.services.texts import replies, sender
from tests.fake_twilio import SHOP_NUMBER, fake_twilio, gateway, twilio_cfg  # noqa: F401
from tests.shop import member

PHONE = "+8613800138001"


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=timezone.utc)


def answers(ctx) -> list[Message]:
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Message).where(Message.kind == "balance_reply").order_by(Message.id)).scalars().all()
        t.s.expunge_all()
        return rows


def actions(ctx) -> list[tuple[str, str]]:
    with ctx.tx(write=False) as t:
        return [tuple(r) for r in t.s.execute(select(InboundMessage.body, InboundMessage.action)
                                              .order_by(InboundMessage.id)).all()]


@pytest.fixture
def rich(ctx, clock):
    """A member with ¥120 stored value, 500 points (200 expiring on 20 March) and a haircut card."""
    clock.set(datetime(2026, 3, 2, 10))
    catalog.add_product(ctx, sku="CUT", name="Haircut 剪发", price=5000, kind="service")
    catalog.add_product(ctx, sku="CUT10", name="剪发十次卡", price=40000, kind="count_card", card_uses=10,
                        card_valid_days=365, card_service_sku="CUT")
    m = member(ctx, PHONE, "王芳")
    with ctx.tx() as t:
        wallet.open_balance(t, m.id, 10000, 2000)
        ledger.post_points(t, m.id, "opening", 200, expires_on=date(2026, 3, 20))
        ledger.post_points(t, m.id, "opening", 300, expires_on=date(2026, 12, 31))
        card = countcards.issue(t, m.id, catalog.lookup(t, "CUT10").id, None, 40000)
    with ctx.tx() as t:
        cut = catalog.lookup(t, "CUT").id
        countcards.use(t, card.id, m.id, cut, None)
    return m


def test_a_balance_query_is_answered_once_an_hour(ctx, clock, rich, fake_twilio, gateway):
    at = _utc(ctx.now() + timedelta(minutes=1))
    fake_twilio.add_inbound(PHONE, " 余额 ", SHOP_NUMBER, at)
    report = sender.poll(ctx, gateway, balances=balance_reply.values)
    assert (report.inbound, report.balances) == (1, 1)
    [msg] = answers(ctx)
    assert (msg.category, msg.status, msg.member_id) == ("transactional", "queued", rich.id)
    assert msg.body == "【My Shop】王芳您好，您的储值余额120.00，积分500（其中200分将于2026年3月20日前到期）；次卡：剪发十次卡剩9次。"
    assert actions(ctx) == [(" 余额 ", "balance")]
    # a flood: ten more queries over the next half hour get no second answer
    for i in range(10):
        fake_twilio.add_inbound(PHONE, ["BAL", "balance", "查询", "餘額", "Bal."][i % 5], SHOP_NUMBER,
                                _utc(ctx.now() + timedelta(minutes=2 + 3 * i)))
    clock.set(ctx.now() + timedelta(minutes=35))
    report = sender.poll(ctx, gateway, balances=balance_reply.values)
    assert (report.inbound, report.balances) == (10, 0) and len(answers(ctx)) == 1
    # the answer goes out through the gateway like any text
    assert sender.send_due(ctx, gateway).sent == 1
    assert fake_twilio.sends[(PHONE, msg.body)] == 1
    # an hour after the answer, a new query is answered again
    clock.set(ctx.now() + timedelta(minutes=30))
    fake_twilio.add_inbound(PHONE, "bal", SHOP_NUMBER, _utc(ctx.now()))
    assert sender.poll(ctx, gateway, balances=balance_reply.values).balances == 1
    assert len(answers(ctx)) == 2


def test_the_answer_in_each_language(ctx, rich):
    from app.models import Member
    from app.services.texts import templates

    expected = {
        "en": "My Shop: 王芳, your stored value is 120.00, points 500 (200 of them expire by Mar 20, 2026); "
              "count cards: 剪发十次卡 9 left.",
        "zh_TW": "【My Shop】王芳您好，您的儲值餘額120.00，點數500（其中200點將於2026年3月20日前到期）；次卡：剪发十次卡剩9次。",
    }
    for lang, body in expected.items():
        shop_settings.update(ctx, language=lang)
        cfg = shop_settings.load(ctx)
        with ctx.tx(write=False) as t:
            values = balance_reply.values(t, t.s.get(Member, rich.id), cfg)
        assert templates.compose(ctx, "balance_reply", lang, values, cfg=cfg) == body
    plain = member(ctx, "+8613800138099", "李雷")                       # nothing at all
    with ctx.tx(write=False) as t:
        values = balance_reply.values(t, t.s.get(Member, plain.id), shop_settings.load(ctx))
    assert (values["balance"], values["points"], values["points_note"], values["cards"]) == \
        ("0.00", "0", "", "無次卡")                                  # the shop speaks zh_TW now


def test_a_number_that_is_no_members_gets_nothing_and_the_log_masks_it(ctx, fake_twilio, gateway, caplog):
    fake_twilio.add_inbound("+8613700001234", "余额", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=1)))
    with caplog.at_level(logging.INFO, logger="app.services.texts.sender"):
        report = sender.poll(ctx, gateway, balances=balance_reply.values)
    assert (report.inbound, report.balances) == (1, 0) and answers(ctx) == []
    assert actions(ctx) == [("余额", "balance")]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "no member" in logged and "1234" in logged and "13700001234" not in logged


def test_replies_not_understood_wait_to_be_read(ctx, fake_twilio, gateway):
    m = member(ctx, PHONE, "王芳")
    at = _utc(ctx.now() + timedelta(minutes=1))
    fake_twilio.add_inbound(PHONE, "明天几点开门？", SHOP_NUMBER, at)
    fake_twilio.add_inbound("+8613700001234", "Do you sell gift cards?", SHOP_NUMBER, at + timedelta(minutes=1))
    fake_twilio.add_inbound(PHONE, "退订", SHOP_NUMBER, at + timedelta(minutes=2))
    sender.poll(ctx, gateway, balances=balance_reply.values)
    got = replies.list_replies(ctx)
    assert [(r.body, r.member_name, r.read_at) for r in got] == [("Do you sell gift cards?", None, None),
                                                                 ("明天几点开门？", "王芳", None)]
    assert got[1].member_id == m.id and got[0].masked_phone.endswith("1234") and "13700001234" not in got[0].masked_phone
    assert replies.unread_count(ctx) == 2
    assert replies.mark_read(ctx, [got[1].id]) == 1
    assert replies.mark_read(ctx, [got[1].id]) == 0
    assert [r.body for r in replies.list_replies(ctx, unread_only=True)] == ["Do you sell gift cards?"]
    assert replies.unread_count(ctx) == 1
    assert replies.mark_read(ctx, [got[1].id], read=False) == 1 and replies.unread_count(ctx) == 2


def test_the_keywords_are_the_shops(ctx, fake_twilio, gateway):
    member(ctx, PHONE, "王芳")
    shop_admin.update_texting(ctx, "21:00", "09:00", 3, "回T退订", "Reply STOP to opt out",
                              balance_keywords="查余额， YE")
    assert tuple(shop_settings.load(ctx).balance_keywords) == ("查余额", "YE")
    at = _utc(ctx.now() + timedelta(minutes=1))
    fake_twilio.add_inbound(PHONE, "BAL", SHOP_NUMBER, at)          # no longer a keyword: not understood
    fake_twilio.add_inbound(PHONE, "ye", SHOP_NUMBER, at + timedelta(seconds=5))
    assert sender.poll(ctx, gateway, balances=balance_reply.values).balances == 1
    assert actions(ctx) == [("BAL", "none"), ("ye", "balance")]
    for bad in ("STOP", "3", "two words", "x" * 21, ",".join(f"w{i}" for i in range(11))):
        with pytest.raises(ValidationError) as e:
            shop_admin.update_texting(ctx, "21:00", "09:00", 3, "回T退订", "Reply STOP to opt out",
                                      balance_keywords=bad)
        assert e.value.code in ("balance_keyword_reserved", "balance_keywords_invalid")
    assert tuple(shop_settings.load(ctx).balance_keywords) == ("查余额", "YE")   # nothing changed


def test_a_member_without_e_bills_is_not_answered(ctx, fake_twilio, gateway):
    member(ctx, PHONE, "王芳", ebill_enabled=False)
    fake_twilio.add_inbound(PHONE, "余额", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=1)))
    assert sender.poll(ctx, gateway, balances=balance_reply.values).balances == 0
    assert answers(ctx) == [] and actions(ctx) == [("余额", "balance")]


def test_the_replies_tab_shows_and_marks_replies(qtbot, ctx, fake_twilio, gateway):
    pytest.importorskip("pytestqt")
    from app.ui import i18n
    from app.ui.state import AppState
    from app.ui.texts.screen import MessagesScreen

    shop_settings.update(ctx, language="en")
    i18n.install("en")
    member(ctx, PHONE, "王芳")
    at = _utc(ctx.now() + timedelta(minutes=1))
    fake_twilio.add_inbound(PHONE, "明天几点开门？", SHOP_NUMBER, at)
    fake_twilio.add_inbound("+8613700001234", "Do you sell gift cards?", SHOP_NUMBER, at + timedelta(minutes=1))
    fake_twilio.add_inbound(PHONE, "余额", SHOP_NUMBER, at + timedelta(minutes=2))     # answered: not listed
    sender.poll(ctx, gateway, balances=balance_reply.values)
    state = AppState(ctx)
    screen = MessagesScreen(state)
    qtbot.addWidget(screen, before_close_func=lambda _w: state.tasks.wait())
    screen.show()
    screen.activated()
    tab = screen.replies
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=10_000)
    assert tab.summary.text() == "2 replies not read yet"
    assert screen.tabs.tabText(screen.tabs.indexOf(tab)) == "Replies (2)"
    cells = [[tab.table.item(r, c).text() for c in range(5)] for r in range(2)]
    assert cells[0][1:] == ["(not a member)", "137****1234", "Do you sell gift cards?", "new"]
    assert cells[1][1] == "王芳" and cells[1][3] == "明天几点开门？"
    tab.mark(True)                                                   # nothing chosen
    assert "Choose one or more replies first" in tab.status.text()
    tab.table.selectRow(1)
    tab.mark(True)
    qtbot.waitUntil(lambda: tab.unread == 1, timeout=10_000)
    assert tab.table.item(1, 4).text() == "read" and screen.tabs.tabText(screen.tabs.indexOf(tab)) == "Replies (1)"
    tab.show_read.setChecked(False)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=10_000)


def test_the_texting_rules_tab_saves_the_keywords(qtbot, ctx):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import Qt

    from app.ui import i18n
    from app.ui.state import AppState
    from app.ui.texts.texting_tab import TextingTab

    shop_settings.update(ctx, language="en")
    i18n.install("en")
    state = AppState(ctx)
    tab = TextingTab(state)
    qtbot.addWidget(tab, before_close_func=lambda _w: state.tasks.wait())
    tab.show()
    tab.load()
    qtbot.waitUntil(lambda: tab.keywords.text() != "", timeout=10_000)
    assert tab.keywords.text() == "余额, 查询, 餘額, 查詢, BAL, BALANCE"
    state.tasks.wait()
    qtbot.wait(10)
    tab.keywords.setText("退订, YE")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already means something" in tab.status.text(), timeout=10_000)
    tab.keywords.setText("查余额，YE")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.status.text() == "Texting rules saved.", timeout=10_000)
    assert tuple(state.settings.balance_keywords) == ("查余额", "YE")


def test_a_balance_query_through_the_fake_tencent_gateway_gets_one_correct_answer(ctx, clock, rich):
    """The issue's test: 余额 pulled through Tencent's SDK from the fake Tencent server, answered once,
    the answer sent as the shop's approved balance_reply template with its parameters in order."""
    from app.adapters.sms_tencent import TencentGateway
    from app.services.texts.gateway_config import GatewayConfig
    from app.services.texts.tencent_config import TencentConfig, TencentTemplate
    from tests.fake_tencent import FakeTencent

    fake = FakeTencent().start()
    try:
        fake.approved["100020"] = "{1}您好，您的储值余额{2}，积分{3}{4}；次卡：{5}。"
        tc = TencentConfig(secret_id=fake.secret_id, sdk_app_id=fake.sdk_app_id, sign_name=fake.signs[0],
                           region="ap-guangzhou", templates=(TencentTemplate(
                               "balance_reply", "100020", ("name", "balance", "points", "points_note", "cards")),))
        gw = TencentGateway(GatewayConfig(kind="tencent", api_base=fake.url, tencent=tc, has_secret_key=True),
                            fake.secret_key, timeout=2)
        for i in range(3):                                             # a flood of three
            fake.add_reply(PHONE, "余额", when=datetime(2026, 3, 2, 2, i, tzinfo=timezone.utc))
        report = sender.poll(ctx, gw, balances=balance_reply.values)
        assert (report.inbound, report.balances) == (3, 1)
        assert sender.send_due(ctx, gw).sent == 1
        assert fake.sent_to(PHONE) == ["【街角茶咖】王芳您好，您的储值余额120.00，积分500（其中200分将于2026年3月20日前到期）；"
                                       "次卡：剪发十次卡剩9次。"]
        assert sender.send_due(ctx, gw).sent == 0 and len(answers(ctx)) == 1
    finally:
        fake.stop()
