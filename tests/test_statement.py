"""Member statements: opening + movements == closing, each equal to the ledgers; the PDF reads back."""
from __future__ import annotations

import subprocess
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.models import PointsEntry, WalletEntry
from app.services.ledger import points, wallet
from app.services.reports import statement, statement_pdf
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from app.services.sales.refunds import RefundLine, refund
from tests.shop import fund, member, stock_shop


@pytest.fixture
def history(ctx, clock):
    stock_shop(ctx)
    m = member(ctx, "13800138000", "王芳", card_no="8801")
    other = member(ctx, "13900139000", "Tom")
    clock.set(datetime(2026, 2, 20, 9))
    fund(ctx, m.id, principal=20_000, bonus=2_000, points=500)          # before the period
    checkout(ctx, Cart((CartLine("TEA"),), member_id=other.id), [Tender("card", 3_333)])
    clock.set(datetime(2026, 3, 3, 10))
    wallet.topup(ctx, m.id, 50_000, "cash")                              # with the shop's bonus
    clock.set(datetime(2026, 3, 4, 11))
    cart = Cart((CartLine("COF", 2), CartLine("TEA")), member_id=m.id)
    due = price_cart(ctx, cart).total
    sale = checkout(ctx, cart, [Tender("points", points=300), Tender("wallet", due - 300)])
    clock.set(datetime(2026, 3, 5, 12))
    refund(ctx, sale.receipt_no, [RefundLine(1, 1)], reason="broken")
    clock.set(datetime(2026, 3, 6, 13))
    points.adjust(ctx, m.id, 50, "birthday gift")
    clock.set(datetime(2026, 4, 2, 9))                                    # after the period
    wallet.topup(ctx, m.id, 10_000, "card")
    return ctx, m.id, sale


def _ledger(db, member_id, before: datetime):
    with db.session(write=False) as s:
        w = s.execute(select(func.coalesce(func.sum(WalletEntry.principal + WalletEntry.bonus), 0))
                      .where(WalletEntry.member_id == member_id, WalletEntry.created_at < before)).scalar()
        p = s.execute(select(func.coalesce(func.sum(PointsEntry.points), 0))
                      .where(PointsEntry.member_id == member_id, PointsEntry.created_at < before)).scalar()
    return w, p


def test_opening_plus_movements_is_closing_and_both_match_the_ledgers(history, db):
    ctx, mid, sold = history
    st = statement.member_statement(ctx, mid, date(2026, 3, 1), date(2026, 3, 31))
    assert (st.opening_wallet, st.opening_points) == _ledger(db, mid, datetime(2026, 3, 1)) == (22_000, 500)
    assert (st.closing_wallet, st.closing_points) == _ledger(db, mid, datetime(2026, 4, 1))
    assert st.closing_wallet == st.opening_wallet + sum(ln.wallet for ln in st.lines)
    assert st.closing_points == st.opening_points + sum(ln.points for ln in st.lines)
    kinds = [ln.kind for ln in st.lines]
    assert kinds == ["topup", "sale", "refund", "points_adjust"]
    top, sale, back, adj = st.lines
    assert top.amount == 50_000 and top.bonus > 0 and top.wallet == 50_000 + top.bonus
    assert sale.reference.startswith("T1-") and "Coffee beans" in sale.detail and sale.wallet < 0
    assert sale.points == sold.points_earned - 300 and sold.points_earned > 0   # earned and redeemed: one line
    assert back.amount < 0 and back.wallet > 0
    assert adj.points == 50 and adj.detail == "birthday gift"
    running_w, running_p = st.opening_wallet, st.opening_points
    for ln in st.lines:
        running_w += ln.wallet
        running_p += ln.points
        assert (ln.wallet_after, ln.points_after) == (running_w, running_p)
    assert st.purchases == sale.amount + back.amount
    assert st.topped_up == 50_000
    # The other member's sale and the April top-up are not on it.
    assert all(ln.at < datetime(2026, 4, 1) for ln in st.lines)


def test_bad_periods_and_unknown_members_are_refused(history):
    ctx, mid, _sale = history
    with pytest.raises(ValidationError) as e:
        statement.member_statement(ctx, mid, date(2026, 3, 31), date(2026, 3, 1))
    assert e.value.code == "date_range_invalid"
    with pytest.raises(ValidationError) as e:
        statement.member_statement(ctx, mid, date(2020, 1, 1), date(2026, 3, 1))
    assert e.value.code == "statement_too_long"
    with pytest.raises(NotFound):
        statement.member_statement(ctx, 9999, date(2026, 3, 1), date(2026, 3, 31))


@pytest.mark.parametrize("lang,title", [("en", "Member statement"), ("zh_CN", "会员对账单")])
def test_the_statement_pdf_reads_back(history, tmp_path, lang, title):
    ctx, mid, _sale = history
    st = statement.member_statement(ctx, mid, date(2026, 3, 1), date(2026, 3, 31))
    out = statement_pdf.write_statement_pdf(ctx, st, tmp_path / "s.pdf", lang)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert title in text and "王芳" in text and "138****8000" in text and "13800138000" not in text
    assert f"{st.closing_wallet / 100:,.2f}" in text and f"{st.opening_wallet / 100:,.2f}" in text
    assert st.lines[1].reference in text


def test_an_empty_period_says_so(history, tmp_path):
    ctx, mid, _sale = history
    st = statement.member_statement(ctx, mid, date(2026, 1, 1), date(2026, 1, 31))
    assert st.lines == () and st.opening_wallet == st.closing_wallet == 0
    out = statement_pdf.write_statement_pdf(ctx, st, tmp_path / "s.pdf", "en")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "No movements in this period." in text
