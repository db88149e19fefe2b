"""Settings › Backups › Audit key for several tills: show this till's audit key (to type on the other
tills sharing the database) and use another till's. The owner only, after the owner's password; the
services decide (``audit.export_key`` / ``import_key``, on the task runner) and refuse a key that does
not verify the database's audit rows, changing nothing."""
from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services.base import audit
from app.ui.settings.owner_password import owner_gated

ACTION = "manage_audit_key"


class AuditKeyBox(QGroupBox):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from app.ui.widgets import Status

        self.state = state
        self.password_dialog = None
        self.setTitle(self.tr("Audit key for several tills"))
        hint = QLabel(self.tr("Tills that share one database need the same audit key, or each one's check "
                              "reports the other tills' audit rows. Show the key on the first till and type "
                              "it on each other one. Keep it private: whoever has it can re-sign an edited "
                              "audit log."), self)
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.show_button = QPushButton(self.tr("Show this till's key…"), self)
        self.show_button.clicked.connect(self.show_key)
        self.key_field = QLineEdit(self)
        self.key_field.setReadOnly(True)
        self.key_field.setFont(mono)
        self.key_field.setPlaceholderText(self.tr("Hidden: the owner's password shows it"))
        self.copy_button = QPushButton(self.tr("Copy"), self)
        self.copy_button.clicked.connect(self.copy_key)
        self.other = QLineEdit(self)
        self.other.setFont(mono)
        self.other.setPlaceholderText(self.tr("The other till's key: 8 groups of 8 digits and letters a-f"))
        self.use_button = QPushButton(self.tr("Use the key of another till…"), self)
        self.use_button.clicked.connect(self.use_other)
        self.other.textChanged.connect(lambda _t: self.apply_permissions())
        self.status = Status(self)
        mine = QHBoxLayout()
        mine.addWidget(self.show_button)
        mine.addWidget(self.key_field, 1)
        mine.addWidget(self.copy_button)
        theirs = QHBoxLayout()
        theirs.addWidget(self.use_button)
        theirs.addWidget(self.other, 1)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addLayout(mine)
        box.addLayout(theirs)
        box.addWidget(self.status)
        self.apply_permissions()

    def apply_permissions(self, busy: bool = False) -> None:
        may = self.state.role_allowed(ACTION) and not busy
        self.show_button.setEnabled(may)
        self.copy_button.setEnabled(may and bool(self.key_field.text()))
        self.use_button.setEnabled(may and bool(self.other.text().strip()))
        self.other.setEnabled(self.state.role_allowed(ACTION))

    def _run(self, fn, done) -> None:
        self.apply_permissions(busy=True)

        def ok(result) -> None:
            done(result)
            self.apply_permissions()

        def failed(exc) -> None:
            self.apply_permissions()
            self.status.error(self.state.error_text(exc))

        self.state.tasks.run(fn, ok, failed, owner=self)

    @owner_gated(ACTION)
    def show_key(self) -> None:
        ctx = self.state.ctx  # holds the owner's confirmation (owner_gated)
        self._run(lambda: audit.export_key(ctx), self.shown)

    def shown(self, text: str) -> None:
        self.key_field.setText(text)
        self.status.ok(self.tr("Type this key on each other till: Settings › Backups › Use the key of "
                               "another till, or 'shopcare audit-key set' there."))

    def copy_key(self) -> None:
        if self.key_field.text():
            QApplication.clipboard().setText(self.key_field.text())
            self.status.ok(self.tr("Copied."))

    @owner_gated(ACTION)
    def use_other(self) -> None:
        ctx, text = self.state.ctx, self.other.text()

        def used(_none) -> None:
            self.other.clear()
            self.key_field.clear()
            self.status.ok(self.tr("This till now uses that key: its audit rows verify. Run the check "
                                   "(shopcare check) on each till to see."))
        self._run(lambda: audit.import_key(ctx, text), used)

    def hide_key(self) -> None:
        """Leaving the screen: the key does not stay on it."""
        self.key_field.clear()
        self.apply_permissions()


# An example key for the screenshots: the real one is never rendered into a picture.
SAMPLE_KEY = "3f9a1c07 be42d6e1 08c7f5a2 91d3b64e 5a0e7c38 f26b19d4 c83e0a57 7d41e92b"
