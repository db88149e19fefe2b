"""Messages › Outbox: every text queued, sent, failed or unknown, searchable, with retry and settle."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.texts import outbox_admin
from app.ui.state import AppState
from app.ui.texts import background_sender
from app.ui.texts.outbox_model import STATUS_COLORS, UNKNOWN_HINT, OutboxFilter, OutboxModel, kind_label, status_label
from app.ui.texts.parts import DEBOUNCE_MS, UNAVAILABLE, flag
from app.ui.widgets import DateField, Tab, button_row, row_table

FILTER_KINDS = ("ebill", "birthday", "anniversary", "holiday", "tier_care", "winback", "followup", "campaign", "satisfaction",
                "test")


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
        flag(self.unknown_banner, STATUS_COLORS["unknown"])
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
        self.table = row_table(self, self.model, row_height=30, striped=True)
        self.table.setWordWrap(False)
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
                                     if background_sender.sending_modules() is None else
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
