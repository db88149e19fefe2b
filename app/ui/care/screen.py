"""The Care screen: today's care actions (the care texts going out, the calls to make, the gifts to
prepare), the call list with open complaints, campaigns with their results and a new-campaign
dialog with a live preview of reach and cost, and the service knowledge base.

Every read and write runs on the db worker (``state.tasks``), never on the UI thread.
"""
from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import QDate, QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox,
                               QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from app.errors import ShopError
from app.money import parse_amount
from app.services.admin import shop_admin
from app.services.care import callbacks, campaigns, knowledge, today as care_today
from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms
from app.services.members import members
from app.services.texts import outbox_admin
from app.ui.texts.outbox_model import kind_label
from app.ui.state import AppState
from app.ui.widgets import DateField, Status, button_row, int_spin

DEBOUNCE_MS = 300
NOTE_KINDS = {"call": QT_TRANSLATE_NOOP("CareScreen", "Call"), "visit": QT_TRANSLATE_NOOP("CareScreen", "Visit"),
              "text": QT_TRANSLATE_NOOP("CareScreen", "Text"), "complaint": QT_TRANSLATE_NOOP("CareScreen", "Complaint"),
              "suggestion": QT_TRANSLATE_NOOP("CareScreen", "Suggestion")}
SOURCES = {"manual": QT_TRANSLATE_NOOP("CareScreen", "By hand"), "follow_up": QT_TRANSLATE_NOOP("CareScreen", "Follow-up"),
           "tier_care": QT_TRANSLATE_NOOP("CareScreen", "Tier care"), "gift": QT_TRANSLATE_NOOP("CareScreen", "Gift"),
           "winback": QT_TRANSLATE_NOOP("CareScreen", "Win-back")}
SEGMENT_NAMES = {"champions": QT_TRANSLATE_NOOP("CareScreen", "Champions"),
                 "loyal": QT_TRANSLATE_NOOP("CareScreen", "Loyal"),
                 "potential": QT_TRANSLATE_NOOP("CareScreen", "Potential"), "new": QT_TRANSLATE_NOOP("CareScreen", "New"),
                 "at_risk": QT_TRANSLATE_NOOP("CareScreen", "At risk"),
                 "cant_lose": QT_TRANSLATE_NOOP("CareScreen", "Can't lose"),
                 "hibernating": QT_TRANSLATE_NOOP("CareScreen", "Hibernating"),
                 "lost": QT_TRANSLATE_NOOP("CareScreen", "Lost")}


def _t(text: str) -> str:
    return QCoreApplication.translate("CareScreen", text)


