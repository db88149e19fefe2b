"""A member or history import writes in chunks: each chunk its own short write transaction, so a
till selling meanwhile waits for one chunk (tens of milliseconds), never for the whole file.

The import stays all-or-nothing:

- the first chunk records the batch with status ``running`` (committed with the chunk's rows, every
  one tagged with the batch id); the last transaction marks it ``done``. Only a ``done`` batch is an
  import that happened;
- each later chunk first re-marks the batch as its own (a conditional update on ``status =
  'running'``): a batch taken back meanwhile stops the import at once (``import_taken_back``);
- any failure or cancel after the first chunk takes the whole batch back (``take_back``: the
  import undo's own checks, deletes and restores, in one transaction); the batch row goes with its
  rows (an ``import.taken_back`` audit line says what happened);
- a batch left ``running`` by a crash or a kill (nobody writes it any more: its process is gone, or
  has not written for :data:`STALE_S`) is taken back when the shop is next opened (the app's
  ``open_shop``, every command's opening) and before the next import; ``shopcare check`` reports a
  batch still running.

The chunks before the last commit without waiting for the disk and, on SQLite, with fewer WAL
checkpoints (``_no_flush``, ``ChunkWriter._checkpoints``): the last transaction is committed
durably, and everything before it with it. A chunk is sized from the time the last one took, to about :data:`CHUNK_TARGET_S`, between
:data:`CHUNK_MIN` and :data:`CHUNK_MAX` rows. Only one member or history import writes at a time:
the first chunk refuses (``import_busy``) while another import's batch is running. The import
reads the members and sales it checks against without the write lock; its first chunk reads again
when another import landed meanwhile (``StaleRead``)."""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import case, delete, event, func, select, update

from app.errors import Conflict, ImportFailed
from app.models import ImportBatch, ImportChange
from app.services.admin import import_batches
from app.services.admin.import_common import big_cache, import_lock
from app.services.base.context import Ctx, FixedClock

log = logging.getLogger(__name__)

CHUNK_START = 500          # rows in the first chunk
CHUNK_MIN, CHUNK_MAX = 50, 5000
CHUNK_TARGET_S = 0.04      # each next chunk sized to take about this long (with room for a busy machine)
WAIT_S = 60.0              # an import waits this long for another one writing
READ_AGAIN = 3             # times an import reads again when others' imports land meanwhile
WAL_PAGES = 2000           # SQLite: a WAL checkpoint every this many pages while the chunks commit
STALE_S = 120.0            # a running batch not written for this long has no live writer

_B = ImportBatch.__table__
_mine: set[int] = set()    # batches this process is writing now
_HOST = socket.gethostname()[:64]

# Tests: a process that sleeps this long after each committed chunk (to be killed between them).
_PAUSE_ENV = "SHOPCARE_TEST_IMPORT_CHUNK_PAUSE"


class StaleRead(Exception):
    """Another import (or an undo) landed between this import's reading and its first chunk: what
    it read of the members and sales may be out of date, so it reads again (nothing was written)."""


class _Busy(Exception):
    """Another import's batch is running (its first chunk found it)."""

    def __init__(self, batch: int) -> None:
        super().__init__(batch)
        self.batch = batch


def attempts(ctx: Ctx, run, *, dry_run: bool):
    """``run()`` an import; when another import writes meanwhile, wait for it (up to
    :data:`WAIT_S`) and read again, as the single transaction used to wait for the lock."""
    if dry_run:
        return run()
    recover(ctx)
    deadline = time.monotonic() + WAIT_S
    tries = 0
    while True:
        try:
            return run()
        except _Busy as exc:
            if not _wait_for(ctx, exc.batch, deadline):
                raise busy(exc.batch) from None
        except StaleRead:
            tries += 1
            if tries > READ_AGAIN:
                raise busy() from None


def _wait_for(ctx: Ctx, batch: int, deadline: float) -> bool:
    """Until ``batch`` is no longer running (a dead writer's taken back); False at the deadline."""
    while time.monotonic() < deadline:
        with ctx.tx(write=False) as t:
            row = t.s.connection().execute(select(_B.c.status, _B.c.counts).where(_B.c.id == batch)).first()
        if row is None or row[0] != "running":
            return True
        if batch not in _mine and not _alive(row[1], time.time()):
            take_back(ctx, batch)
            continue
        time.sleep(0.1)
    return False


def busy(batch: int | str | None = None) -> Conflict:
    return Conflict("import_busy", batch=batch if batch is not None else "?")


def marker(t: Ctx) -> tuple:
    """What changes whenever an import lands, is taken back or undone (read with the import's reads)."""
    return tuple(t.s.connection().execute(select(
        func.max(_B.c.id), func.count(), func.sum(case((_B.c.status == "done", 1), else_=0)))).one())


def _writer() -> dict:
    return {"pid": os.getpid(), "host": _HOST, "beat": round(time.time(), 3)}


