"""The outbox of texts, contact notes and call-back tasks."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Amount, Base


class Message(Base):
    """One text to one phone. Written in the same transaction as its cause; ``dedupe_key`` is
    unique so no event can queue twice (e.g. ``ebill:sale:<id>``, ``birthday:<member>:2027``)."""
    __tablename__ = "messages"
    __table_args__ = (
        # held: a care text waiting for the owner's approval (Care › Today); the sender sends queued ones
        CheckConstraint("status IN ('held','queued','sending','sent','delivered','failed','unknown','cancelled')",
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
    # texts: the gateway's error code of the last failure (Twilio's, e.g. 21211, 30005), and when a
    # sender claimed the row (a row 'sending' long after that was interrupted: see sender.recover_stale).
    error_code: Mapped[str | None] = mapped_column(String(64))   # Tencent's are words: LimitExceeded.…
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # what the text was made of: {"kind": template kind, "values": {placeholder: text}}, JSON; None for a
    # text written by hand. A gateway of approved templates (Tencent) sends these instead of the body.
    template: Mapped[str | None] = mapped_column(Text)


class InboundMessage(Base):
    """A text a customer sent to the shop's number, fetched from the gateway once (unique ``provider_id``).
    ``action`` is what it did: stop (opted out), start (opted back in), score (a satisfaction score),
    balance (a balance query: answered at most once an hour), none (not understood: the shop reads it in
    Messages › Replies and marks it read, ``read_at``)."""
    __tablename__ = "inbound_messages"
    __table_args__ = (CheckConstraint("action IN ('stop','start','score','balance','none')", name="action"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    to_phone: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    action: Mapped[str] = mapped_column(String(8), default="none")
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class SatisfactionScore(Base):
    """A 1-5 reply to a satisfaction text: one score per satisfaction text."""
    __tablename__ = "satisfaction_scores"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


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
    resolution: Mapped[str | None] = mapped_column(Text)   # how a complaint was resolved (0004_campaigns)


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


# --- campaigns and the service knowledge base (migration 0004_campaigns) -----------------------------
class Campaign(Base):
    """A marketing text sent at once to the members a filter picked, with an optional e-voucher each.
    ``kind`` 'referral' is "bring a friend": the voucher is for a friend, and the member who passed
    it on gets ``referral_points`` when a new member naming them redeems it (ledger/referrals.py)."""
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("kind IN ('standard','referral')", name="kind"),
                      CheckConstraint("voucher_kind IN ('amount','percent') OR voucher_kind IS NULL",
                                      name="voucher_kind"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default="standard")
    filters: Mapped[str] = mapped_column(Text, default="{}")       # JSON of campaigns.Filters
    body: Mapped[str] = mapped_column(Text, default="")           # the shop's text ('' = the campaign template)
    voucher_kind: Mapped[str | None] = mapped_column(String(8))
    voucher_value: Mapped[int | None] = mapped_column(Amount)    # minor units, or basis points for percent
    voucher_min_spend: Mapped[int] = mapped_column(Amount, default=0)
    voucher_expires_on: Mapped[date | None] = mapped_column(Date)
    referral_points: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # a retried send returns this one
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Written in chunks (care/campaigns.py): the recipients picked once (ids, comma separated), how many
    # of them the committed chunks covered, 'sending' until the last chunk ('sent' then), and whether
    # its texts wait for approval (decided when it started). A 'sending' campaign resumes at ``done``.
    status: Mapped[str] = mapped_column(String(8), default="sent", server_default="sent")
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    picked: Mapped[str | None] = mapped_column(Text)


class CampaignRecipient(Base):
    """One member a campaign reached: their text and voucher; for bring a friend, when they were credited."""
    __tablename__ = "campaign_recipients"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"), unique=True)
    credited_sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"))
    credited_at: Mapped[datetime | None] = mapped_column(DateTime)


class KbArticle(Base):
    """A short service article (product care, policy, a common answer, a typical case). ``search_text``
    is title, body and tags casefolded, so one LIKE finds English in any case and Chinese as typed."""
    __tablename__ = "kb_articles"
    __table_args__ = (CheckConstraint("source IN ('manual','case','seed')", name="source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(200), default="")    # space separated
    search_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(8), default="manual")
    note_id: Mapped[int | None] = mapped_column(ForeignKey("contact_notes.id"), unique=True)  # a typical case
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
