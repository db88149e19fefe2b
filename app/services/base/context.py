"""The small context every service call takes: database, acting staff member, till and clock.

``with ctx.tx() as t:`` opens one unit of work (or joins the caller's, so a batch job can run many
service calls in one transaction). Services return frozen dataclasses, never ORM objects.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Iterator, Protocol

from app.db import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Shop-local wall time, to the second (stored naive: the shop's own time zone)."""

    def now(self) -> datetime:
        return datetime.now().replace(microsecond=0)


@dataclass
class FixedClock:
    """A clock that only moves when told: tests, demo data and imports of history."""
    current: datetime

    def now(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``system`` is the command line and scheduled jobs (owner rights)."""
    id: int | None
    name: str
    role: str  # owner, manager, cashier, system


SYSTEM = Actor(None, "system", "system")


@dataclass(frozen=True)
class OwnerConfirmation:
    """The owner's password was typed (``auth.confirm_owner``) for ``actor``: the owner themselves, or
    a manager the owner approves. It holds only for that actor: a ctx that changes actor loses it."""
    owner_id: int | None
    owner_name: str
    actor: Actor


@dataclass
class Ctx:
    db: Database
    actor: Actor = SYSTEM
    till: str = "T1"
    clock: Clock = field(default_factory=SystemClock)
    session: Session | None = None
    owner_ok: OwnerConfirmation | None = None  # set by auth.confirm_owner, never by hand
    # A manager or owner who typed their PIN at this (cashier's) till for one action (auth.approve):
    # the actor stays the cashier, who did the work; the approver lends only their authority.
    approver: Actor | None = None

    @contextmanager
    def tx(self, write: bool = True, *, late: bool = False) -> Iterator[Ctx]:
        """A unit of work; joins the caller's when one is open. ``late``: a write that reads first
        and then calls ``write_lock()`` before its first write (see ``Database.session``)."""
        if self.session is not None:
            yield self
            return
        with self.db.session(write=write, late=late) as s:
            yield replace(self, session=s)

    def write_lock(self) -> None:
        """In ``tx(late=True)``: take the write lock before the first write (a no-op otherwise)."""
        self.db.write_lock(self.s)

    @property
    def s(self) -> Session:
        assert self.session is not None, "use inside ctx.tx()"
        return self.session

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().date()

    def as_actor(self, actor: Actor) -> Ctx:
        return replace(self, actor=actor)

    @property
    def owner_confirmed(self) -> bool:
        """Whether the owner's password was typed for the acting staff member."""
        return self.owner_ok is not None and self.owner_ok.actor == self.actor

    def without_owner(self) -> Ctx:
        return replace(self, owner_ok=None)
