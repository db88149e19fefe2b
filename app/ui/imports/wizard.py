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

Every read and write runs off the UI thread (app/ui/tasks.py); the services check the permission.
This module keeps the dialog that steps through them; each step's page and work is a mixin in its own
module: file_page.py, columns_page.py, preview_page.py, run_page.py."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from app.ui.imports.columns_page import ColumnsStep
from app.ui.imports.file_page import FileStep
from app.ui.imports.preview_page import PreviewStep
from app.ui.imports.run_page import RunStep

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


class ImportWizard(QDialog, FileStep, ColumnsStep, PreviewStep, RunStep):
    """The dialog that steps through the pages; QDialog comes first so that self.tr here asks ImportWizard."""
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
