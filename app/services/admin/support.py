"""The support bundle: what a shop sends when it asks for help (``shopcare support-bundle -o FILE.zip``,
and Settings › Backups › Save support bundle… in the app).

One zip with:

- ``logs/``: the app's log and its rotated copies (app/logs.py);
- ``check.txt``: the output of the integrity check (app/services/admin/integrity.py), in English;
- ``versions.json``: ShopCare, Python, PySide6 (read from the installed package's metadata, Qt is
  not imported here), the SQLite library, the database kind and its schema revision (alembic);
- ``settings.json``: the shop settings, this till's printer and text gateway settings WITHOUT
  secrets (the token is never read; account SID, credentials in URLs and numbers are hidden by
  app/services/base/redact.py);
- ``README.txt``: what the files are.

And no personal data: every file passes app/logs.mask_text (phones cut to their last 4 digits,
database parameter dumps dropped) and then the shop's own member names and phones, read from the
database, are replaced wherever they still appear. The zip is written to a temporary name, made
private (0600) and then renamed; an existing file is refused unless ``force``.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from app import __version__, logs, paths
from app.errors import ShopError
from app.i18n import L_
from app.services.base.redact import HIDDEN, scrub

NAME_HIDDEN = "[name]"
PHONE_HIDDEN = "[phone]"


@dataclass(frozen=True)
class BundleResult:
    path: Path
    files: tuple[str, ...]
    check_ok: bool | None   # None: no database to check


def versions(db=None) -> dict[str, object]:
    """ShopCare's, Python's, Qt's (PySide6) and SQLite's versions, and the database's schema."""
    from importlib import metadata

    from app import db as dbmod

    def dist(*names: str) -> str | None:
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        return None

    out: dict[str, object] = {
        "shopcare": __version__,
        "python": sys.version.split()[0],
        "python_build": platform.python_implementation(),
        "platform": platform.platform(),
        "pyside6": dist("PySide6", "PySide6-Essentials"),
        "sqlalchemy": dist("SQLAlchemy"),
        "alembic": dist("alembic"),
        "sqlite": dbmod.sqlite_version(),
        "sqlite_module": dbmod.sqlite_library(),
    }
    if db is not None:
        out["database"] = "sqlite" if db.is_sqlite else db.engine.dialect.name
        try:
            out["schema_revision"] = db.current_revision()
            out["schema_head"] = db.head_revision()
        except Exception as exc:  # an unreadable database still gets a bundle
            out["schema_revision"] = f"unreadable ({type(exc).__name__})"
    return out


def check_text(ctx) -> tuple[str, bool | None]:
    """The integrity check's report as ``shopcare check`` prints it (English), and whether it passed."""
    from app.services.admin.integrity import COUNT_NAMES, run_check

    if ctx is None:
        return "No database to check.\n", None
    try:
        report = run_check(ctx)
    except Exception as exc:
        logs.log_failure(exc, "support bundle: integrity check")
        return f"The check could not run: {type(exc).__name__} (see logs/)\n", False
    lines = [line.en for line in report.info]
    if report.head:
        lines.append(f"Schema revision {report.revision or '-'} (head {report.head})")
    lines += [f"warning: {line.en}" for line in report.warnings]
    if report.counts:
        lines.append("Checked " + ", ".join(f"{n} {COUNT_NAMES.get(k, (k, k))[0]}" for k, n in report.counts))
    lines += [f"FAULT: {line.en}" for line in report.faults]
    lines.append("OK: no faults found" if report.ok else f"{len(report.faults)} fault(s) found")
    return "\n".join(lines) + "\n", report.ok


def settings_data(ctx) -> dict[str, object]:
    """The shop's settings, this till's and the gateway's, with every secret left out or hidden."""
    from app.services.texts import gateway_config
    from app.services.base import localconfig
    from app.services.base import settings as shop_settings

    out: dict[str, object] = {}
    secrets: list[str] = []
    try:
        gw = gateway_config.load_gateway_config()
        secrets = [gw.account_sid, gw.tencent.secret_id]
        out["gateway"] = {"kind": gw.kind, "account_sid": HIDDEN if gw.account_sid else "",
                          "sender": scrub(gw.sender, secrets), "api_base": scrub(gw.api_base, secrets),
                          "has_token": gw.has_token}
        tc = gw.tencent   # Tencent Cloud SMS: the SecretId hidden, the SecretKey never read
        out["gateway"]["tencent"] = {
            "secret_id": HIDDEN if tc.secret_id else "", "has_secret_key": gw.has_secret_key,
            "sdk_app_id": tc.sdk_app_id, "sign_name": tc.sign_name, "region": tc.region,
            "templates": {t.kind: t.template_id for t in tc.templates if t.template_id}}
    except Exception as exc:
        out["gateway"] = f"unreadable ({type(exc).__name__})"
    try:
        out["till"] = asdict(localconfig.load())
    except Exception as exc:
        out["till"] = f"unreadable ({type(exc).__name__})"
    if ctx is not None:
        try:
            out["shop"] = asdict(shop_settings.load(ctx))
        except Exception as exc:
            out["shop"] = f"unreadable ({type(exc).__name__})"
    return _scrubbed(out, secrets)


