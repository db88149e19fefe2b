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
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

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
    asked first for each header cell: a canonical name it returns wins over the aliases, ``""``
    (``import_run.IGNORE``) leaves the column out, None asks the aliases (it may raise ImportFailed
    to refuse the file for a header it knows to be wrong).

    Raises ImportFailed: ``import_unreadable`` (missing file, damaged workbook or sheet),
    ``import_no_sheet`` (a workbook without a worksheet), ``import_xls``,
    ``import_sheet_missing``, ``import_encoding``, ``import_csv_broken`` (an open quote, a cell past the csv module's limit),
    ``import_columns`` (required columns missing), ``import_column_twice``, ``import_empty`` (no data rows).
    The whole table is kept in memory: a big file is read with :func:`stream_table`.
    """
    st = stream_table(path, columns, required, region=region, sheet=sheet, classify=classify)
    with st:
        rows = tuple(st.rows())
    return Table(file=st.file, columns=st.columns, headers=st.headers, ignored=st.ignored, rows=rows)


class StreamTable:
    """A table read row by row (bounded memory): the header is read and mapped when it is opened;
    :meth:`rows` yields each data row once. ``estimate`` is about how many data rows the file holds
    (its lines, or the sheet's claimed size), for progress. Use as a context manager (it closes a
    workbook)."""

    def __init__(self, file: str, columns: tuple[str, ...], headers: Mapping[str, str], ignored: tuple[str, ...],
                 positions: dict[str, int], width: int, raw, estimate: int, close) -> None:
        self.file, self.columns, self.headers, self.ignored = file, columns, headers, ignored
        self._positions, self._width, self._raw, self.estimate, self._close = positions, width, raw, estimate, close

    def __enter__(self) -> StreamTable:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def rows(self) -> Iterator[Row]:
        """Every data row in file order (rows with no value at all skipped); ``import_empty`` when
        there is none."""
        items = tuple(self._positions.items())
        width = self._width
        any_row = False
        for row_no, cells in self._raw:
            if not _non_empty(cells):
                continue
            n = len(cells)
            values = {}
            for c, i in items:
                v = cells[i] if i < n else ""
                values[c] = v.strip() if isinstance(v, str) else v
            extra = ""
            if n > width:
                extra = next((_text(c).strip() for c in cells[width:] if _text(c).strip()), "")
            any_row = True
            yield Row(row_no, values, extra)
        if not any_row:
            raise ImportFailed("import_empty", file=self.file)


def stream_table(path: str | Path, columns: Mapping[str, Iterable[str]], required: Iterable[str], *,
                 region: str = "CN", sheet: str | None = None,
                 classify: Callable[[str], str | None] | None = None) -> StreamTable:
    """:func:`read_table`'s header rules and refusals, with the rows read lazily (see StreamTable)."""
    p = Path(path)
    name = p.name
    raw, estimate, close = _open_raw(p, region, sheet)
    try:
        header_no, header = None, None
        for row_no, cells in raw:
            if _non_empty(cells):
                header_no, header = row_no, cells
                break
        if header is None:
            raise ImportFailed("import_empty", file=name)
        index = alias_index(columns)
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
            if not canonical:   # None: no alias matched; "": the owner left it out
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
    except BaseException:
        if close is not None:
            close()
        raise
    # A cell past the last named column belongs to no column: a shifted row (a comma too many in
    # a name) that would otherwise lose it without a word. The importers refuse such a row.
    width = max((i + 1 for i, c in enumerate(header) if _text(c).strip()), default=0)
    return StreamTable(name, tuple(sorted(positions, key=positions.get)), headers, tuple(ignored), positions,
                       width, raw, max(0, estimate - header_no), close)


# --- raw reading ------------------------------------------------------------------------------
# A CSV up to this size is decoded whole (decode_text weighs every character); a bigger one is
# decoded as a stream in the encoding its first SAMPLE bytes show, strictly: a byte sequence the
# encoding cannot read later on still refuses the file (import_encoding).
WHOLE_CSV, SAMPLE = 8 << 20, 2 << 20


def _open_raw(p: Path, region: str = "CN", sheet: str | None = None):
    """(an iterator of (row number, cells), estimated rows, close or None)."""
    try:
        f = open(p, "rb")
    except OSError as exc:
        raise ImportFailed("import_unreadable", file=p.name, why=exc.strerror or str(exc)) from None
    try:
        head = f.read(SAMPLE)
        size = os.fstat(f.fileno()).st_size
    except OSError as exc:
        f.close()
        raise ImportFailed("import_unreadable", file=p.name, why=exc.strerror or str(exc)) from None
    suffix = p.suffix.lower()
    if suffix == ".xls" or head.startswith(_OLE_MAGIC):
        f.close()
        raise ImportFailed("import_xls", file=p.name)
    if suffix in XLSX_SUFFIXES or head.startswith(_ZIP_MAGIC):
        f.close()
        return _open_xlsx(p, sheet)
    if size <= WHOLE_CSV:
        data = head + f.read()
        f.close()
        text = decode_text(data, p.name, region)
        return _csv_rows(p.name, io.StringIO(text, newline=""), _first_line(text)), text.count("\n") + 1, None
    # Big: the encoding from a sample that ends on a line break, then a strict streaming decode.
    cut = head.rfind(b"\n")
    sample = head[:cut + 1] if cut > 0 else head
    text = decode_text(sample, p.name, region)
    if text == _try(sample, "utf-8-sig"):
        encoding = "utf-8-sig"
    else:
        encoding = next(enc for enc, _ in _LEGACY if _try(sample, enc) == text)
    estimate = size * max(1, text.count("\n")) // max(1, len(sample))
    f.seek(0)
    stream = io.TextIOWrapper(f, encoding=encoding, errors="strict", newline="")
    return _csv_rows(p.name, stream, _first_line(text), stream), estimate, stream.close


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding, errors="strict")
    except UnicodeDecodeError:
        return None


