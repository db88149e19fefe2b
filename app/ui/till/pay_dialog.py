"""The pay dialog: split payments (cash with change, card, stored value, points, voucher code),
remaining due and change shown live; Enter confirms through checkout.checkout in the db worker."""
from __future__ import annotations

import uuid

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout)

from app.errors import Busy, ShopError
from app.money import parse_amount
from app.services.ledger import vouchers
from app.services.sales import checkout, inventory
from app.services.sales.checkout import Cart, PricedCart, Tender
from app.ui.widgets import error_label, run


class PayDialog(QDialog):
    """Opened with the priced cart; emits ``paid(SaleResult)`` once the sale is recorded."""

    paid = Signal(object)

    def __init__(self, state, cart: Cart, priced: PricedCart, member=None, parent=None) -> None:
        super().__init__(parent)
        self.state, self.cart, self.priced, self.member = state, cart, priced, member  # member: MemberView
        self.client_ref = uuid.uuid4().hex  # one per attempt: a retry returns the sale already recorded
        self.voucher = None
        self._busy = False
        self.setWindowTitle(self.tr("Payment"))
        self.setMinimumWidth(620)
        cfg = state.settings
        layout = QVBoxLayout(self)

        top = QFrame(self)
        top.setProperty("card", True)
        tl = QHBoxLayout(top)
        due_box = QVBoxLayout()
        due_box.addWidget(self._muted(self.tr("Total due")))
        self.total_label = QLabel(state.money(priced.total), self)
        self.total_label.setProperty("role", "big")
        due_box.addWidget(self.total_label)
        tl.addLayout(due_box)
        tl.addStretch(1)
        rem_box = QVBoxLayout()
        self.remaining_caption = self._muted(self.tr("Remaining"))
        rem_box.addWidget(self.remaining_caption)
        self.remaining_label = QLabel(self)
        self.remaining_label.setStyleSheet("font-size: 26px; font-weight: 700;")
        rem_box.addWidget(self.remaining_label)
        tl.addLayout(rem_box)
        tl.addSpacing(24)
        change_box = QVBoxLayout()
        change_box.addWidget(self._muted(self.tr("Change")))
        self.change_label = QLabel(self)
        self.change_label.setStyleSheet("font-size: 26px; font-weight: 700; color: #2e7d32;")
        change_box.addWidget(self.change_label)
        tl.addLayout(change_box)
        layout.addWidget(top)
        # One line under the total when the sale would take a tracked product below zero (filled by _stock).
        self.stock_line = QLabel(self)
        self.stock_line.setWordWrap(True)
        self.stock_line.setProperty("role", "error")
        self.stock_line.hide()
        layout.addWidget(self.stock_line)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        self.cash = self._edit(self.tr("0.00"))
        self.card = self._edit(self.tr("0.00"))
        self.wallet = self._edit(self.tr("0.00"))
        self.points = self._edit(self.tr("0"))
        self.voucher_code = self._edit(self.tr("code"))
        self.voucher_code.setAlignment(Qt.AlignmentFlag.AlignLeft)
        balance = member.balance if member else 0
        pts = member.points if member else 0
        self.fields = [self.cash, self.card, self.wallet, self.points, self.voucher_code]
        rows = [
            (self.tr("&Cash"), self.cash, self.tr("Amount handed over; change is worked out")),
            (self.tr("C&ard"), self.card, ""),
            (self.tr("&Stored value"), self.wallet,
             self.tr("Balance {amount}").format(amount=state.money(balance)) if member else self.tr("No member")),
            (self.tr("&Points"), self.points,
             self.tr("{points} points, worth {amount}").format(points=state.number(pts),
                                                               amount=state.money(cfg.point_value(pts)))
             if member else self.tr("No member")),
            (self.tr("&Voucher"), self.voucher_code, ""),
        ]
        self.hints: list[QLabel] = []
        for i, (text, edit, hint) in enumerate(rows):
            label = QLabel(text, self)
            label.setBuddy(edit)
            grid.addWidget(label, i, 0)
            grid.addWidget(edit, i, 1)
            h = self._muted(hint)
            self.hints.append(h)
            grid.addWidget(h, i, 2)
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)
        if member is None:
            self.wallet.setEnabled(False)
            self.points.setEnabled(False)

        self.error = error_label(self)
        self.error.show()   # always there, empty until something is wrong: nothing below it moves
        layout.addWidget(self.error)
        keys = self._muted(self.tr("↑ ↓ move between methods · Enter confirms · Esc goes back to the cart"))
        layout.addWidget(keys)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(self.tr("Back (Esc)"), self)
        self.confirm_button = QPushButton(self.tr("Confirm (Enter)"), self)
        self.confirm_button.setProperty("primary", True)
        for b in (self.cancel_button, self.confirm_button):
            b.setAutoDefault(False)
            b.setDefault(False)
            buttons.addWidget(b)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button.clicked.connect(self.confirm)
        layout.addLayout(buttons)

        for e in self.fields:
            e.textChanged.connect(self.update_totals)
            e.returnPressed.connect(self.confirm)
            e.installEventFilter(self)
        self.voucher_code.editingFinished.connect(self._check_voucher)
        self.update_totals()
        self.cash.setFocus()
        run(self, lambda: inventory.shortages(state.ctx, priced), self._stock)

    def _stock(self, short) -> None:
        """Warn (the shop sells below zero) or say it will be refused (the setting "refuse")."""
        if not short:
            return
        names = ", ".join(self.tr("{name} ({n} in stock)").format(name=s.name, n=self.state.number(s.on_hand))
                          for s in short)
        if self.state.settings.negative_stock == "refuse":
            text = self.tr("Not enough in stock, the shop does not sell below zero: {products}")
        else:
            text = self.tr("This sale takes stock below zero: {products}")
        self.stock_line.setText(text.format(products=names))
        self.stock_line.show()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.activateWindow()
        self.cash.setFocus()

    # --- widgets ----------------------------------------------------------------------------
    def _muted(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setProperty("role", "muted")
        return label

    def _edit(self, placeholder: str) -> QLineEdit:
        e = QLineEdit(self)
        e.setPlaceholderText(placeholder)
        e.setAlignment(Qt.AlignmentFlag.AlignRight)
        e.setMinimumWidth(180)
        e.setStyleSheet("font-size: 18px;")
        return e

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and obj in self.fields:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._move(obj, 1 if key == Qt.Key.Key_Down else -1)
                return True
        if event.type() == QEvent.Type.FocusIn and obj is self.wallet and not self.wallet.text().strip():
            self._default_wallet()
        return super().eventFilter(obj, event)

    def _move(self, current, step: int) -> None:
        enabled = [f for f in self.fields if f.isEnabled()]
        i = enabled.index(current) if current in enabled else 0
        target = enabled[(i + step) % len(enabled)]
        target.setFocus()
        target.selectAll()

    def _default_wallet(self) -> None:
        """Stored value offers the rest due, up to the balance."""
        if self.member is None:
            return
        rest = max(0, self.priced.total - self.plan(ignore={"wallet", "cash"}).non_cash)
        amount = min(self.member.balance, rest)
        if amount > 0:
            self.wallet.setText(self.state.plain(amount).replace(",", ""))
            self.wallet.selectAll()

    # --- amounts ----------------------------------------------------------------------------
    def _amount(self, edit: QLineEdit, field: str) -> int:
        text = edit.text().strip()
        if not text:
            return 0
        return parse_amount(text, self.state.settings.currency, field=field, allow_zero=True)

    def _points(self) -> int:
        text = self.points.text().strip().replace(",", "")
        if not text:
            return 0
        from app.errors import ValidationError, quoted

        # isdigit() is also true of "²" and other digits int() refuses
        if not (text.isascii() and text.isdigit()):
            raise ValidationError("points_invalid", value=quoted(text))
        if len(text) > 12 or int(text) > checkout.MAX_POINTS:  # a typing slip: no member holds that many
            raise ValidationError("points_absurd", value=quoted(text), max=self.state.number(checkout.MAX_POINTS))
        return int(text)

    def tenders(self, ignore: set[str] = frozenset()) -> list[Tender]:
        """The tenders as typed, in the order checkout takes them (card, stored value, points, voucher,
        cash), without the methods in ``ignore``."""
        card = 0 if "card" in ignore else self._amount(self.card, "card")
        wallet = 0 if "wallet" in ignore else self._amount(self.wallet, "stored value")
        pts = 0 if "points" in ignore else self._points()
        cash = 0 if "cash" in ignore else self._amount(self.cash, "cash")
        code = "" if "voucher" in ignore else self.voucher_code.text().strip()
        out = []
        if card:
            out.append(Tender("card", amount=card))
        if wallet:
            out.append(Tender("wallet", amount=wallet))
        if pts:
            out.append(Tender("points", points=pts))
        if code:
            out.append(Tender("voucher", voucher_code=code))
        if cash:
            out.append(Tender("cash", amount=cash))
        return out

    def plan(self, ignore: set[str] = frozenset()) -> checkout.TenderPlan:
        """What the fields pay, by the same arithmetic checkout records the sale with."""
        v = self.voucher
        known = {v.code.strip().upper(): checkout.VoucherValue(v.kind, v.value)} if v is not None else {}
        return checkout.plan_tenders(self.priced.total, self.tenders(ignore),
                                     point_value=self.state.settings.point_value, vouchers=known)

    def update_totals(self) -> None:
        try:
            t = self.plan()
        except ShopError as exc:
            self.error.setText(self.state.error_text(exc))
            return
        self.error.setText("")
        self.remaining_label.setText(self.state.money(t.remaining))
        self.remaining_label.setStyleSheet("font-size: 26px; font-weight: 700; color: %s;"
                                           % ("#c62828" if t.remaining else "#2e7d32"))
        self.change_label.setText(self.state.money(t.change))
        if self.member is not None:
            have = self.state.number(self.member.points)
            worth = self.state.money(self.state.settings.point_value(self.member.points))
            if t.points:
                self.hints[3].setText(self.tr("{points} points, worth {amount} · using {used}").format(
                    points=have, amount=worth, used=self.state.money(t.points_value)))
            else:
                self.hints[3].setText(self.tr("{points} points, worth {amount}").format(points=have, amount=worth))
        if t.over:
            self.error.setText(self.tr("Card, stored value, points and voucher come to more than the total"))

    def _check_voucher(self) -> None:
        code = self.voucher_code.text().strip()
        if not code:
            self.voucher = None
            self.hints[4].setText("")
            self.update_totals()
            return
        ctx = self.state.ctx

        def found(v) -> None:
            self.voucher = v
            if v.kind == "amount":
                text = self.tr("Worth {amount}").format(amount=self.state.money(v.value))
            else:
                text = self.tr("{percent}% off").format(percent=self.state.number(v.value // 100))
            self.hints[4].setText(text)
            self.update_totals()

        def failed(exc) -> None:
            self.voucher = None
            self.hints[4].setText("")
            self.error.setText(self.state.error_text(exc))

        run(self, lambda: vouchers.get(ctx, code), found, failed)

    # --- commit -----------------------------------------------------------------------------
    def confirm(self) -> None:
        if self._busy:
            return
        try:
            t = self.plan()
            tenders = self.tenders()
        except ShopError as exc:
            self.error.setText(self.state.error_text(exc))
            return
        if t.remaining > 0 and not self.voucher_code.text().strip():
            self.error.setText(self.tr("Still due: {amount}").format(amount=self.state.money(t.remaining)))
            self.cash.setFocus()
            self.cash.selectAll()
            return
        self._set_busy(True)
        self.confirm_button.setText(self.tr("Confirm (Enter)"))
        ctx, cart, ref = self.state.ctx, self.cart, self.client_ref
        # A busy database (an import, another till) is waited for on screen and the checkout run
        # again: a Busy attempt committed nothing, and client_ref returns a sale already recorded.
        self.state.tasks.write(lambda: checkout.checkout(ctx, cart, tenders, client_ref=ref), self._done,
                               self._failed, what=self.tr("recording the sale"), owner=self, on_wait=self._waiting)

    def _waiting(self, attempts: int, seconds: int) -> None:
        self.error.setText(self.tr("Waiting for the database — an import or another till is writing… "
                                   "attempt {n}, {s} s. The cart is kept.").format(n=attempts, s=seconds))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (*self.fields, self.confirm_button, self.cancel_button):
            w.setEnabled(not busy and (w not in (self.wallet, self.points) or self.member is not None))
        self.error.setProperty("role", "muted" if busy else "error")
        self.error.style().polish(self.error)
        if busy:
            self.error.setText(self.tr("Recording the sale…"))

    def _done(self, result) -> None:
        self._set_busy(False)
        self.result = result
        self.paid.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.error.setText(self.state.error_text(exc))
        if isinstance(exc, Busy):  # still busy after the automatic retries: the cashier chooses
            self.error.setText(self.tr("The database is still busy; the sale is not recorded yet. "
                                       "Enter: keep waiting · Esc: back to the cart (kept as it is)"))
            self.confirm_button.setText(self.tr("Keep waiting (Enter)"))
        self.cash.setFocus()

    def reject(self) -> None:
        if not self._busy:  # a sale being written cannot be walked away from
            super().reject()
