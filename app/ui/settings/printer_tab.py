"""Settings › Printer: the receipt printer of this till, its paper and a test print."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import ShopError
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab
from app.ui.widgets import button_row as _buttons
from app.ui.widgets import capped as _capped

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
