"""The gateways: the real twilio client against the local fake Twilio server, the log gateway, and
this machine's gateway settings (the token in the keyring or a 0600 file, never in the config object)."""
from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from app.adapters.sms import LogGateway, TwilioGateway, make_gateway
from app.errors import ValidationError
from app.services.texts import gateway_config
from app.services.texts.gateway_config import GatewayConfig, load_gateway_config, save_gateway_config
from app.services.base.ports import GatewayError, SmsGateway
from tests.fake_twilio import SHOP_NUMBER, fake_twilio, gateway, twilio_cfg  # noqa: F401

TO = "+8613800138000"
SERVICE = "MG" + "ab" * 16


def test_send_is_a_twilio_request_as_the_server_sees_it(fake_twilio, gateway):
    assert isinstance(gateway, SmsGateway)
    result = gateway.send(TO, "您好 hello")
    [seen] = fake_twilio.requests
    assert seen.method == "POST"
    assert seen.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert seen.auth == (fake_twilio.account_sid, fake_twilio.auth_token)
    assert seen.content_type.startswith("application/x-www-form-urlencoded")
    assert seen.form == {"To": TO, "From": SHOP_NUMBER, "Body": "您好 hello"}
    assert result.provider_id in fake_twilio.messages and result.provider_id.startswith("SM")
    assert result.status == "queued"
    assert fake_twilio.sends[(TO, "您好 hello")] == 1


def test_a_messaging_service_sends_its_sid_instead_of_a_from_number(fake_twilio, twilio_cfg):
    from dataclasses import replace

    gw = TwilioGateway(replace(twilio_cfg, sender=SERVICE), fake_twilio.auth_token, timeout=0.5)
    gw.send(TO, "hi")
    assert fake_twilio.requests[0].form == {"To": TO, "MessagingServiceSid": SERVICE, "Body": "hi"}


@pytest.mark.parametrize("code", [21211, 21614, 21610])
def test_a_permanent_refusal_carries_twilio_s_code(fake_twilio, gateway, code):
    fake_twilio.script(TO, ("reject", code))
    with pytest.raises(GatewayError) as err:
        gateway.send(TO, "hi")
    assert err.value.code == "sms_rejected" and err.value.provider_code == str(code)
    assert not err.value.temporary
    assert fake_twilio.accepted() == 0


@pytest.mark.parametrize("action, provider_code", [("429", "20429"), ("500", "20500")])
def test_rate_limits_and_server_errors_are_temporary(fake_twilio, gateway, action, provider_code):
    fake_twilio.script(TO, action)
    with pytest.raises(GatewayError) as err:
        gateway.send(TO, "hi")
    assert err.value.temporary and not err.value.ambiguous
    assert err.value.provider_code == provider_code
    assert gateway.send(TO, "hi").provider_id  # the next try goes


def test_a_hanging_gateway_times_out_within_the_timeout(fake_twilio, gateway):
    fake_twilio.script(TO, "hang")
    t0 = time.monotonic()
    with pytest.raises(GatewayError) as err:
        gateway.send(TO, "hi")
    assert time.monotonic() - t0 < 1.0          # the client's 0.5 s, not the server's 1.2 s
    assert err.value.temporary and err.value.ambiguous  # it may have got there: ask before resending


def test_no_server_at_all_is_temporary(twilio_cfg, fake_twilio):
    from dataclasses import replace

    fake_twilio.stop()
    gw = TwilioGateway(replace(twilio_cfg, api_base=fake_twilio.url), fake_twilio.auth_token, timeout=0.5)
    with pytest.raises(GatewayError) as err:
        gw.send(TO, "hi")
    assert err.value.temporary
    fake_twilio.start()


