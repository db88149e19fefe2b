"""SQL expressions that SQLite and PostgreSQL spell differently, compiled per dialect."""
from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float


class days_between(FunctionElement):  # noqa: N801 (reads like the SQL function it stands for)
    """``days_between(later, earlier)``: the days from ``earlier`` to ``later`` as a real number
    (date or datetime columns or values), so a filter on it runs in the database, not in Python."""
    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"(julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"


@compiles(days_between, "postgresql")
def _days_postgresql(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM (CAST({compiler.process(later, **kw)} AS TIMESTAMP) - "
            f"CAST({compiler.process(earlier, **kw)} AS TIMESTAMP))) / 86400.0)")
