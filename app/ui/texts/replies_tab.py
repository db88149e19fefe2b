"""Messages › Replies: customers' replies the shop should read (nothing understood them: not STOP or
START, not a score, not a balance query), with the member, the time and the text; marked read when read."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.texts import replies
from app.ui.state import AppState
from app.ui.widgets import Tab, button_row


class RepliesTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.rows: list = []
        self.unread = 0
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.show_read = QCheckBox(self.tr("Show replies already read"), self)
        self.show_read.setChecked(True)
        self.show_read.toggled.connect(lambda _on: self.load())
        heads = [self.tr("Received"), self.tr("Member"), self.tr("Phone"), self.tr("Text"), self.tr("Read")]
        self.table = QTableWidget(0, len(heads), self)
        self.table.setHorizontalHeaderLabels(heads)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for col in range(len(heads)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == 3
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.mark_read = QPushButton(self.tr("Mark as read"), self)
        self.mark_read.setProperty("primary", True)
        self.mark_read.clicked.connect(lambda: self.mark(True))
        self.mark_unread = QPushButton(self.tr("Mark as unread"), self)
        self.mark_unread.clicked.connect(lambda: self.mark(False))
        note = QLabel(self.tr("Replies the app answers or acts on by itself are not listed: STOP/退订 and START, "
                              "scores 1-5 after a satisfaction text, and balance queries (the keywords in "
                              "Texting rules)."), self)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        box = QVBoxLayout(self)
        box.addWidget(self.summary)
        box.addWidget(self.table, 1)
        box.addLayout(button_row(self.mark_read, self.mark_unread, self.show_read))
        box.addWidget(note)
        box.addWidget(self.status)

    def load(self) -> None:
        ctx, unread_only = self.state.ctx, not self.show_read.isChecked()
        self.run(lambda: (replies.list_replies(ctx, unread_only=unread_only), replies.unread_count(ctx)), self._loaded)

    def _loaded(self, result) -> None:
        self.rows, self.unread = result
        s = self.state
        self.summary.setText(self.tr("{n} replies not read yet").format(n=self.unread) if self.unread
                             else self.tr("Every reply has been read"))
        self.table.setRowCount(len(self.rows))
        bold = QFont()
        bold.setBold(True)
        for i, r in enumerate(self.rows):
            cells = [f"{s.date(r.received_at.date())} {s.time(r.received_at)}",
                     r.member_name or self.tr("(not a member)"), r.masked_phone, r.body.replace("\n", " "),
                     self.tr("read") if r.read_at else self.tr("new")]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if r.read_at is None:
                    item.setFont(bold)
                if col == 4 and r.read_at is None:
                    item.setForeground(QColor("#1565c0"))
                self.table.setItem(i, col, item)
        self.mark_read.setEnabled(bool(self.rows))
        self.mark_unread.setEnabled(bool(self.rows))
        tabs = self.parent().parent() if self.parent() is not None else None
        if hasattr(tabs, "indexOf") and tabs.indexOf(self) >= 0:
            tabs.setTabText(tabs.indexOf(self), self.tab_title())

    def tab_title(self) -> str:
        return self.tr("Replies ({n})").format(n=self.unread) if self.unread else self.tr("Replies")

    def selected(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.rows[r].id for r in rows if 0 <= r < len(self.rows)]

    def mark(self, read: bool) -> None:
        ids = self.selected()
        if not ids:
            self.status.error(self.tr("Choose one or more replies first"))
            return
        ctx = self.state.ctx
        self.run(lambda: replies.mark_read(ctx, ids, read=read), lambda n: (
            self.status.ok((self.tr("Replies marked read: {n}") if read
                            else self.tr("Replies marked unread: {n}")).format(n=n)), self.load()))
