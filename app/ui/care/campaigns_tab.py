"""Care › Campaigns: past and running campaigns with their vouchers used."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.services.admin import shop_admin
from app.services.care import campaigns
from app.ui.care.campaign_dialog import CampaignDialog
from app.ui.care.parts import CareTab, care_table, fill_table
from app.ui.state import AppState
from app.ui.tasks import Progress
from app.ui.widgets import button_row


class CampaignsTab(CareTab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.rows: list = []
        self.table = care_table(self, [self.tr("Sent on"), self.tr("Name"), self.tr("Kind"), self.tr("Recipients"),
                                   self.tr("Delivered"), self.tr("Failed"), self.tr("Segments"),
                                   self.tr("Vouchers used"), self.tr("Revenue")], 1)
        self.table.currentCellChanged.connect(lambda *_a: self._show_detail())
        self.new_button = QPushButton(self.tr("New campaign…"), self)
        self.new_button.clicked.connect(self.new_campaign)
        # a campaign left 'sending' (the app was closed or stopped half-way): finish it, nothing doubles
        self.resume_button = QPushButton(self.tr("Finish sending"), self)
        self.resume_button.clicked.connect(self.resume)
        self.resume_button.hide()
        self.resuming: set[int] = set()
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QVBoxLayout(self)
        box.addLayout(button_row(self.new_button, self.resume_button))
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
        fill_table(self.table, [[s.datetime(c.created_at), c.name,
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
            self.resume_button.hide()
            return
        c, s = self.rows[row], self.state
        r = c.results
        parts = [self.tr("Queued {q} · delivered {d} · failed {f} · cancelled {x}").format(
            q=r.queued, d=r.sent, f=r.failed, x=r.cancelled)]
        sending = getattr(c, "status", "sent") == "sending"
        self.resume_button.setVisible(sending and self.state.role_allowed("send_campaign"))
        self.resume_button.setEnabled(sending and c.id not in self.resuming)
        if sending:
            parts.insert(0, self.tr("Still sending: {done} of {total} members queued").format(
                done=s.number(c.done), total=s.number(c.total)))
        if getattr(r, "held", 0):
            parts.append(self.tr("{n} texts wait for approval in Care › Today (more at once than the shop's limit)")
                         .format(n=r.held))
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

    def _sent_text(self, r) -> str:
        if getattr(r, "held", 0):
            return self.tr("Campaign made: its {n} texts wait for approval in Care › Today").format(n=r.held)
        return self.tr("Campaign sent: %n text(s) queued", "", r.recipients)

    def resume(self) -> None:
        """Finish the selected campaign's send on the long-job worker, progress on the status line."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return
        ctx, cid = self.state.ctx, self.rows[row].id
        self.resuming.add(cid)
        self.resume_button.setEnabled(False)
        relay = Progress(self)
        relay.moved.connect(lambda p: self.status.ok(self.tr("Queued {done} of {total}").format(
            done=self.state.number(p.done), total=self.state.number(p.total))))

        def finished(c) -> None:
            self.resuming.discard(cid)
            self.status.ok(self._sent_text(c.results))
            self.load()

        def failed(exc) -> None:
            self.resuming.discard(cid)
            self.status.error(self.state.error_text(exc))
            self.load()

        self.state.tasks.write(lambda: campaigns.resume(ctx, cid, progress=relay.report), finished, failed,
                               owner=self, pool="bulk", what=self.tr("sending the campaign"))

    def new_campaign(self):
        ctx = self.state.ctx
        self.run(lambda: shop_admin.list_tiers(ctx), self._open_dialog)

    def _open_dialog(self, tiers) -> CampaignDialog:
        dialog = CampaignDialog(self.state, tiers, self)
        dialog.accepted.connect(lambda: (self.status.ok(self._sent_text(dialog.result_value.results)), self.load()))
        self.dialog = dialog
        dialog.open()
        return dialog
