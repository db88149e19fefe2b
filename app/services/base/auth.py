"""Staff and their PINs (argon2), login with lockout, a manager's approval at a cashier's till, and
the owner's password (argon2, with its own lockout) that exports, balance adjustments and settings
ask for (``confirm_owner``; enforced in ``permissions.require``)."""
from __future__ import annotations


import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from app.errors import Duplicate, NotFound, PermissionDenied, ShopError, ValidationError
from app.i18n import L_
from app.models import Staff
from app.services.base import audit, permissions
from app.services.base.permissions import has_owner_password, password_owners  # noqa: F401 (has_owner_password: auth's API too)
from app.services.base.context import Actor, Ctx, OwnerConfirmation
from app.services.base.text_rules import check_line, check_text, column_max

ROLES = ("owner", "manager", "cashier")
LOCK_AFTER = 5
_hasher = PasswordHasher()
_PIN = re.compile(r"^[0-9]{4,8}$", re.ASCII)


# What login verifies when the name is unknown: an argon2 hash, made with the hasher's own
# parameters, of a random secret nobody kept (never equal to a PIN), so an unknown name costs one
# argon2 verify like a wrong PIN, and the two answer alike. A constant rather than hashed at run
# time: hashing costs ~0.1 s of CPU that the till's start would share with the login's own verify.
# tests/test_auth.py checks that its parameters are the hasher's; regenerate it if they change.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$9Lu6kI6v4X7sw6jMjcJfLA$B7rf/gF9Zfe9YdhdjrjArliMMEVTZ0vyJoz1DWXiFpg"


def dummy_hash() -> str:
    return DUMMY_HASH


# The owner's password: long enough, and not a PIN (digits only), so that knowing the owner's PIN,
# which is typed at the till in view of others, is not enough to export, adjust or change settings.
PASSWORD_MIN = 8
PASSWORD_MAX = 128
PASSWORD_LOCK_AFTER = 5
PASSWORD_LOCK_MINUTES = 15


@dataclass(frozen=True)
class StaffView:
    id: int
    name: str
    role: str
    active: bool
    locked: bool
    has_password: bool = False  # an owner who has set the owner's password


def _view(s: Staff) -> StaffView:
    return StaffView(s.id, s.name, s.role, s.active, s.failed_logins >= LOCK_AFTER, s.password_hash is not None)


def normal_pin(pin: object) -> str:
    """A PIN as typed, made what is stored and checked: NFKC (full-width "１２３４" is "1234") and
    surrounding whitespace dropped (a trailing newline from a paste or a script)."""
    return unicodedata.normalize("NFKC", pin).strip() if isinstance(pin, str) else ""


def _check_pin(pin: str) -> str:
    """The PIN to hash: ASCII digits only after normalising, 4 to 8 of them."""
    text = normal_pin(pin)
    if not _PIN.match(text):
        raise ValidationError("pin_invalid")
    return text


def staff_name(name: object) -> str:
    """A staff name: NFKC, spaces folded, the rules of every name people type (app.services.base.text_rules)."""
    text = " ".join(unicodedata.normalize("NFKC", check_line(name, "staff_name")).split())
    if not text:
        raise ValidationError("name_empty")
    return check_text(text, "staff_name", max_len=column_max(Staff.name), required=True)


def add_staff(ctx: Ctx, name: str, role: str, pin: str) -> StaffView:
    """Add a staff member. The very first staff member (the owner at set-up) needs no rights."""
    if role not in ROLES:
        raise ValidationError("role_invalid", role=role)
    text = staff_name(name)
    pin = _check_pin(pin)
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
    """The staff member for this name and PIN; locks after repeated wrong PINs (owner unlocks).

    An unknown name and a wrong PIN get the same answer (``pin_wrong``) after the same work (one
    argon2 verify, against a dummy hash for an unknown name): neither the message nor the time tells
    which names exist."""
    key = " ".join(unicodedata.normalize("NFKC", name).split()) if isinstance(name, str) else ""
    typed = normal_pin(pin)
    with ctx.tx() as t:
        row = t.s.execute(select(Staff).where(Staff.name == key, Staff.active.is_(True))).scalar() if key else None
        if row is None:
            _matches(dummy_hash(), typed)
            raise PermissionDenied("pin_wrong")
        if row.failed_logins >= LOCK_AFTER:
            raise PermissionDenied("staff_locked", name=row.name)
        try:
            _hasher.verify(row.pin_hash or "", typed)
        except (VerificationError, InvalidHashError):
            row.failed_logins += 1
            audit.record(t, "staff.login_failed", "staff", row.id)
            wrong = PermissionDenied("pin_wrong")
        else:
            row.failed_logins = 0
            return Actor(row.id, row.name, row.role)
    raise wrong  # raised after the commit, so the failed try is counted


