"""Declarative base with one naming convention for constraints (alembic batch mode needs names)."""
from __future__ import annotations

from sqlalchemy import BigInteger, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Money and points: whole numbers only (minor units), never decimal or floating-point column types (SQLite would keep them as floats).
Amount = BigInteger


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
