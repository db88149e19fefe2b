"""The import wizard's step 1, the file: its page (what the file holds, the file, the sheet, the first rows)
and reading the file on the db worker; a mixin of ImportWizard (app/ui/imports/wizard.py), kept apart so
each step reads on its own."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QWidget)

from app.services.admin import import_mapping
from app.ui.imports import parts


class FileStep(parts.Step):
    """Step 1 of ImportWizard: the file page's widgets and what choosing and reading a file does."""

    def _file_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.kind_combo = QComboBox(page)
        for k in self.kinds:
            self.kind_combo.addItem(parts.tr(parts.KIND_NAMES[k]), k)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._kind_changed())
        form.addRow(FileStep.tr("What the file holds"), self.kind_combo)
        row = QHBoxLayout()
        self.file_edit = QLineEdit(page)
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText(FileStep.tr("An Excel workbook (.xlsx) or a CSV file in any encoding"))
        self.browse_button = QPushButton(FileStep.tr("Choose file…"), page)
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(lambda: self.choose_file())
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow(FileStep.tr("File"), row)
        self.sheet_combo = QComboBox(page)
        self.sheet_label = QLabel(FileStep.tr("Sheet"), page)
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

    def choose_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, FileStep.tr("Import from your old software"), str(Path.home()),
                                                  FileStep.tr("Excel or CSV (*.xlsx *.xlsm *.csv *.txt)"))
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
        self.file_info.setText(FileStep.tr("Reading the file…"))
        self._buttons()

        def read():
            from app.services.base.settings import load

            return import_mapping.inspect(path, sheet, region=load(ctx).region)

        self.state.tasks.query(read, lambda s: gen == self._gen and self._sampled(s),
                               lambda exc: gen == self._gen and self._unreadable(exc), owner=self,
                               what=FileStep.tr("reading the file"))

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
            self.file_info.setText(FileStep.tr("Sheet {sheet} has no rows to import: choose another sheet.").format(
                sheet=sample.sheet or ""))
            self._buttons()
            return
        self.file_info.setText(FileStep.tr("{file}: {columns} columns; the header is row {row}; the first {rows}{more} "
                                           "rows below.").format(
            file=sample.file, columns=self.state.number(len(sample.headers)), row=sample.header_row,
            rows=len(sample.rows), more=more))
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
