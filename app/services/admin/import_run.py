"""One entry for every import the app's wizard and the command line run: members, purchase
history or products, from a file, with the owner's column mapping and choices.

``run`` imports; ``preview`` is the same import as a dry run (reads and checks every row, writes
nothing). ``progress(done, total)`` is called from the importing thread; ``cancel()`` returning True
stops the import, which is then taken back as a whole (import_chunks) (``ImportFailed('import_cancelled')``).

Members and sales return an ``import_results.ImportReport``: counts, ``rejected`` (every bad row
with every problem: ``RejectedRow.errors``), ``preview`` (the first rows as they will be stored:
``MemberPreview`` / ``SalePreview``), ``changes`` (members an update changes: ``MemberChange`` with
``FieldChange(field, before, after)``; consents as "yes"/"no") and ``batch_id`` (None for a
preview). ``progress(done, total)`` counts every row twice, read and written; ``total`` is an
estimate until the file has been read."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.services.base.context import Ctx

KINDS = ("members", "sales", "products")
IGNORE = ""  # a mapping's value for a column the owner chose to leave out


@dataclass(frozen=True)
class ImportOptions:
    kind: str                                      # one of KINDS
    sheet: str | None = None                       # a workbook's sheet (None: the first)
    mapping: Mapping[str, str] | None = None       # header text as written -> ShopCare column, or IGNORE
    skip_bad: bool = False                         # import the good rows, list the bad ones
    update: bool = False                           # existing members/products matched are updated
    marketing_consent: bool = False                # a plain "consent" column also grants marketing texts
    add_categories: bool = False                   # products: unknown categories are created


Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


def run(ctx: Ctx, path: str | Path, opts: ImportOptions, *, progress: Progress | None = None,
        cancel: Cancel | None = None):
    """Import ``path``; returns the importer's report (ImportReport or ProductImportResult)."""
    return _dispatch(ctx, path, opts, progress=progress, cancel=cancel, dry_run=False)


def preview(ctx: Ctx, path: str | Path, opts: ImportOptions, *, progress: Progress | None = None,
            cancel: Cancel | None = None):
    """Read and check every row as ``run`` would; nothing is written."""
    return _dispatch(ctx, path, opts, progress=progress, cancel=cancel, dry_run=True)


def _dispatch(ctx: Ctx, path, opts: ImportOptions, **kw):
    if opts.kind == "products":
        from app.services.admin.import_products import import_products
        return import_products(ctx, path, skip_bad=opts.skip_bad, update=opts.update,
                               add_categories=opts.add_categories, sheet=opts.sheet, dry_run=kw["dry_run"],
                               progress=kw["progress"])
    from app.services.admin import imports
    common = dict(skip_bad=opts.skip_bad, sheet=opts.sheet, mapping=opts.mapping, dry_run=kw["dry_run"],
                  progress=kw["progress"], cancel=kw["cancel"])
    if opts.kind == "members":
        return imports.import_members(ctx, path, update=opts.update, marketing_consent=opts.marketing_consent,
                                      **common)
    if opts.kind == "sales":
        return imports.import_sales(ctx, path, **common)
    raise ValueError(opts.kind)
