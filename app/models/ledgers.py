"""The stored-value and points ledgers. Rows are only ever added: corrections are new entries."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Amount, Base


class Topup(Base):
    """Money paid in for stored value, and the bonus the shop's rule added to it."""
    __tablename__ = "topups"
    __table_args__ = (CheckConstraint("status IN ('done','refunded')", name="status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount: Mapped[int] = mapped_column(Amount)
    bonus: Mapped[int] = mapped_column(Amount, default=0)
    pay_method: Mapped[str] = mapped_column(String(16))  # cash or card
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("topup_bonus_rules.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    till: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), default="done")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class WalletEntry(Base):
    """A movement of a member's stored value, paid principal and bonus kept apart."""
    __tablename__ = "wallet_entries"
    __table_args__ = (CheckConstraint(
        "kind IN ('opening','topup','spend','refund','adjustment','cashout','topup_refund')",
        name="kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    principal: Mapped[int] = mapped_column(Amount, default=0)  # signed change of paid principal
    bonus: Mapped[int] = mapped_column(Amount, default=0)      # signed change of bonus
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    topup_id: Mapped[int | None] = mapped_column(ForeignKey("topups.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class PointsEntry(Base):
    """A movement of a member's points. Credits carry the date they expire (FIFO consumption)."""
    __tablename__ = "points_entries"
    __table_args__ = (CheckConstraint(
        "kind IN ('opening','earn','redeem','expire','adjust','refund')", name="kind"),
        # Every entry of a member from the index alone (0015_eod_indexes): the expiry run's FIFO.
        Index("ix_points_entries_fifo", "member_id", "expires_on", "points"),
        # The credits by expiry date (0017_points_lapse_index): points lapsing in a window
        # (points.lapsing_between: the end-of-day report, care reminders) and each lapsing member's
        # later and never-expiring credits, from the index alone; the expiry days (expiry_dates_between).
        Index("ix_points_entries_lapse", "expires_on", "member_id", "points",
              sqlite_where=text("points > 0"), postgresql_where=text("points > 0")))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import that brought this row in (import_batches.id), for `shopcare import undo`.
    import_batch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    points: Mapped[int] = mapped_column(Amount)  # signed
    expires_on: Mapped[date | None] = mapped_column(Date)  # on credits, when the policy expires them
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class PointsLapse(Base):
    """The points lapsing per member in the report window after the day of the last expiry run
    (points.snapshot_lapsing): one row per member with some. A cache of the ledger, never a ledger:
    rewritten whole by each day's expiry run, and read (points.lapsing_summary) only while the
    ledger up to the entry it was taken at is unchanged; members with entries since are worked out
    live."""
    __tablename__ = "points_lapse"
    # The report's top of the list, most points first, off the index (read backwards).
    __table_args__ = (Index("ix_points_lapse_top", "points", "member_id"),)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    points: Mapped[int] = mapped_column(Amount)
