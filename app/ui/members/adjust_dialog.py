"""A correction by hand: stored value (paid principal or bonus) or points, with a required reason.

Manager or owner only: the member page hides the button for a cashier, and the services refuse a
cashier anyway (``permissions.require(ctx, "adjust_balance")``); a refusal is shown here. The
owner's password is asked before the adjustment (a manager's adjustment is the owner's approval)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from app import money
from app.errors import ShopError, ValidationError
from app.services.ledger import points, wallet
from app.ui.settings.owner_password import ask_owner
from app.ui.widgets import error_label


class AdjustDialog(QDialog):
    adjusted = Signal(object)   # wallet.AdjustResult or points.PointsAdjustResult

    KINDS = ("principal", "bonus", "points")

    def __init__(self, state, member_id: int, member_name: str, balances: tuple[int, int, int] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.member_id = member_id
        self.result_value = None
        self._busy = False
        self.setWindowTitle(self.tr("Adjust balance"))
        self.setMinimumWidth(480)
        outer = QVBoxLayout(self)
        title = QLabel(self.tr("Adjust balance"), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        note = QLabel(self.tr("Corrections by hand are recorded in the audit log with your name and the reason."),
                      self)
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        outer.addWidget(note)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        outer.addLayout(form)
        form.addRow(self.tr("Member"), QLabel(member_name, self))
        if balances is not None:
            p, b, pts = balances
            form.addRow(self.tr("Now"), QLabel(self.tr("paid {principal} · bonus {bonus} · {points} points").format(
                principal=state.money(p), bonus=state.money(b), points=state.number(pts)), self))
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("Stored value: paid principal"), "principal")
        self.kind.addItem(self.tr("Stored value: bonus"), "bonus")
        self.kind.addItem(self.tr("Points"), "points")
        form.addRow(self.tr("What"), self.kind)
        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText(self.tr("+ to add, - to take off, e.g. -20"))
        form.addRow(self.tr("Change"), self.amount)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("Required, e.g. counted twice at the till"))
        form.addRow(self.tr("Reason"), self.reason)
        self.error = error_label(self)
        outer.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QPushButton(self.tr("Cancel (Esc)"), self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton(self.tr("Adjust (Enter)"), self)
        self.confirm_button.setProperty("primary", True)
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(self.confirm)
        row.addWidget(self.cancel_button)
        row.addWidget(self.confirm_button)
        outer.addLayout(row)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.confirm)
        for w in (self.amount, self.reason):
            w.textChanged.connect(self.validate)
        self.kind.currentIndexChanged.connect(self.validate)
        if not state.role_allowed("adjust_balance"):
            # Not for this role: say so (the service would refuse too).
            self.show_error(state.error_text(_denied(state)))
        self.validate()
        self.amount.setFocus()

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def delta(self) -> int:
        """The signed change in minor units (stored value) or points; ValidationError when not a number."""
        text = self.amount.text().strip().replace(" ", "")
        if self.kind.currentData() == "points":
            try:
                value = int(text)
            except ValueError:
                raise ValidationError("points_adjust_invalid", value=text) from None
            if value == 0:
                raise ValidationError("points_adjust_invalid", value=text)
            return value
        value = money.parse_amount(text, self.state.settings.currency, field=self.tr("Change"),
                                   allow_negative=True)
        return value

    def validate(self) -> bool:
        ok = bool(self.amount.text().strip()) and bool(self.reason.text().strip())
        invalid = False
        if self.amount.text().strip():
            try:
                self.delta()
                if self.state.role_allowed("adjust_balance"):
                    self.show_error(None)
            except ShopError as exc:
                ok, invalid = False, True
                self.show_error(self.state.error_text(exc))
        self.amount.setProperty("invalid", invalid)
        self.amount.style().polish(self.amount)
        self.confirm_button.setEnabled(ok and not self._busy)
        return ok

    def confirm(self) -> None:
        """The owner's password first (the services want it for an adjustment), then the adjustment."""
        if self._busy or not self.validate():
            return
        self.password_dialog = ask_owner(self.state, self, "adjust_balance", self._adjust)

    def _adjust(self, ctx) -> None:
        if self._busy or not self.validate():
            return
        member_id, kind, why, delta = self.member_id, self.kind.currentData(), self.reason.text(), self.delta()

        def work():
            if kind == "points":
                return points.adjust(ctx, member_id, delta, why)
            return wallet.adjust(ctx, member_id, delta if kind == "principal" else 0,
                                 delta if kind == "bonus" else 0, why)

        self._busy = True
        self.confirm_button.setEnabled(False)
        self.state.tasks.run(work, self._done, self._failed)

    def _done(self, result) -> None:
        self._busy = False
        self.result_value = result
        self.state.member_changed.emit(self.member_id)
        self.adjusted.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.show_error(self.state.error_text(exc))
        self.confirm_button.setEnabled(True)


def _denied(state) -> ShopError:
    from app.errors import PermissionDenied
    from app.services.base.permissions import action_name

    return PermissionDenied("permission_denied", role=state.actor.role, action=action_name("adjust_balance"))
