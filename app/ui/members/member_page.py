"""One member: profile, consent, balances and count cards, and tabs for the history.

Everything comes from ``member_history.member_page`` on the db worker, and is read again when
``state.member_changed`` names this member (after an edit, a top-up, an adjustment…)."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QFormLayout, QFrame, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from app.services.reports import member_history
from app.services.reports.member_history import MemberPage as PageData

_T = "MemberPage"
KIND_NAMES = {
    # wallet entries
    "opening": QT_TRANSLATE_NOOP("MemberPage", "Opening balance"), "topup": QT_TRANSLATE_NOOP("MemberPage", "Top-up"),
    "spend": QT_TRANSLATE_NOOP("MemberPage", "Spent"), "refund": QT_TRANSLATE_NOOP("MemberPage", "Refund"),
    "adjustment": QT_TRANSLATE_NOOP("MemberPage", "Adjustment"), "cashout": QT_TRANSLATE_NOOP("MemberPage", "Cash-out"),
    "topup_refund": QT_TRANSLATE_NOOP("MemberPage", "Top-up refunded"),
    # points entries
    "earn": QT_TRANSLATE_NOOP("MemberPage", "Earned"), "redeem": QT_TRANSLATE_NOOP("MemberPage", "Redeemed"),
    "expire": QT_TRANSLATE_NOOP("MemberPage", "Expired"), "adjust": QT_TRANSLATE_NOOP("MemberPage", "Adjustment"),
    # sales
    "sale": QT_TRANSLATE_NOOP("MemberPage", "Sale"),
    # payment methods
    "cash": QT_TRANSLATE_NOOP("MemberPage", "Cash"), "card": QT_TRANSLATE_NOOP("MemberPage", "Card"),
    "wallet": QT_TRANSLATE_NOOP("MemberPage", "Stored value"), "points": QT_TRANSLATE_NOOP("MemberPage", "Points"),
    "voucher": QT_TRANSLATE_NOOP("MemberPage", "Voucher"), "count_card": QT_TRANSLATE_NOOP("MemberPage", "Count card"),
    "other": QT_TRANSLATE_NOOP("MemberPage", "Other"),
    # top-up status
    "done": QT_TRANSLATE_NOOP("MemberPage", "Done"), "refunded": QT_TRANSLATE_NOOP("MemberPage", "Refunded"),
    # messages
    "ebill": QT_TRANSLATE_NOOP("MemberPage", "E-bill"), "birthday": QT_TRANSLATE_NOOP("MemberPage", "Birthday"),
    "campaign": QT_TRANSLATE_NOOP("MemberPage", "Campaign"), "winback": QT_TRANSLATE_NOOP("MemberPage", "Win-back"),
    "points_reminder": QT_TRANSLATE_NOOP("MemberPage", "Points about to expire"),
    "followup": QT_TRANSLATE_NOOP("MemberPage", "Service follow-up"),
    "satisfaction": QT_TRANSLATE_NOOP("MemberPage", "Satisfaction survey"),
    "reminder": QT_TRANSLATE_NOOP("MemberPage", "Reminder"), "test": QT_TRANSLATE_NOOP("MemberPage", "Test"),
    "queued": QT_TRANSLATE_NOOP("MemberPage", "Queued"), "sending": QT_TRANSLATE_NOOP("MemberPage", "Sending"),
    "sent": QT_TRANSLATE_NOOP("MemberPage", "Sent"), "delivered": QT_TRANSLATE_NOOP("MemberPage", "Delivered"),
    "failed": QT_TRANSLATE_NOOP("MemberPage", "Failed"), "unknown": QT_TRANSLATE_NOOP("MemberPage", "Unknown"),
    "cancelled": QT_TRANSLATE_NOOP("MemberPage", "Cancelled"),
    # contact notes
    "call": QT_TRANSLATE_NOOP("MemberPage", "Call"), "visit": QT_TRANSLATE_NOOP("MemberPage", "Visit"),
    "text": QT_TRANSLATE_NOOP("MemberPage", "Text"), "complaint": QT_TRANSLATE_NOOP("MemberPage", "Complaint"),
    "suggestion": QT_TRANSLATE_NOOP("MemberPage", "Suggestion"),
    # consent sources
    "counter": QT_TRANSLATE_NOOP("MemberPage", "at the counter"), "import": QT_TRANSLATE_NOOP("MemberPage", "imported"),
    "form": QT_TRANSLATE_NOOP("MemberPage", "paper form"), "reply": QT_TRANSLATE_NOOP("MemberPage", "by reply"),
    "demo": QT_TRANSLATE_NOOP("MemberPage", "demo data"),
    # dates
    "wedding": QT_TRANSLATE_NOOP("MemberPage", "Wedding"),
    # care: call-back tasks
    "open": QT_TRANSLATE_NOOP("MemberPage", "Open"),
}


# The column that takes the room left (long text); the others fit their contents.
STRETCH = {"purchases": 2, "points": 5, "wallet": 5, "messages": 3, "contacts": 2}


def kind_name(code: str | None) -> str:
    if not code:
        return ""
    return QCoreApplication.translate(_T, KIND_NAMES[code]) if code in KIND_NAMES else code


class MemberPage(QDialog):
    """Double-click or Enter on the members list opens this. Keys: F5 top up, F6 edit, F8 adjust,
    F9 cash out, F10 refund the selected top-up, Esc close."""

    loaded = Signal(object)   # member_history.MemberPage

    TABS = ("purchases", "topups", "points", "wallet", "messages", "contacts")

    def __init__(self, state, member_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.member_id = member_id
        self.data: PageData | None = None
        self.setWindowTitle(self.tr("Member"))
        self.resize(1180, 760)
        outer = QVBoxLayout(self)
        outer.setSpacing(10)

        # --- header: name, tier, phone and the actions -----------------------------------------------
        head = QHBoxLayout()
        self.name_label = QLabel("…", self)
        self.name_label.setProperty("role", "title")
        self.tier_label = QLabel(self)
        self.tier_label.setStyleSheet("background: #fff4d6; color: #8a5a00; border-radius: 8px; padding: 2px 10px;")
        self.phone_label = QLabel(self)
        self.phone_label.setProperty("role", "muted")
        head.addWidget(self.name_label)
        head.addWidget(self.tier_label)
        head.addWidget(self.phone_label)
        head.addStretch(1)
        manager = state.role_allowed("adjust_balance")
        self.topup_button = self._button(self.tr("Top up (F5)"), "F5", self.open_topup, head, primary=True)
        self.edit_button = self._button(self.tr("Edit (F6)"), "F6", self.open_edit, head)
        self.adjust_button = self._button(self.tr("Adjust (F8)"), "F8", self.open_adjust, head, visible=manager)
        self.cashout_button = self._button(self.tr("Cash out (F9)"), "F9", self.open_cashout, head,
                                           visible=state.role_allowed("cashout"))
        self.erase_button = QPushButton(self.tr("Erase…"), self)
        self.erase_button.setAutoDefault(False)
        self.erase_button.setToolTip(self.tr("Erase this member's personal data (owner; kept: the anonymous ledgers)"))
        self.erase_button.setVisible(state.role_allowed("erase_member"))
        self.erase_button.clicked.connect(self.open_erase)
        head.addWidget(self.erase_button)
        self.close_button = QPushButton(self.tr("Close (Esc)"), self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        head.addWidget(self.close_button)
        outer.addLayout(head)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.hide()
        outer.addWidget(self.error)

        body = QHBoxLayout()
        body.setSpacing(12)
        outer.addLayout(body, 1)
        left = QVBoxLayout()
        left.setSpacing(10)
        body.addLayout(left, 0)

        # --- balances ------------------------------------------------------------------------------
        bal, bal_form = self._card(self.tr("Balances"))
        self.balance_label = QLabel("—", bal)
        self.balance_label.setProperty("role", "big")
        self.balance_split = QLabel(bal)
        self.balance_split.setProperty("role", "muted")
        self.points_label = QLabel(bal)
        self.points_label.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.points_expiring = QLabel(bal)
        self.points_expiring.setWordWrap(True)
        self.cards_label = QLabel(bal)
        self.cards_label.setWordWrap(True)
        bal_form.addRow(self.tr("Stored value"), self.balance_label)
        bal_form.addRow("", self.balance_split)
        bal_form.addRow(self.tr("Points"), self.points_label)
        bal_form.addRow("", self.points_expiring)
        bal_form.addRow(self.tr("Count cards"), self.cards_label)
        left.addWidget(bal)

        # --- profile --------------------------------------------------------------------------------
        prof, self.profile_form = self._card(self.tr("Profile"))
        self.profile: dict[str, QLabel] = {}
        for key, label in (("phone", self.tr("Phone")), ("card", self.tr("Card no.")), ("gender", self.tr("Gender")),
                           ("birthday", self.tr("Birthday")), ("dates", self.tr("Anniversaries")),
                           ("tier", self.tr("Tier")), ("joined", self.tr("Joined")),
                           ("referrer", self.tr("Referred by")), ("tags", self.tr("Tags")),
                           ("notes", self.tr("Notes"))):
            value = QLabel("—", prof)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.profile[key] = value
            self.profile_form.addRow(label, value)
        left.addWidget(prof)

        # --- consent --------------------------------------------------------------------------------
        con, con_form = self._card(self.tr("Consent"))
        self.consent: dict[str, QLabel] = {}
        for key, label in (("care", self.tr("Care texts")), ("marketing", self.tr("Marketing texts")),
                           ("opted_out", self.tr("Opted out")), ("ebill", self.tr("E-bills"))):
            value = QLabel("—", con)
            value.setWordWrap(True)
            self.consent[key] = value
            con_form.addRow(label, value)
        left.addWidget(con)
        left.addStretch(1)
        for frame in (bal, prof, con):
            frame.setFixedWidth(400)

        # --- history tabs ------------------------------------------------------------------------------
        self.tabs = QTabWidget(self)
        specs = {
            "purchases": (self.tr("Purchases"), [self.tr("Date"), self.tr("Receipt"), self.tr("Items"),
                                                 self.tr("Paid by"), self.tr("Total"), self.tr("Points")]),
            "topups": (self.tr("Top-ups"), [self.tr("Date"), self.tr("Paid"), self.tr("Bonus"),
                                            self.tr("Paid by"), self.tr("Status")]),
            "points": (self.tr("Points"), [self.tr("Date"), self.tr("What"), self.tr("Points"),
                                           self.tr("Expires"), self.tr("Receipt"), self.tr("Note")]),
            "wallet": (self.tr("Stored value"), [self.tr("Date"), self.tr("What"), self.tr("Paid"),
                                                 self.tr("Bonus"), self.tr("Receipt"), self.tr("Note")]),
            "messages": (self.tr("Messages"), [self.tr("Date"), self.tr("Kind"), self.tr("Status"), self.tr("Text")]),
            "contacts": (self.tr("Contact notes"), [self.tr("Date"), self.tr("Kind"), self.tr("Note"),
                                                    self.tr("Outcome"), self.tr("Staff"), self.tr("Next contact")]),
        }
        self.tables: dict[str, QTableWidget] = {}
        for key in self.TABS:
            title, headers = specs[key]
            table = QTableWidget(0, len(headers), self)
            table.setHorizontalHeaderLabels(headers)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.verticalHeader().hide()
            table.setWordWrap(False)
            table.horizontalHeader().setHighlightSections(False)
            self.tables[key] = table
            if key == "topups":
                page = QWidget(self)
                box = QVBoxLayout(page)
                box.setContentsMargins(0, 0, 0, 0)
                box.addWidget(table, 1)
                row = QHBoxLayout()
                row.setContentsMargins(8, 0, 8, 8)
                self.refund_topup_button = QPushButton(self.tr("Refund selected top-up (F10)"), page)
                self.refund_topup_button.setAutoDefault(False)
                self.refund_topup_button.clicked.connect(self.open_topup_refund)
                self.refund_topup_button.setVisible(state.role_allowed("refund_topup"))
                row.addStretch(1)
                row.addWidget(self.refund_topup_button)
                box.addLayout(row)
                self.tabs.addTab(page, title)
            else:
                self.tabs.addTab(table, title)
        if state.role_allowed("refund_topup"):
            QShortcut(QKeySequence("F10"), self, activated=self.open_topup_refund)
        for i in range(len(self.TABS)):
            QShortcut(QKeySequence(f"Alt+{i + 1}"), self, activated=lambda i=i: self.tabs.setCurrentIndex(i))
        body.addWidget(self.tabs, 1)

        state.member_changed.connect(self._member_changed)
        self.reload()

    # --- building blocks -----------------------------------------------------------------------------
    def _button(self, text: str, key: str, slot, row: QHBoxLayout, primary: bool = False,
                visible: bool = True) -> QPushButton:
        b = QPushButton(text, self)
        b.setAutoDefault(False)
        if primary:
            b.setProperty("primary", True)
        b.clicked.connect(slot)
        b.setVisible(visible)
        row.addWidget(b)
        if visible:
            QShortcut(QKeySequence(key), self, activated=slot)
        return b

    def _card(self, title: str) -> tuple[QFrame, QFormLayout]:
        frame = QFrame(self)
        frame.setProperty("card", True)
        box = QVBoxLayout(frame)
        box.setContentsMargins(14, 10, 14, 12)
        heading = QLabel(title, frame)
        heading.setStyleSheet("font-weight: 600; font-size: 15px;")
        box.addWidget(heading)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(5)
        box.addLayout(form)
        return frame, form

    # --- data ------------------------------------------------------------------------------------------
    def reload(self) -> None:
        ctx, member_id = self.state.ctx, self.member_id
        self.state.tasks.run(lambda: member_history.member_page(ctx, member_id), self._loaded, self._failed)

    def _member_changed(self, member_id: int) -> None:
        if member_id == self.member_id:
            self.reload()

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(self.state.error_text(exc))
        self.error.show()

    def _loaded(self, data: PageData) -> None:
        self.data = data
        s, m, c = self.state, data.member, data.consent
        self.setWindowTitle(self.tr("Member: {name}").format(name=m.name))
        self.name_label.setText(m.name)
        tier = s.tier_name(m.tier_name_en, m.tier_name_zh)
        self.tier_label.setText(tier)
        self.tier_label.setVisible(bool(tier))
        self.phone_label.setText(m.masked_phone)
        self.balance_label.setText(s.money(m.balance))
        self.balance_split.setText(self.tr("paid {principal} + bonus {bonus}").format(
            principal=s.money(m.wallet_principal), bonus=s.money(m.wallet_bonus)))
        self.points_label.setText(s.number(m.points))
        # soon to expire: the next lapses (first in, first out), the first one in the warning colour
        soon = [self.tr("{points} expire on {date}").format(points=s.number(pts), date=s.date(day))
                for day, pts in data.points_expiring]
        self.points_expiring.setText("\n".join(soon) if soon else self.tr("None expiring"))
        self.points_expiring.setProperty("role", "warning" if soon else "muted")
        self.points_expiring.style().polish(self.points_expiring)
        cards = [self.tr("{name}: {left} of {total} left{until}").format(
            name=cc.product_name, left=cc.uses_left, total=cc.uses_total,
            until=self.tr(", until {date}").format(date=s.date(cc.expires_on)) if cc.expires_on else "")
            for cc in data.count_cards if cc.usable]
        self.cards_label.setText("\n".join(cards) if cards else self.tr("None"))
        p = self.profile
        p["phone"].setText(m.masked_phone or "—")
        p["card"].setText(m.card_no or "—")
        p["gender"].setText({"F": self.tr("Female"), "M": self.tr("Male")}.get(m.gender or "", "—"))
        p["birthday"].setText(self._birthday_text(m.birthday))
        p["dates"].setText("\n".join(self._date_text(kind, label, text) for kind, label, text in m.dates) or "—")
        p["tier"].setText(tier or "—")
        p["joined"].setText(s.date(m.join_date))
        p["referrer"].setText(data.referrer_name or "—")
        p["tags"].setText(" · ".join(m.tags) or "—")
        p["notes"].setText(m.notes or "—")
        self.consent["care"].setText(self._consent_text(c.care, c.care_at, c.care_source))
        self.consent["marketing"].setText(self._consent_text(c.marketing, c.marketing_at, c.marketing_source))
        self.consent["opted_out"].setText(s.datetime(c.opted_out_at) if c.opted_out_at else self.tr("No"))
        self.consent["ebill"].setText(self.tr("On") if c.ebill_enabled else self.tr("Off"))
        self._fill_tables(data)
        self.error.hide()
        self.loaded.emit(data)

    def _birthday_text(self, b) -> str:
        if b is None:
            return "—"
        shown = self.state.date(_safe_date(b.year, b.month, b.day)) if b.year else f"{b.month:02d}-{b.day:02d}"
        if b.calendar == "lunar":
            return (self.tr("{date} (lunar, leap month)") if b.leap_month else self.tr("{date} (lunar)")).format(
                date=f"{b.year:04d}-{b.month:02d}-{b.day:02d}" if b.year else shown)
        return shown

    def _date_text(self, kind: str, label: str, text: str) -> str:
        what = label or kind_name(kind)
        if text.startswith("lunar "):
            return self.tr("{what}: {date} (lunar)").format(what=what, date=text[6:])
        return self.tr("{what}: {date}").format(what=what, date=text)

    def _consent_text(self, given: bool, at, source) -> str:
        if not given:
            return self.tr("No")
        if at is None:
            return self.tr("Yes ({source})").format(source=kind_name(source)) if source else self.tr("Yes")
        return self.tr("Yes, {when} ({source})").format(when=self.state.datetime(at), source=kind_name(source))

    def _fill_tables(self, d: PageData) -> None:
        s = self.state
        right = {"money", "int"}

        def put(key: str, rows: list[list[tuple[str, str]]]) -> None:
            table = self.tables[key]
            table.setRowCount(len(rows))
            for r, cells in enumerate(rows):
                for col, (text, kind) in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if kind in right:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(r, col, item)
            header = table.horizontalHeader()
            table.resizeColumnsToContents()
            wide = STRETCH.get(key)
            for col in range(table.columnCount()):
                mode = QHeaderView.ResizeMode.Stretch if col == wide else QHeaderView.ResizeMode.Interactive
                header.setSectionResizeMode(col, mode)
                if col != wide:
                    table.setColumnWidth(col, min(table.columnWidth(col) + 8, 220))
            header.setStretchLastSection(wide is None)

        put("purchases", [[(s.datetime(x.created_at), ""), (x.receipt_no, ""), (x.items, ""),
                           (", ".join(kind_name(m) for m in x.methods), ""), (s.money(x.total), "money"),
                           (s.number(x.points_earned) if x.points_earned else "", "int")] for x in d.purchases])
        put("topups", [[(s.datetime(x.created_at), ""), (s.money(x.amount), "money"),
                        (s.money(x.bonus) if x.bonus else "", "money"), (kind_name(x.pay_method), ""),
                        (kind_name(x.status), "")] for x in d.topups])
        put("points", [[(s.datetime(x.created_at), ""), (kind_name(x.kind), ""), (_signed(s.number(x.points), x.points), "int"),
                        (s.date(x.expires_on) if x.expires_on else "", ""), (x.receipt_no or "", ""), (x.note, "")]
                       for x in d.points])
        put("wallet", [[(s.datetime(x.created_at), ""), (kind_name(x.kind), ""),
                        (_signed(s.money(x.principal), x.principal) if x.principal else "", "money"),
                        (_signed(s.money(x.bonus), x.bonus) if x.bonus else "", "money"),
                        (x.receipt_no or "", ""), (_wallet_note(x), "")] for x in d.wallet])
        put("messages", [[(s.datetime(x.created_at), ""), (kind_name(x.kind), ""), (kind_name(x.status), ""),
                          (x.body.replace("\n", " "), "")] for x in d.messages])
        # care: the member's call-back tasks (open ones first: what is due next), then every note
        put("contacts", [[(s.date(x.due_on), ""), (self._task_kind(x), ""), (x.reason, ""), (kind_name(x.status), ""),
                          ("", ""), (s.date(x.due_on) if x.status == "open" else "", "")] for x in d.tasks]
            + [[(s.datetime(x.created_at), ""), (self._note_kind(x), ""),
                (x.body + (f" → {x.resolution}" if x.resolution else ""), ""), (x.outcome, ""),
                (x.staff, ""), (s.date(x.next_contact_on) if x.next_contact_on else "", "")] for x in d.contacts])
        counts = {"purchases": len(d.purchases), "topups": len(d.topups), "points": len(d.points),
                  "wallet": len(d.wallet), "messages": len(d.messages), "contacts": len(d.contacts) + len(d.tasks)}
        titles = [self.tr("Purchases"), self.tr("Top-ups"), self.tr("Points"), self.tr("Stored value"),
                  self.tr("Messages"), self.tr("Contact notes")]
        for i, key in enumerate(self.TABS):
            self.tabs.setTabText(i, self.tr("{title} ({count})").format(title=titles[i], count=counts[key]))

    def _task_kind(self, x) -> str:
        return self.tr("Call-back task") if x.source != "gift" else self.tr("Gift to prepare")

    def _note_kind(self, x) -> str:
        if x.kind == "complaint":
            return self.tr("Complaint (resolved)") if x.resolved_at else self.tr("Complaint (open)")
        return kind_name(x.kind)

    # --- actions ---------------------------------------------------------------------------------------
    def _name(self) -> str:
        return self.data.member.name if self.data else ""

    def open_topup(self):
        from app.ui.members.topup_dialog import TopupDialog

        dialog = TopupDialog(self.state, self.member_id, self._name(), self)
        dialog.open()
        return dialog

    def open_edit(self):
        if self.data is None:
            return None
        from app.ui.members.member_edit import MemberEditDialog

        dialog = MemberEditDialog(self.state, self.data.member, self)
        dialog.open()
        return dialog

    def open_adjust(self):
        if not self.state.role_allowed("adjust_balance"):
            return None
        from app.ui.members.adjust_dialog import AdjustDialog

        m = self.data.member if self.data else None
        dialog = AdjustDialog(self.state, self.member_id, self._name(),
                              (m.wallet_principal, m.wallet_bonus, m.points) if m else None, self)
        dialog.open()
        return dialog

    def open_erase(self):
        if not self.state.role_allowed("erase_member"):
            return None
        from app.ui.members.topup_dialog import EraseDialog

        dialog = EraseDialog(self.state, self.member_id, self._name(), self)
        dialog.done_signal.connect(lambda _r: self.reject())   # nothing left to show
        dialog.open()
        return dialog

    def open_cashout(self):
        if not self.state.role_allowed("cashout"):
            return None
        from app.ui.members.topup_dialog import CashoutDialog

        dialog = CashoutDialog(self.state, self.member_id, self._name(), self)
        dialog.open()
        return dialog

    def open_topup_refund(self):
        if not self.state.role_allowed("refund_topup") or self.data is None:
            return None
        row = self.tables["topups"].currentRow()
        if not 0 <= row < len(self.data.topups):
            self.tabs.setCurrentIndex(self.TABS.index("topups"))
            self.tables["topups"].setFocus()
            return None
        from app.ui.members.topup_dialog import TopupRefundDialog

        dialog = TopupRefundDialog(self.state, self.data.topups[row].id, self)
        dialog.open()
        return dialog


def _wallet_note(x) -> str:
    """The service notes a top-up as "top-up cash" / "top-up card": show how it was paid, translated."""
    if x.kind == "topup" and x.note.startswith("top-up "):
        return kind_name(x.note[len("top-up "):])
    return x.note


def _signed(text: str, value: int) -> str:
    return f"+{text}" if value > 0 else text


def _safe_date(year, month, day):
    from datetime import date

    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, 28)
