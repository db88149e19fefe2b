"""Care › Today: what the care engine queued or holds for approval, and the call-backs due."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QTableWidget, QVBoxLayout, QWidget

from app.services.care import today as care_today
from app.services.texts import held as held_texts
from app.services.texts import outbox_admin
from app.ui.care.dialogs import NoteDialog
from app.ui.care.parts import CareTab, care_table, fill_table
from app.ui.state import AppState
from app.ui.texts.outbox_model import kind_label
from app.ui.widgets import button_row


# --- tabs ---------------------------------------------------------------------------------------------
class TodayTab(CareTab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.data = None
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.texts_box = QGroupBox(self)
        self.texts = care_table(self, [self.tr("Time"), self.tr("Member"), self.tr("Kind"), self.tr("Text")], 3)
        self.texts.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)   # approve some
        self.held_line = QLabel(self)
        self.held_line.setWordWrap(True)
        self.held_line.setStyleSheet("color: #9a5b00; font-weight: 600;")
        self.reject_all = QPushButton(self.tr("Reject all waiting"), self)
        self.reject_all.clicked.connect(self.reject_held)
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
        tb.addWidget(self.held_line)
        tb.addWidget(self.texts, 1)
        tb.addLayout(button_row(self.approve_all, self.approve_text, self.reject_all, self.cancel_text, self.hold))
        self.calls_box = QGroupBox(self)
        self.calls = care_table(self, [self.tr("Due"), self.tr("Member"), self.tr("Phone"), self.tr("Why")], 3)
        self.call_done = QPushButton(self.tr("Done, with a note…"), self)
        self.call_done.clicked.connect(lambda: self.complete(self.calls, self.data.calls if self.data else ()))
        cb = QVBoxLayout(self.calls_box)
        cb.addWidget(self.calls, 1)
        cb.addLayout(button_row(self.call_done))
        self.gifts_box = QGroupBox(self)
        self.gifts = care_table(self, [self.tr("Due"), self.tr("Member"), self.tr("Gift")], 2)
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
        title = self.tr("Texts waiting for approval and care texts going out today ({n})").format(n=len(d.texts))
        parts = sum(m.segments for m in d.texts)
        if parts:
            cost = s.settings.sms_cost(parts)
            title += (self.tr(" · {parts} SMS parts, about {cost}").format(parts=s.number(parts), cost=s.money(cost))
                      if cost else self.tr(" · {parts} SMS parts").format(parts=s.number(parts)))
        self.texts_box.setTitle(title)
        h = d.held
        self.held_line.setVisible(bool(h and h.texts))
        if h and h.texts:
            line = self.tr("{texts} texts to {members} members wait for your approval: {parts} SMS "
                           "parts. Approve all, select some and approve them, or reject them.").format(
                texts=h.texts, members=h.members, parts=h.parts)
            cost = s.settings.sms_cost(h.parts)
            if cost:
                line += " " + self.tr("Cost: about {cost}.").format(cost=s.money(cost))
            self.held_line.setText(line)
        self.calls_box.setTitle(self.tr("Calls to make ({n})").format(n=len(d.calls)))
        self.gifts_box.setTitle(self.tr("Gifts to prepare ({n})").format(n=len(d.gifts)))
        fill_table(self.texts, [[s.time(m.created_at), f"{m.member_name or ''} · {m.masked_phone}",
                            kind_label(m.kind) + (self.tr(" · awaiting approval") if m.status == "held" else ""),
                            m.body.replace("\n", " ")] for m in d.texts])
        fill_table(self.calls, [[s.date(x.due_on), x.member_name, x.masked_phone, x.reason] for x in d.calls],
              red={i for i, x in enumerate(d.calls) if x.due_on < d.on})
        fill_table(self.gifts, [[s.date(x.due_on), x.member_name, x.reason] for x in d.gifts])
        allowed = s.role_allowed("manage_outbox")
        self.cancel_text.setEnabled(allowed and bool(d.texts))
        waiting = h.texts if h else 0
        self.approve_text.setEnabled(allowed and waiting > 0)
        self.approve_all.setEnabled(allowed and waiting > 0)
        self.reject_all.setEnabled(allowed and waiting > 0)
        self.approve_all.setText(self.tr("Approve all waiting ({n})").format(n=waiting) if waiting
                                 else self.tr("Approve all waiting"))
        self.call_done.setEnabled(bool(d.calls))
        self.gift_done.setEnabled(bool(d.gifts))

    def selected_held(self) -> list[int]:
        rows = {i.row() for i in self.texts.selectionModel().selectedRows()} if self.data else set()
        return [self.data.texts[r].id for r in sorted(rows)
                if 0 <= r < len(self.data.texts) and self.data.texts[r].status == "held"]

    def approve(self, *, all_held: bool) -> None:
        """Held texts join the queue: the selected ones, or every one waiting (any day, all pages)."""
        if self.data is None:
            return
        ids = None
        if not all_held:
            ids = self.selected_held()
            if not ids:
                self.status.error(self.tr("Choose a text that is waiting for approval"))
                return
        ctx = self.state.ctx
        self.run(lambda: held_texts.approve(ctx, ids)[0], lambda n: (
            self.status.ok(self.tr("%n text(s) approved: they go out with the sender", "", n)), self.load()))

    def confirm_reject(self, n: int) -> bool:
        from PySide6.QtWidgets import QMessageBox

        return QMessageBox.question(self, self.tr("Reject the texts?"), self.tr(
            "None of the {n} texts waiting for approval will be sent. Reject them?").format(n=n)) \
            == QMessageBox.StandardButton.Yes

    def reject_held(self) -> None:
        """Every text waiting for approval is cancelled: none of them goes (after a confirmation)."""
        if self.data is None or self.data.held is None or not self.confirm_reject(self.data.held.texts):
            return
        ctx = self.state.ctx
        self.run(lambda: held_texts.reject(ctx, None)[0], lambda n: (
            self.status.ok(self.tr("Texts rejected: {n}. They will not be sent.").format(n=n)), self.load()))

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
