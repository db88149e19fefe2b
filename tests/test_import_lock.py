"""A history import yields to the tills: it reads, validates and groups the whole file without the
write lock, then writes in bulk, in short chunks (tests/test_import_chunks.py); the tiers it gives
are those the sales one by one would give."""
from __future__ import annotations

from sqlalchemy import event, select

from app.db import WRITE
from app.models import Member, Sale, Tier
from app.services.base import settings
from app.services.admin.imports import import_members, import_sales
from tests.shop import ledger_faults


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _under_the_lock(ctx, run_import, path):
    """The import's report, and every statement it ran on the write connection (under the lock)."""
    statements: list[str] = []

    def count(conn, _cursor, statement, *_args) -> None:
        if conn.get_execution_options().get(WRITE):
            statements.append(statement)

    event.listen(ctx.db.write_engine, "before_cursor_execute", count)
    try:
        return run_import(ctx, path), statements
    finally:
        event.remove(ctx.db.write_engine, "before_cursor_execute", count)


def test_the_write_transaction_does_not_grow_with_the_rows(ctx, tmp_path):
    """Under the write lock (where a till's checkout waits) the import runs a handful of bulk
    statements, not several per row: 300 rows, 300 sales, 60 new members."""
    lines = ["phone,datetime,amount,sku"]
    lines += [f"13800{i % 60:06d},2025-05-{1 + i % 28:02d} 15:{i % 60:02d},{10 + i},{'' if i % 3 else 'COF'}"
              for i in range(300)]
    report, statements = _under_the_lock(ctx, import_sales, write(tmp_path, "s.csv", "\n".join(lines) + "\n"))
    assert (report.imported, report.members_created) == (300, 60)
    assert len(statements) < 40, statements[:50]


def test_the_member_import_writes_in_bulk_too(ctx, tmp_path):
    """300 members with tags, cards, consent and opening balances: a handful of statements under the
    lock, and each member's balances equal their ledger."""
    lines = ["name,phone,card,consent,balance,bonus,points,tags,birthday"]
    lines += [f"会员{i},139{i:08d},{f'C{i}' if i % 2 else ''},{'是' if i % 3 else '否'},{i % 7}.50,{i % 2},{i % 5 * 10},"
              f"{'常客、VIP' if i % 4 == 0 else ''},{'1990-03-05' if i % 2 else ''}" for i in range(300)]
    report, statements = _under_the_lock(ctx, import_members, write(tmp_path, "m.csv", "\n".join(lines) + "\n"))
    assert report.imported == 300
    assert len(statements) < 40, statements[:50]
    assert ledger_faults(ctx.db) == []
    with ctx.tx(write=False) as t:
        m = t.s.execute(select(Member).where(Member.phone == "+8613900000004")).scalar_one()
        assert (m.name, m.card_no, m.consent_care, m.consent_care_source, m.wallet_principal, m.wallet_bonus,
                m.points_balance, sorted(x.tag for x in m.tags)) == ("会员4", None, True, "import", 450, 0, 40,
                                                                   ["VIP", "常客"])
        assert (m.birthday_month, m.consent_care_at, m.consent_marketing_at) == (None, m.created_at, None)


def tier_of(ctx, phone: str) -> str:
    with ctx.tx(write=False) as t:
        m = t.s.execute(select(Member).where(Member.phone == phone)).scalar_one()
        return t.s.get(Tier, m.tier_id).code


def test_vip_month_rule_counts_the_months_sales_already_there(ctx, tmp_path):
    settings.update(ctx, vip_month_spend=300_000, vip_single_purchase=0)
    import_sales(ctx, write(tmp_path, "a.csv", "phone,datetime,amount\n"
                                               "13800138000,2025-03-03 10:00,1600\n"
                                               "13900139000,2025-03-03 10:00,1600\n"))
    assert tier_of(ctx, "+8613800138000") == "ordinary"
    import_sales(ctx, write(tmp_path, "b.csv", "phone,datetime,amount\n"
                                               "13800138000,2025-03-20 10:00,1600\n"   # March again: 3,200
                                               "13900139000,2025-04-02 10:00,1600\n"   # April: 1,600
                                               "13700137000,2025-06-01 10:00,1000\n"
                                               "13700137000,2025-06-30 10:00,2100\n"))  # one month, new member
    assert tier_of(ctx, "+8613800138000") == "gold"     # the month rule, with the sale imported before
    assert tier_of(ctx, "+8613900139000") == "silver"   # 3,200 spent, but in two months: by spend only
    assert tier_of(ctx, "+8613700137000") == "gold"


def test_receipt_numbers_follow_the_file_and_continue_after_an_earlier_import(ctx, tmp_path):
    import_sales(ctx, write(tmp_path, "a.csv", "phone,datetime,amount\n13800138000,2025-03-03 10:00,16\n"))
    import_sales(ctx, write(tmp_path, "b.csv", "phone,datetime,amount,receipt\n"
                                               "13900139000,2025-03-04 10:00,5,X9\n"
                                               "13700137000,2025-03-01 10:00,7,X1\n"
                                               "13900139000,2025-03-04 10:00,6,X9\n"))
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Sale.receipt_no, Sale.total, Sale.source_ref).order_by(Sale.id)).all()
    assert rows == [("IMP-000001", 1600, rows[0][2]), ("IMP-000002", 1100, "import:receipt:X9"),
                    ("IMP-000003", 700, "import:receipt:X1")]
