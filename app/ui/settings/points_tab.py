"""Settings › Points and tiers: how points are earned, spent and expire, and the member tiers."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import money
from app.errors import ShopError
from app.services.admin import shop_admin
from app.services.admin.shop_admin import TierInput
from app.services.base.settings import CASHIER_DISCOUNT_MAX_BP
from app.ui.settings.owner_password import owner_gated
from app.ui.settings.rows import RowError, row_item, rows_table
from app.ui.settings.staff_tab import role_label
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab
from app.ui.widgets import button_row as _buttons
from app.ui.widgets import int_spin as _int_spin

# --- points and tiers ----------------------------------------------------------------------------------
EXPIRY = [
    ("year_end", QT_TRANSLATE_NOOP("PointsTab", "At the end of the following year")),
    ("months", QT_TRANSLATE_NOOP("PointsTab", "A number of months after earning")),
    ("never", QT_TRANSLATE_NOOP("PointsTab", "Never")),
]


class PointsTab(_Tab):
    COLS = ["code", "name_en", "name_zh", "rank", "min_spend", "discount", "multiplier", "members"]

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.tiers: list = []
        # points
        self.per_unit = _int_spin(self, 0, 1000)
        self.redeem = _int_spin(self, 1, 1_000_000)
        self.expiry = QComboBox(self)
        for key, label in EXPIRY:
            self.expiry.addItem(self.tr(label), key)
        self.months = _int_spin(self, 1, 120)
        self.months.setSuffix(self.tr(" months"))
        # VIP rule
        self.vip_tier = QComboBox(self)
        self.vip_single = QLineEdit(self)
        self.vip_month = QLineEdit(self)
        for edit in (self.vip_single, self.vip_month):
            edit.setPlaceholderText(self.tr("0 = off"))
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        # discount limits
        self.cashier_limit = QDoubleSpinBox(self)
        self.manager_limit = QDoubleSpinBox(self)
        for spin in (self.cashier_limit, self.manager_limit):
            spin.setRange(0, 100)
            spin.setDecimals(1)
            spin.setSuffix(" %")
        self.cashier_limit.setMaximum(CASHIER_DISCOUNT_MAX_BP / 100)  # the service's own cap
        for spin in (self.per_unit, self.redeem, self.months, self.cashier_limit, self.manager_limit):
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.save_rules = QPushButton(self.tr("Save rules"), self)
        self.save_rules.setProperty("primary", True)

        points = QGroupBox(self.tr("Points"), self)
        pf = QFormLayout(points)
        pf.addRow(self.tr("Points per 1 unit spent"), self.per_unit)
        pf.addRow(self.tr("Points that pay 1 unit"), self.redeem)
        pf.addRow(self.tr("Points expire"), self.expiry)
        pf.addRow("", self.months)
        vip = QGroupBox(self.tr("VIP rule"), self)
        vf = QFormLayout(vip)
        vf.addRow(self.tr("VIP tier"), self.vip_tier)
        vf.addRow(self.tr("One purchase of at least"), self.vip_single)
        vf.addRow(self.tr("Or a month's spend of"), self.vip_month)
        limits = QGroupBox(self.tr("Largest manual discount"), self)
        lf = QFormLayout(limits)
        lf.addRow(role_label("cashier"), self.cashier_limit)
        lf.addRow(role_label("manager"), self.manager_limit)
        top = QGridLayout()
        top.addWidget(points, 0, 0)
        top.addWidget(vip, 0, 1)
        top.addWidget(limits, 0, 2)

        # tiers
        self.table = rows_table(self, [self.tr("Code"), self.tr("Name (English)"), self.tr("Name (Chinese)"),
                                   self.tr("Rank"), self.tr("Upgrade at total spend"), self.tr("Discount %"),
                                   self.tr("Points ×%"), self.tr("Members")])
        self.add_tier = QPushButton(self.tr("Add tier"), self)
        self.delete_tier = QPushButton(self.tr("Delete tier"), self)
        self.save_tiers = QPushButton(self.tr("Save tiers"), self)
        self.save_tiers.setProperty("primary", True)
        self.save_buttons = [self.save_rules, self.add_tier, self.delete_tier, self.save_tiers]
        tiers_title = QLabel(self.tr("Member tiers"), self)
        tiers_title.setStyleSheet("font-weight: 600;")
        tiers_hint = QLabel(self.tr("Members move up when their total spend reaches a tier; leave it empty for a "
                                    "tier given by the VIP rule or by hand."), self)
        tiers_hint.setProperty("role", "muted")
        tiers_hint.setWordWrap(True)

        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(_buttons(self.save_rules))
        box.addSpacing(6)
        box.addWidget(tiers_title)
        box.addWidget(tiers_hint)
        box.addWidget(self.table, 1)
        box.addLayout(_buttons(self.add_tier, self.delete_tier, self.save_tiers))
        box.addWidget(self.status)
        self.expiry.currentIndexChanged.connect(lambda _i: self.months.setEnabled(self.expiry.currentData() == "months"))
        self.save_rules.clicked.connect(self.submit_rules)
        self.add_tier.clicked.connect(self.new_tier_row)
        self.delete_tier.clicked.connect(self.remove_tier)
        self.save_tiers.clicked.connect(self.submit_tiers)

    def load(self) -> None:
        cfg = self.state.settings
        self.per_unit.setValue(cfg.points_per_unit)
        self.redeem.setValue(cfg.points_redeem_rate)
        self.expiry.setCurrentIndex(max(0, self.expiry.findData(cfg.points_expiry_policy)))
        self.months.setValue(cfg.points_expiry_months)
        self.months.setEnabled(cfg.points_expiry_policy == "months")
        self.vip_single.setText(self.state.plain(cfg.vip_single_purchase))
        self.vip_month.setText(self.state.plain(cfg.vip_month_spend))
        self.cashier_limit.setValue(cfg.discount_limit_bp.get("cashier", 0) / 100)
        self.manager_limit.setValue(cfg.discount_limit_bp.get("manager", 0) / 100)
        ctx = self.state.ctx
        self.run(lambda: shop_admin.list_tiers(ctx), self.show_tiers)

    def show_tiers(self, tiers) -> None:
        self.tiers = tiers
        self.table.setRowCount(0)
        for tier in tiers:
            self._add_row(tier)
        chosen = self.vip_tier.currentData() or self.state.settings.vip_tier
        self.vip_tier.clear()
        for tier in tiers:
            self.vip_tier.addItem(self.state.tier_name(tier.name_en, tier.name_zh), tier.code)
        self.vip_tier.setCurrentIndex(max(0, self.vip_tier.findData(chosen)))

    def _add_row(self, tier=None) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        t = tier
        cells = [
            row_item(t.code if t else "", editable=False, data=t.id if t else None),
            row_item(t.name_en if t else ""),
            row_item(t.name_zh if t else ""),
            row_item(str(t.rank) if t else str(max([x.rank for x in self.tiers] + [0]) + 1 + r - len(self.tiers)),
                  align_right=True),
            row_item(self.state.plain(t.min_spend) if t and t.min_spend is not None else "", align_right=True),
            row_item(f"{t.discount_bp / 100:g}" if t else "0", align_right=True),
            row_item(str(t.points_multiplier_pct) if t else "100", align_right=True),
            row_item(self.state.number(t.members) if t else "0", editable=False, align_right=True),
        ]
        for c, item in enumerate(cells):
            self.table.setItem(r, c, item)

    def new_tier_row(self) -> None:
        self._add_row()
        r = self.table.rowCount() - 1
        self.table.setCurrentCell(r, 1)
        self.table.editItem(self.table.item(r, 1))

    def _amount(self, text: str, field: str, *, blank=None):
        text = text.strip()
        if not text:
            return blank
        return money.parse_amount(text, self.state.settings.currency, field=field, allow_zero=True)

    def _int(self, text: str, row: int, field: str) -> int:
        try:
            return int(text.strip())
        except ValueError:
            raise RowError(self.tr("Row {row}: {field} '{value}' is not a whole number").format(
                row=row, field=field, value=text)) from None

    def read_tiers(self) -> list[TierInput]:
        rows = []
        for r in range(self.table.rowCount()):
            cell = [self.table.item(r, c).text() if self.table.item(r, c) else "" for c in range(8)]
            tier_id = self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            try:
                spend = self._amount(cell[4], self.tr("Upgrade at total spend"))
                discount = money.parse_amount(cell[5] or "0", "CNY", field=self.tr("Discount %"), allow_zero=True)
            except ShopError as exc:
                raise RowError(self.tr("Row {row}: {error}").format(row=r + 1, error=self.state.error_text(exc))) \
                    from None
            rows.append(TierInput(name_en=cell[1], name_zh=cell[2], rank=self._int(cell[3], r + 1, self.tr("Rank")),
                                  min_spend=spend, discount_bp=discount,
                                  points_multiplier_pct=self._int(cell[6], r + 1, self.tr("Points ×%")), id=tier_id))
        return rows

    @owner_gated("change_settings")
    def submit_tiers(self) -> None:
        try:
            rows = self.read_tiers()
        except RowError as exc:
            self.status.error(exc.text)
            return
        ctx = self.state.ctx

        def saved(tiers) -> None:
            self.show_tiers(tiers)
            self.status.ok(self.tr("Tiers saved."))

        self.run(lambda: shop_admin.save_tiers(ctx, rows), saved, busy=[self.save_tiers])

    @owner_gated("change_settings")
    def remove_tier(self) -> None:
        r = self.table.currentRow()
        if r < 0:
            self.status.error(self.tr("Choose a tier first."))
            return
        tier_id = self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
        if tier_id is None:  # a new row not saved yet
            self.table.removeRow(r)
            return
        ctx = self.state.ctx

        def deleted(tiers) -> None:
            self.show_tiers(tiers)
            self.status.ok(self.tr("Tier deleted."))

        def work():
            shop_admin.delete_tier(ctx, tier_id)
            return shop_admin.list_tiers(ctx)

        self.run(work, deleted, busy=[self.delete_tier])

    @owner_gated("change_settings")
    def submit_rules(self) -> None:
        try:
            single = self._amount(self.vip_single.text(), self.tr("One purchase of at least"), blank=0)
            month = self._amount(self.vip_month.text(), self.tr("Or a month's spend of"), blank=0)
        except ShopError as exc:
            self.status.error(self.state.error_text(exc))
            return
        ctx = self.state.ctx
        values = dict(points_per_unit=round(self.per_unit.value()), points_redeem_rate=round(self.redeem.value()),
                      expiry_policy=self.expiry.currentData(), expiry_months=round(self.months.value()),
                      vip_tier=self.vip_tier.currentData() or "", vip_single_purchase=single, vip_month_spend=month,
                      cashier_discount_bp=round(self.cashier_limit.value() * 100),
                      manager_discount_bp=round(self.manager_limit.value() * 100))

        def saved(cfg) -> None:
            self.state.settings = cfg
            self.state.settings_changed.emit()
            self.status.ok(self.tr("Points, VIP and discount rules saved."))

        self.run(lambda: shop_admin.save_rules(ctx, **values), saved, busy=[self.save_rules])
