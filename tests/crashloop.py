"""The crash loop: a till process killed with SIGKILL at random moments while it sells, tops up,
refunds, imports members and sends texts, over and over; after every kill:

* the database opens and ``shopcare check`` passes (the same ``run_check``; every ``cli_every``
  kills also the real ``shopcare check`` command as a new process);
* every sale is whole or absent: its lines and payments add up to its total (the check), and a
  member's sale, refund or top-up has its e-bill queued exactly once (same transaction);
* what the till was told had committed is there (it writes each step to a journal right after
  the commit returns);
* an import is all of its file or none of it;
* no text went out twice: after the restart's ``recover_stale`` nothing is left ``sending``, and
  the gateway never accepted a (phone, body) more often than the outbox holds texts with it.

The till is a forked child (the parent has imported everything, so a run costs the work, not an
interpreter start); the gateway is the fake Twilio server in the parent, which outlives each kill.
Used by tests/test_crash_loop.py (a hundred kills a database) and benchmarks/crash_loop.py
(hundreds, with the figures in docs/reliability.md).
"""
from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

import requests  # noqa: F401 - imported here, once, so a forked till starts working at once
import twilio.base.exceptions  # noqa: F401
import twilio.http.http_client  # noqa: F401
import twilio.rest  # noqa: F401

from app.adapters.sms import TwilioGateway
from app.db import Database
from app.errors import ShopError
from app.models import Member, Message, Sale, Topup
from app.services.sales import catalog, refunds
from app.services.admin import imports, shop_admin
from app.services.ledger import ledger, wallet
from app.services.texts import sender
from app.services.base import setup
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from app.services.base.context import Actor, Ctx
from app.services.texts.gateway_config import GatewayConfig
from app.services.admin import import_batches
from app.services.admin.integrity import run_check
from app.services.members.members import MemberInput, create_member

ROOT = Path(__file__).resolve().parent.parent
MEMBERS, OPENING = 40, 50_000
IMPORT_ROWS = 15
OWNER = Actor(None, "owner", "owner")
MANAGER = Actor(None, "manager", "manager")
OPS = ("checkout",) * 8 + ("topup",) * 3 + ("refund",) * 3 + ("import",) * 2 + ("send",) * 3


def build(url: str) -> None:
    """A shop with products and members who have stored value, e-bills on and texts allowed all day."""
    db = Database(url)
    db.upgrade()
    ctx = Ctx(db=db)                                      # set-up runs as the command line would
    setup.ensure_defaults(ctx)
    shop_admin.update_texting(ctx, "00:00", "00:00", 3, "回T退订", "Reply STOP to opt out")
    for i in range(8):
        catalog.add_product(ctx, sku=f"P{i}", name=f"商品 {i}", price=990 + 730 * i)
    for i in range(MEMBERS):
        m = create_member(ctx, MemberInput(name=f"会员{i}", phone=f"1390000{i:04d}", ebill_enabled=True,
                                           consent_care=True))
        with ctx.tx() as t:
            ledger.post_wallet(t, m.id, "opening", OPENING, 0)
            ledger.post_points(t, m.id, "opening", 500)
    db.dispose()


