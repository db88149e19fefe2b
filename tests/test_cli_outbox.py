"""``shopcare outbox send`` and ``shopcare outbox test``, run as a person would: a subprocess against a
real SQLite file, with the log gateway or the real twilio client talking to the fake Twilio server."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.models import Message
from app.services.admin import shop_admin
from tests.fake_twilio import SHOP_NUMBER, fake_twilio  # noqa: F401
from tests.test_cli import add_member, ctx_for, db_file, home, run  # noqa: F401
from tests.texting import queue

PHONE = "+8613800138000"


def _shop_with_a_bill(home: Path) -> int:
    assert run(home, "init").returncode == 0
    path = db_file(home)
    mid = add_member(path, "王芳", PHONE)
    ctx = ctx_for(path)
    try:
        shop_admin.update_texting(ctx, "00:00", "00:00", 3, "回T退订", "Reply STOP to opt out")  # real clock: no quiet
        return queue(ctx, mid, body="您的消费 ¥58.00")
    finally:
        ctx.db.dispose()


def _status(home: Path, msg_id: int) -> tuple[str, str | None]:
    ctx = ctx_for(db_file(home))
    try:
        with ctx.tx(write=False) as t:
            m = t.s.execute(select(Message).where(Message.id == msg_id)).scalar_one()
            return m.status, m.provider_id
    finally:
        ctx.db.dispose()


def _twilio_env(fake, token=None) -> dict:
    return {"SHOPCARE_SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": token or fake.auth_token, "SHOPCARE_SMS_FROM": SHOP_NUMBER,
            "SHOPCARE_SMS_API_BASE": fake.url}


def test_outbox_send_with_the_default_log_gateway_writes_the_outbox_log(home):
    msg_id = _shop_with_a_bill(home)
    proc = run(home, "outbox", "send")
    assert proc.returncode == 0, proc.stderr
    assert "Gateway: log" in proc.stdout and "Sent 1, failed 0" in proc.stdout
    assert _status(home, msg_id) == ("sent", "log-1")
    assert "您的消费 ¥58.00" in (home / "data" / "log" / "outbox.log").read_text(encoding="utf-8")


def test_outbox_send_through_twilio_sends_and_polls(home, fake_twilio):
    msg_id = _shop_with_a_bill(home)
    proc = run(home, "outbox", "send", extra_env=_twilio_env(fake_twilio))
    assert proc.returncode == 0, proc.stderr
    assert "Sent 1" in proc.stdout and "delivered 1" in proc.stdout
    assert _status(home, msg_id)[0] == "delivered"
    assert fake_twilio.sends[(PHONE, "您的消费 ¥58.00")] == 1
    assert fake_twilio.auth_token not in proc.stdout + proc.stderr
    for f in db_file(home).parent.glob("shopcare.db*"):                    # never in the database (or its WAL)
        assert fake_twilio.auth_token.encode() not in f.read_bytes()


def test_outbox_send_with_a_wrong_token_exits_2_and_leaves_the_text_queued(home, fake_twilio):
    msg_id = _shop_with_a_bill(home)
    proc = run(home, "outbox", "send", extra_env=_twilio_env(fake_twilio, token="wrong0token0"), lang_env="zh_CN.UTF-8")
    assert proc.returncode == 2
    assert "拒绝了账户 SID 或 Auth Token" in proc.stderr and "20003" in proc.stderr
    assert "wrong0token0" not in proc.stdout + proc.stderr
    assert _status(home, msg_id) == ("queued", None)
    assert fake_twilio.accepted() == 0


def test_outbox_test_prints_the_gateway_s_answer(home, fake_twilio):
    assert run(home, "init").returncode == 0
    proc = run(home, "outbox", "test", "13800138001", "hello", extra_env=_twilio_env(fake_twilio))
    assert proc.returncode == 0, proc.stderr
    [sid] = list(fake_twilio.messages)
    assert sid in proc.stdout and ": sent" in proc.stdout
    assert fake_twilio.sends[("+8613800138001", "hello")] == 1
    fake_twilio.script("+8613800138002", ("reject", 21614))
    proc = run(home, "outbox", "test", "13800138002", extra_env=_twilio_env(fake_twilio))
    assert proc.returncode == 2 and "21614" in proc.stdout


def test_outbox_help_names_both_commands(home):
    proc = run(home, "outbox", "--help")
    assert proc.returncode == 0 and "send" in proc.stdout and "test" in proc.stdout
    proc = run(home, "--help")
    assert "shopcare outbox send" in proc.stdout and "SHOPCARE_SMS_GATEWAY" in proc.stdout
    assert not db_file(home).exists()
