"""The Messages screen: the outbox (filters, counts by status, send again, cancel, and the texts
whose sending is unknown to settle), the template editor with a live preview and SMS parts, the
texting rules (quiet hours, daily cap, opt-out lines) and the gateway with a test text.

Every read and write runs on the task runner (database on "db", gateway calls on "io"). The
gateway settings, gateways and sender are the sending side's modules, imported when used: without
them the screen still works for the outbox and templates and says sending is not available.
"""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QFrame, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton,
                               QTableView, QTabWidget, QVBoxLayout, QWidget)

from app.errors import ShopError
from app.services.texts import outbox_admin, templates
from app.services.admin import shop_admin
from app.services.base import settings as shop_settings
from app.ui import style
from app.ui.texts.background_sender import sending_modules
from app.ui.settings.owner_password import owner_gated
from app.ui.texts.outbox_model import (STATUS_COLORS, UNKNOWN_HINT, OutboxFilter, OutboxModel, kind_label,
                                 status_label)
from app.ui.state import AppState
from app.ui.widgets import DateField, Tab, button_row, capped, int_spin

DEBOUNCE_MS = 300
FILTER_KINDS = ("ebill", "birthday", "anniversary", "holiday", "tier_care", "winback", "campaign", "satisfaction", "test")
TEMPLATE_KINDS = list(templates.KINDS)
LANG_NAMES = {"zh_CN": QT_TRANSLATE_NOOP("TemplatesTab", "Chinese"), "en": QT_TRANSLATE_NOOP("TemplatesTab", "English")}
CATEGORY_NOTES = {
    "transactional": QT_TRANSLATE_NOOP(
        "TemplatesTab", "A service text: it goes unless the member turned e-bills off, without an opt-out line."),
    "care": QT_TRANSLATE_NOOP(
        "TemplatesTab", "A care text: only to members who agreed to care texts. The shop signature and the "
                        "opt-out line are added when the text leaves them out."),
    "marketing": QT_TRANSLATE_NOOP(
        "TemplatesTab", "A marketing text: only to members who agreed to offers. The shop signature and the "
                        "opt-out line are added when the text leaves them out."),
}
UNAVAILABLE = QT_TRANSLATE_NOOP("MessagesScreen", "Sending texts is not available in this build: the gateway "
                                                  "and sender modules are missing.")


def _flag(widget: QWidget, color: str) -> None:
    widget.setStyleSheet(f"background: {color}; border: 1px solid #e0c27a; border-radius: 6px; padding: 8px 10px;")


