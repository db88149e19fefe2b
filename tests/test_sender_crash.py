"""A sender killed at every step (os._exit in a real subprocess, talking to the fake Twilio server over
HTTP), restarted again and again: nothing is lost and nothing is sent twice."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Message
from app.services.texts import sender
from app.services.admin import shop_admin
from tests.fake_twilio import fake_twilio, gateway, twilio_cfg  # noqa: F401
from tests.shop import member
from tests.texting import queue

ROOT = Path(__file__).resolve().parent.parent
POINTS = ("claimed", "sent", "recorded")
CHILD = r"""
import os, sys
from datetime import timedelta
from app.adapters.sms import TwilioGateway
from app.db import Database
from app.services.texts import sender
from app.services.base.context import Ctx
from app.services.texts.gateway_config import GatewayConfig

point, at = os.environ["KILL_POINT"], int(os.environ["KILL_AT"])
db = Database(os.environ["DB_URL"])
ctx = Ctx(db=db)
sender.recover_stale(ctx, older_than=timedelta(0))   # a restart right after a crash
cfg = GatewayConfig("twilio", os.environ["SID"], os.environ["FROM"], os.environ["API"])
seen = 0

def step(name, msg_id):
    global seen
    if name == point:
        seen += 1
        if seen == at:
            os._exit(9)                                    # killed: no clean-up, no commit

print(sender.send_due(ctx, TwilioGateway(cfg, os.environ["TOKEN"], timeout=5), limit=1000, step=step))
"""


@pytest.mark.slow
def test_a_sender_killed_at_every_step_loses_nothing_and_sends_nothing_twice(ctx, fake_twilio, twilio_cfg,
                                                                            capsys):
    shop_admin.update_texting(ctx, "00:00", "00:00", 3, "回T退订", "Reply STOP to opt out")  # the child's clock is real
    ids = [queue(ctx, member(ctx, phone="+86138001380%02d" % i, name=f"m{i}").id) for i in range(24)]
    env = {**os.environ, "DB_URL": ctx.db.url, "SID": fake_twilio.account_sid, "TOKEN": fake_twilio.auth_token,
           "FROM": twilio_cfg.sender, "API": fake_twilio.url, "PYTHONPATH": str(ROOT)}
    kills: Counter = Counter()
    runs = 0
    while True:
        point, at = POINTS[runs % 3], 1 + (runs // 3) % 3
        proc = subprocess.run([sys.executable, "-c", CHILD], env={**env, "KILL_POINT": point, "KILL_AT": str(at)},
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        runs += 1
        if proc.returncode == 9:
            kills[point] += 1
            continue
        assert proc.returncode == 0, proc.stderr
        break                                   # this run met no kill point: the queue is empty
    assert sender.recover_stale(ctx, older_than=timedelta(0)) == 0
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Message).where(Message.id.in_(ids))).scalars().all()
    by_status = Counter(m.status for m in rows)
    sends = [fake_twilio.sends[(m.phone, m.body)] for m in rows]
    duplicates = sum(1 for n in sends if n > 1)
    with capsys.disabled():
        print(f"\ncrash test: {len(POINTS)} kill points, {runs} runs, kills {dict(kills)}, "
              f"statuses {dict(by_status)}, duplicates {duplicates}")
    assert all(k > 0 for k in (kills[p] for p in POINTS))
    assert duplicates == 0
    assert set(by_status) <= {"sent", "unknown"}            # none lost in 'queued' or 'sending'
    # a kill before recording leaves exactly that text unknown; after recording, nothing is unknown
    assert by_status["unknown"] == kills["claimed"] + kills["sent"]
    for m in rows:
        if m.status == "sent":
            assert fake_twilio.sends[(m.phone, m.body)] == 1 and m.provider_id in fake_twilio.messages
    assert sum(fake_twilio.sends[(m.phone, m.body)] for m in rows if m.status == "unknown") == kills["sent"]
    assert fake_twilio.accepted() == by_status["sent"] + kills["sent"]
