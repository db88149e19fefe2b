"""A campaign is written in chunks: each chunk whole, progress after each, a failure or a kill
half-way leaves the committed chunks and a 'sending' campaign that ``resume`` finishes with exactly
one text and one voucher per recipient (and ``shopcare check`` passing)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import Campaign, CampaignRecipient, Message, Voucher
from app.services.admin import integrity
from app.services.care import campaigns
from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms
from app.services.texts import outbox
from tests.shop import member

ROOT = Path(__file__).resolve().parent.parent
EXPIRY = date(2026, 3, 31)
N = 120


@pytest.fixture
def crowd(ctx):
    for i in range(N):
        member(ctx, phone=f"1390000{i:04d}", name=f"会员{i}", consent_marketing=True)
    member(ctx, phone="13911112222", name="No thanks", consent_marketing=False)
    return ctx


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(campaigns, "CHUNK_START", 7)
    monkeypatch.setattr(campaigns, "CHUNK_MIN", 7)
    monkeypatch.setattr(campaigns, "CHUNK_MAX", 7)
    monkeypatch.setattr(campaigns, "CHUNK_PAUSE_S", 0)


def one_each(ctx, campaign_id: int) -> None:
    tag = f"campaign:{campaign_id}"
    with ctx.tx(write=False) as t:
        texts = Counter(t.s.execute(select(Message.member_id).where(Message.dedupe_key.like(tag + ":%"))).scalars())
        vouchers = Counter(t.s.execute(select(Voucher.member_id).where(Voucher.campaign == tag)).scalars())
        recips = t.s.execute(select(func.count()).select_from(CampaignRecipient)
                             .where(CampaignRecipient.campaign_id == campaign_id)).scalar()
        c = t.s.get(Campaign, campaign_id)
        assert (c.status, c.done, c.total, c.recipients) == ("sent", N, N, N)
    assert len(texts) == N and set(texts.values()) == {1}
    assert len(vouchers) == N and set(vouchers.values()) == {1}
    assert recips == N


def test_chunks_report_progress_and_queue_one_of_each(crowd, small_chunks):
    seen = []
    c = campaigns.send(crowd, CampaignSpec("Spring", Filters(), voucher=VoucherTerms(value=1000, expires_on=EXPIRY)),
                       progress=seen.append)
    assert [p.done for p in seen] == list(range(7, N, 7)) + [N] and all(p.total == N for p in seen)
    assert (c.status, c.done, c.total, c.results.recipients, c.results.vouchers_issued) == ("sent", N, N, N, N)
    one_each(crowd, c.id)
    assert integrity.run_check(crowd).ok


def test_a_failed_chunk_leaves_the_committed_ones_and_resume_finishes(crowd, small_chunks, monkeypatch):
    real, calls = outbox.enqueue_many, []

    def flaky(*a, **kw):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("disk full")
        return real(*a, **kw)

    monkeypatch.setattr(outbox, "enqueue_many", flaky)
    spec = CampaignSpec("Spring", Filters(), voucher=VoucherTerms(value=1000, expires_on=EXPIRY))
    with pytest.raises(RuntimeError):
        campaigns.send(crowd, spec, client_ref="dialog-1")
    [cid] = campaigns.unfinished(crowd)
    with crowd.tx(write=False) as t:
        c = t.s.get(Campaign, cid)
        assert (c.status, c.done) == ("sending", 21)                     # three whole chunks, the fourth none
        assert t.s.execute(select(func.count()).select_from(Voucher).where(Voucher.campaign == f"campaign:{cid}")
                           ).scalar() == 21
    again = campaigns.send(crowd, spec, client_ref="dialog-1")          # the dialog's retry finishes it
    assert again.id == cid and again.replayed and campaigns.unfinished(crowd) == []
    one_each(crowd, cid)
    assert integrity.run_check(crowd).ok


def test_resuming_a_finished_campaign_changes_nothing(crowd, small_chunks):
    c = campaigns.send(crowd, CampaignSpec("Spring", Filters(), body="{name}: new teas are in"))
    again = campaigns.resume(crowd, c.id)
    assert again.results.recipients == N and again.status == "sent"
    with crowd.tx(write=False) as t:
        assert t.s.execute(select(func.count()).select_from(Message).where(Message.kind == "campaign")).scalar() == N


CHILD = r"""
import os
from datetime import date
from app.db import Database
from app.services.base.context import Ctx
from app.services.care import campaigns
from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms

campaigns.CHUNK_START = campaigns.CHUNK_MIN = campaigns.CHUNK_MAX = 7
campaigns.CHUNK_PAUSE_S = 0.05
ctx = Ctx(db=Database(os.environ["DB_URL"]))
spec = CampaignSpec("Spring", Filters(), voucher=VoucherTerms(value=1000, expires_on=date(2099, 3, 31)))
campaigns.send(ctx, spec, progress=lambda p: print(p.done, flush=True))
print("finished", flush=True)
"""


@pytest.mark.slow
def test_a_campaign_killed_mid_send_resumes_with_nothing_doubled(crowd, capsys):
    """SIGKILL a real process after a few chunks (no clean-up, no rollback of its own), then resume."""
    env = {**os.environ, "DB_URL": crowd.db.url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if len(lines) == 4:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    [cid] = campaigns.unfinished(crowd)
    with crowd.tx(write=False) as t:
        done = t.s.get(Campaign, cid).done
    assert 28 <= done < N                                  # the chunks it reported committed, not the rest
    c = campaigns.resume(crowd, cid)
    assert c.status == "sent" and c.results.recipients == N
    one_each(crowd, cid)
    check = subprocess.run([sys.executable, "-m", "app", "--db", crowd.db.url, "check"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    with capsys.disabled():
        print(f"\ncampaign killed after {lines[-1]} of {N} recipients, resumed from {done}: one each, check ok")
