"""Importing members and purchase history from CSV or XLSX files (``shopcare import ...``, and the
app's import wizard through ``import_run``).

Both imports stream their file (``tabular.stream_table``): a first pass reads and checks EVERY row,
keeping only compact values per row, and collects each bad row with EVERY problem it has, numbered
as the user sees it in the file (the header is row 1). Then it writes an import batch
(``import_batches.begin``/``finish``; every row written carries its ``import_batch_id``) in chunks
of about 40 ms, each its own transaction, taken back whole on any failure, cancel or crash
(``import_chunks``):

- all or nothing: any bad row raises ``ImportFailed('import_rows', file, count, rows)`` (``rows`` is
  a tuple of :class:`RejectedRow`) and nothing is written;
- with ``skip_bad=True`` the good rows are imported and the bad ones come back in the report;
- ``dry_run=True`` (``import_run.preview``) reads, checks and reports the same, with the first
  rows as they will be stored, and writes nothing;
- ``progress(done, total)`` every ~2,000 rows and every chunk; ``cancel()`` True takes everything
  back (``ImportFailed('import_cancelled')``).

A file of new members is read once: each good row, as checked, waits in a private temporary file
(``import_common.Spill``) while the repeats of phones and cards are checked against the whole file
and the members, then comes back in chunks to be written, so memory stays bounded however long the
file. An ``--update`` keeps its rows in memory instead (it compares them with the members).

Members (``import_members``): columns in :data:`MEMBER_COLUMNS`; ``name`` and ``phone`` are
required. A phone already used by a member, or by an earlier row of the file, is a bad row (so is
a card number), unless ``update=True``: then a member matched by phone (else by card number) is
updated with the row's non-blank values, every change listed in the report (``changes``) and the
values before kept in ``import_changes`` for an undo. Opening stored value becomes a wallet
``opening`` entry (paid principal = ``balance``, bonus = ``bonus``), opening points a points
``opening`` entry expiring on ``points_expiry`` (else by the shop's points policy counted from the
import date), an opening count card (``count_card`` = a service or count-card package by SKU or
name, ``uses_left``, ``count_card_expiry``) a card with an ``opening`` entry; on an update these are
ADDED to what the member has, by ledger entries. ``tier`` names a tier by code or name. ``consent``
yes/是 records consent to care texts with source ``import`` at the import time; marketing texts
need their own ``marketing_consent`` column, or ``marketing_consent=True`` (the owner's explicit
choice) to read ``consent`` as covering them too; no/blank records nothing.

Purchase history (``import_sales``): columns in :data:`SALES_COLUMNS`. Each row without a receipt
number becomes one sale (till ``IMP``, source ``import``) with one line and one payment of method
``other``. Rows sharing a receipt number are the lines of ONE sale (an old till's export has a row per
line item): one line per row in file order, the total is the sum of their amounts, paid by one
``other`` payment. They must agree on phone and datetime; each row that differs from the receipt's
first row is a bad row (``import_receipt_mismatch``), and a receipt with any bad row is left out as a
whole (with ``skip_bad`` its other rows come back as ``import_receipt_left_out``). An unknown phone
gets a new member named ``会员1234`` (``Member 1234`` when the shop language is English) who joined on
the day of their first imported purchase. The member's total spent, visits (one per sale), last visit
and tier follow; **no points are earned on imported history** (the sale's ``points_earned`` is 0 and
its lines are not points-eligible). Re-importing is safe: each sale carries a unique ``source_ref``
(``import:receipt:<receipt>``, or ``import:row:<sha256 of the row>:<n>`` where ``n`` counts identical
receipt-less rows in the file), and sales already imported are counted as skipped, a receipt once
however many rows it has. The report counts sales (``imported``, ``skipped``) and rows (``rejected``).

Here: the member import's run. A member row is read and checked in ``import_member_rows``, its changes,
preview and writes are in ``import_member_write``; the history import is ``import_history``.
"""
from __future__ import annotations

import heapq
from pathlib import Path

from app.errors import ImportFailed, ShopError
from app.services.admin import import_batches
from app.services.admin import import_chunks
from app.services.admin.import_chunks import ChunkWriter
from app.services.admin.import_columns import MEMBER_COLUMNS, MEMBER_REQUIRED, SALES_COLUMNS
from app.services.admin.import_common import (
    PREVIEW_ROWS,
    PhoneReader,
    Spill,
    Ticker,
    classifier,
    gc_paused,
    points_expiry,
)
from app.services.admin.import_history import import_sales
from app.services.admin.import_member_rows import _Lookups, _Memo, _MemberRow, _member_duplicates, _parse_member
from app.services.admin.import_member_write import (
    WRITE_CHUNK,
    _existing_members,
    _member_changes,
    _preview,
    _update_members,
    _write_members,
    _write_openings,
)
from app.services.admin.import_results import ImportReport, RejectedRow
from app.services.base import audit, permissions
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings
from app.services.base.tabular import stream_table

