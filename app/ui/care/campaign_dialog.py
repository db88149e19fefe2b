"""A new campaign: who gets it (tags, birthday month, segment), its text and its e-voucher, or a bring-a-friend offer."""
from __future__ import annotations

import uuid

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.errors import ShopError
from app.money import parse_amount
from app.services.care import campaigns
from app.services.care.campaigns import CampaignSpec, Filters, VoucherTerms
from app.ui.care.dialogs import ServiceDialog
from app.ui.care.parts import DEBOUNCE_MS, SEGMENT_NAMES, care_tr, date_edit, date_value
from app.ui.state import AppState
from app.ui.tasks import Progress
from app.ui.widgets import DateField, int_spin


class CampaignDialog(ServiceDialog):
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
            box = QCheckBox(state.tier_name(tier.name_en, tier.name_zh), self)
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
            self.segment.addItem(care_tr(label), code)
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
        self.voucher_expiry = date_edit(self, state.ctx.today())
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
        self.progress = QProgressBar(self)
        self.progress.hide()
        box.addWidget(self.progress)
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
            voucher = VoucherTerms(value=value, kind=kind, expires_on=date_value(self.voucher_expiry),
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
        # a read of every recipient (seconds at tens of thousands): on the long-job worker, not the till's
        self.state.tasks.run(lambda: campaigns.preview(ctx, spec), self._previewed, self._preview_failed, pool="bulk")

    def _previewed(self, p) -> None:
        self.last_preview = p
        self.status.clear()
        text = self.tr("{n} members will get it (of {matched} matching) · {segments} SMS segments").format(
            n=self.state.number(p.reachable), matched=self.state.number(p.matched),
            segments=self.state.number(p.segments))
        if p.cost:
            text += self.tr(" · about {cost}").format(cost=self.state.money(p.cost))
        self.preview_label.setText(text)
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
        n, segs, cost = (p.reachable, p.segments, p.cost) if p else (0, 0, 0)
        question = (self.tr("Send “{name}” to {n} members now? It costs about {segments} SMS segments ({cost}) "
                            "and cannot be called back.").format(name=spec.name, n=n, segments=segs,
                                                                 cost=self.state.money(cost)) if cost
                    else self.tr("Send “{name}” to {n} members now? It costs about {segments} SMS segments "
                                 "and cannot be called back.").format(name=spec.name, n=n, segments=segs))
        if not self.confirm(question):
            return
        ctx, ref = self.state.ctx, self.client_ref
        self.send_progress(lambda report: campaigns.send(ctx, spec, client_ref=ref, progress=report))

    def send_progress(self, fn) -> None:
        """Run ``fn(report)`` (a campaign's send or resume) on the long-job worker, the bar filling with
        each chunk; the till's own worker stays free, and the window responsive."""
        self.send_button.setEnabled(False)
        relay = Progress(self)
        relay.moved.connect(self._moved)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.clear()

        def done(result) -> None:
            self.send_button.setEnabled(True)
            self.progress.hide()
            self.result_value = result
            self.accept()

        def failed(exc) -> None:
            self.send_button.setEnabled(True)
            self.progress.hide()
            self.status.error(self.state.error_text(exc))

        self.state.tasks.write(lambda: fn(relay.report), done, failed, owner=self, pool="bulk",
                               what=self.tr("sending the campaign"))

    def _moved(self, p) -> None:
        self.progress.setRange(0, max(p.total, 1))
        self.progress.setValue(min(p.done, p.total))
        self.progress.setFormat(self.tr("Queued {done} of {total}").format(
            done=self.state.number(p.done), total=self.state.number(p.total)))
