"""Campaigns: each filter, the preview's count and segment cost, whole chunks of the campaign's
vouchers and texts, no doubling on a retry, results after redemptions at the till, and the
bring-a-friend credit."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, PermissionDenied, ValidationError, render
from app.models import AuditLog, Campaign, CampaignRecipient, Member, Message, PointsEntry, Voucher
from app.services.care import campaigns
from app.services.texts import outbox, bodies
from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.base.context import Actor
from tests.shop import ledger_faults, member, stock_shop

EXPIRY = date(2026, 3, 31)


def count(db, model, *where):
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar()


@pytest.fixture
def shop(ctx, clock):
    """Five members: tiers, tags, visits, spend and birthdays all differ; one has no marketing consent."""
    stock_shop(ctx)
    ids = {}
    ids["a"] = member(ctx, "13800000001", "Ann", tier="gold", tags=("tea",), birthday="1990-05-03",
                      consent_marketing=True).id
    ids["b"] = member(ctx, "13800000002", "Bo", tier="silver", tags=("coffee",), birthday="1988-05-20",
                      consent_marketing=True).id
    ids["c"] = member(ctx, "13800000003", "Cai", tags=("tea", "coffee"), birthday="1992-11-11",
                      consent_marketing=True).id
    ids["d"] = member(ctx, "13800000004", "Dee", tags=("tea",), consent_marketing=False).id   # no consent
    ids["e"] = member(ctx, "13800000005", "王芳", birthday="1979-05-09", consent_marketing=True).id  # never visited
    # visits: Ann on 1 Feb (3 coffees), Bo on 20 Feb (1 tea), Cai on 1 Mar (1 coffee)
    for who, when, line in (("a", datetime(2026, 2, 1, 11), CartLine("COF", 3)),
                            ("b", datetime(2026, 2, 20, 11), CartLine("TEA")),
                            ("c", datetime(2026, 3, 1, 11), CartLine("COF"))):
        clock.set(when)
        checkout(ctx, Cart((line,), member_id=ids[who]), [Tender("cash", 100000)])
    clock.set(datetime(2026, 3, 2, 10))
    return ctx, ids


def picked(ctx, **f):
    p = campaigns.preview(ctx, CampaignSpec("t", Filters(**f), body="{name}: new teas are in"))
    return p.matched, p.reachable


def test_each_filter_selects_its_members(shop):
    ctx, ids = shop
    assert picked(ctx) == (5, 4)                                       # Dee: no marketing consent
    assert picked(ctx, tiers=("gold",)) == (1, 1)
    assert picked(ctx, tiers=("gold", "silver")) == (2, 2)
    assert picked(ctx, tags=("tea",)) == (3, 2)                        # Ann, Cai, Dee (no consent)
    assert picked(ctx, tags=("coffee",), tiers=("silver",)) == (1, 1)
    assert picked(ctx, last_visit_before=date(2026, 2, 20)) == (2, 2)  # Ann, Bo (inclusive)
    assert picked(ctx, last_visit_after=date(2026, 2, 20)) == (2, 2)   # Bo, Cai
    assert picked(ctx, spend_min=10000) == (1, 1)                      # Ann only (gold: 10 % off)
    assert picked(ctx, spend_min=1, spend_max=5800) == (2, 2)          # Bo 31.66 (silver), Cai 58.00
    assert picked(ctx, birthday_month=5) == (3, 3)                     # Ann, Bo, 王芳
    assert picked(ctx, birthday_month=5, tags=("tea",)) == (1, 1)


def test_preview_counts_segments_of_each_recipients_own_text(shop):
    ctx, ids = shop
    spec = CampaignSpec("Spring tea", Filters(birthday_month=5),
                        body="{name}, spring tea week: {voucher} off with code {voucher_code} until {voucher_expiry}.",
                        voucher=VoucherTerms(value=2000, expires_on=EXPIRY, min_spend=5000))
    p = campaigns.preview(ctx, spec)
    assert (p.matched, p.reachable) == (3, 3)
    assert campaigns.SAMPLE_CODE in p.sample and p.sample.startswith("【")   # shop language zh_CN: signed
    # Worked out independently: each body composed with the name, then counted.
    expected = 0
    for name in ("Ann", "Bo", "王芳"):
        body = p.sample.replace("Ann", name)
        expected += bodies.segments(body)[0]
    assert p.segments == expected and p.segments >= 3
    # Nothing is written by a preview.
    assert count(ctx.db, Campaign) == 0 and count(ctx.db, Voucher) == 0


def test_send_writes_campaign_vouchers_and_texts_and_the_till_redeems_them(shop, clock):
    ctx, ids = shop
    spec = CampaignSpec("Tea lovers", Filters(tags=("tea",)),
                        voucher=VoucherTerms(value=1000, expires_on=EXPIRY, min_spend=3000))
    before = count(ctx.db, Message)
    c = campaigns.send(ctx, spec)
    assert c.results.recipients == 2 and c.results.vouchers_issued == 2 and c.results.queued == 2
    assert count(ctx.db, Message) == before + 2
    with ctx.db.session(write=False) as s:
        msgs = s.execute(select(Message).where(Message.kind == "campaign")).scalars().all()
        assert {m.dedupe_key for m in msgs} == {f"campaign:{c.id}:{ids['a']}", f"campaign:{c.id}:{ids['c']}"}
        assert {m.category for m in msgs} == {"marketing"}
        vs = {v.member_id: v for v in s.execute(select(Voucher).where(Voucher.campaign == f"campaign:{c.id}")).scalars()}
        assert set(vs) == {ids["a"], ids["c"]}
        for m in msgs:
            assert vs[m.member_id].code in m.body          # each text carries its own member's code
        assert sum(m.segments for m in msgs) == c.segments
        code_a = vs[ids["a"]].code
    # Redeemed at the till: Ann pays a coffee with it.
    r = checkout(ctx, Cart((CartLine("COF"),), member_id=ids["a"]), [Tender("voucher", voucher_code=code_a),
                                                                       Tender("cash", 10000)])
    res = campaigns.get(ctx, c.id).results
    assert res.vouchers_redeemed == 1 and res.revenue == r.total == 5800 - 580   # gold: 10 % off
    # A second use, and another member's use, are refused and change nothing.
    for mid in (ids["a"], ids["c"]):
        with pytest.raises(Conflict) as e:
            checkout(ctx, Cart((CartLine("COF"),), member_id=mid), [Tender("voucher", voucher_code=code_a),
                                                                      Tender("cash", 10000)])
        assert e.value.code == "voucher_used"
    assert campaigns.get(ctx, c.id).results.vouchers_redeemed == 1
    assert ledger_faults(ctx.db) == []


def test_campaign_voucher_after_expiry_is_refused(shop, clock):
    ctx, ids = shop
    c = campaigns.send(ctx, CampaignSpec("Gold", Filters(tiers=("gold",)),
                                         voucher=VoucherTerms(value=1500, expires_on=date(2026, 3, 5))))
    with ctx.db.session(write=False) as s:
        code = s.execute(select(Voucher.code).where(Voucher.campaign == f"campaign:{c.id}")).scalar_one()
    clock.set(datetime(2026, 3, 6, 10))
    with pytest.raises(Conflict) as e:
        checkout(ctx, Cart((CartLine("COF"),), member_id=ids["a"]), [Tender("voucher", voucher_code=code),
                                                                       Tender("cash", 10000)])
    assert e.value.code == "voucher_expired"
    assert campaigns.get(ctx, c.id).results.vouchers_redeemed == 0


def test_results_count_sent_and_failed(shop):
    ctx, ids = shop
    c = campaigns.send(ctx, CampaignSpec("News", Filters(birthday_month=5), body="{name}, new teas are in!"))
    with ctx.db.session() as s:
        rows = s.execute(select(Message).where(Message.kind == "campaign").order_by(Message.id)).scalars().all()
        rows[0].status, rows[1].status = "sent", "failed"
    res = campaigns.get(ctx, c.id).results
    assert (res.recipients, res.sent, res.failed, res.queued, res.vouchers_issued) == (3, 1, 1, 1, 0)
    assert [x.id for x in campaigns.list_campaigns(ctx)] == [c.id]


def test_a_failure_in_a_chunk_leaves_nothing_of_that_chunk(shop, monkeypatch):
    """Every chunk is whole: the one that fails leaves none of its vouchers, texts, recipients or audit
    rows (here the only chunk: the campaign stays 'sending' with nothing queued; tests/test_campaign_chunks.py
    resumes one)."""
    ctx, ids = shop
    calls = []

    def flaky(*a, **kw):
        calls.append(1)
        raise RuntimeError("disk full")

    monkeypatch.setattr(outbox, "enqueue_many", flaky)
    messages, vouchers_before, audits = count(ctx.db, Message), count(ctx.db, Voucher), count(ctx.db, AuditLog)
    with pytest.raises(RuntimeError):
        campaigns.send(ctx, CampaignSpec("Half", Filters(tags=("tea",)),
                                         voucher=VoucherTerms(value=1000, expires_on=EXPIRY)))
    assert len(calls) == 1
    assert count(ctx.db, Campaign, Campaign.status == "sending", Campaign.done == 0) == 1
    assert count(ctx.db, CampaignRecipient) == 0
    assert count(ctx.db, Voucher) == vouchers_before and count(ctx.db, Message) == messages
    assert count(ctx.db, AuditLog) == audits + 1                          # campaign.start only


def test_sending_twice_does_not_double(shop):
    ctx, ids = shop
    spec = CampaignSpec("Once", Filters(tags=("tea",)), voucher=VoucherTerms(value=1000, expires_on=EXPIRY))
    first = campaigns.send(ctx, spec, client_ref="dialog-1")
    again = campaigns.send(ctx, spec, client_ref="dialog-1")
    assert again.id == first.id and again.replayed and not first.replayed
    assert count(ctx.db, Campaign) == 1 and count(ctx.db, Voucher, Voucher.campaign == f"campaign:{first.id}") == 2
    assert count(ctx.db, Message, Message.kind == "campaign") == 2
    # The outbox key itself refuses a second text of the same campaign to the same member.
    with ctx.tx() as t:
        m = t.s.get(Member, ids["a"])
        assert outbox.enqueue(t, m, kind="campaign", category="marketing", body="x",
                              dedupe_key=f"campaign:{first.id}:{ids['a']}", lang="zh_CN") is None
    assert count(ctx.db, Message, Message.kind == "campaign") == 2


def test_campaign_selecting_nobody_is_refused(shop):
    ctx, ids = shop
    with pytest.raises(ValidationError) as e:
        campaigns.send(ctx, CampaignSpec("Nobody", Filters(birthday_month=12), body="{name}: hello"))
    assert e.value.code == "campaign_selects_nobody" and e.value.params["matched"] == 0
    # Dee matches but may not get offers: still nobody.
    with pytest.raises(ValidationError) as e:
        campaigns.send(ctx, CampaignSpec("Dee", Filters(tags=("tea",), tiers=("ordinary",), last_visit_before=None,
                                                        spend_max=0, birthday_month=None), body="{name}: hello"))
    assert e.value.code == "campaign_selects_nobody" and e.value.params["matched"] == 1
    assert "没有可发送的会员" in render(e.value, "zh_CN")
    assert count(ctx.db, Campaign) == 0


@pytest.mark.parametrize("voucher,code", [
    (VoucherTerms(value=0, expires_on=EXPIRY), "amount_zero"),
    (VoucherTerms(value=-5, expires_on=EXPIRY), "amount_negative"),
    (VoucherTerms(value=10_000, kind="percent", expires_on=EXPIRY), "campaign_percent_invalid"),
    (VoucherTerms(value=0, kind="percent", expires_on=EXPIRY), "campaign_percent_invalid"),
    (VoucherTerms(value=1000, expires_on=date(2026, 3, 1)), "campaign_expiry_past"),
    (VoucherTerms(value=1000, kind="gift", expires_on=EXPIRY), "campaign_voucher_invalid"),
])
def test_bad_vouchers_are_refused_and_change_nothing(shop, voucher, code):
    ctx, ids = shop
    with pytest.raises(ValidationError) as e:
        campaigns.send(ctx, CampaignSpec("Bad", Filters(), voucher=voucher))
    assert e.value.code == code
    assert count(ctx.db, Campaign) == 0 and count(ctx.db, Voucher) == 0


@pytest.mark.parametrize("filters,code", [
    (Filters(tiers=("platinum",)), "campaign_tier_unknown"),
    (Filters(birthday_month=13), "campaign_month_invalid"),
    (Filters(spend_min=5000, spend_max=100), "campaign_range_invalid"),
    (Filters(last_visit_after=date(2026, 3, 1), last_visit_before=date(2026, 2, 1)), "campaign_range_invalid"),
])
def test_bad_filters_are_refused(shop, filters, code):
    ctx, ids = shop
    with pytest.raises(ValidationError) as e:
        campaigns.preview(ctx, CampaignSpec("Bad", filters))
    assert e.value.code == code


def test_a_cashier_may_not_send(shop):
    ctx, ids = shop
    with pytest.raises(PermissionDenied):
        campaigns.send(ctx.as_actor(Actor(None, "c", "cashier")), CampaignSpec("x", Filters()))


def test_bring_a_friend_credits_the_referrer(shop, clock):
    ctx, ids = shop
    c = campaigns.send(ctx, CampaignSpec("Bring a friend", Filters(tiers=("gold",)), kind="referral",
                                         voucher=VoucherTerms(value=2000, expires_on=EXPIRY, min_spend=5000),
                                         referral_points=300))
    with ctx.db.session(write=False) as s:
        v = s.execute(select(Voucher).where(Voucher.campaign == f"campaign:{c.id}")).scalar_one()
        body = s.execute(select(Message.body).where(Message.dedupe_key == f"campaign:{c.id}:{ids['a']}")).scalar_one()
    assert v.member_id is None and v.code in body and "300" in body      # a voucher for anyone, the reward named
    # Ann may not spend her friend's voucher herself; nothing changes.
    with pytest.raises(Conflict) as e:
        checkout(ctx, Cart((CartLine("COF"),), member_id=ids["a"]), [Tender("voucher", voucher_code=v.code),
                                                                       Tender("cash", 10000)])
    assert e.value.code == "campaign_referral_own_voucher"
    points_before = count(ctx.db, PointsEntry, PointsEntry.member_id == ids["a"])
    # A new member naming Ann redeems it: Ann gets 300 points through the ledger.
    clock.set(datetime(2026, 3, 3, 15))
    friend = member(ctx, "13800000009", "Friend", referrer_id=ids["a"])
    with ctx.db.session(write=False) as s:
        ann_before = s.get(Member, ids["a"]).points_balance
    checkout(ctx, Cart((CartLine("COF"),), member_id=friend.id), [Tender("voucher", voucher_code=v.code),
                                                                  Tender("cash", 10000)])
    with ctx.db.session(write=False) as s:
        assert s.get(Member, ids["a"]).points_balance == ann_before + 300
        entry = s.execute(select(PointsEntry).where(PointsEntry.member_id == ids["a"])
                          .order_by(PointsEntry.id.desc())).scalars().first()
        assert (entry.kind, entry.points, entry.note) == ("earn", 300, f"referral {v.code}")
    assert count(ctx.db, PointsEntry, PointsEntry.member_id == ids["a"]) == points_before + 1
    res = campaigns.get(ctx, c.id).results
    assert res.referrals_credited == 1 and res.vouchers_redeemed == 1 and res.revenue == 5800
    assert ledger_faults(ctx.db) == []


def test_bring_a_friend_voucher_used_by_a_stranger_credits_nobody(shop, clock):
    ctx, ids = shop
    c = campaigns.send(ctx, CampaignSpec("Bring a friend", Filters(tiers=("gold",)), kind="referral",
                                         voucher=VoucherTerms(value=2000, expires_on=EXPIRY), referral_points=300))
    with ctx.db.session(write=False) as s:
        code = s.execute(select(Voucher.code).where(Voucher.campaign == f"campaign:{c.id}")).scalar_one()
        ann_before = s.get(Member, ids["a"]).points_balance
    # Bo is an existing member who does not name Ann: the discount works, nobody is credited.
    checkout(ctx, Cart((CartLine("COF"),), member_id=ids["b"]), [Tender("voucher", voucher_code=code),
                                                                   Tender("cash", 10000)])
    with ctx.db.session(write=False) as s:
        assert s.get(Member, ids["a"]).points_balance == ann_before
    assert campaigns.get(ctx, c.id).results.referrals_credited == 0


def test_referral_needs_points_and_a_voucher(shop):
    ctx, ids = shop
    with pytest.raises(ValidationError) as e:
        campaigns.preview(ctx, CampaignSpec("x", kind="referral", referral_points=100))
    assert e.value.code == "campaign_referral_needs_voucher"
    with pytest.raises(ValidationError) as e:
        campaigns.preview(ctx, CampaignSpec("x", kind="referral", referral_points=0,
                                            voucher=VoucherTerms(value=100, expires_on=EXPIRY)))
    assert e.value.code == "campaign_referral_points_invalid"


def test_without_a_voucher_the_campaign_needs_its_own_text(shop):
    ctx, ids = shop
    with pytest.raises(ValidationError) as e:   # the default template names {voucher_code}
        campaigns.preview(ctx, CampaignSpec("x", Filters()))
    assert e.value.code == "campaign_text_needed"
    with pytest.raises(ValidationError) as e:
        campaigns.preview(ctx, CampaignSpec("x", Filters(), body="{name}, {nme}"))
    assert e.value.code.startswith("template_placeholder")
    p = campaigns.preview(ctx, CampaignSpec("x", Filters(), body="{name}, new teas are in!"))
    assert p.reachable == 4 and "new teas are in!" in p.sample and "回T退订" in p.sample


def test_segment_filter_picks_the_members_the_analytics_put_there(shop):
    ctx, ids = shop
    from app.services.analytics.members import analyse

    scores = analyse(ctx).scores
    by = dict(zip(scores.summary.member.tolist(), scores.segment.tolist(), strict=True))
    assert set(by) == {ids["a"], ids["b"], ids["c"]}                 # the three who bought
    for segment in set(by.values()):
        assert picked(ctx, segment=segment)[0] == sum(1 for s in by.values() if s == segment)
    with pytest.raises(ValidationError) as e:
        picked(ctx, segment="vip")
    assert e.value.code == "campaign_segment_unknown"
