"""The owner's password: the small dialog that asks for it before an export, a balance adjustment or
a change of settings, and the one that sets or changes it (Settings › Staff).

The services decide (``permissions.require``); these dialogs only get the confirmed ctx the services
want (``auth.confirm_owner``, on the task runner, off the UI thread). ``ask_owner`` calls ``then(ctx)``
at once when nothing needs asking (the password was typed already, or the action does not need it).
"""
from __future__ import annotations

import functools
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.errors import ShopError, ValidationError
from app.services.base import auth, permissions
from app.services.base.context import Ctx
from app.ui.startup import password_edit, password_problem
from app.ui.widgets import error_label


def _button_row(dialog: QDialog, ok_text: str, cancel_text: str) -> tuple[QHBoxLayout, QPushButton, QPushButton]:
    row = QHBoxLayout()
    row.addStretch(1)
    cancel = QPushButton(cancel_text, dialog)
    cancel.setAutoDefault(False)
    cancel.clicked.connect(dialog.reject)
    ok = QPushButton(ok_text, dialog)
    ok.setProperty("primary", True)
    ok.setDefault(True)
    row.addWidget(cancel)
    row.addWidget(ok)
    return row, ok, cancel


class OwnerPasswordDialog(QDialog):
    """Asks the owner's password for ``action``; ``confirmed`` carries the ctx that holds it."""

    confirmed = Signal(object)  # Ctx

    def __init__(self, state, action: str, parent: QWidget | None = None, *, ctx: Ctx | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.ctx = ctx or state.ctx
        self.action = action
        self.result_ctx: Ctx | None = None
        self._busy = False
        self.setWindowTitle(self.tr("Owner's password"))
        self.setMinimumWidth(420)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Owner's password"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        if self.ctx.actor.role == "owner":
            text = self.tr("To {action}, type the owner's password (not the PIN).")
        else:
            text = self.tr("To {action}, the owner types the owner's password (not the PIN).")
        self.note = QLabel(text.format(action=permissions.action_name(action).render(state.lang)), self)
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        outer.addWidget(self.note)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.password = password_edit(self)
        form.addRow(self.tr("Password"), self.password)
        outer.addLayout(form)
        self.error = error_label(self)
        outer.addWidget(self.error)
        row, self.ok_button, self.cancel_button = _button_row(self, self.tr("Confirm (Enter)"),
                                                                 self.tr("Cancel (Esc)"))
        self.ok_button.clicked.connect(self.submit)
        outer.addLayout(row)
        self.password.textChanged.connect(self._changed)
        self.password.returnPressed.connect(self.submit)
        self._changed()
        self.password.setFocus()
        # Say at once when there is no password yet, rather than after one is typed.
        state.tasks.run(lambda: auth.has_owner_password(self.ctx), self._checked, lambda _e: None, owner=self)

    def _checked(self, has_password: bool) -> None:
        if not has_password:
            self.show_error(self.state.error_text(_unset()))
            self.password.setEnabled(False)
            self.ok_button.setEnabled(False)

    def _changed(self) -> None:
        if self.password.isEnabled() and self.password.text():
            self.error.hide()  # typing again: the last refusal no longer applies
        self.ok_button.setEnabled(bool(self.password.text()) and not self._busy and self.password.isEnabled())

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        if self._busy or not self.password.text() or not self.password.isEnabled():
            return
        ctx, password = self.ctx, self.password.text()
        self._busy = True
        self.ok_button.setEnabled(False)
        self.state.tasks.run(lambda: auth.confirm_owner(ctx, password), self._done, self._failed, owner=self)

    def _done(self, ctx: Ctx) -> None:
        self._busy = False
        self.result_ctx = ctx
        self.accept()
        self.confirmed.emit(ctx)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.password.clear()
        self.show_error(self.state.error_text(exc))
        self.password.setFocus()
        self._changed()


def _unset() -> ShopError:
    from app.errors import PermissionDenied

    return PermissionDenied("owner_password_unset")


def ask_owner(state, parent: QWidget | None, action: str, then: Callable[[Ctx], None], *,
              ctx: Ctx | None = None) -> OwnerPasswordDialog | None:
    """``then(ctx)`` with a ctx ``action`` may go ahead with: at once when it needs no owner's
    password (or has it already), else after the owner typed it in a window-modal dialog (returned,
    so tests can drive it). A role that may not do ``action`` at all is left to the service to refuse."""
    ctx = ctx or state.ctx
    if not permissions.allowed(ctx, action) or not permissions.needs_owner_password(ctx, action):
        then(ctx)
        return None
    dialog = OwnerPasswordDialog(state, action, parent, ctx=ctx)
    dialog.confirmed.connect(then)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    return dialog


class SetOwnerPasswordDialog(QDialog):
    """Set the owner's password (the first time: no old one) or change it (the old one first)."""

    saved = Signal(object)  # StaffView

    def __init__(self, state, has_password: bool, parent: QWidget | None = None, *, ctx: Ctx | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.ctx = ctx or state.ctx
        self.has_password = has_password
        self._busy = False
        heading = self.tr("Change owner's password") if has_password else self.tr("Set owner's password")
        self.setWindowTitle(heading)
        self.setMinimumWidth(460)
        outer = QVBoxLayout(self)
        title = QLabel(heading, self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        note = QLabel(self.tr("Asked for exports, balance adjustments and settings. At least 8 characters, "
                              "not only digits, and not the PIN: the PIN is for the till."), self)
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        outer.addWidget(note)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.old = password_edit(self)
        if has_password:
            form.addRow(self.tr("Current password"), self.old)
        else:
            self.old.hide()
        self.new = password_edit(self)
        self.again = password_edit(self)
        form.addRow(self.tr("New password"), self.new)
        form.addRow(self.tr("Password again"), self.again)
        outer.addLayout(form)
        self.error = error_label(self)
        outer.addWidget(self.error)
        row, self.ok_button, self.cancel_button = _button_row(self, self.tr("Save (Enter)"),
                                                                 self.tr("Cancel (Esc)"))
        self.ok_button.clicked.connect(self.submit)
        outer.addLayout(row)
        for edit in (self.old, self.new, self.again):
            edit.textChanged.connect(self.error.hide)
        (self.old if has_password else self.new).setFocus()

    def problem(self) -> str | None:
        if self.has_password and not self.old.text():
            return self.state.error_text(ValidationError("owner_password_old_required"))
        found = password_problem(self.new.text(), None, self.state.lang)
        if found:
            return found
        if self.again.text() != self.new.text():
            return self.state.error_text(ValidationError("owner_password_mismatch"))
        return None

    def submit(self) -> None:
        if self._busy:
            return
        found = self.problem()
        if found:
            self.error.setText(found)
            self.error.show()
            return
        ctx, new, old = self.ctx, self.new.text(), (self.old.text() if self.has_password else None)
        self._busy = True
        self.ok_button.setEnabled(False)
        self.state.tasks.run(lambda: auth.set_owner_password(ctx, new, old), self._done, self._failed, owner=self)

    def _done(self, view) -> None:
        self._busy = False
        self.accept()
        self.saved.emit(view)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        self.old.clear()
        self.error.setText(self.state.error_text(exc))
        self.error.show()


def unlock(state, parent: QWidget | None, action: str, then: Callable[[], None]) -> OwnerPasswordDialog | None:
    """For settings: ask the owner's password once, keep the confirmed ctx as ``state.ctx`` while the
    screen is shown (the main window drops it when another screen is chosen), then ``then()``."""
    def go(ctx: Ctx) -> None:
        state.keep_owner(ctx)
        then()

    return ask_owner(state, parent, action, go)


def owner_gated(action: str):
    """A settings widget's method that changes something: runs once the owner's password was typed
    (``unlock``). The method reads ``self.state.ctx`` as before, which then holds the confirmation."""
    def wrap(method):
        @functools.wraps(method)
        def gated(self, **kwargs) -> None:  # no positional ones: Qt's clicked(bool) is not passed on
            self.password_dialog = unlock(self.state, self, action, lambda: method(self, **kwargs))
        return gated
    return wrap
