"""A read's floor: the statements an app call ran, captured from its engine, replayed on raw sqlite3.

    statements = captured(db, lambda: find_members(ctx, "1234"))
    ms = timed(lambda: replay(raw, statements))

The app's call and the raw replay then read the same rows with the same SQL and plans: what is left
between them is Python (SQLAlchemy, the service, result mapping).
"""
from __future__ import annotations

import time


def captured(db, call) -> list[tuple[str, tuple]]:
    """The statements (and parameters) ``call`` runs on the app's read engine."""
    from sqlalchemy import event

    seen: list[tuple[str, tuple]] = []

    def grab(_conn, _cursor, statement, parameters, *_args) -> None:
        seen.append((statement, tuple(parameters)))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    return [(s, p) for s, p in seen if not s.startswith(("BEGIN", "PRAGMA"))]


def replay(raw, statements) -> None:
    """Run ``statements`` on the raw connection ``raw``, one read transaction, every row fetched."""
    cur = raw.cursor()
    cur.execute("BEGIN")
    for sql, params in statements:
        cur.execute(sql, params).fetchall()
    cur.execute("COMMIT")


def timed(fn) -> float:
    """Milliseconds ``fn()`` takes."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]
