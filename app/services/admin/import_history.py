"""Importing sales history (CSV: member phone, date and time, amount [, sku, qty]): one imported sale per receipt, all-or-nothing, idempotent by row digest."""
from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, case, insert, or_, select, update

from app import i18n
from app.errors import ImportFailed, ShopError, ValidationError
from app.models import Member, Product, ProductBarcode, Sale, SaleLine, Till
from app.models import Payment as PaymentRow
from app.money import parse_amount, round_half_up
from app.services.admin import import_batches
from app.services.admin.import_common import (
    CHUNK,
    IMPORT_LINE_NAME,
    IMPORT_SKU,
    IMPORT_TILL,
    PREVIEW_ROWS,
    QTY_MAX,
    RECEIPT_MAX,
    SALES_COLUMNS,
    SALES_REQUIRED,
    ImportReport,
    PhoneReader,
    RejectedRow,
    SalePreview,
    Ticker,
    big_cache,
    cell_datetime,
    cell_shown,
    cell_text,
    classifier,
    existing_values,
    import_lock,
    phone_shown,
    whole_number,
    Bulk,
    gc_paused,
)
from app.services.base import audit, permissions, phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.base.tabular import Row, stream_table
from app.services.members import members, tiers
from app.services.sales import receipt_numbers


# --- sales history ----------------------------------------------------------------------------
# One readable row, kept compact for the whole file (a million rows must fit in memory twice over):
# (row no, phone E.164, when, amount in minor units, sku, qty, receipt, n) where n counts identical
# receipt-less rows so far (0 for a receipt's row).
_R_NO, _R_PHONE, _R_WHEN, _R_AMOUNT, _R_SKU, _R_QTY, _R_RECEIPT, _R_N = range(8)
WRITE_CHUNK = 2000   # sales per executemany: progress and cancel between them
_ANY_IMPORTED = select(Sale.id).where(Sale.source == "import").limit(1)


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


def import_sales(ctx: Ctx, path: str | Path, *, skip_bad: bool = False, sheet: str | None = None, mapping=None,
                 dry_run: bool = False, progress=None, cancel=None, preview_rows: int = PREVIEW_ROWS) -> ImportReport:
    """Import purchase history from a CSV/XLSX file (see the module docstring for the rules)."""
    with gc_paused():
        return _import_sales(ctx, path, skip_bad=skip_bad, sheet=sheet, mapping=mapping, dry_run=dry_run,
                             progress=progress, cancel=cancel, preview_rows=preview_rows)