def _strings_cleaned(value, clean):
    if isinstance(value, dict):
        return {k: _strings_cleaned(v, clean) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strings_cleaned(v, clean) for v in value]
    return clean(value) if isinstance(value, str) else value


def _scrubbed(value, secrets):
    if isinstance(value, dict):
        return {k: _scrubbed(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v, secrets) for v in value]
    if isinstance(value, str):
        return scrub(value, secrets) if value else value
    return value


class _Private:
    """The shop's member names and phones, to take out of whatever text leaves the computer."""

    def __init__(self, names: set[str], phones: set[str]) -> None:
        self.names = {n for n in names if len(n) >= 2}
        self.lengths = sorted({len(n) for n in self.names}, reverse=True)
        self.starts = {n[:2] for n in self.names}
        self.phones = sorted({p for p in phones if p and len(p) >= 7}, key=len, reverse=True)

    @classmethod
    def of(cls, ctx) -> _Private:
        if ctx is None:
            return cls(set(), set())
        from sqlalchemy import text

        names: set[str] = set()
        phones: set[str] = set()
        try:
            with ctx.db.session(write=False) as s:
                for name, phone in s.execute(text("SELECT name, phone FROM members")):
                    if name:
                        names.add(str(name).strip())
                    if phone:
                        phones.add(str(phone))
                        digits = "".join(ch for ch in str(phone) if ch.isdigit())
                        phones.add(digits)
                        if str(phone).startswith("+86") and len(digits) > 2:
                            phones.add(digits[2:])   # the national number, as a cashier types it
        except Exception as exc:  # no members table yet: nothing to take out
            logs.log_failure(exc, "support bundle: reading member names to leave out")
        return cls(names, phones)

    def clean(self, text: str) -> str:
        for phone in self.phones:
            text = text.replace(phone, PHONE_HIDDEN)
        text = logs.mask_text(text)
        if not self.names:
            return text
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            if text[i:i + 2] in self.starts:
                for length in self.lengths:
                    if text[i:i + length] in self.names and _whole_word(text, i, length):
                        out.append(NAME_HIDDEN)
                        i += length
                        break
                else:
                    out.append(text[i])
                    i += 1
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _whole_word(text: str, i: int, length: int) -> bool:
    """A name in Latin letters counts only as a whole word (member "Li" is not the "Li" of "Linux");
    a name in Chinese characters counts wherever it appears (Chinese has no spaces between words)."""
    if _latin(text[i]) and i > 0 and _latin(text[i - 1]):
        return False
    end = i + length
    if _latin(text[end - 1]) and end < len(text) and _latin(text[end]):
        return False
    return True


README = """\
ShopCare support bundle, made {when}

logs/           ShopCare's log (every unexpected failure with its traceback), newest first
check.txt       the output of `shopcare check` (database integrity, balances against ledgers)
versions.json   versions of ShopCare, Python, Qt (PySide6), SQLite; the database schema revision
settings.json   shop, till and text gateway settings; secrets are left out or [hidden]

No personal data: phone numbers show their last 4 digits at most, member names are replaced by
[name], and no member list, sale or message is included.
"""


def build_bundle(ctx, target: str | Path, *, force: bool = False, now: datetime | None = None) -> BundleResult:
    """Write the support bundle to ``target`` (a .zip); ``ctx`` None when there is no database."""
    target = Path(target).expanduser()
    if target.suffix.lower() != ".zip":
        raise ShopError("support_bundle_name", path=str(target))
    if (target.exists() or target.is_symlink()) and not force:
        raise ShopError("support_bundle_exists", path=str(target))
    if target.is_dir():
        raise ShopError("support_bundle_failed", path=str(target), why=L_("a folder has that name"))
    logs.flush()
    private = _Private.of(ctx)
    check, check_ok = check_text(ctx)
    members: dict[str, str] = {
        "README.txt": README.format(when=(now or datetime.now()).isoformat(timespec="seconds")),
        "check.txt": check,
        "versions.json": json.dumps(versions(ctx.db if ctx is not None else None), indent=2, ensure_ascii=False),
        # cleaned value by value: a setting's number (an amount of 100000.00) is no phone to mask,
        # and masking digits inside the JSON text would break the file
        "settings.json": json.dumps(_strings_cleaned(settings_data(ctx), private.clean), indent=2,
                                    ensure_ascii=False, default=str),
    }
    for path in logs.log_files():
        members[f"logs/{path.name}"] = path.read_text(encoding="utf-8", errors="replace")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ShopError("support_bundle_failed", path=str(target), why=exc.strerror or type(exc).__name__) from None
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, body in members.items():
                zf.writestr(name, body if name == "settings.json" else private.clean(body))
        paths.private_file(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ShopError("support_bundle_failed", path=str(target), why=exc.strerror or type(exc).__name__) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    paths.private_file(target)
    logs.log.info("support bundle written (%d files)", len(members))
    return BundleResult(target, tuple(members), check_ok)
