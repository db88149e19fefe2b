"""The Reports screen: the end-of-day member report and member statements, previewed as the very
PDF that prints; product sales on a second tab (app/ui/reports/product_sales.py), care results on a
third (app/ui/reports/care_results.py). Figures are read on the db worker; the PDF is written and its pages rendered on
the io worker, so a report of a busy day never holds up the till.

F5 makes the end-of-day report, F6 a statement for the member picked, Ctrl+P prints what is shown.
"""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFileDialog, QFrame, QGridLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget)

from app.services.reports import eod, eod_pdf, report_files, statement, statement_pdf
from app.services.members import members
from app.ui.pdf_preview import PdfPreview, print_pdf, render_pages
from app.ui.reports.care_results import CareResultsPanel
from app.ui.reports.product_sales import ProductSalesPanel

SEARCH_DEBOUNCE_MS = 300


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class _Form(QGridLayout):
    """Label and field rows, each label centred on its field (a QFormLayout sets labels on the
    field's top edge once a style sheet pads the fields)."""

    def addRow(self, label: str, field: QWidget) -> None:  # noqa: N802 (QFormLayout's name)
        row = self.rowCount()
        if label:
            self.addWidget(QLabel(label), row, 0, Qt.AlignmentFlag.AlignVCenter)
        self.addWidget(field, row, 1)
        self.setColumnStretch(1, 1)


def _form() -> _Form:
    return _Form()


