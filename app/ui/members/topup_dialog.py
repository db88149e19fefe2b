"""Stored value at the counter: top-up (with the shop's bonus shown before confirming), cash-out and
top-up refund (each with the shop's rule spelled out before confirming; manager or owner)."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QButtonGroup, QDialog, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QRadioButton, QVBoxLayout, QWidget)

from app import money
from app.errors import Conflict, ShopError
from app.i18n import DEFAULT, is_han
from app.services.ledger import wallet
from app.ui.widgets import error_label

QUICK_AMOUNTS = (100, 200, 500, 1000, 2000)  # major units of yuan: round amounts of the shop's currency


def quick_amounts(currency: str) -> tuple[int, ...]:
    """The quick top-up buttons in major units of ``currency`` (US$10 … US$200, NT$400 … NT$8,000)."""
    from app.services.base.region import default_amount

    unit = 10 ** money.exponent(currency)
    return tuple(default_amount(major * 100, currency) // unit for major in QUICK_AMOUNTS)


def _rule(state, table: dict[str, str]) -> str:
    """A service's rule text in the user's language; a Chinese one the table lacks (zh_TW) gets the
    table's other Chinese until the service has its own."""
    if state.lang in table:
        return table[state.lang]
    han = [text for lang, text in table.items() if is_han(lang)]
    return han[0] if han and is_han(state.lang) else table[DEFAULT]


