"""A member or history import is written in chunks, each its own short transaction, and stays all
or nothing: a cancel or a failure mid-write takes the whole batch back, and a process killed
between two chunks leaves a 'running' batch that ``shopcare check`` reports and the next opening
takes back whole (then a re-run imports the file once). On SQLite and PostgreSQL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import ImportFailed
from app.models import ImportBatch, Member, Sale, SaleLine, WalletEntry
from app.services.admin import import_batches, import_chunks, import_run, integrity
from app.services.admin.import_run import ImportOptions
from app.services.members import members as members_svc
from tests.shop import fund, ledger_faults, member
from tests.test_import_engine import counts, write

ROOT = Path(__file__).resolve().parent.parent
N = 7            # rows per chunk in these tests
OLD = 10         # members there before, updated by the import file


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(import_chunks, "CHUNK_START", N)
    monkeypatch.setattr(import_chunks, "CHUNK_MIN", N)
    monkeypatch.setattr(import_chunks, "CHUNK_MAX", N)


def members_file(tmp_path, new: int = 60):
    rows = [f"老会员{i},1390000{i:04d},5,2\n" for i in range(OLD)]
    rows += [f"M{i},1370000{i:04d},10,5\n" for i in range(new)]
    return write(tmp_path, "m.csv", "name,phone,balance,points\n" + "".join(rows))


def sales_file(tmp_path, n: int = 90):
    return write(tmp_path, "h.csv", "phone,datetime,amount,receipt\n" + "".join(
        f"{'1390000%04d' % (i % OLD) if i % 3 == 0 else '137%08d' % (i % 25)},2025-01-{1 + i % 28:02d} 10:{i % 60:02d},"
        f"{10 + i},{f'R{i // 2}' if i % 4 == 0 else ''}\n" for i in range(n)))


@pytest.fixture
def shop(ctx):
    for i in range(OLD):
        m = member(ctx, phone=f"1390000{i:04d}", name=f"Old {i}")
        fund(ctx, m.id, principal=100, points=7)
    return ctx


def state(ctx) -> dict:
    """Everything an import may change on the members who were there before, and the row counts."""
    with ctx.tx(write=False) as t:
        old = t.s.execute(select(Member.phone, Member.name, Member.wallet_principal, Member.points_balance,
                                 Member.total_spent, Member.visits, Member.last_visit_at, Member.tier_id)
                          .where(Member.phone.like("1390000%")).order_by(Member.phone)).all()
    return {"counts": counts(ctx), "old": [tuple(r) for r in old]}


def opts(kind: str) -> ImportOptions:
    return ImportOptions(kind=kind, update=kind == "members")


@contextmanager
def committed_per_chunk(ctx, monkeypatch):
    """Rows of members, wallet entries, sales and sale lines each chunk's transaction committed,
    counted from the database after it (not from the importer's own bookkeeping)."""
    seen: list[int] = []
    real = import_chunks.ChunkWriter.chunk

    def rows_now() -> int:
        with ctx.tx(write=False) as t:
            return sum(t.s.execute(select(func.count()).select_from(m)).scalar()
                       for m in (Member, WalletEntry, Sale, SaleLine))

    @contextmanager
    def chunk(self, rows=0, **kw):
        before = rows_now()
        with real(self, rows, **kw) as t:
            yield t
        seen.append(rows_now() - before)

    monkeypatch.setattr(import_chunks.ChunkWriter, "chunk", chunk)
    yield seen


@pytest.mark.parametrize("kind", ["members", "sales"])
def test_every_write_transaction_is_a_bounded_chunk(shop, tmp_path, small_chunks, monkeypatch, kind):
    path = members_file(tmp_path) if kind == "members" else sales_file(tmp_path)
    with committed_per_chunk(shop, monkeypatch) as seen:
        report = import_run.run(shop, path, opts(kind))
    assert report.batch_id is not None and report.imported > 0
    # a row brings at most: a member, a wallet entry (members); a sale, a line, a new member (sales)
    assert len(seen) >= 8 and max(seen) <= 3 * N, seen
    assert sum(seen) > 3 * N
    batch = import_batches.list_batches(shop)[0]
    assert (batch.id, batch.status) == (report.batch_id, "done") and "writer" not in batch.counts
    assert ledger_faults(shop.db) == [] and integrity.run_check(shop).ok


@pytest.mark.parametrize("kind", ["members", "sales"])
def test_cancel_mid_write_takes_back_the_committed_chunks(shop, tmp_path, small_chunks, monkeypatch, kind):
    path = members_file(tmp_path) if kind == "members" else sales_file(tmp_path)
    before = state(shop)
    with committed_per_chunk(shop, monkeypatch) as seen:
        with pytest.raises(ImportFailed) as exc:
            import_run.run(shop, path, opts(kind), cancel=lambda: len(seen) >= 4)
    assert exc.value.code == "import_cancelled"
    assert len(seen) >= 4 and sum(seen) > 0          # chunks had committed rows before the cancel
    assert state(shop) == before                      # all taken back: members' values, balances, counts
    assert ledger_faults(shop.db) == [] and integrity.run_check(shop).ok
    report = import_run.run(shop, path, opts(kind))
    assert report.batch_id is not None and state(shop) != before


def test_a_failing_chunk_takes_back_the_whole_import(shop, tmp_path, small_chunks, monkeypatch):
    from app.services.admin import import_member_write

    real, calls = import_member_write._write_openings, []

    def flaky(*a, **kw):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("disk full")
        return real(*a, **kw)

    monkeypatch.setattr("app.services.admin.imports._write_openings", flaky)
    before = state(shop)
    with pytest.raises(RuntimeError):
        import_run.run(shop, members_file(tmp_path), opts("members"))
    assert state(shop) == before and integrity.run_check(shop).ok


def test_an_imported_member_is_not_found_at_the_till_until_the_batch_is_done(shop, tmp_path, small_chunks,
                                                                              monkeypatch):
    found: list = []
    real = import_chunks.ChunkWriter.finish

    def finish(self, t, counts):
        # between the last data chunk and the one marking the batch done: written, not yet landed
        found.append((members_svc.find_by_phone(shop, "13700000001"),
                      [p.name for p in members_svc.find_members(shop, "M1")]))
        return real(self, t, counts)

    monkeypatch.setattr(import_chunks.ChunkWriter, "finish", finish)
    import_run.run(shop, members_file(tmp_path), opts("members"))
    assert found == [(None, [])]
    assert members_svc.find_by_phone(shop, "13700000001").name == "M1"


CHILD = r"""
import os, sys
from app.db import Database
from app.services.admin import import_chunks, import_run
from app.services.admin.import_run import ImportOptions
from app.services.base.context import Ctx

import_chunks.CHUNK_START = import_chunks.CHUNK_MIN = import_chunks.CHUNK_MAX = 7
ctx = Ctx(db=Database(os.environ["DB_URL"]))
kind = sys.argv[1]
import_run.run(ctx, sys.argv[2], ImportOptions(kind=kind, update=kind == "members"))
print("finished", flush=True)
"""


def _cli(env, *args):
    return subprocess.run([sys.executable, "-m", "app", "--db", env["DB_URL"], *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["members", "sales"])
def test_an_import_killed_mid_write_is_taken_back_at_the_next_opening(shop, tmp_path, capsys, kind):
    """SIGKILL a real process after a few committed chunks (no clean-up of its own), then open."""
    path = members_file(tmp_path) if kind == "members" else sales_file(tmp_path)
    before = state(shop)
    env = {**os.environ, "DB_URL": shop.db.url, "PYTHONPATH": str(ROOT), "SHOPCARE_TEST_IMPORT_CHUNK_PAUSE": "0.05"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if len(lines) == 4:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    assert lines[-1] == "import chunk 4"
    with shop.tx(write=False) as t:
        [(bid, status)] = t.s.execute(select(ImportBatch.id, ImportBatch.status)).all()
        left = t.s.execute(select(func.count()).select_from(Member).where(Member.import_batch_id == bid)).scalar()
        left += t.s.execute(select(func.count()).select_from(Sale).where(Sale.import_batch_id == bid)).scalar()
    assert status == "running" and left > 0                # the chunks it committed are there, half an import
    check = _cli(env, "check")
    assert check.returncode == 1 and f"Import {bid} " in check.stdout + check.stderr, check.stdout + check.stderr
    assert import_batches.recover_left(shop) == [bid]     # what the app's open_shop and every command run
    assert state(shop) == before                           # nothing of it left, the members as they were
    assert ledger_faults(shop.db) == []
    check = _cli(env, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    report = import_run.run(shop, path, opts(kind))        # a re-run imports it once
    again = import_run.run(shop, path, opts(kind))
    if kind == "sales":
        assert report.imported > 0 and (again.imported, again.skipped) == (0, report.imported)
        with shop.tx(write=False) as t:
            assert t.s.execute(select(func.count()).select_from(Sale)).scalar() == report.imported
    else:
        assert report.members_created == 60 and again.members_created == 0
        with shop.tx(write=False) as t:
            assert t.s.execute(select(func.count()).select_from(Member)).scalar() == OLD + 60
    assert ledger_faults(shop.db) == [] and integrity.run_check(shop).ok
    with capsys.disabled():
        print(f"\n{kind} import killed after {lines[-1]}: {left} rows left, taken back at the next opening; "
              f"re-run imported {report.imported} once")


def test_a_cli_command_opening_takes_back_a_batch_left_running(shop, tmp_path, small_chunks, monkeypatch):
    """A batch left running by a process that is gone (here: its writer record names no live
    process) is taken back by any command's opening."""
    before = state(shop)
    real = import_chunks.ChunkWriter.finish
    monkeypatch.setattr(import_chunks.ChunkWriter, "finish",
                        lambda self, t, counts: (_ for _ in ()).throw(KeyboardInterrupt()))
    monkeypatch.setattr(import_chunks.ChunkWriter, "take_back", lambda self: None)    # as if killed
    with pytest.raises(KeyboardInterrupt):
        import_run.run(shop, members_file(tmp_path), opts("members"))
    monkeypatch.setattr(import_chunks.ChunkWriter, "finish", real)
    import_chunks._mine.clear()
    with shop.tx() as t:                                     # its writer: a process that is gone
        t.s.execute(ImportBatch.__table__.update().values(counts='{"writer": {"pid": 0, "host": "", "beat": 0}}'))
    env = {**os.environ, "DB_URL": shop.db.url, "PYTHONPATH": str(ROOT)}
    assert _cli(env, "check").returncode == 1
    assert _cli(env, "import", "list").returncode == 0
    assert state(shop) == before
    assert _cli(env, "check").returncode == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("pragma, till_value", [("wal_autocheckpoint", 1000), ("synchronous", 2)])
def test_the_write_connection_is_back_to_the_tills_settings_after_an_import(shop, tmp_path, small_chunks,
                                                                          monkeypatch, pragma, till_value):
    """The chunks before the last commit with fewer WAL checkpoints (wal_autocheckpoint 2,000 pages)
    and without their own fsync (synchronous NORMAL); the last one, marking the batch done, and
    whatever the till writes next on that connection have the till's settings back (1,000 pages;
    FULL = 2), after an import done or cancelled."""
    def value(t) -> int:
        return t.s.connection().exec_driver_sql(f"PRAGMA {pragma}").scalar()

    seen: list[int] = []
    real = import_chunks.ChunkWriter.finish

    def finish(self, t, counts):
        seen.append(value(t))
        return real(self, t, counts)

    monkeypatch.setattr(import_chunks.ChunkWriter, "finish", finish)
    import_run.run(shop, members_file(tmp_path), opts("members"))
    monkeypatch.setattr(import_chunks.ChunkWriter, "finish", real)
    with shop.tx() as t:
        assert seen == [till_value] and value(t) == till_value
    asked: list[int] = []
    with pytest.raises(ImportFailed):       # cancelled a few chunks into the writing
        import_run.run(shop, sales_file(tmp_path), opts("sales"), cancel=lambda: asked.append(1) or len(asked) > 5)
    with shop.tx() as t:
        assert value(t) == till_value
