"""Settings: shop details, this till's receipt printer, points and tiers, top-up bonus rules, and
staff and roles. Every load and save runs on the task runner; the services check who may change
what (the owner), and their refusals are shown in the user's language."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import money
from app.errors import ShopError
from app.services.admin import shop_admin
from app.services.base.settings import CASHIER_DISCOUNT_MAX_BP
from app.services.admin.shop_admin import BonusRuleInput, TierInput
from app.ui import i18n
from app.ui.settings.owner_password import SetOwnerPasswordDialog, owner_gated
from app.ui.startup import PIN_MAX, PIN_MIN, CurrencyPicker, RegionPicker, _pin_edit
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab
from app.ui.widgets import button_row as _buttons
from app.ui.widgets import capped as _capped
from app.ui.widgets import int_spin as _int_spin

ROLE_LABELS = {
    "owner": QT_TRANSLATE_NOOP("Roles", "Owner"),
    "manager": QT_TRANSLATE_NOOP("Roles", "Manager"),
    "cashier": QT_TRANSLATE_NOOP("Roles", "Cashier"),
}


def role_label(role: str) -> str:
    return QCoreApplication.translate("Roles", ROLE_LABELS.get(role, role))


class RowError(Exception):
    """A cell the UI could not read; ``text`` is already in the user's language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                          | QAbstractItemView.EditTrigger.AnyKeyPressed)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(False)
    table.horizontalHeader().setMinimumSectionSize(90)
    table.setAlternatingRowColors(True)
    return table


