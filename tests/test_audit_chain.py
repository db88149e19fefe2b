"""The keyed audit chain: every way of rewriting the audit log that a person with the database file
and a SQL tool has is reported by ``shopcare check`` (on SQLite and on PostgreSQL)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, text

from app.db import Database
from app.models import AuditLog
from app.services.base import audit
from app.services.admin.integrity import run_check
from tests.test_integrity import a_member, codes, raw


def _some_rows(ctx, n=4) -> None:
    for i in range(n):
        a_member(ctx, phone=f"1380013800{i}")


def _drop_triggers(db: Database) -> None:
    if db.engine.dialect.name == "postgresql":
        raw(db, "DROP TRIGGER audit_log_append_only ON audit_log")
    else:
        raw(db, "DROP TRIGGER audit_log_no_update")
        raw(db, "DROP TRIGGER audit_log_no_delete")


def _put_triggers_back(db: Database) -> None:
    """A careful attacker puts the triggers back after the edit: the chain and the record still tell."""
    if db.engine.dialect.name == "postgresql":
        raw(db, "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            raw(db, f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'append-only'); END")


def _rechain(db: Database, digest, from_first_changed: bool = True) -> None:
    """Recompute every row's prev_hash and hash with ``digest(prev, row)`` (what a forger would do)."""
    with db.session() as s:
        rows = s.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()
        prev = None
        for row in rows:
            row.prev_hash = prev
            row.hash = digest(prev, row)
            prev = row.hash


def _plain(prev, row) -> str:
    return hashlib.sha256(audit._payload(prev, row)).hexdigest()


def test_an_untouched_chain_passes_and_is_recorded_outside_the_database(ctx):
    _some_rows(ctx)
    report = run_check(ctx)
    assert report.ok, codes(report)
    with ctx.tx(write=False) as t:
        assert audit.check_chain(t).recorded


def test_dropped_triggers_are_reported(ctx):
    _some_rows(ctx, 1)
    _drop_triggers(ctx.db)
    assert codes(run_check(ctx)) == ["audit_triggers"]


def test_a_trigger_made_harmless_is_reported(ctx):
    if ctx.db.engine.dialect.name == "postgresql":
        raw(ctx.db, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        raw(ctx.db, "DROP TRIGGER audit_log_no_delete")
        raw(ctx.db, "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END")
    assert codes(run_check(ctx)) == ["audit_triggers"]


def test_deleting_the_last_rows_is_reported(ctx):
    _some_rows(ctx)
    _drop_triggers(ctx.db)
    raw(ctx.db, "DELETE FROM audit_log WHERE id > (SELECT MIN(id) + 1 FROM audit_log)")
    _put_triggers_back(ctx.db)
    report = run_check(ctx)
    assert codes(report) == ["audit_truncated"]
    assert "deleted" in report.faults[0].en and "删除" in report.faults[0].zh
    # The next audited action does not bless the shorter chain: check still says so.
    a_member(ctx, phone="13900139000")
    assert codes(run_check(ctx)) == ["audit_truncated"]


def test_deleting_every_row_is_reported(ctx):
    _some_rows(ctx, 2)
    _drop_triggers(ctx.db)
    raw(ctx.db, "DELETE FROM audit_log")
    _put_triggers_back(ctx.db)
    assert codes(run_check(ctx)) == ["audit_truncated"]


def test_an_edit_with_the_plain_sha256_chain_recomputed_is_reported(ctx):
    _some_rows(ctx)
    _drop_triggers(ctx.db)
    raw(ctx.db, "UPDATE audit_log SET reason = 'nothing happened' WHERE id = (SELECT MIN(id) FROM audit_log)")
    _rechain(ctx.db, _plain)
    _put_triggers_back(ctx.db)
    # Every row is now a valid plain chain (as written before keying): the recorded head tells.
    assert "audit_head" in codes(run_check(ctx))


def test_plain_rows_after_a_keyed_row_are_reported(ctx):
    _some_rows(ctx)
    _drop_triggers(ctx.db)
    with ctx.db.session() as s:
        rows = s.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all()
        rows[-1].reason = "edited"
        rows[-1].hash = _plain(rows[-1].prev_hash, rows[-1])
        bad = rows[-1].id
    _put_triggers_back(ctx.db)
    report = run_check(ctx)
    assert codes(report) == ["audit_head", "audit_chain"] and str(bad) in report.faults[1].en


def test_an_edit_with_the_chain_recomputed_under_another_key_is_reported(ctx):
    _some_rows(ctx)
    _drop_triggers(ctx.db)
    raw(ctx.db, "UPDATE audit_log SET after = '{}' WHERE id = (SELECT MAX(id) FROM audit_log)")
    wrong = secrets.token_bytes(32)
    _rechain(ctx.db, lambda prev, row: hmac.new(wrong, audit._payload(prev, row), hashlib.sha256).hexdigest())
    _put_triggers_back(ctx.db)
    assert codes(run_check(ctx)) == ["audit_head", "audit_chain"]


def test_rows_from_before_keying_still_verify_and_cannot_be_edited(ctx):
    """A database from before schema 0008: its plain SHA-256 rows stay, new rows are keyed after them."""
    _some_rows(ctx, 2)
    _drop_triggers(ctx.db)
    _rechain(ctx.db, _plain)                   # as the old ShopCare wrote them
    _put_triggers_back(ctx.db)
    audit.forget(ctx.db.url)                   # nothing recorded yet on this computer
    assert run_check(ctx).ok
    a_member(ctx, phone="13900139000")          # keyed rows follow, chained onto the last plain hash
    assert run_check(ctx).ok
    _drop_triggers(ctx.db)
    raw(ctx.db, "UPDATE audit_log SET reason = 'edited' WHERE id = (SELECT MIN(id) FROM audit_log)")
    _rechain_plain_prefix(ctx.db)
    _put_triggers_back(ctx.db)
    assert "audit_chain" in codes(run_check(ctx))


def _rechain_plain_prefix(db: Database) -> None:
    """Recompute the plain rows only (the forger has no key for the keyed ones)."""
    key = audit.key()
    with db.session() as s:
        prev = None
        for row in s.execute(select(AuditLog).order_by(AuditLog.id)).scalars().all():
            if row.hash == hmac.new(key, audit._payload(row.prev_hash, row), hashlib.sha256).hexdigest():
                break
            row.prev_hash, row.hash = prev, _plain(prev, row)
            prev = row.hash


def test_a_fresh_database_at_the_same_path_starts_a_new_record(tmp_path):
    from app.services.base import setup
    from app.services.base.context import Actor, Ctx
    from tests.shop import confirmed

    path = tmp_path / "again.db"
    for _ in range(2):
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        ctx = confirmed(Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T1"))
        setup.ensure_defaults(ctx)
        _some_rows(ctx, 3 if _ == 0 else 1)
        assert run_check(ctx).ok, codes(run_check(ctx))
        db.dispose()
        for p in tmp_path.glob("again.db*"):
            p.unlink()


def test_the_key_lives_outside_the_database_in_a_private_file(ctx):
    import os
    import stat

    from app import paths

    _some_rows(ctx, 1)
    file = paths.config_dir() / audit.KEY_FILE
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    with ctx.db.engine.connect() as c:
        dump = " ".join(str(v) for row in c.execute(text("SELECT * FROM audit_log")) for v in row)
    assert file.read_text().strip() not in dump
    state = next((paths.data_dir() / audit.STATE_DIR).iterdir())
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
