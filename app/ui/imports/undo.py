"""Members › Undo last import…: which import is the latest (what, which file, when, by its counts),
and Undo, which the service refuses, saying what happened since, when anything touches what the
import brought in. Reads and the undo run on the db worker."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from app.services.admin import import_mapping
from app.ui.imports import parts
from app.ui.widgets import closing_buttons


class UndoLastImport(QDialog):
    undone = Signal()

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.batch = None
        self.result = None
        self.setWindowTitle(self.tr("Undo last import"))
        self.resize(560, 240)
        box = QVBoxLayout(self)
        title = QLabel(self.tr("Undo last import"), self)
        title.setProperty("role", "title")
        box.addWidget(title)
        self.text = QLabel(self.tr("Looking for the latest import…"), self)
        self.text.setWordWrap(True)
        box.addWidget(self.text, 1)
        buttons, self.undo_button, self.close_button = closing_buttons(self, self.tr("Close"), self.tr("Undo"),
                                                                      self.undo)
        self.undo_button.setEnabled(False)
        box.addLayout(buttons)
        ctx = state.ctx
        state.tasks.query(lambda: import_mapping.latest_batch(ctx), self._found,
                          lambda exc: self.text.setText(state.error_text(exc)), owner=self,
                          what=self.tr("reading the imports"))

    def _found(self, batch) -> None:
        self.batch = batch
        if batch is None:
            self.text.setText(self.tr("There is no import to undo."))
            return
        counts = ", ".join(f"{parts.count_name(k)}: {self.state.number(v)}" for k, v in sorted(batch.counts.items())
                           if isinstance(v, int) and not isinstance(v, bool))
        self.text.setText(self.tr("The latest import: {what} from {file}, {when}{counts}.\n\nUndo puts the shop back "
                                  "as it was before it, unless something since touches what it brought in.").format(
            what=parts.tr(parts.KIND_NAMES.get(batch.kind, batch.kind)), file=batch.file,
            when=self.state.datetime(batch.started_at), counts=f" ({counts})" if counts else ""))
        self.undo_button.setEnabled(True)

    def undo(self) -> None:
        if self.batch is None or self.result is not None:
            return
        ctx, batch_id = self.state.ctx, self.batch.id
        self.undo_button.setEnabled(False)
        self.text.setText(self.tr("Taking the import back…"))

        def done(r) -> None:
            self.result = r
            self.text.setText(self.tr("The import was undone: the shop is as it was before it."))
            self.undone.emit()

        def failed(exc: BaseException) -> None:
            self.text.setText(self.state.error_text(exc))

        self.state.tasks.write(lambda: import_mapping.undo(ctx, batch_id), done, failed, owner=self,
                               what=self.tr("undoing the import"))
