"""Export member analytics to CSV or XLSX: owner only (personal data: the full phone), audited.

CSV is UTF-8 with a byte-order mark, so Excel opens Chinese names right; amounts in major units
("58.00"), dates as YYYY-MM-DD, the model's figures to 4 decimals (blank without a fit). The file
is written under a temporary name and renamed when complete, in the same transaction as its audit
row: a failed export leaves neither a half file nor an audit row.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from app.errors import ValidationError
from app.money import to_major, to_major_str
from app.services import audit, permissions
from app.services.analytics.members import COLUMNS, Analysis, analyse, member_rows
from app.services.context import Ctx

FORMATS = {".csv": "csv", ".xlsx": "xlsx"}
_AMOUNTS = (COLUMNS.index("total_spent"), COLUMNS.index("monetary"))
_RATIOS = tuple(COLUMNS.index(c) for c in ("p_alive", "expected_purchases_90d", "churn_risk"))


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    rows: int
    analysis: Analysis


def export_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationError("export_format", file=path.name)
    return fmt


def export_member_analytics(ctx: Ctx, path: str | Path, as_of: date | None = None, *,
                            refit: bool = False, progress: Callable[[int, int, str], None] | None = None
                            ) -> ExportResult:
    """``progress(done, total, label)`` is called every few thousand rows (an XLSX of 200,000
    members takes ~25 s)."""
    permissions.require(ctx, "export")
    path = Path(path)
    fmt = export_format(path)
    if not path.parent.is_dir():
        raise ValidationError("export_unwritable", file=str(path), why="no such folder")
    a = analyse(ctx, as_of, refit=refit)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with ctx.tx() as t:
            rows = (_write_xlsx if fmt == "xlsx" else _write_csv)(
                tmp, _counted(member_rows(t, a), a.members, path.name, progress), a.currency)
            audit.record(t, "analytics.export", "members", None, after={
                "file": path.name, "format": fmt, "rows": rows, "as_of": a.as_of.isoformat(),
                "columns": list(COLUMNS)})
            os.replace(tmp, path)
    except OSError as exc:
        raise ValidationError("export_unwritable", file=str(path), why=exc.strerror or str(exc)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return ExportResult(path=path, format=fmt, rows=rows, analysis=a)


def _counted(rows, total: int, label: str, progress):
    for i, row in enumerate(rows, 1):
        if progress is not None and (i % 5000 == 0 or i == total):
            progress(i, total, label)
        yield row


def _write_csv(path: Path, rows, currency: str) -> int:
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for row in rows:
            out = list(row)
            for i in _AMOUNTS:
                out[i] = to_major_str(out[i], currency)
            for i in _RATIOS:
                out[i] = "" if out[i] is None else f"{out[i]:.4f}"
            out[3], out[4] = out[3].isoformat(), out[4].isoformat()
            w.writerow(out)
            n += 1
    return n


def _write_xlsx(path: Path, rows, currency: str) -> int:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("RFM")
    ws.append(list(COLUMNS))
    n = 0
    for row in rows:
        out = list(row)
        for i in _AMOUNTS:
            out[i] = to_major(out[i], currency)   # a Decimal: a number Excel can sum
        for i in _RATIOS:
            out[i] = None if out[i] is None else round(out[i], 4)
        ws.append(out)
        n += 1
    wb.save(path)
    return n
