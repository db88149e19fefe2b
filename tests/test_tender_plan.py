"""checkout.plan_tenders: the one piece of arithmetic behind both the pay dialog's live figures and
the payments checkout records. Table and property tests of the pure function, then the dialog and
checkout side by side on a real till (pytest-qt, real SQLite file)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from app.services.sales.checkout import Tender, TenderPlan, VoucherValue, plan_tenders, voucher_discount


def points_at_100_a_yuan(points: int) -> int:
    return points * 100 // 100


def plan(total, *tenders, vouchers=None) -> TenderPlan:
    return plan_tenders(total, tenders, point_value=points_at_100_a_yuan, vouchers=vouchers)


# --- table --------------------------------------------------------------------------------------
@pytest.mark.parametrize("total,kind,value,off", [
    (999, "percent", 1200, 120),         # 119.88 -> 120
    (14933, "percent", 5000, 7467),      # 7466.5 rounds half up
    (1005, "percent", 1000, 101),        # 100.5 rounds half up
    (1004, "percent", 1000, 100),        # 100.4 rounds down
    (1, "percent", 10_000, 1),           # 100% off
    (5800, "amount", 2000, 2000),        # an amount voucher is worth its amount
    (500, "amount", 2000, 2000),         # ... even on a smaller total (what it pays is capped later)
])
def test_voucher_discount_rounds_half_up(total, kind, value, off):
    assert voucher_discount(total, kind, value) == off


def test_cash_only_gives_change():
    p = plan(11600, Tender("cash", 20000))
    assert (p.cash_tendered, p.cash, p.change, p.remaining, p.over, p.non_cash) == (20000, 11600, 8400, 0, 0, 0)
    assert p.payments == ()


def test_points_stored_value_then_cash():
    p = plan(11600, Tender("points", points=300), Tender("wallet", 8000), Tender("cash", 5000))
    assert [(s.method, s.amount, s.due_before) for s in p.payments] == [("points", 300, 11600), ("wallet", 8000, 11300)]
    assert (p.points, p.points_value, p.wallet, p.cash, p.change, p.remaining) == (300, 300, 8000, 3300, 1700, 0)


def test_cash_counts_last_wherever_it_stands():
    first = plan(11600, Tender("cash", 5000), Tender("wallet", 8000))
    last = plan(11600, Tender("wallet", 8000), Tender("cash", 5000))
    assert first == last and first.change == 1400


def test_a_percent_voucher_is_a_share_of_the_total_and_pays_at_most_what_is_due():
    p = plan(14933, Tender("card", 10000), Tender("voucher", voucher_code=" half "),
             vouchers={"HALF": VoucherValue("percent", 5000)})
    step = p.payments[1]
    assert (step.voucher_code, step.worth, step.amount, step.due_before) == ("HALF", 7467, 4933, 4933)
    assert (p.voucher, p.remaining, p.change, p.over) == (4933, 0, 0, 0)


def test_a_voucher_not_looked_up_yet_pays_nothing():
    p = plan(5800, Tender("voucher", voucher_code="NEW1"), Tender("cash", 1000))
    assert p.voucher == 0 and p.payments[0].worth == 0 and p.remaining == 4800


def test_card_beyond_the_total_is_over_not_change():
    p = plan(5800, Tender("card", 6000), Tender("cash", 1000))
    assert (p.over, p.remaining, p.cash, p.change) == (200, 0, 0, 1000)


def test_short_payment_leaves_a_remainder():
    p = plan(5800, Tender("card", 1000), Tender("cash", 2000))
    assert (p.remaining, p.change, p.cash) == (2800, 0, 2000)


# --- properties ---------------------------------------------------------------------------------
_amount = st.integers(min_value=1, max_value=2_000_000)
_tender = st.one_of(
    st.builds(lambda a: Tender("cash", a), _amount),
    st.builds(lambda a: Tender("card", a), _amount),
    st.builds(lambda a: Tender("wallet", a), _amount),
    st.builds(lambda n: Tender("points", points=n), st.integers(min_value=1, max_value=500_000)),
    st.builds(lambda c: Tender("voucher", voucher_code=c), st.sampled_from(["A", "P", "X"])),
)
_vouchers = st.fixed_dictionaries({"A": st.builds(VoucherValue, st.just("amount"), _amount),
                                   "P": st.builds(VoucherValue, st.just("percent"),
                                                  st.integers(min_value=1, max_value=10_000))})


@hsettings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=5_000_000), tenders=st.lists(_tender, max_size=6), vouchers=_vouchers)
def test_the_plan_always_balances(total, tenders, vouchers):
    p = plan(total, *tenders, vouchers=vouchers)
    assert p.non_cash + p.cash + p.remaining - p.over == total
    assert p.non_cash == p.card + p.wallet + p.points_value + p.voucher
    assert p.cash_tendered == sum(t.amount for t in tenders if t.method == "cash")
    assert p.change == p.cash_tendered - p.cash >= 0
    assert min(p.remaining, p.over) == 0 and p.remaining >= 0 and p.over >= 0
    assert p.change == 0 or p.remaining == 0          # change only once all is paid
    for step in p.payments:
        if step.method == "voucher":                  # a voucher never gives change
            assert 0 <= step.amount <= max(0, step.due_before) and step.amount <= step.worth
    # only the cash total matters, not where cash stands in the list
    moved = [t for t in tenders if t.method != "cash"] + [t for t in tenders if t.method == "cash"]
    assert plan(total, *moved, vouchers=vouchers) == p


# --- the pay dialog shows what checkout charges ---------------------------------------------------
pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.models import Payment, Sale  # noqa: E402
from app.services.ledger import vouchers as vouchers_service  # noqa: E402
from app.ui.till.pay_dialog import PayDialog  # noqa: E402
from tests.shop import fund, ledger_faults, member  # noqa: E402
from tests.test_till_ui import ENTER, make_till, no_printing, scan, settle, shop  # noqa: E402,F401


@pytest.mark.parametrize("voucher,typed,expect", [
    # 50% off 149.33 is 74.67 (half up); 3.00 in points, 50.00 stored value, 50.00 cash: change 28.34
    (("percent", 5000), {"points": "300", "wallet": "50", "cash": "50"},
     {"points": 300, "voucher": 7467, "wallet": 5000, "cash": 2166, "change": 2834}),
    # an 80.00 voucher after 100.00 by card pays only the 49.33 still due: no change from a voucher
    (("amount", 8000), {"card": "100"}, {"card": 10000, "voucher": 4933, "change": 0}),
])
def test_the_pay_dialog_shows_what_checkout_charges(qtbot, shop, db, voucher, typed, expect):
    m = member(shop, "13800138000", "王芳")
    fund(shop, m.id, principal=30000, bonus=10000, points=500)
    v = vouchers_service.issue(shop, kind=voucher[0], value=voucher[1], member_id=m.id)
    till = make_till(qtbot, shop)
    for code in ("COF", "COF", "TEA"):
        scan(qtbot, till, code)
    qtbot.waitUntil(lambda: till.model.rowCount() == 2, timeout=5000)
    qtbot.keyClick(till.entry, Qt.Key.Key_F2)
    qtbot.keyClicks(till.member_bar.edit, "13800138000")
    qtbot.keyClick(till.member_bar.edit, ENTER)
    qtbot.waitUntil(lambda: till.member_bar.member_id == m.id, timeout=5000)
    settle(qtbot, till)
    assert till.model.priced.total == 14933
    qtbot.keyClick(till.entry, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: isinstance(till.dialog, PayDialog) and till.dialog.isVisible(), timeout=5000)
    pay = till.dialog

    qtbot.keyClicks(pay.voucher_code, v.code.lower())
    pay.voucher_code.editingFinished.emit()          # what leaving the field does: the code is looked up
    qtbot.waitUntil(lambda: pay.voucher is not None, timeout=5000)
    for field, text in typed.items():
        qtbot.keyClicks(getattr(pay, field), text)
    shown = (pay.remaining_label.text(), pay.change_label.text())
    assert shown == (pay.state.money(0), pay.state.money(expect["change"]))
    with qtbot.waitSignal(pay.paid, timeout=10_000) as recorded_sale:
        qtbot.keyClick(pay.cash, ENTER)

    result = recorded_sale.args[0]
    assert pay.state.money(result.change) == shown[1]
    with db.session(write=False) as s:
        sale = s.execute(select(Sale)).scalar_one()
        recorded = {p.method: p.amount for p in s.execute(select(Payment)).scalars()}
    assert sale.change_given == expect["change"]
    # points pay 1.00 a hundred: 300 points are a 3.00 payment
    assert recorded == {k: expect[k] for k in ("card", "wallet", "points", "voucher", "cash") if k in expect}
    assert {p.method: p.amount for p in result.payments} == recorded
    assert ledger_faults(db) == []