def _table(parent: QWidget, headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    for col in range(len(headers)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == stretch
                                    else QHeaderView.ResizeMode.ResizeToContents)
    return table


def _save_cancel(dialog: QDialog, save: str, cancel: str) -> QDialogButtonBox:
    """Save (named ``save``) runs ``dialog.save``; Cancel closes the dialog."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.button(QDialogButtonBox.StandardButton.Save).setText(save)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel)
    buttons.accepted.connect(dialog.save)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _fill(table: QTableWidget, rows: list[list[str]], *, right: tuple[int, ...] = (), red: set[int] = frozenset()) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r in red:
                item.setForeground(Qt.GlobalColor.darkRed)
            table.setItem(r, c, item)


def _date_edit(parent: QWidget, d: date) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate(d.year, d.month, d.day))
    return edit


def _value(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())


class _Tab(QWidget):
    """A tab with the app state and a status line; ``run`` calls a service on the db worker."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.status = Status(self)

    def run(self, fn, on_done=None, on_error=None) -> None:
        def failed(exc):
            (on_error or (lambda e: self.status.error(self.state.error_text(e))))(exc)

        self.state.tasks.run(fn, on_done, failed, owner=self)

    def load(self) -> None:  # pragma: no cover - each tab overrides
        pass


# --- dialogs ------------------------------------------------------------------------------------------
class _ServiceDialog(QDialog):
    """A dialog whose Save runs one service call on the db worker: accepted with its result in
    ``result_value``, or kept open with the refusal on its status line."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.result_value = None
        self.status = Status(self)

    def submit(self, fn, button: QPushButton) -> None:
        button.setEnabled(False)

        def done(result) -> None:
            button.setEnabled(True)
            self.result_value = result
            self.accept()

        def failed(exc) -> None:
            button.setEnabled(True)
            self.status.error(self.state.error_text(exc))

        self.state.tasks.run(fn, done, failed)


class KnowledgePickDialog(QDialog):
    """Search the knowledge base and pick an article to insert."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.articles: list = []
        self.chosen = None
        self.setWindowTitle(self.tr("Insert from the knowledge base"))
        self.query = QLineEdit(self)
        self.query.setPlaceholderText(self.tr("Search in Chinese or English"))
        self.list = QListWidget(self)
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setProperty("role", "muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Insert"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.query)
        box.addWidget(self.list, 1)
        box.addWidget(self.preview)
        box.addWidget(buttons)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.list.currentRowChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        self.resize(560, 460)
        self.search()

    def search(self) -> None:
        ctx, q = self.state.ctx, self.query.text()
        self.state.tasks.run(lambda: knowledge.search(ctx, q), self._found)

    def _found(self, articles) -> None:
        self.articles = list(articles)
        self.list.clear()
        for a in self.articles:
            self.list.addItem(a.title)
        if self.articles:
            self.list.setCurrentRow(0)

    def _show(self, row: int) -> None:
        self.preview.setText(self.articles[row].body if 0 <= row < len(self.articles) else "")

    def accept(self) -> None:
        row = self.list.currentRow()
        self.chosen = self.articles[row] if 0 <= row < len(self.articles) else None
        super().accept()


class NoteDialog(_ServiceDialog):
    """Complete a task (or write a note for a member) with what was done: kind, note, outcome and the
    next contact date; an article of the knowledge base can be inserted; a text note can be sent."""

    def __init__(self, state: AppState, *, member_name: str, task_id: int | None = None,
                 member_id: int | None = None, kind: str = "call", text: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.task_id, self.member_id = task_id, member_id
        self.setWindowTitle(self.tr("Contact note: {name}").format(name=member_name))
        self.kind = QComboBox(self)
        for code, label in NOTE_KINDS.items():
            self.kind.addItem(_t(label), code)
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.body = QPlainTextEdit(self)
        self.body.setPlaceholderText(self.tr("What was said or done"))
        self.body.setPlainText(text)
        self.insert_button = QPushButton(self.tr("Insert from the knowledge base…"), self)
        self.insert_button.setAutoDefault(False)
        self.insert_button.clicked.connect(self.pick_article)
        self.outcome = QLineEdit(self)
        self.outcome.setMaxLength(callbacks.MAX_OUTCOME)
        self.outcome.setPlaceholderText(self.tr("e.g. interested, no answer, resolved"))
        self.next_check = QCheckBox(self.tr("Next contact on"), self)
        self.next_date = _date_edit(self, state.ctx.today())
        self.next_date.setDate(self.next_date.date().addDays(14))
        self.next_date.setEnabled(False)
        self.next_check.toggled.connect(self.next_date.setEnabled)
        self.send_text = QCheckBox(self.tr("Also send it to the member as a text"), self)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        form = QFormLayout()
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Note"), self.body)
        form.addRow("", self.insert_button)
        form.addRow(self.tr("Outcome"), self.outcome)
        next_row = QHBoxLayout()
        next_row.addWidget(self.next_check)
        next_row.addWidget(self.next_date)
        next_row.addStretch(1)
        form.addRow("", next_row)
        form.addRow("", self.send_text)
        self.buttons = _save_cancel(self, self.tr("Save note"), self.tr("Cancel"))
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self._kind_changed()
        self.resize(560, 420)

    def _kind_changed(self) -> None:
        is_text = self.kind.currentData() == "text"
        self.send_text.setEnabled(is_text)
        if not is_text:
            self.send_text.setChecked(False)

    def insert(self, text: str) -> None:
        cursor = self.body.textCursor()
        cursor.insertText(text)
        self.body.setFocus()

    def pick_article(self) -> KnowledgePickDialog:
        dialog = KnowledgePickDialog(self.state, self)
        dialog.accepted.connect(lambda: dialog.chosen and self.insert(knowledge.as_text(dialog.chosen)))
        self.pick_dialog = dialog
        dialog.open()
        return dialog

    def save(self) -> None:
        ctx = self.state.ctx
        kw = dict(kind=self.kind.currentData(), body=self.body.toPlainText(), outcome=self.outcome.text(),
                  next_contact_on=_value(self.next_date) if self.next_check.isChecked() else None,
                  send_text=self.send_text.isChecked())
        task_id, member_id = self.task_id, self.member_id
        if task_id is not None:
            fn = lambda: callbacks.complete_task(ctx, task_id, **kw)  # noqa: E731
        else:
            fn = lambda: callbacks.add_note(ctx, member_id, **kw)  # noqa: E731
        self.submit(fn, self.buttons.button(QDialogButtonBox.StandardButton.Save))


class TaskDialog(_ServiceDialog):
    """A call-back task by hand: find the member, the due date and what to do."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setWindowTitle(self.tr("Add a call-back task"))
        self.who = QLineEdit(self)
        self.who.setPlaceholderText(self.tr("Phone, last 4 digits, card no. or name + Enter"))
        self.who.returnPressed.connect(self.find)
        self.member = QComboBox(self)
        self.due = _date_edit(self, state.ctx.today())
        self.reason = QLineEdit(self)
        self.reason.setMaxLength(callbacks.MAX_REASON)
        form = QFormLayout()
        form.addRow(self.tr("Member"), self.who)
        form.addRow("", self.member)
        form.addRow(self.tr("Due on"), self.due)
        form.addRow(self.tr("What to do"), self.reason)
        self.buttons = _save_cancel(self, self.tr("Add task"), self.tr("Cancel"))
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self.resize(520, 240)

    def find(self) -> None:
        ctx, text = self.state.ctx, self.who.text().strip()
        if text:
            self.state.tasks.run(lambda: members.find_members(ctx, text), self._found,
                                 lambda e: self.status.error(self.state.error_text(e)))

    def _found(self, picks) -> None:
        self.member.clear()
        for p in picks:
            self.member.addItem(f"{p.name} · {p.masked_phone}", p.id)
        if not picks:
            self.status.error(self.tr("No member found for “{query}”").format(query=self.who.text().strip()))
        else:
            self.status.clear()

    def save(self) -> None:
        member_id = self.member.currentData()
        if member_id is None:
            self.status.error(self.tr("Find the member first (type and press Enter)"))
            return
        ctx, due, reason = self.state.ctx, _value(self.due), self.reason.text()
        self.submit(lambda: callbacks.add_task(ctx, member_id, due, reason),
                    self.buttons.button(QDialogButtonBox.StandardButton.Save))


class ResolveDialog(_ServiceDialog):
    """Close a complaint with how it was resolved; optionally keep it as a typical case."""

    def __init__(self, state: AppState, complaint, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.complaint = complaint
        self.setWindowTitle(self.tr("Resolve complaint: {name}").format(name=complaint.member_name))
        said = QLabel(complaint.body, self)
        said.setWordWrap(True)
        self.resolution = QPlainTextEdit(self)
        self.resolution.setPlaceholderText(self.tr("How it was resolved"))
        self.as_case = QCheckBox(self.tr("Save as a typical case in the knowledge base"), self)
        self.buttons = _save_cancel(self, self.tr("Resolve"), self.tr("Cancel"))
        box = QVBoxLayout(self)
        box.addWidget(said)
        box.addWidget(self.resolution, 1)
        box.addWidget(self.as_case)
        box.addWidget(self.status)
        box.addWidget(self.buttons)
        self.resize(520, 320)

    def save(self) -> None:
        ctx, note_id, text, case = self.state.ctx, self.complaint.id, self.resolution.toPlainText(), \
            self.as_case.isChecked()

        def work():
            done = callbacks.resolve_complaint(ctx, note_id, text)
            if case:
                knowledge.save_case(ctx, note_id)
            return done

        self.submit(work, self.buttons.button(QDialogButtonBox.StandardButton.Save))


class CampaignDialog(_ServiceDialog):
    """A new campaign: who (filters), what (text, voucher), a live preview of reach and cost, send."""

    def __init__(self, state: AppState, tiers, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.client_ref = uuid.uuid4().hex     # a retried send returns the campaign already sent
        self.last_preview = None
        self.setWindowTitle(self.tr("New campaign"))
        self.name = QLineEdit(self)
        self.name.setMaxLength(80)
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("Standard"), "standard")
        self.kind.addItem(self.tr("Bring a friend"), "referral")
        # who
        self.tier_boxes: dict[str, QCheckBox] = {}
        tier_row = QHBoxLayout()
        for tier in tiers:
            box = QCheckBox(tier.name_zh if state.zh else tier.name_en, self)
            self.tier_boxes[tier.code] = box
            tier_row.addWidget(box)
        tier_row.addStretch(1)
        self.tags = QLineEdit(self)
        self.tags.setPlaceholderText(self.tr("Any of these tags, separated by spaces"))
        self.visit_after = DateField(self)
        self.visit_before = DateField(self)
        visit_row = QHBoxLayout()
        visit_row.addWidget(QLabel(self.tr("from"), self))
        visit_row.addWidget(self.visit_after)
        visit_row.addWidget(QLabel(self.tr("to"), self))
        visit_row.addWidget(self.visit_before)
        visit_row.addStretch(1)
        self.spend_min = QLineEdit(self)
        self.spend_max = QLineEdit(self)
        for w in (self.spend_min, self.spend_max):
            w.setPlaceholderText(self.tr("Any"))
            w.setMaximumWidth(120)
        spend_row = QHBoxLayout()
        spend_row.addWidget(self.spend_min)
        spend_row.addWidget(QLabel("–", self))
        spend_row.addWidget(self.spend_max)
        spend_row.addStretch(1)
        self.month = QComboBox(self)
        self.month.addItem(self.tr("Any month"), None)
        for m in range(1, 13):
            self.month.addItem(self.tr("Month {m}").format(m=m), m)
        self.segment = QComboBox(self)
        self.segment.addItem(self.tr("Any segment"), None)
        for code, label in SEGMENT_NAMES.items():
            self.segment.addItem(_t(label), code)
        # what
        self.body = QPlainTextEdit(self)
        self.body.setPlaceholderText(self.tr("Leave empty to use the campaign template (Messages › Templates). "
                                             "Placeholders: {name} {voucher} {voucher_code} {voucher_expiry} {min_spend}"))
        self.body.setMaximumHeight(90)
        self.with_voucher = QCheckBox(self.tr("Attach an e-voucher (one use, each member their own code)"), self)
        self.voucher_kind = QComboBox(self)
        self.voucher_kind.addItem(self.tr("Amount off"), "amount")
        self.voucher_kind.addItem(self.tr("Percent off"), "percent")
        self.voucher_value = QLineEdit(self)
        self.voucher_value.setMaximumWidth(120)
        self.voucher_min = QLineEdit(self)
        self.voucher_min.setMaximumWidth(120)
        self.voucher_min.setPlaceholderText("0")
        self.voucher_expiry = _date_edit(self, state.ctx.today())
        self.voucher_expiry.setDate(self.voucher_expiry.date().addDays(30))
        voucher_row = QHBoxLayout()
        for label, w in ((None, self.voucher_kind), (None, self.voucher_value), (self.tr("spend at least"), self.voucher_min),
                         (self.tr("valid until"), self.voucher_expiry)):
            if label:
                voucher_row.addWidget(QLabel(label, self))
            voucher_row.addWidget(w)
        voucher_row.addStretch(1)
        self.reward = int_spin(self, 0, campaigns.MAX_REFERRAL_POINTS)
        self.reward.setValue(200)
        # preview
        self.preview_label = QLabel(self)
        self.preview_label.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.sample = QLabel(self)
        self.sample.setWordWrap(True)
        self.sample.setProperty("role", "muted")

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Tiers"), tier_row)
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Last visit"), visit_row)
        form.addRow(self.tr("Total spend"), spend_row)
        form.addRow(self.tr("Birthday month"), self.month)
        form.addRow(self.tr("Segment"), self.segment)
        form.addRow(self.tr("Text"), self.body)
        form.addRow("", self.with_voucher)
        form.addRow(self.tr("Voucher"), voucher_row)
        form.addRow(self.tr("Referrer's reward (points)"), self.reward)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText(self.tr("Send…"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.preview_label)
        box.addWidget(self.sample)
        box.addWidget(self.status)
        box.addWidget(self.buttons)

        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh_preview)
        for w in (self.name, self.tags, self.spend_min, self.spend_max, self.voucher_value, self.voucher_min):
            w.textChanged.connect(self._changed)
        self.body.textChanged.connect(self._changed)
        for w in (self.kind, self.month, self.segment, self.voucher_kind):
            w.currentIndexChanged.connect(self._changed)
        for w in (self.visit_after, self.visit_before, self.voucher_expiry):
            w.dateChanged.connect(self._changed)
        for w in (*self.tier_boxes.values(), self.with_voucher):
            w.toggled.connect(self._changed)
        self.reward.valueChanged.connect(self._changed)
        self._enable()
        self.resize(760, 720)
        self.refresh_preview()

    def _changed(self, *_a) -> None:
        self._enable()
        self.timer.start()

    def _enable(self) -> None:
        referral = self.kind.currentData() == "referral"
        if referral and not self.with_voucher.isChecked():
            self.with_voucher.setChecked(True)
        self.with_voucher.setEnabled(not referral)
        on = self.with_voucher.isChecked()
        for w in (self.voucher_kind, self.voucher_value, self.voucher_min, self.voucher_expiry):
            w.setEnabled(on)
        self.reward.setEnabled(referral)

    def _amount(self, edit: QLineEdit, label: str) -> int | None:
        text = edit.text().strip()
        return None if not text else parse_amount(text, self.state.settings.currency, field=label, allow_zero=True)

    def spec(self) -> CampaignSpec:
        """The campaign as typed (raises ShopError on an amount that does not read)."""
        filters = Filters(
            tiers=tuple(code for code, box in self.tier_boxes.items() if box.isChecked()),
            tags=tuple(self.tags.text().split()), last_visit_after=self.visit_after.value(),
            last_visit_before=self.visit_before.value(), spend_min=self._amount(self.spend_min, self.tr("minimum spend")),
            spend_max=self._amount(self.spend_max, self.tr("maximum spend")), birthday_month=self.month.currentData(),
            segment=self.segment.currentData())
        voucher = None
        if self.with_voucher.isChecked():
            kind = self.voucher_kind.currentData()
            text = self.voucher_value.text().strip() or "0"
            if kind == "percent":
                try:
                    value = round(float(text.rstrip("%")) * 100)
                except ValueError:
                    value = -1
            else:
                value = parse_amount(text, self.state.settings.currency, field=self.tr("voucher"), allow_zero=True)
            voucher = VoucherTerms(value=value, kind=kind, expires_on=_value(self.voucher_expiry),
                                   min_spend=self._amount(self.voucher_min, self.tr("minimum spend")) or 0)
        return CampaignSpec(name=self.name.text().strip() or self.tr("Campaign"), filters=filters,
                            body=self.body.toPlainText(), voucher=voucher, kind=self.kind.currentData(),
                            referral_points=int(self.reward.value()))

    def refresh_preview(self) -> None:
        try:
            spec = self.spec()
        except ShopError as exc:
            self._preview_failed(exc)
            return
        ctx = self.state.ctx
        self.state.tasks.run(lambda: campaigns.preview(ctx, spec), self._previewed, self._preview_failed)

    def _previewed(self, p) -> None:
        self.last_preview = p
        self.status.clear()
        self.preview_label.setText(self.tr("{n} members will get it (of {matched} matching) · {segments} SMS segments")
                                   .format(n=self.state.number(p.reachable), matched=self.state.number(p.matched),
                                           segments=self.state.number(p.segments)))
        self.sample.setText(p.sample)
        self.send_button.setEnabled(p.reachable > 0)

    def _preview_failed(self, exc) -> None:
        self.last_preview = None
        self.preview_label.setText("")
        self.sample.setText("")
        self.send_button.setEnabled(False)
        self.status.error(self.state.error_text(exc))

    # the question before sending (tests answer it)
    def confirm(self, text: str) -> bool:
        return QMessageBox.question(self, self.tr("Send the campaign?"), text) == QMessageBox.StandardButton.Yes

    def send(self) -> None:
        try:
            spec = self.spec()
        except ShopError as exc:
            self.status.error(self.state.error_text(exc))
            return
        p = self.last_preview
        n, segs = (p.reachable, p.segments) if p else (0, 0)
        if not self.confirm(self.tr("Send “{name}” to {n} members now? It costs about {segments} SMS segments "
                                    "and cannot be called back.").format(name=spec.name, n=n, segments=segs)):
            return
        ctx, ref = self.state.ctx, self.client_ref
        self.submit(lambda: campaigns.send(ctx, spec, client_ref=ref), self.send_button)


# --- tabs ---------------------------------------------------------------------------------------------
class TodayTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.data = None
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.texts_box = QGroupBox(self)
        self.texts = _table(self, [self.tr("Time"), self.tr("Member"), self.tr("Kind"), self.tr("Text")], 3)
        self.cancel_text = QPushButton(self.tr("Cancel selected text"), self)
        self.cancel_text.clicked.connect(self.cancel_selected)
        self.approve_text = QPushButton(self.tr("Approve selected"), self)
        self.approve_text.clicked.connect(lambda: self.approve(all_held=False))
        self.approve_all = QPushButton(self.tr("Approve all waiting"), self)
        self.approve_all.setProperty("primary", True)
        self.approve_all.clicked.connect(lambda: self.approve(all_held=True))
        self.hold = QCheckBox(self.tr("Care texts wait for my approval"), self)
        self.hold.setToolTip(self.tr("Off: care texts go out with the sender (outside quiet hours) unless cancelled"))
        self.hold.toggled.connect(self.set_hold)
        tb = QVBoxLayout(self.texts_box)
        tb.addWidget(self.texts, 1)
        tb.addLayout(button_row(self.approve_all, self.approve_text, self.cancel_text, self.hold))
        self.calls_box = QGroupBox(self)
        self.calls = _table(self, [self.tr("Due"), self.tr("Member"), self.tr("Phone"), self.tr("Why")], 3)
        self.call_done = QPushButton(self.tr("Done, with a note…"), self)
        self.call_done.clicked.connect(lambda: self.complete(self.calls, self.data.calls if self.data else ()))
        cb = QVBoxLayout(self.calls_box)
        cb.addWidget(self.calls, 1)
        cb.addLayout(button_row(self.call_done))
        self.gifts_box = QGroupBox(self)
        self.gifts = _table(self, [self.tr("Due"), self.tr("Member"), self.tr("Gift")], 2)
        self.gift_done = QPushButton(self.tr("Handed over…"), self)
        self.gift_done.clicked.connect(lambda: self.complete(self.gifts, self.data.gifts if self.data else (), "visit"))
        gb = QVBoxLayout(self.gifts_box)
        gb.addWidget(self.gifts, 1)
        gb.addLayout(button_row(self.gift_done))
        lower = QHBoxLayout()
        lower.addWidget(self.calls_box, 3)
        lower.addWidget(self.gifts_box, 2)
        box = QVBoxLayout(self)
        box.addWidget(self.summary)
        box.addWidget(self.texts_box, 3)
        box.addLayout(lower, 2)
        box.addWidget(self.status)

    def load(self) -> None:
        from app.services import care

        ctx = self.state.ctx
        self.run(lambda: (care_today.today(ctx), care.load_config(ctx).hold_for_approval), self._loaded)

    def _loaded(self, result) -> None:
        d, hold = result
        self.hold.blockSignals(True)
        self.hold.setChecked(hold)
        self.hold.blockSignals(False)
        self.hold.setEnabled(self.state.role_allowed("change_settings"))
        self.data = d
        s = self.state
        self.summary.setText(self.tr("{date}: {texts} care texts going out, {calls} calls to make, {gifts} gifts to "
                                     "prepare").format(date=s.date(d.on), texts=len(d.texts), calls=len(d.calls),
                                                       gifts=len(d.gifts)))
        self.texts_box.setTitle(self.tr("Care texts going out today ({n})").format(n=len(d.texts)))
        self.calls_box.setTitle(self.tr("Calls to make ({n})").format(n=len(d.calls)))
        self.gifts_box.setTitle(self.tr("Gifts to prepare ({n})").format(n=len(d.gifts)))
        _fill(self.texts, [[s.time(m.created_at), f"{m.member_name or ''} · {m.masked_phone}",
                            kind_label(m.kind) + (self.tr(" · awaiting approval") if m.status == "held" else ""),
                            m.body.replace("\n", " ")] for m in d.texts])
        _fill(self.calls, [[s.date(x.due_on), x.member_name, x.masked_phone, x.reason] for x in d.calls],
              red={i for i, x in enumerate(d.calls) if x.due_on < d.on})
        _fill(self.gifts, [[s.date(x.due_on), x.member_name, x.reason] for x in d.gifts])
        allowed = s.role_allowed("manage_outbox")
        self.cancel_text.setEnabled(allowed and bool(d.texts))
        held = [m for m in d.texts if m.status == "held"]
        self.approve_text.setEnabled(allowed and bool(held))
        self.approve_all.setEnabled(allowed and bool(held))
        self.approve_all.setText(self.tr("Approve all waiting ({n})").format(n=len(held)) if held
                                 else self.tr("Approve all waiting"))
        self.call_done.setEnabled(bool(d.calls))
        self.gift_done.setEnabled(bool(d.gifts))

    def approve(self, *, all_held: bool) -> None:
        """Held care texts join the queue: the selected one, or every one waiting."""
        if self.data is None:
            return
        if all_held:
            ids = [m.id for m in self.data.texts if m.status == "held"]
        else:
            row = self.texts.currentRow()
            if not 0 <= row < len(self.data.texts) or self.data.texts[row].status != "held":
                self.status.error(self.tr("Choose a text that is waiting for approval"))
                return
            ids = [self.data.texts[row].id]
        ctx = self.state.ctx

        def job():
            for mid in ids:
                outbox_admin.approve(ctx, mid)
            return len(ids)

        self.run(job, lambda n: (self.status.ok(self.tr("%n text(s) approved: they go out with the sender", "", n)),
                                 self.load()))

    def set_hold(self, on: bool) -> None:
        """A care setting: the owner's password first; cancelled, the box shows what is saved again."""
        from app.ui.settings.owner_password import unlock

        self.password_dialog = unlock(self.state, self, "change_settings", lambda: self._set_hold(on))
        if self.password_dialog is not None:
            self.password_dialog.rejected.connect(self.load)

    def _set_hold(self, on: bool) -> None:
        from app.services import care

        ctx = self.state.ctx
        self.run(lambda: care.update_config(ctx, hold_for_approval=on), lambda _c: self.status.ok(
            self.tr("From now on care texts wait for approval") if on else self.tr("From now on care texts go out by themselves")))

    def cancel_selected(self) -> None:
        row = self.texts.currentRow()
        if self.data is None or not 0 <= row < len(self.data.texts):
            self.status.error(self.tr("Choose a text first"))
            return
        ctx, mid = self.state.ctx, self.data.texts[row].id
        self.run(lambda: outbox_admin.cancel(ctx, mid), lambda _r: (self.status.ok(self.tr("Text cancelled")), self.load()))

    def complete(self, table: QTableWidget, tasks, kind: str = "call"):
        row = table.currentRow()
        if not 0 <= row < len(tasks):
            self.status.error(self.tr("Choose a task first"))
            return None
        task = tasks[row]
        dialog = NoteDialog(self.state, member_name=task.member_name, task_id=task.id, kind=kind, parent=self)
        dialog.accepted.connect(self.load)
        self.note_dialog = dialog
        dialog.open()
        return dialog


class CallsTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.tasks_data: list = []
        self.complaints_data: list = []
        self.tasks = _table(self, [self.tr("Due"), self.tr("Member"), self.tr("Phone"), self.tr("From"),
                                   self.tr("What to do")], 4)
        self.tasks.doubleClicked.connect(lambda _i: self.complete())
        self.complete_button = QPushButton(self.tr("Complete with a note…"), self)
        self.complete_button.clicked.connect(self.complete)
        self.add_button = QPushButton(self.tr("Add a task…"), self)
        self.add_button.clicked.connect(self.add)
        self.cancel_button = QPushButton(self.tr("Cancel task"), self)
        self.cancel_button.clicked.connect(self.cancel)
        self.complaints_box = QGroupBox(self)
        self.complaints = _table(self, [self.tr("Date"), self.tr("Member"), self.tr("Complaint"), self.tr("Outcome")], 2)
        self.resolve_button = QPushButton(self.tr("Resolve…"), self)
        self.resolve_button.clicked.connect(self.resolve)
        cb = QVBoxLayout(self.complaints_box)
        cb.addWidget(self.complaints, 1)
        cb.addLayout(button_row(self.resolve_button))
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(self.tasks, 3)
        box.addLayout(button_row(self.complete_button, self.add_button, self.cancel_button))
        box.addWidget(self.complaints_box, 2)
        box.addWidget(self.status)

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: (callbacks.open_tasks(ctx), callbacks.open_complaints(ctx)), self._loaded)

    def _loaded(self, data) -> None:
        self.tasks_data, self.complaints_data = list(data[0]), list(data[1])
        s, today = self.state, self.state.ctx.today()
        overdue = sum(1 for x in self.tasks_data if x.due_on < today)
        self.title.setText(self.tr("Open call-back tasks: {n} ({overdue} overdue)").format(
            n=len(self.tasks_data), overdue=overdue))
        _fill(self.tasks, [[s.date(x.due_on), x.member_name + (" ⚠" if x.open_complaint else ""), x.masked_phone,
                            _t(SOURCES.get(x.source, x.source)) if x.source in SOURCES else x.source, x.reason]
                           for x in self.tasks_data], red={i for i, x in enumerate(self.tasks_data) if x.due_on < today})
        self.complaints_box.setTitle(self.tr("Open complaints ({n})").format(n=len(self.complaints_data)))
        _fill(self.complaints, [[s.datetime(x.created_at), x.member_name, x.body, x.outcome]
                                for x in self.complaints_data])
        for b in (self.complete_button, self.cancel_button):
            b.setEnabled(bool(self.tasks_data))
        self.resolve_button.setEnabled(bool(self.complaints_data) and s.role_allowed("resolve_complaint"))

    def selected_task(self):
        row = self.tasks.currentRow()
        return self.tasks_data[row] if 0 <= row < len(self.tasks_data) else None

    def complete(self, text: str = ""):
        task = self.selected_task()
        if task is None:
            self.status.error(self.tr("Choose a task first"))
            return None
        kind = "visit" if task.source == "gift" else "call"
        dialog = NoteDialog(self.state, member_name=task.member_name, task_id=task.id, kind=kind, text=text, parent=self)
        dialog.accepted.connect(lambda: self._completed(dialog))
        self.note_dialog = dialog
        dialog.open()
        return dialog

    def _completed(self, dialog: NoteDialog) -> None:
        r = dialog.result_value
        if r is not None and getattr(r, "next_task", None):
            self.status.ok(self.tr("Done. Next contact on {date}").format(date=self.state.date(r.next_task.due_on)))
        else:
            self.status.ok(self.tr("Done"))
        self.load()

    def add(self) -> TaskDialog:
        dialog = TaskDialog(self.state, self)
        dialog.accepted.connect(self.load)
        self.task_dialog = dialog
        dialog.open()
        return dialog

    def cancel(self) -> None:
        task = self.selected_task()
        if task is None:
            self.status.error(self.tr("Choose a task first"))
            return
        ctx, tid, why = self.state.ctx, task.id, self.tr("cancelled on the care screen")
        self.run(lambda: callbacks.cancel_task(ctx, tid, why), lambda _r: self.load())

    def resolve(self):
        row = self.complaints.currentRow()
        if not 0 <= row < len(self.complaints_data):
            self.status.error(self.tr("Choose a complaint first"))
            return None
        dialog = ResolveDialog(self.state, self.complaints_data[row], self)
        dialog.accepted.connect(self.load)
        self.resolve_dialog = dialog
        dialog.open()
        return dialog


class CampaignsTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.rows: list = []
        self.table = _table(self, [self.tr("Sent on"), self.tr("Name"), self.tr("Kind"), self.tr("Recipients"),
                                   self.tr("Delivered"), self.tr("Failed"), self.tr("Segments"),
                                   self.tr("Vouchers used"), self.tr("Revenue")], 1)
        self.table.currentCellChanged.connect(lambda *_a: self._show_detail())
        self.new_button = QPushButton(self.tr("New campaign…"), self)
        self.new_button.clicked.connect(self.new_campaign)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QVBoxLayout(self)
        box.addLayout(button_row(self.new_button))
        box.addWidget(self.table, 1)
        box.addWidget(self.detail)
        box.addWidget(self.status)

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: campaigns.list_campaigns(ctx), self._loaded)
        self.new_button.setEnabled(self.state.role_allowed("send_campaign"))

    def _loaded(self, rows) -> None:
        self.rows = list(rows)
        s = self.state
        _fill(self.table, [[s.datetime(c.created_at), c.name,
                            self.tr("Bring a friend") if c.kind == "referral" else self.tr("Standard"),
                            s.number(c.results.recipients), s.number(c.results.sent), s.number(c.results.failed),
                            s.number(c.segments),
                            f"{s.number(c.results.vouchers_redeemed)} / {s.number(c.results.vouchers_issued)}",
                            s.money(c.results.revenue)] for c in self.rows], right=(3, 4, 5, 6, 7, 8))
        if self.rows:
            self.table.selectRow(0)
        self._show_detail()

    def _show_detail(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.detail.setText("")
            return
        c, s = self.rows[row], self.state
        r = c.results
        parts = [self.tr("Queued {q} · delivered {d} · failed {f} · cancelled {x}").format(
            q=r.queued, d=r.sent, f=r.failed, x=r.cancelled)]
        if c.voucher:
            v = c.voucher
            value = f"{v.value / 100:g}%" if v.kind == "percent" else s.money(v.value)
            parts.append(self.tr("Voucher {value}, spend at least {min}, until {date}: {used} of {issued} used, "
                                 "sales {revenue}").format(value=value, min=s.money(v.min_spend), date=s.date(v.expires_on),
                                                           used=r.vouchers_redeemed, issued=r.vouchers_issued,
                                                           revenue=s.money(r.revenue)))
        if c.kind == "referral":
            parts.append(self.tr("Referrers credited: {n} (each {points} points)").format(
                n=r.referrals_credited, points=c.referral_points))
        self.detail.setText("\n".join(parts))

    def new_campaign(self):
        ctx = self.state.ctx
        self.run(lambda: shop_admin.list_tiers(ctx), self._open_dialog)

    def _open_dialog(self, tiers) -> CampaignDialog:
        dialog = CampaignDialog(self.state, tiers, self)
        dialog.accepted.connect(lambda: (self.status.ok(self.tr("Campaign sent: %n text(s) queued", "",
            dialog.result_value.results.recipients)), self.load()))
        self.dialog = dialog
        dialog.open()
        return dialog


class KnowledgeTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.articles: list = []
        self.current_id: int | None = None
        self.query = QLineEdit(self)
        self.query.setPlaceholderText(self.tr("Search in Chinese or English"))
        self.query.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.currentRowChanged.connect(self._show)
        self.title = QLineEdit(self)
        self.tags = QLineEdit(self)
        self.tags.setPlaceholderText(self.tr("Tags, separated by spaces"))
        self.body = QPlainTextEdit(self)
        self.source = QLabel(self)
        self.source.setProperty("role", "muted")
        self.new_button = QPushButton(self.tr("New article"), self)
        self.new_button.clicked.connect(self.new_article)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.delete_button.clicked.connect(self.delete)
        self.insert_button = QPushButton(self.tr("Insert into a note…"), self)
        self.insert_button.setToolTip(self.tr("Opens the note for the task chosen on the call list"))
        self.insert_button.clicked.connect(self.insert_into_note)
        left = QWidget(self)
        lb = QVBoxLayout(left)
        lb.setContentsMargins(0, 0, 0, 0)
        lb.addWidget(self.query)
        lb.addWidget(self.list, 1)
        right = QWidget(self)
        form = QFormLayout(right)
        form.setContentsMargins(8, 0, 0, 0)
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Text"), self.body)
        form.addRow("", self.source)
        split = QSplitter(self)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([340, 760])
        box = QVBoxLayout(self)
        box.addWidget(split, 1)
        box.addLayout(button_row(self.new_button, self.save_button, self.delete_button, self.insert_button))
        box.addWidget(self.status)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.load)
        self.query.textChanged.connect(lambda _t: self.timer.start())
        self.calls_tab: CallsTab | None = None

    def load(self) -> None:
        ctx, q = self.state.ctx, self.query.text()
        self.run(lambda: knowledge.search(ctx, q), self._loaded)
        editable = self.state.role_allowed("edit_knowledge")
        for b in (self.new_button, self.save_button, self.delete_button):
            b.setEnabled(editable)

    def _loaded(self, articles, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else self.current_id
        self.articles = list(articles)
        self.list.blockSignals(True)
        self.list.clear()
        for a in self.articles:
            item = QListWidgetItem(a.title)
            item.setToolTip(" ".join("#" + x for x in a.tags))
            self.list.addItem(item)
        self.list.blockSignals(False)
        ids = [a.id for a in self.articles]
        self.list.setCurrentRow(ids.index(keep) if keep in ids else (0 if ids else -1))
        if not ids:
            self._show(-1)

    def _show(self, row: int) -> None:
        a = self.articles[row] if 0 <= row < len(self.articles) else None
        self.current_id = a.id if a else None
        self.title.setText(a.title if a else "")
        self.tags.setText(" ".join(a.tags) if a else "")
        self.body.setPlainText(a.body if a else "")
        names = {"case": self.tr("A typical case, from a resolved complaint"), "seed": self.tr("A default article"),
                 "manual": self.tr("Written by the shop")}
        self.source.setText(self.tr("{what} · updated {when}").format(what=names.get(a.source, a.source),
                                                                      when=self.state.datetime(a.updated_at)) if a else "")

    def new_article(self) -> None:
        self.list.clearSelection()
        self.current_id = None
        self.title.clear()
        self.tags.clear()
        self.body.clear()
        self.source.setText(self.tr("New article: type it and save"))
        self.title.setFocus()

    def save(self) -> None:
        ctx, aid = self.state.ctx, self.current_id
        title, body, tags = self.title.text(), self.body.toPlainText(), self.tags.text()
        q = self.query.text()

        def work():
            a = (knowledge.add(ctx, title, body, tags) if aid is None
                 else knowledge.update(ctx, aid, title=title, body=body, tags=tags))
            return a, knowledge.search(ctx, q)

        self.run(work, lambda r: (self.status.ok(self.tr("Saved")), self._loaded(r[1], r[0].id)))

    def delete(self) -> None:
        if self.current_id is None:
            return
        ctx, aid, q = self.state.ctx, self.current_id, self.query.text()
        self.current_id = None
        self.run(lambda: (knowledge.remove(ctx, aid), knowledge.search(ctx, q))[1],
                 lambda rows: (self.status.ok(self.tr("Deleted")), self._loaded(rows)))

    def insert_into_note(self):
        if self.calls_tab is None or self.calls_tab.selected_task() is None:
            self.status.error(self.tr("Choose a task on the call list first"))
            return None
        return self.calls_tab.complete(self.body.toPlainText())


class CareScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Care"), self)
        title.setProperty("role", "title")
        self.tabs = QTabWidget(self)
        self.today = TodayTab(state, self.tabs)
        self.calls = CallsTab(state, self.tabs)
        self.campaigns = CampaignsTab(state, self.tabs)
        self.knowledge = KnowledgeTab(state, self.tabs)
        self.knowledge.calls_tab = self.calls
        self.tabs.addTab(self.today, self.tr("Today"))
        self.tabs.addTab(self.calls, self.tr("Call list"))
        self.tabs.addTab(self.campaigns, self.tr("Campaigns"))
        self.tabs.addTab(self.knowledge, self.tr("Knowledge base"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self.activated())

    def all_tabs(self) -> list[_Tab]:
        return [self.today, self.calls, self.campaigns, self.knowledge]

    def activated(self) -> None:
        """Shown: read everything afresh (the care engine and other tills change it)."""
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()


TAB_FILES = ("today", "calls", "campaigns", "knowledge")
