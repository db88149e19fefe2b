"""Tencent Cloud SMS: Tencent's own SDK against the local fake Tencent server (API 3.0, TC3 signing checked),
the settings (signature rules, template ids per kind, the SecretKey kept out of the config), and the
sender and poller on the real database: templates with ordered parameters, a kind without a template
refused at once, Tencent's codes mapped like Twilio's, reports and replies pulled (a 余额 reply lands in
inbound_messages)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.adapters.sms import make_gateway
from app.adapters.sms_tencent import TencentGateway, body_key
from app.errors import ValidationError
from app.models import InboundMessage, Message
from app.services.base.ports import GatewayError, SmsGateway, TemplateRef
from app.services.texts import gateway_config, outbox, sender, tencent_config, templates
from app.services.texts.gateway_config import GatewayConfig, load_gateway_config, save_gateway_config
from app.services.texts.tencent_config import TencentConfig, TencentTemplate
from tests.fake_tencent import fake_tencent, tencent_cfg, tencent_gateway  # noqa: F401
from tests.shop import member
from tests.texting import member_row, row

TO = "+8613800138000"
BILL = TemplateRef("ebill_sale", {"name": "王芳", "amount": "58.00", "balance": "442.00", "points": "1,280",
                                  "paid": "储值 58.00", "receipt": "T1-000123", "shop": "街角茶咖"})


# --- the gateway against the fake server -----------------------------------------------------------
def test_a_text_is_the_approved_template_with_its_parameters_in_order(fake_tencent, tencent_gateway):
    assert isinstance(tencent_gateway, SmsGateway)
    result = tencent_gateway.send(TO, "【街角茶咖】王芳您好…", BILL)
    [seen] = fake_tencent.requests
    assert seen.action == "SendSms" and seen.headers["x-tc-version"] == "2021-01-11"
    assert seen.headers["x-tc-region"] == "ap-guangzhou"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={fake_tencent.secret_id}/")
    assert seen.body["PhoneNumberSet"] == [TO] and seen.body["SmsSdkAppId"] == "1400006666"
    assert seen.body["SignName"] == "街角茶咖" and seen.body["TemplateId"] == "100001"
    assert seen.body["TemplateParamSet"] == ["王芳", "58.00", "442.00", "1,280"]
    assert seen.body["SessionContext"] == body_key("【街角茶咖】王芳您好…")
    assert fake_tencent.sent_to(TO) == ["【街角茶咖】王芳您好，您本次消费58.00，储值余额442.00，积分1,280。"]
    assert result.provider_id.startswith("2433:") and result.status == "sent"


@pytest.mark.parametrize("ref", [None, TemplateRef("winback", {"name": "王芳"})])
def test_a_kind_without_an_approved_template_is_refused_before_any_request(fake_tencent, tencent_gateway, ref):
    with pytest.raises(GatewayError) as err:
        tencent_gateway.send(TO, "hand-written", ref)
    assert err.value.code == "sms_no_template" and not err.value.temporary and not err.value.stops_sending
    assert fake_tencent.requests == []


@pytest.mark.parametrize("code, effect", [
    ("FailedOperation.PhoneNumberInBlacklist", "opted_out"),
    ("InvalidParameterValue.IncorrectPhoneNumber", "invalid"),
    ("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", None),
    ("FailedOperation.SignatureIncorrectOrUnapproved", None),
])
def test_a_permanent_refusal_carries_tencent_s_code_and_what_it_means(fake_tencent, tencent_gateway, code, effect):
    fake_tencent.script(TO, ("status", code))
    with pytest.raises(GatewayError) as err:
        tencent_gateway.send(TO, "x", BILL)
    assert (err.value.code, err.value.provider_code, err.value.effect) == ("sms_rejected", code, effect)
    assert not err.value.temporary and fake_tencent.texts == []


@pytest.mark.parametrize("script, code", [
    (("status", "LimitExceeded.PhoneNumberThirtySecondLimit"), "sms_temporary"),
    (("status", "LimitExceeded.PhoneNumberDailyLimit"), "sms_temporary"),
    (("error", "RequestLimitExceeded"), "sms_temporary"),
    (("error", "InternalError.SendAndRecvFail"), "sms_temporary"),
    ("500", "sms_temporary"),
    (("error", "FailedOperation.InsufficientBalanceInSmsPackage"), "sms_account_blocked"),
    (("error", "UnauthorizedOperation.ServiceSuspendDueToArrears"), "sms_account_blocked"),
])
def test_rate_limits_are_temporary_and_an_empty_package_stops_sending(fake_tencent, tencent_gateway, script, code):
    fake_tencent.script(TO, script)
    with pytest.raises(GatewayError) as err:
        tencent_gateway.send(TO, "x", BILL)
    assert err.value.code == code
    assert err.value.stops_sending == (code == "sms_account_blocked")
    assert tencent_gateway.send(TO, "x", BILL).provider_id      # the next try goes


def test_a_wrong_secret_key_is_an_auth_error_and_never_shown(fake_tencent, tencent_cfg):
    gw = TencentGateway(tencent_cfg, "wrongSecretKey0123456789", timeout=0.5)
    with pytest.raises(GatewayError) as err:
        gw.send(TO, "x", BILL)
    assert err.value.code == "sms_key_refused" and err.value.provider_code == "AuthFailure.SignatureFailure"
    assert err.value.stops_sending and "wrongSecretKey" not in str(err.value)
    other = replace(tencent_cfg, tencent=replace(tencent_cfg.tencent, secret_id="AKID" + "x" * 32))
    with pytest.raises(GatewayError) as err:
        TencentGateway(other, fake_tencent.secret_key, timeout=0.5).send(TO, "x", BILL)
    assert err.value.provider_code == "AuthFailure.SecretIdNotFound" and fake_tencent.texts == []


def test_a_hanging_gateway_times_out_and_may_have_taken_it(fake_tencent, tencent_gateway):
    import time

    fake_tencent.script(TO, "hang")
    t0 = time.monotonic()
    with pytest.raises(GatewayError) as err:
        tencent_gateway.send(TO, "x", BILL)
    assert time.monotonic() - t0 < 1.0
    assert err.value.temporary and err.value.ambiguous


def test_no_server_at_all_is_temporary_and_not_ambiguous(fake_tencent, tencent_cfg):
    fake_tencent.stop()
    gw = TencentGateway(tencent_cfg, fake_tencent.secret_key, timeout=0.5)
    with pytest.raises(GatewayError) as err:
        gw.send(TO, "x", BILL)
    assert err.value.temporary and not err.value.ambiguous
    fake_tencent.start()


def test_reports_are_pulled_once_for_every_text_of_a_poll(fake_tencent, tencent_gateway):
    fake_tencent.deliver_as("+8613800138001", "FAIL", "MK:0005")
    ok = tencent_gateway.send(TO, "a", BILL).provider_id
    bad = tencent_gateway.send("+8613800138001", "b", BILL).provider_id
    first = tencent_gateway.status(bad)
    assert (first.status, first.error_code) == ("undelivered", "MK:0005")
    assert tencent_gateway.status(ok).status == "delivered"
    pulls = [r for r in fake_tencent.requests if r.action == "PullSmsSendStatus"]
    assert len(pulls) == 1 and pulls[0].body["Limit"] == 100     # one drain answered both
    assert fake_tencent.reports == []                              # Tencent hands each report out once
    later = tencent_gateway.send(TO, "c", BILL).provider_id
    assert tencent_gateway.status(later).status == "sent"          # pulled within the same poll: not yet


def test_find_sent_matches_the_report_of_the_same_body(fake_tencent, tencent_gateway):
    since = datetime.now() - timedelta(minutes=1)
    sid = tencent_gateway.send(TO, "bill 1", BILL).provider_id
    assert tencent_gateway.find_sent(TO, "bill 1", since) == sid
    assert tencent_gateway.find_sent(TO, "bill 2", since) is None
    assert fake_tencent.requests[-1].action == "PullSmsSendStatusByPhoneNumber"


def test_replies_are_pulled_from_the_queue_once(fake_tencent, tencent_gateway):
    for i in range(130):
        fake_tencent.add_reply(f"+86138001{i:05d}", f"回复 {i}")
    replies = tencent_gateway.inbound(None)
    assert len(replies) == 130 and len({r.provider_id for r in replies}) == 130
    assert replies[0].to_phone == "【街角茶咖】" and replies[0].body.startswith("回复")
    assert [r.body["Limit"] for r in fake_tencent.requests] == [100, 100]
    assert tencent_gateway.inbound(None) == []


# --- the settings -----------------------------------------------------------------------------------
SECRET_ID = "AKID" + "Ab12" * 8
SECRET_KEY = "Key0" * 8
GOOD = TencentConfig(secret_id=SECRET_ID, sdk_app_id="1400006666", sign_name="街角茶咖", region="ap-guangzhou",
                     templates=(TencentTemplate("ebill_sale", "100001", ("name", "amount")),
                                TencentTemplate("birthday", "", ("name",))))


def _clean_env(monkeypatch):
    for var in ("SHOPCARE_SMS_GATEWAY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SHOPCARE_SMS_FROM",
                "SHOPCARE_SMS_API_BASE", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_tencent_settings_round_trip_and_the_secret_key_stays_out_of_the_config(ctx, monkeypatch):
    _clean_env(monkeypatch)
    monkeypatch.setattr(gateway_config, "_keyring", lambda: None)
    cfg = save_gateway_config(ctx, GatewayConfig("tencent", tencent=GOOD), None, SECRET_KEY)
    assert cfg.kind == "tencent" and cfg.has_secret_key and cfg.tencent == GOOD
    assert SECRET_KEY not in repr(cfg)
    data = json.loads(gateway_config.path().read_text())
    assert data["tencent"]["templates"]["ebill_sale"] == {"id": "100001", "params": ["name", "amount"]}
    assert data["tencent_secret_key"] == SECRET_KEY                # no keyring here: the 0600 file
    assert tencent_config.missing(cfg.tencent, ("ebill_sale", "birthday", "winback")) == ("birthday", "winback")
    gw = make_gateway()
    assert isinstance(gw, TencentGateway) and gw.sender == "【街角茶咖】"
    # None keeps the stored key
    save_gateway_config(ctx, GatewayConfig("tencent", tencent=replace(GOOD, region="ap-beijing")), None, None)
    assert gateway_config.load_tencent_key() == SECRET_KEY and load_gateway_config().tencent.region == "ap-beijing"


def test_the_environment_gives_the_tencent_credentials(ctx, monkeypatch):
    _clean_env(monkeypatch)
    monkeypatch.setattr(gateway_config, "_keyring", lambda: None)
    save_gateway_config(ctx, GatewayConfig("tencent", tencent=GOOD), None, SECRET_KEY)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKID" + "Zz90" * 8)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "Env0" * 8)
    assert load_gateway_config().tencent.secret_id == "AKID" + "Zz90" * 8
    assert gateway_config.load_tencent_key() == "Env0" * 8


@pytest.mark.parametrize("change, key, code", [
    (dict(sign_name="【街角茶咖】"), SECRET_KEY, "sms_sign_brackets"),
    (dict(sign_name="茶"), SECRET_KEY, "sms_sign_length"),
    (dict(sign_name="街角茶咖街角茶咖街角茶咖街"), SECRET_KEY, "sms_sign_length"),
    (dict(sign_name="街角 茶咖"), SECRET_KEY, "sms_sign_character"),
    (dict(sign_name="街角茶咖!"), SECRET_KEY, "sms_sign_character"),
    (dict(sign_name="123456"), SECRET_KEY, "sms_sign_digits"),
    (dict(secret_id="abc"), SECRET_KEY, "sms_secret_id_invalid"),
    (dict(sdk_app_id="14000"), SECRET_KEY, "sms_app_id_invalid"),
    (dict(region="us-east-1"), SECRET_KEY, "sms_region_invalid"),
    (dict(templates=(TencentTemplate("ebill_sale", "12a"),)), SECRET_KEY, "sms_template_id_invalid"),
    (dict(templates=(TencentTemplate("birthday", "1", ("amount",)),)), SECRET_KEY, "sms_template_param_unknown"),
    (dict(templates=(TencentTemplate("nosuch", "1"),)), SECRET_KEY, "template_kind_unknown"),
    ({}, None, "sms_secret_key_missing"),
    ({}, "has space in it 0123", "sms_secret_key_invalid"),
])
def test_bad_tencent_settings_are_refused_and_nothing_is_written(ctx, monkeypatch, change, key, code):
    _clean_env(monkeypatch)
    monkeypatch.setattr(gateway_config, "_keyring", lambda: None)
    with pytest.raises(ValidationError) as err:
        save_gateway_config(ctx, GatewayConfig("tencent", tencent=replace(GOOD, **change)), None, key)
    assert err.value.code == code
    assert not gateway_config.path().exists()


def test_a_signature_within_the_rules_is_kept_as_typed():
    assert tencent_config.check_sign_name(" 街角茶咖Tea2 ") == "街角茶咖Tea2"
    assert tencent_config.check_sign_name("AB") == "AB"


def test_each_kind_proposes_the_parameters_its_default_text_uses():
    assert tencent_config.default_params("birthday")[0] == "name"
    assert "shop" not in tencent_config.default_params("ebill_sale")
    for kind in tencent_config.kinds():
        assert set(tencent_config.default_params(kind)) <= set(templates.KINDS[kind].placeholders)


# --- the sender and the poller on the database ------------------------------------------------------
PHONES = ["+8613800138%03d" % i for i in range(1, 20)]


def _member(ctx, i: int):
    return member(ctx, phone=PHONES[i], name=f"会员{i}", consent_care=True, consent_marketing=True).id


def _queue(ctx, member_id: int, kind: str = "ebill_sale", category: str = "transactional") -> int:
    """A text composed from the shop's template, queued as the services do."""
    from app.models import Member

    with ctx.tx() as t:
        m = t.s.get(Member, member_id)
        body = templates.compose(t, kind, "zh_CN", {"name": m.name, "amount": "58.00", "balance": "442.00",
                                                     "points": "1,280"})
        return outbox.enqueue(t, m, kind=kind, category=category, body=body, dedupe_key=f"{kind}:{member_id}",
                              lang="zh_CN").id