__all__ = ["MEMBER_COLUMNS", "SALES_COLUMNS", "ImportReport", "RejectedRow", "import_members", "import_sales",
           "points_expiry"]


def import_members(ctx: Ctx, path: str | Path, *, skip_bad: bool = False, update: bool = False,
                   marketing_consent: bool = False, sheet: str | None = None, mapping=None,
                   dry_run: bool = False, progress=None, cancel=None,
                   preview_rows: int = PREVIEW_ROWS) -> ImportReport:
    """Import members from a CSV/XLSX file (see the module docstring for the rules).

    The cycle collector is paused meanwhile (``gc_paused``).

    Every row is read and validated, and checked against the members there now, before anything is
    written; then the import writes in bulk (Core executemany) in chunks of about 50 ms, each its
    own transaction (import_chunks), so a till's checkout waits for one chunk at most. Another
    import landing between the reading and the first chunk makes it read again."""
    def run():
        with gc_paused(), Spill(WRITE_CHUNK * 5) as spill:
            return _import_members(ctx, path, spill, skip_bad=skip_bad, update=update,
                                   marketing_consent=marketing_consent, sheet=sheet, mapping=mapping,
                                   dry_run=dry_run, progress=progress, cancel=cancel, preview_rows=preview_rows)

    return import_chunks.attempts(ctx, run, dry_run=dry_run)


def _import_members(ctx: Ctx, path, spill: Spill, *, skip_bad: bool, update: bool, marketing_consent: bool, sheet, mapping,
                    dry_run: bool, progress, cancel, preview_rows: int) -> ImportReport:
    permissions.require(ctx, "import")
    cfg = load_settings(ctx)
    with ctx.tx(write=False) as t:
        look = _Lookups(t)
    today = ctx.today()
    phone_of = PhoneReader(cfg.region)
    memo = _Memo()
    # New members' checked rows wait on disk (``spill``) for the write, so a million rows are never all
    # held; an --update keeps its rows in memory: it compares them with the members.
    parsed: list[_MemberRow] = []       # every good row with --update, else the first few, for the preview
    good_keys: list[tuple[int, str, str | None]] = []
    card_rows: list[int] = []
    bad: dict[int, list[ShopError]] = {}
    bad_keys: list[tuple[int, str | None, str | None]] = []   # a bad row's (row no, phone, card), for repeats
    rows = 0
    with stream_table(path, MEMBER_COLUMNS, MEMBER_REQUIRED, region=cfg.region, sheet=sheet,
                      classify=classifier(mapping)) as table:
        ticker = Ticker(progress, cancel, table.estimate)
        headers = table.headers
        has_marketing = "marketing_consent" in headers
        for row in table.rows():
            rec, errs, phone, card = _parse_member(row, headers, cfg, today, look, phone_of,
                                                   marketing_consent and not has_marketing, memo)
            rows += 1
            if errs:
                bad[row.row_no] = errs
                bad_keys.append((row.row_no, phone, card))
            else:
                good_keys.append((row.row_no, rec.phone, rec.card))
                if not update and not dry_run:
                    spill.add(rec)
                if rec.card_product:
                    card_rows.append(row.row_no)
                if update or len(parsed) < 2 * preview_rows:
                    parsed.append(rec)
            ticker.tick()
        file, ignored = table.file, table.ignored
    ticker.rows_known(rows)
    ticker.done = rows

    def keys():
        """Every row's (row no, phone, card), in file order."""
        return heapq.merge(good_keys, bad_keys)

    ticker.check()

    # The repeats of phones and cards against the members there now: read, no lock held. A member a
    # till adds meanwhile with one of these phones or cards stops the write (a unique key) and the
    # import is taken back whole.
    with ctx.tx(write=False) as t:
        seen = import_chunks.marker(t)
        matched = _member_duplicates(t, keys, bad, update, look)
        rejected = sorted((RejectedRow.many(n, errs) for n, errs in bad.items()), key=lambda r: r.row_no)
        if rejected and not skip_bad and not dry_run:
            raise ImportFailed("import_rows", file=file, count=len(rejected), rows=tuple(rejected))
        good = [r for r in parsed if r.row_no not in bad]
        head = good[:preview_rows] if not dry_run else good
        existing = _existing_members(t, [matched[r.row_no] for r in head if r.row_no in matched])
    imported = sum(1 for n, _, _ in good_keys if n not in bad)
    created = imported - len(matched)
    cards = sum(1 for n in card_rows if n not in bad)
    if dry_run:
        changes, _, _ = _member_changes(good, matched, existing, look, ctx.now())
        preview = tuple(_preview(r, matched, existing, changes, look, cfg, today) for r in good[:preview_rows])
        change_list = tuple(changes[r.row_no] for r in good if r.row_no in changes and changes[r.row_no].fields)
        ticker.end()
        return ImportReport(imported=imported, skipped=0, rejected=tuple(rejected), members_created=created,
                            members_updated=imported - created, count_cards=cards, rows=rows,
                            dry_run=True, preview=preview, changes=change_list)
    w = ChunkWriter(ctx, "members", path, seen, ticker)
    try:
        if update:
            changes, wallet_total, points_total = _write_updating(w, good, matched, look, file, cfg, ticker)
        else:
            del parsed
            changes = {}
            wallet_total, points_total = _write_spilled(w, spill, bad, file, cfg, look, ticker)
        counts = {"rows": rows, "imported": imported, "created": created,
                  "updated": imported - created, "rejected": len(rejected), "count_cards": cards,
                  "opening_wallet": wallet_total, "opening_points": points_total}
        with w.chunk(last=True) as t:
            w.finish(t, counts)
            audit.record(t, "import.members", "import", None, after={
                "file": file, "batch": w.batch, "imported": imported, "updated": imported - created,
                "rejected": len(rejected), "rejected_rows": [r.row_no for r in rejected][:1000],
                "opening_wallet": wallet_total, "opening_points": points_total, "count_cards": cards,
                "ignored_columns": list(ignored)})
    except BaseException:
        w.take_back()
        raise
    w.finished()
    if not update:
        changes, _, _ = _member_changes(head, matched, existing, look, w.at)
    preview = tuple(_preview(r, matched, existing, changes, look, cfg, today) for r in head)
    change_list = tuple(changes[r.row_no] for r in good if r.row_no in changes and changes[r.row_no].fields)
    ticker.end()
    return ImportReport(imported=imported, skipped=0, rejected=tuple(rejected), members_created=created,
                        members_updated=imported - created, count_cards=cards, rows=rows,
                        batch_id=w.batch, preview=preview, changes=change_list)


