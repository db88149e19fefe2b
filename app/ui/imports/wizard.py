"""Import from another program, in four steps (Members › Import…, Products › Import…, and the empty
Members and Products screens of a new shop):

1. the file (CSV in any encoding the import reads, or XLSX with a choice of sheet) and what it holds;
2. its columns mapped to ShopCare's fields: guessed from the English and Chinese header names the
   command line knows, or the mapping chosen last time for a file with the same headers; every
   mapping can be changed or left out, required fields are marked;
3. a preview: the first rows as they will be stored, every bad row with its row number and every
   reason, the counts; all-or-nothing or skip bad rows, update existing records, and marketing
   consent granted only when the owner ticks it;
4. the import on the db worker with a progress bar and Cancel (which rolls the whole import back),
   then a summary and, where this ShopCare can undo imports, "Undo this import".

Every read and write runs off the UI thread (app/ui/tasks.py); the services check the permission."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QStackedWidget, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)
from shiboken6 import isValid

from app.errors import ImportFailed
from app.services.admin import import_mapping
from app.services.admin.import_run import IGNORE, ImportOptions
from app.ui.imports import parts
from app.ui.widgets import pick_table

PAGES = ("file", "columns", "preview", "import")


def kinds_allowed(state) -> tuple[str, ...]:
    """What the acting staff member may import: members and history need the "import" permission
    (the owner), a price list managing products."""
    out = []
    if state.role_allowed("import"):
        out += ["members", "sales"]
    if state.role_allowed("manage_products"):
        out.append("products")
    return tuple(out)


class _Relay(QObject):
    """Carries progress from the importing thread to the bar (queued signals)."""
    moved = Signal(int, int)
    checked = Signal(int, int, int)     # the preview's generation, done, total


class ImportWizard(QDialog):
    imported = Signal(str)          # the kind, once an import (or its undo) changed the database

    def __init__(self, state, kind: str = "members", path: str | None = None, parent: QWidget | None = None,
                 kinds: tuple[str, ...] | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.kinds = kinds or kinds_allowed(state) or (kind,)
        self.path: str | None = None
        self.sample = None              # import_mapping.FileSample of the chosen file and sheet
        self.mapping: dict[str, str] = {}
        self.remembered = False         # the mapping came from an earlier import of these headers
        self.preview_result = None      # the dry run's result for the current options
        self.preview_error = None       # or why the file was refused
        self.result = None              # the import's result
        self.failure = None             # why the import did not happen (cancelled, refused)
        self.undone = None              # the undo's result
        self._gen = 0
        self._running = False
        self._cancel = False
        self.setWindowTitle(self.tr("Import from your old software"))
        self.resize(920, 620)
        outer = QVBoxLayout(self)
        self.title = QLabel(self)
        self.title.setProperty("role", "title")
        outer.addWidget(self.title)
        self.steps = QLabel(self)
        self.steps.setProperty("role", "muted")
        outer.addWidget(self.steps)
        self.stack = QStackedWidget(self)
        outer.addWidget(self.stack, 1)
        self.stack.addWidget(self._file_page())
        self.stack.addWidget(self._columns_page())
        self.stack.addWidget(self._preview_page())
        self.stack.addWidget(self._import_page())
        buttons = QHBoxLayout()
        self.close_button = QPushButton(self.tr("Close"), self)
        self.back_button = QPushButton(self.tr("‹ Back"), self)
        self.next_button = QPushButton(self.tr("Next ›"), self)
        self.next_button.setProperty("primary", True)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        for b in (self.close_button, self.back_button, self.next_button):
            b.setAutoDefault(False)
        outer.addLayout(buttons)
        self.close_button.clicked.connect(self.reject)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self._relay = _Relay(self)
        self._relay.moved.connect(self._moved)
        self._relay.checked.connect(self._checking)
        self.kind_combo.setCurrentIndex(max(0, self.kinds.index(kind) if kind in self.kinds else 0))
        self.show_page(0)
        if path:
            self.choose_file(path)

    # --- pages -----------------------------------------------------------------------------------
    def _file_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.kind_combo = QComboBox(page)
        for k in self.kinds:
            self.kind_combo.addItem(parts.tr(parts.KIND_NAMES[k]), k)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._kind_changed())
        form.addRow(self.tr("What the file holds"), self.kind_combo)
        row = QHBoxLayout()
        self.file_edit = QLineEdit(page)
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText(self.tr("An Excel workbook (.xlsx) or a CSV file in any encoding"))
        self.browse_button = QPushButton(self.tr("Choose file…"), page)
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(lambda: self.choose_file())
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow(self.tr("File"), row)
        self.sheet_combo = QComboBox(page)
        self.sheet_label = QLabel(self.tr("Sheet"), page)
        self.sheet_combo.activated.connect(lambda _i: self._read(self.sheet_combo.currentText()))
        form.addRow(self.sheet_label, self.sheet_combo)
        self.file_info = QLabel(page)
        self.file_info.setWordWrap(True)
        form.addRow(self.file_info)
        self.file_table = QTableWidget(0, 0, page)
        self.file_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        form.addRow(self.file_table)
        self._sheet_visible(False)
        return page

    def _columns_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        self.columns_note = QLabel(page)
        self.columns_note.setWordWrap(True)
        box.addWidget(self.columns_note)
        self.columns_table = pick_table(page, [self.tr("Column in the file"), self.tr("Example"),
                                               self.tr("ShopCare field")], 1)
        self.columns_table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        box.addWidget(self.columns_table, 1)
        self.columns_error = QLabel(page)
        self.columns_error.setProperty("role", "error")
        self.columns_error.setWordWrap(True)
        box.addWidget(self.columns_error)
        self.combos: dict[str, QComboBox] = {}
        return page

    def _preview_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        options = QHBoxLayout()
        self.skip_bad = QCheckBox(self.tr("Skip bad rows (import the good ones)"), page)
        self.update_existing = QCheckBox(self.tr("Update records that exist"), page)
        self.marketing = QCheckBox(self.tr("These customers agreed to marketing texts"), page)
        self.marketing.setToolTip(self.tr("Only if the shop has their consent: a consent column alone allows "
                                          "care and transactional texts, not marketing"))
        self.add_categories = QCheckBox(self.tr("Add new categories"), page)
        self.add_categories.setChecked(True)
        for b in (self.skip_bad, self.update_existing, self.marketing, self.add_categories):
            options.addWidget(b)
            b.toggled.connect(lambda _on: self.check())
        options.addStretch(1)
        box.addLayout(options)
        self.preview_summary = QLabel(page)
        self.preview_summary.setWordWrap(True)
        box.addWidget(self.preview_summary)
        self.rows_label = QLabel(self.tr("The first rows as they will be stored"), page)
        self.rows_label.setProperty("role", "muted")
        box.addWidget(self.rows_label)
        self.rows_table = QTableWidget(0, 0, page)
        self.rows_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        box.addWidget(self.rows_table, 1)
        self.bad_label = QLabel(self.tr("Bad rows"), page)
        self.bad_label.setProperty("role", "muted")
        box.addWidget(self.bad_label)
        self.bad_table = pick_table(page, [self.tr("Row"), self.tr("What is wrong")], 1)
        self.bad_table.setWordWrap(True)
        box.addWidget(self.bad_table, 1)
        box.addStretch(0)
        return page

    def _import_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        self.import_status = QLabel(page)
        self.import_status.setWordWrap(True)
        self.import_status.setStyleSheet("font-size: 15px;")
        box.addWidget(self.import_status)
        row = QHBoxLayout()
        self.progress = QProgressBar(page)
        self.cancel_button = QPushButton(self.tr("Cancel import"), page)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel_import)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        box.addLayout(row)
        self.summary = QLabel(page)
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        self.undo_button = QPushButton(self.tr("Undo this import"), page)
        self.undo_button.setAutoDefault(False)
        self.undo_button.clicked.connect(self.undo_import)
        self.undo_button.hide()
        box.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.result_table = pick_table(page, [self.tr("Row"), self.tr("Note")], 1)
        self.result_table.hide()
        box.addWidget(self.result_table, 1)
        box.addStretch(1)
        return page

    # --- navigation ----------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.kind_combo.currentData()

    def page(self) -> str:
        return PAGES[self.stack.currentIndex()]

    def show_page(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        names = [self.tr("1 File"), self.tr("2 Columns"), self.tr("3 Preview"), self.tr("4 Import")]
        self.steps.setText("  ›  ".join(f"<b>{n}</b>" if i == index else n for i, n in enumerate(names)))
        self.title.setText([self.tr("Choose the file"), self.tr("Match the columns"),
                            self.tr("Check the rows"), self.tr("Import")][index])
        self.back_button.setVisible(0 < index < 3)
        self.next_button.setVisible(index < 3)
        self.next_button.setText(self.tr("Import") if index == 2 else self.tr("Next ›"))
        self.marketing.setVisible(self.kind == "members")
        self.update_existing.setVisible(self.kind in ("members", "products"))
        self.add_categories.setVisible(self.kind == "products")
        self._buttons()

    def _buttons(self) -> None:
        page = self.page()
        if page == "file":
            ok = self.sample is not None
        elif page == "columns":
            ok = self._mapping_problem() is None
        elif page == "preview":
            ok = self.preview_result is not None and (not self._bad_count() or self.skip_bad.isChecked())
        else:
            ok = False
        self.next_button.setEnabled(ok and not self._running)
        self.close_button.setEnabled(not self._running)

    def next(self) -> None:
        page = self.page()
        if not self.next_button.isEnabled():
            return
        if page == "file":
            self._fill_columns()
            self.show_page(1)
        elif page == "columns":
            self.show_page(2)
            self.check()
        elif page == "preview":
            self.run_import()

    def back(self) -> None:
        if 0 < self.stack.currentIndex() < 3 and not self._running:
            self.show_page(self.stack.currentIndex() - 1)

    def reject(self) -> None:
        if not self._running:       # Esc or the window's close button while importing: Cancel first
            self._gen += 1          # a preview still running stops at its next step
            super().reject()

    # --- 1 the file ------------------------------------------------------------------------------------
    def choose_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Import from your old software"), str(Path.home()),
                                                  self.tr("Excel or CSV (*.xlsx *.xlsm *.csv *.txt)"))
            if not path:
                return
        self.path = str(path)
        self.file_edit.setText(self.path)
        self._read(None)

    def _kind_changed(self) -> None:
        self.sample is not None and self._propose()
        self.show_page(self.stack.currentIndex())

    def _read(self, sheet: str | None) -> None:
        self._gen += 1
        gen, path, ctx = self._gen, self.path, self.state.ctx
        self.sample = None
        self.file_info.setText(self.tr("Reading the file…"))
        self._buttons()

        def read():
            from app.services.base.settings import load

            return import_mapping.inspect(path, sheet, region=load(ctx).region)

        self.state.tasks.query(read, lambda s: gen == self._gen and self._sampled(s),
                               lambda exc: gen == self._gen and self._unreadable(exc), owner=self,
                               what=self.tr("reading the file"))

    def _sampled(self, sample) -> None:
        self.sample = sample
        self._sheet_visible(bool(sample.sheets))
        if sample.sheets:
            self.sheet_combo.blockSignals(True)
            self.sheet_combo.clear()
            self.sheet_combo.addItems(list(sample.sheets))
            self.sheet_combo.setCurrentText(sample.sheet or "")
            self.sheet_combo.blockSignals(False)
        more = "+" if sample.more else ""
        t = self.file_table
        t.clear()
        if not sample.rows:
            self.sample = None
            t.setRowCount(0)
            t.setColumnCount(0)
            self.file_info.setText(self.tr("Sheet {sheet} has no rows to import: choose another sheet.").format(
                sheet=sample.sheet or ""))
            self._buttons()
            return
        self.file_info.setText(self.tr("{file}: {columns} columns; the header is row {row}; the first {rows}{more} rows "
                                       "below.").format(file=sample.file, columns=self.state.number(len(sample.headers)),
                                                        row=sample.header_row, rows=len(sample.rows), more=more))
        t.setColumnCount(len(sample.headers))
        t.setHorizontalHeaderLabels(list(sample.headers))
        t.setRowCount(len(sample.rows))
        t.setVerticalHeaderLabels([str(n) for n in sample.row_numbers])    # the file's own row numbers
        for r, cells in enumerate(sample.rows):
            for c, text in enumerate(cells):
                t.setItem(r, c, QTableWidgetItem(text))
        t.resizeColumnsToContents()
        self._propose()

    def _unreadable(self, exc: BaseException) -> None:
        self.sample = None
        self.file_info.setText(self.state.error_text(exc))
        self.file_table.clear()
        self.file_table.setRowCount(0)
        self.file_table.setColumnCount(0)
        self._buttons()

    def _sheet_visible(self, on: bool) -> None:
        self.sheet_combo.setVisible(on)
        self.sheet_label.setVisible(on)

    # --- 2 the columns -------------------------------------------------------------------------------
    def _propose(self) -> None:
        """The remembered mapping for these headers, else the guess (read on the db worker)."""
        sample, kind, ctx = self.sample, self.kind, self.state.ctx
        self.mapping = import_mapping.guess(kind, sample.headers)
        self.remembered = False
        self._buttons()
        gen = self._gen

        def got(answer) -> None:
            if gen == self._gen and kind == self.kind:
                self.mapping, self.remembered = answer
                if self.page() == "columns":
                    self._fill_columns()

        self.state.tasks.query(lambda: import_mapping.proposed(ctx, kind, sample.headers), got,
                               lambda exc: None, owner=self, what=self.tr("reading the saved column choices"))

    def _fill_columns(self) -> None:
        sample, kind = self.sample, self.kind
        need = set(import_mapping.required(kind))
        choices = [(IGNORE, self.tr("— leave out —"))]
        extra = [c for c in self.mapping.values() if c and c not in import_mapping.columns(kind)]
        for c in (*import_mapping.fields(kind), *extra):
            choices.append((c, parts.field_name(c) + (" *" if c in need else "")))
        t = self.columns_table
        t.setRowCount(len(sample.headers))
        self.combos = {}
        for r, header in enumerate(sample.headers):
            t.setItem(r, 0, QTableWidgetItem(header))
            t.setItem(r, 1, QTableWidgetItem(sample.sample(header)))
            combo = QComboBox(t)
            for value, label in choices:
                combo.addItem(label, value)
            combo.setCurrentIndex(max(0, combo.findData(self.mapping.get(header, IGNORE))))
            combo.currentIndexChanged.connect(lambda _i, h=header, c=combo: self.set_mapping(h, c.currentData()))
            t.setCellWidget(r, 2, combo)
            self.combos[header] = combo
        t.resizeColumnToContents(0)
        t.setColumnWidth(2, 280)
        note = self.tr("Each column of the file goes to the ShopCare field on its right; * marks the fields "
                       "every file needs. Change any of them, or leave a column out.")
        if self.remembered:
            note += " " + self.tr("These are the choices made at the last import of a file with these columns.")
        self.columns_note.setText(note)
        self._show_mapping_problem()

    def set_mapping(self, header: str, canonical: str) -> None:
        self.mapping[header] = canonical or IGNORE
        combo = self.combos.get(header)
        if combo is not None and combo.currentData() != (canonical or IGNORE):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(canonical or IGNORE)))
            combo.blockSignals(False)
        self.preview_result = None
        self._show_mapping_problem()

    def _mapping_problem(self) -> str | None:
        if self.sample is None:
            return ""
        try:
            import_mapping.check(self.kind, self.mapping, self.sample.file)
        except ImportFailed as exc:
            if exc.code == "import_columns":
                missing = exc.params.get("missing", "").split(", ")
                return self.tr("Choose a column for: {fields}").format(
                    fields=", ".join(parts.field_name(m) for m in missing))
            if exc.code == "import_column_twice":
                column = exc.params.get("column", "")
                return self.tr("Two columns go to {field}: {columns}. Leave one out.").format(
                    field=parts.field_name(column), columns=exc.params.get("columns", ""))
            return self.state.error_text(exc)
        return None

    def _show_mapping_problem(self) -> None:
        problem = self._mapping_problem()
        self.columns_error.setText(problem or "")
        self._buttons()

    # --- 3 the preview ------------------------------------------------------------------------------
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
        self.preview_summary.setText(self.tr("Checking every row…"))
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
                               what=self.tr("checking the file"), pool="bulk")

    def _checking(self, gen: int, done: int, total: int) -> None:
        if gen == self._gen and self.preview_result is None and self.preview_error is None and total > 0:
            self.preview_summary.setText(self.tr("Checking every row… {percent}%").format(
                percent=min(100, done * 100 // total)))

    def _bad_count(self) -> int:
        source = self.preview_result if self.preview_result is not None else self.preview_error
        return len(parts.bad_row_reasons(parts.bad_rows(source), self.state)) if source is not None else 0

    def _previewed(self, r) -> None:
        self.preview_result = r
        bad = parts.bad_row_reasons(parts.bad_rows(r), self.state)
        rows = parts.preview_rows(r)
        if rows:
            self.rows_label.setText(self.tr("The first rows as they will be stored"))
            self._fill_rows(rows, [parts.row_number(x) for x in rows])
        else:       # an importer that shows no rows of its own: the good rows as read, field by field
            self.rows_label.setText(self.tr("The first good rows as read from the file, by ShopCare field"))
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
            self.rows_label.setText(self.tr("The first good rows as read from the file, by ShopCare field"))
            self._fill_rows(*self._read_rows({no for no, _r in bad}))
            self.preview_summary.setText(self.tr("%Ln bad row(s): fix them in the file, or tick Skip bad rows.", "",
                                                 len(bad)))
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
            text = (self.tr("Ready: {added} to add, {updated} to update, {unchanged} unchanged.") if preview else
                    self.tr("Imported: {added} added, {updated} updated, {unchanged} unchanged.")).format(
                added=self.state.number(r.added), updated=self.state.number(r.updated),
                unchanged=self.state.number(r.unchanged))
            if getattr(r, "new_categories", None):
                text += " " + self.tr("New categories: {names}.").format(names=", ".join(r.new_categories))
            if not preview and getattr(r, "opening_stock", 0):
                text += " " + self.tr("Opening stock: {stock}.").format(stock=self.state.number(r.opening_stock))
        else:
            count = int(getattr(r, "imported", 0) or 0)
            if self.kind == "members":
                text = (self.tr("%Ln member(s) to import.", "", count) if preview
                        else self.tr("%Ln member(s) imported.", "", count))
            else:
                text = (self.tr("%Ln sale(s) to import.", "", count) if preview
                        else self.tr("%Ln sale(s) imported.", "", count))
            skipped = int(getattr(r, "skipped", 0) or 0)
            if skipped:
                text += " " + self.tr("%Ln already there (imported before).", "", skipped)
        if n and preview and not self.skip_bad.isChecked():
            text += " " + self.tr("%Ln bad row(s): fix them in the file, or tick Skip bad rows.", "", n)
        elif n:
            text += " " + (self.tr("%Ln bad row(s) will be skipped.", "", n) if preview
                           else self.tr("%Ln bad row(s) skipped.", "", n))
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

    # --- 4 the import -----------------------------------------------------------------------------
    def run_import(self) -> None:
        if self._running or self.result is not None or self.preview_result is None:
            return
        ctx, path, opts, relay = self.state.ctx, self.path, self.options(), self._relay
        headers, kind, mapping = self.sample.headers, self.kind, dict(self.mapping)
        self._cancel = False
        wizard = self

        def cancelled() -> bool:
            return not isValid(relay) or wizard._cancel

        def progress(done: int, total: int) -> None:
            if cancelled():       # an importer that does not poll cancel() stops here all the same
                raise ImportFailed("import_cancelled")
            relay.moved.emit(done, total)

        def work():
            from app.services.admin import import_run

            result = import_run.run(ctx, path, opts, progress=progress, cancel=cancelled)
            try:
                import_mapping.save(ctx, kind, headers, mapping)
            except Exception:  # noqa: BLE001 - the import stands; the choices are only a convenience
                pass
            return result

        self._running = True
        self.show_page(3)
        self.progress.setRange(0, 0)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.import_status.setText(self.tr("Importing {file}… the till keeps working meanwhile.").format(
            file=self.sample.file))
        self.summary.setText("")
        self._buttons()
        # on the bulk worker: the till's sales (db worker) do not queue behind the file's reading
        self.state.tasks.write(work, self._imported, self._failed, owner=self, what=self.tr("importing the file"),
                               pool="bulk")

    def cancel_import(self) -> None:
        if self._running:
            self._cancel = True
            self.cancel_button.setEnabled(False)
            self.import_status.setText(self.tr("Cancelling… everything imported so far is taken back."))

    def _moved(self, done: int, total: int) -> None:
        if total > 0 and self._running:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _imported(self, r) -> None:
        self._running = False
        self.result = r
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.cancel_button.hide()
        self.import_status.setText(self.tr("Done: {file} is imported.").format(file=self.sample.file))
        self.summary.setText(self._counts_text(r, parts.bad_row_reasons(parts.bad_rows(r), self.state),
                                               preview=False))
        notes = parts.change_notes(getattr(r, "changes", ()))
        notes += [(str(no), self.tr("skipped: {why}").format(why="; ".join(reasons)))
                  for no, reasons in parts.bad_row_reasons(parts.bad_rows(r), self.state)]
        self.result_table.setRowCount(len(notes))
        for i, (no, note) in enumerate(notes):
            self.result_table.setItem(i, 0, QTableWidgetItem(no))
            self.result_table.setItem(i, 1, QTableWidgetItem(note))
        self.result_table.setVisible(bool(notes))
        self.undo_button.setVisible(import_mapping.undo_available())
        self._buttons()
        self.imported.emit(self.kind)

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.failure = exc
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.cancel_button.hide()
        if isinstance(exc, ImportFailed) and exc.code == "import_cancelled":
            self.import_status.setText(self.tr("Import cancelled: nothing was changed."))
        else:
            self.import_status.setText(self.tr("Nothing was imported: {why}").format(why=self.state.error_text(exc)))
        self._buttons()

    def undo_import(self) -> None:
        if self.result is None or self.undone is not None or not import_mapping.undo_available():
            return
        ctx, kind = self.state.ctx, self.kind
        self.undo_button.setEnabled(False)
        self.summary.setText(self.tr("Taking the import back…"))

        batch_id = getattr(self.result, "batch_id", None)   # the import's own batch, where it says

        def work():
            if batch_id is not None:
                return import_mapping.undo(ctx, batch_id)
            batch = import_mapping.latest_batch(ctx, kind)
            return import_mapping.undo(ctx, batch.id if batch is not None else None)

        def done(r) -> None:
            self.undone = r
            self.summary.setText(self.tr("The import was undone: the shop is as it was before it."))
            self.undo_button.hide()
            self.imported.emit(self.kind)

        def failed(exc: BaseException) -> None:
            self.undo_button.setEnabled(True)
            self.summary.setText(self.state.error_text(exc))

        self.state.tasks.write(work, done, failed, owner=self, what=self.tr("undoing the import"))