def _first_line(text: str) -> str:
    for line in io.StringIO(text):
        if line.strip():
            return line
    return ""


def _read_raw(p: Path, region: str = "CN", sheet: str | None = None) -> list[tuple[int, list[Cell]]]:
    raw, _, close = _open_raw(p, region, sheet)
    try:
        return list(raw)
    finally:
        if close is not None:
            close()


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


def _csv_rows(name: str, stream, first: str, raw=None) -> Iterator[tuple[int, list[Cell]]]:
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    if first and first.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        for cells in reader:
            # line_num is the physical line where this record ended; a record spanning lines
            # (a quoted newline) is numbered by that line, which is where an editor shows its end.
            yield reader.line_num, cells
    except csv.Error:  # its own words are English only ("field larger than field limit", ...)
        raise ImportFailed("import_csv_broken", file=name, row=max(reader.line_num, 1)) from None
    except UnicodeDecodeError:   # a big file's later bytes are not in the encoding its start showed
        raise ImportFailed("import_encoding", file=name) from None


def _open_xlsx(p: Path, sheet: str | None = None):
    import openpyxl

    # A damaged workbook fails anywhere in openpyxl (zip, XML, relationships, a cell's attributes),
    # and lazily: read-only mode parses the sheet while its rows are iterated. Whatever it raises
    # then is the file's fault, so all of it is the one "cannot read" refusal.
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - see above
        raise ImportFailed("import_unreadable", file=p.name, why=_why(exc)) from None
    try:
        if not wb.worksheets:
            raise ImportFailed("import_no_sheet", file=p.name)
        if sheet is not None and sheet not in wb.sheetnames:
            raise ImportFailed("import_sheet_missing", file=p.name, sheet=quoted(sheet),
                               sheets=", ".join(wb.sheetnames))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        try:
            estimate = int(ws.max_row or 0)
        except Exception:  # noqa: BLE001 - a dimension that does not parse is only a poor estimate
            estimate = 0
        # The <dimension> a program wrote may claim fewer rows or columns than the sheet holds, and
        # read-only mode would stop there without a word: read every row the sheet really has.
        ws.reset_dimensions()
    except ImportFailed:
        wb.close()
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: see above
        wb.close()
        raise ImportFailed("import_unreadable", file=p.name, why=_why(exc)) from None

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        try:
            for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
                yield row_no, [xlsx_cell(v) for v in values]
        except ImportFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged sheet: see above
            raise ImportFailed("import_unreadable", file=p.name, why=_why(exc)) from None

    return rows(), estimate, wb.close


def sheet_names(path: str | Path) -> list[str]:
    """A workbook's sheets in order (the wizard's choice); ``[]`` for a CSV."""
    p = Path(path)
    if p.suffix.lower() not in XLSX_SUFFIXES:
        try:
            with open(p, "rb") as f:
                if not f.read(4).startswith(_ZIP_MAGIC):
                    return []
        except OSError as exc:
            raise ImportFailed("import_unreadable", file=p.name, why=exc.strerror or str(exc)) from None
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - see _open_xlsx
        raise ImportFailed("import_unreadable", file=p.name, why=_why(exc)) from None
    try:
        return list(wb.sheetnames)
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
