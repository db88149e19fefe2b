"""The import wizard's step 4, the import: its page (progress, Cancel, the summary, Undo) and the import and
its undo on the bulk and db workers; a mixin of ImportWizard (app/ui/imports/wizard.py), kept apart so
each step reads on its own."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.errors import ImportFailed
from app.services.admin import import_mapping
from app.ui.imports import parts
from app.ui.widgets import pick_table


class RunStep(parts.Step):
    """Step 4 of ImportWizard: the import page's widgets, the import with its progress and Cancel, and Undo."""

    def _import_page(self) -> QWidget:
        page = QWidget(self)
        box = QVBoxLayout(page)
        self.import_status = QLabel(page)
        self.import_status.setWordWrap(True)
        self.import_status.setStyleSheet("font-size: 15px;")
        box.addWidget(self.import_status)
        row = QHBoxLayout()
        self.progress = QProgressBar(page)
        self.cancel_button = QPushButton(RunStep.tr("Cancel import"), page)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel_import)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        box.addLayout(row)
        self.summary = QLabel(page)
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        self.undo_button = QPushButton(RunStep.tr("Undo this import"), page)
        self.undo_button.setAutoDefault(False)
        self.undo_button.clicked.connect(self.undo_import)
        self.undo_button.hide()
        box.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.result_table = pick_table(page, [RunStep.tr("Row"), RunStep.tr("Note")], 1)
        self.result_table.hide()
        box.addWidget(self.result_table, 1)
        box.addStretch(1)
        return page

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
        self.import_status.setText(RunStep.tr("Importing {file}… the till keeps working meanwhile.").format(
            file=self.sample.file))
        self.summary.setText("")
        self._buttons()
        # on the bulk worker: the till's sales (db worker) do not queue behind the file's reading
        self.state.tasks.write(work, self._imported, self._failed, owner=self, what=RunStep.tr("importing the file"),
                               pool="bulk")

    def cancel_import(self) -> None:
        if self._running:
            self._cancel = True
            self.cancel_button.setEnabled(False)
            self.import_status.setText(RunStep.tr("Cancelling… everything imported so far is taken back."))

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
        self.import_status.setText(RunStep.tr("Done: {file} is imported.").format(file=self.sample.file))
        self.summary.setText(self._counts_text(r, parts.bad_row_reasons(parts.bad_rows(r), self.state),
                                               preview=False))
        notes = parts.change_notes(getattr(r, "changes", ()))
        notes += [(str(no), RunStep.tr("skipped: {why}").format(why="; ".join(reasons)))
                  for no, reasons in parts.bad_row_reasons(parts.bad_rows(r), self.state)]
        self.result_table.setRowCount(len(notes))
        for i, (no, note) in enumerate(notes):
            self.result_table.setItem(i, 0, QTableWidgetItem(no))
            self.result_table.setItem(i, 1, QTableWidgetItem(note))
        self.result_table.setVisible(bool(notes))
        self.undo_button.setVisible(True)
        self._buttons()
        self.imported.emit(self.kind)

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.failure = exc
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.cancel_button.hide()
        if isinstance(exc, ImportFailed) and exc.code == "import_cancelled":
            self.import_status.setText(RunStep.tr("Import cancelled: nothing was changed."))
        else:
            self.import_status.setText(RunStep.tr("Nothing was imported: {why}").format(why=self.state.error_text(exc)))
        self._buttons()

    def undo_import(self) -> None:
        if self.result is None or self.undone is not None:
            return
        ctx = self.state.ctx
        self.undo_button.setEnabled(False)
        self.summary.setText(RunStep.tr("Taking the import back…"))

        batch_id = self.result.batch_id      # the import's own batch

        def work():
            return import_mapping.undo(ctx, batch_id)

        def done(r) -> None:
            self.undone = r
            self.summary.setText(RunStep.tr("The import was undone: the shop is as it was before it."))
            self.undo_button.hide()
            self.imported.emit(self.kind)

        def failed(exc: BaseException) -> None:
            self.undo_button.setEnabled(True)
            self.summary.setText(self.state.error_text(exc))

        self.state.tasks.write(work, done, failed, owner=self, what=RunStep.tr("undoing the import"))
