"""The till's member bar: find a member by phone, last 4 digits, card number or name; a pick list
when several match; shows name, tier, stored value, points and a badge for this week's occasions."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from app.services.members import members
from app.services.reports import sales
from app.services.reports.sales import MemberCard, Occasion
from app.ui.widgets import run, row_table

_ROOT = QModelIndex()


def occasion_text(state, o: Occasion) -> str:
    """"Birthday in 3 days (Mar 5, 2026)", in the user's language."""
    what = {"birthday": QCoreApplication.translate("MemberBar", "Birthday"),
            "wedding": QCoreApplication.translate("MemberBar", "Wedding anniversary"),
            "membership": QCoreApplication.translate("MemberBar", "Member anniversary"),
            "other": o.label or QCoreApplication.translate("MemberBar", "Anniversary")}[o.kind]
    if o.days_away == 0:
        return QCoreApplication.translate("MemberBar", "{what} today").format(what=what)
    if o.days_away == 1:
        return QCoreApplication.translate("MemberBar", "{what} tomorrow").format(what=what)
    return QCoreApplication.translate("MemberBar", "{what} in {days} days ({date})").format(
        what=what, days=o.days_away, date=state.date(o.on))


class MemberBar(QFrame):
    """Type and Enter to find; F2 (handled by the till) focuses, or detaches an attached member."""

    attached = Signal(object)   # MemberCard
    detached = Signal()
    failed = Signal(str)        # a message for the till's inline error line
    searching = Signal(bool)

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.card: MemberCard | None = None
        self._gen = 0
        self.setProperty("card", True)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.setSpacing(10)
        self.key_label = QLabel(self.tr("F2 Member"), self)
        self.key_label.setProperty("role", "muted")
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(self.tr("Phone, last 4 digits, card no. or name + Enter"))
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(300)
        self.edit.returnPressed.connect(self.search)
        self.name_label = QLabel(self)
        self.name_label.setStyleSheet("font-size: 17px; font-weight: 600;")
        self.tier_label = QLabel(self)
        self.tier_label.setStyleSheet("background: #fff4d6; color: #8a5a00; border-radius: 8px; padding: 2px 8px;")
        self.balance_label = QLabel(self)
        self.points_label = QLabel(self)
        self.badge = QLabel(self)
        self.badge.setStyleSheet("background: #fde2ec; color: #ad1457; border-radius: 8px; padding: 2px 8px;"
                                 " font-weight: 600;")
        # care: a member with an open complaint is greeted knowing it (callbacks.py)
        self.complaint_badge = QLabel(self)
        self.complaint_badge.setStyleSheet("background: #fdecea; color: #c62828; border-radius: 8px; padding: 2px 8px;"
                                           " font-weight: 600;")
        self.clear_button = QPushButton(self.tr("Detach (F2)"), self)
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.clicked.connect(self.detach)
        for w in (self.key_label, self.edit, self.name_label, self.tier_label, self.balance_label,
                  self.points_label, self.badge, self.complaint_badge):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.clear_button)
        self._show()

    @property
    def member_id(self) -> int | None:
        return self.card.member.id if self.card else None

    # --- search -----------------------------------------------------------------------------
    def search(self) -> None:
        text = self.edit.text().strip()
        if not text:
            return
        self.searching.emit(True)
        ctx = self.state.ctx
        run(self, lambda: members.find_members(ctx, text), lambda picks: self._found(text, picks),
                             self._error)

    def _found(self, text: str, picks) -> None:
        self.searching.emit(False)
        if not picks:
            self.failed.emit(self.tr("No member found for “{query}”").format(query=text))
            self.edit.selectAll()
            return
        if len(picks) == 1:
            self.attach(picks[0].id)
            return
        dialog = MemberPickDialog(self.state, picks, self.window())
        dialog.accepted.connect(lambda: self.attach(dialog.chosen.id) if dialog.chosen else None)
        dialog.rejected.connect(self.edit.setFocus)
        self.pick_dialog = dialog
        dialog.open()

    def _error(self, exc: BaseException) -> None:
        self.searching.emit(False)
        self.failed.emit(self.state.error_text(exc))

    def attach(self, member_id: int) -> None:
        self._gen += 1
        gen, ctx = self._gen, self.state.ctx
        run(self, lambda: sales.member_card(ctx, member_id), lambda card: self._attached(gen, card), self._error)

    def _attached(self, gen: int, card: MemberCard) -> None:
        if gen == self._gen:  # a detach (or another attach) since then wins
            self.set_card(card)

    def refresh(self) -> None:
        """Re-read the attached member (after a sale changed the balances)."""
        if self.card is not None:
            self.attach(self.card.member.id)

    def set_card(self, card: MemberCard | None) -> None:
        was = self.member_id
        self.card = card
        self.edit.clear()
        self._show()
        if card is not None:
            if card.member.id != was:
                self.attached.emit(card)
        elif was is not None:
            self.detached.emit()

    def detach(self) -> None:
        self._gen += 1
        self.set_card(None)

    # --- display ----------------------------------------------------------------------------
    def _show(self) -> None:
        c = self.card
        attached = c is not None
        for w in (self.name_label, self.tier_label, self.balance_label, self.points_label, self.clear_button):
            w.setVisible(attached)
        self.edit.setVisible(not attached)
        self.badge.setVisible(bool(attached and c.occasions))
        self.complaint_badge.setVisible(bool(attached and c.open_complaints))
        if not attached:
            return
        if c.open_complaints:
            self.complaint_badge.setText(self.tr("Open complaint") if c.open_complaints == 1 else
                                         self.tr("%n open complaint(s)", "", c.open_complaints))
        m = c.member
        self.name_label.setText(self.tr("{name} · {phone}").format(name=m.name, phone=m.masked_phone))
        tier = self.state.tier_name(m.tier_name_en, m.tier_name_zh)
        self.tier_label.setText(tier or self.tr("Member"))
        self.balance_label.setText(self.tr("Stored value {amount}").format(amount=self.state.money(m.balance)))
        self.points_label.setText(self.tr("Points {points}").format(points=self.state.number(m.points)))
        if c.occasions:
            self.badge.setText(occasion_text(self.state, c.occasions[0]))
            self.badge.setToolTip("\n".join(occasion_text(self.state, o) for o in c.occasions))


