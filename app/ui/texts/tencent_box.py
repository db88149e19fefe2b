"""Messages › Gateway, Tencent Cloud SMS: the SecretId and SecretKey (kept in the keyring), the SMS
application (SmsSdkAppId), the approved signature, the region, and per text kind the approved
template's id with the placeholders that fill its {1}, {2}… in order. Kinds that are switched on
but have no template id are named: their texts are refused, not sent."""
from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGridLayout, QHeaderView, QLabel, QLineEdit,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.services.texts import tencent_config
from app.services.texts.tencent_config import TencentConfig, TencentTemplate
from app.ui.texts.outbox_model import kind_label
from app.ui.widgets import capped

COL_KIND, COL_ID, COL_PARAMS, COL_CAN = range(4)


def parse_params(text: str) -> tuple[str, ...]:
    """"name, amount {balance}" -> ("name", "amount", "balance"): commas (either width), spaces or braces."""
    return tuple(p for p in re.split(r"[\s,，、{}]+", text or "") if p)


class TencentBox(QWidget):
    def __init__(self, parent: QWidget, label) -> None:
        super().__init__(parent)
        self.has_key = False
        self.in_use: tuple[str, ...] = tencent_config.kinds()   # until the care settings say otherwise
        self.secret_id = QLineEdit(self)
        self.secret_id.setPlaceholderText("AKID…")
        self.secret_key = QLineEdit(self)
        self.secret_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.app_id = QLineEdit(self)
        self.app_id.setPlaceholderText("1400006666")
        self.sign = QLineEdit(self)
        self.sign.setPlaceholderText(self.tr("As approved, without 【】: e.g. 街角茶咖"))
        self.region = QComboBox(self)
        for r in tencent_config.REGIONS:
            self.region.addItem(r, r)
        form = QGridLayout()     # two columns: the tab also holds the templates and the test text
        form.setHorizontalSpacing(6)
        for i, (text, field) in enumerate(((self.tr("SecretId"), self.secret_id),
                                           (self.tr("SecretKey"), self.secret_key),
                                           (self.tr("SMS SdkAppId"), self.app_id), (self.tr("Region"), self.region),
                                           (self.tr("Signature"), self.sign))):
            form.addWidget(label(text), i // 2, (i % 2) * 2)
            form.addWidget(field, i // 2, (i % 2) * 2 + 1)
        self.table = QTableWidget(len(tencent_config.kinds()), 4, self)
        self.table.setHorizontalHeaderLabels([self.tr("Text kind"), self.tr("Template id"),
                                              self.tr("Parameters {1}, {2}… in order"), self.tr("It can use")])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ID, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_PARAMS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_CAN, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setMinimumHeight(250)
        for row, kind in enumerate(tencent_config.kinds()):
            name = QTableWidgetItem(kind_label(kind))
            name.setData(Qt.ItemDataRole.UserRole, kind)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled)
            can = QTableWidgetItem(" ".join("{" + p + "}" for p in tencent_config.placeholders(kind)))
            can.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(row, COL_KIND, name)
            self.table.setItem(row, COL_ID, QTableWidgetItem(""))
            self.table.setItem(row, COL_PARAMS, QTableWidgetItem(", ".join(tencent_config.default_params(kind))))
            self.table.setItem(row, COL_CAN, can)
        self.missing = QLabel(self)
        self.missing.setWordWrap(True)
        note = QLabel(self.tr("Mainland China texts go out as your approved signature and approved templates: "
                              "Tencent sends its approved template, filled with the parameters in the order "
                              "given here, not the shop's text. A kind without a template id is not sent. "
                              "Delivery reports and replies are fetched from Tencent (no public address needed)."),
                      self)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(capped(form, self, 1100))
        box.addWidget(self.table, 1)
        box.addWidget(self.missing)
        box.addWidget(note)
        self.table.itemChanged.connect(lambda _i: self.show_missing())

    # --- values ------------------------------------------------------------------------------------
    def show_config(self, cfg: TencentConfig, has_key: bool) -> None:
        self.secret_id.setText(cfg.secret_id)
        self.app_id.setText(cfg.sdk_app_id)
        self.sign.setText(cfg.sign_name)
        self.region.setCurrentIndex(max(0, self.region.findData(cfg.region)))
        self.has_key = has_key
        self.secret_key.clear()
        self.secret_key.setPlaceholderText(self.tr("A SecretKey is stored: leave empty to keep it") if has_key
                                           else self.tr("The API key's SecretKey"))
        given = {t.kind: t for t in cfg.templates}
        self.table.blockSignals(True)
        for row in range(self.table.rowCount()):
            kind = self.table.item(row, COL_KIND).data(Qt.ItemDataRole.UserRole)
            t = given.get(kind)
            self.table.item(row, COL_ID).setText(t.template_id if t else "")
            params = t.params if t and (t.params or t.template_id) else tencent_config.default_params(kind)
            self.table.item(row, COL_PARAMS).setText(", ".join(params))
        self.table.blockSignals(False)
        self.show_missing()

    def config(self) -> TencentConfig:
        rows = []
        for row in range(self.table.rowCount()):
            kind = self.table.item(row, COL_KIND).data(Qt.ItemDataRole.UserRole)
            rows.append(TencentTemplate(kind, self.table.item(row, COL_ID).text().strip(),
                                        parse_params(self.table.item(row, COL_PARAMS).text())))
        return TencentConfig(secret_id=self.secret_id.text().strip(), sdk_app_id=self.app_id.text().strip(),
                             sign_name=self.sign.text().strip(), region=self.region.currentData(),
                             templates=tuple(rows))

    def key(self) -> str | None:
        return self.secret_key.text().strip() or None

    def set_in_use(self, kinds: tuple[str, ...]) -> None:
        self.in_use = kinds
        self.show_missing()

    def missing_kinds(self) -> tuple[str, ...]:
        return tencent_config.missing(self.config(), self.in_use)

    def show_missing(self) -> None:
        lacking = self.missing_kinds()
        if lacking:
            names = QCoreApplication.translate("TencentBox", ", ").join(kind_label(k) for k in lacking)
            self.missing.setText(self.tr("Switched on but without an approved template, so not sent: {kinds}")
                                 .format(kinds=names))
            self.missing.setProperty("role", "error")
        else:
            self.missing.setText(self.tr("Every kind of text that is switched on has an approved template."))
            self.missing.setProperty("role", "muted")
        self.missing.style().unpolish(self.missing)
        self.missing.style().polish(self.missing)
        for row in range(self.table.rowCount()):
            kind = self.table.item(row, COL_KIND).data(Qt.ItemDataRole.UserRole)
            self.table.item(row, COL_KIND).setForeground(Qt.GlobalColor.darkRed if kind in lacking
                                                          else Qt.GlobalColor.black)

    def set_editable(self, on: bool) -> None:
        for w in (self.secret_id, self.secret_key, self.app_id, self.sign, self.region):
            w.setEnabled(on)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers if on
                                   else QAbstractItemView.EditTrigger.NoEditTriggers)
