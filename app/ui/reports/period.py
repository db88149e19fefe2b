"""The From/To date pair the period reports share (product sales, care results)."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QWidget

DEFAULT_DAYS = 30


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def period_edits(parent: QWidget, today: date, days: int = DEFAULT_DAYS) -> tuple[QDateEdit, QDateEdit]:
    """From (``days`` back, today included) and To (today), with a calendar, never after today."""
    start, end = QDateEdit(qdate(today - timedelta(days=days - 1)), parent), QDateEdit(qdate(today), parent)
    for edit in (start, end):
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMaximumDate(qdate(today))
    return start, end


def period(start: QDateEdit, end: QDateEdit) -> tuple[date, date]:
    return pydate(start.date()), pydate(end.date())
