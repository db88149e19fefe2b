"""Statements built once with SQLAlchemy Core and run straight on the session's DB-API connection.

The till's hot path (a checkout writes about ten rows) spends more time in SQLAlchemy's
per-statement work (execution context, parameter processing, result set-up: ~0.09 ms a statement)
than SQLite spends writing. A :class:`Prepared` statement is compiled once per dialect; a run
applies the same bind processors SQLAlchemy would (a datetime is stored in the same form) and hands
the SQL to the driver's cursor, so the SQL is the one SQLAlchemy would send (SQLite and psycopg
keep it prepared: sqlite3's statement cache, psycopg's automatic prepare).

It runs inside the session's own transaction (``t.s.connection()``), so it commits or rolls back
with everything else; a driver error is raised as SQLAlchemy's (``DBAPIError``), so a busy database
still ends the unit of work as ``Busy``. Engine events (``before_cursor_execute``) do not see these
statements: count them with the driver's own trace (``tests/test_checkout_statements.py``).
"""
from __future__ import annotations

from operator import itemgetter

from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.util import symbol


class Prepared:
    """One Core statement; ``keys``: an INSERT's columns, every one given on each run."""

    __slots__ = ("stmt", "keys", "_by_dialect")

    def __init__(self, stmt, keys: tuple[str, ...] | None = None) -> None:
        if isinstance(stmt, Insert) and not stmt._returning:
            stmt = stmt.inline()  # no implicit RETURNING of the key (PostgreSQL)
        self.stmt, self.keys = stmt, keys
        self._by_dialect: dict[str, tuple] = {}

    def _compiled(self, dialect) -> tuple:
        got = self._by_dialect.get(dialect.name)
        if got is None:
            c = self.stmt.compile(dialect=dialect, column_keys=list(self.keys) if self.keys else None)
            fixed = {k: v for k, v in c.construct_params(_check=False).items()  # literals (`>= 0`)
                     if v is not None and not isinstance(v, symbol)}
            for col in (*c.insert_prefetch, *c.update_prefetch):  # columns left to their Python default
                default = col.default if col in c.insert_prefetch else col.onupdate
                if default is None or not default.is_scalar:
                    raise TypeError(f"{col.table.name}.{col.key}: give it a value (its default is not a constant)")
                fixed[col.key] = default.arg
            procs = tuple(c._bind_processors.items())
            order = c.positiontup
            if order is None:          # named parameters (psycopg): the dict itself
                getter = None
            elif len(order) == 1:
                getter = (lambda key: lambda d: (d[key],))(order[0])
            else:
                getter = itemgetter(*order)
            got = (str(c), getter, fixed, procs)
            self._by_dialect[dialect.name] = got
        return got

    def _args(self, conn, params: dict):
        sql, getter, fixed, procs = self._compiled(conn.dialect)
        values = {**fixed, **params} if fixed or procs else params
        for name, proc in procs:
            v = values.get(name)
            if v is not None:
                values[name] = proc(v)
        return sql, (getter(values) if getter is not None else values)

    def run(self, conn, params: dict):
        """Execute once on ``conn`` (a SQLAlchemy Connection in a transaction); returns the cursor."""
        sql, args = self._args(conn, params)
        cur = conn.connection.dbapi_connection.cursor()
        try:
            cur.execute(sql, args)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, args, exc, conn.dialect.loaded_dbapi.Error) from exc
        return cur

    def row(self, conn, params: dict):
        """Execute and return the first row (or None), the cursor read to its end: a statement left
        open with rows to come would keep SQLite from committing."""
        rows = self.run(conn, params).fetchall()
        return rows[0] if rows else None

    def run_many(self, conn, rows: list[dict]) -> int:
        """executemany of ``rows`` (no RETURNING); returns the rows changed."""
        if not rows:
            return 0
        sql, _ = self._args(conn, rows[0])
        args = [self._args(conn, r)[1] for r in rows]
        cur = conn.connection.dbapi_connection.cursor()
        try:
            cur.executemany(sql, args)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, args, exc, conn.dialect.loaded_dbapi.Error) from exc
        return cur.rowcount

    def sql(self, dialect) -> str:
        return self._compiled(dialect)[0]
