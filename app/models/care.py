"""The outbox of texts, contact notes and call-back tasks."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Message(Base):
    """One text to one phone. Written in the same transaction as its cause; ``dedupe_key`` is
    unique so no event can queue twice (e.g. ``ebill:sale:<id>``, ``birthday:<member>:2027``)."""
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("status IN ('queued','sending','sent','delivered','failed','unknown','cancelled')",
                        name="status"),
        CheckConstraint("category IN ('transactional','care','marketing')", name="category"),
        Index("ix_messages_status_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(32))          # ebill, birthday, campaign, winback, test…
    category: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8), default="zh_CN")
    body: Mapped[str] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class ContactNote(Base):
    __tablename__ = "contact_notes"
    __table_args__ = (CheckConstraint(
        "kind IN ('call','visit','text','complaint','suggestion')", name="kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(64), default="")
    next_contact_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)


class CallbackTask(Base):
    __tablename__ = "callback_tasks"
    __table_args__ = (CheckConstraint("status IN ('open','done','cancelled')", name="status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32), default="manual")
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("contact_notes.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