def _import_sales(ctx: Ctx, path: str | Path, *, skip_bad: bool, sheet: str | None, mapping, dry_run: bool,
                  progress, cancel, preview_rows: int) -> ImportReport:
    """Import purchase history from a CSV/XLSX file (see the module docstring for the rules).

    Everything that needs no write lock is done first: reading, validating and grouping every row,
    and finding the products. Only then does the one write transaction begin, and it writes in bulk
    (Core executemany in chunks, no per-row ORM flush), so a till's checkout waits for seconds, not
    minutes."""
    permissions.require(ctx, "import")
    cfg = load_settings(ctx)
    now = ctx.now()
    phone_of = PhoneReader(cfg.region)
    h = _History()
    bad: dict[int, list[ShopError]] = {}
    receipt_bad: dict[str, list[int]] = {}      # receipt as written -> its bad rows
    with stream_table(path, SALES_COLUMNS, SALES_REQUIRED, region=cfg.region, sheet=sheet,
                      classify=classifier(mapping)) as table:
        ticker = Ticker(progress, cancel, table.estimate)
        headers = table.headers
        for row in table.rows():
            h.rows += 1
            ticker.tick()
            rec, errs = _parse_sale(row, headers, cfg, now, phone_of)
            receipt = rec[_R_RECEIPT] if rec else cell_text(row.get("receipt"))
            if rec is not None and receipt:
                head_i = h.first_of(receipt)
                if head_i is not None:
                    head = h.row(head_i)
                    if rec[_R_PHONE] != head[_R_PHONE] or rec[_R_WHEN] != head[_R_WHEN]:
                        errs = [ValidationError(
                            "import_receipt_mismatch", receipt=receipt, row=head[_R_NO],
                            phone=phones.mask(head[_R_PHONE]), when=head[_R_WHEN].isoformat(sep=" "))]
            if errs:
                bad[row.row_no] = errs
                if receipt:
                    receipt_bad.setdefault(receipt, []).append(row.row_no)
                continue
            h.add(rec)
        file, ignored = table.file, table.ignored
    h.count_identical()
    del h.key
    ticker.rows_known(h.rows)
    ticker.done = h.rows
    ticker.check()
    h.sunk = {h.text_ix[r] for r in receipt_bad if r in h.text_ix} & h.receipts()
    left_out = [RejectedRow.of(h.no[i], ValidationError(
        "import_receipt_left_out", receipt=h.texts[rix],
        rows=", ".join(map(str, receipt_bad[h.texts[rix]])))) for rix in h.sunk for i in h.lines_of(rix)]
    rejected = sorted([*(RejectedRow.many(n, e) for n, e in bad.items()), *left_out], key=lambda r: r.row_no)
    if bad and not skip_bad and not dry_run:
        rows = tuple(RejectedRow.many(n, e) for n, e in sorted(bad.items()))
        raise ImportFailed("import_rows", file=file, count=len(rows), rows=rows)
    with ctx.tx(write=False) as t:
        products = _products(t, h.skus())

    with ctx.tx(write=not dry_run) as t:
        if not dry_run:
            import_lock(t)
            big_cache(t, 32)
        # What others may have changed meanwhile is read again under the lock: sales already
        # imported (a re-import racing this one) and the members the phones belong to.
        present = _present(t, h)
        first_seen: dict[str, datetime] = {}
        n_sales = 0
        for k, (ref, rows) in enumerate(h.sales()):
            n_sales += 1
            if present is not None and present[k]:
                continue
            phone, when = rows[0][_R_PHONE], rows[0][_R_WHEN]
            seen_at = first_seen.get(phone)
            if seen_at is None or when < seen_at:
                first_seen[phone] = when
        skipped = sum(present) if present is not None else 0
        todo = n_sales - skipped
        known = {phone: mid for phone, mid in existing_values(t, Member.phone, Member.id, list(first_seen))}
        created = len(first_seen) - len(known)
        preview = _preview(h, present, known, cfg, preview_rows)
        if dry_run:
            ticker.end()
            return ImportReport(imported=todo, skipped=skipped, rejected=tuple(rejected), members_created=created,
                                rows=h.rows, dry_run=True, preview=preview)
        batch = import_batches.begin(t, "sales", path)
        member_ids, new_ids = _members_for(t, first_seen, known, cfg, batch)
        del first_seen
        total = _write_sales(t, h, present, member_ids, new_ids, products, batch, ticker)
        counts = {"rows": h.rows, "imported": todo, "skipped": skipped, "rejected": len(rejected),
                  "members_created": created, "amount": total}
        import_batches.finish(t, batch, counts)
        audit.record(t, "import.sales", "import", None, after={
            "file": file, "batch": batch, "imported": todo, "rows_imported": h.rows - len(rejected),
            "skipped": skipped, "rejected": len(rejected), "rejected_rows": [r.row_no for r in rejected][:1000],
            "members_created": created, "amount": total, "ignored_columns": list(ignored)})
        ticker.end()
        return ImportReport(imported=todo, skipped=skipped, rejected=tuple(rejected), members_created=created,
                            rows=h.rows, batch_id=batch, preview=preview)


def _present(t: Ctx, h: _History) -> bytearray | None:
    """Per sale (file order): 1 when it was imported before; None when no sale was ever imported."""
    if t.s.execute(_ANY_IMPORTED).first() is None:
        return None
    flags = bytearray()
    refs: list[str] = []

    def flush() -> None:
        found = {ref for (ref,) in existing_values(t, Sale.source_ref, None, refs)}
        flags.extend(1 if ref in found else 0 for ref in refs)
        refs.clear()

    for ref, _ in h.sales():
        refs.append(ref)
        if len(refs) >= WRITE_CHUNK:
            flush()
    flush()
    return flags


