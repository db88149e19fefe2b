"""Erasing a member: personal data gone (profile, texts, notes, tags, dates), the anonymous ledger
kept and still balanced, owner only, refused while stored value is owed, audited without the data."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.errors import Conflict, PermissionDenied, ValidationError
from app.models import AuditLog, ContactNote, Member, Message, MemberTag, PointsEntry, Sale
from app.services.members import erasure, members
from app.services.ledger import wallet
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from tests.shop import fund, ledger_faults, member, stock_shop


@pytest.fixture
def customer(ctx):
    stock_shop(ctx)
    m = member(ctx, "13800138000", "王芳", birthday="1990-03-05", tags=["vip"], card_no="8801",
               wedding="2015-03-08", consent_care=True, consent_marketing=True)
    fund(ctx, m.id, principal=10_000)
    checkout(ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("wallet", 5800)])
    with ctx.tx() as t:
        t.s.add(ContactNote(member_id=m.id, kind="complaint", body="王芳 13800138000 说咖啡太淡", outcome="致歉",
                            created_at=t.now()))
    return m


def test_personal_data_goes_the_ledger_stays(ctx, db, customer):
    with pytest.raises(Conflict) as e:
        erasure.erase_member(ctx, customer.id, "asked at the counter")
    assert e.value.code == "erase_stored_value_left"            # 42.00 still owed: nothing changed
    assert members.get_member(ctx, customer.id).name == "王芳"
    wallet.cashout(ctx, customer.id, "leaving the area")
    result = erasure.erase_member(ctx, customer.id, "asked at the counter")
    assert result.texts_cleared >= 1 and result.notes_cleared == 1
    with ctx.tx(write=False) as t:
        m = t.s.get(Member, customer.id)
        assert (m.name, m.phone, m.card_no, m.birthday_month, m.notes) == ("", None, None, None, "")
        assert m.erased_at is not None and not m.consent_care and not m.ebill_enabled
        assert t.s.execute(select(MemberTag).where(MemberTag.member_id == m.id)).first() is None
        texts = t.s.execute(select(Message.phone, Message.body).where(Message.member_id == m.id)).all()
        assert texts and all(p == "" and b == "" for p, b in texts)
        assert t.s.execute(select(ContactNote.body).where(ContactNote.member_id == m.id)).scalar() == ""
        # the books: the sale, its points and the stored-value entries are all still there
        assert t.s.execute(select(Sale.id).where(Sale.member_id == m.id)).first() is not None
        assert t.s.execute(select(PointsEntry.id).where(PointsEntry.member_id == m.id)).first() is not None
        audit = t.s.execute(select(AuditLog.after, AuditLog.reason).where(AuditLog.action == "member.erase")).one()
    assert "王芳" not in audit.after and "13800138000" not in audit.after and audit.reason == "asked at the counter"
    assert json.loads(audit.after)["notes_cleared"] == 1
    assert ledger_faults(db) == []
    assert members.find_members(ctx, "8000") == [] and members.find_by_phone(ctx, "13800138000") is None
    # the phone is free again for a new member
    assert member(ctx, "13800138000", "新顾客").id != customer.id


def test_refusals_change_nothing(ctx, customer, cashier_ctx):
    wallet.cashout(ctx, customer.id, "leaving")
    with pytest.raises(PermissionDenied):
        erasure.erase_member(cashier_ctx, customer.id, "asked")
    with pytest.raises(ValidationError):
        erasure.erase_member(ctx, customer.id, "  ")
    assert members.get_member(ctx, customer.id).name == "王芳"
    erasure.erase_member(ctx, customer.id, "asked")
    with pytest.raises(Conflict) as e:
        erasure.erase_member(ctx, customer.id, "again")
    assert e.value.code == "member_erased"


def test_the_member_page_erases_for_the_owner(qtbot, ctx, customer):
    pytest.importorskip("pytestqt")
    from app.ui import i18n
    from app.ui.members.member_page import MemberPage
    from app.ui.state import AppState

    i18n.install("en")
    wallet.cashout(ctx, customer.id, "leaving")
    state = AppState(ctx)
    page = MemberPage(state, customer.id)
    qtbot.addWidget(page, before_close_func=lambda _w: state.tasks.wait())
    page.show()
    assert page.erase_button.isVisibleTo(page)
    dialog = page.open_erase()
    dialog.reason.setText("asked by phone")
    qtbot.waitUntil(dialog.confirm_button.isEnabled, timeout=5000)
    dialog.confirm()
    qtbot.waitUntil(lambda: members.get_member(ctx, customer.id).erased, timeout=10_000)
    state.tasks.wait()


def test_no_log_record_holds_a_full_phone_number(ctx, customer, caplog, tmp_path):
    """A sale, its e-bill sent through the log gateway, a refusal and an erasure: whatever the app
    logs on the way, no full phone number is in it (the outbox log masks it too)."""
    import logging

    from app.adapters.sms import LogGateway
    from app.services.texts import sender

    caplog.set_level(logging.DEBUG)
    from app.services.sales.checkout import price_cart

    cart = Cart((CartLine("TEA"),), member_id=customer.id)
    checkout(ctx, cart, [Tender("card", price_cart(ctx, cart).total)])
    assert sender.send_due(ctx, LogGateway(tmp_path / "outbox.log")).sent >= 1
    with pytest.raises(Conflict):
        erasure.erase_member(ctx, customer.id, "asked")       # 42.00 of stored value still owed
    texts = [r.getMessage() for r in caplog.records] + [(tmp_path / "outbox.log").read_text(encoding="utf-8")]
    assert all("13800138000" not in t for t in texts)
