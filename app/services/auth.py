"""Staff and their PINs (argon2), login with lockout, and a manager's approval at a cashier's till."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from app.errors import Duplicate, NotFound, PermissionDenied, ValidationError
from app.models import Staff
from app.services import audit, permissions
from app.services.context import Actor, Ctx

ROLES = ("owner", "manager", "cashier")
LOCK_AFTER = 5
_hasher = PasswordHasher()
_PIN = re.compile(r"^\d{4,8}$")


@dataclass(frozen=True)
class StaffView:
    id: int
    name: str
    role: str
    active: bool
    locked: bool


def _view(s: Staff) -> StaffView:
    return StaffView(s.id, s.name, s.role, s.active, s.failed_logins >= LOCK_AFTER)


def _check_pin(pin: str) -> str:
    if not _PIN.match(pin or ""):
        raise ValidationError("pin_invalid")
    return pin


def add_staff(ctx: Ctx, name: str, role: str, pin: str) -> StaffView:
    """Add a staff member. The very first staff member (the owner at set-up) needs no rights."""
    if role not in ROLES:
        raise ValidationError("role_invalid", role=role)
    text = " ".join((name or "").split())
    if not text:
        raise ValidationError("name_empty")
    _check_pin(pin)
    with ctx.tx() as t:
        if t.s.execute(select(Staff.id).limit(1)).first() is not None:
            permissions.require(t, "manage_staff")
        if t.s.execute(select(Staff.id).where(Staff.name == text)).first():
            raise Duplicate("staff_duplicate", name=text)
        row = Staff(name=text, role=role, pin_hash=_hasher.hash(pin), active=True, failed_logins=0,
                    created_at=t.now())
        t.s.add(row)
        t.s.flush()
        audit.record(t, "staff.add", "staff", row.id, after={"name": text, "role": role})
        return _view(row)


def login(ctx: Ctx, name: str, pin: str) -> Actor:
    """The staff member for this name and PIN; locks after repeated wrong PINs (owner unlocks)."""
    with ctx.tx() as t:
        row = t.s.execute(select(Staff).where(Staff.name == (name or "").strip(), Staff.active.is_(True))).scalar()
        if row is None:
            raise NotFound("staff_not_found", key=name)
        if row.failed_logins >= LOCK_AFTER:
            raise PermissionDenied("staff_locked", name=row.name)
        try:
            _hasher.verify(row.pin_hash or "", pin or "")
        except (VerificationError, InvalidHashError):
            row.failed_logins += 1
            audit.record(t, "staff.login_failed", "staff", row.id)
            wrong = PermissionDenied("pin_wrong")
        else:
            row.failed_logins = 0
            return Actor(row.id, row.name, row.role)
    raise wrong  # raised after the commit, so the failed try is counted


def approve(ctx: Ctx, name: str, pin: str, action: str) -> Ctx:
    """A manager's or owner's PIN typed at a cashier's till: a ctx acting as that approver."""
    approver = login(ctx, name, pin)
    approved = replace(ctx, actor=approver)
    if not permissions.allowed(approved, action):
        en, zh = permissions.ACTION_NAMES.get(action, (action, action))
        raise PermissionDenied("approval_required", action=en, action_zh=zh)
    return approved


def list_staff(ctx: Ctx) -> list[StaffView]:
    with ctx.tx(write=False) as t:
        return [_view(s) for s in t.s.execute(select(Staff).order_by(Staff.name)).scalars()]
