"""What the member and history imports share besides their columns, cells and results (import_columns.py, import_cells.py, import_results.py): progress and cancel, the import lock, the phone reader, bulk inserts and chunked look-ups."""
from __future__ import annotations

import pickle
import re
import sys
import tempfile
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import insert, select, text

from app.errors import ImportFailed, ShopError
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings


PREVIEW_ROWS = 50
TICK = 2000     # progress and cancel every this many rows


class Ticker:
    """Progress ``(done, total)`` and cancel, every :data:`TICK` rows. An import counts each row
    twice: once read and checked, once written (``total`` is twice the rows; an estimate while the
    file is still being read). ``cancel()`` True raises ImportFailed('import_cancelled')."""

    def __init__(self, progress, cancel, estimate: int) -> None:
        self.progress, self.cancel = progress, cancel
        self.total = max(2 * estimate, 1)
        self.done = 0
        self._next = TICK

    def rows_known(self, rows: int) -> None:
        self.total = max(2 * rows, 1)

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next:
            self._next = self.done + TICK
            self.check()

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise ImportFailed("import_cancelled")
        if self.progress is not None:
            self.progress(min(self.done, self.total), max(self.total, self.done))

    def end(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


IMPORT_LOCK = 0x5C_1A40  # PostgreSQL advisory lock: one member or history import at a time


def import_lock(t: Ctx) -> None:
    """PostgreSQL: one member/history import at a time (two imports of one file would otherwise
    both see no sale there yet); SQLite's IMMEDIATE transactions already run one at a time."""
    if t.s.bind.dialect.name == "postgresql":
        t.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})


def classifier(mapping):
    """read_table's ``classify`` for an owner's mapping (header text -> column, "" = left out)."""
    if not mapping:
        return None
    wanted = {str(k).strip(): v for k, v in mapping.items()}
    return lambda header: wanted.get(header.strip())


class PhoneReader:
    """phones.normalize with a memory: a history repeats each customer's number many times, and
    parsing one costs ~80 µs."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.known: dict[str, str | ShopError] = {}
        self.mobile = None
        self.prefix = ""
        # The region's mobile numbers as phonenumbers' own metadata describes them: a plain national
        # number that matches is valid and needs no parse (a mainland history is mostly these).
        import phonenumbers

        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if md is not None and md.mobile is not None and md.mobile.national_number_pattern and md.country_code:
            self.mobile = re.compile(md.mobile.national_number_pattern)
            self.prefix = f"+{md.country_code}"

    def __call__(self, raw: str) -> str:
        got = self.known.get(raw)
        if got is None:
            if self.mobile is not None and raw.isascii() and raw.isdigit() and raw[0] != "0" \
                    and self.mobile.fullmatch(raw):
                return sys.intern(self.prefix + raw)   # cheap: not remembered (memory)
            try:
                got = sys.intern(phones.normalize(raw, self.region))
            except ShopError as err:
                got = err
            if len(self.known) < 1_000_000:
                self.known[raw] = got
        if isinstance(got, ShopError):
            raise got
        return got


def phone_shown(e164: str, region: str) -> str:
    """A number as the shop writes it: national digits in its own region, else E.164."""
    return phones.national_digits(e164) if phones.in_region(e164, region) else e164


def points_expiry(cfg: ShopSettings, today: date) -> date | None:
    """When opening points expire, by the points module's policy (None until that module exists)."""
    try:
        from app.services.ledger.points import expiry_date  # type: ignore[attr-defined]
    except ImportError:
        return None
    return expiry_date(cfg, today)


# --- shared helpers ---------------------------------------------------------------------------
class Spill:
    """Checked rows set aside between the reading and the writing, on disk not in memory: pickled in
    chunks into an anonymous temporary file (mode 0600, unlinked at once, gone when closed), so a
    file of a million rows is neither held whole nor read and checked a second time."""

    def __init__(self, chunk: int = 10_000) -> None:
        self.file = tempfile.TemporaryFile(prefix="shopcare-import-")
        self.chunk = chunk
        self.pending: list = []

    def add(self, item) -> None:
        self.pending.append(item)
        if len(self.pending) >= self.chunk:
            self._dump()

    def _dump(self) -> None:
        pickle.dump(self.pending, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.pending = []

    def chunks(self) -> Iterator[list]:
        """Everything added, in order, a chunk at a time (once)."""
        if self.pending:
            self._dump()
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)
            except EOFError:
                return

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> "Spill":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def big_cache(t: Ctx, mb: int = 64) -> None:
    """SQLite: a page cache of ``mb`` MB for this connection (default 2 MB), so the bulk inserts
    find the unique indexes' pages in memory: it shortens the time the write lock is held."""
    if t.s.bind.dialect.name == "sqlite":
        t.s.execute(text(f"PRAGMA cache_size = -{int(mb) * 1024}"))


CHUNK = 500


def existing_values(t: Ctx, column, other, values: list) -> list[tuple]:
    """Rows (column[, other]) whose column is one of ``values``, queried in chunks; ``other`` may
    be a tuple of columns."""
    wanted = sorted(set(values))
    out: list[tuple] = []
    cols = (column,) if other is None else (column, *other) if isinstance(other, tuple) else (column, other)
    for i in range(0, len(wanted), CHUNK):
        out.extend(tuple(row) for row in t.s.execute(select(*cols).where(column.in_(wanted[i:i + CHUNK]))))
    return out


class Bulk:
    """Many rows into one table: on SQLite straight to the driver's executemany (the statement
    built once, values already in SQLite's storage forms: :meth:`dt`, :meth:`day`), so a million
    rows cost no per-row SQLAlchemy work; elsewhere Core executemany (PostgreSQL batches it)."""

    def __init__(self, t: Ctx, table, columns: tuple[str, ...]) -> None:
        self.conn = t.s.connection()
        self.sqlite = t.s.bind.dialect.name == "sqlite"
        self.table, self.columns = table, columns
        self.sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                    if self.sqlite else None)

    def dt(self, value: datetime | None):
        """A datetime as SQLAlchemy's SQLite DateTime stores it (so it compares and reads back alike)."""
        if self.sqlite and value is not None:
            return value.isoformat(" ", "microseconds")
        return value

    def day(self, value: date | None):
        """A date as SQLAlchemy's SQLite Date stores it."""
        if self.sqlite and value is not None:
            return value.isoformat()
        return value

    def next_ids(self, n: int) -> range | None:
        """SQLite: the ids the next ``n`` rows will get, for rows written with their ``id`` (as SQLite
        itself numbers them: after the largest; the import's write lock keeps anyone else from
        inserting meanwhile), so the caller need not look them up again. None elsewhere: PostgreSQL
        numbers rows from a sequence."""
        if not self.sqlite:
            return None
        top = self.conn.exec_driver_sql(f"SELECT max(id) FROM {self.table.name}").scalar() or 0
        return range(top + 1, top + 1 + n)

    def __call__(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.sqlite:
            self.conn.exec_driver_sql(self.sql, rows)
        else:
            cols = self.columns
            self.conn.execute(insert(self.table), [dict(zip(cols, r)) for r in rows])


class gc_paused:
    """Python's cycle collector off while an import builds its million small objects (it would
    walk all of them again and again, for nothing: they hold no cycles); reference counting still
    frees everything. Back on, as it was, when the import ends."""

    def __enter__(self) -> None:
        import gc

        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        import gc

        if self.was:
            gc.enable()
