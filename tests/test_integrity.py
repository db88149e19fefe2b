"""shopcare check, as a service: every fault it must find, found on a real SQLite file."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from app import db as dbmod
from app.db import Database
from app.services.ledger import ledger
from app.services.admin.integrity import DETAIL_LIMIT, run_check
from app.services.members.members import MemberInput, create_member

NOW = datetime(2026, 3, 2, 10, 0, 0)


def codes(report) -> list[str]:
    return [f.code for f in report.faults]


def raw(db: Database, sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def a_member(ctx, phone="13800138000") -> int:
    m = create_member(ctx, MemberInput(name="王芳", phone=phone))
    with ctx.tx() as t:
        ledger.post_wallet(t, m.id, "topup", 50_000, 5_000)
        ledger.post_wallet(t, m.id, "spend", -1_000, -100)
        ledger.post_points(t, m.id, "earn", 120)
        ledger.post_points(t, m.id, "redeem", -20)
    return m.id


def a_sale(db: Database, *, total=5800, lines=(5800,), payments=(5800,), receipt="T1-1") -> int:
    with db.engine.begin() as conn:
        seq = int(receipt.split("-")[1])
        sale_id = conn.execute(text(
            "INSERT INTO sales (receipt_no, till, seq, kind, source, created_at, subtotal, tier_discount,"
            " manual_discount, total, change_given, points_earned, note)"
            " VALUES (:r, 'T1', :seq, 'sale', 'till', :now, :t, 0, 0, :t, 0, 0, '') RETURNING id"),
            {"r": receipt, "seq": seq, "now": NOW, "t": total}).scalar()
        for n, amount in enumerate(lines, 1):
            conn.execute(text(
                "INSERT INTO sale_lines (sale_id, line_no, sku, name, qty, unit_price, price_overridden,"
                " tier_discount, manual_discount, line_total, points_eligible)"
                " VALUES (:s, :n, 'COF', 'Coffee', 1, :a, false, 0, 0, :a, true)"), {"s": sale_id, "n": n, "a": amount})
        for amount in payments:
            conn.execute(text("INSERT INTO payments (sale_id, method, amount) VALUES (:s, 'cash', :a)"),
                         {"s": sale_id, "a": amount})
    return sale_id


def a_count_card(db: Database, member_id: int, *, uses_left: int, entries=(10, -1, -1)) -> int:
    with db.engine.begin() as conn:
        pid = conn.execute(text(
            "INSERT INTO products (sku, name, category, price, kind, points_eligible, discount_eligible, active)"
            " VALUES ('CUT', 'Haircut', '', 5000, 'service', true, true, true) RETURNING id")).scalar()
        card = conn.execute(text(
            "INSERT INTO count_cards (member_id, product_id, service_id, uses_total, uses_left, price_paid,"
            " created_at) VALUES (:m, :p, :p, 10, :u, 40000, :now) RETURNING id"),
            {"m": member_id, "p": pid, "u": uses_left, "now": NOW}).scalar()
        for uses in entries:
            conn.execute(text("INSERT INTO count_card_entries (card_id, kind, uses, created_at, note)"
                              " VALUES (:c, 'adjust', :u, :now, '')"), {"c": card, "u": uses, "now": NOW})
    return card


@pytest.mark.sqlite_only
def test_fresh_database_passes_and_reports_sqlite(ctx):
    report = run_check(ctx)
    assert report.ok, report.faults
    assert report.revision == report.head == ctx.db.head_revision()
    assert report.sqlite_version == dbmod.sqlite_version()
    assert any(dbmod.sqlite_version() in line.text("en") for line in report.info)
    # One till: the WAL-reset bug is a warning, never a fault.
    assert bool(report.warnings) == dbmod.sqlite_wal_reset_bug()
    assert ("members", 0) in report.counts


def test_consistent_ledgers_pass(ctx):
    mid = a_member(ctx)
    a_sale(ctx.db, total=8791, lines=(5800, 2991), payments=(5000, 3791))
    a_count_card(ctx.db, mid, uses_left=8)
    report = run_check(ctx)
    assert report.ok, [f.en for f in report.faults]
    assert report.count("members") == 1 and report.count("sales") == 1
    assert report.count("wallet_entries") == 2 and report.count("points_entries") == 2


@pytest.mark.parametrize("column,code", [
    ("wallet_principal", "wallet_principal_mismatch"),
    ("wallet_bonus", "wallet_bonus_mismatch"),
    ("points_balance", "points_balance_mismatch"),
])
def test_a_cached_balance_off_its_ledger_is_a_fault(ctx, column, code):
    mid = a_member(ctx)
    raw(ctx.db, f"UPDATE members SET {column} = {column} + 1 WHERE id = :id", id=mid)
    report = run_check(ctx)
    assert codes(report) == [code]
    assert f"Member {mid}" in report.faults[0].en and f"会员 {mid}" in report.faults[0].zh


@pytest.mark.sqlite_only   # switches SQLite's CHECK constraints off to plant the fault
def test_negative_balances_are_faults(ctx):
    mid = a_member(ctx)
    with ctx.db.engine.begin() as conn:  # the CHECK constraints would refuse it: switch them off
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        conn.exec_driver_sql(f"UPDATE members SET points_balance = -5 WHERE id = {mid}")
        conn.exec_driver_sql(f"INSERT INTO points_entries (member_id, kind, points, created_at, note)"
                             f" VALUES ({mid}, 'adjust', -105, '2026-03-02 10:00:00', '')")
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
    report = run_check(ctx)
    # quick_check sees the broken CHECK constraint; the ledger check names the member.
    assert codes(report) == ["quick_check", "points_balance_negative"]
    assert "CHECK" in report.faults[0].en and f"Member {mid}" in report.faults[1].en


def test_count_card_off_its_ledger(ctx):
    mid = a_member(ctx)
    card = a_count_card(ctx.db, mid, uses_left=9)  # ledger says 8
    report = run_check(ctx)
    assert codes(report) == ["count_card_mismatch"]
    assert f"Count card {card}" in report.faults[0].en


def test_sale_total_against_lines_and_payments(ctx):
    a_sale(ctx.db, total=5800, lines=(5800,), payments=(5800,), receipt="T1-1")
    a_sale(ctx.db, total=5800, lines=(5000,), payments=(5800,), receipt="T1-2")
    a_sale(ctx.db, total=5800, lines=(5800,), payments=(5000, 700), receipt="T1-3")
    report = run_check(ctx)
    assert sorted(codes(report)) == ["sale_lines_mismatch", "sale_payments_mismatch"]
    text_en = " ".join(f.en for f in report.faults)
    assert "T1-2" in text_en and "T1-3" in text_en and "T1-1" not in text_en


def test_the_database_refuses_to_edit_or_delete_audit_rows(ctx):
    from sqlalchemy.exc import DBAPIError

    a_member(ctx)
    for sql in ("UPDATE audit_log SET reason = 'edited by hand'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError) as e:
            raw(ctx.db, sql)
        assert "append-only" in str(e.value)
    assert run_check(ctx).ok


def _drop_audit_triggers(db: Database) -> None:
    """What someone with the file and a SQL tool could do: the hash chain still tells."""
    if db.engine.dialect.name == "postgresql":
        raw(db, "DROP TRIGGER audit_log_append_only ON audit_log")
    else:
        raw(db, "DROP TRIGGER audit_log_no_update")
        raw(db, "DROP TRIGGER audit_log_no_delete")


def test_tampered_audit_log_breaks_the_chain(ctx):
    a_member(ctx)
    a_member(ctx, phone="13800138001")
    _drop_audit_triggers(ctx.db)
    raw(ctx.db, "UPDATE audit_log SET reason = 'edited by hand' WHERE id = (SELECT MIN(id) FROM audit_log)")
    report = run_check(ctx)
    assert codes(report) == ["audit_triggers", "audit_chain"]


def test_schema_not_at_head(ctx):
    raw(ctx.db, "UPDATE alembic_version SET version_num = '0000'")
    report = run_check(ctx)
    assert "schema_not_head" in codes(report)


def test_empty_file_has_no_schema(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    from app.services.base.context import Ctx

    report = run_check(Ctx(db=db))
    assert codes(report) == ["schema_missing"]


def test_garbage_file_is_reported_not_raised(tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database at all" * 200)
    db = Database(f"sqlite:///{path}")
    from app.services.base.context import Ctx

    report = run_check(Ctx(db=db))
    assert not report.ok
    assert codes(report)[0] in ("db_error", "quick_check")


def test_many_faults_are_capped(ctx):
    ids = [a_member(ctx, phone=f"138001{n:05d}") for n in range(DETAIL_LIMIT + 7)]
    raw(ctx.db, "UPDATE members SET wallet_bonus = wallet_bonus + 3")
    report = run_check(ctx)
    assert len(report.faults) == DETAIL_LIMIT + 1
    assert "7 more" in report.faults[-1].en
    assert len(ids) == DETAIL_LIMIT + 7


def _tills_sold(ctx, *codes_: str) -> None:
    from app.services.sales import receipt_numbers
    with ctx.tx() as t:
        for code in codes_:
            receipt_numbers.next_number(t, till=code)


@pytest.mark.sqlite_only
def test_the_app_runs_on_a_sqlite_without_the_wal_reset_bug(ctx):
    """pyproject installs pysqlite3 (its own SQLite) on this platform: the engines must use it."""
    if dbmod.sqlite_library() != "pysqlite3":
        pytest.skip("pysqlite3 has no wheel for this platform: Python's sqlite3 is used")
    assert not dbmod.sqlite_wal_reset_bug()
    with ctx.db.engine.connect() as conn:
        assert conn.exec_driver_sql("select sqlite_version()").scalar() == dbmod.sqlite_version()
    _tills_sold(ctx, "T1", "T2", "T3")
    report = run_check(ctx)
    assert report.ok and not report.warnings, report.faults


@pytest.mark.sqlite_only
@pytest.mark.parametrize("tills,refused", [(("T1",), False), (("T1", "IMP"), False), (("T1", "T2"), True)])
def test_a_library_with_the_wal_reset_bug_is_refused_once_several_tills_write(ctx, monkeypatch, tills, refused):
    """Python's own sqlite3 where it has the bug (Debian 12: 3.40.1), else its version is stood in."""
    import sqlite3
    monkeypatch.setattr(dbmod, "_MODULE", sqlite3)
    if not dbmod.sqlite_wal_reset_bug(sqlite3.sqlite_version):
        monkeypatch.setattr(dbmod, "sqlite_version", lambda: "3.40.1")
    _tills_sold(ctx, *tills)
    report = run_check(ctx)
    assert report.sqlite_wal_reset_bug
    assert any("(sqlite3)" in line.en for line in report.info)
    if refused:
        assert codes(report) == ["sqlite_wal_reset_bug"]
        assert "2 tills write to this file (T1, T2)" in report.faults[0].en and "PostgreSQL" in report.faults[0].en
        assert "台收银机" in report.faults[0].zh
        assert not report.ok
    else:
        assert report.ok, report.faults
        assert [w.code for w in report.warnings] == ["sqlite_wal_reset_bug"]
