"""Settings › Staff: who works here, their roles and PINs."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.admin import shop_admin
from app.ui.settings.owner_password import SetOwnerPasswordDialog, owner_gated
from app.ui.settings.rows import row_item, rows_table
from app.ui.startup import PIN_MAX, PIN_MIN, pin_edit
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab, error_label
from app.ui.widgets import button_row as _buttons

ROLE_LABELS = {
    "owner": QT_TRANSLATE_NOOP("Roles", "Owner"),
    "manager": QT_TRANSLATE_NOOP("Roles", "Manager"),
    "cashier": QT_TRANSLATE_NOOP("Roles", "Cashier"),
}


def role_label(role: str) -> str:
    return QCoreApplication.translate("Roles", ROLE_LABELS.get(role, role))


# --- staff and roles ----------------------------------------------------------------------------------------
class StaffDialog(QDialog):
    """Add a staff member (name, role, PIN twice), or set a new PIN (``name`` given)."""

    def __init__(self, parent: QWidget | None = None, *, name: str | None = None) -> None:
        super().__init__(parent)
        self.reset = name is not None
        self.setWindowTitle(self.tr("New PIN for {name}").format(name=name) if self.reset else self.tr("Add staff"))
        self.name = QLineEdit(self)
        self.name.setMaxLength(shop_admin.NAME_MAX)
        self.role = QComboBox(self)
        for role in ("cashier", "manager", "owner"):
            self.role.addItem(role_label(role), role)
        self.pin = pin_edit(self)
        self.pin_again = pin_edit(self)
        self.pin.setPlaceholderText(self.tr("4 to 8 digits"))
        self.error = error_label(self)
        ok = QPushButton(self.tr("Save"), self)
        ok.setDefault(True)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.setAutoDefault(False)
        form = QFormLayout()
        if not self.reset:
            form.addRow(self.tr("Name"), self.name)
            form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.tr("PIN again"), self.pin_again)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addLayout(_buttons(ok, cancel))
        ok.clicked.connect(self.check)
        cancel.clicked.connect(self.reject)
        (self.pin if self.reset else self.name).setFocus()

    def problem(self) -> str | None:
        if not self.reset and not self.name.text().strip():
            return self.tr("Type the name")
        pin = self.pin.text()
        if not (PIN_MIN <= len(pin) <= PIN_MAX and pin.isdigit()):
            return self.tr("A PIN is 4 to 8 digits")
        if pin != self.pin_again.text():
            return self.tr("The two PINs are not the same")
        return None

    def check(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        self.accept()


class StaffTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.staff: list = []
        self.table = rows_table(self, [self.tr("Name"), self.tr("Role"), self.tr("Status")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Three short columns: let the last take the rest of the width instead of an empty grey band.
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.add = QPushButton(self.tr("Add staff…"), self)
        self.role = QComboBox(self)
        for role in ("cashier", "manager", "owner"):
            self.role.addItem(role_label(role), role)
        self.set_role = QPushButton(self.tr("Set role"), self)
        self.toggle = QPushButton(self.tr("Deactivate"), self)
        self.reset = QPushButton(self.tr("Reset PIN…"), self)
        self.unlock = QPushButton(self.tr("Unlock"), self)
        self.save_buttons = [self.add, self.set_role, self.toggle, self.reset, self.unlock]
        # The logged-in owner's own password: set the first one with the PIN login alone (there is no
        # password to ask yet), change it with the old one.
        self.password_button = QPushButton(self.tr("Set owner password…"), self)
        self.password_button.clicked.connect(self.owner_password)
        hint = QLabel(self.tr("Owners change settings and staff; managers approve refunds and adjustments; "
                              "cashiers sell and top up. Someone locked out after too many wrong PINs needs "
                              "Unlock or a new PIN. Exports, adjustments and settings ask for the owner's "
                              "password, not a PIN."), self)
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.table, 1)
        box.addLayout(_buttons(self.add, self.role, self.set_role, self.toggle, self.reset, self.unlock))
        box.addLayout(_buttons(self.password_button))
        box.addWidget(self.status)
        self.add.clicked.connect(self.add_staff)
        self.set_role.clicked.connect(self.change_role)
        self.toggle.clicked.connect(self.toggle_active)
        self.reset.clicked.connect(self.reset_pin)
        self.unlock.clicked.connect(self.unlock_selected)
        self.table.currentCellChanged.connect(lambda *_a: self._selected_changed())

    def can_change(self) -> bool:
        return self.state.role_allowed("manage_staff")

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: shop_admin.list_staff(ctx), self.show_staff)

    def me(self):
        """The logged-in owner's own row (None for anyone else, or the system)."""
        actor = self.state.actor
        if actor.role != "owner" or actor.id is None:
            return None
        return next((s for s in self.staff if s.id == actor.id), None)

    def _show_password_button(self) -> None:
        me = self.me()
        self.password_button.setVisible(me is not None)
        if me is not None:
            self.password_button.setText(self.tr("Change owner password…") if me.has_password
                                         else self.tr("Set owner password…"))

    def owner_password(self) -> None:
        me = self.me()
        if me is None:
            return
        self.password_dialog = SetOwnerPasswordDialog(self.state, me.has_password, self)
        self.password_dialog.saved.connect(lambda _v: (self.status.ok(self.tr("The owner's password is saved.")),
                                                       self.load()))
        self.password_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.password_dialog.open()

    def show_staff(self, staff) -> None:
        chosen = self.selected()
        self.staff = staff
        self._show_password_button()
        self.table.setRowCount(0)
        for s in staff:
            r = self.table.rowCount()
            self.table.insertRow(r)
            status = (self.tr("Inactive") if not s.active else self.tr("Locked out") if s.locked
                      else self.tr("Active"))
            if s.role == "owner" and s.active:
                status += " · " + (self.tr("owner's password set") if s.has_password
                                   else self.tr("no owner's password yet"))
            for c, text in enumerate((s.name, role_label(s.role), status)):
                item = row_item(text, editable=False, data=s.id)
                if not s.active:
                    item.setForeground(Qt.GlobalColor.gray)
                elif s.locked and c == 2:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(r, c, item)
        row = next((i for i, s in enumerate(staff) if chosen and s.id == chosen.id), 0 if staff else -1)
        if row >= 0:
            self.table.setCurrentCell(row, 0)
        self._selected_changed()

    def selected(self):
        r = self.table.currentRow()
        return self.staff[r] if 0 <= r < len(self.staff) else None

    def _selected_changed(self) -> None:
        s = self.selected()
        if s is not None:
            self.role.setCurrentIndex(max(0, self.role.findData(s.role)))
            self.toggle.setText(self.tr("Deactivate") if s.active else self.tr("Reactivate"))

    def _call(self, fn, message: str) -> None:
        ctx = self.state.ctx

        def work():
            fn(ctx)
            return shop_admin.list_staff(ctx)

        def done(staff) -> None:
            self.show_staff(staff)
            self.status.ok(message)

        self.run(work, done, busy=self.save_buttons)

    def _need(self):
        s = self.selected()
        if s is None:
            self.status.error(self.tr("Choose a staff member first."))
        return s

    @owner_gated("manage_staff")
    def add_staff(self) -> None:
        dialog = StaffDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, role, pin = dialog.name.text(), dialog.role.currentData(), dialog.pin.text()
        self._call(lambda ctx: shop_admin.add_staff(ctx, name, role, pin),
                   self.tr("{name} added.").format(name=name.strip()))

    @owner_gated("manage_staff")
    def change_role(self) -> None:
        s = self._need()
        if s is None:
            return
        role = self.role.currentData()
        self._call(lambda ctx: shop_admin.set_role(ctx, s.id, role),
                   self.tr("{name} is now: {role}").format(name=s.name, role=role_label(role)))

    @owner_gated("manage_staff")
    def toggle_active(self) -> None:
        s = self._need()
        if s is None:
            return
        active = not s.active
        message = (self.tr("{name} can log in again.") if active else self.tr("{name} can no longer log in."))
        self._call(lambda ctx: shop_admin.set_active(ctx, s.id, active), message.format(name=s.name))

    @owner_gated("manage_staff")
    def reset_pin(self) -> None:
        s = self._need()
        if s is None:
            return
        dialog = StaffDialog(self, name=s.name)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        pin = dialog.pin.text()
        self._call(lambda ctx: shop_admin.reset_pin(ctx, s.id, pin),
                   self.tr("New PIN set for {name}.").format(name=s.name))

    @owner_gated("manage_staff")
    def unlock_selected(self) -> None:
        s = self._need()
        if s is None:
            return
        self._call(lambda ctx: shop_admin.unlock(ctx, s.id), self.tr("{name} is unlocked.").format(name=s.name))
