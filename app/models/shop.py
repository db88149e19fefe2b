"""Shop settings, tills, staff, tiers and top-up bonus rules."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Amount, Base


class Setting(Base):
    """One shop setting; ``value`` is JSON text. Typed access lives in services/settings.py."""
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Till(Base):
    """A till (checkout station). Receipt numbers are ``<code>-<seq>``, unique per till."""
    __tablename__ = "tills"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    last_receipt_seq: Mapped[int] = mapped_column(Integer, default=0)


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("role IN ('owner','manager','cashier')", name="role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The owner's password (owners only; asked for exports, adjustments and settings) and its lockout.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    password_locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class Tier(Base):
    """A member tier. Upgrades follow cumulative spend (``min_spend``) or the VIP rule in settings."""
    __tablename__ = "tiers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_en: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    min_spend: Mapped[int | None] = mapped_column(Amount)  # None: reached only by the VIP rule or by hand
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points off, 500 = 5% off
    points_multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)


class TopupBonusRule(Base):
    """Top up at least ``min_amount``, get ``bonus`` added as bonus stored value (the best rule wins)."""
    __tablename__ = "topup_bonus_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    min_amount: Mapped[int] = mapped_column(Amount)
    bonus: Mapped[int] = mapped_column(Amount)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class AuditLog(Base):
    """Append-only record of sensitive actions (who, which till, what, before/after, why)."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    till: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class ImportBatch(Base):
    """One import (members, sales or products): who, when, which file, what it counted, and
    whether it was undone. Every row an import writes carries its ``import_batch_id``."""
    __tablename__ = "import_batches"
    __table_args__ = (
        CheckConstraint("kind IN ('members','sales','products')", name="kind"),
        CheckConstraint("status IN ('running','done','undone','failed')", name="status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    file: Mapped[str] = mapped_column(String(255))           # the file's name, not its folder
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[str] = mapped_column(Text, default="{}")   # JSON: imported, skipped, rejected, ...
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class ImportChange(Base):
    """A row an import with ``--update`` changed: its values before, so an undo can put them back."""
    __tablename__ = "import_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    entity: Mapped[str] = mapped_column(String(32))          # table name: members, products, ...
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[str] = mapped_column(Text)                 # JSON of the columns the import changed
