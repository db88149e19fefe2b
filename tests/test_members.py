"""Members: validation that names the problem and changes nothing, and the till's lookups."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Duplicate, ValidationError, render
from app.models import Member
from app.services.members.members import (MemberInput, create_member, find_by_phone, find_members, get_member,
                                  parse_birthday, update_member)
from app.services.base import phones


def add(ctx, name="王芳", phone="13800138000", **kw):
    return create_member(ctx, MemberInput(name=name, phone=phone, **kw))


def members_count(ctx):
    with ctx.db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(Member)).scalar()


def test_create_normalises_phone_and_keeps_details(ctx):
    m = add(ctx, phone="138-0013-8000", birthday="1990年3月5日", gender="女", card_no="A001",
            tags=["VIP", "咖啡", "VIP"], consent_care=True, wedding="2015-10-01")
    assert m.phone == "+8613800138000" and m.masked_phone == "138****8000"
    assert (m.birthday.year, m.birthday.month, m.birthday.day, m.birthday.calendar) == (1990, 3, 5, "solar")
    assert m.gender == "F" and m.tags == ("VIP", "咖啡") and m.tier_code == "ordinary"
    assert m.consent_care and not m.consent_marketing and m.ebill_enabled
    assert m.dates == (("wedding", "", "2015-10-01"),)
    with ctx.db.session(write=False) as s:
        row = s.get(Member, m.id)
        assert row.consent_care_at == ctx.now() and row.consent_care_source == "counter"
        assert row.phone_last4 == "8000"


@pytest.mark.parametrize("phone,code", [
    ("abc", "phone_letters"),              # phonenumbers would read this as 222
    ("1380013800O", "phone_letters"),      # a letter O among the digits
    ("12345", "phone_invalid"),
    ("", "phone_empty"),
    ("+86 999 0000 0000", "phone_invalid"),
])
def test_bad_phones_refused(ctx, phone, code):
    with pytest.raises(ValidationError) as e:
        add(ctx, phone=phone)
    assert e.value.code == code
    assert members_count(ctx) == 0


@pytest.mark.parametrize("birthday", ["2001-02-30", "02-30", "1999-02-29", "13-01", "lunar 13-01", "2999-01-01",
                                      "yesterday"])
def test_impossible_birthdays_refused(ctx, birthday):
    with pytest.raises(ValidationError) as e:
        add(ctx, birthday=birthday)
    assert e.value.code == "birthday_invalid"
    assert members_count(ctx) == 0


def test_birthday_forms():
    assert str(parse_birthday("02-29")) == "02-29"  # year unknown: 29 February is possible
    b = parse_birthday("农历闰4-30")
    assert (b.calendar, b.leap_month, b.month, b.day) == ("lunar", True, 4, 30)
    assert parse_birthday("1988/12/1").year == 1988


def test_empty_name_and_duplicates_refused(ctx):
    with pytest.raises(ValidationError) as e:
        add(ctx, name="   ")
    assert e.value.code == "name_empty"
    add(ctx, card_no="C9")
    with pytest.raises(Duplicate) as e:
        add(ctx, name="王芳芳", phone="+86 138 0013 8000")
    assert e.value.code == "phone_duplicate"
    assert "138****8000" in render(e.value, "zh_CN") and "王芳" in render(e.value, "zh_CN")
    with pytest.raises(Duplicate) as e:
        add(ctx, name="李雷", phone="13900139000", card_no="C9")
    assert e.value.code == "card_duplicate"
    assert members_count(ctx) == 1


def test_last4_pick_list_tells_same_names_apart(ctx):
    a = add(ctx, name="张伟", phone="13800001234")
    b = add(ctx, name="张伟", phone="13900001234", tier="gold")
    add(ctx, name="李娜", phone="13700005678")
    picks = find_members(ctx, "1234")
    assert {p.id for p in picks} == {a.id, b.id}
    assert {p.masked_phone for p in picks} == {"138****1234", "139****1234"}
    assert {p.tier_name_zh for p in picks} == {"普通会员", "金卡会员"}


def test_lookup_by_full_phone_card_and_name_prefix(ctx):
    a = add(ctx, name="欧阳娜娜", phone="13800001234", card_no="88001")
    b = add(ctx, name="Anna Lee", phone="13900005678")
    assert [p.id for p in find_members(ctx, "138 0000 1234")] == [a.id]
    assert [p.id for p in find_members(ctx, "88001")] == [a.id]
    assert [p.id for p in find_members(ctx, "欧阳")] == [a.id]
    assert [p.id for p in find_members(ctx, "anna")] == [b.id]
    assert find_members(ctx, "欧阳菲") == []
    assert find_by_phone(ctx, "13900005678").id == b.id
    with pytest.raises(ValidationError):
        find_members(ctx, "  ")


def test_update_validates_everything_first(ctx):
    m = add(ctx)
    add(ctx, name="李雷", phone="13900139000")
    with pytest.raises(Duplicate):
        update_member(ctx, m.id, name="王芳芳", phone="13900139000")
    assert get_member(ctx, m.id).name == "王芳"  # the valid name change did not land either
    v = update_member(ctx, m.id, name="王芳芳", phone="13700137000", consent_marketing=True)
    assert (v.name, v.phone, v.consent_marketing) == ("王芳芳", "+8613700137000", True)
    assert [p.id for p in find_members(ctx, "7000")] == [m.id]


def test_mask_and_last4():
    assert phones.mask("+8613812345678") == "138****5678"
    assert phones.last4("+8613812345678") == "5678"
