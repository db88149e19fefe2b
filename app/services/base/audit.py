"""The audit log: who did what, on which till, before and after, and why.

Each row carries the previous row's hash, and its own hash is an HMAC-SHA256 of its content and that
previous hash, under a key kept OUTSIDE the database: the OS keyring when there is one, else
``config_dir()/audit.key`` (0600), created on first use; ``SHOPCARE_AUDIT_KEY`` (hex) overrides both.
Several tills sharing one database share one key: the owner shows it on one till (``export_key``) and
types it on the others (``import_key``, which proves it against the rows first; see its docstring for
how the rows a till signed with its own key before stay verifiable). Someone holding only the
database file cannot recompute a chain they edited.

Truncation needs more than a key (deleting the newest rows leaves a valid chain), so after every
commit that adds audit rows this process records, in a small 0600 file in the data dir, named per
database (SQLite file path or PostgreSQL URL), how many rows the chain had up to the row it wrote
and that row's hash. A till can only vouch for what it has seen; the rule ``check`` applies is
simple and sound with several tills: the rows up to the recorded id are exactly the recorded count
and the row at that id has the recorded hash. The record only moves forward from a chain that is
still consistent with it (a truncated chain never gets blessed by the next audited action); a
restore (which verifies the restored chain first) and the creation of a fresh database reset it.

Rows written before keying (plain SHA-256, by ShopCare up to schema 0007_owner_password) are kept as they are, not
re-keyed: re-keying would launder a chain that was already tampered with, and it would need the
triggers dropped. They are verified with the old digest, and only as the chain's PREFIX: once a
keyed row appears every later row must be keyed, and the first keyed row's HMAC covers the last
plain hash, so editing the old rows breaks the chain too. A chain rewritten entirely in plain
SHA-256 is caught by the recorded head (a keyed hash).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Integer, String, Text, column, event, func, select, table, text
from sqlalchemy.engine import make_url

from app import paths
from app.services.base.context import Ctx

if TYPE_CHECKING:
    from app.models import AuditLog

# The audit log as read here (a Core table: the columns of app.models.AuditLog). Verifying the chain
# (``shopcare check``) then needs neither the models' import nor the mappers' set-up (~0.2 s of a
# process); only writing a row imports the model.
_LOG = table("audit_log", column("id", Integer), column("at", DateTime), column("staff_id", Integer),
             column("till", String), column("action", String), column("entity", String),
             column("entity_id", String), column("before", Text), column("after", Text),
             column("reason", Text), column("prev_hash", String), column("hash", String))

log = logging.getLogger(__name__)

AUDIT_LOCK = 0x5C_A0D1  # the advisory lock key that orders the audit chain on PostgreSQL
KEY_ENV = "SHOPCARE_AUDIT_KEY"
KEY_FILE = "audit.key"
KEYRING_USER = "audit_chain_key"
STATE_DIR = "audit-state"
# The triggers of migration 0006 that make audit_log append-only.
SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")
PG_TRIGGER = "audit_log_append_only"


# --- the key ----------------------------------------------------------------------------------------
_KEYS: dict[str, bytes] = {}


def key() -> bytes:
    """The chain's key: ``SHOPCARE_AUDIT_KEY``, else the keyring, else the 0600 key file (made on first use)."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        try:
            value = bytes.fromhex(env)
        except ValueError:
            value = b""
        if len(value) < 16:
            from app.errors import ShopError

            raise ShopError("audit_key_invalid", var=KEY_ENV)
        return value
    file = paths.config_dir() / KEY_FILE
    cached = _KEYS.get(str(file))
    if cached is None:
        cached = _KEYS[str(file)] = _keyring_key() or _file_key(file)
    return cached


