"""``shopcare outbox test`` as a person runs it: a test text refused goes now or never (never queued for
the next ``outbox send``), and neither its answer nor the database keeps the gateway's credentials, even
from a gateway that echoes its Authorization header (issue 12, groups 7 and 12)."""
from __future__ import annotations

from sqlalchemy import select

from app.models import Message
from tests.fake_twilio import fake_twilio  # noqa: F401
from tests.test_cli import ctx_for, db_file, home, run  # noqa: F401
from tests.test_cli_outbox import _twilio_env


def _rows(home) -> list[tuple[str, str | None]]:
    ctx = ctx_for(db_file(home))
    try:
        with ctx.tx(write=False) as t:
            return [tuple(r) for r in t.s.execute(select(Message.status, Message.last_error)).all()]
    finally:
        ctx.db.dispose()


def test_a_test_text_refused_for_the_account_is_not_sent_by_the_next_run(home, fake_twilio):
    assert run(home, "init").returncode == 0
    proc = run(home, "outbox", "test", "13800138001", "hello", extra_env=_twilio_env(fake_twilio, token="wrong0token0"))
    assert proc.returncode == 2
    assert _rows(home) == [("failed", "gateway refused the account")]
    proc = run(home, "outbox", "send", extra_env=_twilio_env(fake_twilio))
    assert proc.returncode == 0, proc.stderr
    assert "Sent 0" in proc.stdout and fake_twilio.accepted() == 0


def test_an_echoed_authorization_header_is_neither_printed_nor_stored(home, fake_twilio):
    assert run(home, "init").returncode == 0
    fake_twilio.echo_auth = True
    fake_twilio.script("+8613800138002", ("reject", 21614))
    proc = run(home, "outbox", "test", "13800138002", "hello", extra_env=_twilio_env(fake_twilio))
    assert proc.returncode == 2 and "not a valid mobile number" in proc.stdout
    out = proc.stdout + proc.stderr
    assert fake_twilio.auth_token not in out and fake_twilio.account_sid not in out and "Basic " not in out
    [(status, error)] = _rows(home)
    assert status == "failed" and "not a valid mobile number" in error
    for f in db_file(home).parent.glob("shopcare.db*"):                    # nor in the database (or its WAL)
        data = f.read_bytes()
        assert fake_twilio.auth_token.encode() not in data and fake_twilio.account_sid.encode() not in data
