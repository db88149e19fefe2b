"""What people type is checked in the services, the same on SQLite and PostgreSQL (issue 12, groups 5
and 13, member input): control, text-direction, broken and invisible-only characters are refused in
names, notes, tags, card numbers, staff names and care texts; every member text is checked against its
column (PostgreSQL raised DataError, SQLite stored anything); a phone must be text; dates for people
lie within 1900-2100 and lunar dates exist in their year. Each refusal is a coded error in both
languages and changes nothing."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError, render
from app.models import Member
from app.services.base import auth
from app.services.care import callbacks, campaigns, knowledge
from app.services.members import members
from app.services.care.campaigns import CampaignSpec, Filters
from app.services.base.context import SYSTEM
from app.services.members.members import MemberInput, create_member
from tests.shop import member

BAD_CHARS = {
    "NUL": "王\x00芳", "ESC": "Wang\x1b[31mFang", "DEL": "Wang\x7fFang", "C1": "Wang\x85Fang",
    "lone surrogate": "Wang\ud800Fang", "RLO": "Wang\u202eFang", "LRI": "\u2066Wang", "PDI": "Wang\u2069",
}
INVISIBLE = {"zero-width space": "\u200b\u200b", "ZWJ and ZWNJ": "\u200d\u200c", "hangul filler": "\u3164",
             "BOM and word joiner": "\ufeff\u2060", "braille blank": "\u2800 \u2800"}


def _count(ctx) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count(Member.id))).scalar()


def _refused(call, code: str | tuple[str, ...]) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        call()
    codes = (code,) if isinstance(code, str) else code
    assert exc.value.code in codes, exc.value.code
    en, zh = render(exc.value, "en"), render(exc.value, "zh_CN")
    assert en != zh and "{" not in en and "{" not in zh
    return exc.value


@pytest.mark.parametrize("text", BAD_CHARS.values(), ids=BAD_CHARS.keys())
def test_names_notes_tags_and_cards_refuse_bad_characters(ctx, text):
    _refused(lambda: member(ctx, "13800138001", text), "text_bad_char")
    _refused(lambda: member(ctx, "13800138001", "王芳", notes=text), "text_bad_char")
    _refused(lambda: member(ctx, "13800138001", "王芳", tags=["vip", text]), "text_bad_char")
    _refused(lambda: member(ctx, "13800138001", "王芳", card_no=text), "text_bad_char")
    assert _count(ctx) == 0
    m = member(ctx, "13800138001", "王芳")
    for field, value in (("name", text), ("notes", text), ("tags", [text]), ("card_no", text)):
        _refused(lambda: members.update_member(ctx, m.id, **{field: value}), "text_bad_char")
    view = members.get_member(ctx, m.id)
    assert (view.name, view.notes, view.tags, view.card_no) == ("王芳", "", (), None)


def test_the_error_names_the_field_and_the_character(ctx):
    err = _refused(lambda: member(ctx, "13800138001", "Wang\u202eFang"), "text_bad_char")
    assert "Name" in render(err, "en") and "U+202E" in render(err, "en") and "姓名" in render(err, "zh_CN")


@pytest.mark.parametrize("text", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_a_name_of_invisible_characters_only_is_refused(ctx, text):
    _refused(lambda: member(ctx, "13800138001", text), ("text_invisible", "name_empty"))
    _refused(lambda: member(ctx, "13800138001", "王芳", tags=[text]), ("text_invisible",))
    assert _count(ctx) == 0
    assert member(ctx, "13800138001", "\u200b王芳").name == "\u200b王芳"   # something visible: kept as typed


def test_notes_keep_their_line_breaks(ctx):
    _refused(lambda: member(ctx, "13800138001", "Wang\tFang"), "text_bad_char")   # in a name, no
    m = member(ctx, "13800138001", "王芳", notes="likes green tea\r\n\tno sugar")
    assert members.get_member(ctx, m.id).notes == "likes green tea\n\tno sugar"
    assert member(ctx, "13800138002", "  李娜\n").name == "李娜"   # a paste's surrounding newline


def test_every_member_text_is_checked_against_its_column(ctx):
    """On PostgreSQL these raised DataError (value too long); SQLite stored them whole."""
    _refused(lambda: member(ctx, "13800138001", "王芳", card_no="8" * 33), "text_too_long")
    _refused(lambda: member(ctx, "13800138001", "王" * 65), "name_too_long")
    _refused(lambda: member(ctx, "13800138001", "王芳", tags=["t" * 33]), "text_too_long")
    _refused(lambda: member(ctx, "13800138001", "王芳", notes="n" * (members.NOTES_MAX + 1)), "text_too_long")
    _refused(lambda: member(ctx, "13800138001", "王芳", consent_source="s" * 33), "text_too_long")
    assert _count(ctx) == 0
    m = member(ctx, "13800138001", "王芳", card_no="8" * 32, tags=["t" * 32])
    _refused(lambda: members.update_member(ctx, m.id, card_no="8" * 1000), "text_too_long")
    _refused(lambda: members.update_member(ctx, m.id, consent_care=True, consent_source="s" * 33), "text_too_long")
    assert members.get_member(ctx, m.id).card_no == "8" * 32
    assert members.CARD_MAX == 32 and members.NAME_MAX == 64 and members.TAG_MAX == 32   # read from the model


@pytest.mark.parametrize("phone, code", [(13800138001, "text_not_text"), (None, "phone_empty"),
                                         (["13800138001"], "text_not_text"), ("1380013\x008001", "text_bad_char")])
def test_a_phone_that_is_not_text_is_a_clean_refusal(ctx, phone, code):
    _refused(lambda: create_member(ctx, MemberInput(name="王芳", phone=phone)), code)
    m = member(ctx, "13800138009", "李娜")
    _refused(lambda: members.update_member(ctx, m.id, phone=phone), code)
    assert _count(ctx) == 1


@pytest.mark.parametrize("value", ["1899-12-31", "0001-01-01", "2101-01-01", "9999-12-31"])
def test_dates_for_people_lie_within_1900_to_2100(ctx, value):
    _refused(lambda: member(ctx, "13800138001", "王芳", birthday=value), "birthday_invalid")
    _refused(lambda: member(ctx, "13800138001", "王芳", wedding=value), "wedding_invalid")
    assert _count(ctx) == 0
    assert members.parse_wedding("2100-12-31").year == 2100   # a wedding may be planned
    with pytest.raises(ValidationError):
        members.parse_birthday(f"{date.today().year + 1}-01-01")   # a birthday is not in the future


def test_a_wrong_wedding_date_says_wedding(ctx):
    err = _refused(lambda: member(ctx, "13800138001", "王芳", wedding="2015-02-30"), "wedding_invalid")
    assert render(err, "en").startswith("Wedding date") and "结婚纪念日" in render(err, "zh_CN")


@pytest.mark.parametrize("value", ["lunar leap 1990-01-05",   # 1990's leap month is the 5th
                                   "lunar leap 1990-05-30",   # its leap 5th month has 29 days
                                   "lunar 1990-01-30",        # so has its 1st month
                                   "lunar leap 2023-05-01"])  # 2023's leap month is the 2nd
def test_lunar_dates_must_exist_in_their_year(ctx, value):
    _refused(lambda: members.parse_birthday(value), "birthday_invalid")
    _refused(lambda: member(ctx, "13800138001", "王芳", birthday=value), "birthday_invalid")
    _refused(lambda: members.parse_wedding(value), "wedding_invalid")


@pytest.mark.parametrize("value", ["lunar leap 1990-05-29", "lunar 1990-02-30", "lunar leap 2017-06-30",
                                   "lunar 01-30", "lunar leap 05-30"])
def test_lunar_dates_that_exist_are_kept(ctx, value):
    m = member(ctx, "13800138001", "王芳", birthday=value)
    assert str(members.get_member(ctx, m.id).birthday) == value


@pytest.mark.parametrize("text", ["Wang\x00Fang", "\u202eBoss", "\u200b"])
def test_staff_names_follow_the_same_rules(ctx, text):
    _refused(lambda: auth.add_staff(ctx.as_actor(SYSTEM), text, "cashier", "1234"),
             ("text_bad_char", "text_invisible", "name_empty"))


def test_care_texts_follow_the_same_rules(ctx):
    m = member(ctx, "13800138001", "王芳")
    _refused(lambda: callbacks.add_note(ctx, m.id, kind="call", body="called \x1b[2J"), "text_bad_char")
    _refused(lambda: callbacks.add_task(ctx, m.id, date.today(), "call \u202eback"), "text_bad_char")
    _refused(lambda: knowledge.add(ctx, "Brewing\x00", "80 °C"), "text_bad_char")
    _refused(lambda: knowledge.add(ctx, "\u200b", "80 °C"), "text_invisible")
    _refused(lambda: campaigns.send(ctx, CampaignSpec("Spring\u2066 tea", Filters(), body="new teas")),
             "text_bad_char")
    note = callbacks.add_note(ctx, m.id, kind="call", body="line one\nline two")
    assert note.body == "line one\nline two"


def test_the_refused_characters_are_exactly_the_control_surrogate_and_bidi_ones():
    """check_text finds refused characters with one pattern: it must refuse exactly Unicode's Cc and
    Cs characters and the bidi controls (a note keeping its line breaks and tabs), no more, no less."""
    import unicodedata

    from app.services.base import text_rules

    refused = {c for c in range(0x110000)
               if unicodedata.category(chr(c)) in ("Cc", "Cs") or chr(c) in text_rules.BIDI_CONTROLS}
    one_line = {c for c in range(0x110000) if text_rules._REFUSED.match(chr(c))}
    lines = {c for c in range(0x110000) if text_rules._REFUSED_MULTILINE.match(chr(c))}
    assert one_line == refused and lines == refused - {ord("\n"), ord("\t")}