def _preview(h: _History, present, known: dict[str, int], cfg: ShopSettings, limit: int) -> tuple:
    out = []
    for k, (ref, rows) in enumerate(h.sales()):
        if len(out) >= limit:
            break
        first = rows[0]
        out.append(SalePreview(row_no=first[_R_NO], receipt=first[_R_RECEIPT], when=first[_R_WHEN],
                               phone=first[_R_PHONE], phone_shown=phone_shown(first[_R_PHONE], cfg.region),
                               amount=sum(r[_R_AMOUNT] for r in rows), lines=len(rows),
                               new_member=first[_R_PHONE] not in known,
                               already=bool(present is not None and present[k])))
    return tuple(out)


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


def _products(t: Ctx, skus: set[str]) -> dict[str, tuple[int, str, str]]:
    """SKU or barcode as written -> (product id, SKU, name); a SKU match wins over a barcode."""
    wanted = sorted(skus)
    found: dict[str, tuple[int, str, str]] = {}
    by_barcode: dict[str, tuple[int, str, str]] = {}
    for i in range(0, len(wanted), CHUNK):
        part = wanted[i:i + CHUNK]
        for pid, sku, name in t.s.execute(
                select(Product.id, Product.sku, Product.name).where(Product.sku.in_(part)).order_by(Product.id)):
            found[sku] = (pid, sku, name)
        for barcode, pid, sku, name in t.s.execute(
                select(ProductBarcode.barcode, Product.id, Product.sku, Product.name)
                .join(Product, Product.id == ProductBarcode.product_id)
                .where(ProductBarcode.barcode.in_(part)).order_by(Product.id)):
            by_barcode.setdefault(barcode, (pid, sku, name))
    return {code: found.get(code) or by_barcode[code] for code in wanted if code in found or code in by_barcode}


def _members_for(t: Ctx, first_seen: dict[str, datetime], known: dict[str, int], cfg: ShopSettings,
                 batch: int) -> tuple[dict[str, int], set[int]]:
    """Phone -> member id for every sale to write; an unknown phone gets a new member (``会员1234``
    or ``Member 1234``) who joined on the day of their first imported purchase. Returns the map and
    the ids of the members created."""
    ids = known    # filled in place: a million-row history has hundreds of thousands of phones
    new = sorted(p for p in first_seen if p not in ids)
    if new:
        base = tiers.base_tier(t)
        now = t.now()
        m = Member.__table__
        def label(p: str) -> str:
            return i18n.T_(cfg.language, "Member {last4}", last4=phones.last4(p))
        # What members._insert writes for a name, a phone and a join date, in executemany chunks.
        for i in range(0, len(new), WRITE_CHUNK):
            rows = []
            for p in new[i:i + WRITE_CHUNK]:
                name = label(p)
                rows.append({"import_batch_id": batch, "name": name, "name_key": members.name_key(name),
                             "phone": p, "phone_last4": phones.last4(p), "tier_id": base.id if base else None,
                             "join_date": first_seen[p].date(), "notes": "", "created_at": now, "updated_at": now,
                             "ebill_enabled": cfg.ebill_default, "wallet_principal": 0, "wallet_bonus": 0,
                             "points_balance": 0, "total_spent": 0, "visits": 0, "birthday_calendar": "solar",
                             "birthday_leap_month": False, "consent_care": False, "consent_marketing": False})
            t.s.connection().execute(insert(m), rows)
        created: set[int] = set()
        for phone, mid in t.s.connection().execute(select(m.c.phone, m.c.id).where(m.c.import_batch_id == batch)):
            ids[phone] = mid
            created.add(mid)
        return ids, created
    return ids, set()