def test_a_queued_text_keeps_what_it_was_made_of_and_goes_as_its_template(ctx, fake_tencent, tencent_gateway):
    mid = _member(ctx, 0)
    msg_id = _queue(ctx, mid)
    made = json.loads(row(ctx, msg_id).template)
    assert made["kind"] == "ebill_sale" and made["values"]["amount"] == "58.00" and made["values"]["name"] == "会员0"
    assert sender.send_due(ctx, tencent_gateway).sent == 1
    msg = row(ctx, msg_id)
    assert msg.status == "sent" and msg.provider_id == fake_tencent.texts[0][1]
    assert fake_tencent.sent_to(PHONES[0]) == ["【街角茶咖】会员0您好，您本次消费58.00，储值余额442.00，积分1,280。"]


def test_a_kind_without_a_template_fails_at_once_with_the_reason(ctx, fake_tencent, tencent_gateway, clock):
    msg_id = _queue(ctx, _member(ctx, 0), kind="winback", category="care")
    assert sender.send_due(ctx, tencent_gateway).failed == 1
    msg = row(ctx, msg_id)
    assert (msg.status, msg.attempts, msg.error_code) == ("failed", 1, "no_template")
    assert "no approved Tencent template for 'winback'" in msg.last_error
    clock.set(clock.now() + timedelta(hours=1))
    assert sender.send_due(ctx, tencent_gateway).sent == 0 and fake_tencent.requests == []


