"""A manager's approval at a cashier's till: the approver CHOSEN from the managers and owners (no
name to type or misspell) and proven by their PIN, checked with argon2 by auth.approve when the
action is confirmed. A wrong PIN is refused, counted toward that person's lockout, and nothing is
done."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from app.services.base import auth
from app.ui.startup import pin_edit


class ApproverPicker:
    """The two fields a form shows for an approval: ``combo`` (who) and ``pin``."""

    def __init__(self, state, parent: QWidget, action: str) -> None:
        self.state = state
        self.action = action
        self.combo = QComboBox(parent)
        self.combo.setMinimumWidth(200)
        self.pin: QLineEdit = pin_edit(parent)
        self.pin.setPlaceholderText(QCoreApplication.translate("ApproverPicker", "PIN"))
        self.combo.currentIndexChanged.connect(lambda _i: self.pin.clear())
        self.loaded = False

    def load(self, owner) -> None:
        ctx, action = self.state.ctx, self.action
        self.state.tasks.query(lambda: auth.approvers(ctx, action), self._loaded, owner=owner)

    def _loaded(self, people) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for p in people:
            self.combo.addItem(p.name, p.name)
        self.combo.setCurrentIndex(0 if people else -1)
        self.combo.blockSignals(False)
        self.loaded = True

    def name(self) -> str:
        return self.combo.currentData() or ""

    def choose(self, name: str) -> None:
        self.combo.setCurrentIndex(max(0, self.combo.findData(name)))

    def approve(self, ctx, name: str, pin: str):
        """On the worker: ``ctx`` carrying the approval, or the refusal (wrong PIN, not allowed)."""
        return auth.approve(ctx, name, pin, self.action)
