"""Reading a CSV or XLSX file into rows keyed by canonical column names.

- CSV: UTF-8, UTF-8 with a BOM, GB18030 (what Excel on a mainland Chinese Windows writes) or Big5
  (Taiwan and Hong Kong; read as Big5-HKSCS). Decoded strictly as UTF-8 (BOM stripped), else as
  whichever of GB18030 and Big5 decodes cleanly and reads as Chinese text (``decode_text``);
  text holding NUL characters (UTF-16, binaries), a Shift-JIS file or a close call is refused:
  ``ImportFailed('import_encoding')``. The delimiter is a comma, or a tab or semicolon when the
  header line has more of those.
- XLSX: the first sheet (or the one named), values only (openpyxl, read-only), every row whatever its <dimension>
  element claims. Dates arrive as ``datetime``; numbers
  become text the way a person would type them (``13800138000.0`` -> ``'13800138000'``,
  ``58.5`` -> ``'58.5'``), so a phone number Excel stored as a number survives.
- The header is the first non-empty row. Headers are matched against a table of aliases
  (``{canonical: (alias, ...)}``) case-insensitively, trimmed, with spaces/dashes read as ``_`` and
  a trailing unit in brackets ignored (``余额（元）`` is ``余额``). Unknown columns are ignored.
  An importer may name columns the table cannot list (a member price per tier, a second barcode
  column) with ``classify``, which sees each header first and may refuse the file.
- Row numbers are the ones the user sees in the file (the header is row 1 when it is the first
  line); rows with no value at all are skipped. A row with a value beyond the header's last named
  column keeps it in ``Row.extra``; the importers refuse such a row (``import_extra_cells``).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Mapping

from app.errors import ImportFailed, quoted

Cell = str | date | datetime  # datetime is a date subclass; kept apart for clarity

XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
_UNIT = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


@dataclass(frozen=True)
class Row:
    row_no: int                      # as the user sees it in the file
    values: Mapping[str, Cell]       # canonical column -> value ('' when blank)
    extra: str = ""                  # the first non-empty cell beyond the header's last column

    def get(self, column: str) -> Cell:
        return self.values.get(column, "")


@dataclass(frozen=True)
class Table:
    file: str                        # the file's name, for messages
    columns: tuple[str, ...]         # canonical columns present, in file order
    headers: Mapping[str, str]       # canonical column -> the header text as written in the file
    ignored: tuple[str, ...]         # header texts that matched no known column
    rows: tuple[Row, ...]


def header_key(text: object) -> str:
    """How a header cell is compared with the aliases."""
    key = str(text or "").replace("\ufeff", "").strip()
    key = _UNIT.sub("", key)
    key = re.sub(r"[\s\-]+", "_", key.strip())
    return key.casefold()


def alias_index(columns: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """alias key -> canonical column; the canonical name is always its own alias."""
    index: dict[str, str] = {}
    for canonical, aliases in columns.items():
        for alias in (canonical, *aliases):
            key = header_key(alias)
            if key in index and index[key] != canonical:
                raise ValueError(f"alias {alias!r} is given to {index[key]!r} and {canonical!r}")
            index[key] = canonical
    return index


def read_table(path: str | Path, columns: Mapping[str, Iterable[str]], required: Iterable[str], *,
               region: str = "CN", sheet: str | None = None,
               classify: Callable[[str], str | None] | None = None) -> Table:
    """Read ``path`` (CSV or XLSX) and map its header onto ``columns``. ``region`` (the shop's)
    settles a CSV that reads as well in GB18030 as in Big5 (see ``decode_text``). ``sheet``: the
    workbook's sheet of that name instead of the first. ``classify(header text)``, when given, is
    asked first for each header cell: a canonical name it returns wins over the aliases (it may
    raise ImportFailed to refuse the file for a header it knows to be wrong).

    Raises ImportFailed: ``import_unreadable`` (missing file, damaged workbook or sheet),
    ``import_no_sheet`` (a workbook without a worksheet), ``import_xls``,
    ``import_sheet_missing``, ``import_encoding``, ``import_csv_broken`` (an open quote, a cell past the csv module's limit),
    ``import_columns`` (required columns missing), ``import_column_twice``, ``import_empty`` (no data rows).
    """
    p = Path(path)
    name = p.name
    raw_rows = _read_raw(p, region, sheet)
    header_at = next((i for i, (_, cells) in enumerate(raw_rows) if _non_empty(cells)), None)
    if header_at is None:
        raise ImportFailed("import_empty", file=name)
    index = alias_index(columns)
    header_no, header = raw_rows[header_at]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for pos, cell in enumerate(header):
        text = _text(cell).strip()
        if not text:
            continue
        canonical = classify(text) if classify is not None else None
        if canonical is None:
            canonical = index.get(header_key(text))
        if canonical is None:
            ignored.append(text)
            continue
        if canonical in positions:
            raise ImportFailed("import_column_twice", file=name, column=canonical,
                               columns=f"{headers[canonical]}, {text}")
        positions[canonical] = pos
        headers[canonical] = text
    missing = [c for c in required if c not in positions]
    if missing:
        found = [_text(c).strip() for c in header if _text(c).strip()]
        raise ImportFailed("import_columns", file=name, missing=", ".join(missing),
                           found=", ".join(found) or "-")
    # A cell past the last named column belongs to no column: a shifted row (a comma too many in
    # a name) that would otherwise lose it without a word. The importers refuse such a row.
    width = max((i + 1 for i, c in enumerate(header) if _text(c).strip()), default=0)
    rows: list[Row] = []
    for row_no, cells in raw_rows[header_at + 1:]:
        if not _non_empty(cells):
            continue
        values = {c: (cells[i] if i < len(cells) else "") for c, i in positions.items()}
        values = {c: (v.strip() if isinstance(v, str) else v) for c, v in values.items()}
        extra = next((_text(c).strip() for c in cells[width:] if _text(c).strip()), "")
        rows.append(Row(row_no, values, extra))
    if not rows:
        raise ImportFailed("import_empty", file=name)
    return Table(file=name, columns=tuple(sorted(positions, key=positions.get)), headers=headers,
                 ignored=tuple(ignored), rows=tuple(rows))


# --- raw reading ------------------------------------------------------------------------------
def _read_raw(p: Path, region: str = "CN", sheet: str | None = None) -> list[tuple[int, list[Cell]]]:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ImportFailed("import_unreadable", file=p.name, why=exc.strerror or str(exc)) from None
    suffix = p.suffix.lower()
    if suffix == ".xls" or data.startswith(_OLE_MAGIC):
        raise ImportFailed("import_xls", file=p.name)
    if suffix in XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
        return _read_xlsx(p, data, sheet)
    return _read_csv(p.name, data, region)


def decode_text(data: bytes, file: str = "", region: str = "CN") -> str:
    """The text of a CSV file, in the one encoding it can only be; else ImportFailed('import_encoding').

    UTF-8 (BOM or not) strictly first. Otherwise GB18030 (mainland Excel) and Big5-HKSCS (Taiwan
    and Hong Kong), each strictly; a candidate holding private-use characters (U+E000-F8FF: what
    one of them makes of the other's bytes) or NULs (UTF-16, binaries) is out. When one is left it
    must also look like text (:func:`_plausibility`); when both are, the clearly more plausible one
    wins. When both read equally well (a name or two can: 李娜 in GB18030 is two common Big5
    characters too), the shop's ``region`` decides: Big5 in Taiwan, Hong Kong and Macau, GB18030
    elsewhere. Anything else (Shift-JIS, Latin-1, a close call) is refused: a guess is never imported.
    """
    try:
        text = data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if "\x00" in text:  # UTF-16 and binaries decode "successfully" into NULs
            raise ImportFailed("import_encoding", file=file)
        return text
    scored: list[tuple[float, str]] = []
    for encoding, common in _LEGACY:
        try:
            text = data.decode(encoding, errors="strict")
        except UnicodeDecodeError:
            continue
        if "\x00" in text or _PRIVATE_USE.search(text):
            continue
        scored.append((_plausibility(text, common), text))
    if len(scored) == 2 and scored[0][0] == scored[1][0] >= PLAUSIBLE:  # both decoded, in _LEGACY's order
        return scored[BIG5_REGIONS.get(region.upper(), 0)][1]
    scored.sort(key=lambda x: x[0], reverse=True)
    if scored and scored[0][0] >= PLAUSIBLE and (len(scored) == 1 or scored[0][0] - scored[1][0] >= MARGIN):
        return scored[0][1]
    raise ImportFailed("import_encoding", file=file)


# How sure decode_text must be: the share of a candidate's letters that are common characters of
# its encoding, and how far ahead of the other candidate. Chinese names and words decoded right
# score 0.9 to 1; the other encoding's reading of the same bytes about 0.4 to 0.7 (tests/test_imports.py).
PLAUSIBLE, MARGIN = 0.8, 0.2
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _in_gb2312(ch: str) -> bool:
    """GB2312: the 6,763 hanzi and the symbols a mainland file uses (a GBK- or GB18030-only
    character is rare in real text, and is what Shift-JIS or Big5 bytes read as GB18030 give)."""
    try:
        return len(ch.encode("gb2312")) == 2
    except UnicodeEncodeError:
        return False


def _in_big5_common(ch: str) -> bool:
    """Big5's symbols and its 5,401 frequently used characters (常用字, A140-C67E)."""
    try:
        b = ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xA140 <= int.from_bytes(b, "big") <= 0xC67E


_LEGACY = (("gb18030", _in_gb2312), ("big5hkscs", _in_big5_common))
BIG5_REGIONS = {"TW": 1, "HK": 1, "MO": 1}   # where Big5 is the local legacy encoding (_LEGACY[1])


def _plausibility(text: str, common) -> float:
    """The share of the distinct letters beyond ASCII that are ``common``: 1.0 for text with none.
    Only letters count (hanzi, kana, accented Latin...): punctuation, currency signs such as ¥ and
    full-width forms say nothing about which encoding wrote them."""
    letters = [ch for ch in set(text) if ord(ch) > 127 and unicodedata.category(ch)[0] == "L"
               and not "\uff00" <= ch <= "\uffef"]
    return sum(map(common, letters)) / len(letters) if letters else 1.0


def _read_csv(name: str, data: bytes, region: str = "CN") -> list[tuple[int, list[Cell]]]:
    text = decode_text(data, name, region)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    if first and first.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for cells in reader:
            # line_num is the physical line where this record ended; a record spanning lines
            # (a quoted newline) is numbered by that line, which is where an editor shows its end.
            rows.append((reader.line_num, list(cells)))
    except csv.Error:  # its own words are English only ("field larger than field limit", ...)
        raise ImportFailed("import_csv_broken", file=name, row=max(reader.line_num, 1)) from None
    return rows


def _read_xlsx(p: Path, data: bytes, sheet: str | None = None) -> list[tuple[int, list[Cell]]]:
    import openpyxl

    # A damaged workbook fails anywhere in openpyxl (zip, XML, relationships, a cell's attributes),
    # and lazily: read-only mode parses the sheet while its rows are iterated. Whatever it raises
    # then is the file's fault, so all of it is the one "cannot read" refusal.
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - see above
        raise ImportFailed("import_unreadable", file=p.name, why=_why(exc)) from None
    try:
        if not wb.worksheets:
            raise ImportFailed("import_no_sheet", file=p.name)
        if sheet is not None and sheet not in wb.sheetnames:
            raise ImportFailed("import_sheet_missing", file=p.name, sheet=quoted(sheet),
                               sheets=", ".join(wb.sheetnames))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        # The <dimension> a program wrote may claim fewer rows or columns than the sheet holds, and
        # read-only mode would stop there without a word: read every row the sheet really has.
        ws.reset_dimensions()
        rows: list[tuple[int, list[Cell]]] = []
        for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
            rows.append((row_no, [xlsx_cell(v) for v in values]))
        return rows
    except ImportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: see above
        raise ImportFailed("import_unreadable", file=p.name, why=_why(exc)) from None
    finally:
        wb.close()


def _why(exc: BaseException) -> str:
    return quoted(str(exc).strip() or type(exc).__name__, 120)


def xlsx_cell(value: object) -> Cell:
    """A workbook value as the importer wants it: text, or a date/datetime."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))         # 13800138000.0 -> '13800138000'
        return format(Decimal(repr(value)).normalize(), "f")  # 58.5 -> '58.5', no exponent
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _text(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.isoformat()


def _non_empty(cells: list[Cell]) -> bool:
    return any((c.strip() if isinstance(c, str) else c) for c in cells)