def _keyring_key() -> bytes | None:
    from app.services.base.keyring import KEYRING_SERVICE, keyring_backend as _keyring

    kr = _keyring()
    if kr is None:
        return None
    try:
        stored = kr.get_password(KEYRING_SERVICE, KEYRING_USER)
        if not stored:
            kr.set_password(KEYRING_SERVICE, KEYRING_USER, secrets.token_hex(32))
            stored = kr.get_password(KEYRING_SERVICE, KEYRING_USER)
        return bytes.fromhex(stored)
    except Exception as exc:  # a locked or broken keyring: the file instead
        log.warning("keyring unavailable for the audit key (%s)", type(exc).__name__)
        return None


def _file_key(file: Path) -> bytes:
    if not file.is_file():
        # Made under a private name, then linked in: two processes starting at once agree on one key.
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return bytes.fromhex(file.read_text().strip())


# --- sharing the key between tills ------------------------------------------------------------------
KEY_RETIRED = "audit.key_replaced"  # the audit row that retires this till's own key for a shared one


def _key_text(k: bytes) -> str:
    """The key as 8 groups of 8 hex digits: read aloud or typed on the other till without losing place."""
    h = k.hex()
    return " ".join(h[i:i + 8] for i in range(0, len(h), 8))


def parse_key(text_: str) -> bytes:
    """A key as ``export_key`` writes it (spaces, dashes and case do not matter); ShopError if not one."""
    from app.errors import ValidationError

    digits = "".join(ch for ch in (text_ or "") if ch not in " -:\t\r\n").lower()
    # 64 digits as ShopCare makes keys; SHOPCARE_AUDIT_KEY may hold any key of at least 16 bytes.
    if len(digits) < 32 or len(digits) > 128 or len(digits) % 2 or any(ch not in "0123456789abcdef" for ch in digits):
        raise ValidationError("audit_key_text", digits=len(digits))
    return bytes.fromhex(digits)


def export_key(ctx: Ctx) -> str:
    """This till's audit key as text, for the owner to type on another till sharing the database."""
    from app.services.base import permissions

    permissions.require(ctx, "manage_audit_key")
    k = key()
    with ctx.tx() as t:
        record(t, "audit.key_shown", "audit_key", None)
    return _key_text(k)


def import_key(ctx: Ctx, text_: str) -> None:
    """Make ``text_`` (another till's key, from ``export_key``) this till's key.

    Refused, changing nothing, unless it verifies the database's keyed rows: every keyed row must
    follow under the new key or under this till's present key (rows this till signed before sharing).
    Those are kept verifiable by one audit row, signed with the new key, that retires the old key and
    carries it: from then on the old key's rows are checked like the plain rows from before keying,
    only BEFORE that row, whose HMAC covers them (a forger knowing the old key still cannot re-sign the
    chain after them). The key itself goes where ``key()`` looks: the keyring, else the 0600 file."""
    from app.errors import ShopError, ValidationError
    from app.services.base import permissions

    permissions.require(ctx, "manage_audit_key")
    new = parse_key(text_)
    if os.environ.get(KEY_ENV, "").strip():
        raise ShopError("audit_key_env_set", var=KEY_ENV)
    old = key()
    if new == old:
        return
    with ctx.tx() as t:
        if t.s.bind.dialect.name == "postgresql":  # no row lands between the proof and the retiring row
            t.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
        own_rows = False
        for row_id, ok_new, ok_old in _keyed_rows(t, new, old):
            if not ok_new and not ok_old:
                raise ValidationError("audit_key_wrong", row=row_id)
            own_rows = own_rows or (ok_old and not ok_new)
        # Signed with the new key, which is stored only once they have committed.
        if own_rows:
            _record(t, new, KEY_RETIRED, "audit_key", None, after={"retired_key": old.hex()})
        _record(t, new, "audit.key_imported", "audit_key", None)
    _store_key(new)


