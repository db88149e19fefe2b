"""Care results: for each kind of care action, who came back (bought) within its window after a text
or a call and what they spent; satisfaction by category and by staff member, the scores coming in
through the real twilio client and the fake Twilio server; and ``shopcare report care``."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone

import pytest

from app import cli
from app.errors import ValidationError
from app.models import Member
from app.services import care
from app.services.admin import shop_admin
from app.services.base.context import Actor
from app.services.care import callbacks, satisfaction
from app.services.members.members import MemberInput, create_member
from app.services.reports import care_results
from app.services.sales import catalog
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.refunds import RefundLine, refund
from app.services.texts import outbox, sender
from tests.fake_twilio import SHOP_NUMBER, fake_twilio, gateway, twilio_cfg  # noqa: F401

DAY = date(2026, 3, 2)
KINDS = ("birthday", "holiday", "tier_care", "winback", "repurchase", "followup", "points_reminder", "campaign")
PRICE = 1000


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def _sell(ctx, member_id, when: datetime, *lines: tuple[str, int]):
    ctx.clock.set(when)
    return checkout(ctx, Cart(tuple(CartLine(s, q) for s, q in lines), member_id=member_id), [Tender("cash", 10 ** 7)])


def _member(ctx, n: int) -> int:
    return create_member(ctx, MemberInput(name=f"会员{n}", phone=f"13700{n:06d}", consent_care=True,
                                          consent_marketing=True)).id


def _text(ctx, member_id: int, kind: str) -> None:
    with ctx.tx() as t:
        m = t.s.get(Member, member_id)
        outbox.enqueue(t, m, kind=kind, category="marketing" if kind == "campaign" else "care",
                       body=f"{kind} text", dedupe_key=f"{kind}:test:{member_id}", lang="zh_CN")


@pytest.fixture
def shop(ctx):
    ctx.clock.set(_at(DAY - timedelta(days=30), 9))
    care.update_config(ctx, hold_first_run=False)   # what goes out, not the first texts' approval (test_no_surprise_sends)
    catalog.add_product(ctx, sku="UNIT", name="Unit 单位", price=PRICE, category="杂货")
    catalog.add_product(ctx, sku="PERM", name="Perm 烫发", price=38000, category="烫发", kind="service")
    catalog.add_product(ctx, sku="DYE", name="Hair colour 染发", price=26000, category="染发", kind="service")
    catalog.add_product(ctx, sku="SHAMPOO", name="Care shampoo 护理洗发水", price=8800, category="洗护")
    li = shop_admin.add_staff(ctx, "Li Na", "cashier", "4826")
    wang = shop_admin.add_staff(ctx, "Wang Wei", "cashier", "7391")
    return ctx, ctx.as_actor(Actor(li.id, li.name, "cashier")), ctx.as_actor(Actor(wang.id, wang.name, "cashier"))


def test_the_care_results_show_who_came_back_for_each_kind_of_care(shop, fake_twilio, gateway):
    ctx, li, _wang = shop
    n = 0
    people: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        people[kind] = {}
        for who in ("back", "late", "never"):
            n += 1
            people[kind][who] = _member(ctx, n)
    caller = _member(ctx, 99)
    # a purchase before the texts never counts as coming back
    _sell(li, people["birthday"]["back"], _at(DAY, 8), ("UNIT", 50))
    ctx.clock.set(_at(DAY, 10))
    for kind in KINDS:
        for mid in people[kind].values():
            _text(ctx, mid, kind)
    assert sender.send_due(ctx, gateway, limit=1000).sent == 24 + 1          # and the early sale's e-bill
    # a win-back call, ticked off: a contact too
    task = callbacks.add_task(ctx, caller, DAY, "Win-back call")
    with ctx.tx() as t:
        from app.models import CallbackTask
        t.s.get(CallbackTask, task.id).source = "winback"
    callbacks.complete_task(ctx, task.id, kind="call", body="Invited her back")
    # who came back: within 5 days (inside every window), after 40 days (outside all), never
    for i, kind in enumerate(KINDS, start=1):
        _sell(li, people[kind]["back"], _at(DAY + timedelta(days=5), 11), ("UNIT", i))
        _sell(li, people[kind]["late"], _at(DAY + timedelta(days=40), 11), ("UNIT", 1))
    second = _sell(li, people["birthday"]["back"], _at(DAY + timedelta(days=6), 11), ("UNIT", 10))
    ctx.clock.set(_at(DAY + timedelta(days=7), 11))
    refund(ctx, second.receipt_no, [RefundLine(1, 4)], reason="too many")
    _sell(li, caller, _at(DAY + timedelta(days=2), 15), ("UNIT", 3))
    ctx.clock.set(_at(DAY + timedelta(days=60), 9))

    report = care_results.care_results(ctx, DAY, DAY + timedelta(days=30))
    assert [k.kind for k in report.kinds][:len(KINDS)] == list(KINDS)
    for i, kind in enumerate(KINDS, start=1):
        r = report.kind(kind)
        assert (r.texts, r.members, r.came_back) == (3, 3 + (kind == "winback"), 1 + (kind == "winback")), kind
        assert r.window_days == care_results.WINDOWS[kind]
        if kind == "birthday":   # two visits, one partly refunded: 1 + 10 - 4 units
            assert (r.visits, r.spent) == (2, (1 + 10 - 4) * PRICE)
        elif kind == "winback":  # the text's member (4 units) and the called member (3 units)
            assert (r.calls, r.visits, r.spent) == (1, 2, (4 + 3) * PRICE)
        else:
            assert (r.calls, r.visits, r.spent) == (0, 1, i * PRICE), kind
        assert r.return_rate == pytest.approx(r.came_back / r.members)
    # a period before the contacts has none
    empty = care_results.care_results(ctx, DAY - timedelta(days=10), DAY - timedelta(days=1))
    assert all(k.members == 0 and k.came_back == 0 and k.spent == 0 for k in empty.kinds)
    with pytest.raises(ValidationError) as err:
        care_results.care_results(ctx, DAY, DAY - timedelta(days=1))
    assert err.value.code == "date_range_invalid"


def _utc(local: datetime) -> datetime:
    return local.astimezone(timezone.utc)


def test_satisfaction_by_category_and_by_staff_member_and_the_command(shop, fake_twilio, gateway, db):
    ctx, li, wang = shop
    care.update_config(ctx, enabled=["satisfaction"], satisfaction_categories=["烫发", "染发"])
    a, b, c, d = (_member(ctx, i) for i in range(1, 5))
    _sell(li, a, _at(DAY, 10), ("PERM", 1))
    _sell(wang, b, _at(DAY, 10, 30), ("DYE", 1), ("SHAMPOO", 1))
    _sell(li, c, _at(DAY, 11), ("DYE", 1))
    _sell(li, d, _at(DAY, 11, 30), ("SHAMPOO", 1))                       # not asked: shampoo only
    ctx.clock.set(_at(DAY, 12))
    assert care.run(ctx).count("satisfaction").queued == 3
    sender.send_due(ctx, gateway)
    for n, word in ((1, "2"), (2, "5"), (3, "4"), (4, "1")):
        fake_twilio.add_inbound(f"+8613700{n:06d}", word, SHOP_NUMBER, _utc(_at(DAY, 13, n)))
    ctx.clock.set(_at(DAY, 14))
    assert sender.poll(ctx, gateway, on_score=satisfaction.after_score).scores == 3

    report = care_results.care_results(ctx, DAY, DAY)
    staff = {r.key: (r.count, r.total, r.complaints) for r in report.by_staff}
    assert staff == {"Li Na": (2, 6, 1), "Wang Wei": (1, 5, 0)}
    cats = {r.key: (r.count, r.average, r.complaints) for r in report.by_category}
    assert cats == {"烫发": (1, 2.0, 1), "染发": (2, 4.5, 0), "洗护": (1, 5.0, 0)}
    assert (report.scores.count, report.scores.complaints) == (3, 1)
    assert report.kind("satisfaction").texts == 3

    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--db", db.url, "--lang", "en", "report", "care", "--from", DAY.isoformat(),
                     "--to", DAY.isoformat()], out=out, err=err)
    text = out.getvalue()
    assert code == 0, err.getvalue()
    assert "Care results 2026-03-02 to 2026-03-02" in text and "Satisfaction by staff member" in text
    li_line = next(line for line in text.splitlines() if line.startswith("Li Na"))
    assert li_line.split()[2:] == ["3.0", "2", "1"]
    assert any(line.startswith("win-back") for line in text.splitlines())
    out = io.StringIO()
    assert cli.main(["--db", db.url, "--lang", "zh_CN", "report", "care", "--from", DAY.isoformat(),
                     "--to", DAY.isoformat()], out=out, err=io.StringIO()) == 0
    assert "关怀效果" in out.getvalue() and "烫发" in out.getvalue()
    err = io.StringIO()
    assert cli.main(["--db", db.url, "--lang", "en", "report", "care", "--from", "2026-03-05", "--to",
                     "2026-03-01"], out=io.StringIO(), err=err) == 2
    assert "before the start date" in err.getvalue()
