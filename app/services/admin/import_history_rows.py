"""The sales history file read into memory: one row checked cell by cell, the rows kept compact in typed arrays and grouped into sales by receipt, and the row digest that makes a re-import safe."""
from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from datetime import datetime

from app.errors import ShopError, ValidationError
from app.money import parse_amount
from app.services.admin.import_cells import cell_datetime, cell_shown, cell_text, whole_number
from app.services.admin.import_columns import QTY_MAX, RECEIPT_MAX
from app.services.base.settings import ShopSettings
from app.services.base.tabular import Row


# One readable row, kept compact for the whole file (a million rows must fit in memory twice over):
# (row no, phone E.164, when, amount in minor units, sku, qty, receipt, n) where n counts identical
# receipt-less rows so far (0 for a receipt's row).
_R_NO, _R_PHONE, _R_WHEN, _R_AMOUNT, _R_SKU, _R_QTY, _R_RECEIPT, _R_N = range(8)
WRITE_CHUNK = 2000   # sales per executemany: progress and cancel between them


class _History:
    """The file's readable rows, column by column in typed arrays (about 50 bytes a row, so a
    million rows take some 50 MB, not the 200+ MB of a tuple per row), and how they group into
    sales. A row comes back as a tuple (``_R_*``) when it is asked for."""

    def __init__(self) -> None:
        self.no = array("q")
        self.phone = array("i")      # index into self.phones
        self.when = array("q")       # YYYYMMDDhhmmss: ordered like the datetime
        self.amount = array("q")
        self.sku = array("i")        # index into self.texts ('' is 0)
        self.qty = array("i")
        self.receipt = array("i")    # index into self.texts ('' is 0)
        self.n = array("i")          # receipt-less: which of the identical rows (1, 2, ...); else 0
        self.key = array("q")        # receipt-less: 63 bits of the row's content digest; else 0
        self.phones: list[str] = []
        self.phone_ix: dict[str, int] = {}
        self.texts: list[str] = [""]
        self.text_ix: dict[str, int] = {"": 0}
        # A receipt's rows (file order), as a chain: first[receipt], then next_row[row] (-1 ends it).
        self.first = array("i", [-1])                # by receipt index
        self.last = array("i", [-1])
        self.next_row = array("i")
        self.sunk: set[int] = set()                 # receipts left out whole (a bad row)
        self.rows = 0

    def __len__(self) -> int:
        return len(self.no)

    def _text(self, value: str) -> int:
        ix = self.text_ix.get(value)
        if ix is None:
            ix = self.text_ix[value] = len(self.texts)
            self.texts.append(value)
            self.first.append(-1)
            self.last.append(-1)
        return ix

    def lines_of(self, rix: int) -> list[int]:
        """The rows of receipt ``rix``, in file order."""
        out = []
        i = self.first[rix]
        while i >= 0:
            out.append(i)
            i = self.next_row[i]
        return out

    def receipts(self) -> set[int]:
        """The receipts with readable rows."""
        return {rix for rix in range(1, len(self.first)) if self.first[rix] >= 0}

    def add(self, rec: tuple) -> int:
        i = len(self.no)
        phone = rec[_R_PHONE]
        pix = self.phone_ix.get(phone)
        if pix is None:
            pix = self.phone_ix[phone] = len(self.phones)
            self.phones.append(phone)
        w = rec[_R_WHEN]
        self.no.append(rec[_R_NO])
        self.phone.append(pix)
        self.when.append(((((w.year * 100 + w.month) * 100 + w.day) * 100 + w.hour) * 100 + w.minute) * 100 + w.second)
        self.amount.append(rec[_R_AMOUNT])
        self.sku.append(self._text(rec[_R_SKU]))
        self.qty.append(rec[_R_QTY])
        rix = self._text(rec[_R_RECEIPT]) if rec[_R_RECEIPT] else 0
        self.receipt.append(rix)
        self.n.append(0 if rix else 1)
        self.next_row.append(-1)
        if rix:
            self.key.append(0)
            if self.first[rix] < 0:
                self.first[rix] = i
            else:
                self.next_row[self.last[rix]] = i
            self.last[rix] = i
        else:
            digest = hashlib.blake2b(repr((phone, w, rec[_R_AMOUNT], rec[_R_SKU], rec[_R_QTY])).encode(),
                                     digest_size=8).digest()
            self.key.append(int.from_bytes(digest, "big") >> 1 or 1)
        return i

    def first_of(self, receipt: str) -> int | None:
        rix = self.text_ix.get(receipt)
        i = self.first[rix] if rix else -1
        return i if i >= 0 else None

    def count_identical(self) -> None:
        """Number identical receipt-less rows 1, 2, ... in file order: rows whose digest bits
        repeat are compared in full (two different rows sharing 63 bits are told apart)."""
        keys = sorted(k for k in self.key if k)
        twice = {a for a, b in zip(keys, keys[1:]) if a == b}
        del keys
        if not twice:
            return
        seen: dict[tuple, int] = {}
        for i, k in enumerate(self.key):
            if k in twice:
                content = (self.phone[i], self.when[i], self.amount[i], self.sku[i], self.qty[i])
                self.n[i] = seen[content] = seen.get(content, 0) + 1

    def row(self, i: int) -> tuple:
        w = self.when[i]
        when = datetime(w // 10_000_000_000, w // 100_000_000 % 100, w // 1_000_000 % 100, w // 10_000 % 100,
                        w // 100 % 100, w % 100)
        return (self.no[i], self.phones[self.phone[i]], when, self.amount[i], self.texts[self.sku[i]], self.qty[i],
                self.texts[self.receipt[i]], self.n[i])

    def skus(self) -> set[str]:
        return {self.texts[x] for x in set(self.sku) if x}

    def sales(self) -> Iterator[tuple[str, list[tuple]]]:
        """(source_ref, rows) per sale, in file order."""
        first, sunk, receipts, row = self.first, self.sunk, self.receipt, self.row
        for i in range(len(self.no)):
            rix = receipts[i]
            if not rix:
                r = row(i)
                yield (f"import:row:{row_digest(r[_R_PHONE], r[_R_WHEN], r[_R_AMOUNT], r[_R_SKU], r[_R_QTY])}"
                       f":{r[_R_N]}"), [r]
                continue
            if rix in sunk:
                continue
            if first[rix] == i:
                yield f"import:receipt:{self.texts[rix]}", [row(j) for j in self.lines_of(rix)]


def _parse_sale(row: Row, headers, cfg: ShopSettings, now: datetime, phone_of):
    """(the compact row or None, every problem the row has)."""
    def field(col: str) -> str:
        return headers.get(col, col)

    errs: list[ShopError] = []
    if row.extra:
        errs.append(ValidationError("import_extra_cells", value=cell_shown(row.extra)))
    get = row.get
    phone = when = amount = None
    try:
        phone = phone_of(cell_text(get("phone")))
    except ShopError as err:
        errs.append(err)
    try:
        when = cell_datetime(get("datetime"), field("datetime"))
        if when > now:
            errs.append(ValidationError("import_future", field=field("datetime"), value=when.isoformat(sep=" ")))
    except ShopError as err:
        errs.append(err)
    try:
        amount = parse_amount(cell_text(get("amount")), cfg.currency, field=field("amount"))
    except ShopError as err:
        errs.append(err)
    sku = cell_text(get("sku"))
    qty_text = cell_text(get("qty"))
    if not qty_text:
        qty = 1
    elif len(qty_text) <= 4 and qty_text.isascii() and qty_text.isdigit():
        qty = int(qty_text)
    else:
        qty = whole_number(qty_text)
    if qty is None or not 1 <= qty <= QTY_MAX:
        errs.append(ValidationError("quantity_invalid", value=cell_shown(qty_text), max=QTY_MAX))
    receipt = cell_text(get("receipt"))
    if len(receipt) > RECEIPT_MAX:
        errs.append(ValidationError("import_too_long", field=field("receipt"), value=cell_shown(receipt),
                                    max=RECEIPT_MAX))
    if errs:
        return None, errs
    return (row.row_no, phone, when, amount, sku, qty, receipt, 0), errs


def row_digest(phone: str, when: datetime, amount: int, sku: str, qty: int) -> str:
    """sha256 of a history row's normalised content (E.164 phone, datetime to the second, minor
    units, SKU as written, quantity): the same purchase typed differently hashes the same."""
    text = "|".join([phone, when.strftime("%Y-%m-%d %H:%M:%S"), str(amount), sku, str(qty)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