def _keyed_rows(t: Ctx, new: bytes, old: bytes):
    """(id, verifies under the new key, verifies under this till's key) for each row after the plain
    prefix; the keys each of them retired count as theirs (see ``_keys``)."""
    new_keys, old_keys = _keys(t, new), _keys(t, old)
    prev, keyed_seen = None, False
    for row in t.s.execute(select(_LOG).order_by(_LOG.c.id)):
        ok_new, ok_old = _signed(row, prev, new_keys), _signed(row, prev, old_keys)
        keyed_seen = keyed_seen or ok_new or ok_old or row.hash != _plain(prev, row)
        if keyed_seen:
            yield row.id, ok_new, ok_old
        prev = row.hash


def _signed(row: AuditLog, prev: str | None, keys: list[tuple[bytes, float]]) -> bool:
    return row.prev_hash == prev and any(row.id < until and row.hash == _keyed(k, prev, row) for k, until in keys)


def _store_key(k: bytes) -> None:
    from app.services.base.keyring import KEYRING_SERVICE, keyring_backend as _keyring

    file = paths.config_dir() / KEY_FILE
    _KEYS.pop(str(file), None)
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(KEYRING_SERVICE, KEYRING_USER, k.hex())
            return
        except Exception as exc:  # a locked keyring: the file, where key() then looks too
            log.warning("keyring unavailable for the audit key (%s)", type(exc).__name__)
    _write_private(file, k.hex() + "\n")


