"""What the care tabs and dialogs share: names of note kinds, task sources and segments, the table and date helpers, and the tab base."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.ui.state import AppState
from app.ui.widgets import Status

DEBOUNCE_MS = 300


NOTE_KINDS = {"call": QT_TRANSLATE_NOOP("CareScreen", "Call"), "visit": QT_TRANSLATE_NOOP("CareScreen", "Visit"),
              "text": QT_TRANSLATE_NOOP("CareScreen", "Text"), "complaint": QT_TRANSLATE_NOOP("CareScreen", "Complaint"),
              "suggestion": QT_TRANSLATE_NOOP("CareScreen", "Suggestion")}


SOURCES = {"manual": QT_TRANSLATE_NOOP("CareScreen", "By hand"), "follow_up": QT_TRANSLATE_NOOP("CareScreen", "Follow-up"),
           "tier_care": QT_TRANSLATE_NOOP("CareScreen", "Tier care"), "gift": QT_TRANSLATE_NOOP("CareScreen", "Gift"),
           "winback": QT_TRANSLATE_NOOP("CareScreen", "Win-back"),
           "followup": QT_TRANSLATE_NOOP("CareScreen", "Service follow-up"),
           "complaint": QT_TRANSLATE_NOOP("CareScreen", "Complaint")}


SEGMENT_NAMES = {"champions": QT_TRANSLATE_NOOP("CareScreen", "Champions"),
                 "loyal": QT_TRANSLATE_NOOP("CareScreen", "Loyal"),
                 "potential": QT_TRANSLATE_NOOP("CareScreen", "Potential"), "new": QT_TRANSLATE_NOOP("CareScreen", "New"),
                 "at_risk": QT_TRANSLATE_NOOP("CareScreen", "At risk"),
                 "cant_lose": QT_TRANSLATE_NOOP("CareScreen", "Can't lose"),
                 "hibernating": QT_TRANSLATE_NOOP("CareScreen", "Hibernating"),
                 "lost": QT_TRANSLATE_NOOP("CareScreen", "Lost")}


def care_tr(text: str) -> str:
    return QCoreApplication.translate("CareScreen", text)


def care_table(parent: QWidget, headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    for col in range(len(headers)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == stretch
                                    else QHeaderView.ResizeMode.ResizeToContents)
    return table


def save_cancel(dialog: QDialog, save: str, cancel: str) -> QDialogButtonBox:
    """Save (named ``save``) runs ``dialog.save``; Cancel closes the dialog."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.button(QDialogButtonBox.StandardButton.Save).setText(save)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel)
    buttons.accepted.connect(dialog.save)
    buttons.rejected.connect(dialog.reject)
    return buttons


def fill_table(table: QTableWidget, rows: list[list[str]], *, right: tuple[int, ...] = (), red: set[int] = frozenset()) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r in red:
                item.setForeground(Qt.GlobalColor.darkRed)
            table.setItem(r, c, item)


def date_edit(parent: QWidget, d: date) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate(d.year, d.month, d.day))
    return edit


def date_value(edit: QDateEdit) -> date:
    d = edit.date()
    return date(d.year(), d.month(), d.day())


class CareTab(QWidget):
    """A tab with the app state and a status line; ``run`` calls a service on the db worker."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.status = Status(self)

    def run(self, fn, on_done=None, on_error=None) -> None:
        def failed(exc):
            (on_error or (lambda e: self.status.error(self.state.error_text(e))))(exc)

        self.state.tasks.run(fn, on_done, failed, owner=self)

    def load(self) -> None:  # pragma: no cover - each tab overrides
        pass
