"""The call-back list and service records: tasks to call, visit or hand over a gift (from the care
rules, source 'tier_care' / 'gift' / 'winback', or added by hand), and contact notes (call, visit,
text, complaint, suggestion) with an outcome and the next contact date.

Completing a task writes its note; a next contact date makes the next task (source 'follow_up').
A complaint stays open until ``resolve_complaint`` records how it was resolved; the till's member
bar shows a member's open complaints. A note of kind 'text' may also be sent to the member as a
care text (the outbox, key ``note:<id>``), with the shop's signature and opt-out line.
Completing, cancelling and resolving are audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from app import i18n
from app.errors import Conflict, NotFound, ValidationError
from app.i18n import NC_
from app.models import CallbackTask, ContactNote, Member, Staff
from app.services.base import audit, permissions, phones
from app.services.texts import outbox, templates
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.members.members import live_row
from app.services.base.text_rules import check_text

NOTE_KINDS = ("call", "visit", "text", "complaint", "suggestion")
MAX_NOTE, MAX_OUTCOME, MAX_REASON = 2000, 64, 500
STATUS_NAMES = {"done": NC_("task_status:done", "done"), "cancelled": NC_("task_status:cancelled", "cancelled")}


@dataclass(frozen=True)
class TaskView:
    id: int
    member_id: int
    member_name: str
    masked_phone: str
    due_on: date
    reason: str
    source: str            # manual, follow_up, tier_care, gift, winback
    status: str
    created_at: datetime
    done_at: datetime | None
    note_id: int | None
    open_complaint: bool   # the member has an open complaint


@dataclass(frozen=True)
class NoteView:
    id: int
    member_id: int
    member_name: str
    kind: str
    body: str
    outcome: str
    staff: str
    next_contact_on: date | None
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None

    @property
    def open_complaint(self) -> bool:
        return self.kind == "complaint" and self.resolved_at is None


@dataclass(frozen=True)
class Completed:
    task: TaskView
    note: NoteView
    next_task: TaskView | None
    message_id: int | None = None


# --- views ---------------------------------------------------------------------------------------
def _complainers(t: Ctx, member_ids: set[int]) -> set[int]:
    if not member_ids:
        return set()
    return set(t.s.execute(select(ContactNote.member_id).where(
        ContactNote.member_id.in_(member_ids), ContactNote.kind == "complaint",
        ContactNote.resolved_at.is_(None))).scalars())


def _task_views(t: Ctx, rows: list[CallbackTask]) -> list[TaskView]:
    ids = {r.member_id for r in rows}
    people = {m.id: m for m in t.s.execute(select(Member).where(Member.id.in_(ids))).scalars()} if ids else {}
    sore = _complainers(t, ids)
    return [TaskView(id=r.id, member_id=r.member_id, member_name=people[r.member_id].name,
                     masked_phone=phones.mask(people[r.member_id].phone), due_on=r.due_on, reason=r.reason,
                     source=r.source, status=r.status, created_at=r.created_at, done_at=r.done_at, note_id=r.note_id,
                     open_complaint=r.member_id in sore) for r in rows]


def _note_view(t: Ctx, n: ContactNote) -> NoteView:
    staff = t.s.get(Staff, n.staff_id).name if n.staff_id else ""
    name = t.s.get(Member, n.member_id).name
    return NoteView(id=n.id, member_id=n.member_id, member_name=name, kind=n.kind, body=n.body, outcome=n.outcome or "",
                    staff=staff, next_contact_on=n.next_contact_on, created_at=n.created_at, resolved_at=n.resolved_at,
                    resolution=n.resolution)


# --- tasks ---------------------------------------------------------------------------------------
def open_tasks(ctx: Ctx, *, until: date | None = None, source: str | None = None,
               member_id: int | None = None) -> list[TaskView]:
    """Open tasks by due date (overdue first), optionally up to ``until``, of one source or member."""
    with ctx.tx(write=False) as t:
        q = select(CallbackTask).where(CallbackTask.status == "open")
        if until is not None:
            q = q.where(CallbackTask.due_on <= until)
        if source is not None:
            q = q.where(CallbackTask.source == source)
        if member_id is not None:
            q = q.where(CallbackTask.member_id == member_id)
        return _task_views(t, list(t.s.execute(q.order_by(CallbackTask.due_on, CallbackTask.id)).scalars()))


def member_tasks(t: Ctx, member_id: int, limit: int = 200) -> list[TaskView]:
    """Every task of a member, open ones first, newest due first (the member page)."""
    rows = t.s.execute(select(CallbackTask).where(CallbackTask.member_id == member_id)
                       .order_by((CallbackTask.status == "open").desc(), CallbackTask.due_on.desc(),
                                 CallbackTask.id.desc()).limit(limit)).scalars().all()
    return _task_views(t, list(rows))


def _reason(reason: str) -> str:
    reason = check_text(reason, "reason", multiline=True).strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationError("task_reason_invalid", max=MAX_REASON)
    return reason


def add_task(ctx: Ctx, member_id: int, due_on: date, reason: str, *, source: str = "manual") -> TaskView:
    """A call-back task added by hand."""
    permissions.require(ctx, "edit_member")
    reason = _reason(reason)
    with ctx.tx() as t:
        live_row(t, member_id)  # no new call-backs about an erased member
        if due_on < t.today():
            raise ValidationError("task_due_invalid", date=due_on.isoformat())
        row = CallbackTask(member_id=member_id, due_on=due_on, reason=reason, source=source, status="open",
                           assigned_staff_id=t.actor.id, created_at=t.now())
        t.s.add(row)
        t.s.flush()
        return _task_views(t, [row])[0]


def _open_task(t: Ctx, task_id: int) -> CallbackTask:
    row = t.s.get(CallbackTask, task_id)
    if row is None:
        raise NotFound("task_not_found", id=task_id)
    if row.status != "open":
        raise Conflict("task_not_open", id=task_id,
                       status=i18n.Lazy(STATUS_NAMES.get(row.status, row.status), "task_status:" + row.status))
    return row


def complete_task(ctx: Ctx, task_id: int, *, kind: str, body: str, outcome: str = "",
                  next_contact_on: date | None = None, send_text: bool = False) -> Completed:
    """Tick off a task with the note of what was done; a next contact date makes the next task."""
    permissions.require(ctx, "edit_member")
    with ctx.tx() as t:
        task = _open_task(t, task_id)
        note, nxt, msg_id = _write_note(t, task.member_id, kind, body, outcome, next_contact_on, send_text)
        task.status, task.done_at, task.note_id = "done", t.now(), note.id
        t.s.flush()
        audit.record(t, "task.complete", "callback_task", task.id,
                     after={"note": note.id, "outcome": note.outcome, "next_task": nxt.id if nxt else None})
        return Completed(task=_task_views(t, [task])[0], note=_note_view(t, note),
                         next_task=_task_views(t, [nxt])[0] if nxt else None, message_id=msg_id)


def cancel_task(ctx: Ctx, task_id: int, reason: str) -> TaskView:
    permissions.require(ctx, "edit_member")
    reason = _reason(reason)
    with ctx.tx() as t:
        task = _open_task(t, task_id)
        task.status, task.done_at = "cancelled", t.now()
        audit.record(t, "task.cancel", "callback_task", task.id, before={"status": "open"},
                     after={"status": "cancelled"}, reason=reason)
        t.s.flush()
        return _task_views(t, [task])[0]


# --- notes ---------------------------------------------------------------------------------------
def _write_note(t: Ctx, member_id: int, kind: str, body: str, outcome: str, next_contact_on: date | None,
                send_text: bool) -> tuple[ContactNote, CallbackTask | None, int | None]:
    if kind not in NOTE_KINDS:
        raise ValidationError("note_kind_invalid", kind=kind, kinds=", ".join(NOTE_KINDS))
    body = check_text(body, "note", multiline=True).strip()
    outcome = check_text(outcome, "outcome", multiline=True).strip()
    if not body or len(body) > MAX_NOTE:
        raise ValidationError("note_body_invalid", max=MAX_NOTE)
    if len(outcome) > MAX_OUTCOME:
        raise ValidationError("note_outcome_too_long", max=MAX_OUTCOME)
    if next_contact_on is not None and next_contact_on <= t.today():
        raise ValidationError("next_contact_past", date=next_contact_on.isoformat())
    m = live_row(t, member_id)  # no new notes about an erased member
    note = ContactNote(member_id=member_id, staff_id=t.actor.id, kind=kind, body=body, outcome=outcome,
                       next_contact_on=next_contact_on, created_at=t.now())
    t.s.add(note)
    t.s.flush()
    cfg = shop_settings.load(t)
    nxt = None
    if next_contact_on is not None:
        head = body if len(body) <= 60 else body[:59] + "…"
        nxt = CallbackTask(member_id=member_id, due_on=next_contact_on, source="follow_up", status="open",
                           reason=i18n.T_(cfg.language, "Follow up: {note}", note=head), assigned_staff_id=t.actor.id,
                           dedupe_key=f"follow_up:note:{note.id}", created_at=t.now())
        t.s.add(nxt)
        t.s.flush()
    msg_id = None
    if send_text and kind == "text":
        msg = outbox.enqueue(t, m, kind="service", category="care", body=templates.sign(cfg, cfg.language, body),
                             dedupe_key=f"note:{note.id}", lang=cfg.language, fresh=True)
        msg_id = msg.id if msg else None
    if kind == "complaint":
        audit.record(t, "complaint.open", "contact_note", note.id, after={"member": member_id})
    return note, nxt, msg_id


def add_note(ctx: Ctx, member_id: int, *, kind: str, body: str, outcome: str = "",
             next_contact_on: date | None = None, send_text: bool = False) -> NoteView:
    """A contact note typed by hand (no task); a next contact date makes a task."""
    permissions.require(ctx, "edit_member")
    with ctx.tx() as t:
        note, nxt, _msg = _write_note(t, member_id, kind, body, outcome, next_contact_on, send_text)
        return _note_view(t, note)


def notes_for(ctx: Ctx, member_id: int, limit: int = 200) -> list[NoteView]:
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(ContactNote).where(ContactNote.member_id == member_id)
                           .order_by(ContactNote.created_at.desc(), ContactNote.id.desc()).limit(limit)).scalars()
        return [_note_view(t, n) for n in rows]


# --- complaints ----------------------------------------------------------------------------------
def open_complaint_count(t: Ctx, member_id: int) -> int:
    """How many of a member's complaints are still open (the till's badge); joins the caller's unit."""
    return t.s.execute(select(func.count()).select_from(ContactNote).where(
        ContactNote.member_id == member_id, ContactNote.kind == "complaint",
        ContactNote.resolved_at.is_(None))).scalar()


