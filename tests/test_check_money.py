"""shopcare check finds a line refunded beyond what it sold, and keeps checking the rest when one
check cannot read its rows. On SQLite and (SHOPCARE_TEST_PG) PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.admin.integrity import run_check
from app.services.sales.refunds import RefundLine, refund
from tests.shop import stock_shop
from tests.test_integrity import a_member, codes, raw


def _refund_row(db, sale_id: int, line_id: int, receipt: str, qty: int, value: int) -> None:
    """A refund written straight into the tables, as another tool (or an old bug) could."""
    with db.engine.begin() as conn:
        rid = conn.execute(text(
            "INSERT INTO sales (receipt_no, till, seq, kind, source, original_sale_id, created_at, subtotal,"
            " tier_discount, manual_discount, total, change_given, points_earned, note)"
            " VALUES (:r, 'T1', :seq, 'refund', 'till', :orig, CURRENT_TIMESTAMP, :t, 0, 0, :t, 0, 0, '')"
            " RETURNING id"), {"r": receipt, "seq": int(receipt.split("-")[1]), "orig": sale_id, "t": -value}).scalar()
        conn.execute(text(
            "INSERT INTO sale_lines (sale_id, line_no, sku, name, qty, unit_price, price_overridden, tier_discount,"
            " manual_discount, line_total, points_eligible, original_line_id, refunded_qty)"
            " VALUES (:s, 1, 'TEA', 'Tea', :q, 3333, false, 0, 0, :t, true, :l, 0)"),
            {"s": rid, "q": -qty, "t": -value, "l": line_id})
        conn.execute(text("INSERT INTO payments (sale_id, method, amount) VALUES (:s, 'cash', :t)"),
                     {"s": rid, "t": -value})


def _line_id(db, receipt: str) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT s.id, l.id FROM sales s JOIN sale_lines l ON l.sale_id = s.id"
                                 " WHERE s.receipt_no = :r"), {"r": receipt}).one()


def test_a_line_refunded_beyond_its_quantity_is_a_fault(ctx):
    stock_shop(ctx)
    sale = checkout(ctx, Cart((CartLine("TEA", 2),)), [Tender("cash", 6666)])
    refund(ctx, sale.receipt_no, [RefundLine(1, 2)], reason="returned")
    assert run_check(ctx).ok
    sale_id, line_id = _line_id(ctx.db, sale.receipt_no)
    _refund_row(ctx.db, sale_id, line_id, "T1-900", 2, 6666)   # the same two units refunded again
    found = codes(run_check(ctx))
    assert "refund_overrun" in found and "refund_value_overrun" in found
    assert "refunded_qty_mismatch" in found   # the claim says 2, the refund lines return 4


def test_a_claim_past_the_quantity_sold_is_a_fault(ctx):
    stock_shop(ctx)
    sale = checkout(ctx, Cart((CartLine("TEA", 2),)), [Tender("cash", 6666)])
    raw(ctx.db, "UPDATE sale_lines SET refunded_qty = 3")
    found = codes(run_check(ctx))
    assert "refund_overrun" in found and "refunded_qty_mismatch" in found
    assert sale.total == 6666


def test_one_unreadable_check_does_not_hide_the_others(ctx):
    mid = a_member(ctx)
    raw(ctx.db, "UPDATE members SET wallet_bonus = wallet_bonus + 1 WHERE id = :m", m=mid)
    raw(ctx.db, "DROP TABLE count_card_entries")   # the count-card check cannot run at all
    report = run_check(ctx)
    found = codes(report)
    assert "check_failed" in found and "wallet_bonus_mismatch" in found
    assert any("count_cards" in f.en for f in report.faults if f.code == "check_failed")


@pytest.mark.sqlite_only
def test_an_overflowing_points_sum_is_reported_and_the_rest_still_checked(ctx):
    """SQLite's SUM refuses to overflow a 64-bit integer ("integer overflow"): once the points of a
    damaged file cannot be summed, the stored value is still checked."""
    mid = a_member(ctx)
    for _ in range(2):
        raw(ctx.db, "INSERT INTO points_entries (member_id, kind, points, created_at, note)"
                    " VALUES (:m, 'adjust', :p, CURRENT_TIMESTAMP, '')", m=mid, p=2**62)
    raw(ctx.db, "UPDATE members SET wallet_principal = wallet_principal + 1 WHERE id = :m", m=mid)
    found = codes(run_check(ctx))
    assert "check_failed" in found and "wallet_principal_mismatch" in found


def test_the_migration_fills_refunded_qty_from_the_refunds_already_recorded(tmp_path):
    from alembic import command

    from app.db import Database

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(db.alembic_config(), "0007_owner_password")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO tills (code, name, last_receipt_seq) VALUES ('T1', '', 2)"))
        ids = []
        for n, (kind, orig, qty) in enumerate([("sale", None, 3), ("refund", 1, -2)], 1):
            sid = conn.execute(text(
                "INSERT INTO sales (receipt_no, till, seq, kind, source, original_sale_id, created_at, subtotal,"
                " tier_discount, manual_discount, total, change_given, points_earned, note)"
                " VALUES (:r, 'T1', :n, :k, 'till', :o, CURRENT_TIMESTAMP, :t, 0, 0, :t, 0, 0, '') RETURNING id"),
                {"r": f"T1-{n}", "n": n, "k": kind, "o": orig, "t": qty * 100}).scalar()
            ids.append(conn.execute(text(
                "INSERT INTO sale_lines (sale_id, line_no, sku, name, qty, unit_price, price_overridden,"
                " tier_discount, manual_discount, line_total, points_eligible, original_line_id)"
                " VALUES (:s, 1, 'TEA', 'Tea', :q, 100, false, 0, 0, :t, true, :o) RETURNING id"),
                {"s": sid, "q": qty, "t": qty * 100, "o": ids[0] if ids else None}).scalar())
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT id, refunded_qty FROM sale_lines ORDER BY id")).all() == \
            [(ids[0], 2), (ids[1], 0)]
    db.dispose()
