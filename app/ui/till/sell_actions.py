"""What lets the till sell anything: the favourites grid (F10), the open-price key (F3), a product
found by name or pinyin, an unknown code turned into a product on the spot (manager or owner), and a
line exchanged for points (F11). A mixin of TillScreen: its texts are in the TillScreen context."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.errors import NotFound
from app.services.sales.cart import OPEN_SKU
from app.services.sales.checkout import CartLine
from app.ui.till.cart_model import CartModel
from app.ui.till.new_product_dialog import NewProductDialog, can_create
from app.ui.till.open_price_dialog import OpenPriceDialog
from app.ui.widgets import run
from app.ui.till.product_grid import ProductGrid
from app.ui.till.product_search import ProductSearch


class SellActions:
    def build_sell_parts(self) -> QWidget:
        """The grid with its two keys (open price, exchange); and the search list under the scan line."""
        panel = QWidget(self)
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        self.grid = ProductGrid(self.state, panel)
        self.grid.chosen.connect(lambda p: self._add(p, 1))
        self.grid.left.connect(self.entry.setFocus)
        box.addWidget(self.grid, 1)
        keys = QHBoxLayout()
        self.open_button = QPushButton(QCoreApplication.translate("TillScreen", "Open price (F3)"), panel)
        self.exchange_button = QPushButton(QCoreApplication.translate("TillScreen", "Exchange for points (F11)"),
                                           panel)
        for b, action in ((self.open_button, self.open_price), (self.exchange_button, self.exchange_points)):
            b.setMinimumHeight(44)
            b.setFocusPolicy(self.pay_button.focusPolicy())  # a tap leaves the focus on the scan line
            b.clicked.connect(action)
            keys.addWidget(b)
        box.addLayout(keys)
        panel.setMinimumWidth(320)
        panel.setMaximumWidth(400)
        self.search_list = ProductSearch(self.state, self.entry, self)
        self.search_list.chosen.connect(self._add)
        self.grid.load()
        return panel

    # --- F10: the grid ------------------------------------------------------------------------
    def focus_grid(self) -> None:
        if not self.grid.focus_grid():
            self.show_error(QCoreApplication.translate(
                "TillScreen", "No favourite products on the till yet: tick “Favourite on the till” in a"
                " product's editor on Products."))

    # --- F3: open price -----------------------------------------------------------------------
    def open_price(self) -> None:
        if self.dialog is not None:
            return
        dialog = OpenPriceDialog(self.state, self)
        dialog.added.connect(self.add_open_line)
        self._open(dialog)

    def add_open_line(self, amount: int, category: str) -> None:
        lines = (*self.model.cart.lines, CartLine(OPEN_SKU, 1, open_price=amount, category=category))
        self.model.set_cart(replace(self.model.cart, lines=lines))  # never merged: each is its own line
        self.select_row(len(lines) - 1)
        self.banner.hide()
        self.schedule_reprice()

    # --- F11: exchange for points -------------------------------------------------------------
    def exchange_points(self) -> None:
        row = self.selected_row()
        if row is None:
            self.show_error(QCoreApplication.translate("TillScreen", "Scan an item first, then F11 exchanges it for points."))
            return
        if self.member_bar.card is None:
            self.show_error(QCoreApplication.translate("TillScreen", "Attach the member (F2) whose points pay for it first."))
            return
        line = self.model.cart.lines[row]
        self.try_change(lambda c: CartModel.with_line(c, row, exchange=not line.exchange)
                        if row < len(c.lines) and c.lines[row].sku == line.sku else c)

    # --- a code nobody knows ------------------------------------------------------------------
    def scan_failed(self, code: str, qty: int, exc: BaseException) -> None:
        """No product has this code: a member's card number (the member QR code on a receipt) attaches
        the member; else a new product (for whoever may add one) or the error."""
        if isinstance(exc, NotFound) and exc.code == "sku_unknown":
            from app.services.reports import sales

            ctx = self.state.ctx
            run(self, lambda: sales.member_by_card(ctx, code),
                lambda member_id: self._card_scanned(member_id, code, qty, exc), self._entry_error)
            return
        self._entry_error(exc)

    def _card_scanned(self, member_id: int | None, code: str, qty: int, exc: BaseException) -> None:
        if member_id is not None:
            self.member_bar.attach(member_id)
            return
        if can_create(self.state, code):
            dialog = NewProductDialog(self.state, code, self)
            dialog.created.connect(lambda p: self._add(p, qty))
            self._open(dialog)
            return
        self._entry_error(exc)