@pytest.mark.parametrize("code, flag, opted_out", [
    ("InvalidParameterValue.IncorrectPhoneNumber", "invalid", False),
    ("FailedOperation.PhoneNumberInBlacklist", None, True),
])
def test_tencent_refusals_update_the_member_as_twilio_s_do(ctx, fake_tencent, tencent_gateway, code, flag, opted_out):
    mid = _member(ctx, 0)
    msg_id = _queue(ctx, mid)
    fake_tencent.script(PHONES[0], ("status", code))
    assert sender.send_due(ctx, tencent_gateway).failed == 1
    msg, m = row(ctx, msg_id), member_row(ctx, mid)
    assert (msg.status, msg.error_code) == ("failed", code)       # the whole word fits (64)
    assert m.phone_flag == flag and (m.opted_out_at is not None) == opted_out


def test_a_rate_limit_is_retried_and_an_empty_package_leaves_everything_queued(ctx, fake_tencent, tencent_gateway,
                                                                               clock):
    first, second = _queue(ctx, _member(ctx, 0)), _queue(ctx, _member(ctx, 1))
    fake_tencent.script(PHONES[0], ("status", "LimitExceeded.PhoneNumberThirtySecondLimit"))
    fake_tencent.script(PHONES[1], ("error", "FailedOperation.InsufficientBalanceInSmsPackage"))
    with pytest.raises(GatewayError) as err:
        sender.send_due(ctx, tencent_gateway)
    assert err.value.code == "sms_account_blocked" and err.value.params["report"].retried == 1
    assert row(ctx, first).status == "queued" and row(ctx, first).attempts == 1
    assert (row(ctx, second).status, row(ctx, second).attempts) == ("queued", 0)
    clock.set(clock.now() + timedelta(minutes=1))
    assert sender.send_due(ctx, tencent_gateway).sent == 2


