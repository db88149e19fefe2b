"""The import wizard's view of a file before anything is imported: what it holds (sheets, the header
row, the first rows as text), how its columns map onto ShopCare's fields (guessed from the alias
tables the command line knows), and the mapping the owner chose last time for a file with the same
headers (kept in the settings table, keyed by the kind and a hash of the header row).

The mapping is ``{header text as written: canonical column, or import_run.IGNORE}``: what
``import_run.ImportOptions.mapping`` takes. Reading reuses tabular.py's helpers (``decode_text``,
``header_key``, ``alias_index``, ``xlsx_cell``), so the wizard sees a file exactly as the import reads it."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.errors import ImportFailed, quoted
from app.services.base import permissions
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx
from app.services.base.tabular import XLSX_SUFFIXES, alias_index, decode_text, header_key, xlsx_cell

IGNORE = ""                 # the same value as import_run.IGNORE: a column left out
SAMPLE_ROWS = 20            # data rows shown by the wizard
KEY_PREFIX = "import_mapping:"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileSample:
    file: str                               # the file's name
    sheets: tuple[str, ...]                 # a workbook's sheets, in order; () for a CSV
    sheet: str | None                       # the sheet read (None for a CSV)
    header_row: int                         # the header's row number as the user sees it
    headers: tuple[str, ...]                # the header row's texts (blank ones dropped), in file order
    rows: tuple[tuple[str, ...], ...]       # the first data rows as text, one cell per header
    more: bool                              # the file holds more rows than ``rows``
    row_numbers: tuple[int, ...] = ()       # each of ``rows``' number as the user sees it in the file

    def sample(self, header: str) -> str:
        """The first non-blank value under ``header`` (what the mapping page shows beside it)."""
        i = self.headers.index(header)
        return next((r[i] for r in self.rows if r[i].strip()), "")


# --- the columns each kind knows --------------------------------------------------------------
def columns(kind: str) -> dict[str, tuple[str, ...]]:
    """canonical column -> aliases, for ``kind`` (members, sales, products), read now: another
    change may add columns to the tables."""
    from app.services.admin import import_columns

    if kind == "members":
        return dict(import_columns.MEMBER_COLUMNS)
    if kind == "sales":
        return dict(import_columns.SALES_COLUMNS)
    if kind == "products":
        from app.services.admin import product_columns

        return product_columns.columns()
    raise ValueError(kind)


def required(kind: str) -> tuple[str, ...]:
    from app.services.admin import import_columns

    return {"members": import_columns.MEMBER_REQUIRED, "sales": import_columns.SALES_REQUIRED,
            "products": import_columns.PRODUCT_REQUIRED}[kind]


def fields(kind: str) -> tuple[str, ...]:
    """The canonical columns a file of ``kind`` may map onto, required ones first."""
    need = required(kind)
    return (*need, *(c for c in columns(kind) if c not in need))


# --- reading a sample -------------------------------------------------------------------------
def inspect(path: str | Path, sheet: str | None = None, *, region: str = "CN",
            limit: int = SAMPLE_ROWS) -> FileSample:
    """The file's sheets, its header row and its first ``limit`` data rows, as text.

    Raises ImportFailed as the import would: ``import_unreadable``, ``import_xls``,
    ``import_encoding``, ``import_no_sheet``, ``import_sheet_missing``, ``import_csv_broken``,
    ``import_empty`` (no header row, or no row under it)."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(CSV_PREFIX + 1)
            if p.suffix.lower() in XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
                data += f.read()            # a workbook: openpyxl needs the whole zip (a CSV: its start)
    except OSError as exc:
        raise ImportFailed("import_unreadable", file=p.name, why=exc.strerror or str(exc)) from None
    if p.suffix.lower() == ".xls" or data.startswith(_OLE_MAGIC):
        raise ImportFailed("import_xls", file=p.name)
    if p.suffix.lower() in XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
        return _xlsx_sample(p.name, data, sheet, limit)
    sample = _sample(p.name, (), None, _csv_rows(p.name, data, region, limit), limit)
    return sample if sample.more or len(data) <= CSV_PREFIX else dataclasses.replace(sample, more=True)