class ReportsScreen(QWidget):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.current: Path | None = None      # the PDF on screen
        self._picks: list = []
        self._search_seq = 0
        today = state.ctx.today()

        # Two tabs: the member reports (PDFs) and product sales (a table), each its own page.
        page = QWidget(self)
        outer = QHBoxLayout(page)
        outer.setContentsMargins(18, 14, 18, 12)
        outer.setSpacing(14)
        side = QVBoxLayout()
        side.setSpacing(12)
        title = QLabel(self.tr("Reports"), self)
        title.setProperty("role", "title")
        side.addWidget(title)

        # End of day.
        eod_card, eod_box = self._card(self.tr("End-of-day member report"))
        hint = QLabel(self.tr("Sales and payments, the cash drawer, stored value and points, texts, "
                              "birthdays and the valuable members at risk."), eod_card)
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        eod_box.addWidget(hint)
        self.day = QDateEdit(_qdate(today), eod_card)
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(_qdate(today))
        form = _form()
        form.addRow(self.tr("Day"), self.day)
        eod_box.addLayout(form)
        self.eod_button = QPushButton(self.tr("Make report (F5)"), eod_card)
        self.eod_button.setProperty("primary", True)
        self.eod_button.clicked.connect(self.make_eod)
        eod_box.addWidget(self.eod_button)
        # The PDF shows the top of each list per member; the whole lists (full phone numbers) are the
        # owner's, with the owner's password, audited, like every export.
        self.lists_button = QPushButton(self.tr("Save the full lists (CSV)…"), eod_card)
        self.lists_button.setToolTip(self.tr("Birthdays today and tomorrow, valuable members at risk and points "
                                             "soon to expire: every member, not only the report's top 20"))
        self.lists_button.clicked.connect(self.choose_lists)
        self.lists_button.setVisible(state.role_allowed("export"))
        state.actor_changed.connect(lambda _a: self.lists_button.setVisible(state.role_allowed("export")))
        eod_box.addWidget(self.lists_button)
        side.addWidget(eod_card)

        # Member statement.
        st_card, st_box = self._card(self.tr("Member statement"))
        self.search = QLineEdit(st_card)
        self.search.setPlaceholderText(self.tr("Phone, last 4 digits, card no. or name"))
        self.pick = QComboBox(st_card)
        self.pick.setPlaceholderText(self.tr("No member picked"))
        self.start = QDateEdit(_qdate(today - timedelta(days=90)), st_card)
        self.end = QDateEdit(_qdate(today), st_card)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setMaximumDate(_qdate(today))
        form = _form()
        form.addRow(self.tr("Member"), self.search)
        form.addRow("", self.pick)
        form.addRow(self.tr("From"), self.start)
        form.addRow(self.tr("To"), self.end)
        st_box.addLayout(form)
        self.statement_button = QPushButton(self.tr("Make statement (F6)"), st_card)
        self.statement_button.clicked.connect(self.make_statement)
        self.statement_button.setEnabled(False)
        st_box.addWidget(self.statement_button)
        side.addWidget(st_card)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setProperty("role", "muted")
        side.addWidget(self.status)
        side.addStretch(1)
        holder = QWidget(self)
        holder.setLayout(side)
        holder.setFixedWidth(340)
        outer.addWidget(holder)

        right = QVBoxLayout()
        bar = QHBoxLayout()
        self.file_label = QLabel(self.tr("Make a report to see it here."), self)
        self.file_label.setProperty("role", "muted")
        self.print_button = QPushButton(self.tr("Print… (Ctrl+P)"), self)
        self.print_button.clicked.connect(self.print_current)
        self.save_button = QPushButton(self.tr("Save a copy…"), self)
        self.save_button.clicked.connect(self.save_copy)
        for b in (self.print_button, self.save_button):
            b.setEnabled(False)
        bar.addWidget(self.file_label, 1)
        bar.addWidget(self.save_button)
        bar.addWidget(self.print_button)
        right.addLayout(bar)
        self.preview = PdfPreview(self)
        right.addWidget(self.preview, 1)
        outer.addLayout(right, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(page, self.tr("End of day and statements"))
        self.products = ProductSalesPanel(state, self.tabs)
        self.tabs.addTab(self.products, self.tr("Product sales"))
        self.care = CareResultsPanel(state, self.tabs)
        self.tabs.addTab(self.care, self.tr("Care results"))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.tabs)

        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS, timeout=self.find_member)
        self.search.textEdited.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.find_member)
        self.pick.currentIndexChanged.connect(lambda i: self.statement_button.setEnabled(i >= 0))
        QShortcut(QKeySequence("F5"), self, activated=self.make_eod)
        QShortcut(QKeySequence("F6"), self, activated=self.make_statement)
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.print_current)

    def _card(self, heading: str) -> tuple[QFrame, QVBoxLayout]:
        card = QFrame(self)
        card.setProperty("card", True)
        box = QVBoxLayout(card)
        box.setContentsMargins(14, 12, 14, 14)
        label = QLabel(heading, card)
        label.setStyleSheet("font-weight: 600; font-size: 15px;")
        box.addWidget(label)
        return card, box

    # --- end of day -------------------------------------------------------------------------------
    def make_eod(self) -> None:
        day = _pydate(self.day.date())
        ctx, lang = self.state.ctx, self.state.lang
        self._busy(self.tr("Reading the day's figures…"))
        self.state.tasks.run(lambda: eod.eod_report(ctx, day),
                             lambda report: self._write(lambda p: eod_pdf.write_eod_pdf(report, p, lang),
                                                        report_files.eod_name(day)),
                             self._failed)

    def choose_lists(self) -> None:
        day = _pydate(self.day.date())
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Save the full lists"), str(Path.home() / f"eod-lists-{day.isoformat()}.csv"),
            self.tr("CSV file (*.csv);;Excel workbook (*.xlsx)"))
        if path:
            self.save_lists(path, day)

    def save_lists(self, path: str | Path, day: date | None = None) -> None:
        """The whole lists of ``day`` (the day chosen) to ``path``, once the owner's password has been
        typed (the service refuses without it); written on the db worker."""
        from app.services.reports import eod_lists
        from app.ui.settings.owner_password import ask_owner
        from app.ui.widgets import run

        day = day or _pydate(self.day.date())

        def go(ctx) -> None:
            self.lists_button.setEnabled(False)
            self._say(self.tr("Writing the lists…"))

            def done(rows: int) -> None:
                self.lists_button.setEnabled(True)
                self._say(self.tr("Written to {file} (rows: {n}; recorded in the audit log)").format(
                    file=str(path), n=self.state.number(rows)))

            def failed(exc: BaseException) -> None:
                self.lists_button.setEnabled(True)
                self._say(self.state.error_text(exc), error=True)

            run(self, lambda: eod_lists.export_eod_lists(ctx, path, day), done, failed)

        self.password_dialog = ask_owner(self.state, self, "export", go)

    # --- statements -------------------------------------------------------------------------------
    def find_member(self) -> None:
        text = self.search.text().strip()
        self._debounce.stop()
        if not text:
            return
        self._search_seq += 1
        seq, ctx = self._search_seq, self.state.ctx
        self.state.tasks.run(lambda: members.find_members(ctx, text), lambda picks: self._found(seq, picks),
                             self._failed)

    def _found(self, seq: int, picks) -> None:
        if seq != self._search_seq:   # an older search answering late
            return
        self._picks = list(picks)
        self.pick.clear()
        for p in self._picks:
            tier = self.state.tier_name(p.tier_name_en, p.tier_name_zh)
            self.pick.addItem(f"{p.name} · {p.masked_phone} · {tier}", p.id)
        self.pick.setCurrentIndex(0 if self._picks else -1)
        self.statement_button.setEnabled(bool(self._picks))
        self._say(self.tr("%n member(s) found", "", len(self._picks)) if self._picks
                  else self.tr("No member matches '{text}'").format(text=self.search.text().strip()), error=not self._picks)

    def make_statement(self) -> None:
        member_id = self.pick.currentData()
        if member_id is None:
            return
        start, end = _pydate(self.start.date()), _pydate(self.end.date())
        ctx, lang = self.state.ctx, self.state.lang
        self._busy(self.tr("Reading the member's history…"))
        self.state.tasks.run(lambda: statement.member_statement(ctx, member_id, start, end),
                             lambda st: self._write(lambda p: statement_pdf.write_statement_pdf(ctx, st, p, lang),
                                                    report_files.statement_name(member_id, end)),
                             self._failed)

    # --- the PDF ----------------------------------------------------------------------------------
    def _write(self, write, name: str) -> None:
        def job():
            out = report_files.write_atomic(report_files.prepare(None, name), write)
            return out, render_pages(out)

        self._busy(self.tr("Writing the PDF…"))
        self.state.tasks.run(job, self._shown, self._failed, pool="io")

    def _shown(self, result) -> None:
        path, pages = result
        self.current = path
        self.preview.show_pages(pages)
        self.file_label.setText(self.tr("{file} · %n page(s)", "", len(pages)).format(file=path.name))
        self.file_label.setToolTip(str(path))
        for b in (self.print_button, self.save_button, self.eod_button):
            b.setEnabled(True)
        self.statement_button.setEnabled(self.pick.currentIndex() >= 0)
        self._say(self.tr("Saved in the reports folder"))
        self.status.setToolTip(str(path.parent))

    def print_current(self, printer=None) -> None:
        """Print the PDF on screen; ``printer`` (tests) skips the print dialog."""
        if self.current is None:
            return
        if printer is None:
            from PySide6.QtPrintSupport import QPrintDialog, QPrinter

            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            dialog = QPrintDialog(printer, self)
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return
        path = self.current
        self._busy(self.tr("Printing…"))
        self.state.tasks.run(lambda: print_pdf(path, printer),
                             lambda n: self._done(self.tr("Sent %n page(s) to the printer", "", n)),
                             self._failed, pool="io")

    def save_copy(self) -> None:
        if self.current is None:
            return
        target, _ = QFileDialog.getSaveFileName(self, self.tr("Save a copy"), str(Path.home() / self.current.name),
                                                self.tr("PDF files (*.pdf)"))
        if target:
            src = self.current
            self.state.tasks.run(lambda: shutil.copyfile(src, target),
                                 lambda _r: self._done(self.tr("Copied to {path}").format(path=target)),
                                 self._failed, pool="io")

    # --- status -----------------------------------------------------------------------------------
    def _busy(self, text: str) -> None:
        self.eod_button.setEnabled(False)
        self.statement_button.setEnabled(False)
        self._say(text)

    def _done(self, text: str) -> None:
        self.eod_button.setEnabled(True)
        self.statement_button.setEnabled(self.pick.currentIndex() >= 0)
        self._say(text)

    def _failed(self, exc: BaseException) -> None:
        self.eod_button.setEnabled(True)
        self.statement_button.setEnabled(self.pick.currentIndex() >= 0)
        self._say(self.state.error_text(exc), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("role", "error" if error else "muted")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
