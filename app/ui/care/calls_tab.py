"""Care › Call-backs: the call list with due dates, notes and outcomes."""
from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services.care import callbacks
from app.ui.care.dialogs import NoteDialog, ResolveDialog, TaskDialog
from app.ui.care.parts import SOURCES, CareTab, care_table, care_tr, fill_table
from app.ui.state import AppState
from app.ui.widgets import button_row


class CallsTab(CareTab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.tasks_data: list = []
        self.complaints_data: list = []
        self.tasks = care_table(self, [self.tr("Due"), self.tr("Member"), self.tr("Phone"), self.tr("From"),
                                   self.tr("What to do")], 4)
        self.tasks.doubleClicked.connect(lambda _i: self.complete())
        self.complete_button = QPushButton(self.tr("Complete with a note…"), self)
        self.complete_button.clicked.connect(self.complete)
        self.add_button = QPushButton(self.tr("Add a task…"), self)
        self.add_button.clicked.connect(self.add)
        self.cancel_button = QPushButton(self.tr("Cancel task"), self)
        self.cancel_button.clicked.connect(self.cancel)
        self.complaints_box = QGroupBox(self)
        self.complaints = care_table(self, [self.tr("Date"), self.tr("Member"), self.tr("Complaint"), self.tr("Outcome")], 2)
        self.resolve_button = QPushButton(self.tr("Resolve…"), self)
        self.resolve_button.clicked.connect(self.resolve)
        cb = QVBoxLayout(self.complaints_box)
        cb.addWidget(self.complaints, 1)
        cb.addLayout(button_row(self.resolve_button))
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.tasks, 3)
        box.addLayout(button_row(self.complete_button, self.add_button, self.cancel_button))
        box.addWidget(self.complaints_box, 2)
        box.addWidget(self.status)

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: (callbacks.open_tasks(ctx), callbacks.open_complaints(ctx)), self._loaded)

    def _loaded(self, data) -> None:
        self.tasks_data, self.complaints_data = list(data[0]), list(data[1])
        s, today = self.state, self.state.ctx.today()
        overdue = sum(1 for x in self.tasks_data if x.due_on < today)
        self.title.setText(self.tr("Open call-back tasks: {n} ({overdue} overdue)").format(
            n=len(self.tasks_data), overdue=overdue))
        fill_table(self.tasks, [[s.date(x.due_on), x.member_name + (" ⚠" if x.open_complaint else ""), x.masked_phone,
                            care_tr(SOURCES.get(x.source, x.source)) if x.source in SOURCES else x.source, x.reason]
                           for x in self.tasks_data], red={i for i, x in enumerate(self.tasks_data) if x.due_on < today})
        self.complaints_box.setTitle(self.tr("Open complaints ({n})").format(n=len(self.complaints_data)))
        fill_table(self.complaints, [[s.datetime(x.created_at), x.member_name, x.body, x.outcome]
                                for x in self.complaints_data])
        for b in (self.complete_button, self.cancel_button):
            b.setEnabled(bool(self.tasks_data))
        self.resolve_button.setEnabled(bool(self.complaints_data) and s.role_allowed("resolve_complaint"))

    def selected_task(self):
        row = self.tasks.currentRow()
        return self.tasks_data[row] if 0 <= row < len(self.tasks_data) else None

    def complete(self, text: str = ""):
        task = self.selected_task()
        if task is None:
            self.status.error(self.tr("Choose a task first"))
            return None
        kind = "visit" if task.source == "gift" else "call"
        dialog = NoteDialog(self.state, member_name=task.member_name, task_id=task.id, kind=kind, text=text, parent=self)
        dialog.accepted.connect(lambda: self._completed(dialog))
        self.note_dialog = dialog
        dialog.open()
        return dialog

    def _completed(self, dialog: NoteDialog) -> None:
        r = dialog.result_value
        if r is not None and getattr(r, "next_task", None):
            self.status.ok(self.tr("Done. Next contact on {date}").format(date=self.state.date(r.next_task.due_on)))
        else:
            self.status.ok(self.tr("Done"))
        self.load()

    def add(self) -> TaskDialog:
        dialog = TaskDialog(self.state, self)
        dialog.accepted.connect(self.load)
        self.task_dialog = dialog
        dialog.open()
        return dialog

    def cancel(self) -> None:
        task = self.selected_task()
        if task is None:
            self.status.error(self.tr("Choose a task first"))
            return
        ctx, tid, why = self.state.ctx, task.id, self.tr("cancelled on the care screen")
        self.run(lambda: callbacks.cancel_task(ctx, tid, why), lambda _r: self.load())

    def resolve(self):
        row = self.complaints.currentRow()
        if not 0 <= row < len(self.complaints_data):
            self.status.error(self.tr("Choose a complaint first"))
            return None
        dialog = ResolveDialog(self.state, self.complaints_data[row], self)
        dialog.accepted.connect(self.load)
        self.resolve_dialog = dialog
        dialog.open()
        return dialog