class StoredValueDialog(QDialog):
    """Title, a card with the figures, an error line and Cancel/Confirm buttons."""

    done_signal = Signal(object)

    def __init__(self, state, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.result_value = None
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self.outer = QVBoxLayout(self)
        self.outer.setSpacing(10)
        heading = QLabel(title, self)
        heading.setProperty("role", "title")
        self.outer.addWidget(heading)
        self.error = error_label(self)   # keeps its room: the buttons below never move under the mouse
        self.cancel_button = QPushButton(QCoreApplication.translate("StoredValueDialog", "Cancel (Esc)"), self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton(QCoreApplication.translate("StoredValueDialog", "Confirm (Ctrl+Enter)"), self)
        self.confirm_button.setProperty("primary", True)
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setEnabled(False)
        self.confirm_button.clicked.connect(self.confirm)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.confirm)

    def finish_layout(self) -> None:
        self.outer.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.confirm_button)
        self.outer.addLayout(row)

    def card(self) -> tuple[QFrame, QFormLayout]:
        frame = QFrame(self)
        frame.setProperty("card", True)
        form = QFormLayout(frame)
        form.setContentsMargins(14, 12, 14, 12)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        return frame, form

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))

    def confirm(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class TopupDialog(StoredValueDialog):
    """Amount → the bonus and the balance after (``wallet.preview_topup``) → cash or card → Confirm."""

    def __init__(self, state, member_id: int, member_name: str, parent: QWidget | None = None) -> None:
        super().__init__(state, QCoreApplication.translate("TopupDialog", "Top up stored value"), parent)
        self.member_id = member_id
        self.preview = None
        self._generation = 0
        self._busy = False
        who = QLabel(self.tr("Member: {name}").format(name=member_name), self)
        who.setProperty("role", "muted")
        self.outer.addWidget(who)

        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText(self.tr("Amount paid, e.g. 500"))
        self.amount.setStyleSheet("font-size: 22px; padding: 8px;")
        self.outer.addWidget(self.amount)
        quick = QHBoxLayout()
        quick_label = QLabel(self.tr("Quick amounts"), self)
        quick_label.setProperty("role", "muted")
        quick.addWidget(quick_label)
        self.quick_buttons = []
        for major in quick_amounts(state.settings.currency):
            b = QPushButton(state.number(major), self)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _c=False, m=major: self.amount.setText(str(m)))
            quick.addWidget(b)
            self.quick_buttons.append(b)
        self.outer.addLayout(quick)

        methods = QHBoxLayout()
        self.cash = QRadioButton(self.tr("Cash (F1)"), self)
        self.card_pay = QRadioButton(self.tr("Card (F2)"), self)
        self.cash.setChecked(True)
        self.methods = QButtonGroup(self)
        self.methods.addButton(self.cash)
        self.methods.addButton(self.card_pay)
        methods.addWidget(QLabel(self.tr("Paid by"), self))
        methods.addWidget(self.cash)
        methods.addWidget(self.card_pay)
        methods.addStretch(1)
        self.outer.addLayout(methods)
        QShortcut(QKeySequence("F1"), self, activated=lambda: self.cash.setChecked(True))
        QShortcut(QKeySequence("F2"), self, activated=lambda: self.card_pay.setChecked(True))

        frame, form = self.card()
        self.pay_label = QLabel("—", frame)
        self.bonus_label = QLabel("—", frame)
        self.bonus_label.setStyleSheet("color: #2e7d32; font-weight: 600;")
        self.after_label = QLabel("—", frame)
        self.after_label.setStyleSheet("font-size: 18px; font-weight: 700;")
        self.after_split = QLabel("", frame)
        self.after_split.setProperty("role", "muted")
        form.addRow(self.tr("Pays"), self.pay_label)
        form.addRow(self.tr("Bonus"), self.bonus_label)
        form.addRow(self.tr("Balance after"), self.after_label)
        form.addRow("", self.after_split)
        self.outer.addWidget(frame)
        self.finish_layout()
        self.confirm_button.setText(self.tr("Confirm top-up (Enter)"))
        self.amount.returnPressed.connect(self.confirm)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._ask_preview)
        self.amount.textChanged.connect(self._amount_changed)
        self.amount.setFocus()

    # --- preview ------------------------------------------------------------------------------------
    def _amount_changed(self) -> None:
        self._generation += 1
        self.preview = None
        self.confirm_button.setEnabled(False)
        for w in (self.pay_label, self.bonus_label, self.after_label):
            w.setText("—")
        self.after_split.setText("")
        self._timer.start()

    def parsed_amount(self) -> int | None:
        text = self.amount.text().strip()
        if not text:
            self.show_error(None)
            return None
        try:
            return money.parse_amount(text, self.state.settings.currency, field=self.tr("Amount"))
        except ShopError as exc:
            self.show_error(self.state.error_text(exc))
            self.amount.setProperty("invalid", True)
            self.amount.style().polish(self.amount)
            return None

    def _ask_preview(self) -> None:
        self.amount.setProperty("invalid", False)
        self.amount.style().polish(self.amount)
        amount = self.parsed_amount()
        if amount is None:
            return
        self.show_error(None)
        gen, ctx, member_id = self._generation, self.state.ctx, self.member_id
        self.state.tasks.run(lambda: wallet.preview_topup(ctx, member_id, amount),
                             lambda p: self._previewed(gen, p), lambda exc: self._preview_failed(gen, exc))

    def _previewed(self, gen: int, p: wallet.TopupPreview) -> None:
        if gen != self._generation:
            return  # the amount changed since
        self.preview = p
        s = self.state
        self.pay_label.setText(s.money(p.amount))
        self.bonus_label.setText(self.tr("+ {bonus}").format(bonus=s.money(p.bonus)) if p.bonus
                                 else self.tr("No bonus at this amount"))
        self.after_label.setText(s.money(p.balance_after))
        self.after_split.setText(self.tr("paid {principal} + bonus {bonus}").format(
            principal=s.money(p.principal_after), bonus=s.money(p.bonus_after)))
        self.confirm_button.setEnabled(not self._busy)

    def _preview_failed(self, gen: int, exc: BaseException) -> None:
        if gen == self._generation:
            self.show_error(self.state.error_text(exc))

    # --- confirm ------------------------------------------------------------------------------------
    def confirm(self) -> None:
        if self.preview is None or self._busy or not self.confirm_button.isEnabled():
            if self._timer.isActive():  # Enter right after typing: preview first, confirm with the next Enter
                self._timer.stop()
                self._ask_preview()
            return
        self._busy = True
        self.confirm_button.setEnabled(False)
        ctx, member_id, amount = self.state.ctx, self.member_id, self.preview.amount
        method = "card" if self.card_pay.isChecked() else "cash"
        self.state.tasks.run(lambda: wallet.topup(ctx, member_id, amount, method), self._done, self._failed,
                             what=self.tr("recording the top-up"))

    def _done(self, result: wallet.TopupResult) -> None:
        from app.ui.members.topup_slip import SlipPrinter

        self._busy = False
        self.result_value = result
        # the member's slip, printed (or shown) after the top-up is recorded; never undoes it
        self.slip = SlipPrinter(self.state, self.parentWidget())
        self.slip.print(result.topup_id)
        self.state.member_changed.emit(result.member_id)
        self.done_signal.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.show_error(self.state.error_text(exc))
        self.confirm_button.setEnabled(self.preview is not None)


class ReasonDialog(StoredValueDialog):
    """A rule, the figures, a required reason, then Confirm."""

    def __init__(self, state, title: str, rule: str, parent: QWidget | None = None) -> None:
        super().__init__(state, title, parent)
        rule_label = QLabel(rule, self)
        rule_label.setWordWrap(True)
        rule_label.setStyleSheet("background: #fff8e1; border: 1px solid #f0d48a; border-radius: 6px;"
                                 " padding: 8px; color: #5d4300;")
        self.rule_label = rule_label
        self.outer.addWidget(rule_label)
        self.frame, self.form = self.card()
        self.outer.addWidget(self.frame)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(QCoreApplication.translate("ReasonDialog", "Reason (required)"))
        self.outer.addWidget(self.reason)
        self.finish_layout()
        self.ready = False
        self._busy = False
        self.reason.textChanged.connect(self._update)
        self.reason.returnPressed.connect(self.confirm)
        self.reason.setFocus()

    def _update(self) -> None:
        self.confirm_button.setEnabled(self.ready and not self._busy and bool(self.reason.text().strip()))

    def run(self, fn, on_done) -> None:
        if not self.confirm_button.isEnabled():
            return
        self._busy = True
        self._update()

        def done(result) -> None:
            self._busy = False
            self.result_value = result
            on_done(result)
            self.done_signal.emit(result)
            self.accept()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.show_error(self.state.error_text(exc))
            self._update()

        self.state.tasks.run(fn, done, failed)


