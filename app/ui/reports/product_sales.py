"""Reports › Product sales: a period, by product or by category, as a table with its total, and
its export to CSV or XLSX. The figures are summed on the db worker (one grouped query,
services/reports/product_sales.py) and the file is written there too, so a year of sales never
holds up the till. Export is the owner's, with the owner's password, and audited, like every export.

F7 shows the report for the period chosen.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.services.reports.product_sales import ProductSales, ProductSalesRow, product_sales
from app.services.reports.product_sales_export import export_product_sales
from app.ui.reports.period import period, period_edits
from app.ui.widgets import run





class ProductSalesPanel(QWidget):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.report: ProductSales | None = None
        today = state.ctx.today()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        outer.setSpacing(10)

        bar = QHBoxLayout()
        self.start, self.end = period_edits(self, today)
        self.by = QComboBox(self)
        self.by.addItem(self.tr("By product"), "product")
        self.by.addItem(self.tr("By category"), "category")
        self.show_button = QPushButton(self.tr("Show (F7)"), self)
        self.show_button.setProperty("primary", True)
        self.show_button.clicked.connect(self.reload)
        # costs and margins are the shop's secrets: the file is the owner's, audited
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.clicked.connect(self.choose_export)
        self.export_button.setEnabled(False)
        self.export_button.setVisible(state.role_allowed("export"))
        state.actor_changed.connect(lambda _a: self.export_button.setVisible(state.role_allowed("export")))
        for label, field in ((self.tr("From"), self.start), (self.tr("To"), self.end)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(field)
            bar.addSpacing(6)
        bar.addWidget(self.by)
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        outer.addLayout(bar)

        self.message = QLabel(self.tr("Choose a period and press Show."), self)
        self.message.setWordWrap(True)
        self.message.setProperty("role", "muted")
        outer.addWidget(self.message)
        self.table = QTableWidget(0, 0, self)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        outer.addWidget(self.table, 1)
        self.note = QLabel(self.tr("Cost and margin are shown where the cost of every line sold is known; "
                                   "– where a line was sold before its cost was recorded."), self)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        outer.addWidget(self.note)
        self.by.currentIndexChanged.connect(lambda _i: self.reload() if self.report is not None else None)
        QShortcut(QKeySequence("F7"), self, activated=self.reload)

    def period(self) -> tuple[date, date, str]:
        return *period(self.start, self.end), self.by.currentData()

    def reload(self) -> None:
        start, end, by = self.period()
        ctx = self.state.ctx
        self.show_button.setEnabled(False)
        self._say(self.tr("Adding up the sales…"))
        run(self, lambda: product_sales(ctx, start, end, by), self._show, self._failed)

    # --- the table --------------------------------------------------------------------------------
    def headers(self, by: str) -> list[str]:
        lead = [self.tr("Category")] if by == "category" else [self.tr("SKU"), self.tr("Product")]
        return [*lead, self.tr("Sold"), self.tr("Refunded"), self.tr("Net qty"), self.tr("Net sales"),
                self.tr("Cost"), self.tr("Margin"), self.tr("Margin %"), self.tr("Points")]

    def row_name(self, r: ProductSalesRow, by: str) -> str:
        category = r.category or self.tr("(no category)")
        if by == "category":
            return category
        name = self.tr("Open price: {category}").format(category=category) if r.open_price else r.name
        return self.tr("{name} (for points)").format(name=name) if r.exchange else name

    def _cells(self, r: ProductSalesRow, lead: list[str]) -> list[str]:
        s = self.state
        unknown = "–"
        ratio = r.margin_ratio
        return [*lead, s.number(r.sold), s.number(r.refunded), s.number(r.net_qty), s.plain(r.net_sales),
                unknown if r.cost is None else s.plain(r.cost), unknown if r.margin is None else s.plain(r.margin),
                unknown if ratio is None else f"{100 * ratio:.1f}%", s.number(r.points)]

    def _show(self, report: ProductSales) -> None:
        self.report = report
        self.show_button.setEnabled(True)
        self.export_button.setEnabled(bool(report.rows))
        by = report.by
        heads = self.headers(by)
        lead_n = 1 if by == "category" else 2
        rows = [self._cells(r, [self.row_name(r, by)] if by == "category" else [r.sku, self.row_name(r, by)])
                for r in report.rows]
        if rows:
            total_lead = [self.tr("Total")] + [""] * (lead_n - 1)
            rows.append(self._cells(report.total, total_lead))
        self.table.clear()
        self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(rows))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        bold = QFont(self.table.font())
        bold.setBold(True)
        for i, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= lead_n:
                    item.setTextAlignment(right)
                if i == len(rows) - 1:
                    item.setFont(bold)
                self.table.setItem(i, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(lead_n - 1, QHeaderView.ResizeMode.Stretch)
        s = self.state
        if not report.rows:
            self._say(self.tr("No sales from {start} to {end}.").format(start=s.date(report.start),
                                                                        end=s.date(report.end)))
            return
        t = report.total
        margin = "" if t.margin is None else self.tr(" · margin {margin}").format(margin=s.money(t.margin))
        self._say(self.tr("{start} to {end} · rows: {n} · net sales {sales}{margin}").format(
            start=s.date(report.start), end=s.date(report.end), n=s.number(len(report.rows)),
            sales=s.money(t.net_sales), margin=margin))

    # --- export -----------------------------------------------------------------------------------
    def choose_export(self) -> None:
        if self.report is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export product sales"), str(Path.home() / f"{self.report.file_stem}.xlsx"),
            self.tr("Excel workbook (*.xlsx);;CSV file (*.csv)"))
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path) -> None:
        """The report on screen (its period and grouping) to ``path``, once the owner's password has
        been typed (the service refuses without it)."""
        from app.ui.settings.owner_password import ask_owner

        report = self.report
        if report is None:
            return
        self.password_dialog = ask_owner(self.state, self, "export",
                                         lambda ctx: self._export(ctx, path, report.start, report.end, report.by))

    def _export(self, ctx, path: str | Path, start: date, end: date, by: str) -> None:
        self.export_button.setEnabled(False)
        self._say(self.tr("Exporting…"))

        def done(rows: int) -> None:
            self.export_button.setEnabled(True)
            self._say(self.tr("Written to {file} (rows: {n}; recorded in the audit log)").format(
                file=str(path), n=self.state.number(rows)))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self._say(self.state.error_text(exc), error=True)

        run(self, lambda: export_product_sales(ctx, path, start, end, by), done, failed)

    # --- status -----------------------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self.show_button.setEnabled(True)
        self._say(self.state.error_text(exc), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "muted")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
