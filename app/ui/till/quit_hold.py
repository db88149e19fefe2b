"""A cart is never lost by closing the app: closing with items on the till holds the cart
(app/services/sales/held.py) first, and the next start says so, with F7 to recall it.

If holding fails (the database is gone), the cashier is asked before anything is thrown away.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QMessageBox

from app.services.sales import held
from app.ui import window_state


def cart_label(till) -> str:
    """The name a held cart is listed under: the member's, else its first item's."""
    cart = till.model.cart
    card = till.member_bar.card
    if card is not None:
        return card.member.name
    first = cart.lines[0].sku if cart.lines else ""
    return till.model.info.get(first, (first, 0))[0]


class CartKeeper(QObject):
    """Asked by the main window before it closes; holds the till's cart, then lets it close."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.state = window.state
        self.busy = False
        self.done = False      # the cart is held (or the cashier chose to drop it): close may go on
        self.box: QMessageBox | None = None

    def _till(self):
        return self.window.screens.get("till")

    def may_close(self) -> bool:
        """True when nothing on the till needs keeping; otherwise starts holding it and closes the
        window again once it is held."""
        till = self._till()
        lock = getattr(self.window, "till_lock", None)
        if lock is not None and lock.held_id is not None:
            # quitting from the lock screen: the cart it held is announced at the next start too
            window_state.save(held_on_quit={"id": lock.held_id, "label": lock.held_label,
                                            "till": self.state.ctx.till})
        if self.done or till is None or not till.model.cart.lines:
            return True
        if self.busy:
            return False
        self.busy = True
        ctx, cart, label = self.state.ctx, till.model.cart, cart_label(till)

        def kept(view) -> None:
            self.busy = False
            self.done = True
            window_state.save(held_on_quit={"id": view.id, "label": view.label, "till": ctx.till,
                                            "lines": view.lines})
            till.clear_cart()
            self.window.close()

        def failed(exc: BaseException) -> None:
            self.busy = False
            self.box = QMessageBox(QMessageBox.Icon.Warning, QCoreApplication.translate("CartKeeper", "The cart could not be held"),
                                   QCoreApplication.translate("CartKeeper", "The cart on the till could not be held: {why}\n\nQuit anyway and lose "
                                       "the cart?").format(why=self.state.error_text(exc)),
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)
            self.box.button(QMessageBox.StandardButton.Yes).setText(QCoreApplication.translate("CartKeeper", "Quit and lose it"))
            self.box.button(QMessageBox.StandardButton.No).setText(QCoreApplication.translate("CartKeeper", "Stay"))
            self.box.setDefaultButton(QMessageBox.StandardButton.No)
            self.box.accepted.connect(self._drop)
            self.box.open()

        self.state.tasks.write(lambda: held.hold(ctx, cart, label), kept, failed, owner=self)
        return False

    def _drop(self) -> None:
        self.done = True
        self.window.close()

    def announce(self, till) -> None:
        """At start: the cart held when the app last closed, named on the till's banner (once)."""
        note = window_state.load().get("held_on_quit")
        if not isinstance(note, dict) or note.get("till") != self.state.ctx.till:
            return
        window_state.save(held_on_quit=None)
        ctx, held_id = self.state.ctx, note.get("id")

        def listed(views) -> None:
            view = next((v for v in views if v.id == held_id), None)
            if view is not None:
                till.show_banner(QCoreApplication.translate("CartKeeper", "The cart left on the till when ShopCare closed is held ({label}, {n} lines)"
                                     " — F7 recalls it").format(label=view.label, n=view.lines), "info")

        self.state.tasks.query(lambda: held.list_held(ctx), listed, owner=self)
