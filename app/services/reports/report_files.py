"""Where report PDFs go and how they are written: whole or not at all, and the owner's only (0600,
in a 0700 reports folder: member names and amounts; see app/paths.py)."""
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


def prepare(path: Path | None, default_name: str) -> Path:
    """``path``, or ``default_name`` in the reports folder; its folder made when missing."""
    out = Path(path) if path is not None else reports_dir() / default_name
    try:
        if path is None:
            paths.private_dir(out.parent)
        else:  # a folder the user chose: made when missing, its mode left to them
            out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ShopError("report_write_failed", path=str(out), why=exc.strerror or str(exc)) from None
    return out


def write_atomic(out: Path, write: Callable[[Path], object]) -> Path:
    """Write to a temporary name beside ``out``, then rename: a failed report (a full disk, a PDF
    viewer holding the old file) never leaves half a PDF under the real name."""
    tmp = out.with_name(out.name + ".part")
    try:
        write(tmp)
        paths.private_file(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ShopError("report_write_failed", path=str(out), why=exc.strerror or str(exc)) from None
    return out
