"""Export member analytics to CSV or XLSX through app/services/base/export.py: owner only (personal
data: the full phone), audited, written whole. The model's figures to 4 decimals (blank without
a fit)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from app.services.base import export
from app.services.analytics.members import COLUMNS, Analysis, analyse, member_rows
from app.services.base.context import Ctx

export_format = export.export_format
_KINDS = {"first_purchase": "date", "last_purchase": "date", "total_spent": "money", "monetary": "money",
          "p_alive": "ratio", "expected_purchases_90d": "ratio", "churn_risk": "ratio"}
TABLE = tuple(export.Column(c, _KINDS.get(c, "text")) for c in COLUMNS)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    rows: int
    analysis: Analysis


def export_member_analytics(ctx: Ctx, path: str | Path, as_of: date | None = None, *,
                            refit: bool = False, progress: Callable[[int, int, str], None] | None = None
                            ) -> ExportResult:
    """``progress(done, total, label)`` is called every few thousand rows (an XLSX of 200,000
    members takes ~25 s)."""
    from app.services.base import permissions

    permissions.require(ctx, "export")   # before the analysis: a refusal costs nothing
    path = Path(path)
    fmt = export_format(path)
    a = analyse(ctx, as_of, refit=refit)
    rows = export.export_table(ctx, path, TABLE, lambda t: member_rows(t, a), currency=a.currency,
                               action="analytics.export", details={"as_of": a.as_of.isoformat()}, sheet="RFM",
                               progress=progress, total=a.members)
    return ExportResult(path=path, format=fmt, rows=rows, analysis=a)
