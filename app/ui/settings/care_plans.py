"""Settings › Care › Tier care plans: what each tier's members receive, and how often (a text, a
voucher, a gift to prepare or a call), one row a plan; the service checks them on save."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QComboBox, QHeaderView, QPushButton, QTableWidget, QWidget

from app import money
from app.errors import ShopError
from app.services.care.config import PLAN_ACTIONS, PLAN_PERIODS, plan_id
from app.ui.settings.care_tab import CareSection, tr_care
from app.ui.settings.rows import RowError, row_item, rows_table

C = "CareSettingsTab"
ACTIONS = {"text": QT_TRANSLATE_NOOP("CareSettingsTab", "Thank-you text"), "voucher": QT_TRANSLATE_NOOP("CareSettingsTab", "Voucher by text"),
           "gift": QT_TRANSLATE_NOOP("CareSettingsTab", "Gift to prepare"), "call": QT_TRANSLATE_NOOP("CareSettingsTab", "Care call")}
PERIODS = {"month": QT_TRANSLATE_NOOP("CareSettingsTab", "Every month"), "quarter": QT_TRANSLATE_NOOP("CareSettingsTab", "Every quarter"),
           "half_year": QT_TRANSLATE_NOOP("CareSettingsTab", "Every half year"), "year": QT_TRANSLATE_NOOP("CareSettingsTab", "Every year")}
TIER, ACTION, EVERY, VALUE, MIN_SPEND, DAYS, GIFT = range(7)


class TierPlansSection(CareSection):
    TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Tier care plans")
    HINT = QT_TRANSLATE_NOOP("CareSettingsTab", "What each tier's members receive, and how often: once in each period, from its first "
                                "day. A voucher's value is an amount, or a percentage like 10%.")
    RULES = ("tier_care",)
    SHOT = "plans"

    def editor(self) -> QWidget:
        self.table: QTableWidget = rows_table(self, [self.tr("Tier"), self.tr("What"), self.tr("How often"),
                                                     self.tr("Voucher value"), self.tr("On a spend of"),
                                                     self.tr("Valid (days)"), self.tr("Gift")])
        self.table.horizontalHeader().setSectionResizeMode(GIFT, QHeaderView.ResizeMode.Stretch)
        return self.table

    def buttons(self) -> list[QWidget]:
        self.add_button = QPushButton(self.tr("Add plan"), self)
        self.remove_button = QPushButton(self.tr("Remove plan"), self)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_row)
        return [self.add_button, self.remove_button]

    def show_data(self, data) -> None:
        super().show_data(data)
        self.table.setRowCount(0)
        known = {t.code for t in data.tiers}
        for tier in data.tiers:
            for item in data.config.tier_plans.get(tier.code) or []:
                self.add_row(tier.code, item)
        for code, items in data.config.tier_plans.items():   # plans of a tier since deleted: shown, to remove
            if code not in known:
                for item in items:
                    self.add_row(code, item)

    def _combo(self, choices: dict, chosen: str, extra: list[tuple[str, str]] = ()) -> QComboBox:
        box = QComboBox(self.table)
        for key, label in list(choices.items()) + list(extra):
            box.addItem(tr_care(label) if key in choices else label, key)
        box.setCurrentIndex(max(0, box.findData(chosen)))
        return box

    def add_row(self, tier: str | None = None, item: dict | None = None) -> None:
        data = self.data
        tiers = {t.code: self.state.tier_name(t.name_en, t.name_zh) for t in (data.tiers if data else ())}
        item = item or {"action": "text", "every": "quarter"}
        tier = tier or next(iter(tiers), "")
        r = self.table.rowCount()
        self.table.insertRow(r)
        tier_box = QComboBox(self.table)
        for code, name in tiers.items():
            tier_box.addItem(name, code)
        if tier not in tiers:
            tier_box.addItem(tier, tier)
        tier_box.setCurrentIndex(max(0, tier_box.findData(tier)))
        action = self._combo(ACTIONS, item.get("action", "text"))
        self.table.setCellWidget(r, TIER, tier_box)
        self.table.setCellWidget(r, ACTION, action)
        self.table.setCellWidget(r, EVERY, self._combo(PERIODS, item.get("every", "quarter")))
        percent = item.get("kind") == "percent"
        value = item.get("value")
        shown = "" if value is None else (f"{value / 100:g}%" if percent else self.state.plain(value))
        cells = {VALUE: shown, MIN_SPEND: self.state.plain(item["min_spend"]) if "min_spend" in item else "",
                 DAYS: str(item.get("valid_days", "")), GIFT: item.get("gift", "")}
        for c, text in cells.items():
            self.table.setItem(r, c, row_item(text, align_right=c != GIFT))
        self.table.item(r, VALUE).setData(Qt.ItemDataRole.UserRole, item.get("id"))
        action.currentIndexChanged.connect(lambda _i, box=action: self._action_changed(box))
        self._enable(r, action.currentData())

    def _row_of(self, widget: QWidget) -> int:
        for r in range(self.table.rowCount()):
            if self.table.cellWidget(r, ACTION) is widget:
                return r
        return -1

    def _action_changed(self, box: QComboBox) -> None:
        r = self._row_of(box)
        if r >= 0:
            self._enable(r, box.currentData())
            if box.currentData() == "voucher" and not self.table.item(r, DAYS).text():
                self.table.item(r, DAYS).setText("30")

    def _enable(self, r: int, action: str) -> None:
        """Only a voucher has a value, a spend and days; only a gift has a label."""
        for c in (VALUE, MIN_SPEND, DAYS, GIFT):
            item = self.table.item(r, c)
            on = (action == "voucher") if c != GIFT else (action == "gift")
            flags = item.flags()
            item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsEditable if on
                          else flags & ~Qt.ItemFlag.ItemIsEditable & ~Qt.ItemFlag.ItemIsEnabled)

    def remove_row(self) -> None:
        r = self.table.currentRow()
        if r < 0:
            self.status.error(self.tr("Choose a plan first."))
            return
        self.table.removeRow(r)
        self.status.clear()

    def _amount(self, text: str, r: int, field: str, *, zero: bool) -> int:
        try:
            return money.parse_amount(text or "0", self.state.settings.currency, field=field, allow_zero=zero)
        except ShopError as exc:
            raise RowError(self.tr("Plan {row}: {error}").format(row=r + 1, error=self.state.error_text(exc))) \
                from None

    def _int(self, text: str, r: int, field: str) -> int:
        try:
            return int(text.strip())
        except ValueError:
            raise RowError(self.tr("Plan {row}: {field} '{value}' is not a whole number").format(
                row=r + 1, field=field, value=text)) from None

    def read_plans(self) -> dict[str, list[dict]]:
        plans: dict[str, list[dict]] = {t.code: [] for t in (self.data.tiers if self.data else ())}
        for r in range(self.table.rowCount()):
            tier = self.table.cellWidget(r, TIER).currentData()
            action = self.table.cellWidget(r, ACTION).currentData()
            every = self.table.cellWidget(r, EVERY).currentData()
            item: dict = {"action": action, "every": every}
            pid = self.table.item(r, VALUE).data(Qt.ItemDataRole.UserRole)
            if pid:
                item["id"] = pid
            cell = {c: self.table.item(r, c).text().strip() for c in (VALUE, MIN_SPEND, DAYS, GIFT)}
            if action == "voucher":
                if cell[VALUE].endswith("%"):
                    item.update(kind="percent", value=self._percent(cell[VALUE], r))
                else:
                    item["value"] = self._amount(cell[VALUE], r, self.tr("Voucher value"), zero=False)
                item["min_spend"] = self._amount(cell[MIN_SPEND], r, self.tr("On a spend of"), zero=True)
                item["valid_days"] = self._int(cell[DAYS] or "30", r, self.tr("Valid (days)"))
            elif action == "gift":
                item["gift"] = cell[GIFT]
            plans.setdefault(tier, []).append(item)
        for tier, items in plans.items():   # a new plan gets an id of its own, never one already taken
            taken = {plan_id(tier, i) for i in items if i.get("id")}
            for i in items:
                if not i.get("id"):
                    base, n = plan_id(tier, i), 2
                    pid = base
                    while pid in taken:
                        pid, n = f"{base}-{n}", n + 1
                    i["id"] = pid
                    taken.add(pid)
        return plans

    def _percent(self, text: str, r: int) -> int:
        try:
            return round(float(text.rstrip("%").strip()) * 100)
        except ValueError:
            raise RowError(self.tr("Plan {row}: '{value}' is not a percentage").format(row=r + 1, value=text)) \
                from None

    def changes(self) -> dict:
        return {"tier_plans": self.read_plans()}

    def showcase_day(self):
        """The first day of the next quarter, when the quarterly plans are due again."""
        if not self.data:
            return None
        d = self.data.tomorrow
        q = (d.month - 1) // 3 + 1
        return date(d.year + 1, 1, 1) if q == 4 else date(d.year, 3 * q + 1, 1)


assert set(ACTIONS) == set(PLAN_ACTIONS) and set(PERIODS) == set(PLAN_PERIODS)
