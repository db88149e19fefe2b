"""The demo shop's care history: a campaign with vouchers used, contact notes and call-backs, the knowledge base, and what happened to its texts."""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import String, cast, literal, select, update

from app.models import InboundMessage, Member, Message, Voucher
from app.services.admin.demo_data import CARE_NOTES, CLOSE_HOUR, TEXT_ERRORS
from app.services.base.context import Ctx

# --- care: a campaign, contact notes, call-backs and the knowledge base ------------------------------------
CAMPAIGN_DAYS_BEFORE_END = 10

if TYPE_CHECKING:  # demo.py builds the shop and calls these with it
    from app.services.admin.demo import _Shop


def demo_campaign(t: Ctx, shop: _Shop, today: date) -> None:
    """A members' tasting week: a ¥15 voucher (spend ¥60, three weeks) to everyone seen in the last two
    months who takes offers; the vouchers join what each member holds, so their visits redeem them."""
    from app.errors import ValidationError
    from app.services.care import campaigns

    spec = campaigns.CampaignSpec(
        "会员品鉴周 Members' tasting week", campaigns.Filters(last_visit_after=today - timedelta(days=60)),
        voucher=campaigns.VoucherTerms(value=1500, min_spend=6000, expires_on=today + timedelta(days=21)))
    try:
        c = campaigns.send(t, spec)
    except ValidationError:   # a tiny demo may reach nobody
        return
    for member_id, code in t.s.execute(select(Voucher.member_id, Voucher.code)
                                       .where(Voucher.campaign == f"campaign:{c.id}")).all():
        p = shop.members.get(member_id)
        if p is not None:
            p.vouchers.append((code, 1500, 6000, today + timedelta(days=21)))


def demo_care_records(dctx: Ctx, rng: random.Random, shop: _Shop, end: date) -> None:
    """The service records of a shop in use: the default knowledge base articles, a few contact
    notes, one complaint resolved (kept as a typical case) and one still open, call-backs by hand."""
    from app.services.care import callbacks, knowledge

    people = sorted(p.id for p in shop.members.values() if p.visits > 0 and p.persona in ("regular", "occasional"))
    if len(people) < 6:
        knowledge.seed_defaults(dctx)
        return
    picks = rng.sample(people, 6)
    dctx.clock.set(datetime.combine(end, time(CLOSE_HOUR, 10)))
    with dctx.tx() as t:
        knowledge.seed_defaults(t)
        for member_id, (kind, body, outcome) in zip(picks, CARE_NOTES):
            callbacks.add_note(t, member_id, kind=kind, body=body, outcome=outcome)
        done = callbacks.add_note(t, picks[3], kind="complaint", body="上周买的熟普洱茶饼有潮味", outcome="已致歉")
        callbacks.resolve_complaint(t, done.id, "更换新茶饼，提醒密封干燥存放，赠送15元券")
        knowledge.save_case(t, done.id)
        callbacks.add_note(t, picks[4], kind="complaint", body="外带咖啡等了20分钟，杯盖没盖好洒了", outcome="待回复")
        callbacks.add_task(t, picks[4], end + timedelta(days=1), "致电道歉并说明改进措施（外带咖啡等待过久）")
        callbacks.add_task(t, picks[5], end + timedelta(days=3), "通知到货：预订的白毫银针已到")


def demo_text_history(dctx: Ctx, rng: random.Random, msg_before: int, end: date) -> None:
    """The demo's texts went out in their day, as a sender would have left them: most delivered,
    some sent without a delivery receipt, a few failed; of the last day's, two were cut off by a
    crash mid-send (unknown: the owner settles them) and the rest still wait in the queue."""
    with dctx.tx() as t:
        rows = t.s.execute(select(Message.id, Message.created_at).where(Message.id > msg_before)
                           .order_by(Message.id)).all()
        last_day = [mid for mid, created in rows if created.date() >= end]
        fate: dict[str, list[int]] = {"unknown": last_day[:2]}
        for mid, created in rows:
            if created.date() < end:
                roll = rng.random()
                fate.setdefault("failed" if roll < 0.02 else "sent" if roll < 0.07 else "delivered", []).append(mid)
        provider = literal("SM") + cast(Message.id, String)
        for status, ids in fate.items():
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                values = {"status": status, "attempts": 1}
                if status in ("sent", "delivered"):
                    values.update(sent_at=Message.created_at, provider_id=provider)
                t.s.execute(update(Message).where(Message.id.in_(chunk)).values(**values))
        failed = fate.get("failed", [])
        for n, mid in enumerate(failed):  # a varied answer from the gateway
            t.s.execute(update(Message).where(Message.id == mid).values(last_error=TEXT_ERRORS[n % len(TEXT_ERRORS)]))


DEMO_REPLIES = (("周日几点开门？", 0, False), ("上次的白茶很好喝，还有货吗？", 1, False),
                ("Can I book a haircut for Saturday?", 2, False), ("谢谢提醒，周末过去", 3, True))


def demo_replies(dctx: Ctx, rng: random.Random, end: date) -> None:
    """Customers' replies nothing understood (Messages › Replies): three not read yet, one read, and
    one from a number that is no member's."""
    with dctx.tx() as t:
        people = t.s.execute(select(Member.id, Member.phone).where(Member.phone.is_not(None), Member.erased_at.is_(None))
                             .order_by(Member.id)).all()
        if len(people) < 4:
            return
        picks = rng.sample(people, 4)
        for n, (body, who, read) in enumerate(DEMO_REPLIES):
            mid, phone = picks[who]
            at = datetime.combine(end, time(9 + 2 * n, 17 + n))
            t.s.add(InboundMessage(provider_id=f"SMdemo{uuid.uuid4().hex[:24]}", from_phone=phone, to_phone="", body=body,
                                   received_at=at, member_id=mid, action="none", read_at=at if read else None))
        t.s.add(InboundMessage(provider_id=f"SMdemo{uuid.uuid4().hex[:24]}", from_phone="+8613700001234", to_phone="",
                               body="请问可以开发票吗？", received_at=datetime.combine(end, time(CLOSE_HOUR - 1, 5)),
                               member_id=None, action="none"))
