"""Lock the till or switch cashier (Ctrl+L, or the status bar's button) without quitting.

The lock screen covers the whole window (nothing of the last customer stays on view) and asks for
a name and PIN, as at start-up. What happens to a cart on the till: it is HELD at once, under the
cashier who rang it up, so it survives anything (a crash, a closed app) while the till is locked.
When that same cashier unlocks, it comes straight back; when someone else does, it stays held and
the banner says so (F7 recalls it). A shop expects a cashier going on a break to find their
customer's cart as they left it, and a colleague taking over not to ring up a sale, under their
own name, that someone else started; the held list keeps it one key away for either.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.services.base import auth
from app.services.base.context import SYSTEM
from app.services.sales import held
from app.ui.startup import pin_edit
from app.ui.till.quit_hold import cart_label
from app.ui.widgets import error_label


class LockScreen(QWidget):
    """Covers its parent window while the till is locked; ``unlocked(actor)`` after a right PIN."""

    unlocked = Signal(object)   # the Actor who unlocked
    quit_requested = Signal()

    def __init__(self, state, parent: QWidget) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("lock")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#lock { background: #1e2a3a; }")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card = QFrame(self)
        self.card.setProperty("card", True)
        self.card.setMinimumWidth(440)
        box = QVBoxLayout(self.card)
        box.setContentsMargins(28, 24, 28, 20)
        self.title = QLabel(self.tr("Till locked"), self.card)
        self.title.setProperty("role", "title")
        self.who = QLabel(self.card)
        self.who.setProperty("role", "muted")
        self.who.setWordWrap(True)
        self.staff = QComboBox(self.card)
        self.staff.setMinimumWidth(220)
        self.pin = pin_edit(self.card)
        self.pin.setPlaceholderText(self.tr("PIN"))
        self.error = error_label(self.card)
        form = QFormLayout()
        form.addRow(self.tr("Staff"), self.staff)
        form.addRow(self.tr("PIN"), self.pin)
        self.unlock_button = QPushButton(self.tr("Unlock (Enter)"), self.card)
        self.unlock_button.setProperty("primary", True)
        self.quit_button = QPushButton(self.tr("Quit ShopCare"), self.card)
        self.quit_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.unlock_button)
        box.addWidget(self.title)
        box.addWidget(self.who)
        box.addSpacing(8)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addLayout(buttons)
        row.addWidget(self.card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.unlock_button.clicked.connect(self.submit)
        self.quit_button.clicked.connect(self.quit_requested)
        self.pin.returnPressed.connect(self.submit)
        self.pin.textChanged.connect(lambda _t: self.error.hide())
        self.staff.currentIndexChanged.connect(lambda _i: (self.error.hide(), self.pin.clear(), self.pin.setFocus()))
        parent.installEventFilter(self)
        self.hide()

    def _system(self):
        """The ctx the lock screen asks with: nobody is signed in while it shows (as at start-up)."""
        return replace(self.state.ctx, actor=SYSTEM, owner_ok=None, approver=None)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parent().rect())
        return False

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Esc and the till's keys do nothing while locked; only a PIN opens the till again
        event.accept()

    def open(self, by_name: str, when: str) -> None:
        self.who.setText(self.tr("Locked by {name} at {time}. Choose your name and type your PIN.").format(
            name=by_name, time=when))
        self.pin.clear()
        self.error.hide()
        self.unlock_button.setEnabled(False)
        self.setGeometry(self.parent().rect())
        self.show()
        self.raise_()
        self.pin.setFocus()
        ctx = self._system()
        self.state.tasks.query(lambda: [s for s in auth.list_staff(ctx) if s.active],
                               lambda staff: self._loaded(staff, by_name), self._failed, owner=self)

    def _loaded(self, staff, by_name: str) -> None:
        self.staff.blockSignals(True)
        self.staff.clear()
        for s in staff:
            self.staff.addItem(s.name, s.name)
        self.staff.setCurrentIndex(max(0, self.staff.findData(by_name)))
        self.staff.blockSignals(False)
        self.unlock_button.setEnabled(bool(staff))
        self.pin.setFocus()

    def submit(self) -> None:
        name, pin = self.staff.currentData(), self.pin.text()
        if not name or not self.unlock_button.isEnabled():
            return
        self.unlock_button.setEnabled(False)
        ctx = self._system()
        self.state.tasks.run(lambda: auth.login(ctx, name, pin), self._done, self._failed)

    def _done(self, actor) -> None:
        self.hide()
        self.unlocked.emit(actor)

    def _failed(self, exc: BaseException) -> None:
        self.unlock_button.setEnabled(self.staff.count() > 0)
        self.pin.clear()
        self.error.setText(self.state.error_text(exc))
        self.error.show()
        self.pin.setFocus()


class TillLock:
    """Locks the window's till: holds its cart for its cashier, shows the lock screen, and on unlock
    puts the new cashier on the till (and the cart back when it is theirs)."""

    def __init__(self, window) -> None:
        self.window = window
        self.state = window.state
        self.screen = LockScreen(window.state, window)
        self.screen.unlocked.connect(self._unlocked)
        self.screen.quit_requested.connect(window.close)
        self.locked_by = None
        self.held_id: int | None = None
        self.held_label = ""

    @property
    def locked(self) -> bool:
        return self.screen.isVisible()

    def lock(self) -> None:
        if self.locked:
            return
        till = self.window.screens.get("till")
        self.locked_by = self.state.actor
        self.held_id = None
        if till is not None and till.dialog is not None:
            till.dialog.reject()   # a payment not yet taken, a price being typed: nothing recorded
        self.state.forget_owner()
        when = self.state.time(self.state.ctx.clock.now())
        self.screen.open(self.locked_by.name, when)
        if till is not None and till.model.cart.lines:
            ctx, cart, label = self.state.ctx, till.model.cart, cart_label(till)

            def kept(view) -> None:
                self.held_id, self.held_label = view.id, view.label
                till.clear_cart()
                if not self.locked:   # unlocked before the hold was written: settle it now
                    self._give_back(self.state.actor)

            def failed(exc: BaseException) -> None:
                # the cart stays on the till, under the lock screen, for whoever unlocks
                till.show_error(self.state.error_text(exc))

            self.state.tasks.write(lambda: held.hold(ctx, cart, label), kept, failed, owner=till)

    def _unlocked(self, actor) -> None:
        self.state.set_actor(actor)
        self.window.show_screen("till")
        self._give_back(actor)

    def _give_back(self, actor) -> None:
        """The held cart back on the till for its own cashier; for another, a word on the banner."""
        before = self.locked_by
        till = self.window.screens.get("till")
        if till is None:
            return
        held_id, self.held_id = self.held_id, None
        if held_id is None:
            return
        if before is not None and actor.id == before.id and not till.model.cart.lines:
            till._recall(held_id)
        else:
            till.show_banner(QCoreApplication.translate(
                "LockScreen", "{name}'s cart is held ({label}) — F7 recalls it").format(
                    name=before.name if before else "?", label=self.held_label), "info")
