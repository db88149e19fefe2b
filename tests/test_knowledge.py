"""The knowledge base: search in Chinese and English, editing, typical cases from complaints."""
from __future__ import annotations

import pytest

from app.errors import Conflict, PermissionDenied, ValidationError
from app.services.care import callbacks, knowledge
from app.services.base.context import Actor
from tests.shop import member


def titles(ctx, q):
    return [a.title for a in knowledge.search(ctx, q)]


def test_seeded_articles_are_found_in_chinese_and_english(ctx):
    assert knowledge.seed_defaults(ctx) == len(knowledge.SEED)
    assert knowledge.seed_defaults(ctx) == 0                       # by title: a second seeding adds nothing
    assert titles(ctx, "存茶") == ["存茶方法"]
    assert set(titles(ctx, "普洱")) == {"存茶方法", "冲泡指南"}
    assert set(titles(ctx, "赠送金额")) == {"储值规则"}
    assert set(titles(ctx, "退现")) == {"储值规则", "退换货政策"}   # 退现 / 现金退现金
    assert set(titles(ctx, "REFUND")) == {"Refund policy"}          # any case
    assert set(titles(ctx, "pu'er")) == {"Storing tea", "Brewing guide"}
    assert set(titles(ctx, "airtight")) == {"Storing tea"}
    assert set(titles(ctx, "brewing coffee")) == {"Brewing guide"}   # every word
    assert "Stored-value rules" in titles(ctx, "wallet")             # a tag
    assert titles(ctx, "50%") == [] and titles(ctx, "nothing-like-this") == []
    assert len(knowledge.search(ctx, "")) == len(knowledge.SEED)


def test_title_matches_come_first(ctx):
    knowledge.add(ctx, "Gift boxes", "Wrapped on request; mention storing tea in the card.", "gift")
    knowledge.seed_defaults(ctx)
    assert titles(ctx, "storing tea")[0] == "Storing tea"


def test_add_edit_remove_and_refusals(ctx):
    a = knowledge.add(ctx, "Opening hours", "9:00-21:00 every day", "hours, 营业时间")
    assert a.tags == ("hours", "营业时间") and titles(ctx, "营业") == ["Opening hours"]
    b = knowledge.update(ctx, a.id, title="营业时间", body="每天 9:00-21:00", tags="营业时间")
    assert b.title == "营业时间" and titles(ctx, "hours") == [] and titles(ctx, "每天") == ["营业时间"]
    assert knowledge.as_text(b) == "每天 9:00-21:00"
    with pytest.raises(ValidationError):
        knowledge.add(ctx, "", "x")
    with pytest.raises(ValidationError):
        knowledge.add(ctx, "x", " ")
    with pytest.raises(PermissionDenied):
        knowledge.add(ctx.as_actor(Actor(None, "c", "cashier")), "x", "y")
    knowledge.remove(ctx, a.id)
    assert knowledge.search(ctx, "") == []


def test_a_resolved_complaint_becomes_a_typical_case(ctx):
    m = member(ctx).id
    c = callbacks.add_note(ctx, m, kind="complaint", body="熟普洱茶饼有潮味", outcome="已道歉")
    with pytest.raises(Conflict) as e:
        knowledge.save_case(ctx, c.id)
    assert e.value.code == "complaint_open"
    callbacks.resolve_complaint(ctx, c.id, "更换新茶饼并赠送20元券，提醒密封干燥存放")
    case = knowledge.save_case(ctx, c.id)
    assert case.source == "case" and case.note_id == c.id and case.title.startswith("典型案例：熟普洱")
    assert "投诉：熟普洱茶饼有潮味" in case.body and "处理：更换新茶饼" in case.body and "结果：已道歉" in case.body
    assert titles(ctx, "潮味") == [case.title] and titles(ctx, "案例") == [case.title]
    with pytest.raises(Conflict) as e:
        knowledge.save_case(ctx, c.id)
    assert e.value.code == "kb_case_exists"