def test_a_wrong_token_is_an_auth_error(fake_twilio, twilio_cfg):
    gw = TwilioGateway(twilio_cfg, "wrong0token", timeout=0.5)
    with pytest.raises(GatewayError) as err:
        gw.send(TO, "hi")
    assert err.value.code == "sms_auth_failed" and err.value.provider_code == "20003"
    assert "wrong0token" not in str(err.value)
    assert fake_twilio.accepted() == 0


def test_status_lookup_and_find_sent(fake_twilio, gateway):
    sid = gateway.send(TO, "bill 1").provider_id
    fake_twilio.deliver_as(TO, "undelivered", 30003)
    st = gateway.status(sid)
    assert (st.status, st.error_code) == ("undelivered", "30003")
    assert fake_twilio.requests[-1].path.endswith(f"/Messages/{sid}.json")
    from datetime import datetime

    assert gateway.find_sent(TO, "bill 1", datetime.now()) == sid
    assert gateway.find_sent(TO, "bill 2", datetime.now()) is None


def test_inbound_lists_replies_to_the_shop_number_across_pages(fake_twilio, gateway):
    for i in range(130):
        fake_twilio.add_inbound(f"+86138001{i:05d}", f"reply {i}", SHOP_NUMBER)
    fake_twilio.add_inbound(TO, "to another number", "+8613700000000")
    gateway.send(TO, "outbound, not a reply")
    replies = gateway.inbound(None)
    assert len(replies) == 130 and {r.to_phone for r in replies} == {SHOP_NUMBER}
    lists = [r for r in fake_twilio.requests if r.method == "GET"]
    assert len(lists) == 2 and lists[0].query["To"] == SHOP_NUMBER and lists[1].query["Page"] == "1"


def test_log_gateway_writes_the_outbox_log_and_numbers_its_ids(tmp_path):
    gw = LogGateway(tmp_path / "log" / "outbox.log")
    assert gw.send(TO, "line one\nline two").provider_id == "log-1"
    assert gw.send(TO, "again").provider_id == "log-2"
    assert LogGateway(tmp_path / "log" / "outbox.log").send(TO, "later").provider_id == "log-3"
    text = (tmp_path / "log" / "outbox.log").read_text(encoding="utf-8")
    assert "line one / line two" in text and text.count("\n") == 3
    assert "138****8000" in text and TO not in text          # no full phone number in a log file


def test_the_default_gateway_is_the_log_one_in_the_data_dir():
    gw = make_gateway()
    assert isinstance(gw, LogGateway)
    gw.send(TO, "x")
    from app import paths

    assert (paths.data_dir() / "log" / "outbox.log").is_file()


