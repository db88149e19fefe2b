"""The import wizard's step 3, the preview: its page (the options, the first rows as they will be stored,
the bad rows and why) and the dry run on the db worker; a mixin of ImportWizard
(app/ui/imports/wizard.py), kept apart so each step reads on its own."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.errors import ImportFailed
from app.services.admin import import_mapping
from app.services.admin.import_run import IGNORE, ImportOptions
from app.ui.imports import parts
from app.ui.widgets import pick_table


class PreviewStep(parts.Step):
    """Step 3 of ImportWizard: the preview page's widgets, the import's options and the dry run."""

    def _preview_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        options = QHBoxLayout()
        self.skip_bad = QCheckBox(PreviewStep.tr("Skip bad rows (import the good ones)"), page)
        self.update_existing = QCheckBox(PreviewStep.tr("Update records that exist"), page)
        self.marketing = QCheckBox(PreviewStep.tr("These customers agreed to marketing texts"), page)
        self.marketing.setToolTip(PreviewStep.tr("Only if the shop has their consent: a consent column alone allows "
                                                 "care and transactional texts, not marketing"))
        self.add_categories = QCheckBox(PreviewStep.tr("Add new categories"), page)
        self.add_categories.setChecked(True)
        for b in (self.skip_bad, self.update_existing, self.marketing, self.add_categories):
            options.addWidget(b)
            b.toggled.connect(lambda _on: self.check())
        options.addStretch(1)
        box.addLayout(options)
        self.preview_summary = QLabel(page)
        self.preview_summary.setWordWrap(True)
        box.addWidget(self.preview_summary)
        self.rows_label = QLabel(PreviewStep.tr("The first rows as they will be stored"), page)
        self.rows_label.setProperty("role", "muted")
        box.addWidget(self.rows_label)
        self.rows_table = QTableWidget(0, 0, page)
        self.rows_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        box.addWidget(self.rows_table, 1)
        self.bad_label = QLabel(PreviewStep.tr("Bad rows"), page)
        self.bad_label.setProperty("role", "muted")
        box.addWidget(self.bad_label)
        self.bad_table = pick_table(page, [PreviewStep.tr("Row"), PreviewStep.tr("What is wrong")], 1)
        self.bad_table.setWordWrap(True)
        box.addWidget(self.bad_table, 1)
        box.addStretch(0)
        return page

    def options(self) -> ImportOptions:
        kind = self.kind
        return ImportOptions(kind=kind, sheet=self.sample.sheet if self.sample else None, mapping=dict(self.mapping),
                             skip_bad=self.skip_bad.isChecked(),
                             update=self.update_existing.isChecked() and kind in ("members", "products"),
                             marketing_consent=self.marketing.isChecked() and kind == "members",
                             add_categories=self.add_categories.isChecked() and kind == "products")

    def check(self) -> None:
        """The dry run with the current choices, on the db worker (an older run's answer is dropped)."""
        if self._running or self.result is not None or self.page() != "preview":
            return
        self._gen += 1
        gen, ctx, path, opts = self._gen, self.state.ctx, self.path, self.options()
        self.preview_result = self.preview_error = None
        self.preview_summary.setText(PreviewStep.tr("Checking every row…"))
        self._buttons()
        relay, wizard = self._relay, self

        def stale() -> bool:        # another choice was made, or the wizard closed: this run is of no use
            return not isValid(relay) or wizard._gen != gen

        def progress(done: int, total: int) -> None:
            if stale():
                raise ImportFailed("import_cancelled")
            relay.checked.emit(gen, done, total)

        self.state.tasks.query(lambda: import_mapping.preview(ctx, path, opts, progress=progress, cancel=stale),
                               lambda r: gen == self._gen and self._previewed(r),
                               lambda exc: gen == self._gen and self._preview_refused(exc), owner=self,
                               what=PreviewStep.tr("checking the file"), pool="bulk")

    def _checking(self, gen: int, done: int, total: int) -> None:
        if gen == self._gen and self.preview_result is None and self.preview_error is None and total > 0:
            self.preview_summary.setText(PreviewStep.tr("Checking every row… {percent}%").format(
                percent=min(100, done * 100 // total)))

    def _bad_count(self) -> int:
        source = self.preview_result if self.preview_result is not None else self.preview_error
        return len(parts.bad_row_reasons(parts.bad_rows(source), self.state)) if source is not None else 0

    def _previewed(self, r) -> None:
        self.preview_result = r
        bad = parts.bad_row_reasons(parts.bad_rows(r), self.state)
        rows = parts.preview_rows(r)
        if rows:
            self.rows_label.setText(PreviewStep.tr("The first rows as they will be stored"))
            self._fill_rows(rows, [parts.row_number(x) for x in rows])
        else:       # an importer that shows no rows of its own: the good rows as read, field by field
            self.rows_label.setText(PreviewStep.tr("The first good rows as read from the file, by ShopCare field"))
            self._fill_rows(*self._read_rows({no for no, _r in bad}))
        self._fill_bad(bad)
        self.preview_summary.setText(self._counts_text(r, bad, preview=True))
        self._buttons()

    def _preview_refused(self, exc: BaseException) -> None:
        bad = parts.bad_row_reasons(parts.bad_rows(exc), self.state)
        if isinstance(exc, ImportFailed) and exc.code == "import_rows" and bad:
            # an importer without a dry run refuses the file for its bad rows: skip them and look again
            self.preview_error = exc
            self._fill_bad(bad)
            self.rows_label.setText(PreviewStep.tr("The first good rows as read from the file, by ShopCare field"))
            self._fill_rows(*self._read_rows({no for no, _r in bad}))
            self.preview_summary.setText(PreviewStep.tr(
                "%Ln bad row(s): fix them in the file, or tick Skip bad rows.", "", len(bad)))
            if self.skip_bad.isChecked():
                self.preview_summary.setText(self.state.error_text(exc))
        else:
            self.preview_error = exc
            self._fill_bad([])
            self._fill_rows([])
            self.preview_summary.setText(self.state.error_text(exc))
        self._buttons()

    def _counts_text(self, r, bad, *, preview: bool) -> str:
        n = len(bad)
        if self.kind == "products":
            text = (PreviewStep.tr("Ready: {added} to add, {updated} to update, {unchanged} unchanged.") if preview else
                    PreviewStep.tr("Imported: {added} added, {updated} updated, {unchanged} unchanged.")).format(
                added=self.state.number(r.added), updated=self.state.number(r.updated),
                unchanged=self.state.number(r.unchanged))
            if getattr(r, "new_categories", None):
                text += " " + PreviewStep.tr("New categories: {names}.").format(names=", ".join(r.new_categories))
            if not preview and getattr(r, "opening_stock", 0):
                text += " " + PreviewStep.tr("Opening stock: {stock}.").format(stock=self.state.number(r.opening_stock))
        else:
            count = int(getattr(r, "imported", 0) or 0)
            if self.kind == "members":
                text = (PreviewStep.tr("%Ln member(s) to import.", "", count) if preview
                        else PreviewStep.tr("%Ln member(s) imported.", "", count))
            else:
                text = (PreviewStep.tr("%Ln sale(s) to import.", "", count) if preview
                        else PreviewStep.tr("%Ln sale(s) imported.", "", count))
            skipped = int(getattr(r, "skipped", 0) or 0)
            if skipped:
                text += " " + PreviewStep.tr("%Ln already there (imported before).", "", skipped)
        if n and preview and not self.skip_bad.isChecked():
            text += " " + PreviewStep.tr("%Ln bad row(s): fix them in the file, or tick Skip bad rows.", "", n)
        elif n:
            text += " " + (PreviewStep.tr("%Ln bad row(s) will be skipped.", "", n) if preview
                           else PreviewStep.tr("%Ln bad row(s) skipped.", "", n))
        return text

    def _read_rows(self, bad: set[int]) -> tuple[list[dict], list[int]]:
        """The sample's good rows as {field: text}, and their row numbers in the file."""
        sample, mapping = self.sample, self.mapping
        fields = [(i, mapping.get(h, IGNORE)) for i, h in enumerate(sample.headers) if mapping.get(h, IGNORE)]
        good = [(no, cells) for no, cells in zip(sample.row_numbers, sample.rows) if no not in bad]
        return [{c: cells[i] for i, c in fields} for _no, cells in good], [no for no, _c in good]

    def _fill_rows(self, rows, numbers: list[int] | None = None) -> None:
        t = self.rows_table
        cells = [parts.row_cells(r, self.state) for r in rows[:import_mapping.SAMPLE_ROWS]]
        # a field no shown row fills (no card numbers in this file) takes no room
        filled = {n for row in cells for n, text in row if text}
        cells = [[(n, text) for n, text in row if n in filled] for row in cells]
        names = [n for n, _v in cells[0]] if cells else []
        t.clear()
        t.setColumnCount(len(names))
        t.setHorizontalHeaderLabels([parts.field_name(n) for n in names])
        t.setRowCount(len(cells))
        if numbers and all(n is not None for n in numbers):
            t.setVerticalHeaderLabels([str(n) for n in numbers[:len(cells)]])
        for r, row in enumerate(cells):
            for c, (_n, text) in enumerate(row):
                t.setItem(r, c, QTableWidgetItem(text))
        t.resizeColumnsToContents()
        self.rows_label.setVisible(bool(cells))
        t.setVisible(bool(cells))

    def _fill_bad(self, bad: list[tuple[int, list[str]]]) -> None:
        t = self.bad_table
        t.setRowCount(len(bad))
        for r, (no, reasons) in enumerate(bad):
            t.setItem(r, 0, QTableWidgetItem(str(no)))
            t.setItem(r, 1, QTableWidgetItem("; ".join(reasons)))
        t.resizeRowsToContents()
        self.bad_label.setVisible(bool(bad))
        t.setVisible(bool(bad))