def _write_updating(w: ChunkWriter, good: list[_MemberRow], matched: dict[int, int], look, file: str, cfg,
                    ticker) -> tuple[dict, int, int]:
    """An --update, a chunk of rows per transaction: the members it matches are read, kept
    (import_changes) and changed in the same transaction as the new members and openings are
    written. Returns every row's changes and the opening totals."""
    changes: dict = {}
    wallet_total = points_total = 0
    for i, j in w.sizes(len(good)):
        part = good[i:j]
        with w.chunk(len(part)) as t:
            existing = _existing_members(t, [matched[r.row_no] for r in part if r.row_no in matched])
            mine = {r.row_no: matched[r.row_no] for r in part if r.row_no in matched}
            ch, before, new_values = _member_changes(part, mine, existing, look, t.now())
            import_batches.remember(t, w.batch, "members", [(mid, before[mid]) for mid in sorted(before)])
            ids = _write_members(t, [r for r in part if r.row_no not in mine], w.batch, cfg, ticker)
            _update_members(t, part, mine, ch, new_values, existing, t.now())
            ids.update({r.phone: mine[r.row_no] for r in part if r.row_no in mine})
            wt, pt = _write_openings(t, part, ids, set(mine), w.batch, file, cfg, look, ticker)
        changes.update(ch)
        wallet_total, points_total = wallet_total + wt, points_total + pt
    return changes, wallet_total, points_total


def _write_spilled(w: ChunkWriter, spill: Spill, bad: dict, file: str, cfg, look, ticker) -> tuple[int, int]:
    """New members as the reading checked them, a chunk per transaction: members first, then their
    opening balances and count cards (rows found bad since, as repeats, left out)."""
    wallet_total = points_total = 0
    for chunk in spill.chunks():
        rows = [r for r in chunk if r.row_no not in bad]
        for i, j in w.sizes(len(rows)):
            part = rows[i:j]
            with w.chunk(len(part)) as t:
                ids = _write_members(t, part, w.batch, cfg, ticker)
                wt, pt = _write_openings(t, part, ids, set(), w.batch, file, cfg, look, ticker)
            wallet_total, points_total = wallet_total + wt, points_total + pt
    return wallet_total, points_total