def _sample(name: str, sheets, sheet, raw: Iterable[tuple[int, list]], limit: int,
            empty_ok: bool = False) -> FileSample:
    """``empty_ok``: a workbook's sheet without rows comes back with no headers and no rows (the
    wizard lists the other sheets), where a CSV is refused (``import_empty``)."""
    rows_iter = iter(raw)
    header_no, header = next(((n, cells) for n, cells in rows_iter if _filled(cells)), (0, None))
    if header is None:
        if empty_ok:
            return FileSample(file=name, sheets=tuple(sheets), sheet=sheet, header_row=0, headers=(), rows=(),
                              more=False)
        raise ImportFailed("import_empty", file=name)
    positions = [(i, _text(c).strip()) for i, c in enumerate(header) if _text(c).strip()]
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    more = False
    for row_no, cells in rows_iter:
        if not _filled(cells):
            continue
        if len(rows) == limit:
            more = True
            break
        numbers.append(row_no)
        rows.append(tuple(_text(cells[i]).strip() if i < len(cells) else "" for i, _h in positions))
    if not rows:
        if empty_ok:
            return FileSample(file=name, sheets=tuple(sheets), sheet=sheet, header_row=header_no, headers=(),
                              rows=(), more=False)
        raise ImportFailed("import_empty", file=name)
    return FileSample(file=name, sheets=tuple(sheets), sheet=sheet, header_row=header_no,
                      headers=tuple(h for _i, h in positions), rows=tuple(rows), more=more,
                      row_numbers=tuple(numbers))


# A CSV's first bytes are what the wizard shows (the import itself reads the whole file): a
# million-row file is not read whole to show 20 rows. The start is cut after its last line break,
# which no multibyte character of UTF-8, GB18030 or Big5 contains, so no character is split.
CSV_PREFIX = 1 << 20


def _csv_rows(name: str, data: bytes, region: str, limit: int):
    cut = len(data) > CSV_PREFIX
    if cut:
        data = data[:data.rfind(b"\n", 0, CSV_PREFIX) + 1] or data[:CSV_PREFIX]
    text = decode_text(data, name, region)
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list]] = []
    try:
        # the header, perhaps after blank lines, then ``limit`` rows and one to tell there are more
        for cells in itertools.islice(reader, limit * 4 + 50):
            out.append((reader.line_num, list(cells)))
    except csv.Error:
        if not (cut and out):       # a quoted cell cut at the end of the start read: the rows before it stand
            raise ImportFailed("import_csv_broken", file=name, row=max(reader.line_num, 1)) from None
    return out