# --- gateway settings ---------------------------------------------------------------------------------
SID = "AC" + "1f" * 16
TOKEN = "abcdef0123456789abcdef0123456789"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_without_a_keyring_the_token_goes_to_a_0600_file_not_the_config(ctx, monkeypatch):
    for var in ("SHOPCARE_SMS_GATEWAY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SHOPCARE_SMS_FROM",
                "SHOPCARE_SMS_API_BASE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(gateway_config, "_keyring", lambda: None)
    cfg = save_gateway_config(ctx, GatewayConfig("twilio", SID, SHOP_NUMBER, "http://127.0.0.1:9"), TOKEN)
    assert cfg == GatewayConfig("twilio", SID, SHOP_NUMBER, "http://127.0.0.1:9", has_token=True)
    assert _mode(gateway_config.path()) == 0o600
    assert json.loads(gateway_config.path().read_text())["auth_token"] == TOKEN
    assert TOKEN not in repr(cfg)
    # None keeps the stored token; the gateway is made with it
    save_gateway_config(ctx, GatewayConfig("twilio", SID, "+8613900000001"), None)
    assert gateway_config.load_auth_token() == TOKEN
    gw = make_gateway()
    assert isinstance(gw, TwilioGateway) and gw.sender == "+8613900000001"


class _MemoryKeyring(KeyringBackend):
    priority = 10

    def __init__(self):
        super().__init__()
        self.store = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


def test_with_a_keyring_the_token_lives_there_only(ctx, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    ring = _MemoryKeyring()
    old = keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        save_gateway_config(ctx, GatewayConfig("twilio", SID, SHOP_NUMBER), TOKEN)
        assert ring.store[("ShopCare", "twilio_auth_token")] == TOKEN
        assert "auth_token" not in json.loads(gateway_config.path().read_text())
        assert gateway_config.load_auth_token() == TOKEN and gateway_config.token_in_keyring()
    finally:
        keyring.set_keyring(old)


def test_the_environment_overrides_the_file(ctx, monkeypatch):
    monkeypatch.setattr(gateway_config, "_keyring", lambda: None)
    save_gateway_config(ctx, GatewayConfig("log"), None)
    monkeypatch.setenv("SHOPCARE_SMS_GATEWAY", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("SHOPCARE_SMS_FROM", SERVICE)
    monkeypatch.setenv("SHOPCARE_SMS_API_BASE", "http://127.0.0.1:8765/")
    assert load_gateway_config() == GatewayConfig("twilio", SID, SERVICE, "http://127.0.0.1:8765", True)
    assert gateway_config.load_auth_token() == TOKEN


@pytest.mark.parametrize("cfg, token, code", [
    (GatewayConfig("sms77"), None, "sms_gateway_invalid"),
    (GatewayConfig("twilio", "AC123", SHOP_NUMBER), TOKEN, "sms_account_sid_invalid"),
    (GatewayConfig("twilio", SID, "13800138000"), TOKEN, "sms_sender_invalid"),
    (GatewayConfig("twilio", SID, SHOP_NUMBER, "ftp://x"), TOKEN, "sms_api_base_invalid"),
    (GatewayConfig("twilio", SID, SHOP_NUMBER), None, "sms_token_missing"),
    (GatewayConfig("twilio", SID, SHOP_NUMBER), "has space", "sms_token_invalid"),
])
def test_bad_gateway_settings_are_refused_and_nothing_is_written(ctx, monkeypatch, cfg, token, code):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setattr(gateway_config, "_keyring", lambda: None)
    with pytest.raises(ValidationError) as err:
        save_gateway_config(ctx, cfg, token)
    assert err.value.code == code
    assert not gateway_config.path().exists()


SPEC = Path("/work/shared/ref/twilio_api_v2010.json")


@pytest.mark.skipif(not SPEC.is_file(), reason="Twilio's OpenAPI description is not on this machine")
def test_the_fake_server_answers_with_the_fields_of_twilio_s_published_api(fake_twilio, gateway):
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    path = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]
    listed = path["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    form = path["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    sid = gateway.send(TO, "hi").provider_id
    resource = {k: v for k, v in fake_twilio.messages[sid].items() if not k.startswith("_")}
    assert set(resource) == set(schemas["api.v2010.account.message"]["properties"])
    assert resource["status"] in schemas["message_enum_status"]["enum"]
    assert resource["direction"] in schemas["message_enum_direction"]["enum"]
    status, page, _ = fake_twilio._list({"To": TO})
    assert status == 200 and set(page) == set(listed)
    assert set(fake_twilio.requests[0].form) <= set(form["properties"]) and "To" in form["required"]
    assert "201" in path["post"]["responses"]


def test_a_cashier_or_an_unconfirmed_owner_cannot_change_the_gateway(ctx, cashier_ctx, monkeypatch):
    """Enforced in the service, not only by the screen: the settings file stays as it was."""
    from app import paths
    from app.errors import PermissionDenied

    before = sorted(p.name for p in paths.config_dir().glob("*")) if paths.config_dir().exists() else []
    for who in (cashier_ctx, ctx.without_owner()):
        with pytest.raises(PermissionDenied):
            save_gateway_config(who, GatewayConfig("log"), None)
    after = sorted(p.name for p in paths.config_dir().glob("*")) if paths.config_dir().exists() else []
    assert after == before
