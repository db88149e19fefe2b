"""Import the catalogue from a CSV or Excel file, in two steps.

First a dry run (``import_products(..., dry_run=True)``: reads and checks, writes nothing) lists
every bad row with its number, column and reason, and what the import would do; changing an option
checks again. Then Import runs the real thing on the db worker with a progress bar, and the summary
says what was added, updated (field by field), skipped, which categories were new and how much
opening stock came in. Closing before Import writes nothing."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QProgressBar, QTableWidgetItem, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.errors import ImportFailed
from app.ui.widgets import closing_buttons, pick_table


class _Progress(QObject):
    """Carries the import's progress from the worker thread to the bar (a queued signal)."""
    moved = Signal(int, int)


def _parts(err, state) -> tuple[str, str, str]:
    """(row, column, reason) of one row error (``import_products.RowError``), the reason in the
    reader's language."""
    if isinstance(err, (tuple, list)):   # (row number, reason), as other imports refuse a file
        return str(err[0]), "", str(err[1])
    cause = getattr(err, "error", None)
    reason = state.error_text(cause) if cause is not None else str(getattr(err, "message", ""))
    return str(err.row), str(getattr(err, "column", "") or ""), reason


class ImportDialog(QDialog):
    def __init__(self, state, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.path = str(path)
        self.preview = None        # the dry run's result, while the options it was made with hold
        self.result = None         # the import's result
        self._gen = 0
        self._running = False
        self.setWindowTitle(self.tr("Import products"))
        self.resize(760, 540)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Import products"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        self.file_label = QLabel(self.tr("File: {file}").format(file=Path(self.path).name), self)
        outer.addWidget(self.file_label)
        options = QHBoxLayout()
        self.skip_bad = QCheckBox(self.tr("Skip bad rows"), self)
        self.update_existing = QCheckBox(self.tr("Update products that exist"), self)
        self.add_categories = QCheckBox(self.tr("Add new categories"), self)
        self.add_categories.setChecked(True)
        for box in (self.skip_bad, self.update_existing, self.add_categories):
            options.addWidget(box)
            box.toggled.connect(lambda _on: self.check())
        options.addStretch(1)
        outer.addLayout(options)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)
        self.table = pick_table(self, [self.tr("Row"), self.tr("Column"), self.tr("Reason")], 2)
        self.table.setWordWrap(True)
        outer.addWidget(self.table, 1)
        self.progress = QProgressBar(self)
        self.progress.hide()
        outer.addWidget(self.progress)
        buttons, self.import_button, self.close_button = closing_buttons(self, self.tr("Close"), self.tr("Import"),
                                                                         self.run_import)
        self.import_button.setEnabled(False)
        outer.addLayout(buttons)
        self._progress = _Progress(self)
        self._progress.moved.connect(self._moved)
        self.check()

    def _options(self) -> dict:
        return dict(skip_bad=self.skip_bad.isChecked(), update=self.update_existing.isChecked(),
                    add_categories=self.add_categories.isChecked())

    # --- the dry run --------------------------------------------------------------------------------
    def check(self) -> None:
        if self._running or self.result is not None:
            return
        from app.services.admin.import_products import import_products

        self._gen += 1
        gen, ctx, path, opts = self._gen, self.state.ctx, self.path, self._options()
        self.preview = None
        self.import_button.setEnabled(False)
        self.summary.setText(self.tr("Checking the file…"))
        self.state.tasks.query(lambda: import_products(ctx, path, dry_run=True, **opts),
                               lambda r: gen == self._gen and self._previewed(r),
                               lambda exc: gen == self._gen and self._refused(exc), owner=self)

    def _previewed(self, r) -> None:
        self.preview = r
        errors = list(r.errors)
        self._rows([_parts(e, self.state) for e in errors])
        head = self.tr("Ready: {added} to add, {updated} to update, {unchanged} unchanged, {skipped} skipped.").format(
            added=self.state.number(r.added), updated=self.state.number(r.updated),
            unchanged=self.state.number(r.unchanged), skipped=self.state.number(r.skipped))
        if r.new_categories:
            head += " " + self.tr("New categories: {names}.").format(names=", ".join(r.new_categories))
        bad = len({getattr(e, "row", None) for e in errors})     # a row may break several rules
        if errors and not self.skip_bad.isChecked():
            head = self.tr("%Ln bad row(s): fix them in the file, or tick Skip bad rows.", "", bad)
        elif errors:
            head += " " + self.tr("%Ln bad row(s) will be skipped.", "", bad)
        self.summary.setText(head)
        self.import_button.setEnabled(not errors or self.skip_bad.isChecked())

    def _refused(self, exc: BaseException) -> None:
        rows = exc.params.get("rows") if isinstance(exc, ImportFailed) else None
        self._rows([_parts(r, self.state) for r in rows or ()])
        self.summary.setText(self.state.error_text(exc))
        self.import_button.setEnabled(False)

    def _rows(self, rows: list[tuple[str, str, str]]) -> None:
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeRowsToContents()

    # --- the import ---------------------------------------------------------------------------------
    def run_import(self) -> None:
        if self.preview is None or self._running:
            return
        from app.services.admin.import_products import import_products

        ctx, path, opts, relay = self.state.ctx, self.path, self._options(), self._progress

        def progress(done: int, total: int) -> None:
            if isValid(relay):     # the bar may be gone; the import goes on regardless
                relay.moved.emit(done, total)

        self._running = True
        for w in (self.import_button, self.close_button, self.skip_bad, self.update_existing, self.add_categories):
            w.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.summary.setText(self.tr("Importing…"))
        self.state.tasks.write(lambda: import_products(ctx, path, progress=progress, **opts),
                               self._imported, self._failed, owner=self, what=self.tr("importing the products"))

    def reject(self) -> None:
        if not self._running:      # Esc or the window's close button while importing: wait for it
            super().reject()

    def _moved(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _imported(self, r) -> None:
        self._running = False
        self.result = r
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.close_button.setEnabled(True)
        n = self.state.number
        text = self.tr("Imported: {added} added, {updated} updated, {unchanged} unchanged, {skipped} skipped; "
                       "opening stock {stock}.").format(added=n(r.added), updated=n(r.updated),
                                                        unchanged=n(r.unchanged), skipped=n(r.skipped),
                                                        stock=n(r.opening_stock))
        if r.new_categories:
            text += " " + self.tr("New categories: {names}.").format(names=", ".join(r.new_categories))
        self.summary.setText(text)
        self.table.setHorizontalHeaderLabels([self.tr("Row"), self.tr("Product"), self.tr("Change")])
        rows = [(str(row), str(sku), self.tr("{field}: {before} → {after}").format(field=field, before=before,
                                                                                   after=after))
                for row, sku, field, before, after in r.changes]
        rows += [_parts(e, self.state) for e in r.errors]
        self._rows(rows)

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.progress.hide()
        for w in (self.close_button, self.skip_bad, self.update_existing, self.add_categories):
            w.setEnabled(True)
        self._refused(exc)