def open_complaints(ctx: Ctx, member_id: int | None = None) -> list[NoteView]:
    with ctx.tx(write=False) as t:
        q = select(ContactNote).where(ContactNote.kind == "complaint", ContactNote.resolved_at.is_(None))
        if member_id is not None:
            q = q.where(ContactNote.member_id == member_id)
        return [_note_view(t, n) for n in t.s.execute(q.order_by(ContactNote.created_at)).scalars()]


def resolve_complaint(ctx: Ctx, note_id: int, resolution: str) -> NoteView:
    """Close a complaint with how it was resolved (manager or owner; audited)."""
    permissions.require(ctx, "resolve_complaint")
    resolution = check_text(resolution, "resolution", multiline=True).strip()
    if not resolution:
        raise ValidationError("resolution_empty")
    if len(resolution) > MAX_NOTE:
        raise ValidationError("note_body_invalid", max=MAX_NOTE)
    with ctx.tx() as t:
        n = t.s.get(ContactNote, note_id)
        if n is None or n.kind != "complaint":
            raise NotFound("complaint_not_found", id=note_id)
        if n.resolved_at is not None:
            raise Conflict("complaint_resolved", id=note_id)
        n.resolved_at, n.resolution = t.now(), resolution
        t.s.flush()
        audit.record(t, "complaint.resolve", "contact_note", n.id, before={"resolved_at": None},
                     after={"resolved_at": n.resolved_at, "resolution": resolution})
        return _note_view(t, n)
