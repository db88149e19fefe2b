"""Service follow-ups and satisfaction as one loop: follow-up plans per category or product (text or
call, once per sale and plan), satisfaction texts after chosen categories (once per member per
period), a score of 1-2 through the real twilio client and the fake Twilio server opening a complaint
on the call list with the sale and the staff member, and the resolved complaint kept as a case."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError, render
from app.models import CallbackTask, ContactNote, InboundMessage, Message, SatisfactionScore
from app.services import care
from app.services.admin import shop_admin
from app.services.base.context import Actor
from app.services.care import callbacks, knowledge, satisfaction
from app.services.members.members import MemberInput, create_member
from app.services.sales import catalog
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.refunds import refund
from app.services.texts import sender
from tests.fake_twilio import SHOP_NUMBER, fake_twilio, gateway, twilio_cfg  # noqa: F401

DAY = date(2026, 3, 2)   # a Monday


@pytest.fixture
def salon(ctx):
    ctx.clock.set(datetime(2026, 1, 5, 9))
    care.update_config(ctx, hold_first_run=False)   # what goes out, not the first texts' approval (test_no_surprise_sends)
    catalog.add_product(ctx, sku="PERM", name="Perm 烫发", price=38000, category="烫发", kind="service")
    catalog.add_product(ctx, sku="DYE", name="Hair colour 染发", price=26000, category="染发", kind="service")
    catalog.add_product(ctx, sku="SHAMPOO", name="Care shampoo 护理洗发水", price=8800, category="洗护")
    staff = shop_admin.add_staff(ctx, "Li Na 李娜", "cashier", "4826")
    members = [create_member(ctx, MemberInput(name=f"顾客{i}", phone=f"1360000000{i}", consent_care=True)).id
               for i in range(4)]
    return ctx.as_actor(Actor(staff.id, staff.name, "cashier")), members


def _sell(ctx, member_id, when: datetime, *skus: str) -> int:
    ctx.clock.set(when)
    sale = checkout(ctx, Cart(tuple(CartLine(s, 1) for s in skus), member_id=member_id), [Tender("cash", 10 ** 6)])
    return sale.sale_id


def _run(ctx, day: date, hour: int = 19):
    ctx.clock.set(datetime.combine(day, time(hour)))
    return care.run(ctx)


def _texts(ctx, kind: str) -> list[Message]:
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Message).where(Message.kind == kind).order_by(Message.id)).scalars().all()
        for r in rows:
            t.s.expunge(r)
        return rows


# --- settings ---------------------------------------------------------------------------------------
def test_a_follow_up_of_0_days_and_other_bad_plans_are_refused_and_nothing_changes(ctx):
    good = [{"category": "烫发", "days": 7, "action": "text", "text": "{name}，烫发一周了，卷度还满意吗？"}]
    care.update_config(ctx, followup_plans=good)
    bad = [
        ([{"category": "烫发", "days": 0}], "followup_days_invalid"),
        ([{"category": "烫发", "days": -3}], "followup_days_invalid"),
        ([{"category": "烫发", "days": "7"}], "followup_days_invalid"),
        ([{"category": "烫发", "sku": "PERM", "days": 7}], "followup_target_invalid"),
        ([{"days": 7}], "followup_target_invalid"),
        ([{"category": "烫发", "days": 7, "action": "visit"}], "care_setting_invalid"),
        ([{"category": "烫发", "days": 7, "text": "{nmae}, how is it?"}], "template_placeholder_unknown_near"),
        ([{"category": "烫发", "days": 7}, {"category": "烫发", "days": 7}], "care_setting_invalid"),
    ]
    for plans, code in bad:
        with pytest.raises(ValidationError) as err:
            care.update_config(ctx, followup_plans=plans)
        assert err.value.code == code, plans
    with pytest.raises(ValidationError) as err:
        care.update_config(ctx, followup_plans=[{"category": "烫发", "days": 0}])
    assert "0 days" in render(err.value, "en") and "0" in render(err.value, "zh_CN")
    assert render(err.value, "zh_CN") != render(err.value, "en")
    for key, value in [("satisfaction_every_days", 0), ("satisfaction_categories", ["烫发", ""]),
                       ("satisfaction_categories", "烫发")]:
        with pytest.raises(ValidationError):
            care.update_config(ctx, **{key: value})
    cfg = care.load_config(ctx)
    assert cfg.followup_plans == good and cfg.satisfaction_categories == () and cfg.satisfaction_every_days == 30


# --- follow-ups --------------------------------------------------------------------------------------
def test_follow_ups_go_once_per_sale_and_plan_as_text_or_call(salon):
    ctx, (a, b, c, d) = salon
    care.update_config(ctx.as_actor(Actor(None, "owner", "owner")), followup_plans=[
        {"id": "perm-week", "category": "烫发", "days": 7, "text": "{name}，烫发一周了，卷度还满意吗？"},
        {"sku": "DYE", "days": 3, "action": "call"},
        {"category": "洗护", "days": 10},
    ])
    perm = _sell(ctx, a, datetime.combine(DAY, time(10)), "PERM")
    dye = _sell(ctx, b, datetime.combine(DAY, time(11)), "DYE", "SHAMPOO")
    refunded = _sell(ctx, c, datetime.combine(DAY, time(12)), "PERM")
    _sell(ctx, None, datetime.combine(DAY, time(13)), "PERM")             # no member: nobody to follow up
    ctx.clock.set(datetime.combine(DAY, time(14)))
    refund(ctx.as_actor(Actor(None, "owner", "owner")), _receipt(ctx, refunded), reason="changed her mind")
    assert _run(ctx, DAY).count("followup").due == 0                     # nothing is due on the day itself

    report = _run(ctx, DAY + timedelta(days=3))
    assert (report.count("followup").due, report.count("followup").tasks) == (1, 1)
    [task] = callbacks.open_tasks(ctx, source="followup")
    assert task.member_id == b and task.due_on == DAY + timedelta(days=3)
    assert "Hair colour" in task.reason and "Li Na" in task.reason and "T1-" in task.reason

    report = _run(ctx, DAY + timedelta(days=7))
    assert (report.count("followup").queued, report.count("followup").due) == (1, 1)
    [text] = _texts(ctx, "followup")
    assert text.member_id == a and text.dedupe_key == f"followup:{perm}:perm-week"
    assert "烫发一周了，卷度还满意吗" in text.body and text.category == "care" and "退订" in text.body
    again = _run(ctx, DAY + timedelta(days=7), hour=20)
    assert again.count("followup").duplicate == 1 and again.count("followup").queued == 0
    # the shampoo plan (10 days) on the dye sale: the shop's "followup" template with the product
    report = _run(ctx, DAY + timedelta(days=10))
    assert report.count("followup").queued == 1
    shampoo = _texts(ctx, "followup")[-1]
    assert shampoo.member_id == b and shampoo.dedupe_key == f"followup:{dye}:洗护-10d-text"
    assert "Care shampoo" in shampoo.body and "10" in shampoo.body
    assert len(_texts(ctx, "followup")) == 2


def test_follow_ups_are_caught_up_after_closed_days_within_the_cut_off(salon):
    ctx, (a, b, c, d) = salon
    owner = ctx.as_actor(Actor(None, "owner", "owner"))
    care.update_config(owner, followup_plans=[{"category": "烫发", "days": 7}], followup_cutoff_days=3)
    _run(ctx, DAY)
    _sell(ctx, a, datetime.combine(DAY, time(10)), "PERM")
    _sell(ctx, b, datetime.combine(DAY + timedelta(days=1), time(10)), "PERM")
    _run(ctx, DAY + timedelta(days=1))
    # closed until day 11: a's follow-up (due day 7) is 4 days stale, b's (due day 8) 3 days: still sent
    report = _run(ctx, DAY + timedelta(days=11))
    c = report.count("followup")
    assert (c.due, c.queued, c.missed, c.late) == (2, 1, 1, 1)
    assert [m.member_id for m in _texts(ctx, "followup")] == [b]


# --- satisfaction ------------------------------------------------------------------------------------
def test_satisfaction_texts_after_chosen_categories_once_per_member_per_period(salon):
    ctx, (a, b, c, d) = salon
    owner = ctx.as_actor(Actor(None, "owner", "owner"))
    assert _sell(ctx, a, datetime.combine(DAY, time(9)), "PERM")
    assert _run(ctx, DAY).count("satisfaction").due == 0                 # off until categories are chosen
    care.update_config(owner, satisfaction_categories=["烫发", "染发"], satisfaction_every_days=30)
    first = _sell(ctx, a, datetime.combine(DAY, time(10)), "DYE")
    _sell(ctx, b, datetime.combine(DAY, time(11)), "SHAMPOO")             # not a chosen category
    report = _run(ctx, DAY, hour=12)
    assert report.count("satisfaction").queued == 1
    [asked] = _texts(ctx, "satisfaction")
    # one per member per period: the earlier sale that day is asked about, not both
    assert asked.member_id == a and asked.dedupe_key.startswith("satisfaction:") and "1" in asked.body
    assert asked.dedupe_key != f"satisfaction:{first}"
    _sell(ctx, a, datetime.combine(DAY + timedelta(days=5), time(10)), "PERM")
    assert _run(ctx, DAY + timedelta(days=5)).count("satisfaction").queued == 0
    later = _sell(ctx, a, datetime.combine(DAY + timedelta(days=31), time(10)), "PERM")
    assert _run(ctx, DAY + timedelta(days=31)).count("satisfaction").queued == 1
    assert _texts(ctx, "satisfaction")[-1].dedupe_key == f"satisfaction:{later}"
    assert _run(ctx, DAY + timedelta(days=31), hour=20).count("satisfaction").queued == 0


def _utc(local: datetime) -> datetime:
    return local.astimezone(timezone.utc)


def test_a_score_of_2_opens_a_complaint_on_the_call_list_with_the_sale_and_who_served(
        salon, fake_twilio, gateway):
    ctx, (a, b, c, d) = salon
    owner = ctx.as_actor(Actor(None, "owner", "owner"))
    care.update_config(owner, satisfaction_categories=["烫发"])
    perm = _sell(ctx, a, datetime.combine(DAY, time(10)), "PERM")
    _sell(ctx, b, datetime.combine(DAY, time(10, 30)), "PERM")
    _run(ctx, DAY, hour=11)
    sender.send_due(owner, gateway)                                        # two e-bills, two satisfaction texts
    assert [(m.member_id, m.status) for m in _texts(ctx, "satisfaction")] == [(a, "sent"), (b, "sent")]
    fake_twilio.add_inbound("+8613600000000", " 2 ", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=20)))
    fake_twilio.add_inbound("+8613600000001", "5", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=21)))
    fake_twilio.add_inbound("+8613600000002", "1", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=22)))  # never asked
    ctx.clock.set(ctx.now() + timedelta(minutes=30))
    report = sender.poll(owner, gateway, on_score=satisfaction.after_score)
    assert (report.inbound, report.scores) == (3, 2)

    [task] = callbacks.open_tasks(owner, source="complaint")
    assert task.member_id == a and task.due_on == ctx.today() and task.open_complaint
    receipt = _receipt(ctx, perm)
    assert receipt in task.reason and "Li Na" in task.reason and "2" in task.reason
    [note] = callbacks.open_complaints(owner)
    assert note.member_id == a and receipt in note.body and "Li Na" in note.body
    # a score reply with no recent satisfaction text is an ordinary reply, not a score
    with ctx.tx(write=False) as t:
        actions = dict(t.s.execute(select(InboundMessage.from_phone, InboundMessage.action)).all())
        assert actions == {"+8613600000000": "score", "+8613600000001": "score", "+8613600000002": "none"}
        assert t.s.execute(select(func.count()).select_from(SatisfactionScore)).scalar() == 2
    # polling again and a care run open nothing more
    assert sender.poll(owner, gateway, on_score=satisfaction.after_score).scores == 0
    _run(owner, DAY, hour=13)
    assert len(callbacks.open_tasks(owner, source="complaint")) == 1

    # the call is made, the complaint resolved and kept as a typical case
    callbacks.complete_task(owner, task.id, kind="call", body="Redid the curls for free", outcome="happy now")
    callbacks.resolve_complaint(owner, note.id, "Free touch-up, curls redone")
    case = knowledge.save_case(owner, note.id)
    assert case.source == "case" and receipt in case.body and "Free touch-up" in case.body
    assert callbacks.open_complaints(owner) == []


def test_a_care_run_opens_the_complaint_a_poll_without_the_hook_left_out(salon, fake_twilio, gateway):
    ctx, (a, b, c, d) = salon
    care.update_config(ctx.as_actor(Actor(None, "owner", "owner")), satisfaction_categories=["烫发"])
    _sell(ctx, a, datetime.combine(DAY, time(10)), "PERM")
    _run(ctx, DAY, hour=11)
    sender.send_due(ctx, gateway)
    fake_twilio.add_inbound("+8613600000000", "1", SHOP_NUMBER, _utc(ctx.now() + timedelta(minutes=5)))
    ctx.clock.set(ctx.now() + timedelta(minutes=10))
    assert sender.poll(ctx, gateway).scores == 1                         # no hook: no complaint yet
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.count()).select_from(ContactNote)).scalar() == 0
    _run(ctx, DAY, hour=12)
    [task] = callbacks.open_tasks(ctx, source="complaint")
    assert task.member_id == a and "1" in task.reason
    assert satisfaction.open_missing_complaints(ctx) == 0
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.count()).select_from(CallbackTask)
                           .where(CallbackTask.source == "complaint")).scalar() == 1


def _receipt(ctx, sale_id: int) -> str:
    from app.models import Sale

    with ctx.tx(write=False) as t:
        return t.s.get(Sale, sale_id).receipt_no


def test_a_gateway_of_approved_templates_needs_follow_up_and_satisfaction_ones_only_once_set_up(ctx):
    from app.services.care import text_kinds

    kinds = ("followup", "satisfaction", "ebill_sale")
    assert text_kinds.in_use(ctx, kinds) == ("ebill_sale",)
    care.update_config(ctx, followup_plans=[{"category": "烫发", "days": 7, "action": "call"}])
    assert text_kinds.in_use(ctx, kinds) == ("ebill_sale",)                 # a call needs no template
    care.update_config(ctx, followup_plans=[{"category": "烫发", "days": 7}], satisfaction_categories=["烫发"])
    assert text_kinds.in_use(ctx, kinds) == kinds
    care.update_config(ctx, enabled=["birthday"])
    assert text_kinds.in_use(ctx, kinds) == ("ebill_sale",)
