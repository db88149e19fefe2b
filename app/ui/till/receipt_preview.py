"""The on-screen receipt (the default "printer"): the laid-out receipt on a strip of paper, with
Print and Close. Characters sit on a fixed grid, a Chinese character on two cells, exactly as a
receipt printer places them, so what the cashier sees lines up like the paper will.
"""
from __future__ import annotations


from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app.services.sales.receipt import char_width, text_width
from app.ui.state import AppState

MONO_FAMILIES = ("DejaVu Sans Mono", "WenQuanYi Micro Hei Mono", "Noto Sans Mono", "Consolas", "Menlo")
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC")


def receipt_font(point_size: int = 11) -> QFont:
    families = set(QFontDatabase.families())
    chosen = [f for f in MONO_FAMILIES if f in families][:1] + [f for f in CJK_FAMILIES if f in families][:1]
    font = QFont(chosen) if chosen else QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setPointSize(point_size)
    return font


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR code of ``payload`` as rows of dark (True) and light modules, with a one-module border."""
    import qrcode

    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    return code.get_matrix()


class ReceiptPaper(QWidget):
    """Paints receipt lines on a white paper strip, one character per grid cell (two for Chinese),
    then the QR codes the printer draws below them (each under its caption lines)."""

    MARGIN = 18
    QR_PX = 132      # a QR code's side on screen, about as wide as on 80 mm paper

    def __init__(self, lines: list[str], parent: QWidget | None = None, qr_codes=()) -> None:
        super().__init__(parent)
        self._font = receipt_font()
        fm = QFontMetricsF(self._font)
        self._cell = fm.horizontalAdvance("0")
        self._line_h = fm.height() + 2
        self._ascent = fm.ascent()
        self.set_lines(lines, qr_codes)

    def set_lines(self, lines: list[str], qr_codes=()) -> None:
        self._lines = list(lines)
        self.qr_codes = [(list(caption), payload) for caption, payload in qr_codes]
        self._matrices = [qr_matrix(payload) for _c, payload in self.qr_codes]
        self._cols = max([text_width(x) for x in self._lines] + [text_width(x) for c, _p in self.qr_codes for x in c]
                         + [32])
        self.setFixedSize(self.sizeHint())
        self.update()

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        w = self._cols * self._cell + 2 * self.MARGIN
        h = len(self._lines) * self._line_h + 2 * self.MARGIN
        h += sum(len(c) * self._line_h + self.QR_PX + 8 for c, _p in self.qr_codes)
        return QSize(int(w + 0.99), int(h + 0.99))

    def _draw_line(self, p: QPainter, line: str, y: float) -> None:
        col = 0
        for ch in line:
            cw = char_width(ch)
            if cw == 0:
                continue
            if not ch.isspace():
                box = QRectF(self.MARGIN + col * self._cell, y, cw * self._cell, self._line_h)
                p.drawText(box, int(Qt.AlignmentFlag.AlignCenter), ch)
            col += cw

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(self.rect(), QColor("white"))
        p.setPen(QColor("#d8dce3"))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.setPen(QColor("#1b1f24"))
        bold = QFont(self._font)
        bold.setBold(True)
        y = self.MARGIN
        heading = True  # the lines above the first rule (the shop name) print bold
        for line in self._lines:
            if heading and line and set(line) == {"-"}:
                heading = False
            p.setFont(bold if heading else self._font)
            self._draw_line(p, line, y)
            y += self._line_h
        p.setFont(self._font)
        for (caption, _payload), matrix in zip(self.qr_codes, self._matrices):
            for line in caption:
                self._draw_line(p, line, y)
                y += self._line_h
            y += 4
            module = self.QR_PX / len(matrix)
            left = (self.width() - self.QR_PX) / 2
            for r, row in enumerate(matrix):
                for c, dark in enumerate(row):
                    if dark:
                        p.fillRect(QRectF(left + c * module, y + r * module, module + 0.3, module + 0.3),
                                   QColor("#1b1f24"))
            y += self.QR_PX + 4
        p.end()


class ReceiptPreviewDialog(QDialog):
    """A receipt on screen. With ``receipt_no``, Print (Ctrl+P) sends it to this till's receipt
    printer off the UI thread and shows how that went; Close (Esc)."""

    printed = Signal(object)  # a printing.PrintOutcome

    def __init__(self, state: AppState, lines: list[str], parent: QWidget | None = None, *,
                 receipt_no: str | None = None, title: str | None = None, qr_codes=()) -> None:
        super().__init__(parent)
        self.state = state
        self.receipt_no = receipt_no
        self.setWindowTitle(title or (self.tr("Receipt {receipt}").format(receipt=receipt_no) if receipt_no
                                      else self.tr("Receipt preview")))
        self.paper = ReceiptPaper(lines, qr_codes=qr_codes)

        title = QLabel(self.windowTitle())
        title.setProperty("role", "title")
        hint = QLabel(self.tr("As it will print on {width} mm paper").format(
            width=58 if self.paper._cols <= 32 else 80))
        hint.setProperty("role", "muted")

        scroll = QScrollArea()
        scroll.setWidget(self.paper)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        scroll.setWidgetResizable(False)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setStyleSheet("QScrollArea { background: #eceff3; } QScrollArea > QWidget > QWidget "
                             "{ background: #eceff3; }")
        scroll.setMinimumWidth(self.paper.width() + 40)
        scroll.setMinimumHeight(min(self.paper.height() + 24, 620))

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setVisible(False)

        self.print_button = QPushButton(self.tr("Print (Ctrl+P)"))
        self.print_button.setProperty("primary", True)
        self.print_button.setEnabled(receipt_no is not None)
        if receipt_no is None:
            self.print_button.setToolTip(self.tr("Only a receipt of a recorded sale can be printed"))
        self.print_button.clicked.connect(self.print_receipt)
        self.close_button = QPushButton(self.tr("Close (Esc)"))
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Print, self, activated=self.print_receipt)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.close_button)

        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addWidget(hint)
        box.addWidget(scroll, 1)
        box.addWidget(self.status)
        box.addLayout(buttons)
        self.close_button.setFocus()

    def print_receipt(self) -> None:
        """Reprint on this till's printer (a task on the io pool); the outcome shows below the paper."""
        if self.receipt_no is None or not self.print_button.isEnabled():
            return
        self.print_button.setEnabled(False)
        self._show(self.tr("Printing…"), error=False)
        ctx, receipt_no = self.state.ctx, self.receipt_no

        def work():
            from app.adapters.printers import printer_from_setting
            from app.services.base import localconfig
            from app.services.sales import printing

            cfg = localconfig.load()
            setting = localconfig.parse_printer_setting(cfg.printer)
            if setting.kind == "preview":
                return None
            printer = printer_from_setting(setting, paper_mm=cfg.paper_mm, print_qr=cfg.print_qr)
            return printing.print_sale(ctx, receipt_no, printer, cfg, reprint=True)

        self.state.tasks.run(work, self._printed, self._failed, pool="io", what=self.tr("printing the receipt"))

    def _printed(self, outcome) -> None:
        self.print_button.setEnabled(True)
        if outcome is None:
            self._show(self.tr("No receipt printer is set up for this till: choose one in Settings."), error=True)
            return
        if outcome.ok:
            self._show(self.tr("Sent to the printer."), error=False)
        else:
            self._show(outcome.error_text(self.state.lang) or "", error=True)
        self.printed.emit(outcome)

    def _failed(self, exc: BaseException) -> None:
        self.print_button.setEnabled(True)
        self._show(self.state.error_text(exc), error=True)

    def _show(self, text: str, *, error: bool) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "muted")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setVisible(bool(text))