# --- the till that gets killed ---------------------------------------------------------------------
def till(url: str, run_no: int, journal: Path, folder: Path, gateway: dict, ready: int) -> None:
    """Works until killed: every step's result goes to the journal right after its commit.
    Writes a byte to ``ready`` once started (the restart's recovery done)."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def note(line: str) -> None:
        os.write(fd, (line + "\n").encode())     # unbuffered: what was written survives the kill

    rng = random.Random(run_no)
    db = Database(url)
    ctx = Ctx(db=db, actor=MANAGER, till=f"T{1 + run_no % 3}")
    sender.recover_stale(ctx, older_than=timedelta(0))      # a restart right after a crash
    gw = TwilioGateway(GatewayConfig("twilio", gateway["sid"], gateway["from"], gateway["api"]),
                       gateway["token"], timeout=5)
    os.write(ready, b"r")
    step = 0
    while True:
        step += 1
        op = rng.choice(OPS)
        member_id = rng.randint(1, MEMBERS)
        try:
            if op == "checkout":
                cart = Cart(tuple(CartLine(f"P{rng.randrange(8)}", rng.randint(1, 3))
                                  for _ in range(rng.randint(1, 4))), member_id=member_id)
                total = price_cart(ctx, cart).total
                split = rng.randrange(3)
                tenders = ([Tender("wallet", total)] if split == 0 else [Tender("cash", total)] if split == 1
                           else [Tender("wallet", total // 2), Tender("cash", total - total // 2)])
                res = checkout(ctx, cart, tenders, client_ref=f"crash-{run_no}-{step}")
                note(f"sale {res.receipt_no}")
            elif op == "topup":
                res = wallet.topup(ctx, member_id, rng.choice((5_000, 10_000, 20_000)), "cash")
                note(f"topup {res.topup_id}")
            elif op == "refund":
                with db.session(write=False) as s:
                    receipt = s.execute(text(
                        "SELECT receipt_no FROM sales s WHERE kind = 'sale' AND NOT EXISTS "
                        "(SELECT 1 FROM sales r WHERE r.original_sale_id = s.id) ORDER BY id DESC LIMIT 1 "
                        "OFFSET :k"), {"k": rng.randrange(5)}).scalar()
                if receipt:
                    refunds.refund(ctx, receipt, reason="crash loop")
                    note(f"refund {receipt}")
            elif op == "import":
                path = folder / f"import-{run_no}-{step}.csv"
                with path.open("w", newline="", encoding="utf-8") as f:
                    w = csv.writer(f)
                    w.writerow(["姓名", "手机", "余额", "积分", "同意短信"])
                    for n in range(IMPORT_ROWS):
                        w.writerow([f"导入{run_no}-{step}-{n}", f"137{run_no:04d}{step % 100:02d}{n:02d}",
                                    "88.00", "120", "是"])
                note(f"importing {path}")
                imports.import_members(ctx.as_actor(OWNER), path)
                note(f"imported {path}")
            else:
                res = sender.send_due(ctx, gw, limit=rng.randint(1, 6))
                note(f"sent {res.sent}")
        except ShopError as exc:       # a balance too low, a refund already done: refused cleanly
            note(f"refused {op} {exc.code}")


# --- after each kill ----------------------------------------------------------------------------
@dataclass
class Findings:
    runs: int = 0
    kills: int = 0
    steps: Counter = field(default_factory=Counter)      # journaled steps by kind, over all runs
    faults: list[str] = field(default_factory=list)
    cli_checks: int = 0
    duplicates: int = 0
    texts: Counter = field(default_factory=Counter)      # final message statuses
    partial_imports: int = 0
    seconds: float = 0.0


def verify(url: str, journal: Path, fake, *, cli: bool = False) -> list[str]:
    """Every way the database after a kill breaks the rules above (empty: all well)."""
    faults: list[str] = []
    db = Database(url)                                    # "the database opens"
    try:
        ctx = Ctx(db=db)
        sender.recover_stale(ctx, older_than=timedelta(0))
        import_batches.recover_left(ctx)   # as the app's and every command's opening: a half-written import goes
        report = run_check(ctx)
        faults += [f"check: {f.en}" for f in report.faults]
        lines = journal.read_text().splitlines() if journal.exists() else []
        with db.session(write=False) as s:
            receipts = set(s.execute(select(Sale.receipt_no)).scalars())
            refunded = set(s.execute(text(
                "SELECT o.receipt_no FROM sales r JOIN sales o ON o.id = r.original_sale_id")).scalars())
            topups = set(s.execute(select(Topup.id)).scalars())
            for line in lines:
                kind, _, arg = line.partition(" ")
                if kind == "sale" and arg not in receipts:
                    faults.append(f"committed sale {arg} is missing")
                elif kind == "refund" and arg not in refunded:
                    faults.append(f"committed refund of {arg} is missing")
                elif kind == "topup" and int(arg) not in topups:
                    faults.append(f"committed top-up {arg} is missing")
            faults += _import_faults(s, lines)
            faults += _ebill_faults(s)
            statuses = Counter(s.execute(select(Message.status)).scalars())
            if statuses.get("sending"):
                faults.append(f"{statuses['sending']} texts left 'sending' after the restart")
            held = Counter(tuple(r) for r in s.execute(select(Message.phone, Message.body)))
        twice = {k: n for k, n in fake.sends.items() if n > held.get(k, 0)}
        faults += [f"text to {k[0]} accepted {n} times for {held.get(k, 0)} in the outbox" for k, n in twice.items()]
    finally:
        db.dispose()
    if cli:
        proc = subprocess.run([sys.executable, "-m", "app.cli", "check"], capture_output=True, text=True,
                              env={**os.environ, "SHOPCARE_DB": url, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                              timeout=120)
        if proc.returncode != 0:
            faults.append(f"shopcare check exit {proc.returncode}: {proc.stdout[-400:]} {proc.stderr[-400:]}")
    return faults


def _import_faults(s, lines: list[str]) -> list[str]:
    faults = []
    done = {ln.split(" ", 1)[1] for ln in lines if ln.startswith("imported ")}
    for ln in lines:
        if not ln.startswith("importing "):
            continue
        path = Path(ln.split(" ", 1)[1])
        with path.open(encoding="utf-8") as f:
            phones = ["+86" + row[1] for row in list(csv.reader(f))[1:]]
        found = s.execute(select(func.count(Member.id)).where(Member.phone.in_(phones))).scalar()
        if found not in (0, len(phones)) or (str(path) in done and found != len(phones)):
            faults.append(f"import {path.name}: {found} of {len(phones)} members in the database")
    return faults


def _ebill_faults(s) -> list[str]:
    """Each member's sale, refund and top-up has exactly one e-bill in the outbox."""
    keys = Counter(s.execute(select(Message.dedupe_key).where(Message.dedupe_key.like("ebill:%"))).scalars())
    faults = []
    for sale_id, receipt in s.execute(select(Sale.id, Sale.receipt_no).where(
            Sale.member_id.is_not(None), Sale.source == "till")):
        if keys.get(f"ebill:sale:{sale_id}") != 1:
            faults.append(f"sale {receipt}: {keys.get(f'ebill:sale:{sale_id}', 0)} e-bills")
    for (topup_id,) in s.execute(select(Topup.id)):
        if keys.get(f"ebill:topup:{topup_id}") != 1:
            faults.append(f"top-up {topup_id}: {keys.get(f'ebill:topup:{topup_id}', 0)} e-bills")
    return faults


