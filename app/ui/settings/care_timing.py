"""Settings › Care sections of numbers: lead times and cut-offs (and which rules run), win-back
thresholds with its voucher, and repurchase: its thresholds and its wording per product category."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QVBoxLayout, QWidget)

from app import money
from app.errors import ShopError
from app.services.care.config import RULES
from app.ui.settings.care_tab import CareSection, rule_name, tr_care
from app.ui.settings.rows import RowError, row_item, rows_table

C = "CareSettingsTab"

# (setting, label, lowest, highest, decimals, suffix): the editor of one number of CareConfig
Field = tuple[str, str, float, float, int, str]
DAYS = QT_TRANSLATE_NOOP("CareSettingsTab", " days")
TEXTS = QT_TRANSLATE_NOOP("CareSettingsTab", " texts")


class FieldsSection(CareSection):
    """A form of numbers (``FIELDS``) and switches (``SWITCHES``: setting, label) of the care config."""

    FIELDS: tuple[Field, ...] = ()
    SCALE: dict[str, int] = {}      # shown ×N (a ratio as a percentage)
    SWITCHES: tuple[tuple[str, str], ...] = ()
    COLUMNS = 2

    def editor(self) -> QWidget:
        holder = QWidget(self)
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        self.spins: dict[str, QDoubleSpinBox] = {}
        self.switches: dict[str, QCheckBox] = {}
        forms = [QFormLayout() for _ in range(self.COLUMNS)]
        for i, (key, label, low, high, decimals, suffix) in enumerate(self.FIELDS):
            spin = QDoubleSpinBox(holder)
            spin.setDecimals(decimals)
            spin.setRange(low, high)
            spin.setSingleStep(1 if decimals == 0 else 0.05 if high <= 2 else 0.5)
            spin.setSuffix(tr_care(suffix) if suffix.strip() not in ("", "%", "×") else suffix)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            spin.setMinimumWidth(110)
            self.spins[key] = spin
            forms[i * self.COLUMNS // max(1, len(self.FIELDS))].addRow(tr_care(label), spin)
        for c, form in enumerate(forms):
            grid.addLayout(form, 0, c)
        row = 1
        for key, label in self.SWITCHES:
            box = QCheckBox(tr_care(label), holder)
            self.switches[key] = box
            grid.addWidget(box, row, 0, 1, self.COLUMNS)
            row += 1
        self.extra(grid, row)
        grid.setRowStretch(row + 1, 1)
        return holder

    def extra(self, grid: QGridLayout, row: int) -> None:
        """More editors below the numbers (a subclass's own)."""

    def show_data(self, data) -> None:
        super().show_data(data)
        cfg = data.config
        for key, spin in self.spins.items():
            spin.setValue(float(getattr(cfg, key)) * self.SCALE.get(key, 1))
        for key, box in self.switches.items():
            box.setChecked(bool(getattr(cfg, key)))

    def changes(self) -> dict:
        out: dict = {}
        for (key, _label, _low, _high, decimals, _suffix) in self.FIELDS:
            value = self.spins[key].value()
            if key in self.SCALE:
                out[key] = round(value / self.SCALE[key], 4)
            else:
                out[key] = round(value) if decimals == 0 else round(value, decimals)
        for key, box in self.switches.items():
            out[key] = box.isChecked()
        return out


class TimingSection(FieldsSection):
    TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Lead times and cut-offs")
    HINT = QT_TRANSLATE_NOOP("CareSettingsTab", "How many days ahead greetings go out, how late a greeting missed on a closed day may "
                                "still go out, and which kinds of care run at all.")
    RULES = ("birthday", "anniversary", "member_anniversary", "holiday", "points_reminder")
    SHOT = "timing"
    FIELDS = (
        ("birthday_days_ahead", QT_TRANSLATE_NOOP("CareSettingsTab", "Birthday greeting, days ahead"), 0, 30, 0, DAYS),
        ("anniversary_days_ahead", QT_TRANSLATE_NOOP("CareSettingsTab", "Anniversary greeting, days ahead"), 0, 30, 0, DAYS),
        ("holiday_days_ahead", QT_TRANSLATE_NOOP("CareSettingsTab", "Holiday greeting, days ahead"), 0, 14, 0, DAYS),
        ("blessing_cutoff_days", QT_TRANSLATE_NOOP("CareSettingsTab", "A late birthday or anniversary greeting, at most"), 0, 60, 0,
         DAYS),
        ("holiday_cutoff_days", QT_TRANSLATE_NOOP("CareSettingsTab", "A late holiday greeting, at most"), 0, 30, 0, DAYS),
        ("catch_up_max_days", QT_TRANSLATE_NOOP("CareSettingsTab", "Catch up closed days, at most"), 1, 366, 0, DAYS),
        ("points_reminder_days", QT_TRANSLATE_NOOP("CareSettingsTab", "Points expiry reminder, days ahead"), 1, 365, 0,
         DAYS),
        ("hold_above", QT_TRANSLATE_NOOP("CareSettingsTab", "Hold a run of more texts than (0: no limit)"), 0, 3660, 0,
         TEXTS),
    )
    SWITCHES = (("hold_for_approval", QT_TRANSLATE_NOOP("CareSettingsTab", "Care texts wait for my approval (Care › Today)")),
                ("hold_first_run", QT_TRANSLATE_NOOP("CareSettingsTab", "Hold the shop's first care texts for my approval")),
                ("hold_after_import", QT_TRANSLATE_NOOP("CareSettingsTab", "Hold the first care texts after an import for my approval")))

    def extra(self, grid: QGridLayout, row: int) -> None:
        group = QGroupBox(self.tr("Care that runs"), self)
        flow = QGridLayout(group)
        self.rule_boxes: dict[str, QCheckBox] = {}
        for i, rule in enumerate(RULES):
            box = QCheckBox(rule_name(rule), group)
            self.rule_boxes[rule] = box
            flow.addWidget(box, i // 4, i % 4)
        grid.addWidget(group, row, 0, 1, self.COLUMNS)

    def show_data(self, data) -> None:
        super().show_data(data)
        for rule, box in self.rule_boxes.items():
            box.setChecked(rule in data.config.enabled)

    def changes(self) -> dict:
        out = super().changes()
        out["enabled"] = [r for r in RULES if self.rule_boxes[r].isChecked()]
        return out


def _money_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setAlignment(Qt.AlignmentFlag.AlignRight)
    edit.setMaximumWidth(140)
    return edit


class WinbackSection(FieldsSection):
    TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Win-back")
    HINT = QT_TRANSLATE_NOOP("CareSettingsTab", "A member silent far longer than their own usual gap gets a text (with a voucher), or, "
                                "for the biggest spenders, a call from the shop.")
    RULES = ("winback",)
    SHOT = "winback"
    FIELDS = (
        ("winback_factor", QT_TRANSLATE_NOOP("CareSettingsTab", "Silent for more than (× their usual gap)"), 1, 20, 1, " ×"),
        ("winback_floor_days", QT_TRANSLATE_NOOP("CareSettingsTab", "and more than"), 1, 730, 0, DAYS),
        ("winback_max_days", QT_TRANSLATE_NOOP("CareSettingsTab", "but not more than"), 30, 3650, 0, DAYS),
        ("winback_min_visits", QT_TRANSLATE_NOOP("CareSettingsTab", "Visits at least"), 2, 100, 0, ""),
        ("winback_call_top", QT_TRANSLATE_NOOP("CareSettingsTab", "Biggest spenders called instead"), 0, 1000, 0, ""),
        ("winback_daily_limit", QT_TRANSLATE_NOOP("CareSettingsTab", "New win-backs a day, at most"), 0, 10000, 0, ""),
        ("winback_window_days", QT_TRANSLATE_NOOP("CareSettingsTab", "Came back: within"), 1, 365, 0, DAYS),
    )

    def extra(self, grid: QGridLayout, row: int) -> None:
        group = QGroupBox(self.tr("Voucher with the text"), self)
        form = QHBoxLayout(group)
        self.with_voucher = QCheckBox(self.tr("Send a voucher"), group)
        self.value, self.min_spend = _money_edit(group), _money_edit(group)
        self.valid_days = QDoubleSpinBox(group)
        self.valid_days.setDecimals(0)
        self.valid_days.setRange(1, 365)
        self.valid_days.setSuffix(tr_care(DAYS))
        form.addWidget(self.with_voucher)
        for label, w in ((self.tr("worth"), self.value), (self.tr("on a spend of"), self.min_spend),
                         (self.tr("valid for"), self.valid_days)):
            form.addWidget(QLabel(label, group))
            form.addWidget(w)
        form.addStretch(1)
        self.with_voucher.toggled.connect(self._voucher_on)
        grid.addWidget(group, row, 0, 1, self.COLUMNS)

    def _voucher_on(self, on: bool) -> None:
        for w in (self.value, self.min_spend, self.valid_days):
            w.setEnabled(on)

    def show_data(self, data) -> None:
        super().show_data(data)
        spec = data.config.winback_voucher
        self.with_voucher.setChecked(spec is not None)
        spec = spec or {"value": 2000, "min_spend": 5000, "valid_days": 30}
        self.value.setText(self.state.plain(spec.get("value", 0)))
        self.min_spend.setText(self.state.plain(spec.get("min_spend", 0)))
        self.valid_days.setValue(spec.get("valid_days", 30))
        self._voucher_on(self.with_voucher.isChecked())

    def changes(self) -> dict:
        out = super().changes()
        if not self.with_voucher.isChecked():
            out["winback_voucher"] = None
            return out
        cur = self.state.settings.currency
        out["winback_voucher"] = {
            "value": money.parse_amount(self.value.text().strip(), cur, field=self.tr("worth")),
            "min_spend": money.parse_amount(self.min_spend.text().strip() or "0", cur,
                                            field=self.tr("on a spend of"), allow_zero=True),
            "valid_days": round(self.valid_days.value())}
        return out


class RepurchaseSection(FieldsSection):
    TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Repurchase")
    HINT = QT_TRANSLATE_NOOP("CareSettingsTab", "A member who buys a product on a steady cycle and is overdue gets a reminder, worded "
                                "for the product's category; a category left empty uses the default wording "
                                "(Messages › Templates).")
    RULES = ("repurchase",)
    SHOT = "repurchase"
    SCALE = {"repurchase_max_cv": 100}
    COLUMNS = 3
    FIELDS = (
        ("repurchase_min_purchases", QT_TRANSLATE_NOOP("CareSettingsTab", "Bought at least"), 2, 50, 0, QT_TRANSLATE_NOOP("CareSettingsTab", " times")),
        ("repurchase_min_cycle_days", QT_TRANSLATE_NOOP("CareSettingsTab", "Cycle at least"), 1, 365, 0, DAYS),
        ("repurchase_max_cv", QT_TRANSLATE_NOOP("CareSettingsTab", "Gaps vary by at most"), 5, 200, 0, " %"),
        ("repurchase_margin_pct", QT_TRANSLATE_NOOP("CareSettingsTab", "Overdue by (% of the cycle)"), 0, 300, 0, " %"),
        ("repurchase_give_up_factor", QT_TRANSLATE_NOOP("CareSettingsTab", "Give up after (× the cycle)"), 1.5, 20, 1, " ×"),
        ("repurchase_lookback_days", QT_TRANSLATE_NOOP("CareSettingsTab", "Look back"), 30, 3650, 0, DAYS),
    )

    def extra(self, grid: QGridLayout, row: int) -> None:
        holder = QWidget(self)
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 6, 0, 0)
        self.default_label = QLabel(holder)
        self.default_label.setWordWrap(True)
        self.default_label.setProperty("role", "muted")
        self.default_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = rows_table(holder, [self.tr("Category"), self.tr("Wording (empty: the default)")])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        box.addWidget(self.default_label)
        box.addWidget(self.table, 1)
        grid.addWidget(holder, row, 0, 1, self.COLUMNS)
        grid.setRowStretch(row, 1)

    def show_data(self, data) -> None:
        super().show_data(data)
        self.default_label.setText(self.tr("Default: {text}\nPlaceholders: {name} {product} {days} {shop}")
                                   .replace("{text}", data.repurchase_template))
        wording = data.config.repurchase_wording
        names = list(data.categories) + [c for c in wording if c not in data.categories]
        self.table.setRowCount(0)
        for r, name in enumerate(names):
            self.table.insertRow(r)
            self.table.setItem(r, 0, row_item(name, editable=False))
            self.table.setItem(r, 1, row_item(wording.get(name, "")))

    def changes(self) -> dict:
        out = super().changes()
        wording = {}
        for r in range(self.table.rowCount()):
            text = self.table.item(r, 1).text().strip() if self.table.item(r, 1) else ""
            if text:
                wording[self.table.item(r, 0).text()] = text
        try:
            from app.services.care.config import check_wording

            check_wording(wording)
        except ShopError as exc:
            raise RowError(self.tr("{category}: {error}").format(
                category=self._failing(wording), error=self.state.error_text(exc))) from None
        out["repurchase_wording"] = wording
        return out

    @staticmethod
    def _failing(wording: dict) -> str:
        from app.services.care.config import check_wording

        for category, text in wording.items():
            try:
                check_wording({category: text})
            except ShopError:
                return category
        return ""


class FollowupSection(FieldsSection):
    """Follow-ups and satisfaction: the plans and categories are set in Care › Follow-ups; here how
    late they may still go, and who would get what."""
    TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Follow-ups and satisfaction")
    HINT = QT_TRANSLATE_NOOP("CareSettingsTab", "The follow-up plans and the categories asked for satisfaction are set in "
                                "Care › Follow-ups. Here: how late a follow-up missed on a closed day may still go, "
                                "when the satisfaction text goes, and how often a member is asked.")
    RULES = ("followup", "satisfaction")
    SHOT = "followup"
    FIELDS = (
        ("followup_cutoff_days", QT_TRANSLATE_NOOP("CareSettingsTab", "A late follow-up, at most"), 0, 30, 0, DAYS),
        ("satisfaction_days_after", QT_TRANSLATE_NOOP("CareSettingsTab", "Satisfaction text, days after the sale"), 0, 30, 0,
         DAYS),
        ("satisfaction_every_days", QT_TRANSLATE_NOOP("CareSettingsTab", "Ask a member at most once every"), 1, 3660, 0,
         DAYS),
    )