class ChunkWriter:
    """One import's write transactions: ``with w.chunk() as t:`` writes a chunk (the first one
    begins the batch); ``w.sizes(n)`` splits ``n`` rows into chunks sized by time; ``w.take_back()``
    after a failure. ``transactions`` and ``largest`` (rows) say what it did."""

    def __init__(self, ctx: Ctx, kind: str, path, seen: tuple | None = None, ticker=None) -> None:
        self.ctx, self.kind, self.path, self.seen, self.ticker = ctx, kind, path, seen, ticker
        # Every row is written at the import's start time, whichever chunk writes it: what a till
        # changes between two chunks is later, and an undo's "edited since" tells the two apart.
        self.at = ctx.now()
        self.wctx = replace(ctx, clock=FixedClock(self.at))
        self.batch: int | None = None
        self.size = CHUNK_START
        self.transactions = 0
        self.largest = 0
        self.committed = False     # the first chunk (and so the batch) is in the database
        self._autocheckpoint: int | None = None
        self._pause = float(os.environ.get(_PAUSE_ENV) or 0)

    @contextmanager
    def chunk(self, rows: int = 0, *, last: bool = False) -> Iterator[Ctx]:
        """One chunk's write transaction; ``last``: the one that marks the batch done."""
        if self.ticker is not None:
            self.ticker.check()           # progress, and a cancel between two chunks
        began = time.perf_counter()
        with self.wctx.tx(write=True, late=True) as t:
            if not last:
                _no_flush(t)
            t.write_lock()
            if self.batch is None:
                big_cache(t, 16)          # kept by the connection for the chunks after
                import_lock(t)            # PostgreSQL: the first chunks of two imports one after the other
                _refuse_busy(t)
                if self.seen is not None and marker(t) != self.seen:
                    raise StaleRead()
                self.batch = import_batches.begin(t, self.kind, self.path)
                _mine.add(self.batch)
                t.s.connection().execute(update(_B).where(_B.c.id == self.batch).values(
                    counts=json.dumps({"writer": _writer()})))
            else:
                done = t.s.connection().execute(update(_B).where(_B.c.id == self.batch, _B.c.status == "running")
                                                .values(counts=json.dumps({"writer": _writer()})))
                if done.rowcount != 1:
                    _mine.discard(self.batch)
                    raise ImportFailed("import_taken_back", batch=self.batch)
            if last or not self.transactions:
                self._checkpoints(t, on=last)
            yield t
        took = time.perf_counter() - began
        self.committed = True
        self.transactions += 1
        self.largest = max(self.largest, rows)
        if rows and (rows >= self.size // 2 or took > CHUNK_TARGET_S):   # a small last chunk says little
            # halved or doubled at most: one chunk slowed by the machine does not shrink the rest to nothing
            wanted = int(rows * CHUNK_TARGET_S / max(took, 1e-4))
            self.size = max(CHUNK_MIN, min(CHUNK_MAX, self.size * 2, max(self.size // 2, wanted)))
        if self._pause:
            print(f"import chunk {self.transactions}", flush=True)
            time.sleep(self._pause)

    def sizes(self, total: int) -> Iterator[tuple[int, int]]:
        """(start, end) of each chunk of ``total`` rows, each sized when it is reached."""
        i = 0
        while i < total:
            j = min(total, i + self.size)
            yield i, j
            i = j

    def finish(self, t: Ctx, counts: dict) -> None:
        """In the last chunk: the batch is done (finished at the real time)."""
        import_batches.finish(t, self.batch, counts, at=self.ctx.now())

    def _checkpoints(self, t: Ctx, *, on: bool) -> None:
        """(First and last chunk.) SQLite: a WAL checkpoint every :data:`WAL_PAGES` pages while
        the chunks commit, not every 1,000 (that made the chunks' commits cost more than their
        writes: 70,000 history rows in 204 transactions and 16 s, against 80 and 5 s without any);
        none at all would leave the whole import to the last commit's checkpoint (106 ms for
        30,000 rows, growing with the file). The last transaction puts the setting back."""
        if t.s.bind.dialect.name != "sqlite":
            return
        conn = t.s.connection()
        if self._autocheckpoint is None:
            now = int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() or 0)
            self._autocheckpoint = now if now and now != WAL_PAGES else 1000
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {self._autocheckpoint if on else WAL_PAGES}")

    def _checkpoints_on(self) -> None:
        """After a failure: checkpoints on again (the connection serves the till too)."""
        if self._autocheckpoint is None or not self.ctx.db.is_sqlite:
            return
        with self.ctx.tx(write=True) as t:
            t.s.connection().exec_driver_sql(f"PRAGMA wal_autocheckpoint = {self._autocheckpoint}")

    def finished(self) -> None:
        if self.batch is not None:
            _mine.discard(self.batch)

    def take_back(self) -> None:
        """After a failure or cancel: the batch's rows removed, whole (nothing to do before the
        first chunk committed: a batch id never committed may be another import's by now). A
        take-back that cannot be done now is left to the next opening (logged)."""
        try:
            if self.batch is not None and self.committed:
                take_back(self.ctx, self.batch, force=True)
        except Exception:  # noqa: BLE001 - the import's own error is the one to report
            log.exception("import batch %s could not be taken back now; the next opening will", self.batch)
        finally:
            _mine.discard(self.batch)
            try:
                self._checkpoints_on()
            except Exception:  # noqa: BLE001
                log.exception("WAL checkpoints could not be turned on again after import batch %s", self.batch)


_RELAXED = "shopcare_import_sync_normal"


def _no_flush(t: Ctx) -> None:
    """A chunk that is not the last commits without waiting for the disk: SQLite ``synchronous =
    NORMAL`` on this connection (set before its BEGIN; FULL again when the connection goes back to
    the pool, before anyone else has it), PostgreSQL ``synchronous_commit = off`` for this
    transaction. A power cut can lose only the latest chunks, leaving at most a running batch
    (taken back at the next start); the last transaction, marking the batch done, is committed
    durably and, the log being written in order, makes every chunk before it durable with it. A
    till's commit in between is durable (FULL) as always, and so is everything logged before it."""
    conn = t.s.connection()
    name = t.s.bind.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        return
    if name != "sqlite":
        return
    pool = conn.engine.pool
    if not event.contains(pool, "checkin", _full_again):
        event.listen(pool, "checkin", _full_again)
    fairy = conn.connection
    fairy.dbapi_connection.execute("PRAGMA synchronous = NORMAL")
    fairy.info[_RELAXED] = True


def _full_again(dbapi_conn, record) -> None:
    if record is not None and record.info.pop(_RELAXED, None) and dbapi_conn is not None:
        dbapi_conn.execute("PRAGMA synchronous = FULL")


def _alive(counts: str | None, now: float) -> bool:
    """Whether a running batch's writer may still be writing it."""
    try:
        w = json.loads(counts or "{}").get("writer") or {}
    except ValueError:
        w = {}
    if not w:
        return False
    if now - float(w.get("beat") or 0) > STALE_S:
        return False
    if w.get("host") == _HOST and os.name == "posix":
        pid = int(w.get("pid") or 0)
        if pid == os.getpid():
            return False          # this process: _mine (checked by the callers) knows its own
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def _refuse_busy(t: Ctx) -> None:
    """One member or history import writes at a time (a batch a dead import left running is taken
    back by ``recover`` before an import reads its file)."""
    bid = t.s.connection().execute(select(func.min(_B.c.id)).where(_B.c.status == "running",
                                                                    _B.c.kind != "products")).scalar()
    if bid is not None:
        raise _Busy(bid)


def stale(ctx: Ctx) -> list[int]:
    """Running member/history batches nobody writes any more (one small query: every opening runs it)."""
    with ctx.tx(write=False) as t:
        rows = t.s.connection().execute(select(_B.c.id, _B.c.counts).where(_B.c.status == "running",
                                                                              _B.c.kind != "products")).all()
    now = time.time()
    return [bid for bid, counts in rows if bid not in _mine and not _alive(counts, now)]


def recover(ctx: Ctx) -> list[int]:
    """Take back every batch a crashed or killed import left running; returns their ids. A batch
    that cannot be taken back (something since touches its rows) is logged and left for the owner
    (``shopcare check`` reports it)."""
    done = []
    for bid in stale(ctx):
        try:
            if take_back(ctx, bid):
                done.append(bid)
        except Exception:  # noqa: BLE001 - opening the shop must not fail on it
            log.exception("import batch %s left running could not be taken back", bid)
    return done


def take_back(ctx: Ctx, batch_id: int, *, force: bool = False) -> bool:
    """Remove a running batch's rows and put back what it changed, in one transaction; the batch
    becomes ``failed``. False when it is not running (any more), or (without ``force``) it has a
    live writer."""
    with ctx.tx(write=True) as t:
        import_lock(t)
        row = t.s.connection().execute(select(_B.c.status, _B.c.counts).where(_B.c.id == batch_id)).first()
        if row is None or row[0] != "running":
            return False
        if not force and (batch_id in _mine or _alive(row[1], time.time())):
            return False
        _take_back_in(t, batch_id)
        return True


def _take_back_in(t: Ctx, batch_id: int) -> None:
    """The undo's deletes and restores; then the batch row and what it kept go too: an import
    taken back leaves nothing but its line in the audit log (``import.taken_back``)."""
    from app.services.admin.import_undo import take_back_running

    take_back_running(t, batch_id)
    conn = t.s.connection()
    ch = ImportChange.__table__
    conn.execute(delete(ch).where(ch.c.batch_id == batch_id))
    conn.execute(delete(_B).where(_B.c.id == batch_id))
