"""Care › Follow-ups: the shop's service follow-up plans (a text or a call task N days after a purchase
of a category or a product) and its satisfaction texts (after sales of the categories ticked, at most
once per member per period). Owner only to change (``care.update_config`` checks it, and refuses a
follow-up of 0 days with a sentence in the shop's language, changing nothing)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSpinBox, QTableWidget,
                               QVBoxLayout, QWidget)

from app.services import care
from app.services.sales import products
from app.ui.care.parts import CareTab
from app.ui.state import AppState
from app.ui.widgets import button_row

COL_FOR, COL_WHICH, COL_DAYS, COL_ACTION, COL_TEXT = range(5)


class FollowupsTab(CareTab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.categories: list[str] = []
        self.enabled: tuple[str, ...] = ()
        self.plans_box = QGroupBox(self.tr("Service follow-ups: a text or a call some days after a purchase"), self)
        self.plans = QTableWidget(0, 5, self)
        self.plans.setHorizontalHeaderLabels([self.tr("For"), self.tr("Category or SKU"), self.tr("Days after"),
                                              self.tr("Action"), self.tr("Text (empty: the shop's follow-up template)")])
        self.plans.verticalHeader().hide()
        self.plans.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.plans.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TEXT, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton(self.tr("Add a plan"), self)
        self.add_button.clicked.connect(lambda: self.add_row({"category": "", "days": 7, "action": "text"}))
        self.remove_button = QPushButton(self.tr("Remove the selected plan"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        pb = QVBoxLayout(self.plans_box)
        pb.addWidget(self.plans, 1)
        pb.addLayout(button_row(self.add_button, self.remove_button))

        self.sat_box = QGroupBox(self.tr("Satisfaction texts (\"reply 1-5\"); a score of 1 or 2 opens a complaint "
                                         "on the call list"), self)
        self.sat_categories = QListWidget(self)
        self.sat_categories.setMaximumHeight(150)
        self.sat_after = QSpinBox(self)
        self.sat_after.setRange(0, 30)
        self.sat_after.setSuffix(self.tr(" days"))
        self.sat_after.setSpecialValueText(self.tr("the same day"))
        self.sat_every = QSpinBox(self)
        self.sat_every.setRange(1, 3660)
        self.sat_every.setSuffix(self.tr(" days"))
        for spin in (self.sat_after, self.sat_every):
            spin.setMaximumWidth(180)
        form = QFormLayout()
        form.addRow(self.tr("After sales of"), self.sat_categories)
        form.addRow(self.tr("Sent after the sale"), self.sat_after)
        form.addRow(self.tr("At most once per member every"), self.sat_every)
        sb = QVBoxLayout(self.sat_box)
        sb.addLayout(form)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        lower = QHBoxLayout()
        lower.addWidget(self.sat_box, 1)
        box = QVBoxLayout(self)
        box.addWidget(self.plans_box, 3)
        box.addLayout(lower, 2)
        box.addLayout(button_row(self.save_button))
        box.addWidget(self.status)
        self.apply_permissions()

    def apply_permissions(self) -> None:
        allowed = self.state.role_allowed("change_settings")
        for w in (self.add_button, self.remove_button, self.save_button, self.plans, self.sat_box):
            w.setEnabled(allowed)

    # --- reading ------------------------------------------------------------------------------------
    def load(self) -> None:
        ctx = self.state.ctx
        self.apply_permissions()
        self.run(lambda: (care.load_config(ctx), [c.name for c in products.categories(ctx)]), self.show_config)

    def show_config(self, loaded) -> None:
        cfg, names = loaded
        self.categories = list(names)
        self.enabled = tuple(cfg.enabled)
        self.plans.setRowCount(0)
        for item in cfg.followup_plans:
            self.add_row(item)
        self.sat_categories.clear()
        chosen = set(cfg.satisfaction_categories)
        for name in self.categories + sorted(chosen - set(self.categories)):
            it = QListWidgetItem(name, self.sat_categories)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
        self.sat_after.setValue(cfg.satisfaction_days_after)
        self.sat_every.setValue(cfg.satisfaction_every_days)

    def add_row(self, item: dict) -> None:
        row = self.plans.rowCount()
        self.plans.insertRow(row)
        kind = QComboBox(self.plans)
        kind.addItem(self.tr("Category"), "category")
        kind.addItem(self.tr("Product (SKU)"), "sku")
        which = QComboBox(self.plans)
        which.setEditable(True)
        which.addItems(self.categories)
        is_sku = bool(item.get("sku"))
        kind.setCurrentIndex(1 if is_sku else 0)
        which.setCurrentText(str(item.get("sku") if is_sku else item.get("category") or ""))
        days = QSpinBox(self.plans)
        days.setRange(0, 3660)     # 0 is refused by the service, with its sentence
        days.setValue(int(item.get("days", 7)) if isinstance(item.get("days"), int) else 7)
        action = QComboBox(self.plans)
        action.addItem(self.tr("Text"), "text")
        action.addItem(self.tr("Call task"), "call")
        action.setCurrentIndex(1 if item.get("action") == "call" else 0)
        text = QLineEdit(str(item.get("text") or ""), self.plans)
        text.setPlaceholderText(self.tr("e.g. {name}, how is your perm holding up?"))
        text.setProperty("plan_id", item.get("id"))
        for col, w in ((COL_FOR, kind), (COL_WHICH, which), (COL_DAYS, days), (COL_ACTION, action), (COL_TEXT, text)):
            self.plans.setCellWidget(row, col, w)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.plans.selectionModel().selectedRows()}, reverse=True)
        for row in rows or ([self.plans.currentRow()] if self.plans.currentRow() >= 0 else []):
            self.plans.removeRow(row)

    # --- saving -------------------------------------------------------------------------------------
    def plan_rows(self) -> list[dict]:
        out = []
        for row in range(self.plans.rowCount()):
            kind = self.plans.cellWidget(row, COL_FOR).currentData()
            text_edit = self.plans.cellWidget(row, COL_TEXT)
            item = {kind: self.plans.cellWidget(row, COL_WHICH).currentText().strip(),
                    "days": self.plans.cellWidget(row, COL_DAYS).value(),
                    "action": self.plans.cellWidget(row, COL_ACTION).currentData()}
            if text_edit.text().strip():
                item["text"] = text_edit.text().strip()
            if text_edit.property("plan_id"):
                item["id"] = text_edit.property("plan_id")
            out.append(item)
        return out

    def chosen_categories(self) -> list[str]:
        return [self.sat_categories.item(i).text() for i in range(self.sat_categories.count())
                if self.sat_categories.item(i).checkState() == Qt.CheckState.Checked]

    def save(self) -> None:
        ctx = self.state.ctx
        changes = dict(followup_plans=self.plan_rows(), satisfaction_categories=self.chosen_categories(),
                       satisfaction_days_after=self.sat_after.value(), satisfaction_every_days=self.sat_every.value())
        # A shop that once chose its care rules (before these existed) has them switched on by setting them up.
        wanted = [r for r, on in (("followup", changes["followup_plans"]),
                                  ("satisfaction", changes["satisfaction_categories"])) if on and r not in self.enabled]
        if wanted and self.enabled:
            changes["enabled"] = list(self.enabled) + wanted
        self.run(lambda: care.update_config(ctx, **changes),
                 lambda _cfg: self.status.ok(self.tr("Saved: {n} follow-up plans, satisfaction after {m} categories")
                                             .format(n=len(changes["followup_plans"]),
                                                     m=len(changes["satisfaction_categories"]))))
