"""Stored and printed errors never carry credentials; erasing a member clears their error texts and
replies too; a test text goes now or never (issue 12, groups 7 and 12).

The real twilio client against the local fake server, which here echoes the request's Authorization
header and the credentials in every error body, as some gateways and proxies do."""
from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from app.errors import Conflict, PermissionDenied
from app.models import InboundMessage, Message
from app.services.care import callbacks
from app.services.members import erasure, members
from app.services.texts import sender
from app.services.base.context import Actor
from app.services.base.redact import ERROR_MAX, scrub
from tests.fake_twilio import SHOP_NUMBER, fake_twilio, gateway, twilio_cfg  # noqa: F401
from tests.shop import member
from tests.texting import queue

TO = "+8613800138000"


def _secrets(fake) -> list[str]:
    basic = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    return [fake.auth_token, fake.account_sid, basic]


def _stored_errors(ctx) -> list[str]:
    with ctx.tx(write=False) as t:
        return [e for e in t.s.execute(select(Message.last_error)).scalars() if e]


def test_a_refusal_echoing_the_authorization_header_is_stored_and_printed_without_it(ctx, fake_twilio, gateway):
    fake_twilio.echo_auth = True
    m = member(ctx, "13800138000", "王芳", consent_care=True)
    queue(ctx, m.id, body="生日快乐")
    fake_twilio.script(TO, ("reject", 21211))
    report = sender.send_due(ctx, gateway)
    assert report.failed == 1
    [error] = _stored_errors(ctx)
    assert "not a valid phone number" in error              # the reason stays readable
    for secret in _secrets(fake_twilio):
        assert secret not in error
    assert "Basic " not in error and "13800138000" not in error    # the number is masked too
    # printed: the test command's answer
    fake_twilio.script("+8613800138999", ("reject", 21614))
    result = sender.send_test(ctx, gateway, "13800138999", "test")
    assert result.status == "failed" and "not a valid mobile number" in result.answer
    for secret in _secrets(fake_twilio):
        assert secret not in result.answer
    assert all(s not in e for e in _stored_errors(ctx) for s in _secrets(fake_twilio))


@pytest.mark.parametrize("text", [
    "Authorization: Basic QUMxMjM0NTY3ODk6c2VjcmV0dG9rZW4=",
    'headers: {"Authorization": "Bearer abcdef123456"}',
    "auth_token=secret0token0123 password: hunter22 api_key=k-123456",
    "https://AC123:tok456@api.example.com/x",
])
def test_scrub_hides_credentials_whatever_their_form(text):
    out = scrub(text, ["secret0token0123"])
    for gone in ("QUMxMjM0NTY3ODk6c2VjcmV0dG9rZW4=", "abcdef123456", "secret0token0123", "hunter22", "k-123456",
                 "tok456"):
        assert gone not in out
    assert len(scrub("x" * 5000)) == ERROR_MAX and "\x00" not in scrub("a\x00b")


def test_a_test_text_refused_with_401_is_never_sent_later(ctx, fake_twilio, gateway):
    fake_twilio.script("+8613800138999", "401")
    result = sender.send_test(ctx, gateway, "13800138999", "call me")
    assert result.status == "failed"
    with ctx.tx(write=False) as t:
        assert t.s.get(Message, result.message_id).status == "failed"
    report = sender.send_due(ctx, gateway)
    assert report.sent == 0 and fake_twilio.accepted() == 0


def test_only_outbox_managers_send_test_texts(ctx, fake_twilio, gateway):
    cashier = ctx.as_actor(Actor(None, "Cal", "cashier"))
    with pytest.raises(PermissionDenied):
        sender.send_test(cashier, gateway, "13800138999", "anything to anyone")
    assert fake_twilio.requests == []
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(Message.id)).first() is None


def test_erasure_clears_error_texts_replies_and_test_texts_to_the_number(ctx, fake_twilio, gateway):
    m = member(ctx, "13800138000", "王芳", consent_care=True)
    queue(ctx, m.id, body="生日快乐 王芳")
    fake_twilio.script(TO, ("reject", 21614))
    sender.send_due(ctx, gateway)
    sender.send_test(ctx, gateway, "13800138000", "王芳 test")
    fake_twilio.add_inbound(TO, "王芳 here, stop please", SHOP_NUMBER)
    sender.poll(ctx, gateway)
    with ctx.tx(write=False) as t:   # the failed text quotes the number (masked), the replies hold it
        assert t.s.execute(select(Message.last_error).where(Message.member_id == m.id)).scalar()
        assert t.s.execute(select(InboundMessage.from_phone)).scalar() == TO
    erasure.erase_member(ctx, m.id, "asked to be forgotten")
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Message.phone, Message.body, Message.last_error)).all()
        inbound = t.s.execute(select(InboundMessage.from_phone, InboundMessage.body)).all()
    assert rows and all((p, b, e) == ("", "", None) for p, b, e in rows)
    assert inbound and all((p, b) == ("", "") for p, b in inbound)


def test_an_erased_member_is_never_edited_again(ctx, cashier_ctx):
    m = member(ctx, "13800138000", "王芳")
    erasure.erase_member(ctx, m.id, "asked to be forgotten")
    for who in (cashier_ctx, ctx):
        for call in (lambda c: members.update_member(c, m.id, name="王芳"),
                     lambda c: members.update_member(c, m.id, phone="13800138000"),
                     lambda c: members.update_member(c, m.id, tags=["vip"]),
                     lambda c: members.update_member(c, m.id, notes="back again"),
                     lambda c: members.update_member(c, m.id, consent_care=True),
                     lambda c: callbacks.add_note(c, m.id, kind="call", body="called 13800138000")):
            with pytest.raises(Conflict) as exc:
                call(who)
            assert exc.value.code == "member_erased"
    with pytest.raises(Conflict):
        members.opt_out(ctx, m.id)
    view = members.get_member(ctx, m.id)
    assert (view.name, view.phone, view.notes, view.tags) == ("", None, "", ())
