"""The Members screen: search box and a lazy, paged table that stays quick at 200,000 members.

Typing searches after a short pause (250 ms) by phone, last 4 digits, card number, the start of a
name (Chinese too) or a tag (``#vip``); the query runs on the db worker and answers from an older
query are dropped. Enter (or double-click) opens the member page; F4 adds a member, F5 tops up,
F6 edits the selected member; Ctrl+F goes back to the search box.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from app.services.members import member_list, members
from app.ui.members.member_model import COLUMNS, SORT_COLUMN, MemberListModel
from app.ui.widgets import row_table

DEBOUNCE_MS = 250


class MembersScreen(QWidget):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.page = None            # the member page last opened (tests and screenshots look at it)
        self.dialog = None          # the last dialog opened from here
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 10)
        outer.setSpacing(10)

        head = QHBoxLayout()
        title = QLabel(self.tr("Members"), self)
        title.setProperty("role", "title")
        self.count_label = QLabel(self)
        self.count_label.setProperty("role", "muted")
        self.busy_label = QLabel(self.tr("Searching…"), self)
        self.busy_label.setProperty("role", "muted")
        self.busy_label.hide()
        # The export's outcome has its own label: the list reloading (a search, a member saved on
        # another screen) rewrites the count and must not wipe "exported to …" before it is read.
        self.export_label = QLabel(self)
        self.export_label.setProperty("role", "muted")
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(self.count_label)
        head.addWidget(self.busy_label)
        head.addStretch(1)
        head.addWidget(self.export_label)
        self.new_button = QPushButton(self.tr("New member (F4)"), self)
        self.new_button.setProperty("primary", True)
        self.new_button.clicked.connect(self.new_member)
        self.topup_button = QPushButton(self.tr("Top up (F5)"), self)
        self.topup_button.clicked.connect(self.topup_selected)
        self.edit_button = QPushButton(self.tr("Edit (F6)"), self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setToolTip(self.tr("Every member to a CSV or Excel file (owner only; recorded in the audit log)"))
        self.export_button.clicked.connect(self.export_members)
        # Moving in (the owner): the import wizard, and taking the latest import back
        self.import_button = QPushButton(self.tr("Import…"), self)
        self.import_button.setToolTip(self.tr("Members, balances, points and purchase history from your old software "
                                              "(Excel or CSV)"))
        self.import_button.clicked.connect(lambda: self.open_import())
        self.undo_import_button = QPushButton(self.tr("Undo last import…"), self)
        self.undo_import_button.clicked.connect(lambda: self.undo_last_import())
        for b in (self.undo_import_button, self.import_button, self.export_button, self.topup_button,
                  self.edit_button, self.new_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            head.addWidget(b)
        outer.addLayout(head)
        state.actor_changed.connect(lambda _a: self._permissions())

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search: phone, last 4 digits, card no., name or #tag  (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setStyleSheet("font-size: 16px; padding: 8px 10px;")
        outer.addWidget(self.search)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.hide()
        outer.addWidget(self.error)

        self.model = MemberListModel(state, self)
        self.table = row_table(self, self.model, row_height=32, striped=True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(SORT_COLUMN["last_visit"], Qt.SortOrder.DescendingOrder)
        header.sectionClicked.connect(self._header_clicked)
        widths = {"name": 150, "phone": 130, "tier": 110, "balance": 120, "points": 90, "spent": 130,
                  "visits": 70, "last": 130}
        for i, (key, _h, _s) in enumerate(COLUMNS):
            self.table.setColumnWidth(i, widths[key])
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        outer.addWidget(self.table, 1)
        self.empty_panel = self._empty_panel()
        outer.addWidget(self.empty_panel, 1)
        self.hint = QLabel(self.tr("Enter open · F4 new member · F5 top up · F6 edit · Ctrl+F search · "
                                   "click Name, Balance, Points, Total spent or Last visit to sort"), self)
        self.hint.setProperty("role", "muted")
        outer.addWidget(self.hint)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._search_enter)
        self.search.installEventFilter(self)
        self.table.doubleClicked.connect(lambda index: self.open_member(self.model.member_id(index.row())))
        self.table.installEventFilter(self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)
        self.model.busy_changed.connect(self.busy_label.setVisible)
        self.model.modelReset.connect(lambda: self.count_label.setText(""))
        state.member_changed.connect(self._member_changed)

        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.focus_search)
        QShortcut(QKeySequence("F4"), self, activated=self.new_member)
        QShortcut(QKeySequence("F5"), self, activated=self.topup_selected)
        QShortcut(QKeySequence("F6"), self, activated=self.edit_selected)
        self._permissions()
        self.model.set_query("")

    def _permissions(self) -> None:
        self.export_button.setVisible(self.state.role_allowed("export"))
        owner = self.state.role_allowed("import")
        self.import_button.setVisible(owner)
        self.undo_import_button.setVisible(owner)
        self.empty_import.setVisible(owner)

    def _empty_panel(self) -> QWidget:
        """A new shop's empty list: where members come from (F4, or the import wizard)."""
        panel = QWidget(self)
        box = QVBoxLayout(panel)
        box.addStretch(1)
        self.empty_text = QLabel(self.tr("No members yet. Add one with New member (F4), or bring your members, their "
                                         "balances, points and purchase history over from the software you used "
                                         "before."), panel)
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text.setStyleSheet("font-size: 16px;")
        box.addWidget(self.empty_text)
        self.empty_import = QPushButton(self.tr("Import from your old software…"), panel)
        self.empty_import.setProperty("primary", True)
        self.empty_import.clicked.connect(lambda: self.open_import())
        box.addSpacing(12)
        box.addWidget(self.empty_import, 0, Qt.AlignmentFlag.AlignCenter)
        box.addStretch(2)
        panel.hide()
        return panel

    # --- moving in (owner) -------------------------------------------------------------------------
    def open_import(self, path: str | None = None, kind: str = "members"):
        """The import wizard (``path``: a file already chosen, as tests and screenshots do)."""
        from app.ui.imports.wizard import ImportWizard

        self.dialog = ImportWizard(self.state, kind, path, self)
        self.dialog.imported.connect(lambda _k: self.model.set_query(self.search.text().strip()))
        self.dialog.open()
        return self.dialog

    def undo_last_import(self):
        """Take the latest import back, after saying which one (the service refuses when anything
        since touches what it brought in, and says what)."""
        from app.ui.imports.undo import UndoLastImport

        self.dialog = UndoLastImport(self.state, self)
        self.dialog.undone.connect(lambda: self.model.set_query(self.search.text().strip()))
        self.dialog.open()
        return self.dialog

    # --- export (owner) ----------------------------------------------------------------------------
    def export_members(self, path: str | None = None) -> None:
        """The whole member list to a file; ``path`` (tests) skips the file dialog. The file is
        written on the io worker from a read transaction: the till keeps selling."""
        if path is None:
            from PySide6.QtWidgets import QFileDialog

            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export members"), str(Path.home() / "members.xlsx"),
                                                  self.tr("Excel (*.xlsx);;CSV (*.csv)"))
            if not path:
                return
        from app.ui.settings.owner_password import ask_owner

        # Personal data: the owner's password first (the service refuses without it).
        self.password_dialog = ask_owner(self.state, self, "export", lambda ctx: self._export(ctx, path))

    def _export(self, ctx, path: str) -> None:
        from app.services.members import member_export

        self.export_button.setEnabled(False)
        self.export_label.setText(self.tr("Exporting…"))

        def done(n: int) -> None:
            self.export_button.setEnabled(True)
            self.error.hide()
            self.export_label.setText(self.tr("%Ln member(s) exported to {file}", "", n).format(file=Path(path).name))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.export_label.setText("")
            self._failed(self.state.error_text(exc))

        self.state.tasks.run(lambda: member_export.export_members(ctx, path), done, failed, pool="io")

    # --- main window hooks -----------------------------------------------------------------------
    def activated(self) -> None:
        self.focus_search()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # --- search ----------------------------------------------------------------------------------
    def run_search(self) -> None:
        self._timer.stop()
        text = self.search.text().strip()
        if text != self.model.query or not self.model.pages_loaded:
            self.error.hide()
            self.model.set_query(text)

    def _search_enter(self) -> None:
        self.run_search()
        self.table.setFocus()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _header_clicked(self, column: int) -> None:
        sort = COLUMNS[column][2]
        header = self.table.horizontalHeader()
        if sort is None:  # not sortable: keep the indicator where it was
            header.setSortIndicator(SORT_COLUMN[self.model.sort_key],
                                    Qt.SortOrder.DescendingOrder if self.model.desc else Qt.SortOrder.AscendingOrder)
            return
        desc = (not self.model.desc) if sort == self.model.sort_key else member_list.DEFAULT_DESC[sort]
        header.setSortIndicator(column, Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder)
        self.model.set_query(self.search.text().strip(), sort, desc)

    def _loaded(self, total: int, exact: bool) -> None:
        n = self.state.number(total)
        if not self.model.query:
            text = self.tr("%Ln member(s)", "", total) if exact else self.tr("%Ln+ member(s)", "", total)
        elif total == 0:
            text = self.tr("No member matches")
        else:
            text = self.tr("{count} found").format(count=n) if exact else self.tr("{count}+ found").format(count=n)
        self.count_label.setText(text)
        empty = not self.model.query and total == 0 and exact
        self.empty_panel.setVisible(empty)
        self.table.setVisible(not empty)
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _failed(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.search and key == Qt.Key.Key_Down and self.model.rowCount():
                self.table.setFocus()
                self.table.selectRow(max(0, self.table.currentIndex().row()))
                return True
            if obj is self.table and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_member(self.selected_id())
                return True
            if obj is self.table and key == Qt.Key.Key_Up and self.table.currentIndex().row() <= 0:
                self.focus_search()
                return True
        return super().eventFilter(obj, event)

    # --- one member ----------------------------------------------------------------------------------
    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.member_id(index.row()) if index.isValid() else None

    def open_member(self, member_id: int | None):
        if member_id is None:
            return None
        from app.ui.members.member_page import MemberPage

        self.page = MemberPage(self.state, member_id, self)
        self.page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # no closed pages left listening
        self.page.open()
        return self.page

    def new_member(self):
        from app.ui.members.member_edit import MemberEditDialog

        self.dialog = MemberEditDialog(self.state, None, self)
        self.dialog.saved.connect(lambda view: self.open_member(view.id))
        self.dialog.open()
        return self.dialog

    def edit_selected(self) -> None:
        member_id = self.selected_id()
        if member_id is None:
            return
        ctx = self.state.ctx

        def show(view) -> None:
            from app.ui.members.member_edit import MemberEditDialog

            self.dialog = MemberEditDialog(self.state, view, self)
            self.dialog.open()

        self.state.tasks.run(lambda: members.get_member(ctx, member_id), show,
                             lambda exc: self._failed(self.state.error_text(exc)))

    def topup_selected(self):
        member_id = self.selected_id()
        if member_id is None:
            return None
        from app.ui.members.topup_dialog import TopupDialog

        row = self.model.rows[self.table.currentIndex().row()]
        self.dialog = TopupDialog(self.state, member_id, row.name, self)
        self.dialog.open()
        return self.dialog

    def _member_changed(self, member_id: int) -> None:
        ctx = self.state.ctx
        if self.model.row_of(member_id) < 0:
            if not self.model.query:  # a new member: the first page shows them after a refresh
                self.model.refresh()
            return
        self.state.tasks.run(lambda: member_list.member_row(ctx, member_id),
                             lambda row: row is not None and self.model.update_member(row))
