"""The migrations build exactly the schema the models describe, and money is never a float."""
from __future__ import annotations


from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Float, Numeric, inspect

from app.db import Database, sqlite_module
from app.models import Base

sqlite3 = sqlite_module()  # the app's own SQLite library: two libraries in one process do not see each other's locks


def _diff(db: Database) -> list:
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(mc, Base.metadata)


def test_upgrade_from_empty_matches_the_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    assert not db.has_tables()
    db.upgrade()
    assert db.current_revision() == db.head_revision()
    assert _diff(db) == []
    tables = set(inspect(db.engine).get_table_names())
    # The core tables keep plain names an accountant can read with any SQLite tool.
    assert {"members", "sales", "sale_lines", "payments", "wallet_entries", "points_entries",
            "messages"} <= tables


def test_downgrade_to_base_and_back(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade()
    command.downgrade(db.alembic_config(), "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    assert db.current_revision() is None
    db.upgrade()
    assert _diff(db) == []


def test_each_revision_is_reachable_one_step_at_a_time(tmp_path):
    from alembic.script import ScriptDirectory

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    script = ScriptDirectory.from_config(db.alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions and revisions[-1] == db.head_revision()
    for rev in revisions:
        command.upgrade(db.alembic_config(), rev)
        assert db.current_revision() == rev
    con = sqlite3.connect(tmp_path / "m.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_no_money_column_is_numeric_or_float():
    offenders = [f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns
                 if isinstance(c.type, (Numeric, Float))]
    assert offenders == []


def test_schema_head_constant_is_alembic_head(tmp_path):
    """Start-up trusts SCHEMA_HEAD to skip alembic: a new migration must update it."""
    from app.db import SCHEMA_HEAD

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    assert SCHEMA_HEAD == db.head_revision()
    assert not db.at_head()          # a new file: no alembic_version table yet
    db.upgrade()
    assert db.at_head()
    command.downgrade(db.alembic_config(), "-1")
    assert not db.at_head()          # one step behind: start-up takes the full upgrade path


def test_start_up_skips_alembic_at_head(tmp_path):
    """A file already at head opens without importing alembic (a fifth of a cold start)."""
    import subprocess
    import sys

    path = tmp_path / "m.db"
    Database(f"sqlite:///{path}").upgrade()
    code = ("import sys; from app.db import Database; from app.services.admin.backup import upgrade_with_backup; "
            f"db = Database('sqlite:///{path}'); assert upgrade_with_backup(db) is None; "
            "print(any(m == 'alembic' or m.startswith('alembic.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_catalogue_migration_keeps_a_shops_products_and_sales(tmp_path):
    """0009 rebuilds products and sales, which other tables refer to: with rows in them (and the
    foreign keys checked after), barcodes move to product_barcodes, search keys and categories come."""
    from sqlalchemy import text

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(db.alembic_config(), "0008_refunded_qty")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO tills (code, name, last_receipt_seq) VALUES ('T1', '', 1)"))
        pid = conn.execute(text(
            "INSERT INTO products (sku, barcode, name, category, price, kind, points_eligible, discount_eligible,"
            " active) VALUES ('LT1', '6901', '拿铁', '咖啡', 2800, 'goods', true, true, true) RETURNING id")).scalar()
        sid = conn.execute(text(
            "INSERT INTO sales (receipt_no, till, seq, kind, source, created_at, subtotal, tier_discount,"
            " manual_discount, total, change_given, points_earned, note)"
            " VALUES ('T1-1', 'T1', 1, 'sale', 'till', CURRENT_TIMESTAMP, 2800, 0, 0, 2800, 0, 0, '') RETURNING id")).scalar()
        conn.execute(text(
            "INSERT INTO sale_lines (sale_id, line_no, product_id, sku, name, qty, unit_price, price_overridden,"
            " tier_discount, manual_discount, line_total, points_eligible, refunded_qty)"
            " VALUES (:s, 1, :p, 'LT1', '拿铁', 1, 2800, false, 0, 0, 2800, true, 0)"), {"s": sid, "p": pid})
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT product_id, barcode FROM product_barcodes")).all() == [(pid, "6901")]
        keys = set(conn.execute(text("SELECT key FROM product_search_keys WHERE product_id = :p"), {"p": pid}).scalars())
        assert {"nt", "natie", "lt1", "6901", "咖啡"} <= keys
        assert conn.execute(text("SELECT name FROM categories")).scalars().all() == ["咖啡"]
        assert conn.execute(text("SELECT l.category, p.on_hand FROM sale_lines l JOIN products p ON p.id = l.product_id")
                            ).all() == [("咖啡", 0)]
        assert conn.execute(text("SELECT COUNT(*) FROM sales")).scalar() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1     # on again for the app
    db.dispose()