def _write_sales(t: Ctx, h: _History, present, member_ids: dict[str, int], new_ids: set[int],
                 products: dict[str, tuple[int, str, str]], batch: int, ticker: Ticker) -> int:
    """Every sale with a line per row and one ``other`` payment for its total, in chunks of
    executemany; then the members' totals, visits, last visit and tier. Returns the amount."""
    todo = len(present) - sum(present) if present is not None else sum(1 for _ in h.sales())
    if not todo:
        return 0
    seq0 = _reserve_receipts(t, todo)
    actor = t.actor.id
    conn = t.s.connection()
    per: dict[int, list] = {}    # member id -> [total, visits, last, biggest sale, {(y, m): amount}]
    amount = 0
    n = 0
    chunk: list[tuple[str, list[tuple]]] = []
    sales_in = Bulk(t, Sale.__table__, (
        "import_batch_id", "receipt_no", "till", "seq", "kind", "source", "source_ref", "staff_id", "member_id",
        "created_at", "subtotal", "tier_discount", "manual_discount", "total", "change_given", "points_earned", "note"))
    lines_in = Bulk(t, SaleLine.__table__, (
        "sale_id", "line_no", "product_id", "sku", "name", "qty", "unit_price", "price_overridden", "tier_discount",
        "manual_discount", "line_total", "points_eligible"))
    payments_in = Bulk(t, PaymentRow.__table__, ("sale_id", "method", "amount", "reference"))
    dt = sales_in.dt
    no_product = (None, IMPORT_SKU, IMPORT_LINE_NAME)
    cfg = load_settings(t)
    months_wanted = bool(cfg.vip_month_spend and cfg.vip_tier)   # the VIP rule's calendar months

    def flush() -> None:
        nonlocal n
        if not chunk:
            return
        first_seq = seq0 + n
        sale_rows = []
        for k, (ref, rows) in enumerate(chunk):
            first = rows[0]
            total = sum(r[_R_AMOUNT] for r in rows) if len(rows) > 1 else first[_R_AMOUNT]
            note = f"imported receipt {first[_R_RECEIPT]}" if first[_R_RECEIPT] else "imported"
            if any(r[_R_SKU] and r[_R_SKU] not in products for r in rows):
                note += "; sku " + ", ".join(dict.fromkeys(r[_R_SKU] for r in rows
                                                           if r[_R_SKU] and r[_R_SKU] not in products))
            seq = first_seq + k
            mid = member_ids[first[_R_PHONE]]
            when = first[_R_WHEN]
            sale_rows.append((batch, f"{IMPORT_TILL}-{seq:06d}", IMPORT_TILL, seq, "sale", "import", ref, actor, mid,
                              dt(when), total, 0, 0, total, 0, 0, note))
            p = per.get(mid)
            if p is None:
                p = per[mid] = [0, 0, when, 0, {} if months_wanted else None]
            p[0] += total
            p[1] += 1
            if when > p[2]:
                p[2] = when
            if total > p[3]:
                p[3] = total
            if months_wanted:
                month = when.year * 12 + when.month - 1
                p[4][month] = p[4].get(month, 0) + total
        sales_in(sale_rows)
        sale_ids = dict(conn.execute(select(Sale.seq, Sale.id).where(
            Sale.till == IMPORT_TILL, Sale.seq >= first_seq, Sale.seq < first_seq + len(chunk))).all())
        lines, payments = [], []
        for k, (ref, rows) in enumerate(chunk):
            sid = sale_ids[first_seq + k]
            total = 0
            for line_no, r in enumerate(rows, start=1):
                pid, sku, name = products.get(r[_R_SKU]) or no_product if r[_R_SKU] else no_product
                qty, line_total = r[_R_QTY], r[_R_AMOUNT]
                # the line total is the truth; the unit price is shown
                lines.append((sid, line_no, pid, sku, name, qty,
                              line_total if qty == 1 else round_half_up(line_total, qty), False, 0, 0, line_total,
                              False))
                total += line_total
            # payments.reference is 64 characters; the full receipt number is in the source_ref and note.
            payments.append((sid, "other", total, rows[0][_R_RECEIPT][:64] or "import"))
        lines_in(lines)
        payments_in(payments)
        ticker.tick(len(lines))
        n += len(chunk)
        chunk.clear()

    for k, sale in enumerate(h.sales()):
        if present is not None and present[k]:
            continue
        chunk.append(sale)
        amount += sum(r[_R_AMOUNT] for r in sale[1])
        if len(chunk) >= WRITE_CHUNK:
            flush()
    flush()
    _member_totals(t, per, new_ids, batch)
    return amount


def _reserve_receipts(t: Ctx, count: int) -> int:
    """Take ``count`` consecutive receipt numbers of the import till; returns the first."""
    _, first = receipt_numbers.next_number(t, till=IMPORT_TILL)
    till = Till.__table__
    t.s.execute(update(till).where(till.c.code == IMPORT_TILL)
                .values(last_receipt_seq=till.c.last_receipt_seq + (count - 1)))
    return first