def approve(ctx: Ctx, name: str, pin: str, action: str) -> Ctx:
    """A manager's or owner's PIN typed at a cashier's till: ``ctx`` still acting as the cashier,
    carrying the approver (``ctx.approver``) whose role may do ``action``. The approval is audited,
    and a wrong PIN counts toward the approver's lockout like a wrong login."""
    approver = login(ctx, name, pin)
    if not permissions.allowed(replace(ctx, actor=approver, approver=None), action):
        raise PermissionDenied("approval_required", action=permissions.action_name(action))
    with ctx.tx() as t:
        audit.record(t, "staff.approved", "staff", approver.id,
                     after={"action": action, "approver": approver.name, "for": ctx.actor.name})
    return replace(ctx, approver=approver, owner_ok=None)


def approvers(ctx: Ctx, action: str) -> list[StaffView]:
    """The active staff whose role may approve ``action`` (managers, owners), for the till's picker:
    any signed-in staff member may see these names (the login screen shows every name anyway)."""
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name)).scalars()
        return [_view(s) for s in rows
                if permissions.allowed(replace(ctx, actor=Actor(s.id, s.name, s.role), approver=None), action)]


def list_staff(ctx: Ctx) -> list[StaffView]:
    """Everyone (the login screen asks as the system, before anyone has logged in)."""
    permissions.require(ctx, "view_staff")
    with ctx.tx(write=False) as t:
        return [_view(s) for s in t.s.execute(select(Staff).order_by(Staff.name)).scalars()]


# --- the owner's password --------------------------------------------------------------------------
def check_owner_password(password: str, pin: str | None = None) -> str:
    """Refuse a password that is short, too long, digits only (a PIN) or the PIN itself."""
    text = unicodedata.normalize("NFKC", password) if isinstance(password, str) else ""
    if pin is not None and text.strip() == normal_pin(pin):
        raise ValidationError("owner_password_is_pin")
    check_text(text, "password")
    # counted without the surrounding spaces: ten spaces, or "  abc   " padded to length, is no password
    if len(text.strip()) < PASSWORD_MIN:
        raise ValidationError("owner_password_short", min=PASSWORD_MIN)
    if len(text) > PASSWORD_MAX:
        raise ValidationError("owner_password_long", max=PASSWORD_MAX)
    if re.sub(r"\s", "", text).isdigit():
        raise ValidationError("owner_password_digits")
    return text


def _password_matches(hashed: str | None, typed: str) -> bool:
    """A typed owner's password against its hash: NFKC, as ``check_owner_password`` stored it (and as
    typed, for a password set before passwords were normalised)."""
    text = unicodedata.normalize("NFKC", typed) if isinstance(typed, str) else ""
    return _matches(hashed, text) or (text != typed and _matches(hashed, typed))


def _matches(hashed: str | None, secret: str) -> bool:
    try:
        return bool(hashed) and _hasher.verify(hashed, secret or "")
    except (VerificationError, InvalidHashError):
        return False


def _locked_until(rows: list[Staff], now: datetime) -> datetime | None:
    until = [r.password_locked_until for r in rows if r.password_locked_until and now < r.password_locked_until]
    return min(until) if until else None


def _locked_error(until: datetime) -> PermissionDenied:
    return PermissionDenied("owner_password_locked", until=until.strftime("%H:%M"))