def _xlsx_sample(name: str, data: bytes, sheet: str | None, limit: int) -> FileSample:
    """The named sheet; without a name, the first sheet that holds rows under a header (an export
    often opens with a sheet of notes), else the first sheet, empty."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a damaged workbook fails anywhere in openpyxl
        raise ImportFailed("import_unreadable", file=name, why=quoted(str(exc) or type(exc).__name__, 120)) from None
    try:
        if not wb.worksheets:
            raise ImportFailed("import_no_sheet", file=name)
        if sheet is not None and sheet not in wb.sheetnames:
            raise ImportFailed("import_sheet_missing", file=name, sheet=quoted(sheet), sheets=", ".join(wb.sheetnames))
        sheets = tuple(wb.sheetnames)
        first = None
        for ws in ([wb[sheet]] if sheet is not None else wb.worksheets):
            ws.reset_dimensions()
            raw = [(n, [xlsx_cell(v) for v in values]) for n, values in
                   enumerate(itertools.islice(ws.iter_rows(values_only=True), limit * 4 + 50), start=1)]
            found = _sample(name, sheets, ws.title, raw, limit, empty_ok=True)
            if found.rows:
                return found
            first = first or found
        return first
    except ImportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet
        raise ImportFailed("import_unreadable", file=name, why=quoted(str(exc) or type(exc).__name__, 120)) from None
    finally:
        wb.close()


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    return cell.isoformat(sep=" ") if hasattr(cell, "hour") else cell.isoformat()


def _filled(cells) -> bool:
    return any(_text(c).strip() for c in cells)


# --- guessing ---------------------------------------------------------------------------------
_BARCODE_N = re.compile(r"^(?:barcode|条码|条形码|條碼|條形碼)[\s_\-#]*[(（]?\s*(\d{1,2})\s*[)）]?$", re.I)


def guess(kind: str, headers: Iterable[str]) -> dict[str, str]:
    """Each header -> the canonical column its name means in the alias tables (English and
    Chinese, as the command line reads them), or IGNORE. A column claimed by an earlier header is
    not given twice: the later header is left out."""
    index = alias_index(columns(kind))
    out: dict[str, str] = {}
    taken: set[str] = set()
    for h in headers:
        canonical = index.get(header_key(h), IGNORE)
        if canonical == IGNORE and kind == "products":
            m = _BARCODE_N.match(h.strip())
            canonical = f"barcode#{m.group(1)}" if m else IGNORE
        if canonical in taken:
            canonical = IGNORE
        if canonical:
            taken.add(canonical)
        out[h] = canonical
    return out


def check(kind: str, mapping: Mapping[str, str], file: str = "") -> None:
    """A mapping the import can take: no field given by two columns, every required field given.
    Raises ImportFailed ``import_column_twice`` or ``import_columns`` (the import's own codes)."""
    seen: dict[str, str] = {}
    for header, canonical in mapping.items():
        if not canonical:
            continue
        if canonical in seen:
            raise ImportFailed("import_column_twice", file=file, column=canonical,
                               columns=f"{seen[canonical]}, {header}")
        seen[canonical] = header
    missing = [c for c in required(kind) if c not in seen]
    if missing:
        raise ImportFailed("import_columns", file=file, missing=", ".join(missing),
                           found=", ".join(mapping) or "-")


# --- remembering ------------------------------------------------------------------------------
def headers_key(kind: str, headers: Iterable[str]) -> str:
    """The settings key of a mapping: the kind and a hash of the header row (compared as the
    import compares headers, so "余额（元）" and "余额" differ only where the import says they do)."""
    row = "\x1f".join(str(h).strip() for h in headers)
    digest = hashlib.sha256(row.encode("utf-8")).hexdigest()[:24]
    return f"{KEY_PREFIX}{kind}:{digest}"


def save(ctx: Ctx, kind: str, headers: Iterable[str], mapping: Mapping[str, str]) -> None:
    """Remember ``mapping`` for files of ``kind`` with exactly these headers (the "import" permission,
    or managing products for a price list)."""
    permissions.require(ctx, "manage_products" if kind == "products" else "import")
    headers = list(headers)
    value = {h: mapping.get(h, IGNORE) for h in headers}
    shop_settings.store_value(ctx, headers_key(kind, headers), json.dumps(value, ensure_ascii=False))


def remembered(ctx: Ctx, kind: str, headers: Iterable[str]) -> dict[str, str] | None:
    """The mapping saved for these headers, or None. A field the tables no longer know is left out."""
    headers = list(headers)
    raw = shop_settings.stored_value(ctx, headers_key(kind, headers))
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    known = set(columns(kind))
    out = {}
    for h in headers:
        c = value.get(h, IGNORE)
        out[h] = c if isinstance(c, str) and (c in known or c.startswith(("barcode#", "tier:"))) else IGNORE
    return out


def proposed(ctx: Ctx, kind: str, headers: Iterable[str]) -> tuple[dict[str, str], bool]:
    """The mapping to show first: the remembered one when there is one (True), else the guess."""
    headers = list(headers)
    kept = remembered(ctx, kind, headers)
    return (kept, True) if kept is not None else (guess(kind, headers), False)


# --- the wizard's calls into import_run and import_batches ---------------------------------------
def preview(ctx: Ctx, path: str | Path, opts, *, progress=None, cancel=None):
    """``import_run.preview``: every row read and checked, nothing written."""
    from app.services.admin import import_run

    return import_run.preview(ctx, path, opts, progress=progress, cancel=cancel)


def latest_batch(ctx: Ctx, kind: str | None = None):
    """The latest import batch (of ``kind``) that is done and not undone, or None: the one
    ``import_batches.undo(ctx)`` takes back, so the dialog names what the undo will do."""
    from app.services.admin import import_batches

    with ctx.tx(write=False) as t:
        return next((b for b in import_batches.recent(t, 50)
                     if (kind is None or b.kind == kind) and b.status == "done"), None)


def undo(ctx: Ctx, batch_id: int | None = None):
    """import_batches.undo(ctx, batch_id) (the owner; refuses as it says)."""
    from app.services.admin import import_batches

    return import_batches.undo(ctx, batch_id=batch_id)
