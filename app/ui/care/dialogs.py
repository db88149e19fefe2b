"""The care dialogs: a contact note, a call-back task, resolving a complaint, and picking a knowledge-base answer."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.care import callbacks, knowledge
from app.services.members import members
from app.ui.care.parts import DEBOUNCE_MS, NOTE_KINDS, care_tr, date_edit, date_value, save_cancel
from app.ui.state import AppState
from app.ui.widgets import Status


# --- dialogs ------------------------------------------------------------------------------------------
class ServiceDialog(QDialog):
    """A dialog whose Save runs one service call on the db worker: accepted with its result in
    ``result_value``, or kept open with the refusal on its status line."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.result_value = None
        self.status = Status(self)

    def submit(self, fn, button: QPushButton) -> None:
        button.setEnabled(False)

        def done(result) -> None:
            button.setEnabled(True)
            self.result_value = result
            self.accept()

        def failed(exc) -> None:
            button.setEnabled(True)
            self.status.error(self.state.error_text(exc))

        self.state.tasks.run(fn, done, failed)


class KnowledgePickDialog(QDialog):
    """Search the knowledge base and pick an article to insert."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.articles: list = []
        self.chosen = None
        self.setWindowTitle(self.tr("Insert from the knowledge base"))
        self.query = QLineEdit(self)
        self.query.setPlaceholderText(self.tr("Search in Chinese or English"))
        self.list = QListWidget(self)
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setProperty("role", "muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Insert"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.query)
        box.addWidget(self.list, 1)
        box.addWidget(self.preview)
        box.addWidget(buttons)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.list.currentRowChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        self.resize(560, 460)
        self.search()

    def search(self) -> None:
        ctx, q = self.state.ctx, self.query.text()
        self.state.tasks.run(lambda: knowledge.search(ctx, q), self._found)

    def _found(self, articles) -> None:
        self.articles = list(articles)
        self.list.clear()
        for a in self.articles:
            self.list.addItem(a.title)
        if self.articles:
            self.list.setCurrentRow(0)

    def _show(self, row: int) -> None:
        self.preview.setText(self.articles[row].body if 0 <= row < len(self.articles) else "")

    def accept(self) -> None:
        row = self.list.currentRow()
        self.chosen = self.articles[row] if 0 <= row < len(self.articles) else None
        super().accept()


class NoteDialog(ServiceDialog):
    """Complete a task (or write a note for a member) with what was done: kind, note, outcome and the
    next contact date; an article of the knowledge base can be inserted; a text note can be sent."""

    def __init__(self, state: AppState, *, member_name: str, task_id: int | None = None,
                 member_id: int | None = None, kind: str = "call", text: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.task_id, self.member_id = task_id, member_id
        self.setWindowTitle(self.tr("Contact note: {name}").format(name=member_name))
        self.kind = QComboBox(self)
        for code, label in NOTE_KINDS.items():
            self.kind.addItem(care_tr(label), code)
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.body = QPlainTextEdit(self)
        self.body.setPlaceholderText(self.tr("What was said or done"))
        self.body.setPlainText(text)
        self.insert_button = QPushButton(self.tr("Insert from the knowledge base…"), self)
        self.insert_button.setAutoDefault(False)
        self.insert_button.clicked.connect(self.pick_article)
        self.outcome = QLineEdit(self)
        self.outcome.setMaxLength(callbacks.MAX_OUTCOME)
        self.outcome.setPlaceholderText(self.tr("e.g. interested, no answer, resolved"))
        self.next_check = QCheckBox(self.tr("Next contact on"), self)
        self.next_date = date_edit(self, state.ctx.today())
        self.next_date.setDate(self.next_date.date().addDays(14))
        self.next_date.setEnabled(False)
        self.next_check.toggled.connect(self.next_date.setEnabled)
        self.send_text = QCheckBox(self.tr("Also send it to the member as a text"), self)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        form = QFormLayout()
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Note"), self.body)
        form.addRow("", self.insert_button)
        form.addRow(self.tr("Outcome"), self.outcome)
        next_row = QHBoxLayout()
        next_row.addWidget(self.next_check)
        next_row.addWidget(self.next_date)
        next_row.addStretch(1)
        form.addRow("", next_row)
        form.addRow("", self.send_text)
        self.buttons = save_cancel(self, self.tr("Save note"), self.tr("Cancel"))
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self._kind_changed()
        self.resize(560, 420)

    def _kind_changed(self) -> None:
        is_text = self.kind.currentData() == "text"
        self.send_text.setEnabled(is_text)
        if not is_text:
            self.send_text.setChecked(False)

    def insert(self, text: str) -> None:
        cursor = self.body.textCursor()
        cursor.insertText(text)
        self.body.setFocus()

    def pick_article(self) -> KnowledgePickDialog:
        dialog = KnowledgePickDialog(self.state, self)
        dialog.accepted.connect(lambda: dialog.chosen and self.insert(knowledge.as_text(dialog.chosen)))
        self.pick_dialog = dialog
        dialog.open()
        return dialog

    def save(self) -> None:
        ctx = self.state.ctx
        kw = dict(kind=self.kind.currentData(), body=self.body.toPlainText(), outcome=self.outcome.text(),
                  next_contact_on=date_value(self.next_date) if self.next_check.isChecked() else None,
                  send_text=self.send_text.isChecked())
        task_id, member_id = self.task_id, self.member_id
        if task_id is not None:
            fn = lambda: callbacks.complete_task(ctx, task_id, **kw)  # noqa: E731
        else:
            fn = lambda: callbacks.add_note(ctx, member_id, **kw)  # noqa: E731
        self.submit(fn, self.buttons.button(QDialogButtonBox.StandardButton.Save))


class TaskDialog(ServiceDialog):
    """A call-back task by hand: find the member, the due date and what to do."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setWindowTitle(self.tr("Add a call-back task"))
        self.who = QLineEdit(self)
        self.who.setPlaceholderText(self.tr("Phone, last 4 digits, card no. or name + Enter"))
        self.who.returnPressed.connect(self.find)
        self.member = QComboBox(self)
        self.due = date_edit(self, state.ctx.today())
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(callbacks.MAX_REASON)
        form = QFormLayout()
        form.addRow(self.tr("Member"), self.who)
        form.addRow("", self.member)
        form.addRow(self.tr("Due on"), self.due)
        form.addRow(self.tr("What to do"), self.reason)
        self.buttons = save_cancel(self, self.tr("Add task"), self.tr("Cancel"))
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self.resize(520, 240)

    def find(self) -> None:
        ctx, text = self.state.ctx, self.who.text().strip()
        if text:
            self.state.tasks.run(lambda: members.find_members(ctx, text), self._found,
                                 lambda e: self.status.error(self.state.error_text(e)))

    def _found(self, picks) -> None:
        self.member.clear()
        for p in picks:
            self.member.addItem(f"{p.name} · {p.masked_phone}", p.id)
        if not picks:
            self.status.error(self.tr("No member found for “{query}”").format(query=self.who.text().strip()))
        else:
            self.status.clear()

    def save(self) -> None:
        member_id = self.member.currentData()
        if member_id is None:
            self.status.error(self.tr("Find the member first (type and press Enter)"))
            return
        ctx, due, reason = self.state.ctx, date_value(self.due), self.reason.text()
        self.submit(lambda: callbacks.add_task(ctx, member_id, due, reason),
                    self.buttons.button(QDialogButtonBox.StandardButton.Save))


class ResolveDialog(ServiceDialog):
    """Close a complaint with how it was resolved; optionally keep it as a typical case."""

    def __init__(self, state: AppState, complaint, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.complaint = complaint
        self.setWindowTitle(self.tr("Resolve complaint: {name}").format(name=complaint.member_name))
        said = QLabel(complaint.body, self)
        said.setWordWrap(True)
        self.resolution = QPlainTextEdit(self)
        self.resolution.setPlaceholderText(self.tr("How it was resolved"))
        self.as_case = QCheckBox(self.tr("Save as a typical case in the knowledge base"), self)
        self.buttons = save_cancel(self, self.tr("Resolve"), self.tr("Cancel"))
        box = QVBoxLayout(self)
        box.addWidget(said)
        box.addWidget(self.resolution, 1)
        box.addWidget(self.as_case)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self.resize(520, 320)

    def save(self) -> None:
        ctx, note_id, text, case = self.state.ctx, self.complaint.id, self.resolution.toPlainText(), \
            self.as_case.isChecked()

        def work():
            done = callbacks.resolve_complaint(ctx, note_id, text)
            if case:
                knowledge.save_case(ctx, note_id)
            return done

        self.submit(work, self.buttons.button(QDialogButtonBox.StandardButton.Save))