def _count_wrong(t: Ctx, rows: list[Staff]) -> PermissionDenied:
    """One more wrong try on each of ``rows``; the refusal to raise once it is committed."""
    now = t.now()
    for r in rows:
        r.password_failed = (r.password_failed or 0) + 1
        if r.password_failed >= PASSWORD_LOCK_AFTER:
            r.password_locked_until = now + timedelta(minutes=PASSWORD_LOCK_MINUTES)
    audit.record(t, "staff.owner_password_failed", "staff", rows[0].id if len(rows) == 1 else None,
                 after={"by": t.actor.name, "tries": max(r.password_failed for r in rows)})
    left = PASSWORD_LOCK_AFTER - max(r.password_failed for r in rows)
    if left <= 0:
        return _locked_error(_locked_until(rows, now) or now)
    return PermissionDenied("owner_password_wrong", left=left)


def confirm_owner(ctx: Ctx, password: str) -> Ctx:
    """The owner's password typed (any active owner's): ``ctx`` carrying that confirmation, for its
    own actor only (the owner, or a manager the owner approves). Wrong tries are counted and audited;
    after PASSWORD_LOCK_AFTER of them the password is refused for PASSWORD_LOCK_MINUTES."""
    wrong: ShopError
    with ctx.tx() as t:
        rows = password_owners(t)
        if not rows:
            raise PermissionDenied("owner_password_unset")
        until = _locked_until(rows, t.now())
        if until is not None:
            raise _locked_error(until)
        for r in rows:
            if _password_matches(r.password_hash, password):
                r.password_failed, r.password_locked_until = 0, None
                audit.record(t, "staff.owner_confirmed", "staff", r.id, after={"for": ctx.actor.name})
                return replace(ctx, owner_ok=OwnerConfirmation(r.id, r.name, ctx.actor))
        wrong = _count_wrong(t, rows)
    raise wrong  # after the commit, so the wrong try is counted


def set_owner_password(ctx: Ctx, new: str, old: str | None = None, *, staff_id: int | None = None) -> StaffView:
    """Set or change an owner's password (never audited with the password itself).

    An owner sets their own: changing one needs the old one (a wrong old one counts as a wrong try);
    the first one needs nothing more than the owner's PIN login, unless another owner already has a
    password, whose confirmation (``confirm_owner``) it then needs. ``system`` (the command line, on
    the shop's own computer) names the owner by ``staff_id`` (default: the only active owner) and may
    set a new password without the old one: the way back from a forgotten password."""
    role = ctx.actor.role
    if role not in ("owner", "system"):
        raise PermissionDenied("owner_password_owner_only")
    wrong: ShopError | None
    with ctx.tx() as t:
        if role == "owner":
            if staff_id is not None and staff_id != ctx.actor.id:
                raise PermissionDenied("owner_password_owner_only")
            staff_id = ctx.actor.id
        elif staff_id is None:
            owners = list(t.s.execute(select(Staff.id).where(Staff.role == "owner", Staff.active.is_(True)))
                          .scalars())
            if len(owners) != 1:
                raise NotFound("staff_not_found", key=L_("owner"))
            staff_id = owners[0]
        row = t.s.get(Staff, staff_id) if staff_id is not None else None
        if row is None:
            raise NotFound("staff_not_found", key=staff_id)
        if row.role != "owner" or not row.active:
            raise PermissionDenied("owner_password_owner_only")
        if _matches(row.pin_hash, normal_pin(new)):
            raise ValidationError("owner_password_is_pin")
        text = check_owner_password(new)
        first = row.password_hash is None
        wrong = None
        if role == "owner" and not first:
            if not old:
                raise PermissionDenied("owner_password_old_required")
            until = _locked_until([row], t.now())
            if until is not None:
                raise _locked_error(until)
            if not _password_matches(row.password_hash, old):
                wrong = _count_wrong(t, [row])
        elif role == "owner" and not ctx.owner_confirmed and any(r.id != row.id for r in password_owners(t)):
            raise PermissionDenied("owner_password_required", action=L_("set an owner's password"))
        if wrong is None:
            row.password_hash = _hasher.hash(text)
            row.password_failed, row.password_locked_until = 0, None
            audit.record(t, "staff.owner_password_set" if first else "staff.owner_password_change", "staff",
                         row.id, after={"by": ctx.actor.name})
            return _view(row)
    assert wrong is not None
    raise wrong  # after the commit, so the wrong old password is counted
