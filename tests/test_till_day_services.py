"""A day at the till, the service side (SQLite, and PostgreSQL with SHOPCARE_TEST_PG): a refund
approved by a manager's PIN stays the cashier's and names the approver (row, audit, receipt);
sales found by the last digits of their receipt number; the top-up slip, laid out and as the
bytes a receipt printer receives."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.adapters.printers import EscposPrinter, PreviewPrinter
from app.errors import PermissionDenied, ValidationError
from app.models import AuditLog, Sale, Staff
from app.services.base import auth, localconfig, settings
from app.services.base.context import Actor
from app.services.ledger import wallet
from app.services.reports import receipt_search
from app.services.sales import topup_slip
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.receipt import build_receipt, layout
from app.services.sales.refunds import refund
from tests.shop import ledger_faults, member, stock_shop


@pytest.fixture
def shop(ctx):
    settings.update(ctx, language="en", shop_name="Corner Tea")
    stock_shop(ctx)
    return ctx


@pytest.fixture
def staff(shop):
    """(cashier ctx, manager name): real staff rows, so ids can be checked."""
    auth.add_staff(shop, "Boss", "owner", "1111")
    mia = auth.add_staff(shop, "Mia", "manager", "2468")
    cai = auth.add_staff(shop, "Cai", "cashier", "1357")
    auth.add_staff(shop, "Dan", "cashier", "9753")
    return shop.as_actor(Actor(cai.id, cai.name, "cashier")), mia


def test_the_approver_list_is_managers_and_owners_only(staff, shop):
    cashier, _mia = staff
    assert [p.name for p in auth.approvers(cashier, "refund")] == ["Boss", "Mia"]


def test_a_pin_approved_refund_stays_the_cashiers_and_names_the_approver(staff, shop, db):
    cashier, mia = staff
    sale = checkout(cashier, Cart((CartLine("TEA", 2),)), [Tender("cash", 10000)])
    with pytest.raises(PermissionDenied):           # no approval: refused, nothing written
        refund(cashier, sale.receipt_no, reason="faulty")
    with pytest.raises(PermissionDenied) as wrong:  # a wrong PIN: refused
        auth.approve(cashier, "Mia", "0000", "refund")
    assert wrong.value.code == "pin_wrong"
    with pytest.raises(PermissionDenied) as not_allowed:
        auth.approve(cashier, "Dan", "9753", "refund")
    assert not_allowed.value.code == "approval_required"
    with db.session(write=False) as s:
        assert s.execute(select(Sale).where(Sale.kind == "refund")).first() is None
        assert s.execute(select(Staff.failed_logins).where(Staff.name == "Mia")).scalar() == 1

    approved = auth.approve(cashier, "Mia", "2468", "refund")
    assert approved.actor == cashier.actor and approved.approver.name == "Mia"
    result = refund(approved, sale.receipt_no, reason="faulty")
    with db.session(write=False) as s:
        row = s.execute(select(Sale).where(Sale.receipt_no == result.receipt_no)).scalar_one()
        assert row.staff_id == cashier.actor.id and row.approved_by == mia.id
        audits = {a.action: json.loads(a.after or "{}") for a in s.execute(select(AuditLog)).scalars()}
    assert audits["sale.refund"]["cashier"] == "Cai" and audits["sale.refund"]["approved_by"] == "Mia"
    assert audits["staff.approved"] == {"action": "refund", "approver": "Mia", "for": "Cai"}
    receipt = build_receipt(shop, result.receipt_no)
    assert receipt.cashier == "Cai" and receipt.approver == "Mia"
    text = "\n".join(layout(receipt, 48, "en"))
    assert "Cashier: Cai" in text and "Approved by: Mia" in text
    zh = "\n".join(layout(receipt, 32, "zh_CN"))
    assert "收银员：Cai" in zh and "授权人：Mia" in zh
    assert "Approved by" not in "\n".join(layout(build_receipt(shop, sale.receipt_no), 48, "en"))
    assert ledger_faults(db) == []


def test_a_manager_refunding_alone_is_their_own_approver(staff, shop, db):
    _cashier, mia = staff
    manager = shop.as_actor(Actor(mia.id, "Mia", "manager"))
    sale = checkout(manager, Cart((CartLine("TEA"),)), [Tender("cash", 5000)])
    result = refund(manager, sale.receipt_no, reason="changed mind")
    with db.session(write=False) as s:
        row = s.execute(select(Sale).where(Sale.receipt_no == result.receipt_no)).scalar_one()
        assert row.staff_id == mia.id and row.approved_by == mia.id


def test_sales_are_found_by_the_last_digits_of_their_receipt(staff, shop):
    cashier, _ = staff
    sales = [checkout(cashier, Cart((CartLine("TEA"),)), [Tender("cash", 5000)]) for _ in range(12)]
    numbers = [s.receipt_no for s in sales]
    last = numbers[-1]
    found = receipt_search.find_sales(shop, last[-2:])
    assert [f.receipt_no for f in found] == [last]
    ones = [n for n in numbers if n.endswith("1")]
    assert {f.receipt_no for f in receipt_search.find_sales(shop, "1")} == set(ones) and len(ones) == 2
    assert receipt_search.find_sales(shop, last.lower())[0].receipt_no == last   # the whole number, any case
    assert receipt_search.find_sales(shop, "%") == []                          # no wildcard
    assert receipt_search.find_sales(shop, "999999") == []
    recent = receipt_search.find_sales(shop, "", till="T1")
    assert [f.receipt_no for f in recent][:3] == numbers[::-1][:3]
    refunded = refund(auth.approve(cashier, "Mia", "2468", "refund"), numbers[0], reason="x")
    assert refunded.receipt_no not in {f.receipt_no for f in receipt_search.find_sales(shop, "")}  # sales only
    with pytest.raises(ValidationError):
        receipt_search.find_sales(shop, "9" * 40)


def test_the_top_up_slip_says_everything_the_member_needs(staff, shop, db):
    cashier, _ = staff
    m = member(shop, phone="13812345678", name="王芳")
    first = wallet.topup(cashier, m.id, 20000, "cash")
    second = wallet.topup(cashier, m.id, 50000, "card")
    slip = topup_slip.build_topup_slip(shop, first.topup_id)
    assert (slip.amount, slip.balance_after, slip.cashier, slip.member_phone) == (
        20000, first.balance_after, "Cai", "138****5678")
    later = topup_slip.build_topup_slip(shop, second.topup_id)
    assert later.balance_after == second.balance_after and later.bonus == second.bonus
    text = "\n".join(topup_slip.layout_slip(later, 48, "en"))
    for part in ("Corner Tea", "TOP-UP SLIP", "Paid in", "500.00", "Bonus", "Paid by", "Card", "New balance",
                 f"{second.balance_after // 100:,}", "王芳 138****5678", "Cashier: Cai", "Till: T1"):
        assert part in text, part
    assert "13812345678" not in text
    zh = topup_slip.layout_slip(later, 32, "zh_CN")
    assert all(len(line.encode("gb18030")) <= 32 for line in zh)
    assert any("充值小票" in line for line in zh) and any("充值后余额" in line for line in zh)
    assert any("儲值" in line for line in topup_slip.layout_slip(later, 32, "zh_TW"))
    with pytest.raises(Exception) as missing:
        topup_slip.build_topup_slip(shop, 424242)
    assert getattr(missing.value, "code", "") == "topup_not_found"


def test_the_top_up_slip_bytes_on_an_escpos_printer(staff, shop):
    from escpos.printer import Dummy

    cashier, _ = staff
    settings.update(shop, language="zh_CN", shop_name="街角茶咖")
    m = member(shop, phone="13812345678", name="王芳")
    top = wallet.topup(cashier, m.id, 20000, "cash")
    dev = Dummy()
    printer = EscposPrinter(localconfig.parse_printer_setting("file:/dev/null"), width_chars=32,
                            device_factory=lambda: dev)
    cfg = localconfig.TillConfig(printer="file:/dev/null", paper_mm=58, open_drawer=True)
    out = topup_slip.print_topup_slip(shop, top.topup_id, printer, cfg)
    assert out.ok and out.drawer_opened
    data = dev.output
    assert data.startswith(b"\x1b@") and b"\x1c&" in data                 # init, Chinese mode
    assert "街角茶咖".encode("gb18030") in data and "充值小票".encode("gb18030") in data
    assert "王芳 138****5678".encode("gb18030") in data and b"13812345678" not in data
    assert b"200.00" in data and b"\x1dV" in data and b"\x1bp" in data      # amount, cut, drawer kick
    preview = PreviewPrinter(width_chars=32)
    again = topup_slip.print_topup_slip(shop, top.topup_id, preview, cfg, reprint=True)
    assert again.ok and not again.drawer_opened and preview.drawer_kicks == 0
    assert any("重印" in line for line in preview.lines) and preview.lines[0].strip() == "街角茶咖"


def test_a_failing_printer_leaves_the_top_up_recorded(staff, shop, db):
    cashier, _ = staff
    m = member(shop)
    top = wallet.topup(cashier, m.id, 10000, "card")

    class Broken:
        description = "broken"

        def print_slip(self, heading, lines, *, open_drawer):
            raise OSError("unplugged")

    out = topup_slip.print_topup_slip(shop, top.topup_id, Broken(), localconfig.TillConfig())
    assert not out.ok and out.error_code == "printer_failed" and "unplugged" in out.error_text_en
    assert any("100.00" in line for line in out.preview_lines)
    assert wallet.topups_for(shop, m.id)[0].status == "done"
    assert ledger_faults(db) == []
