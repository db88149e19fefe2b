"""The till screen, keyboard first: a barcode scanner types SKU + Enter into the entry line.

Every service call (product look-up, pricing, checkout, hold, recall, refund) runs in the db
worker; printing runs in the io worker after the sale has committed and never undoes it.

Keys: F1 help · F2 member · F3 open price · F4 price · F5 discount · F6 hold · F7 recall · F8 refund ·
F9 history / reprint · F10 favourites grid · F11 exchange for points · F12 pay (or Enter on an empty
entry line) · Del remove line · Esc clear · Ctrl+L lock / switch cashier (app/ui/till/lock.py; every
F-key has a till job). Letters in the entry line offer products by name or pinyin (sell_actions.py
and the modules it names).
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtWidgets import (QDialog, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget)

from app.errors import ValidationError
from app.services.reports import sales
from app.services.sales import checkout
from app.services.sales.checkout import Cart
from app.ui.till.cart_model import CartModel
from app.ui.till.sale_actions import SaleActions
from app.ui.till.sell_actions import SellActions
from app.ui.till.price_actions import PriceActions
from app.ui.till.member_bar import MemberBar
from app.ui.widgets import FlowLayout, run, row_table

log = logging.getLogger(__name__)

KEYS = [
    ("F1", QT_TRANSLATE_NOOP("TillScreen", "Help")),
    ("F2", QT_TRANSLATE_NOOP("TillScreen", "Member")),
    ("F3", QT_TRANSLATE_NOOP("TillScreen", "Open price")),
    ("F4", QT_TRANSLATE_NOOP("TillScreen", "Price")),
    ("F5", QT_TRANSLATE_NOOP("TillScreen", "Discount")),
    ("F6", QT_TRANSLATE_NOOP("TillScreen", "Hold")),
    ("F7", QT_TRANSLATE_NOOP("TillScreen", "Recall")),
    ("F8", QT_TRANSLATE_NOOP("TillScreen", "Refund")),
    ("F9", QT_TRANSLATE_NOOP("TillScreen", "History / reprint")),
    ("F10", QT_TRANSLATE_NOOP("TillScreen", "Grid")),
    ("F11", QT_TRANSLATE_NOOP("TillScreen", "Points")),
    ("F12", QT_TRANSLATE_NOOP("TillScreen", "Pay")),
    ("Del", QT_TRANSLATE_NOOP("TillScreen", "Remove line")),
    ("Esc", QT_TRANSLATE_NOOP("TillScreen", "Clear")),
    ("Ctrl+L", QT_TRANSLATE_NOOP("TillScreen", "Lock / switch")),
]
_QTY = re.compile(r"^\s*(\d{1,4})\s*[*xX×]\s*(.*)$")
REPRICE_MS = 60


class TillScreen(SaleActions, SellActions, PriceActions, QWidget):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = CartModel(state, self)
        self.last_receipt: str | None = None
        self._gen = 0
        self._pricing = False
        self._pay_when_priced = False
        self.dialog: QDialog | None = None   # the dialog open right now (tests and screenshots)
        self.preview_dialog = None

        root = QVBoxLayout(self)
        root.setContentsMargins(14, 12, 14, 8)
        root.setSpacing(8)
        self.member_bar = MemberBar(state, self)
        self.member_bar.attached.connect(self._member_attached)
        self.member_bar.detached.connect(self._member_detached)
        self.member_bar.failed.connect(self.show_error)
        self.member_bar.edit.installEventFilter(self)
        root.addWidget(self.member_bar)

        entry_row = QHBoxLayout()
        prompt = QLabel(self.tr("Scan or type SKU"), self)
        prompt.setStyleSheet("font-size: 16px; font-weight: 600;")
        entry_row.addWidget(prompt)
        self.entry = QLineEdit(self)
        self.entry.setPlaceholderText(self.tr("Barcode or SKU + Enter · 3*SKU for three · 5* + Enter sets the quantity"))
        self.entry.setStyleSheet("font-size: 20px; padding: 8px 10px;")
        self.entry.returnPressed.connect(self.enter)
        self.entry.installEventFilter(self)
        entry_row.addWidget(self.entry, 1)
        root.addLayout(entry_row)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setMinimumHeight(20)
        root.addWidget(self.error)

        middle = QHBoxLayout()
        middle.setSpacing(12)
        self.table = row_table(self, self.model, row_height=36)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the entry line keeps the scanner's keystrokes
        self.table.setStyleSheet("QTableView { font-size: 16px; }")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        middle.addWidget(self.table, 1)
        totals = self._totals_panel()
        middle.addWidget(self.build_sell_parts())
        middle.addWidget(totals)
        root.addLayout(middle, 1)

        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.hide()
        root.addWidget(self.banner)
        root.addWidget(self._key_strip())

        self._reprice_timer = QTimer(self)
        self._reprice_timer.setSingleShot(True)
        self._reprice_timer.setInterval(REPRICE_MS)
        self._reprice_timer.timeout.connect(self.reprice)
        state.settings_changed.connect(self.schedule_reprice)
        state.member_changed.connect(self._member_changed)
        self.update_totals()
        self.entry.setFocus()

    # --- layout -----------------------------------------------------------------------------
    def _totals_panel(self) -> QFrame:
        box = QFrame(self)
        box.setProperty("card", True)
        box.setMinimumWidth(300)
        grid = QGridLayout(box)
        grid.setContentsMargins(16, 14, 16, 14)
        grid.setVerticalSpacing(10)
        self.totals: dict[str, QLabel] = {}
        rows = [("items", self.tr("Items")), ("subtotal", self.tr("Subtotal")),
                ("tier", self.tr("Member discount")), ("manual", self.tr("Manual discount"))]
        for r, (key, text) in enumerate(rows):
            label = QLabel(text, box)
            label.setProperty("role", "muted")
            value = QLabel(box)
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            value.setStyleSheet("font-size: 16px;")
            grid.addWidget(label, r, 0)
            grid.addWidget(value, r, 1)
            self.totals[key] = value
        line = QFrame(box)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #d8dce3;")
        grid.addWidget(line, len(rows), 0, 1, 2)
        total_caption = QLabel(self.tr("TOTAL"), box)
        total_caption.setStyleSheet("font-size: 18px; font-weight: 700;")
        grid.addWidget(total_caption, len(rows) + 1, 0, 1, 2)
        self.total_label = QLabel(box)
        self.total_label.setProperty("role", "big")
        self.total_label.setStyleSheet("font-size: 40px; font-weight: 800; color: #1f2937;")
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.total_label, len(rows) + 2, 0, 1, 2)
        grid.setRowStretch(len(rows) + 3, 1)
        self.discount_hint = QLabel(box)
        self.discount_hint.setProperty("role", "muted")
        self.discount_hint.setWordWrap(True)
        grid.addWidget(self.discount_hint, len(rows) + 4, 0, 1, 2)
        self.pay_button = QPushButton(self.tr("Pay (F12)"), box)
        self.pay_button.setProperty("primary", True)
        self.pay_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pay_button.setMinimumHeight(48)
        self.pay_button.setStyleSheet("font-size: 18px; font-weight: 700;")
        self.pay_button.clicked.connect(self.pay)
        grid.addWidget(self.pay_button, len(rows) + 5, 0, 1, 2)
        return box

    def _key_strip(self) -> QFrame:
        strip = QFrame(self)
        strip.setStyleSheet("QFrame#keys { background: #1e2a3a; border-radius: 6px; }"
                            " QLabel#cap { background: #f6f7f9; color: #1e2a3a; border-radius: 4px; padding: 1px 6px;"
                            " font-weight: 700; font-size: 12px; }"
                            " QLabel#what { color: #dfe6ef; font-size: 13px; }")
        strip.setObjectName("keys")
        # wraps onto a second line rather than widening the till past a 1366-pixel screen
        flow = FlowLayout(strip, spacing=4)
        flow.setContentsMargins(10, 6, 10, 6)
        for key, text in KEYS:
            pair = QWidget(strip)
            row = QHBoxLayout(pair)
            row.setContentsMargins(0, 0, 10, 0)
            row.setSpacing(4)
            cap = QLabel(key, pair)
            cap.setObjectName("cap")
            what = QLabel(QCoreApplication.translate("TillScreen", text), pair)
            what.setObjectName("what")
            row.addWidget(cap)
            row.addWidget(what)
            flow.addWidget(pair)
        return strip

    def activated(self) -> None:
        self.entry.setFocus()
        self.grid.load()  # favourites ticked on Products since

    # --- messages ---------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.error.setText(text)

    def show_banner(self, text: str, kind: str = "ok") -> None:
        colours = {"ok": ("#e8f5e9", "#1b5e20", "#a5d6a7"), "warn": ("#fff4e5", "#8a4b00", "#ffcc80"),
                   "info": ("#e8f0fe", "#174ea6", "#aecbfa")}[kind]
        self.banner.setStyleSheet("QLabel { background: %s; color: %s; border: 1px solid %s; border-radius: 6px;"
                                  " padding: 10px 14px; font-size: 17px; font-weight: 600; }" % colours)
        self.banner.setText(text)
        self.banner.setProperty("kind", kind)
        self.banner.show()

    # --- keys -------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.entry:
                if key == Qt.Key.Key_Delete and not self.entry.text():
                    self.remove_line()
                    return True
                if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                    self.move_selection(-1 if key == Qt.Key.Key_Up else 1)
                    return True
                if key == Qt.Key.Key_Escape:
                    self.escape()
                    return True
            if obj is self.member_bar.edit and key == Qt.Key.Key_Escape:
                self.member_bar.edit.clear()
                self.entry.setFocus()
                return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        actions = {Qt.Key.Key_F1: self.help, Qt.Key.Key_F2: self.member_key, Qt.Key.Key_F3: self.open_price,
                   Qt.Key.Key_F10: self.focus_grid, Qt.Key.Key_F11: self.exchange_points,
                   Qt.Key.Key_F4: self.change_price,
                   Qt.Key.Key_F5: self.discount, Qt.Key.Key_F6: self.hold, Qt.Key.Key_F7: self.recall,
                   Qt.Key.Key_F8: self.refund, Qt.Key.Key_F9: self.history, Qt.Key.Key_F12: self.pay,
                   Qt.Key.Key_Delete: self.remove_line, Qt.Key.Key_Escape: self.escape}
        action = actions.get(event.key())
        if action is None:
            super().keyPressEvent(event)
            return
        event.accept()
        action()

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog
        dialog.finished.connect(lambda _r: self._closed(dialog))
        dialog.open()
        return dialog

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        self.entry.setFocus()

    # --- item entry -------------------------------------------------------------------------
    def enter(self) -> None:
        text = self.entry.text().strip()
        self.entry.clear()
        if not text:
            if self.model.cart.lines:
                self.pay()
            return
        qty = 1
        m = _QTY.match(text)
        if m:
            qty, text = int(m.group(1)), m.group(2).strip()
            if not text:
                self.set_quantity(qty)
                return
        self.scan(text, qty)

    def scan(self, code: str, qty: int = 1) -> None:
        self.show_error("")
        ctx = self.state.ctx
        run(self, lambda: sales.find_product(ctx, code), lambda p: self._add(p, qty),
            lambda exc: self.scan_failed(code, qty, exc))

    def _add(self, product, qty: int) -> None:
        if qty < 1 or qty > checkout.MAX_QTY:
            self.show_error(self.state.error_text(ValidationError("quantity_invalid", max=checkout.MAX_QTY,
                                                                  value=qty)))
            return
        self.model.remember(product.sku, product.name, product.price)
        cart, row = CartModel.with_added(self.model.cart, product.sku, qty)
        self.model.set_cart(cart)
        self.select_row(row)
        self.banner.hide()
        self.schedule_reprice()

    def _entry_error(self, exc: BaseException) -> None:
        self.show_error(self.state.error_text(exc))

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        n = len(self.model.cart.lines)
        return n - 1 if n else None

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def move_selection(self, step: int) -> None:
        row = self.selected_row()
        if row is not None:
            self.select_row(max(0, min(self.model.rowCount() - 1, row + step)))

    def set_quantity(self, qty: int) -> None:
        row = self.selected_row()
        if row is None:
            return
        self.try_change(lambda c: CartModel.with_line(c, row, qty=qty) if row < len(c.lines) else c)

    def remove_line(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        self.model.set_cart(CartModel.without(self.model.cart, row))
        self.select_row(min(row, self.model.rowCount() - 1))
        self.show_error("")
        self.schedule_reprice()

    def escape(self) -> None:
        if self.entry.text():
            self.entry.clear()
            return
        if not self.model.cart.lines:
            self.banner.hide()
            self.show_error("")
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Clear the cart"),
                          self.tr("Remove every line and the member from this cart?"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Clear (Enter)"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr("Keep (Esc)"))
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.accepted.connect(self.clear_cart)
        self._open(box)

    def clear_cart(self) -> None:
        self._gen += 1  # a pricing still on its way is for a cart that no longer exists
        self.model.set_priced(None)
        self.model.set_cart(Cart(lines=()))
        self.member_bar.detach()
        self.show_error("")
        self.update_totals()
        self.entry.setFocus()

    # --- pricing (db worker, debounced) -----------------------------------------------------
    def schedule_reprice(self) -> None:
        self._pricing = True
        self.update_totals()
        self._reprice_timer.start()

    def reprice(self) -> None:
        self._gen += 1
        cart = self.model.cart
        if not cart.lines:
            self._pricing = False
            self.model.set_priced(None)
            self.update_totals()
            return
        gen, ctx = self._gen, self.state.ctx
        run(self, lambda: checkout.price_cart(ctx, cart), lambda p: self._priced(gen, p),
                             lambda exc: self._price_failed(gen, exc))

    def _priced(self, gen: int, priced) -> None:
        if gen != self._gen:
            return
        self._pricing = False
        self.model.set_priced(priced)
        self.update_totals()
        if self._pay_when_priced:
            self._pay_when_priced = False
            self.pay()

    def _price_failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._gen:
            return
        self._pricing = False
        self._pay_when_priced = False
        self.show_error(self.state.error_text(exc))
        self.update_totals()

    def try_change(self, change) -> None:
        """A change the services may refuse (price override, discount, quantity): priced first in the
        db worker; applied only when accepted, else the service's message is shown."""
        candidate = change(self.model.cart)
        ctx = self.state.ctx
        self.show_error("")

        def accepted(_priced) -> None:
            self.model.set_cart(change(self.model.cart))
            self.schedule_reprice()

        run(self, lambda: checkout.price_cart(ctx, candidate), accepted, self._entry_error)

    def update_totals(self) -> None:
        s, m = self.state, self.model
        p = m.priced if m.fresh() else None
        n = sum(line.qty for line in m.cart.lines)
        self.totals["items"].setText(s.number(n))
        if not m.cart.lines:
            for key in ("subtotal", "tier", "manual"):
                self.totals[key].setText(s.money(0))
            self.total_label.setText(s.money(0))
        elif p is None:
            for key in ("subtotal", "tier", "manual"):
                self.totals[key].setText("…")
            self.total_label.setText("…")
        else:
            # member prices count as the member's discount, off the list prices the shelf shows
            member_off = p.tier_discount + p.member_savings
            self.totals["subtotal"].setText(s.money(p.subtotal + p.member_savings))
            self.totals["tier"].setText(s.money(-member_off) if member_off else s.money(0))
            self.totals["manual"].setText(s.money(-p.manual_discount) if p.manual_discount else s.money(0))
            self.total_label.setText(s.money(p.total))
        cart = m.cart
        if cart.discount_bp:
            self.discount_hint.setText(self.tr("Manual discount: {percent}% off").format(
                percent=f"{cart.discount_bp / 100:g}"))
        elif cart.discount_amount:
            self.discount_hint.setText(self.tr("Manual discount: {amount} off").format(
                amount=s.money(cart.discount_amount)))
        else:
            self.discount_hint.setText("")
        self.pay_button.setEnabled(bool(cart.lines))

    # --- member -----------------------------------------------------------------------------
    def member_key(self) -> None:
        if self.member_bar.card is not None:
            self.member_bar.detach()
            self.member_bar.edit.setFocus()
        elif self.member_bar.edit.hasFocus():
            self.entry.setFocus()
        else:
            self.member_bar.edit.setFocus()
            self.member_bar.edit.selectAll()

    def _member_attached(self, card) -> None:
        self.show_error("")
        self.model.set_cart(replace(self.model.cart, member_id=card.member.id))
        self.schedule_reprice()
        self.entry.setFocus()

    def _member_detached(self) -> None:
        self.model.set_cart(replace(self.model.cart, member_id=None))
        self.schedule_reprice()

    def _member_changed(self, member_id: int) -> None:
        if self.member_bar.member_id == member_id:
            self.member_bar.refresh()

    def help(self) -> None:
        lines = [self.tr("Scan a barcode or type a SKU, then Enter. 3*SKU adds three; 5* then Enter sets the"
                         " selected line's quantity; ↑ ↓ choose a line."),
                 self.tr("Enter on an empty line, or F12, takes payment.")]
        lines += [f"{key}: {QCoreApplication.translate('TillScreen', text)}" for key, text in KEYS]
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Till keys"), "\n".join(lines),
                          QMessageBox.StandardButton.Ok, self)
        self._open(box)