def _member_totals(t: Ctx, per: dict[int, list], new_ids: set[int], batch: int) -> None:
    """Each member's total spent, visits (one per sale) and last visit follow; then the tier goes up
    as ``tiers.after_sale`` would take it after these sales one by one (upgrades only: by spend, or
    the VIP rule: one purchase, or a calendar month's spend with the sales already there). What an
    existing member had before is kept in import_changes, for an undo."""
    m = Member.__table__
    old = [mid for mid in per if mid not in new_ids]
    cols = ("total_spent", "visits", "last_visit_at", "tier_id", "updated_at")
    before = [(row[0], dict(zip(cols, row[1:]))) for row in existing_values(
        t, m.c.id, tuple(m.c[c] for c in cols), old)]
    import_batches.remember(t, batch, "members", before)
    last = bindparam("b_last")
    now = t.now()
    stmt = update(m).where(m.c.id == bindparam("b_id")).values(
        total_spent=m.c.total_spent + bindparam("b_total"), visits=m.c.visits + bindparam("b_visits"),
        last_visit_at=case((or_(m.c.last_visit_at.is_(None), m.c.last_visit_at < last), last),
                           else_=m.c.last_visit_at),
        updated_at=bindparam("b_now"))
    params: list[dict] = []
    for mid, p in per.items():
        params.append({"b_id": mid, "b_total": p[0], "b_visits": p[1], "b_last": p[2], "b_now": now})
        if len(params) >= WRITE_CHUNK * 4:
            t.s.connection().execute(stmt, params)
            params.clear()
    if params:
        t.s.connection().execute(stmt, params)

    cfg = load_settings(t)
    ladder = tiers.all_tiers(t)
    rank = {tier.id: tier.rank for tier in ladder}
    vip = next((x for x in ladder if x.code == cfg.vip_tier), None)
    # A member this import created has these sales' total and the base tier; the others are read.
    base = tiers.base_tier(t)
    state = {mid: (spent, tier_id) for mid, spent, tier_id in existing_values(
        t, Member.id, (Member.total_spent, Member.tier_id), [mid for mid in per if mid not in new_ids])}
    # A month's spend (month = year * 12 + month - 1): a member this import created has only these
    # sales (per[mid][4]); a member who was there before has every sale of that month read back
    # (``earlier``: this import's sales are already written).
    earlier: dict[tuple[int, int], int] = {}
    if vip is not None and cfg.vip_month_spend:
        # Only members who could reach it: a month's spend is part of the total spent.
        maybe = [mid for mid, p in per.items() if mid not in new_ids and state[mid][0] >= cfg.vip_month_spend
                 and not (cfg.vip_single_purchase and p[3] >= cfg.vip_single_purchase)]
        for mid, when, amount in existing_values(t, Sale.member_id, (Sale.created_at, Sale.total), maybe):
            month = when.year * 12 + when.month - 1
            if month in per[mid][4]:
                key = (mid, month)
                earlier[key] = earlier.get(key, 0) + amount
    raised: list[dict] = []
    raise_tier = update(m).where(m.c.id == bindparam("b_id")).values(tier_id=bindparam("b_tier"))
    base_id = base.id if base else None
    for mid, p in per.items():
        spent, current = state[mid] if mid not in new_ids else (p[0], base_id)
        target = tiers._by_spend(ladder, spent)
        if vip is not None and ((cfg.vip_single_purchase and p[3] >= cfg.vip_single_purchase)
                                or (cfg.vip_month_spend and p[4] and any(
                                    (amount if mid in new_ids else earlier.get((mid, month), 0)) >= cfg.vip_month_spend
                                    for month, amount in p[4].items()))):
            if target is None or vip.rank > target.rank:
                target = vip
        if target is not None and target.rank > rank.get(current, 0):
            raised.append({"b_id": mid, "b_tier": target.id})
            if len(raised) >= WRITE_CHUNK * 4:
                t.s.connection().execute(raise_tier, raised)
                raised.clear()
    if raised:
        t.s.connection().execute(raise_tier, raised)