def test_poll_pulls_delivery_and_a_balance_query_reply_lands_in_inbound_messages(ctx, fake_tencent, tencent_gateway):
    mid = _member(ctx, 0)
    msg_id = _queue(ctx, mid)
    sender.send_due(ctx, tencent_gateway)
    fake_tencent.add_reply(PHONES[0], "余额")
    fake_tencent.add_reply("+8613999999999", "查询")                 # not a member: kept, no member
    report = sender.poll(ctx, tencent_gateway)
    assert (report.checked, report.delivered, report.inbound) == (1, 1, 2)
    assert row(ctx, msg_id).status == "delivered"
    with ctx.tx(write=False) as t:
        rows = {r.from_phone: r for r in t.s.execute(select(InboundMessage)).scalars()}
        assert rows[PHONES[0]].body == "余额" and rows[PHONES[0]].member_id == mid
        assert rows[PHONES[0]].to_phone == "【街角茶咖】" and rows["+8613999999999"].member_id is None
    assert sender.poll(ctx, tencent_gateway).inbound == 0            # each reply is handed out once


def test_the_owner_s_test_text_goes_as_the_test_template(ctx, fake_tencent, tencent_gateway):
    result = sender.send_test(ctx, tencent_gateway, PHONES[2])
    assert result.status == "sent" and fake_tencent.sent_to(PHONES[2])[0].startswith("【街角茶咖】")
    typed = sender.send_test(ctx, tencent_gateway, PHONES[2], "hello")
    assert typed.status == "failed" and "written by hand" in typed.answer
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(Message.template).where(Message.id == typed.message_id)).scalar() is None


def test_with_a_keyring_the_secret_key_lives_there_only_and_the_support_bundle_hides_the_id(ctx, monkeypatch):
    import keyring

    from app.services.admin import support
    from tests.test_sms_gateway import _MemoryKeyring

    _clean_env(monkeypatch)
    ring, old = _MemoryKeyring(), keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        save_gateway_config(ctx, GatewayConfig("tencent", tencent=GOOD), None, SECRET_KEY)
        assert ring.store[("ShopCare", "tencent_secret_key")] == SECRET_KEY
        assert "tencent_secret_key" not in json.loads(gateway_config.path().read_text())
        assert gateway_config.load_tencent_key() == SECRET_KEY
        data = support.settings_data(ctx)["gateway"]
        assert data["tencent"]["secret_id"] == "[hidden]" and data["tencent"]["sign_name"] == "街角茶咖"
        assert data["tencent"]["templates"] == {"ebill_sale": "100001"}
        assert SECRET_ID not in json.dumps(data, ensure_ascii=False) and SECRET_KEY not in json.dumps(data)
    finally:
        keyring.set_keyring(old)
