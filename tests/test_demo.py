"""The demo shop: plausible, consistent, deterministic, and every text respects e-bill settings."""
from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import CountCard, CountCardEntry, Member, Message, Payment, Product, Sale, Topup, Voucher
from app.services.admin import demo
from app.services.base import setup
from app.services.base.context import Actor, Ctx, FixedClock
from app.services.base.settings import load as load_settings
from tests.conftest import START
from tests.shop import confirmed, ledger_faults

MEMBERS, DAYS = 40, 180


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One small demo shop shared by the read-only tests below (the build is the slow part)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(START)))
    setup.ensure_defaults(ctx)
    calls = []
    summary = demo.build_demo(ctx, members=MEMBERS, days=DAYS, seed=11,
                              progress=lambda done, total, label: calls.append((done, total, label)))
    yield ctx, summary, calls
    db.dispose()


def _count(s, model, *where):
    return s.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_counts_are_plausible(built):
    ctx, summary, _ = built
    assert summary.members == MEMBERS and summary.days == DAYS
    assert summary.products == len(demo.PRODUCTS) + 1
    assert summary.sales > MEMBERS * 3
    assert 0 < summary.refunds < summary.sales / 10
    assert 0 < summary.topups < summary.sales
    assert summary.messages > 0
    with ctx.db.session(write=False) as s:
        assert _count(s, Member) == MEMBERS
        assert _count(s, Sale, Sale.kind == "sale") == summary.sales
        assert _count(s, Sale, Sale.kind == "refund") == summary.refunds
        assert _count(s, Topup) == summary.topups
        assert _count(s, Message) == summary.messages
        assert _count(s, Sale, Sale.kind == "sale", Sale.member_id.is_(None)) > 0        # walk-ins
        assert _count(s, Payment, Payment.method == "wallet") > 0                        # stored value spent
        assert _count(s, Payment, Payment.method == "points") > 0                        # points redeemed
        assert _count(s, Payment, Payment.method == "cash") > 0
        assert _count(s, Payment, Payment.method == "card") > 0
        assert _count(s, Voucher) > 0
        assert _count(s, CountCard) > 0                                                 # cards sold…
        assert _count(s, CountCardEntry, CountCardEntry.kind == "used") > 0             # …and used


def test_history_ends_yesterday_within_opening_hours(built):
    ctx, _, calls = built
    with ctx.db.session(write=False) as s:
        first, last = s.execute(select(func.min(Sale.created_at), func.max(Sale.created_at))).one()
    yesterday = START.date() - timedelta(days=1)
    assert last.date() == yesterday
    assert first.date() >= yesterday - timedelta(days=DAYS - 1)
    with ctx.db.session(write=False) as s:
        hours = {h for (h,) in s.execute(select(Sale.created_at))}
    assert all(demo.OPEN_HOUR <= h.hour < demo.CLOSE_HOUR + 1 for h in hours)
    assert calls[-1] == (DAYS, DAYS, yesterday.isoformat()) and len(calls) == DAYS


def test_lapsed_big_spenders_and_one_time_buyers(built):
    ctx, _, _ = built
    as_of = START - timedelta(days=90)
    with ctx.db.session(write=False) as s:
        lapsed = _count(s, Member, Member.last_visit_at < as_of, Member.total_spent >= 100_000)
        once = _count(s, Member, Member.visits == 1)
        regulars = _count(s, Member, Member.visits >= 10)
        upgraded = _count(s, Member, Member.tier_id != select(func.min(Member.tier_id)).scalar_subquery())
    assert lapsed >= 1
    assert once >= 1
    assert regulars >= 3
    assert upgraded >= 1


def test_members_look_real(built):
    ctx, _, _ = built
    with ctx.db.session(write=False) as s:
        members = list(s.execute(select(Member)).scalars())
        phones = [m.phone for m in members]
        assert len(set(phones)) == len(phones)
        for m in members:
            num = phonenumbers.parse(m.phone, None)
            assert phonenumbers.is_valid_number(num) and m.phone[3:5] in ("13", "15", "18")
            assert 2 <= len(m.name) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in m.name)
        assert any(m.card_no for m in members)
        assert any(m.birthday_calendar == "lunar" for m in members)
        assert any(m.consent_care for m in members) and any(m.consent_marketing for m in members)
        assert any(m.gender == "F" for m in members) and any(m.gender == "M" for m in members)
        assert any(m.tags for m in members)
        names = {p.name for p in s.execute(select(Product)).scalars()}
        assert "拿铁 Caffè latte" in names
    assert load_settings(ctx).shop_name == demo.SHOP_NAME


def test_ledgers_are_consistent(built):
    ctx, _, _ = built
    assert ledger_faults(ctx.db) == []


def test_ebills_only_for_members_who_take_them(built):
    ctx, _, _ = built
    with ctx.db.session(write=False) as s:
        rows = s.execute(select(Message.kind, Message.category, Member.ebill_enabled, Message.phone, Member.phone)
                         .join(Member, Member.id == Message.member_id)).all()
        off = _count(s, Member, Member.ebill_enabled.is_(False), Member.visits > 0)
    assert rows
    # e-bills, and the demo's campaign (care: campaigns.py), which is marketing
    assert all((kind, category) in (("ebill", "transactional"), ("campaign", "marketing")) for kind, category, *_ in rows)
    assert all(enabled for k, _c, enabled, _p, _mp in rows if k == "ebill")
    assert all(p == mp for *_, p, mp in rows)
    assert off >= 1  # there were members with e-bills off, and none of them got a text


def test_same_seed_same_shop(tmp_path):
    def run(name):
        db = Database(f"sqlite:///{tmp_path / name}")
        db.upgrade()
        ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), clock=FixedClock(datetime(2026, 3, 2, 10))))
        summary = demo.build_demo(ctx, members=12, days=40, seed=5)
        with db.session(write=False) as s:
            sales = s.execute(select(Sale.receipt_no, Sale.created_at, Sale.total, Sale.member_id)
                              .order_by(Sale.id)).all()
            members = s.execute(select(Member.name, Member.phone).order_by(Member.id)).all()
        db.dispose()
        return summary, sales, members

    a, b = run("a.db"), run("b.db")
    assert a == b
    assert run("c.db")[0] == a[0]


# care: the demo's campaign, service records and knowledge base
def test_campaign_redeemed_and_service_records(built):
    from app.services.care import callbacks, campaigns, knowledge

    ctx, _, _ = built
    [c] = campaigns.list_campaigns(ctx)
    r = c.results
    assert r.recipients == r.vouchers_issued > 0
    assert 0 < r.vouchers_redeemed <= r.vouchers_issued and r.revenue > 0
    assert len(knowledge.search(ctx, "普洱")) >= 2 and knowledge.search(ctx, "refund")
    assert [a.source for a in knowledge.search(ctx, "潮味")] == ["case"]
    assert len(callbacks.open_complaints(ctx)) == 1
    assert len(callbacks.open_tasks(ctx)) == 2
