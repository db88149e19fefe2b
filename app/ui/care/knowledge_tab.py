"""Care › Knowledge base: the answers the shop keeps for its customers, searchable, ready to paste into a note."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.services.care import knowledge
from app.ui.care.calls_tab import CallsTab
from app.ui.care.parts import DEBOUNCE_MS, CareTab
from app.ui.state import AppState
from app.ui.widgets import button_row


class KnowledgeTab(CareTab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.articles: list = []
        self.current_id: int | None = None
        self.query = QLineEdit(self)
        self.query.setPlaceholderText(self.tr("Search in Chinese or English"))
        self.query.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.currentRowChanged.connect(self._show)
        self.title = QLineEdit(self)
        self.tags = QLineEdit(self)
        self.tags.setPlaceholderText(self.tr("Tags, separated by spaces"))
        self.body = QPlainTextEdit(self)
        self.source = QLabel(self)
        self.source.setProperty("role", "muted")
        self.new_button = QPushButton(self.tr("New article"), self)
        self.new_button.clicked.connect(self.new_article)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.delete_button.clicked.connect(self.delete)
        self.insert_button = QPushButton(self.tr("Insert into a note…"), self)
        self.insert_button.setToolTip(self.tr("Opens the note for the task chosen on the call list"))
        self.insert_button.clicked.connect(self.insert_into_note)
        left = QWidget(self)
        lb = QVBoxLayout(left)
        lb.setContentsMargins(0, 0, 0, 0)
        lb.addWidget(self.query)
        lb.addWidget(self.list, 1)
        right = QWidget(self)
        form = QFormLayout(right)
        form.setContentsMargins(8, 0, 0, 0)
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Text"), self.body)
        form.addRow("", self.source)
        split = QSplitter(self)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([340, 760])
        box = QVBoxLayout(self)
        box.addWidget(split, 1)
        box.addLayout(button_row(self.new_button, self.save_button, self.delete_button, self.insert_button))
        box.addWidget(self.status)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.load)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.calls_tab: CallsTab | None = None

    def load(self) -> None:
        ctx, q = self.state.ctx, self.query.text()
        self.run(lambda: knowledge.search(ctx, q), self._loaded)
        editable = self.state.role_allowed("edit_knowledge")
        for b in (self.new_button, self.save_button, self.delete_button):
            b.setEnabled(editable)

    def _loaded(self, articles, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else self.current_id
        self.articles = list(articles)
        self.list.blockSignals(True)
        self.list.clear()
        for a in self.articles:
            item = QListWidgetItem(a.title)
            item.setToolTip(" ".join("#" + x for x in a.tags))
            self.list.addItem(item)
        self.list.blockSignals(False)
        ids = [a.id for a in self.articles]
        self.list.setCurrentRow(ids.index(keep) if keep in ids else (0 if ids else -1))
        if not ids:
            self._show(-1)

    def _show(self, row: int) -> None:
        a = self.articles[row] if 0 <= row < len(self.articles) else None
        self.current_id = a.id if a else None
        self.title.setText(a.title if a else "")
        self.tags.setText(" ".join(a.tags) if a else "")
        self.body.setPlainText(a.body if a else "")
        names = {"case": self.tr("A typical case, from a resolved complaint"), "seed": self.tr("A default article"),
                 "manual": self.tr("Written by the shop")}
        self.source.setText(self.tr("{what} · updated {when}").format(what=names.get(a.source, a.source),
                                                                      when=self.state.datetime(a.updated_at)) if a else "")

    def new_article(self) -> None:
        self.list.clearSelection()
        self.current_id = None
        self.title.clear()
        self.tags.clear()
        self.body.clear()
        self.source.setText(self.tr("New article: type it and save"))
        self.title.setFocus()

    def save(self) -> None:
        ctx, aid = self.state.ctx, self.current_id
        title, body, tags = self.title.text(), self.body.toPlainText(), self.tags.text()
        q = self.query.text()

        def work():
            a = (knowledge.add(ctx, title, body, tags) if aid is None
                 else knowledge.update(ctx, aid, title=title, body=body, tags=tags))
            return a, knowledge.search(ctx, q)

        self.run(work, lambda r: (self.status.ok(self.tr("Saved")), self._loaded(r[1], r[0].id)))

    def delete(self) -> None:
        if self.current_id is None:
            return
        ctx, aid, q = self.state.ctx, self.current_id, self.query.text()
        self.current_id = None
        self.run(lambda: (knowledge.remove(ctx, aid), knowledge.search(ctx, q))[1],
                 lambda rows: (self.status.ok(self.tr("Deleted")), self._loaded(rows)))

    def insert_into_note(self):
        if self.calls_tab is None or self.calls_tab.selected_task() is None:
            self.status.error(self.tr("Choose a task on the call list first"))
            return None
        return self.calls_tab.complete(self.body.toPlainText())
