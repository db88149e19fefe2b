"""Outbox sender throughput: texts per second through the real twilio client to the local fake
Twilio server (tests/fake_twilio.py), on a real SQLite file; with the log gateway; and the gateway's
HTTP calls alone, for comparison.

    .venv/bin/python benchmarks/bench_sender.py [-n 2000] [--out DIR] [--quick] [--json PATH]

Every text is one claim (committed), one HTTP send and one record (committed), as DESIGN.md says:
two synchronous=FULL commits a text. The floor of the twilio run: the same HTTP sends alone.
``--quick``: 500 texts. Fresh databases in DIR (default benchmarks/out) each run.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_HOME = tempfile.TemporaryDirectory(prefix="bench_sender_")   # removed at exit
os.environ.setdefault("SHOPCARE_HOME", _HOME.name)

from sqlalchemy import func, select  # noqa: E402

import results  # noqa: E402

from app.adapters.sms import LogGateway, TwilioGateway  # noqa: E402
from app.db import Database  # noqa: E402
from app.models import Member, Message  # noqa: E402
from app.services.texts import outbox, sender
from app.services.base import setup
from app.services.admin import shop_admin  # noqa: E402
from app.services.base.context import Actor, Ctx, FixedClock  # noqa: E402
from app.services.texts.gateway_config import GatewayConfig  # noqa: E402
from app.services.members.members import MemberInput, create_member  # noqa: E402
from tests.fake_twilio import SHOP_NUMBER, FakeTwilio  # noqa: E402
from tests.shop import confirmed  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
PER_MEMBER = 4


def _shop(path: Path, n: int) -> Ctx:
    if path.exists():
        path.unlink()
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(datetime(2026, 3, 2, 10, 0)))
    setup.ensure_defaults(ctx)
    # the owner's password typed, as the settings screen asks it
    shop_admin.update_texting(confirmed(ctx), "21:00", "09:00", 3, "回T退订", "Reply STOP to opt out")
    with ctx.tx() as t:
        ids = [create_member(t, MemberInput(name=f"会员{i}", phone=f"+86138{i:08d}")).id
               for i in range(-(-n // PER_MEMBER))]
        for k in range(n):
            m = t.s.get(Member, ids[k % len(ids)])
            outbox.enqueue(t, m, kind="ebill", category="transactional", lang="zh_CN",
                           body=f"【街角茶咖】{m.name}您好，本次消费¥{k % 90 + 10}.00，余额¥0.00。回T退订",
                           dedupe_key=f"bench:{k}")
    return ctx


def _run(ctx: Ctx, gateway) -> tuple[float, int]:
    t0 = time.perf_counter()
    report = sender.send_due(ctx, gateway, limit=10**9)
    return time.perf_counter() - t0, report.sent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=None, help="texts queued (default 2000; 500 with --quick)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--quick", action="store_true", help="500 texts")
    results.add_json_arg(ap)
    args = ap.parse_args()
    n = args.n or (500 if args.quick else 2000)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    print(f"SQLite file in {out}; {n} e-bills queued for {-(-n // PER_MEMBER)} members")

    fake = FakeTwilio().start()
    try:
        cfg = GatewayConfig("twilio", fake.account_sid, SHOP_NUMBER, fake.url, True)
        gw = TwilioGateway(cfg, fake.auth_token)
        ctx = _shop(out / "bench_sender.db", n)
        secs, sent = _run(ctx, gw)
        assert sent == n and fake.accepted() == n and max(fake.sends.values()) == 1
        with ctx.tx(write=False) as t:
            assert t.s.execute(select(func.count()).where(Message.status == "sent")).scalar() == n
        print(f"twilio client -> fake server: {sent} sent in {secs:.2f} s = {sent / secs:.0f} texts/s "
              f"({secs / sent * 1000:.2f} ms a text)")
        ctx.db.dispose()

        t0 = time.perf_counter()
        for k in range(n):
            gw.send(f"+86139{k:08d}", "HTTP only")
        http = time.perf_counter() - t0
        print(f"the same HTTP sends alone: {n / http:.0f} sends/s ({http / n * 1000:.2f} ms a send)")
    finally:
        fake.stop()

    twilio_secs = secs
    ctx = _shop(out / "bench_sender_log.db", n)
    log = out / "bench_outbox.log"
    log.unlink(missing_ok=True)
    secs, sent = _run(ctx, LogGateway(log))
    print(f"log gateway: {sent} sent in {secs:.2f} s = {sent / secs:.0f} texts/s")
    ctx.db.dispose()
    results.write(args.json, "sender", [
        results.figure("send_due, twilio client to the fake server: a text", twilio_secs / n * 1000, "ms",
                       floor=http / n * 1000, floor_what="the same HTTP send alone",
                       note=f"{n / twilio_secs:.0f} texts/s"),
        results.figure("send_due, log gateway: a text", secs / n * 1000, "ms", note=f"{n / secs:.0f} texts/s"),
    ], setup=f"{n:,} e-bills queued for {-(-n // PER_MEMBER)} members, one send_due")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
