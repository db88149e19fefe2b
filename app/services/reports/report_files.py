"""Where report PDFs go and how they are written: whole or not at all, and the owner's only (0600,
in a 0700 reports folder: member names and amounts; see app/paths.py).

No file is ever overwritten, by a report, an export or a backup: when the name is taken the file
gets the first free "name (2).pdf", "name (3).pdf"… beside it (:func:`claim`), and the caller says
where it went (the command line on stderr, the Reports screen by its file name)."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Callable

from app import paths
from app.errors import ShopError


def reports_dir() -> Path:
    """The reports folder's path (made, private, by ``prepare``)."""
    return paths.data_dir() / "reports"


def eod_name(day: date) -> str:
    return f"eod-{day.isoformat()}.pdf"


def statement_name(member_id: int, end: date) -> str:
    """By member number, not name or phone: file names show up in places personal data should not."""
    return f"statement-{member_id}-{end.isoformat()}.pdf"


def wanted(path: Path | None, default_name: str) -> Path:
    """The name asked for: ``path``, or ``default_name`` in the reports folder."""
    return Path(path) if path is not None else reports_dir() / default_name


def prepare(path: Path | None, default_name: str) -> Path:
    """``path``, or ``default_name`` in the reports folder, its folder made when missing; claimed
    (created empty) under the first free name, so an earlier report is never overwritten."""
    out = wanted(path, default_name)
    try:
        if path is None:
            paths.private_dir(out.parent)
        else:  # a folder the user chose: made when missing, its mode left to them
            out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ShopError("report_write_failed", path=str(out), why=exc.strerror or str(exc)) from None
    return claim(out)


MAX_COPIES = 999


def numbered(path: Path, n: int) -> Path:
    """``path`` itself for 1, else "stem (n).suffix" beside it."""
    return path if n == 1 else path.with_name(f"{path.stem} ({n}){path.suffix}")


def free_name(path: Path) -> Path:
    """``path`` when nothing has that name, else the first free "stem (n).suffix" (not claimed)."""
    for n in range(1, MAX_COPIES + 1):
        candidate = numbered(path, n)
        if not os.path.lexists(candidate):
            return candidate
    raise ShopError("report_write_failed", path=str(path), why="too many files of that name")


def claim(path: Path) -> Path:
    """``path``, or the first free "stem (n).suffix" beside it, created empty and exclusively (two
    reports written at once never take the same name); the writer then replaces it whole.
    :func:`release` takes the claim back when the writing fails."""
    for n in range(1, MAX_COPIES + 1):
        candidate = numbered(path, n)
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ShopError("report_write_failed", path=str(candidate), why=exc.strerror or str(exc)) from None
        os.close(fd)
        return candidate
    raise ShopError("report_write_failed", path=str(path), why="too many files of that name")


def release(path: Path) -> None:
    """Remove a claimed name still empty (its writing failed)."""
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


def write_atomic(out: Path, write: Callable[[Path], object]) -> Path:
    """Write to a temporary name beside ``out``, then rename: a failed report (a full disk, a PDF
    viewer holding the old file) never leaves half a PDF under the real name, nor the empty file
    :func:`prepare` claimed."""
    tmp = out.with_name(out.name + ".part")
    try:
        write(tmp)
        paths.private_file(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        release(out)
        raise ShopError("report_write_failed", path=str(out), why=exc.strerror or str(exc)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        release(out)
        raise
    return out
