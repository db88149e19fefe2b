"""Importing sales history (CSV: member phone, date and time, amount [, sku, qty]): one imported sale per receipt, all-or-nothing, idempotent by row digest. The rows are read in import_history_rows.py, written in import_history_write.py, the members' totals and tiers follow in import_history_totals.py."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from app.errors import ImportFailed, ShopError, ValidationError
from app.models import Member, Sale
from app.services.admin import import_chunks
from app.services.admin.import_chunks import ChunkWriter
from app.services.admin.import_columns import SALES_COLUMNS, SALES_REQUIRED
from app.services.admin.import_cells import cell_text
from app.services.admin.import_common import (
    PREVIEW_ROWS,
    PhoneReader,
    Ticker,
    classifier,
    existing_values,
    gc_paused,
    phone_shown,
)
from app.services.admin.import_history_rows import (
    _R_AMOUNT,
    _R_NO,
    _R_PHONE,
    _R_RECEIPT,
    _R_WHEN,
    WRITE_CHUNK,
    _History,
    _parse_sale,
)
from app.services.admin.import_history_write import _members_for, _products, _write_sales
from app.services.admin.import_results import ImportReport, RejectedRow, SalePreview
from app.services.base import audit, permissions, phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.base.tabular import stream_table


_ANY_IMPORTED = select(Sale.id).where(Sale.source == "import").limit(1)


def import_sales(ctx: Ctx, path: str | Path, *, skip_bad: bool = False, sheet: str | None = None, mapping=None,
                 dry_run: bool = False, progress=None, cancel=None, preview_rows: int = PREVIEW_ROWS) -> ImportReport:
    """Import purchase history from a CSV/XLSX file (see the module docstring for the rules)."""
    def run():
        with gc_paused():
            return _import_sales(ctx, path, skip_bad=skip_bad, sheet=sheet, mapping=mapping, dry_run=dry_run,
                                 progress=progress, cancel=cancel, preview_rows=preview_rows)

    return import_chunks.attempts(ctx, run, dry_run=dry_run)


def _import_sales(ctx: Ctx, path: str | Path, *, skip_bad: bool, sheet: str | None, mapping, dry_run: bool,
                  progress, cancel, preview_rows: int) -> ImportReport:
    """Import purchase history from a CSV/XLSX file (see the module docstring for the rules).

    Everything that needs no write lock is done first: reading, validating and grouping every row,
    and finding the products. Only then does the writing begin, in bulk (Core executemany, no
    per-row ORM flush) and in chunks of about 50 ms, each its own transaction (import_chunks), so
    a till's checkout waits for one chunk at most; a failure takes the whole batch back."""
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

    # What others may have changed meanwhile is read again, no lock held: sales already imported
    # and the members the phones belong to. A sale imported meanwhile by another import (a unique
    # source_ref) or a member added with one of these phones stops the write, and the import is
    # taken back whole (only one member or history import writes at a time: import_chunks).
    with ctx.tx(write=False) as t:
        seen = import_chunks.marker(t)
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
    w = ChunkWriter(ctx, "sales", path, seen, ticker)
    try:
        member_ids, new_ids = _members_for(w, first_seen, known, cfg)
        del first_seen
        total = _write_sales(w, h, present, member_ids, new_ids, products, ticker)
        counts = {"rows": h.rows, "imported": todo, "skipped": skipped, "rejected": len(rejected),
                  "members_created": created, "amount": total}
        with w.chunk(last=True) as t:
            w.finish(t, counts)
            audit.record(t, "import.sales", "import", None, after={
                "file": file, "batch": w.batch, "imported": todo, "rows_imported": h.rows - len(rejected),
                "skipped": skipped, "rejected": len(rejected), "rejected_rows": [r.row_no for r in rejected][:1000],
                "members_created": created, "amount": total, "ignored_columns": list(ignored)})
    except BaseException:
        w.take_back()
        raise
    w.finished()
    ticker.end()
    return ImportReport(imported=todo, skipped=skipped, rejected=tuple(rejected), members_created=created,
                        rows=h.rows, batch_id=w.batch, preview=preview)


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