def _write_private(file: Path, content: str) -> None:
    tmp = file.with_name(f".{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, file)


# --- digests ----------------------------------------------------------------------------------------
def _payload(prev: str | None, row: AuditLog) -> bytes:
    return json.dumps([prev, row.at.isoformat(), row.staff_id, row.till, row.action, row.entity,
                       row.entity_id, row.before, row.after, row.reason], ensure_ascii=False).encode()


def _plain(prev: str | None, row: AuditLog) -> str:
    """The digest of rows written before the chain was keyed (schema before 0008)."""
    return hashlib.sha256(_payload(prev, row)).hexdigest()


def _keyed(k: bytes, prev: str | None, row: AuditLog) -> str:
    return hmac.new(k, _payload(prev, row), hashlib.sha256).hexdigest()


# --- writing ----------------------------------------------------------------------------------------
def record(t: Ctx, action: str, entity: str, entity_id: object, *, before: object = None,
           after: object = None, reason: str | None = None) -> None:
    """Add an audit row inside the caller's transaction."""
    _record(t, key(), action, entity, entity_id, before=before, after=after, reason=reason)


def _record(t: Ctx, k: bytes, action: str, entity: str, entity_id: object, *, before: object = None,
            after: object = None, reason: str | None = None) -> None:
    if t.s.bind.dialect.name == "postgresql":
        # Two tills auditing at once would both read the same last row and fork the chain; the
        # lock (held to the end of this transaction) makes the second wait for the first's row.
        # SQLite needs none: its write transactions begin IMMEDIATE, one at a time.
        t.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    from app.models import AuditLog   # an ORM statement: it flushes a row added earlier in this transaction

    prev = t.s.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    row = AuditLog(at=t.now(), staff_id=t.actor.id, till=t.till, action=action, entity=entity,
                   entity_id=None if entity_id is None else str(entity_id),
                   before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
                   after=None if after is None else json.dumps(after, ensure_ascii=False, default=str),
                   reason=reason, prev_hash=prev)
    row.hash = _keyed(k, prev, row)
    t.s.add(row)
    t.s.flush()
    _remember_after_commit(t, row)


def _remember_after_commit(t: Ctx, row: AuditLog) -> None:
    """Record (count, id, hash) once the transaction has committed, and only when the chain is still
    consistent with what was recorded before (else the record stays, so ``check`` keeps reporting)."""
    name = state_name(t.db.url)
    old = read_state(name)
    if old is not None and _state_problem(t.s, old) is not None:
        return
    from app.models import AuditLog

    count = t.s.execute(select(func.count()).select_from(AuditLog).where(AuditLog.id <= row.id)).scalar()
    pending = {"count": int(count), "last_id": row.id, "head": row.hash}
    first = "audit_state" not in t.s.info
    t.s.info["audit_state"] = (name, pending)
    if first:
        event.listen(t.s, "after_commit", _write_pending)
        event.listen(t.s, "after_rollback", lambda s: s.info.pop("audit_state", None))


def _write_pending(session) -> None:
    item = session.info.pop("audit_state", None)
    if item is None:
        return
    try:
        write_state(*item)
    except OSError as exc:  # the sale or change has committed: a missing record only weakens check
        log.warning("audit state not recorded (%s)", exc)


# --- the record kept outside the database ------------------------------------------------------------
def _db_identity(url: str) -> str:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return "sqlite:" + str(Path(u.database).expanduser().resolve())
    return u.render_as_string(hide_password=True)


def state_name(url: str) -> str:
    """The state file's name for one database (a digest of its path or URL, password left out)."""
    return hashlib.sha256(_db_identity(url).encode()).hexdigest()[:32] + ".json"


def _state_path(name: str) -> Path:
    folder = paths.data_dir() / STATE_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / name


def read_state(name: str) -> dict | None:
    file = _state_path(name)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return {"count": int(data["count"]), "last_id": int(data["last_id"]), "head": str(data["head"])}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("audit state %s unreadable (%s)", file, exc)
        return None


def write_state(name: str, state: dict | None) -> None:
    """Replace the record atomically (0600); None removes it (a database with no audit rows)."""
    file = _state_path(name)
    if state is None:
        try:
            file.unlink()
        except FileNotFoundError:
            pass
        return
    # Per process and thread: two tills on one machine, or the till and its background sender.
    tmp = file.with_name(f".{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(state, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, file)


def forget(url: str) -> None:
    """A fresh database at this path or URL: whatever was recorded for an earlier one does not apply."""
    write_state(state_name(url), None)


def chain_state(db) -> dict | None:
    """What the record says for the chain as it is now in ``db`` (None for an empty chain)."""
    with db.session(write=False) as s:
        last = s.execute(select(_LOG.c.id, _LOG.c.hash).order_by(_LOG.c.id.desc()).limit(1)).first()
        if last is None:
            return None
        count = s.execute(select(func.count()).select_from(_LOG)).scalar()
    return {"count": int(count), "last_id": last.id, "head": last.hash}


def _state_problem(s, state: dict) -> tuple[str, int | None] | None:
    """('audit_truncated', rows up to the recorded id) or ('audit_head', None), or None when consistent."""
    head = s.execute(select(_LOG.c.hash).where(_LOG.c.id == state["last_id"])).first()
    n = s.execute(select(func.count()).select_from(_LOG).where(_LOG.c.id <= state["last_id"])).scalar()
    if head is None or int(n) != state["count"]:
        return "audit_truncated", int(n)
    if head[0] != state["head"]:
        return "audit_head", None
    return None


# --- verifying --------------------------------------------------------------------------------------
def verify_chain(t: Ctx) -> list[int]:
    """Ids of audit rows whose hash does not follow from the previous row under the key (plain
    SHA-256 is accepted only for the rows before the first keyed one); empty when intact."""
    return _verify(t, key())[0]


def _keys(t: Ctx, k: bytes) -> list[tuple[bytes, float]]:
    """(key, the row id its rows must come before): this till's key, and every key an import retired
    with a row signed by a key already known (a retired key may itself have retired an older one)."""
    known: list[tuple[bytes, float]] = [(k, float("inf"))]
    rows = t.s.execute(select(_LOG).where(_LOG.c.action == KEY_RETIRED).order_by(_LOG.c.id)).all()
    grew = True
    while grew:
        grew = False
        for row in rows:
            if any(row.id < until and row.hash == _keyed(kk, row.prev_hash, row) for kk, until in known):
                try:
                    old = bytes.fromhex(json.loads(row.after)["retired_key"])
                except (TypeError, ValueError, KeyError):
                    continue
                if all(kk != old for kk, _ in known):
                    known.append((old, row.id))
                    grew = True
    return known


def _verify(t: Ctx, k: bytes) -> tuple[list[int], bool]:
    """(ids of rows that do not verify, whether they look signed with another till's key: each links
    to the row before it, and none of the keyed rows verifies under ``k``, or the first keyed one does
    not and another till wrote it)."""
    keys = _keys(t, k)
    bad, prev, keyed_seen, mine, first, broken = [], None, False, False, None, False
    for row in t.s.execute(select(_LOG).order_by(_LOG.c.id)):
        linked = row.prev_hash == prev
        ok = linked and row.hash == _keyed(k, prev, row)
        mine = mine or ok
        ok = ok or (linked and any(row.id < until and row.hash == _keyed(kk, prev, row) for kk, until in keys[1:]))
        if ok:
            keyed_seen = True
        elif keyed_seen or not linked or row.hash != _plain(prev, row):
            bad.append(row.id)
            broken = broken or not linked
        if first is None and (ok or bad and bad[-1] == row.id):
            first = (ok, row.till)
        prev = row.hash
    # Another till's rows still link (each names the hash before it): a broken link is an edit.
    other = bool(bad) and not broken and (not mine or (first is not None and not first[0] and first[1] != t.till))
    return bad, other


@dataclass(frozen=True)
class ChainReport:
    bad_rows: list[int]                 # rows whose HMAC (or old digest) does not verify
    missing_triggers: list[str]         # append-only triggers that are gone or disabled
    truncated: tuple[int, int, int] | None = None   # (rows now up to last_id, recorded count, last_id)
    head_differs: int | None = None     # the recorded last id whose hash changed
    recorded: bool = False              # whether this computer holds a record for the database
    other_key: bool = False             # the bad rows look signed with another till's key (see _verify)


def check_chain(t: Ctx) -> ChainReport:
    """Everything ``shopcare check`` says about the audit log."""
    state = read_state(state_name(t.db.url))
    truncated = head = None
    if state is not None:
        problem = _state_problem(t.s, state)
        if problem and problem[0] == "audit_truncated":
            truncated = (problem[1], state["count"], state["last_id"])
        elif problem:
            head = state["last_id"]
    bad, other = _verify(t, key())
    # Another till's rows never change what this computer recorded: a chain that did is rewritten.
    other = other and truncated is None and head is None
    return ChainReport(bad_rows=bad, missing_triggers=missing_triggers(_connection(t.s)),
                       truncated=truncated, head_differs=head, recorded=state is not None, other_key=other)


def _connection(s):
    """The Connection under a Session, or ``s`` itself (``shopcare check`` reads through Core)."""
    from sqlalchemy.engine import Connection

    return s if isinstance(s, Connection) else s.connection()


def missing_triggers(conn) -> list[str]:
    """The append-only triggers that are missing, disabled or no longer refuse (empty when all hold)."""
    if conn.dialect.name == "postgresql":
        row = conn.execute(text(
            "SELECT t.tgenabled, p.prosrc, t.tgtype FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = to_regclass('audit_log') AND t.tgname = :name"), {"name": PG_TRIGGER}).first()
        # tgtype bits: 2 BEFORE, 8 DELETE, 16 UPDATE; tgenabled 'D' = disabled.
        ok = (row is not None and row[0] != "D" and "RAISE EXCEPTION" in row[1].upper()
              and row[2] & 2 and row[2] & 8 and row[2] & 16)
        return [] if ok else [PG_TRIGGER]
    found = dict(conn.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).all())
    missing = []
    for name, verb in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE")):
        sql = " ".join((found.get(name) or "").upper().split())
        if f"BEFORE {verb} ON AUDIT_LOG" not in sql or "RAISE(ABORT" not in sql.replace(" (", "("):
            missing.append(name)
    return missing