def _item(text: str, *, editable: bool = True, data=None, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if not editable:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


# --- shop -----------------------------------------------------------------------------------------
class ShopTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.shop_name = QLineEdit(self)
        self.shop_name.setMaxLength(shop_admin.NAME_MAX)
        self.currency = CurrencyPicker(self, state.lang)
        self.language = QComboBox(self)
        for code, name in i18n.LANGUAGES.items():
            self.language.addItem(name, code)
        self.region = RegionPicker(self, state.lang)
        self.signature = QLineEdit(self)
        self.signature.setMaxLength(shop_admin.SIGNATURE_MAX)
        self.signature.setPlaceholderText(self.tr("The shop name when empty"))
        self.save = QPushButton(self.tr("Save shop details"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.save]
        note = QLabel(self.tr("The currency cannot change once sales or stored value are recorded. "
                              "A new language applies the next time ShopCare starts."), self)
        note.setProperty("role", "muted")
        note.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("Shop name"), self.shop_name)
        form.addRow(self.tr("Currency"), self.currency)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Phone region"), self.region)
        region_hint = QLabel(self.tr("Phone numbers typed without a country code (+1, +86…) are read as this "
                                     "region's; dates are written the region's way."), self)
        region_hint.setProperty("role", "muted")
        region_hint.setWordWrap(True)
        form.addRow("", region_hint)
        form.addRow(self.tr("Text message signature"), self.signature)
        box = QVBoxLayout(self)
        box.addWidget(_capped(form, self))
        box.addWidget(note)
        box.addLayout(_buttons(self.save))
        box.addWidget(self.status)
        box.addStretch(1)
        self.save.clicked.connect(self.submit)

    def load(self) -> None:
        cfg = self.state.settings
        self.shop_name.setText(cfg.shop_name)
        self.currency.set_currency(cfg.currency)
        self.language.setCurrentIndex(max(0, self.language.findData(cfg.language)))
        self.region.set_region(cfg.region)
        self.signature.setText(cfg.signature)
        self.apply_permissions()

    @owner_gated("change_settings")
    def submit(self) -> None:
        problem = self.currency.problem() or self.region.problem()
        if problem:
            self.status.error(problem)
            return
        ctx, old_lang = self.state.ctx, self.state.lang
        args = (self.shop_name.text(), self.currency.currency(), self.language.currentData(), self.signature.text(),
                self.region.region())

        def saved(cfg) -> None:
            self.state.settings = cfg
            self.state.settings_changed.emit()
            if cfg.language != old_lang:
                self.status.ok(self.tr("Saved. The new language applies the next time ShopCare starts."))
            else:
                self.status.ok(self.tr("Shop details saved."))

        self.run(lambda: shop_admin.update_shop(ctx, *args), saved, busy=[self.save])


# --- receipt printer --------------------------------------------------------------------------------
PRINTER_KINDS = [
    ("preview", QT_TRANSLATE_NOOP("PrinterTab", "On-screen preview")),
    ("usb", QT_TRANSLATE_NOOP("PrinterTab", "USB printer")),
    ("net", QT_TRANSLATE_NOOP("PrinterTab", "Network printer")),
    ("serial", QT_TRANSLATE_NOOP("PrinterTab", "Serial port printer")),
    ("file", QT_TRANSLATE_NOOP("PrinterTab", "Write to a file")),
]
PRINTER_HINTS = {
    "usb": QT_TRANSLATE_NOOP("PrinterTab", "VID:PID, e.g. 04b8:0202"),
    "net": QT_TRANSLATE_NOOP("PrinterTab", "host or IP[:port], e.g. 192.168.1.50:9100"),
    "serial": QT_TRANSLATE_NOOP("PrinterTab", "device, e.g. /dev/ttyUSB0 or COM3"),
    "file": QT_TRANSLATE_NOOP("PrinterTab", "path, e.g. /tmp/receipts.bin"),
}


class PrinterTab(_Tab):
    """This till's printer (kept on this computer by app.services.base.localconfig)."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self._till = "T1"
        self.kind = QComboBox(self)
        for key, label in PRINTER_KINDS:
            self.kind.addItem(self.tr(label), key)
        self.target = QLineEdit(self)
        self.setting = QLabel(self)
        self.setting.setProperty("role", "muted")
        self.setting.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.paper = QComboBox(self)
        self.paper.addItem(self.tr("80 mm"), 80)
        self.paper.addItem(self.tr("58 mm"), 58)
        self.qr = QCheckBox(self.tr("Print a QR code on receipts"), self)
        self.drawer = QCheckBox(self.tr("Open the cash drawer on cash sales"), self)
        self.save = QPushButton(self.tr("Save printer"), self)
        self.save.setProperty("primary", True)
        self.test = QPushButton(self.tr("Test print"), self)
        self.save_buttons = [self.save]
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.preview.setFont(mono)
        self.preview.setMaximumHeight(190)
        self.preview.setMaximumWidth(680)
        self.preview.hide()
        note = QLabel(self.tr("This printer belongs to this till: other tills keep their own."), self)
        note.setProperty("role", "muted")

        target_row = QHBoxLayout()
        target_row.addWidget(self.kind)
        target_row.addWidget(self.target, 1)
        form = QFormLayout()
        form.addRow(self.tr("Printer"), target_row)
        form.addRow("", self.setting)
        form.addRow(self.tr("Paper width"), self.paper)
        form.addRow("", self.qr)
        form.addRow("", self.drawer)
        box = QVBoxLayout(self)
        box.addWidget(_capped(form, self))
        box.addWidget(note)
        box.addLayout(_buttons(self.save, self.test))
        box.addWidget(self.status)
        box.addWidget(self.preview)
        box.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.target.textChanged.connect(self._show_setting)
        self.save.clicked.connect(self.submit)
        self.test.clicked.connect(self.test_print)
        self._kind_changed()

    # the setting string <-> the chooser
    def setting_text(self) -> str:
        kind = self.kind.currentData()
        return "preview" if kind == "preview" else f"{kind}:{self.target.text().strip()}"

    def set_setting(self, text: str) -> None:
        kind, _sep, rest = (text or "preview").partition(":")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.target.setText(rest)
        self._show_setting()

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.target.setVisible(kind != "preview")
        self.target.setPlaceholderText(self.tr(PRINTER_HINTS.get(kind, "")) if kind in PRINTER_HINTS else "")
        self._show_setting()

    def parsed(self):
        from app.services.base.localconfig import parse_printer_setting

        return parse_printer_setting(self.setting_text())

    def _show_setting(self) -> None:
        try:
            text = self.parsed().text
        except ShopError as exc:
            self.setting.setText(self.state.error_text(exc))
            self.setting.setProperty("role", "error")
        else:
            self.setting.setText(self.tr("Setting: {setting}").format(setting=text))
            self.setting.setProperty("role", "muted")
        self.setting.style().unpolish(self.setting)
        self.setting.style().polish(self.setting)

    def config(self):
        from app.services.base.localconfig import TillConfig

        return TillConfig(printer=self.setting_text(), paper_mm=int(self.paper.currentData()),
                          print_qr=self.qr.isChecked(), open_drawer=self.drawer.isChecked(), till=self._till)

    def load(self) -> None:
        from app.services.base import localconfig

        def loaded(cfg) -> None:
            self._till = cfg.till
            self.set_setting(cfg.printer)
            self.paper.setCurrentIndex(max(0, self.paper.findData(cfg.paper_mm)))
            self.qr.setChecked(cfg.print_qr)
            self.drawer.setChecked(cfg.open_drawer)

        self.run(localconfig.load, loaded, pool="io")

    def submit(self) -> None:
        from app.services.base import localconfig

        if not self.can_change():  # the till's own file has no service check: refuse here
            self.status.error(self.tr("Only the owner can change the printer."))
            return
        cfg = self.config()

        def saved(result) -> None:
            self.set_setting(result.printer)
            self.status.ok(self.tr("Printer saved for this till."))

        self.run(lambda: localconfig.save(cfg), saved, pool="io", busy=[self.save])

    def test_print(self) -> None:
        from app.adapters.printers import printer_from_setting
        from app.services.sales import printing

        try:
            cfg = self.config()
            printer = printer_from_setting(cfg.printer, paper_mm=cfg.paper_mm, print_qr=cfg.print_qr)
        except ShopError as exc:
            self.status.error(self.state.error_text(exc))
            return
        self.status.ok(self.tr("Printing a test page…"))

        def done(outcome) -> None:
            if outcome.ok:
                self.status.ok(self.tr("Test page sent to {printer}.").format(printer=cfg.printer))
            else:
                self.status.error(outcome.error_text(self.state.lang) or "")
            self.preview.setPlainText("\n".join(outcome.preview_lines))
            self.preview.setVisible(bool(outcome.preview_lines))

        self.run(lambda: printing.test_print(printer, cfg), done, pool="io", busy=[self.test])


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
        self.table = _table(self, [self.tr("Code"), self.tr("Name (English)"), self.tr("Name (Chinese)"),
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
            self.vip_tier.addItem(tier.name_zh if self.state.zh else tier.name_en, tier.code)
        self.vip_tier.setCurrentIndex(max(0, self.vip_tier.findData(chosen)))

    def _add_row(self, tier=None) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        t = tier
        cells = [
            _item(t.code if t else "", editable=False, data=t.id if t else None),
            _item(t.name_en if t else ""),
            _item(t.name_zh if t else ""),
            _item(str(t.rank) if t else str(max([x.rank for x in self.tiers] + [0]) + 1 + r - len(self.tiers)),
                  align_right=True),
            _item(self.state.plain(t.min_spend) if t and t.min_spend is not None else "", align_right=True),
            _item(f"{t.discount_bp / 100:g}" if t else "0", align_right=True),
            _item(str(t.points_multiplier_pct) if t else "100", align_right=True),
            _item(self.state.number(t.members) if t else "0", editable=False, align_right=True),
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


# --- top-up bonus rules ------------------------------------------------------------------------------------
class BonusTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        hint = QLabel(self.tr("A top-up of at least the amount gets the bonus as extra stored value; the largest "
                              "rule that fits wins. Dates are optional (YYYY-MM-DD)."), self)
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        self.table = _table(self, [self.tr("Top up at least"), self.tr("Bonus"), self.tr("From"), self.tr("Until"),
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
        self.run(lambda: shop_admin.list_bonus_rules(ctx), self.show_rules)

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
            _item(self.state.plain(rule.min_amount) if rule else "", data=rule.id if rule else None, align_right=True),
            _item(self.state.plain(rule.bonus) if rule else "", align_right=True),
            _item(rule.valid_from.isoformat() if rule and rule.valid_from else ""),
            _item(rule.valid_to.isoformat() if rule and rule.valid_to else ""),
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

        self.run(lambda: shop_admin.save_bonus_rules(ctx, rows), saved, busy=[self.save])

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
            shop_admin.deactivate_bonus_rule(ctx, rule_id)
            return shop_admin.list_bonus_rules(ctx)

        def done(rules) -> None:
            self.show_rules(rules)
            self.status.ok(self.tr("Rule deactivated: past top-ups keep their bonus."))

        self.run(work, done, busy=[self.deactivate])


# --- staff and roles ----------------------------------------------------------------------------------------
class StaffDialog(QDialog):
    """Add a staff member (name, role, PIN twice), or set a new PIN (``name`` given)."""

    def __init__(self, parent: QWidget | None = None, *, name: str | None = None) -> None:
        super().__init__(parent)
        self.reset = name is not None
        self.setWindowTitle(self.tr("New PIN for {name}").format(name=name) if self.reset else self.tr("Add staff"))
        self.name = QLineEdit(self)
        self.name.setMaxLength(shop_admin.NAME_MAX)
        self.role = QComboBox(self)
        for role in ("cashier", "manager", "owner"):
            self.role.addItem(role_label(role), role)
        self.pin = _pin_edit(self)
        self.pin_again = _pin_edit(self)
        self.pin.setPlaceholderText(self.tr("4 to 8 digits"))
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.hide()
        ok = QPushButton(self.tr("Save"), self)
        ok.setDefault(True)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.setAutoDefault(False)
        form = QFormLayout()
        if not self.reset:
            form.addRow(self.tr("Name"), self.name)
            form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.tr("PIN again"), self.pin_again)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addLayout(_buttons(ok, cancel))
        ok.clicked.connect(self.check)
        cancel.clicked.connect(self.reject)
        (self.pin if self.reset else self.name).setFocus()

    def problem(self) -> str | None:
        if not self.reset and not self.name.text().strip():
            return self.tr("Type the name")
        pin = self.pin.text()
        if not (PIN_MIN <= len(pin) <= PIN_MAX and pin.isdigit()):
            return self.tr("A PIN is 4 to 8 digits")
        if pin != self.pin_again.text():
            return self.tr("The two PINs are not the same")
        return None

    def check(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        self.accept()


class StaffTab(_Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.staff: list = []
        self.table = _table(self, [self.tr("Name"), self.tr("Role"), self.tr("Status")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Three short columns: let the last take the rest of the width instead of an empty grey band.
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.add = QPushButton(self.tr("Add staff…"), self)
        self.role = QComboBox(self)
        for role in ("cashier", "manager", "owner"):
            self.role.addItem(role_label(role), role)
        self.set_role = QPushButton(self.tr("Set role"), self)
        self.toggle = QPushButton(self.tr("Deactivate"), self)
        self.reset = QPushButton(self.tr("Reset PIN…"), self)
        self.unlock = QPushButton(self.tr("Unlock"), self)
        self.save_buttons = [self.add, self.set_role, self.toggle, self.reset, self.unlock]
        # The logged-in owner's own password: set the first one with the PIN login alone (there is no
        # password to ask yet), change it with the old one.
        self.password_button = QPushButton(self.tr("Set owner password…"), self)
        self.password_button.clicked.connect(self.owner_password)
        hint = QLabel(self.tr("Owners change settings and staff; managers approve refunds and adjustments; "
                              "cashiers sell and top up. Someone locked out after too many wrong PINs needs "
                              "Unlock or a new PIN. Exports, adjustments and settings ask for the owner's "
                              "password, not a PIN."), self)
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.table, 1)
        box.addLayout(_buttons(self.add, self.role, self.set_role, self.toggle, self.reset, self.unlock))
        box.addLayout(_buttons(self.password_button))
        box.addWidget(self.status)
        self.add.clicked.connect(self.add_staff)
        self.set_role.clicked.connect(self.change_role)
        self.toggle.clicked.connect(self.toggle_active)
        self.reset.clicked.connect(self.reset_pin)
        self.unlock.clicked.connect(self.unlock_selected)
        self.table.currentCellChanged.connect(lambda *_a: self._selected_changed())

    def can_change(self) -> bool:
        return self.state.role_allowed("manage_staff")

    def load(self) -> None:
        ctx = self.state.ctx
        self.run(lambda: shop_admin.list_staff(ctx), self.show_staff)

    def me(self):
        """The logged-in owner's own row (None for anyone else, or the system)."""
        actor = self.state.actor
        if actor.role != "owner" or actor.id is None:
            return None
        return next((s for s in self.staff if s.id == actor.id), None)

    def _show_password_button(self) -> None:
        me = self.me()
        self.password_button.setVisible(me is not None)
        if me is not None:
            self.password_button.setText(self.tr("Change owner password…") if me.has_password
                                         else self.tr("Set owner password…"))

    def owner_password(self) -> None:
        me = self.me()
        if me is None:
            return
        self.password_dialog = SetOwnerPasswordDialog(self.state, me.has_password, self)
        self.password_dialog.saved.connect(lambda _v: (self.status.ok(self.tr("The owner's password is saved.")),
                                                       self.load()))
        self.password_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.password_dialog.open()

    def show_staff(self, staff) -> None:
        chosen = self.selected()
        self.staff = staff
        self._show_password_button()
        self.table.setRowCount(0)
        for s in staff:
            r = self.table.rowCount()
            self.table.insertRow(r)
            status = (self.tr("Inactive") if not s.active else self.tr("Locked out") if s.locked
                      else self.tr("Active"))
            if s.role == "owner" and s.active:
                status += " · " + (self.tr("owner's password set") if s.has_password
                                   else self.tr("no owner's password yet"))
            for c, text in enumerate((s.name, role_label(s.role), status)):
                item = _item(text, editable=False, data=s.id)
                if not s.active:
                    item.setForeground(Qt.GlobalColor.gray)
                elif s.locked and c == 2:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(r, c, item)
        row = next((i for i, s in enumerate(staff) if chosen and s.id == chosen.id), 0 if staff else -1)
        if row >= 0:
            self.table.setCurrentCell(row, 0)
        self._selected_changed()

    def selected(self):
        r = self.table.currentRow()
        return self.staff[r] if 0 <= r < len(self.staff) else None

    def _selected_changed(self) -> None:
        s = self.selected()
        if s is not None:
            self.role.setCurrentIndex(max(0, self.role.findData(s.role)))
            self.toggle.setText(self.tr("Deactivate") if s.active else self.tr("Reactivate"))

    def _call(self, fn, message: str) -> None:
        ctx = self.state.ctx

        def work():
            fn(ctx)
            return shop_admin.list_staff(ctx)

        def done(staff) -> None:
            self.show_staff(staff)
            self.status.ok(message)

        self.run(work, done, busy=self.save_buttons)

    def _need(self):
        s = self.selected()
        if s is None:
            self.status.error(self.tr("Choose a staff member first."))
        return s

    @owner_gated("manage_staff")
    def add_staff(self) -> None:
        dialog = StaffDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, role, pin = dialog.name.text(), dialog.role.currentData(), dialog.pin.text()
        self._call(lambda ctx: shop_admin.add_staff(ctx, name, role, pin),
                   self.tr("{name} added.").format(name=name.strip()))

    @owner_gated("manage_staff")
    def change_role(self) -> None:
        s = self._need()
        if s is None:
            return
        role = self.role.currentData()
        self._call(lambda ctx: shop_admin.set_role(ctx, s.id, role),
                   self.tr("{name} is now: {role}").format(name=s.name, role=role_label(role)))

    @owner_gated("manage_staff")
    def toggle_active(self) -> None:
        s = self._need()
        if s is None:
            return
        active = not s.active
        message = (self.tr("{name} can log in again.") if active else self.tr("{name} can no longer log in."))
        self._call(lambda ctx: shop_admin.set_active(ctx, s.id, active), message.format(name=s.name))

    @owner_gated("manage_staff")
    def reset_pin(self) -> None:
        s = self._need()
        if s is None:
            return
        dialog = StaffDialog(self, name=s.name)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        pin = dialog.pin.text()
        self._call(lambda ctx: shop_admin.reset_pin(ctx, s.id, pin),
                   self.tr("New PIN set for {name}.").format(name=s.name))

    @owner_gated("manage_staff")
    def unlock_selected(self) -> None:
        s = self._need()
        if s is None:
            return
        self._call(lambda ctx: shop_admin.unlock(ctx, s.id), self.tr("{name} is unlocked.").format(name=s.name))


# --- the screen -------------------------------------------------------------------------------------------
class SettingsScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Settings"), self)
        title.setProperty("role", "title")
        self.note = QLabel(self.tr("Only the owner can change settings. You can look, and test the printer."), self)
        self.note.setProperty("role", "muted")
        self.tabs = QTabWidget(self)
        self.shop = ShopTab(state, self.tabs)
        self.printer = PrinterTab(state, self.tabs)
        self.points = PointsTab(state, self.tabs)
        self.bonus = BonusTab(state, self.tabs)
        from app.ui.settings.backups_tab import BackupsTab  # its own module; it builds on _Tab from here

        self.backups = BackupsTab(state, self.tabs)
        self.staff: StaffTab | None = None
        self._loaded = False
        self.tabs.addTab(self.shop, self.tr("Shop"))
        self.tabs.addTab(self.printer, self.tr("Receipt printer"))
        self.tabs.addTab(self.points, self.tr("Points && tiers"))
        self.tabs.addTab(self.bonus, self.tr("Top-up bonus"))
        self.tabs.addTab(self.backups, self.tr("Backups"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.note)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self._apply_role())
        self._apply_role()

    def _apply_role(self) -> None:
        owner = self.state.role_allowed("manage_staff")
        if owner and self.staff is None:
            self.staff = StaffTab(self.state, self.tabs)
            self.tabs.addTab(self.staff, self.tr("Staff && roles"))
            if self._loaded:
                self.staff.load()
        elif not owner and self.staff is not None:
            self.tabs.removeTab(self.tabs.indexOf(self.staff))
            self.staff.deleteLater()
            self.staff = None
        self.note.setVisible(not self.state.role_allowed("change_settings"))
        for tab in self.all_tabs():
            tab.apply_permissions()

    def all_tabs(self) -> list[_Tab]:
        return [t for t in (self.shop, self.printer, self.points, self.bonus, self.backups, self.staff)
                if t is not None]

    def activated(self) -> None:
        """Shown: read everything afresh (another till may have changed it)."""
        self._loaded = True
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()


TAB_FILES = ("shop", "printer", "points", "bonus", "backups", "staff")
