"""Reports › Care results: for a period, each kind of care action (texts sent, calls made, members
reached, how many came back within the kind's window, their visits and spending), and satisfaction
by category and by staff member. Read on the db worker (services/reports/care_results.py), like
``shopcare report care``.

F8 shows the results for the period chosen.
"""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.services.reports.care_results import CareResults, ScoreRow, care_results
from app.ui.reports.period import period, period_edits
from app.ui.widgets import run

MAX_KINDS_HEIGHT = 440     # px: beyond it the kinds table scrolls
KIND_NAMES = {
    "birthday": QT_TRANSLATE_NOOP("CareResultsPanel", "Birthday"),
    "anniversary": QT_TRANSLATE_NOOP("CareResultsPanel", "Anniversary"),
    "member_anniversary": QT_TRANSLATE_NOOP("CareResultsPanel", "Membership anniversary"),
    "holiday": QT_TRANSLATE_NOOP("CareResultsPanel", "Holiday"),
    "tier_care": QT_TRANSLATE_NOOP("CareResultsPanel", "Tier care"),
    "winback": QT_TRANSLATE_NOOP("CareResultsPanel", "Win-back"),
    "repurchase": QT_TRANSLATE_NOOP("CareResultsPanel", "Repurchase"),
    "followup": QT_TRANSLATE_NOOP("CareResultsPanel", "Service follow-up"),
    "points_reminder": QT_TRANSLATE_NOOP("CareResultsPanel", "Points reminder"),
    "campaign": QT_TRANSLATE_NOOP("CareResultsPanel", "Campaign"),
    "campaign_referral": QT_TRANSLATE_NOOP("CareResultsPanel", "Campaign: bring a friend"),
    "satisfaction": QT_TRANSLATE_NOOP("CareResultsPanel", "Satisfaction survey"),
    "service": QT_TRANSLATE_NOOP("CareResultsPanel", "Service reply"),
}




def _table(parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, 0, parent)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    return table


def _fill(table: QTableWidget, heads: list[str], rows: list[list[str]], *, bold_last: bool = False) -> None:
    table.clear()
    table.setColumnCount(len(heads))
    table.setHorizontalHeaderLabels(heads)
    table.setRowCount(len(rows))
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    bold = QFont(table.font())
    bold.setBold(True)
    for i, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c > 0:
                item.setTextAlignment(right)
            if bold_last and i == len(rows) - 1:
                item.setFont(bold)
            table.setItem(i, c, item)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)


def _fit_height(table: QTableWidget) -> None:
    """As tall as its rows (the space left goes to the satisfaction tables below)."""
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(min(MAX_KINDS_HEIGHT,
                             table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth() + 2))


class CareResultsPanel(QWidget):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.report: CareResults | None = None
        today = state.ctx.today()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        outer.setSpacing(10)

        bar = QHBoxLayout()
        self.start, self.end = period_edits(self, today)
        self.show_button = QPushButton(self.tr("Show (F8)"), self)
        self.show_button.setProperty("primary", True)
        self.show_button.clicked.connect(self.reload)
        for label, field in ((self.tr("From"), self.start), (self.tr("To"), self.end)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(field)
            bar.addSpacing(6)
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        outer.addLayout(bar)

        self.message = QLabel(self.tr("Choose a period and press Show."), self)
        self.message.setWordWrap(True)
        self.message.setProperty("role", "muted")
        outer.addWidget(self.message)
        self.kinds = _table(self)
        outer.addWidget(self.kinds)
        self.note = QLabel(self.tr("Came back: bought within the window after a text or a call of that kind. "
                                   "Spent: their sales less refunds in those windows. Each kind is counted "
                                   "on its own."), self)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        outer.addWidget(self.note)
        scores = QHBoxLayout()
        scores.setSpacing(14)
        self.by_category, self.by_staff = _table(self), _table(self)
        for title, table in ((self.tr("Satisfaction by category"), self.by_category),
                             (self.tr("Satisfaction by staff member"), self.by_staff)):
            col = QVBoxLayout()
            head = QLabel(title, self)
            head.setProperty("role", "section")
            col.addWidget(head)
            col.addWidget(table, 1)
            scores.addLayout(col, 1)
        outer.addLayout(scores, 1)
        QShortcut(QKeySequence("F8"), self, activated=self.reload)

    def period(self) -> tuple[date, date]:
        return period(self.start, self.end)

    def reload(self) -> None:
        start, end = self.period()
        ctx = self.state.ctx
        self.show_button.setEnabled(False)
        self._say(self.tr("Adding up the care results…"))
        run(self, lambda: care_results(ctx, start, end), self.show_report, self._failed)

    def kind_name(self, kind: str) -> str:
        return QCoreApplication.translate("CareResultsPanel", KIND_NAMES[kind]) if kind in KIND_NAMES else kind

    def show_report(self, report: CareResults) -> None:
        self.report = report
        self.show_button.setEnabled(True)
        s = self.state
        heads = [self.tr("Care action"), self.tr("Window (days)"), self.tr("Texts sent"), self.tr("Calls"),
                 self.tr("Members"), self.tr("Came back"), self.tr("Rate"), self.tr("Visits"), self.tr("Spent")]
        rows = []
        for k in report.kinds:
            rate = "–" if k.return_rate is None else f"{100 * k.return_rate:.0f}%"
            rows.append([self.kind_name(k.kind), s.number(k.window_days), s.number(k.texts), s.number(k.calls),
                         s.number(k.members), s.number(k.came_back), rate, s.number(k.visits), s.plain(k.spent)])
        _fill(self.kinds, heads, rows)
        _fit_height(self.kinds)
        for table, groups, head in ((self.by_category, report.by_category, self.tr("Category")),
                                    (self.by_staff, report.by_staff, self.tr("Staff member"))):
            rows = [self._score_cells(r.key or self.tr("(none)"), r) for r in groups]
            if groups:
                rows.append(self._score_cells(self.tr("All scores"), report.scores))
            _fill(table, [head, self.tr("Average"), self.tr("Scores"), self.tr("Complaints (1-2)")], rows,
                  bold_last=bool(groups))
        texts = sum(k.texts for k in report.kinds)
        calls = sum(k.calls for k in report.kinds)
        # not summed across kinds: one member may have had several kinds of care
        self._say(self.tr("{start} to {end} · {texts} care texts sent, {calls} calls made · "
                          "{scores} satisfaction scores").format(
            start=s.date(report.start), end=s.date(report.end), texts=s.number(texts), calls=s.number(calls),
            scores=s.number(report.scores.count)))

    def _score_cells(self, name: str, r: ScoreRow) -> list[str]:
        s = self.state
        return [name, "–" if r.average is None else f"{r.average:.1f}", s.number(r.count), s.number(r.complaints)]

    def _failed(self, exc: BaseException) -> None:
        self.show_button.setEnabled(True)
        self._say(self.state.error_text(exc), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "muted")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
