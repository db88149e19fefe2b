"""The Analytics screen: RFM segments as a bar chart, the 80/20 curve, and the members most worth
winning back (a sortable table). Everything is computed on the db worker
(services/analytics/members.overview), which also imports the analytics (numpy, scipy: about a
second) the first time, so the screen shows at once with a busy bar and fills when the figures
arrive; the charts are drawn with QPainter (QtCharts ships only in
PySide6-Addons, which the app does not depend on).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QFrame, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from app.ui.style import ACCENT, MUTED
from app.ui.widgets import run

SEGMENT_LABELS = {
    "champions": QT_TRANSLATE_NOOP("AnalyticsScreen", "Champions"),
    "loyal": QT_TRANSLATE_NOOP("AnalyticsScreen", "Loyal"),
    "potential": QT_TRANSLATE_NOOP("AnalyticsScreen", "Potential"),
    "new": QT_TRANSLATE_NOOP("AnalyticsScreen", "New"),
    "at_risk": QT_TRANSLATE_NOOP("AnalyticsScreen", "At risk"),
    "cant_lose": QT_TRANSLATE_NOOP("AnalyticsScreen", "Can't lose"),
    "hibernating": QT_TRANSLATE_NOOP("AnalyticsScreen", "Hibernating"),
    "lost": QT_TRANSLATE_NOOP("AnalyticsScreen", "Lost"),
}
SEGMENT_COLOURS = {
    "champions": "#1b7f3b", "loyal": "#3fa34d", "potential": "#7cb342", "new": "#1f6feb",
    "at_risk": "#f0a030", "cant_lose": "#d9480f", "hibernating": "#8a94a6", "lost": "#5c6370",
}
COLUMNS = [
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Member"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Phone"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Segment"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Last visit"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Visits"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Spent"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Churn risk"),
    QT_TRANSLATE_NOOP("AnalyticsScreen", "Alive (BG/NBD)"),
]


def segment_label(key: str) -> str:
    return QCoreApplication.translate("AnalyticsScreen", SEGMENT_LABELS[key])


class _SortItem(QTableWidgetItem):
    """A cell shown as text, sorted by its value."""

    def __init__(self, text: str, key) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other) -> bool:
        return self.key < getattr(other, "key", other.text())


class SegmentChart(QWidget):
    """Horizontal bars: one per segment, its count and share."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.counts: list[tuple[str, int]] = []
        self.number = str
        self.setMinimumHeight(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_counts(self, counts, number) -> None:
        self.counts = list(counts)
        self.number = number
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        if not self.counts:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = p.fontMetrics()
        total = sum(c for _k, c in self.counts) or 1
        top = max(c for _k, c in self.counts) or 1
        labels = [segment_label(k) for k, _c in self.counts]
        label_w = max(fm.horizontalAdvance(t) for t in labels) + 12
        value_w = fm.horizontalAdvance("000,000 (100%)") + 8
        area = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        row_h = area.height() / len(self.counts)
        bar_h = min(row_h * 0.62, 26)
        bar_w = max(area.width() - label_w - value_w, 10)
        for i, ((key, count), text) in enumerate(zip(self.counts, labels)):
            y = area.top() + i * row_h
            mid = y + row_h / 2
            p.setPen(QColor("#1f2937"))
            p.drawText(QRectF(area.left(), y, label_w - 8, row_h),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
            w = bar_w * count / top
            p.fillRect(QRectF(area.left() + label_w, mid - bar_h / 2, max(w, 1), bar_h),
                       QColor(SEGMENT_COLOURS[key]))
            p.setPen(QColor(MUTED))
            p.drawText(QRectF(area.left() + label_w + w + 6, y, value_w, row_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       f"{self.number(count)} ({100 * count / total:.0f}%)")
        p.end()


class ValueCurveChart(QWidget):
    """The 80/20 curve: share of member revenue (y) from the top share of members (x)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        self.top20 = 0.0
        self.caption = ""
        self.axis_x = ""
        self.axis_y = ""
        self.setMinimumHeight(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_curve(self, points, top20: float, caption: str, axis_x: str, axis_y: str) -> None:
        self.points = list(points)
        self.top20, self.caption, self.axis_x, self.axis_y = top20, caption, axis_x, axis_y
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        if not self.points:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = p.fontMetrics()
        line = fm.height()
        left = fm.horizontalAdvance("100%") + 10
        right = fm.horizontalAdvance("100%") // 2 + 8   # room for the last x label
        plot = QRectF(self.rect()).adjusted(left, line + 8, -right, -(2 * line + 10))

        def at(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + x * plot.width(), plot.bottom() - y * plot.height())

        p.setPen(QPen(QColor("#e5e7eb"), 1))
        for k in range(0, 5):
            y = k / 4
            p.drawLine(at(0, y), at(1, y))
            p.drawLine(at(y, 0), at(y, 1))
        p.setPen(QColor(MUTED))
        for k in range(0, 5):
            v = k / 4
            p.drawText(QRectF(0, at(0, v).y() - line / 2, left - 6, line),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{100 * v:.0f}%")
            p.drawText(QRectF(at(v, 0).x() - 30, plot.bottom() + 2, 60, line), Qt.AlignmentFlag.AlignCenter,
                       f"{100 * v:.0f}%")
        p.drawText(QRectF(plot.left(), plot.bottom() + line + 4, plot.width(), line),
                   Qt.AlignmentFlag.AlignCenter, self.axis_x)
        p.drawText(QRectF(plot.left(), 0, plot.width(), line + 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.axis_y)
        # equal shares, for reference
        p.setPen(QPen(QColor("#9ca3af"), 1, Qt.PenStyle.DashLine))
        p.drawLine(at(0, 0), at(1, 1))
        path = QPainterPath(at(*self.points[0]))
        for x, y in self.points[1:]:
            path.lineTo(at(x, y))
        p.setPen(QPen(QColor(ACCENT), 2.5))
        p.drawPath(path)
        # the top 20% marker
        mark = at(0.2, self.top20)
        p.setPen(QPen(QColor("#d9480f"), 1, Qt.PenStyle.DotLine))
        p.drawLine(at(0.2, 0), mark)
        p.drawLine(at(0, self.top20), mark)
        p.setBrush(QColor("#d9480f"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(mark, 4.5, 4.5)
        p.setPen(QColor("#1f2937"))
        text_w = fm.horizontalAdvance(self.caption) + 8
        p.drawText(QRectF(mark.x() + 10, mark.y() + 4, max(text_w, 10), line + 4),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.caption)
        p.end()


def _overview(ctx, refit: bool):
    """On the worker: the analytics are imported here, never on the UI thread."""
    from app.services.analytics import members as analytics

    return analytics.overview(ctx, refit=refit)


def _export(ctx, path):
    from app.services.analytics.export import export_member_analytics

    return export_member_analytics(ctx, path)


def _card(parent, title: str, body: QWidget) -> QFrame:
    frame = QFrame(parent)
    frame.setProperty("card", True)
    box = QVBoxLayout(frame)
    box.setContentsMargins(14, 10, 14, 10)
    head = QLabel(title, frame)
    head.setStyleSheet("font-weight: 600; font-size: 15px;")
    box.addWidget(head)
    box.addWidget(body, 1)
    return frame


class AnalyticsScreen(QWidget):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.overview = None
        self._loaded = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 10)
        outer.setSpacing(10)
        head = QHBoxLayout()
        title = QLabel(self.tr("Analytics"), self)
        title.setProperty("role", "title")
        self.summary = QLabel(self)
        self.summary.setProperty("role", "muted")
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(self.summary, 1)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.clicked.connect(lambda: self.reload())
        self.refit_button = QPushButton(self.tr("Refit the model"), self)
        self.refit_button.clicked.connect(lambda: self.reload(refit=True))
        # every member's row with the full phone: personal data, so the owner's alone (audited)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.clicked.connect(self.choose_export)
        self.export_button.setVisible(state.role_allowed("export"))
        state.actor_changed.connect(lambda _a: self.export_button.setVisible(state.role_allowed("export")))
        for b in (self.refresh_button, self.refit_button, self.export_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            head.addWidget(b)
        outer.addLayout(head)
        self.message = QLabel(self.tr("Working out every member's scores…"), self)
        self.message.setProperty("role", "muted")
        self.busy = QProgressBar(self)   # a sign of work while the figures are worked out
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        line = QHBoxLayout()
        line.addWidget(self.message)
        line.addWidget(self.busy, 1)
        outer.addLayout(line)

        charts = QHBoxLayout()
        charts.setSpacing(12)
        self.segments = SegmentChart(self)
        self.curve = ValueCurveChart(self)
        charts.addWidget(_card(self, self.tr("Members by segment (RFM)"), self.segments), 1)
        charts.addWidget(_card(self, self.tr("80/20: revenue from the top members"), self.curve), 1)
        outer.addLayout(charts, 5)

        self.table_title = QLabel(self.tr("Worth winning back: likely gone, most value at stake"), self)
        self.table_title.setStyleSheet("font-weight: 600; font-size: 15px;")
        outer.addWidget(self.table_title)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([QCoreApplication.translate("AnalyticsScreen", c) for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        outer.addWidget(self.table, 4)
        self.model_line = QLabel(self)
        self.model_line.setProperty("role", "muted")
        outer.addWidget(self.model_line)

    def activated(self) -> None:
        if not self._loaded:
            self.reload()

    def reload(self, refit: bool = False) -> None:
        self._loaded = True
        ctx = self.state.ctx
        self.refresh_button.setEnabled(False)
        self.refit_button.setEnabled(False)
        self._say(self.tr("Working out every member's scores…"))
        self.busy.show()
        run(self, lambda: _overview(ctx, refit), self._show, self._failed)

    def choose_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export member analytics"), "members-rfm.xlsx",
            self.tr("Excel workbook (*.xlsx);;CSV file (*.csv)"))
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path) -> None:
        """Every member's row to ``path`` (.csv or .xlsx), on the db worker, once the owner's password
        has been typed (the service refuses without it)."""
        from app.ui.settings.owner_password import ask_owner

        self.password_dialog = ask_owner(self.state, self, "export", lambda ctx: self._export(ctx, path))

    def _export(self, ctx, path: str | Path) -> None:
        self.export_button.setEnabled(False)
        self._say(self.tr("Exporting…"))

        def done(result) -> None:
            self.export_button.setEnabled(True)
            self._say(self.tr("{rows} members written to {file}").format(
                rows=self.state.number(result.rows), file=str(result.path)))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            self._failed(exc)

        run(self, lambda: _export(ctx, path), done, failed)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setProperty("role", "error" if error else "muted")
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.show()

    def _failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.refresh_button.setEnabled(True)
        self.refit_button.setEnabled(True)
        self._say(self.state.error_text(exc), error=True)

    def _show(self, ov) -> None:
        """The figures (an analytics.members.Overview), back on the UI thread."""
        s = self.state
        self.overview = ov
        self.busy.hide()
        self.refresh_button.setEnabled(True)
        self.refit_button.setEnabled(True)
        if ov.members == 0:
            self.message.setText(self.tr("No member has bought anything yet."))
            self.summary.setText("")
            return
        self.message.hide()
        self.summary.setText(self.tr("as of {date} · {members} members who have bought · top 20% bring {share}% "
                                     "of member revenue").format(date=s.date(ov.as_of), members=s.number(ov.members),
                                                                 share=f"{100 * ov.curve.top20_share:.0f}"))
        self.segments.set_counts(ov.segment_counts, s.number)
        self.curve.set_curve(ov.curve.points, ov.curve.top20_share,
                             self.tr("top 20% → {share}% of revenue").format(
                                 share=f"{100 * ov.curve.top20_share:.0f}"),
                             self.tr("share of members, biggest spenders first"),
                             self.tr("share of member revenue"))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(ov.at_risk))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for r, m in enumerate(ov.at_risk):
            cells = [
                _SortItem(m.name or "—", m.name),
                _SortItem(m.masked_phone, m.masked_phone),
                _SortItem(segment_label(m.segment), m.segment),
                _SortItem(s.date(m.last_purchase), m.last_purchase.toordinal()),
                _SortItem(s.number(m.orders), m.orders),
                _SortItem(s.money(m.total_spent), m.total_spent),
                _SortItem(f"{100 * m.churn_risk:.0f}%", m.churn_risk),
                _SortItem(f"{100 * m.p_alive:.0f}%", m.p_alive),
            ]
            for c, item in enumerate(cells):
                if c >= 4:
                    item.setTextAlignment(right)
                item.setData(Qt.ItemDataRole.UserRole, m.member_id)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(5, Qt.SortOrder.DescendingOrder)
        p = ov.params
        if p is None:
            self.model_line.setText(self.tr("BG/NBD model: not fitted yet (too few members, or nobody has "
                                            "come back yet); churn risk follows each member's rhythm."))
        else:
            method = (self.tr("fitted on who came back in the last 90 days") if ov.churn_method == "logistic"
                      else self.tr("rhythm-adjusted model forecast"))
            self.model_line.setText(self.tr("BG/NBD: r {r}, alpha {alpha} days, a {a}, b {b} · churn risk: "
                                            "{method}").format(r=f"{p.r:.3g}", alpha=f"{p.alpha:.3g}",
                                                               a=f"{p.a:.3g}", b=f"{p.b:.3g}", method=method))
