"""Settings › Top-up bonus: the bonus ladder for stored-value top-ups."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget

from app import money
from app.errors import ShopError
from app.services.admin import bonus_rules
from app.services.admin.bonus_rules import BonusRuleInput
from app.ui.settings.owner_password import owner_gated
from app.ui.settings.rows import RowError, row_item, rows_table
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab
from app.ui.widgets import button_row as _buttons


# --- top-up bonus rules ------------------------------------------------------------------------------------
class BonusTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        hint = QLabel(self.tr("A top-up of at least the amount gets the bonus as extra stored value; the largest "
                              "rule that fits wins. Dates are optional (YYYY-MM-DD)."), self)
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        self.table = rows_table(self, [self.tr("Top up at least"), self.tr("Bonus"), self.tr("From"), self.tr("Until"),
                                   self.tr("Active")])
        self.add = QPushButton(self.tr("Add rule"), self)
        self.deactivate = QPushButton(self.tr("Deactivate rule"), self)
        self.save = QPushButton(self.tr("Save rules"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.add, self.deactivate, self.save]
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.table, 1)
        box.addLayout(_buttons(self.add, self.deactivate, self.save))
        box.addWidget(self.status)
        self.add.clicked.connect(self.new_row)
        self.deactivate.clicked.connect(self.deactivate_selected)
        self.save.clicked.connect(self.submit)

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: bonus_rules.list_bonus_rules(ctx), self.show_rules)

    def show_rules(self, rules) -> None:
        self.table.setRowCount(0)
        for rule in rules:
            self._add_row(rule)

    def _add_row(self, rule=None) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        active = QTableWidgetItem()
        active.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        active.setCheckState(Qt.CheckState.Checked if rule is None or rule.active else Qt.CheckState.Unchecked)
        cells = [
            row_item(self.state.plain(rule.min_amount) if rule else "", data=rule.id if rule else None, align_right=True),
            row_item(self.state.plain(rule.bonus) if rule else "", align_right=True),
            row_item(rule.valid_from.isoformat() if rule and rule.valid_from else ""),
            row_item(rule.valid_to.isoformat() if rule and rule.valid_to else ""),
            active,
        ]
        for c, item in enumerate(cells):
            if rule is not None and not rule.active:
                item.setForeground(Qt.GlobalColor.gray)
            self.table.setItem(r, c, item)

    def new_row(self) -> None:
        self._add_row()
        r = self.table.rowCount() - 1
        self.table.setCurrentCell(r, 0)
        self.table.editItem(self.table.item(r, 0))

    def _date(self, text: str, row: int) -> date | None:
        text = text.strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise RowError(self.tr("Row {row}: '{value}' is not a date (YYYY-MM-DD)").format(row=row, value=text)) \
                from None

    def read_rules(self) -> list[BonusRuleInput]:
        rows, cur = [], self.state.settings.currency
        for r in range(self.table.rowCount()):
            cell = [self.table.item(r, c).text() if self.table.item(r, c) else "" for c in range(4)]
            try:
                amount = money.parse_amount(cell[0], cur, field=self.tr("Top up at least"))
                bonus = money.parse_amount(cell[1] or "0", cur, field=self.tr("Bonus"), allow_zero=True)
            except ShopError as exc:
                raise RowError(self.tr("Row {row}: {error}").format(row=r + 1, error=self.state.error_text(exc))) \
                    from None
            rows.append(BonusRuleInput(min_amount=amount, bonus=bonus, valid_from=self._date(cell[2], r + 1),
                                       valid_to=self._date(cell[3], r + 1),
                                       active=self.table.item(r, 4).checkState() == Qt.CheckState.Checked,
                                       id=self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)))
        return rows

    @owner_gated("change_settings")
    def submit(self) -> None:
        try:
            rows = self.read_rules()
        except RowError as exc:
            self.status.error(exc.text)
            return
        ctx = self.state.ctx

        def saved(rules) -> None:
            self.show_rules(rules)
            self.status.ok(self.tr("Bonus rules saved: new top-ups use them now."))

        self.run(lambda: bonus_rules.save_bonus_rules(ctx, rows), saved, busy=[self.save])

    @owner_gated("change_settings")
    def deactivate_selected(self) -> None:
        r = self.table.currentRow()
        if r < 0:
            self.status.error(self.tr("Choose a rule first."))
            return
        rule_id = self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
        if rule_id is None:
            self.table.removeRow(r)
            return
        ctx = self.state.ctx

        def work():
            bonus_rules.deactivate_bonus_rule(ctx, rule_id)
            return bonus_rules.list_bonus_rules(ctx)

        def done(rules) -> None:
            self.show_rules(rules)
            self.status.ok(self.tr("Rule deactivated: past top-ups keep their bonus."))

        self.run(work, done, busy=[self.deactivate])