def select_ready(fd: int, timeout: float) -> None:
    import select as _select
    _select.select([fd], [], [], timeout)


def crash_loop(url: str, folder: Path, fake, *, runs: int, seed: int = 7, cli_every: int = 25,
               kill_after: tuple[float, float] = (0.02, 0.6), log=None) -> Findings:
    """Build the shop at ``url``, then ``runs`` times: fork a till, SIGKILL it after a random
    moment, and verify. Stops at the first run with a fault (the findings say which)."""
    build(url)
    journal = folder / "journal.txt"
    gateway = {"sid": fake.account_sid, "token": fake.auth_token, "api": fake.url, "from": "+8613800000000"}
    rng = random.Random(seed)
    out = Findings()
    started = time.perf_counter()
    for run_no in range(1, runs + 1):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:                                     # the till
            os.close(r)
            code = 0
            try:
                till(url, run_no, journal, folder, gateway, w)
            except BaseException:                       # noqa: BLE001 - a crash the parent reports
                import traceback
                (folder / "till-error.txt").write_text(traceback.format_exc())
                code = 3
            os._exit(code)
        os.close(w)
        if run_no % 8:                 # most kills land in the work; every 8th while the till starts up
            select_ready(r, timeout=30)
        time.sleep(rng.uniform(*kill_after))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(r)
        out.runs += 1
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            out.kills += 1
        else:
            error = folder / "till-error.txt"
            out.faults.append(f"run {run_no}: the till ended by itself (status {status})"
                              + (f": {error.read_text()}" if error.exists() else ""))
            break
        faults = verify(url, journal, fake, cli=(run_no % cli_every == 0 or run_no == runs))
        out.cli_checks += run_no % cli_every == 0 or run_no == runs
        if faults:
            out.faults += [f"run {run_no}: {f}" for f in faults]
            break
        if log:
            log(run_no)
    out.seconds = time.perf_counter() - started
    lines = journal.read_text().splitlines() if journal.exists() else []
    out.steps = Counter(ln.split(" ", 2)[0] if not ln.startswith("refused") else "refused" for ln in lines)
    out.partial_imports = sum(1 for f in out.faults if f.startswith("import"))
    db = Database(url)
    with db.session(write=False) as s:
        out.texts = Counter(s.execute(select(Message.status)).scalars())
        held = Counter(tuple(r) for r in s.execute(select(Message.phone, Message.body)))
    db.dispose()
    # Two texts may rightly say the same words to one member (two equal top-ups around a refund):
    # a duplicate is a (phone, body) the gateway accepted more often than the outbox holds it.
    out.duplicates = sum(n - held.get(k, 0) for k, n in fake.sends.items() if n > held.get(k, 0))
    return out
