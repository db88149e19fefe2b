"""Alembic environment. The app passes its engine in ``config.attributes['engine']``;
``alembic -x url=...`` works too for hand use."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from app.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = context.get_x_argument(as_dictionary=True).get("url")
        engine = create_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        if sqlite:
            # SQLite's own procedure for rebuilding a table others refer to (batch mode copies
            # ``sales`` and ``products``): foreign keys off outside the transaction, checked after.
            raw.execute("PRAGMA foreign_keys = OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
            compare_type=True,
        )
        fresh = context.get_context().get_current_revision() is None
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke {len(broken)} references: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys = ON")
    if fresh:
        # A database created from nothing: what this computer recorded about the audit chain of an
        # earlier database at the same path or URL does not apply to it (see app/services/base/audit.py).
        from app.services.base import audit

        audit.forget(engine.url.render_as_string(hide_password=False))


run_migrations_online()