class MemberPickModel(QAbstractTableModel):
    def __init__(self, state, picks, parent=None) -> None:
        super().__init__(parent)
        self.state, self.picks = state, list(picks)
        self.headers = [self.tr("Name"), self.tr("Phone"), self.tr("Tier"), self.tr("Stored value"),
                        self.tr("Points"), self.tr("Last visit")]

    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.picks)

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        p = self.picks[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            s = self.state
            return [p.name, p.masked_phone, s.tier_name(p.tier_name_en, p.tier_name_zh), s.money(p.balance),
                    s.number(p.points), s.date(p.last_visit_at.date()) if p.last_visit_at else "—"][col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class MemberPickDialog(QDialog):
    """Several members match: arrow keys and Enter choose one, Esc cancels."""

    def __init__(self, state, picks, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.chosen = None
        self.setWindowTitle(self.tr("Choose a member"))
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr("%n member(s) match. ↑ ↓ to choose, Enter to attach, Esc to cancel.", "", len(picks)),
                      self)
        hint.setProperty("role", "muted")
        layout.addWidget(hint)
        self.model = MemberPickModel(state, picks, self)
        self.table = row_table(self, self.model, row_height=34)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.accept())
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Attach"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.table.selectRow(0)
        self.table.setFocus()
        self.resize(720, 120 + 34 * min(len(picks), 8))

    def accept(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.chosen = self.model.picks[rows[0].row()]
        super().accept()