class CashoutDialog(ReasonDialog):
    """Pay back the remaining paid principal; the bonus is forfeited (``wallet.CASHOUT_RULE``)."""

    def __init__(self, state, member_id: int, member_name: str, parent: QWidget | None = None) -> None:
        super().__init__(state, QCoreApplication.translate("CashoutDialog", "Cash out stored value"),
                         _rule(state, wallet.CASHOUT_RULE), parent)
        self.member_id = member_id
        self.paid_back = QLabel("…", self.frame)
        self.paid_back.setStyleSheet("font-size: 18px; font-weight: 700;")
        self.forfeited = QLabel("…", self.frame)
        self.form.addRow(self.tr("Member"), QLabel(member_name, self.frame))
        self.form.addRow(self.tr("Pay back (paid principal)"), self.paid_back)
        self.form.addRow(self.tr("Bonus forfeited"), self.forfeited)
        self.confirm_button.setText(self.tr("Confirm cash-out (Enter)"))
        ctx = state.ctx
        state.tasks.run(lambda: wallet.preview_cashout(ctx, member_id), self._previewed,
                        lambda exc: self.show_error(state.error_text(exc)))

    def _previewed(self, p: wallet.CashoutPreview) -> None:
        self.paid_back.setText(self.state.money(p.principal_paid_back))
        self.forfeited.setText(self.state.money(p.bonus_forfeited))
        self.ready = p.principal_paid_back > 0
        if not self.ready:
            self.show_error(self.state.error_text(ShopError("cashout_nothing", member=self.member_id)))
        self._update()

    def confirm(self) -> None:
        ctx, member_id, why = self.state.ctx, self.member_id, self.reason.text()
        self.run(lambda: wallet.cashout(ctx, member_id, why), lambda r: self.state.member_changed.emit(r.member_id))


class EraseDialog(ReasonDialog):
    """Erase a member's personal data (owner): what goes, what stays, a reason, then Confirm."""

    RULE = QT_TRANSLATE_NOOP("EraseDialog",
                             "Erasing clears the name, phone, card, birthday, dates, tags, notes and consent, "
                             "and the phone numbers and words of the texts and contact notes about this "
                             "member. The sales, stored-value and points ledgers stay, without a name, for "
                             "the books. It cannot be undone. Stored value still held must be paid out first.")

    def __init__(self, state, member_id: int, member_name: str, parent: QWidget | None = None) -> None:
        super().__init__(state, QCoreApplication.translate("EraseDialog", "Erase personal data"),
                         QCoreApplication.translate("EraseDialog", self.RULE), parent)
        self.member_id = member_id
        self.form.addRow(self.tr("Member"), QLabel(member_name, self.frame))
        self.confirm_button.setText(self.tr("Erase for good (Enter)"))
        self.ready = True
        self._update()

    def confirm(self) -> None:
        from app.services.members import erasure

        ctx, member_id, why = self.state.ctx, self.member_id, self.reason.text()
        self.run(lambda: erasure.erase_member(ctx, member_id, why),
                 lambda r: self.state.member_changed.emit(r.member_id))


class TopupRefundDialog(ReasonDialog):
    """Refund one whole top-up while the balance still holds it (``wallet.TOPUP_REFUND_RULE``)."""

    def __init__(self, state, topup_id: int, parent: QWidget | None = None) -> None:
        super().__init__(state, QCoreApplication.translate("TopupRefundDialog", "Refund a top-up"),
                         _rule(state, wallet.TOPUP_REFUND_RULE), parent)
        self.topup_id = topup_id
        self.principal = QLabel("…", self.frame)
        self.principal.setStyleSheet("font-size: 18px; font-weight: 700;")
        self.bonus = QLabel("…", self.frame)
        self.form.addRow(self.tr("Pay back (paid amount)"), self.principal)
        self.form.addRow(self.tr("Bonus removed"), self.bonus)
        self.confirm_button.setText(self.tr("Confirm refund (Enter)"))
        ctx = state.ctx
        state.tasks.run(lambda: wallet.preview_topup_refund(ctx, topup_id), self._previewed,
                        lambda exc: self.show_error(state.error_text(exc)))

    def _previewed(self, p: wallet.TopupRefundPreview) -> None:
        s = self.state
        self.member_id = p.member_id
        self.principal.setText(s.money(p.principal))
        self.bonus.setText(s.money(p.bonus))
        self.ready = p.refundable
        if not p.refundable:
            cur = s.settings.currency
            self.show_error(s.error_text(Conflict(p.refusal_code or "topup_spent", id=p.topup_id,
                                                  principal=money.to_major_str(p.principal, cur),
                                                  bonus=money.to_major_str(p.bonus, cur))))
        self._update()

    def confirm(self) -> None:
        ctx, topup_id, why = self.state.ctx, self.topup_id, self.reason.text()
        self.run(lambda: wallet.refund_topup(ctx, topup_id, why),
                 lambda r: self.state.member_changed.emit(r.member_id))