# --- the outbox ----------------------------------------------------------------------------------------
class OutboxTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.counts: dict[str, int] = {}
        self.count_buttons: dict[str | None, QPushButton] = {}
        counts_row = QHBoxLayout()
        counts_row.setSpacing(6)
        for status in (None, *outbox_admin.STATUSES):
            b = QPushButton(self)
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _c=False, s=status: self.show_status(s))
            self.count_buttons[status] = b
            counts_row.addWidget(b)
        counts_row.addStretch(1)

        self.unknown_banner = QFrame(self)
        _flag(self.unknown_banner, STATUS_COLORS["unknown"])
        self.unknown_text = QLabel(self.unknown_banner)
        self.unknown_text.setWordWrap(True)
        self.show_unknown = QPushButton(self.tr("Show them"), self.unknown_banner)
        self.show_unknown.clicked.connect(lambda: self.show_status("unknown"))
        banner = QHBoxLayout(self.unknown_banner)
        banner.setContentsMargins(4, 2, 4, 2)
        banner.addWidget(self.unknown_text, 1)
        banner.addWidget(self.show_unknown)
        self.unknown_banner.hide()

        self.status_pick = QComboBox(self)
        self.status_pick.addItem(self.tr("Every status"), None)
        for s in outbox_admin.STATUSES:
            self.status_pick.addItem(status_label(s), s)
        self.kind_pick = QComboBox(self)
        self.kind_pick.addItem(self.tr("Every kind"), None)
        for k in FILTER_KINDS:
            self.kind_pick.addItem(kind_label(k), k)
        self.who = QLineEdit(self)
        self.who.setPlaceholderText(self.tr("Phone, last 4 digits or member name"))
        self.who.setClearButtonEnabled(True)
        self.who.setMinimumWidth(240)
        self.date_from = DateField(self)
        self.date_to = DateField(self)
        self.clear_filters = QPushButton(self.tr("Clear filters"), self)
        filters = QHBoxLayout()
        filters.addWidget(self.status_pick)
        filters.addWidget(self.kind_pick)
        filters.addWidget(self.who, 1)
        filters.addWidget(QLabel(self.tr("From"), self))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(self.tr("to"), self))
        filters.addWidget(self.date_to)
        filters.addWidget(self.clear_filters)

        self.model = OutboxModel(state, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        for i, width in enumerate((140, 90, 115, 110, 110, 50, 330)):
            self.table.setColumnWidth(i, width)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(48)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setProperty("role", "muted")
        self.retry = QPushButton(self.tr("Send again"), self)
        self.cancel = QPushButton(self.tr("Cancel text"), self)
        self.mark_sent = QPushButton(self.tr("Customer got it: mark sent"), self)
        self.mark_failed = QPushButton(self.tr("Customer did not: mark not sent"), self)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.action_buttons = [self.retry, self.cancel, self.mark_sent, self.mark_failed]
        self.sender_line = QLabel(self)
        self.sender_line.setProperty("role", "muted")
        self.send_now = QPushButton(self.tr("Send due texts now"), self)

        box = QVBoxLayout(self)
        box.addLayout(counts_row)
        box.addWidget(self.unknown_banner)
        box.addLayout(filters)
        box.addWidget(self.table, 1)
        box.addWidget(self.detail)
        box.addLayout(button_row(self.retry, self.cancel, self.mark_sent, self.mark_failed, self.refresh_button))
        box.addWidget(self.status)
        sender_row = QHBoxLayout()
        sender_row.addWidget(self.sender_line, 1)
        sender_row.addWidget(self.send_now)
        box.addLayout(sender_row)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.apply_filter)
        self.who.textChanged.connect(lambda _t: self._timer.start())
        self.who.returnPressed.connect(self.apply_filter)
        for pick in (self.status_pick, self.kind_pick):
            pick.currentIndexChanged.connect(lambda _i: self.apply_filter())
        for field in (self.date_from, self.date_to):
            field.dateChanged.connect(lambda _d: self.apply_filter())
        self.clear_filters.clicked.connect(self.clear)
        self.refresh_button.clicked.connect(self.load)
        self.retry.clicked.connect(self.retry_selected)
        self.cancel.clicked.connect(self.cancel_selected)
        self.mark_sent.clicked.connect(lambda: self.resolve_selected(True))
        self.mark_failed.clicked.connect(lambda: self.resolve_selected(False))
        self.send_now.clicked.connect(self.send_due_now)
        self.model.loaded.connect(lambda _n: self._select_first())
        self.model.failed.connect(self.status.error)
        self.model.modelReset.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._selection_changed())
        self._show_counts()
        self._selection_changed()
        self._watch_sender()

    # --- the question before sending again what may have been sent (tests answer it) ----------------
    def confirm(self, text: str) -> bool:
        return QMessageBox.question(self, self.tr("Send again?"), text) == QMessageBox.StandardButton.Yes

    # --- loading ----------------------------------------------------------------------------------
    def current_filter(self) -> OutboxFilter:
        return OutboxFilter(status=self.status_pick.currentData(), kind=self.kind_pick.currentData(),
                            who=self.who.text().strip(), date_from=self.date_from.value(),
                            date_to=self.date_to.value())

    def load(self) -> None:
        self.status.clear()
        self.model.set_filter(self.current_filter())
        self.load_counts()

    def apply_filter(self, *, again: bool = False) -> None:
        self._timer.stop()
        f = self.current_filter()
        for status, b in self.count_buttons.items():
            b.setChecked(status == f.status)
        if again or f != self.model.filter or not self.model.pages_loaded:
            self.status.clear()
            self.model.set_filter(f)

    def clear(self) -> None:
        for w in (self.status_pick, self.kind_pick, self.who, self.date_from, self.date_to):
            w.blockSignals(True)
        self.status_pick.setCurrentIndex(0)
        self.kind_pick.setCurrentIndex(0)
        self.who.clear()
        self.date_from.set_value(None)
        self.date_to.set_value(None)
        for w in (self.status_pick, self.kind_pick, self.who, self.date_from, self.date_to):
            w.blockSignals(False)
        self.apply_filter()

    def show_status(self, status: str | None) -> None:
        """The texts with ``status``, read afresh (a count button is also a refresh)."""
        self.status_pick.blockSignals(True)
        self.status_pick.setCurrentIndex(max(0, self.status_pick.findData(status)))
        self.status_pick.blockSignals(False)
        self.apply_filter(again=True)
        self.load_counts()

    def load_counts(self) -> None:
        ctx = self.state.ctx
        self.state.tasks.run(lambda: outbox_admin.status_counts(ctx), self._got_counts,
                             lambda exc: self.status.error(self.state.error_text(exc)))

    def _got_counts(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._show_counts()

    def _show_counts(self) -> None:
        c = self.counts
        total = sum(c.values())
        for status, b in self.count_buttons.items():
            n = total if status is None else c.get(status, 0)
            label = self.tr("All") if status is None else status_label(status)
            b.setText(f"{label} {self.state.number(n)}")
            b.setChecked(status == self.status_pick.currentData())
            hot = status in ("failed", "unknown") and n > 0
            b.setStyleSheet(f"background: {STATUS_COLORS[status]};" if hot else "")
        unknown = c.get("unknown", 0)
        self.unknown_banner.setVisible(unknown > 0)
        self.unknown_text.setText(self.tr(
            "⚠ %Ln text(s) may or may not have been sent — check with the customer, then mark each one sent "
            "or not sent (or send it again, which may send it twice).", "", unknown))

    def _select_first(self) -> None:
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.setCurrentIndex(self.model.index(0, 0))
        self._selection_changed()

    # --- the selected text -------------------------------------------------------------------------
    def selected(self):
        index = self.table.currentIndex()
        return self.model.message(index.row()) if index.isValid() else None

    def _selection_changed(self) -> None:
        m = self.selected()
        allowed = self.state.role_allowed("manage_outbox")
        self.retry.setEnabled(allowed and m is not None and m.status in outbox_admin.RETRYABLE)
        self.cancel.setEnabled(allowed and m is not None and m.status in outbox_admin.CANCELLABLE)
        for b in (self.mark_sent, self.mark_failed):
            b.setEnabled(allowed and m is not None and m.status == "unknown")
            b.setVisible(m is not None and m.status == "unknown")
        if m is None:
            self.detail.setText(self.tr("Choose a text to see it in full."))
            return
        facts = [status_label(m.status), self.tr("%Ln part(s)", "", m.segments),
                 self.tr("%Ln attempt(s)", "", m.attempts)]
        if m.sent_at:
            facts.append(self.tr("sent {time}").format(time=self.state.datetime(m.sent_at)))
        if m.provider_id:
            facts.append(self.tr("gateway id {id}").format(id=m.provider_id))
        if m.last_error:
            facts.append(self.tr("gateway answer: {error}").format(error=m.last_error))
        if m.status == "unknown":
            facts.append(QCoreApplication.translate("OutboxModel", UNKNOWN_HINT))
        self.detail.setText(f"{m.body}\n" + " · ".join(facts))

    def apply_permissions(self) -> None:
        self._selection_changed()

    def _change(self, fn, message: str) -> None:
        m = self.selected()
        if m is None:
            self.status.error(self.tr("Choose a text first."))
            return
        ctx, message_id = self.state.ctx, m.id

        def work():
            return fn(ctx, message_id), outbox_admin.status_counts(ctx)

        def done(result) -> None:
            row, counts = result
            self.model.update_message(row)
            self._got_counts(counts)
            self._selection_changed()
            self.status.ok(message.format(id=row.id))

        self.run(work, done, busy=self.action_buttons)

    def retry_selected(self) -> None:
        m = self.selected()
        if m is not None and m.status == "unknown" and not self.confirm(self.tr(
                "This text may already have reached the customer. Sending it again may send it twice. "
                "Send it again anyway?")):
            return
        self._change(outbox_admin.retry, self.tr("Text {id} is queued again: it goes with the next run."))

    def cancel_selected(self) -> None:
        self._change(outbox_admin.cancel, self.tr("Text {id} is cancelled: it will not be sent."))

    def resolve_selected(self, was_sent: bool) -> None:
        self._change(lambda ctx, mid: outbox_admin.resolve_unknown(ctx, mid, was_sent),
                     self.tr("Text {id} is marked as sent.") if was_sent else
                     self.tr("Text {id} is marked as not sent."))

    # --- the background sender ------------------------------------------------------------------------
    def _watch_sender(self) -> None:
        sender = getattr(self.state, "sender", None)
        if sender is None:
            self.sender_line.setText(QCoreApplication.translate("MessagesScreen", UNAVAILABLE)
                                     if sending_modules() is None else
                                     self.tr("Texts are sent by the app while it runs, every 30 seconds."))
            self.send_now.setEnabled(False)
            return
        sender.changed.connect(self._sender_changed)
        sender.ran.connect(self._sender_ran)
        self._sender_changed()

    def _sender_ran(self, _report) -> None:
        # The counts follow each run; the list only on Refresh, so it never jumps under the reader.
        if self.isVisible():
            self.load_counts()

    def _sender_changed(self) -> None:
        sender = self.state.sender
        self.sender_line.setText(sender.summary() or self.tr("Texts are sent every 30 seconds while the app runs."))
        self.send_now.setEnabled(sender.available and not sender.running)

    def send_due_now(self) -> None:
        sender = getattr(self.state, "sender", None)
        if sender is not None:
            sender.run_now()


# --- templates ----------------------------------------------------------------------------------------
class TemplatesTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.kind = QComboBox(self)
        for k in TEMPLATE_KINDS:
            self.kind.addItem(kind_label(k), k)
        self.lang = QComboBox(self)
        for code in LANG_NAMES:  # the languages a template is kept in (app/services/texts/templates.py)
            self.lang.addItem(self.tr(LANG_NAMES[code]), code)
        self.lang.setCurrentIndex(max(0, self.lang.findData(templates._lang(state.lang))))
        self.which = QLabel(self)
        self.which.setProperty("role", "muted")
        self.category_note = QLabel(self)
        self.category_note.setWordWrap(True)
        self.category_note.setProperty("role", "muted")
        self.editor = QPlainTextEdit(self)
        self.editor.setMaximumHeight(110)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.placeholder_row = QHBoxLayout()
        self.placeholder_row.setSpacing(4)
        self.placeholder_buttons: list[QPushButton] = []
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview.setMinimumHeight(70)
        self.preview.setStyleSheet("background: #eef5ff; border: 1px solid #c9d8f0; border-radius: 10px; "
                                   "padding: 10px 12px; font-size: 15px;")
        self.counter = QLabel(self)
        self.save = QPushButton(self.tr("Save text"), self)
        self.save.setProperty("primary", True)
        self.reset = QPushButton(self.tr("Back to the default"), self)
        self.save_buttons = [self.save, self.reset]

        pickers = QHBoxLayout()
        pickers.addWidget(QLabel(self.tr("Text for"), self))
        pickers.addWidget(self.kind)
        pickers.addWidget(QLabel(self.tr("in"), self))
        pickers.addWidget(self.lang)
        pickers.addSpacing(12)
        pickers.addWidget(self.which)
        pickers.addStretch(1)
        insert = QHBoxLayout()
        insert.addWidget(QLabel(self.tr("Insert:"), self))
        insert.addLayout(self.placeholder_row)
        insert.addStretch(1)
        preview_head = QLabel(self.tr("Preview with sample values (what the customer's phone shows)"), self)
        preview_head.setProperty("role", "muted")
        box = QVBoxLayout(self)
        box.addLayout(pickers)
        box.addWidget(self.category_note)
        box.addWidget(self.editor)
        box.addLayout(insert)
        box.addWidget(self.error)
        box.addWidget(preview_head)
        box.addWidget(self.preview)
        box.addWidget(self.counter)
        box.addLayout(button_row(self.save, self.reset))
        box.addWidget(self.status)
        box.addStretch(1)

        self.kind.currentIndexChanged.connect(lambda _i: self.load())
        self.lang.currentIndexChanged.connect(lambda _i: self.load())
        self.editor.textChanged.connect(self.update_preview)
        self.save.clicked.connect(self.submit)
        self.reset.clicked.connect(self.reset_to_default)
        self._show_kind()

    def current(self) -> tuple[str, str]:
        return self.kind.currentData(), self.lang.currentData()

    def _show_kind(self) -> None:
        kind, _lang = self.current()
        spec = templates.KINDS[kind]
        self.category_note.setText(self.tr(CATEGORY_NOTES[spec.category]))
        for b in self.placeholder_buttons:
            self.placeholder_row.removeWidget(b)
            b.hide()  # until deleted it would still be drawn, at the tab's corner
            b.deleteLater()
        self.placeholder_buttons = []
        for name in spec.placeholders:
            b = QPushButton("{" + name + "}", self)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setStyleSheet("padding: 3px 8px; font-size: 13px;")
            b.clicked.connect(lambda _c=False, n=name: self.editor.insertPlainText("{" + n + "}"))
            self.placeholder_row.addWidget(b)
            self.placeholder_buttons.append(b)

    def load(self) -> None:
        self._show_kind()
        kind, lang = self.current()
        ctx = self.state.ctx

        def shown(result) -> None:
            if (kind, lang) != self.current():
                return  # the pickers moved on meanwhile
            text, custom = result
            self.editor.setPlainText(text)
            self._show_which(custom)
            self.update_preview()

        self.run(lambda: (templates.template_for(ctx, kind, lang), templates.is_custom(ctx, kind, lang)), shown)

    def _show_which(self, custom: bool) -> None:
        self.which.setText(self.tr("The shop's own text") if custom else self.tr("The default text"))

    def problem(self) -> str | None:
        kind, _lang = self.current()
        try:
            templates.validate(kind, self.editor.toPlainText().strip())
        except ShopError as exc:
            return self.state.error_text(exc)
        return None

    def update_preview(self) -> None:
        """Per keystroke, on the UI thread: pure string work, no database."""
        kind, lang = self.current()
        text = self.editor.toPlainText()
        problem = self.problem()
        self.error.setText(problem or "")
        self.error.setVisible(problem is not None)
        p = templates.preview_text(self.state.settings, kind, lang, text)
        self.preview.setText(p.text)
        per = 70 if p.encoding == "UCS-2" else 160
        self.counter.setText(self.tr("{chars} characters · {segments} SMS part(s) · {encoding} "
                                     "({per} characters fit in one text)").format(
            chars=self.state.number(p.chars), segments=self.state.number(p.segments), encoding=p.encoding,
            per=per))
        self.counter.setStyleSheet(f"color: {style.DANGER if p.segments > 1 else style.MUTED};")
        self.last_preview = p

    @owner_gated("change_settings")
    def submit(self) -> None:
        kind, lang = self.current()
        text = self.editor.toPlainText()
        problem = self.problem()
        if problem:
            self.status.error(problem)
            return
        ctx = self.state.ctx

        def saved(custom: bool) -> None:
            self._show_which(custom)
            self.status.ok(self.tr("Saved: new texts use it now."))

        def work():
            templates.save_template(ctx, kind, lang, text)
            return templates.is_custom(ctx, kind, lang)

        self.run(work, saved, busy=self.save_buttons)

    @owner_gated("change_settings")
    def reset_to_default(self) -> None:
        kind, lang = self.current()
        ctx = self.state.ctx

        def done(text: str) -> None:
            self.editor.setPlainText(text)
            self._show_which(False)
            self.status.ok(self.tr("Back to the default text."))

        def work():
            templates.reset_template(ctx, kind, lang)
            return templates.template_for(ctx, kind, lang)

        self.run(work, done, busy=self.save_buttons)


# --- texting rules ---------------------------------------------------------------------------------------
class TextingTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.quiet_start = QLineEdit(self)
        self.quiet_end = QLineEdit(self)
        for w in (self.quiet_start, self.quiet_end):
            w.setInputMask("99:99")
            w.setMaximumWidth(90)
        self.cap = int_spin(self, 0, 20)
        self.cap.setMaximumWidth(90)
        self.optout_zh = QLineEdit(self)
        self.optout_en = QLineEdit(self)
        self.save = QPushButton(self.tr("Save texting rules"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.save]
        self.available = hasattr(shop_admin, "update_texting")
        quiet = QHBoxLayout()
        quiet.addWidget(self.quiet_start)
        quiet.addWidget(QLabel(self.tr("to"), self))
        quiet.addWidget(self.quiet_end)
        quiet.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Quiet hours (shop time)"), quiet)
        form.addRow(self.tr("Care and offer texts a member gets a day, at most"), self.cap)
        form.addRow(self.tr("Opt-out line in Chinese"), self.optout_zh)
        form.addRow(self.tr("Opt-out line in English"), self.optout_en)
        note = QLabel(self.tr("Texts due in quiet hours wait until they end; none is dropped. E-bills are not "
                              "counted in the daily cap. Care and offer texts end with the opt-out line, and "
                              "STOP, 退订 or T in a reply opts the member out."), self)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        box = QVBoxLayout(self)
        box.addWidget(capped(form, self))
        box.addWidget(note)
        if not self.available:
            missing = QLabel(QCoreApplication.translate("MessagesScreen", UNAVAILABLE), self)
            missing.setProperty("role", "error")
            box.addWidget(missing)
        box.addLayout(button_row(self.save))
        box.addWidget(self.status)
        box.addStretch(1)
        self.save.clicked.connect(self.submit)

    def can_change(self) -> bool:
        return self.available and super().can_change()

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: shop_settings.load(ctx), self.show_settings)

    def show_settings(self, cfg) -> None:
        self.quiet_start.setText(getattr(cfg, "quiet_start", "21:00"))
        self.quiet_end.setText(getattr(cfg, "quiet_end", "09:00"))
        self.cap.setValue(getattr(cfg, "daily_text_cap", 3))
        self.optout_zh.setText(templates.optout_line(cfg, "zh_CN"))
        self.optout_en.setText(templates.optout_line(cfg, "en"))
        self.apply_permissions()

    @owner_gated("change_texting")
    def submit(self) -> None:
        if not self.available:
            self.status.error(QCoreApplication.translate("MessagesScreen", UNAVAILABLE))
            return
        ctx = self.state.ctx
        args = (self.quiet_start.text(), self.quiet_end.text(), int(self.cap.value()), self.optout_zh.text(),
                self.optout_en.text())

        def saved(cfg) -> None:
            self.state.settings = cfg
            self.state.settings_changed.emit()
            self.status.ok(self.tr("Texting rules saved."))

        self.run(lambda: shop_admin.update_texting(ctx, *args), saved, busy=[self.save])


# --- the gateway -------------------------------------------------------------------------------------------
GATEWAY_KINDS = [
    ("log", QT_TRANSLATE_NOOP("GatewayTab", "Log only: nothing leaves this computer")),
    ("twilio", QT_TRANSLATE_NOOP("GatewayTab", "Twilio, or a Twilio-compatible gateway")),
]


class GatewayTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.modules = sending_modules()
        self.has_token = False
        self.kind = QComboBox(self)
        for key, label in GATEWAY_KINDS:
            self.kind.addItem(self.tr(label), key)
        self.account_sid = QLineEdit(self)
        self.account_sid.setPlaceholderText("AC…")
        self.sender = QLineEdit(self)
        self.sender.setPlaceholderText(self.tr("+8613… or a Messaging Service SID (MG…)"))
        self.api_base = QLineEdit(self)
        self.api_base.setPlaceholderText(self.tr("Empty: the provider's own"))
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.save = QPushButton(self.tr("Save gateway"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.save]
        self.test_phone = QLineEdit(self)
        self.test_phone.setPlaceholderText(self.tr("A phone to send a test text to"))
        self.test_text = QLineEdit(self)
        self.test_text.setPlaceholderText(self.tr("Empty: the shop's test text"))
        self.send_test = QPushButton(self.tr("Send test"), self)
        self.answer = QLabel(self)
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.hide()
        form = QFormLayout()
        form.addRow(self._label(self.tr("Gateway")), self.kind)
        form.addRow(self._label(self.tr("Account SID")), self.account_sid)
        form.addRow(self._label(self.tr("Auth token")), self.token)
        form.addRow(self._label(self.tr("Sender")), self.sender)
        form.addRow(self._label(self.tr("API address")), self.api_base)
        note = QLabel(self.tr("The token is kept in this computer's keyring (or a private file), never in the "
                              "database, and is never shown again. Settings from the environment "
                              "(SHOPCARE_SMS_GATEWAY, TWILIO_ACCOUNT_SID, …) override these."), self)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        test_form = QFormLayout()
        test_form.addRow(self._label(self.tr("Test phone")), self.test_phone)
        test_form.addRow(self._label(self.tr("Test text")), self.test_text)
        box = QVBoxLayout(self)
        if self.modules is None:
            missing = QLabel(QCoreApplication.translate("MessagesScreen", UNAVAILABLE), self)
            missing.setProperty("role", "error")
            box.addWidget(missing)
        box.addWidget(capped(form, self))
        box.addWidget(note)
        box.addLayout(button_row(self.save))
        box.addWidget(self.status)
        box.addSpacing(10)
        box.addWidget(capped(test_form, self))
        box.addLayout(button_row(self.send_test))
        box.addWidget(self.answer)
        box.addStretch(1)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.save.clicked.connect(self.submit)
        self.send_test.clicked.connect(self.test)
        self._kind_changed()
        self.apply_permissions()

    def _label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setMinimumWidth(130)  # the same for both forms, so their fields line up
        return label

    def can_change(self) -> bool:
        return self.modules is not None and super().can_change()

    def apply_permissions(self) -> None:
        super().apply_permissions()
        self.send_test.setEnabled(self.modules is not None and self.state.role_allowed("manage_outbox"))

    def _kind_changed(self) -> None:
        twilio = self.kind.currentData() == "twilio"
        for w in (self.account_sid, self.token, self.sender, self.api_base):
            w.setEnabled(twilio)

    def _show_token(self) -> None:
        self.token.clear()
        self.token.setPlaceholderText(self.tr("A token is stored: leave empty to keep it") if self.has_token
                                      else self.tr("The account's auth token"))

    def load(self) -> None:
        if self.modules is None:
            return
        gateway_config = self.modules[0]
        self.run(gateway_config.load_gateway_config, self.show_config, pool="io")

    def show_config(self, cfg) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(cfg.kind)))
        self.account_sid.setText(cfg.account_sid)
        self.sender.setText(cfg.sender)
        self.api_base.setText(cfg.api_base)
        self.has_token = cfg.has_token
        self._show_token()
        self._kind_changed()

    @owner_gated("change_texting")
    def submit(self) -> None:
        if self.modules is None:
            self.status.error(QCoreApplication.translate("MessagesScreen", UNAVAILABLE))
            return
        gateway_config = self.modules[0]
        cfg = gateway_config.GatewayConfig(kind=self.kind.currentData(), account_sid=self.account_sid.text().strip(),
                                           sender=self.sender.text().strip(), api_base=self.api_base.text().strip(),
                                           has_token=self.has_token)
        token = self.token.text().strip() or None

        def saved(result) -> None:
            self.show_config(result)
            sender = getattr(self.state, "sender", None)
            if sender is not None:
                sender.gateway_changed()
            self.status.ok(self.tr("Gateway saved."))

        ctx = self.state.ctx
        self.run(lambda: gateway_config.save_gateway_config(ctx, cfg, token), saved, pool="io", busy=[self.save])

    def test(self) -> None:
        if self.modules is None:
            self.status.error(QCoreApplication.translate("MessagesScreen", UNAVAILABLE))
            return
        gateway_config, sms, sender = self.modules
        ctx, phone, text = self.state.ctx, self.test_phone.text().strip(), self.test_text.text().strip() or None
        self.answer.setStyleSheet("")
        self.answer.setText(self.tr("Sending…"))
        self.answer.show()

        def work():
            return sender.send_test(ctx, sms.make_gateway(gateway_config.load_gateway_config()), phone, text)

        def done(result) -> None:
            ok = result.status in ("sent", "delivered", "queued")
            self.answer.setStyleSheet(f"color: {style.OK if ok else style.DANGER};")
            self.answer.setText(self.tr("Test text {id}: {status}. Gateway id: {provider}. The gateway said: "
                                        "{answer}").format(id=result.message_id, status=status_label(result.status),
                                                            provider=result.provider_id or "—",
                                                            answer=result.answer or "—"))

        def failed(exc) -> None:
            self.answer.setStyleSheet(f"color: {style.DANGER};")
            self.answer.setText(self.state.error_text(exc))
            self.apply_permissions()

        self.send_test.setEnabled(False)
        self.state.tasks.run(work, lambda r: (done(r), self.apply_permissions()), failed, pool="io")


# --- the screen -------------------------------------------------------------------------------------------
class MessagesScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Messages"), self)
        title.setProperty("role", "title")
        self.tabs = QTabWidget(self)
        self.outbox = OutboxTab(state, self.tabs)
        self.templates = TemplatesTab(state, self.tabs)
        self.texting = TextingTab(state, self.tabs)
        self.gateway = GatewayTab(state, self.tabs)
        self.tabs.addTab(self.outbox, self.tr("Outbox"))
        self.tabs.addTab(self.templates, self.tr("Templates"))
        self.tabs.addTab(self.texting, self.tr("Texting rules"))
        self.tabs.addTab(self.gateway, self.tr("Gateway"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self._apply_role())
        self._apply_role()

    def all_tabs(self) -> list[Tab]:
        return [self.outbox, self.templates, self.texting, self.gateway]

    def _apply_role(self) -> None:
        for tab in self.all_tabs():
            tab.apply_permissions()

    def activated(self) -> None:
        """Shown: read everything afresh (the sender and other tills change the outbox)."""
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()


TAB_FILES = ("outbox", "templates", "texting", "gateway")
