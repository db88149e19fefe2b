"""The outbox sender and poller with the real twilio client against the fake Twilio server, on the
real SQLite file: claim-send-record, refusals, retries, time-outs, quiet hours, the daily cap,
consent at send time, delivery statuses and replies."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from app.adapters.sms import LogGateway, TwilioGateway
from app.db import Database
from app.errors import PermissionDenied, ValidationError
from app.models import AuditLog, InboundMessage, Member, Message, SatisfactionScore
from app.services.texts import sender
from app.services.admin import shop_admin
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.base.ports import GatewayError
from app.services.texts.sender import in_quiet_hours, quiet_end_after
from tests.fake_twilio import SHOP_NUMBER, fake_twilio, gateway, twilio_cfg  # noqa: F401
from tests.shop import member
from tests.texting import member_row, queue, row, statuses
from tests.shop import as_confirmed

PHONES = ["+8613800138%03d" % i for i in range(1, 40)]


def _member(ctx, i: int, **kw):
    return member(ctx, phone=PHONES[i], name=f"会员{i}", consent_care=True, consent_marketing=True, **kw).id


def _advance(clock: FixedClock, **delta) -> None:
    clock.set(clock.now() + timedelta(**delta))


def test_due_texts_are_sent_once_with_the_provider_id(ctx, fake_twilio, gateway):
    ids = [queue(ctx, _member(ctx, i)) for i in range(3)]
    report = sender.send_due(ctx, gateway)
    assert report == sender.SendReport(sent=3, failed=0, deferred=0, retried=0, unknown=0)
    for msg_id in ids:
        msg = row(ctx, msg_id)
        assert msg.status == "sent" and msg.provider_id in fake_twilio.messages
        assert msg.attempts == 1 and msg.sent_at == ctx.now() and msg.claimed_at == ctx.now()
        assert fake_twilio.sends[(msg.phone, msg.body)] == 1
    assert sender.send_due(ctx, gateway) == sender.SendReport(0, 0, 0, 0, 0)
    assert fake_twilio.accepted() == 3


def test_a_text_not_yet_due_waits(ctx, fake_twilio, gateway, clock):
    msg_id = queue(ctx, _member(ctx, 0), due_at=ctx.now() + timedelta(minutes=5))
    assert sender.send_due(ctx, gateway).sent == 0
    _advance(clock, minutes=5)
    assert sender.send_due(ctx, gateway).sent == 1 and row(ctx, msg_id).status == "sent"


@pytest.mark.parametrize("code, flag, opted_out", [("21211", "invalid", False), ("21614", "not_mobile", False),
                                                    ("21610", None, True)])
def test_permanent_refusals_fail_at_once_and_update_the_member(ctx, fake_twilio, gateway, code, flag, opted_out):
    mid = _member(ctx, 0)
    msg_id = queue(ctx, mid)
    fake_twilio.script(PHONES[0], ("reject", int(code)))
    assert sender.send_due(ctx, gateway).failed == 1
    msg, m = row(ctx, msg_id), member_row(ctx, mid)
    assert (msg.status, msg.error_code, msg.attempts) == ("failed", code, 1)
    assert m.phone_flag == flag
    assert (m.opted_out_at is not None) == opted_out
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(AuditLog.action).where(AuditLog.entity_id == str(mid),
                                                         AuditLog.action.like("member.%"))).scalars().all()
    # a flagged or opted-out member is not sent the next care text, to be refused again
    assert queue(ctx, mid, kind="birthday", category="care") is None
    assert fake_twilio.accepted() == 0


def test_temporary_errors_are_retried_with_exponential_backoff(ctx, fake_twilio, gateway, clock):
    msg_id = queue(ctx, _member(ctx, 0))
    fake_twilio.script(PHONES[0], "429", "500", "500")
    start = ctx.now()
    assert sender.send_due(ctx, gateway).retried == 1
    msg = row(ctx, msg_id)
    assert (msg.status, msg.attempts, msg.due_at, msg.error_code) == ("queued", 1, start + timedelta(seconds=30),
                                                                      "20429")
    assert sender.send_due(ctx, gateway).retried == 0          # not due yet: nothing asked
    _advance(clock, seconds=30)
    assert sender.send_due(ctx, gateway).retried == 1
    assert row(ctx, msg_id).due_at == ctx.now() + timedelta(seconds=60)
    _advance(clock, seconds=60)
    sender.send_due(ctx, gateway)
    assert row(ctx, msg_id).due_at == ctx.now() + timedelta(seconds=120)
    _advance(clock, seconds=120)
    assert sender.send_due(ctx, gateway).sent == 1
    msg = row(ctx, msg_id)
    assert (msg.status, msg.attempts, msg.last_error, msg.error_code) == ("sent", 4, None, None)
    assert len(fake_twilio.posts()) == 4 and fake_twilio.accepted() == 1


def test_after_max_attempts_a_text_fails(ctx, fake_twilio, gateway, clock):
    msg_id = queue(ctx, _member(ctx, 0))
    fake_twilio.script(PHONES[0], *["500"] * sender.MAX_ATTEMPTS)
    for _ in range(sender.MAX_ATTEMPTS):
        sender.send_due(ctx, gateway)
        _advance(clock, hours=1)
    msg = row(ctx, msg_id)
    assert (msg.status, msg.attempts, msg.error_code) == ("failed", sender.MAX_ATTEMPTS, "20500")
    assert fake_twilio.accepted() == 0


def test_a_hang_times_out_and_is_retried(ctx, fake_twilio, gateway, clock):
    msg_id = queue(ctx, _member(ctx, 0))
    fake_twilio.script(PHONES[0], "hang")
    assert sender.send_due(ctx, gateway).retried == 1
    assert row(ctx, msg_id).last_error.startswith("ambiguous")
    _advance(clock, seconds=30)
    assert sender.send_due(ctx, gateway).sent == 1
    msg = row(ctx, msg_id)
    assert msg.status == "sent" and fake_twilio.sends[(msg.phone, msg.body)] == 1


def test_a_text_the_gateway_took_before_hanging_is_not_sent_again(ctx, fake_twilio, gateway, clock):
    msg_id = queue(ctx, _member(ctx, 0))
    fake_twilio.script(PHONES[0], "hang_after_accept")
    assert sender.send_due(ctx, gateway).retried == 1
    [taken] = [sid for sid, m in fake_twilio.messages.items()]
    _advance(clock, seconds=30)
    assert sender.send_due(ctx, gateway).sent == 1
    msg = row(ctx, msg_id)
    assert msg.provider_id == taken                      # found at the gateway, not sent again
    assert len(fake_twilio.posts()) == 1 and fake_twilio.sends[(msg.phone, msg.body)] == 1


def test_a_wrong_token_stops_the_run_and_leaves_the_texts_queued(ctx, fake_twilio, twilio_cfg):
    ids = [queue(ctx, _member(ctx, i)) for i in range(3)]
    bad = TwilioGateway(twilio_cfg, "wrong0token0", timeout=0.5)
    with pytest.raises(GatewayError) as err:
        sender.send_due(ctx, bad)
    assert err.value.code == "sms_auth_failed"
    assert err.value.params["report"] == sender.SendReport(0, 0, 0, 0, 0)
    assert [(row(ctx, i).status, row(ctx, i).attempts) for i in ids] == [("queued", 0)] * 3
    assert len(fake_twilio.posts()) == 1 and fake_twilio.accepted() == 0


def test_quiet_hours_cross_midnight(ctx, clock):
    assert in_quiet_hours(datetime(2026, 3, 2, 22, 30), "21:00", "09:00")
    assert in_quiet_hours(datetime(2026, 3, 2, 8, 59), "21:00", "09:00")
    assert not in_quiet_hours(datetime(2026, 3, 2, 9, 0), "21:00", "09:00")
    assert in_quiet_hours(datetime(2026, 3, 2, 13, 30), "13:00", "14:00")
    assert not in_quiet_hours(datetime(2026, 3, 2, 22, 0), "13:00", "14:00")
    assert not in_quiet_hours(datetime(2026, 3, 2, 3, 0), "00:00", "00:00")
    assert quiet_end_after(datetime(2026, 3, 2, 22, 30), "21:00", "09:00") == datetime(2026, 3, 3, 9, 0)
    assert quiet_end_after(datetime(2026, 3, 3, 1, 0), "21:00", "09:00") == datetime(2026, 3, 3, 9, 0)


def test_quiet_hours_defer_every_category_then_send(ctx, fake_twilio, gateway, clock):
    shop_admin.update_texting(ctx, "22:00", "08:30", 3, "回T退订", "Reply STOP to opt out")
    clock.set(datetime(2026, 3, 2, 22, 30))
    ebill = queue(ctx, _member(ctx, 0))
    care = queue(ctx, _member(ctx, 1), kind="birthday", category="care")
    assert sender.send_due(ctx, gateway).deferred == 2
    assert {row(ctx, ebill).due_at, row(ctx, care).due_at} == {datetime(2026, 3, 3, 8, 30)}
    clock.set(datetime(2026, 3, 3, 1, 0))
    assert sender.send_due(ctx, gateway) == sender.SendReport(0, 0, 0, 0, 0)
    clock.set(datetime(2026, 3, 3, 8, 30))
    assert sender.send_due(ctx, gateway).sent == 2
    assert {row(ctx, ebill).status, row(ctx, care).status} == {"sent"}
    assert fake_twilio.accepted() == 2


def test_the_daily_cap_defers_extra_care_texts_to_the_next_day(ctx, fake_twilio, gateway, clock):
    shop_admin.update_texting(ctx, "21:00", "09:00", 2, "回T退订", "Reply STOP to opt out")
    mid = _member(ctx, 0)
    cares = [queue(ctx, mid, kind=k, category=c) for k, c in
             (("birthday", "care"), ("campaign", "marketing"), ("winback", "marketing"))]
    ebill = queue(ctx, mid)
    report = sender.send_due(ctx, gateway)
    assert (report.sent, report.deferred) == (3, 1)      # two capped texts and the e-bill (never capped)
    assert row(ctx, ebill).status == "sent"
    assert [row(ctx, i).status for i in cares] == ["sent", "sent", "queued"]
    assert row(ctx, cares[2]).due_at == datetime(2026, 3, 3, 9, 0)   # tomorrow, after the quiet hours
    clock.set(datetime(2026, 3, 3, 9, 0))
    assert sender.send_due(ctx, gateway).sent == 1 and row(ctx, cares[2]).status == "sent"


def test_consent_is_checked_again_at_send_time(ctx, fake_twilio, gateway):
    opted, no_bills = _member(ctx, 0), _member(ctx, 1)
    care = queue(ctx, opted, kind="birthday", category="care")
    bill = queue(ctx, no_bills)
    still = queue(ctx, opted)                       # e-bills go after a marketing opt-out
    with ctx.tx() as t:
        t.s.execute(update(Member).where(Member.id == opted).values(opted_out_at=ctx.now()))
        t.s.execute(update(Member).where(Member.id == no_bills).values(ebill_enabled=False))
    report = sender.send_due(ctx, gateway)
    assert (report.sent, report.cancelled) == (1, 2)
    assert row(ctx, care).status == "cancelled" and "opted out" in row(ctx, care).last_error
    assert row(ctx, bill).status == "cancelled" and "e-bills turned off" in row(ctx, bill).last_error
    assert row(ctx, still).status == "sent" and fake_twilio.accepted() == 1


def test_poll_moves_sent_texts_to_delivered_or_failed(ctx, fake_twilio, gateway):
    ids = [queue(ctx, _member(ctx, i)) for i in range(4)]
    sender.send_due(ctx, gateway)
    fake_twilio.deliver_as(PHONES[1], "undelivered", 30003)
    fake_twilio.deliver_as(PHONES[2], "failed", 30007)
    fake_twilio.deliver_as(PHONES[3], "sent")               # not final yet: asked again next time
    report = sender.poll(ctx, gateway)
    assert (report.checked, report.delivered, report.failed) == (4, 1, 2)
    assert [(row(ctx, i).status, row(ctx, i).error_code) for i in ids] == [
        ("delivered", None), ("failed", "30003"), ("failed", "30007"), ("sent", None)]
    fake_twilio.deliver_as(PHONES[3], "delivered")
    assert sender.poll(ctx, gateway).delivered == 1


def _utc(local: datetime) -> datetime:
    return local.astimezone(timezone.utc)


def test_replies_opt_out_opt_in_and_score(ctx, fake_twilio, gateway, clock):
    ms = [_member(ctx, i) for i in range(8)]
    at = _utc(ctx.now() + timedelta(minutes=1))
    for i, word in enumerate([" STOP ", "退订", "t", "Td", "R"]):
        fake_twilio.add_inbound(PHONES[i], word, SHOP_NUMBER, at)
    asked = queue(ctx, ms[5], kind="satisfaction", category="care", body="满意请回1-5")
    sender.send_due(ctx, gateway)
    fake_twilio.add_inbound(PHONES[5], " 4 ", SHOP_NUMBER, at)
    fake_twilio.add_inbound(PHONES[6], "5", SHOP_NUMBER, at)          # never asked: just stored
    fake_twilio.add_inbound("+8613700000001", "STOP", SHOP_NUMBER, at)  # not a member
    report = sender.poll(ctx, gateway)
    assert (report.inbound, report.opted_out, report.opted_in, report.scores) == (8, 5, 0, 1)
    assert all(member_row(ctx, ms[i]).opted_out_at is not None for i in range(5))
    assert member_row(ctx, ms[6]).opted_out_at is None
    with ctx.tx(write=False) as t:
        [score] = t.s.execute(select(SatisfactionScore)).scalars().all()
        assert (score.member_id, score.message_id, score.score) == (ms[5], asked, 4)
    # each reply is stored once, however often the gateway lists it
    again = sender.poll(ctx, gateway)
    assert (again.inbound, again.opted_out, again.scores) == (0, 0, 0)
    fake_twilio.add_inbound(PHONES[0], "START", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=2)))
    fake_twilio.add_inbound(PHONES[5], "2", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=3)))  # already scored
    report = sender.poll(ctx, gateway)
    assert (report.inbound, report.opted_in, report.scores) == (2, 1, 0)
    assert member_row(ctx, ms[0]).opted_out_at is None
    with ctx.tx(write=False) as t:
        actions = dict(t.s.execute(select(InboundMessage.body, InboundMessage.action)).all())
    assert actions[" STOP "] == "stop" and actions["START"] == "start" and actions[" 4 "] == "score"
    assert actions["5"] == "none" and actions["2"] == "none"


def test_a_score_long_after_the_satisfaction_text_is_not_a_score(ctx, fake_twilio, gateway):
    mid = _member(ctx, 0)
    queue(ctx, mid, kind="satisfaction", category="care")
    sender.send_due(ctx, gateway)
    fake_twilio.add_inbound(PHONES[0], "5", SHOP_NUMBER, _utc(ctx.now() + sender.SCORE_WINDOW + timedelta(hours=1)))
    assert sender.poll(ctx, gateway).scores == 0


def test_recover_stale_turns_interrupted_rows_unknown(ctx, clock):
    old, fresh = queue(ctx, _member(ctx, 0)), queue(ctx, _member(ctx, 1))
    with ctx.tx() as t:
        t.s.execute(update(Message).where(Message.id == old).values(status="sending",
                                                                     claimed_at=ctx.now() - timedelta(minutes=10)))
        t.s.execute(update(Message).where(Message.id == fresh).values(status="sending", claimed_at=ctx.now()))
    assert sender.recover_stale(ctx) == 1
    assert row(ctx, old).status == "unknown" and row(ctx, fresh).status == "sending"
    assert sender.recover_stale(ctx, older_than=timedelta(0)) == 1


def test_two_tills_never_claim_the_same_text(ctx, fake_twilio, twilio_cfg, tmp_path, clock):
    members = [_member(ctx, i) for i in range(30)]
    for i in range(60):
        queue(ctx, members[i % 30], key=f"k{i}")
    dbs = [Database(ctx.db.url) for _ in range(2)]
    reports, errors = [], []

    def till(db, code):
        try:
            c = Ctx(db=db, actor=Actor(None, "system", "system"), till=code, clock=FixedClock(clock.now()))
            gw = TwilioGateway(twilio_cfg, fake_twilio.auth_token, timeout=2)
            reports.append(sender.send_due(c, gw, limit=100))
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=till, args=(db, f"T{n}")) for n, db in enumerate(dbs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for db in dbs:
        db.dispose()
    assert errors == []
    assert sum(r.sent for r in reports) == 60
    assert statuses(ctx) == {"sent": 60}
    assert max(fake_twilio.sends.values()) == 1 and fake_twilio.accepted() == 60


def test_send_test_sends_now_and_gives_the_gateway_s_answer(ctx, fake_twilio, gateway, clock):
    clock.set(datetime(2026, 3, 2, 23, 0))                      # quiet hours do not hold a test back
    result = sender.send_test(ctx, gateway, "138 0013 8999", "测试 test")
    assert result.status == "sent" and result.provider_id in fake_twilio.messages
    assert result.provider_id in result.answer
    assert fake_twilio.sends[("+8613800138999", "测试 test")] == 1
    fake_twilio.script("+8613800138998", ("reject", 21211))
    refused = sender.send_test(ctx, gateway, "13800138998")
    assert refused.status == "failed" and "21211" in refused.answer
    with pytest.raises(ValidationError):
        sender.send_test(ctx, gateway, "not a phone")


def test_send_test_through_the_log_gateway(ctx, tmp_path):
    gw = LogGateway(tmp_path / "outbox.log")
    result = sender.send_test(ctx, gw, "13800138000")
    assert (result.status, result.provider_id) == ("sent", "log-1")
    assert "ShopCare" in (tmp_path / "outbox.log").read_text(encoding="utf-8")


def test_update_texting_validates_and_is_for_owners_and_managers(ctx):
    manager = as_confirmed(ctx, Actor(None, "m", "manager"))  # the owner typed the password
    cfg = shop_admin.update_texting(manager, "9:30", "07:05", 1, "  回T退订 ", "Reply STOP to opt out")
    assert (cfg.quiet_start, cfg.quiet_end, cfg.daily_text_cap, cfg.optout_line_zh) == ("09:30", "07:05", 1, "回T退订")
    with pytest.raises(PermissionDenied):
        shop_admin.update_texting(ctx.as_actor(Actor(None, "c", "cashier")), "21:00", "09:00", 3, "x", "y")
    for bad in (("25:00", "09:00", 3, "x", "y"), ("21:00", "9", 3, "x", "y"), ("21:00", "09:00", -1, "x", "y"),
                ("21:00", "09:00", True, "x", "y"), ("21:00", "09:00", 3, "", "y"), ("21:00", "09:00", 3, "x" * 31, "y")):
        with pytest.raises(ValidationError):
            shop_admin.update_texting(ctx, *bad)
    from app.services.base import settings

    assert settings.load(ctx).quiet_start == "09:30"


def test_a_text_another_till_marked_unknown_mid_send_is_still_recorded_sent(ctx, fake_twilio, gateway):
    msg_id = queue(ctx, _member(ctx, 0))
    recovered = []

    def other_till_starts(step, _id):
        if step == "sent":
            recovered.append(sender.recover_stale(ctx, older_than=timedelta(0)))

    assert sender.send_due(ctx, gateway, step=other_till_starts).sent == 1
    assert recovered == [1]
    msg = row(ctx, msg_id)
    assert msg.status == "sent" and msg.provider_id in fake_twilio.messages


def test_settings_refuse_bad_quiet_hours_set_directly(ctx):
    from app.services.base import settings

    with pytest.raises(ValidationError):
        settings.update(ctx, quiet_start="9pm")
    with pytest.raises(ValidationError):
        settings.update(ctx, daily_text_cap=-2)
