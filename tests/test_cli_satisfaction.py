"""``shopcare outbox send`` as a person runs it (a subprocess, the real twilio client, the fake Twilio
server): a satisfaction text goes out, the member replies 2, and the next run puts a complaint about
that sale on the call list at once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from app.services.admin import shop_admin
from app.services.care import callbacks
from app.services.members.members import MemberInput, create_member
from app.services.sales import catalog
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from tests.fake_twilio import SHOP_NUMBER, fake_twilio  # noqa: F401
from tests.test_cli import ctx_for, db_file, home, run  # noqa: F401
from tests.test_cli_outbox import _twilio_env
from tests.texting import queue

PHONE = "+8613800138000"


def _asked(home: Path) -> tuple[int, str]:
    assert run(home, "init").returncode == 0
    ctx = ctx_for(db_file(home))
    try:
        shop_admin.update_texting(ctx, "00:00", "00:00", 3, "回T退订", "Reply STOP to opt out")   # no quiet hours
        catalog.add_product(ctx, sku="PERM", name="Perm 烫发", price=38000, category="烫发", kind="service")
        mid = create_member(ctx, MemberInput(name="王芳", phone=PHONE, consent_care=True)).id
        sale = checkout(ctx, Cart((CartLine("PERM", 1),), member_id=mid), [Tender("cash", 38000)])
        queue(ctx, mid, kind="satisfaction", category="care", body="【店】王芳，满意请回复1-5", key=f"satisfaction:{sale.sale_id}")
        return mid, sale.receipt_no
    finally:
        ctx.db.dispose()


def test_a_reply_of_2_fetched_by_outbox_send_opens_a_complaint(home, fake_twilio):
    mid, receipt = _asked(home)
    env = _twilio_env(fake_twilio)
    first = run(home, "outbox", "send", extra_env=env)
    assert first.returncode == 0, first.stderr
    fake_twilio.add_inbound(PHONE, "2", SHOP_NUMBER, datetime.now(timezone.utc) + timedelta(seconds=1))
    second = run(home, "outbox", "send", extra_env=env)
    assert second.returncode == 0, second.stderr
    ctx = ctx_for(db_file(home))
    try:
        [task] = callbacks.open_tasks(ctx, source="complaint")
        assert task.member_id == mid and receipt in task.reason and task.open_complaint
        [note] = callbacks.open_complaints(ctx)
        assert receipt in note.body and note.kind == "complaint"
    finally:
        ctx.db.dispose()
