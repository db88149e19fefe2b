"""The span of days a shop's sales, reports and care can be about.

A day typed on the command line or handed to a service (an end-of-day report, a care run, a
statement) must lie in 1900-01-01 .. 2100-12-31: far outside it the arithmetic the reports do
(a day plus one, 45 days before) leaves Python's dates, and no shop has books there anyway.
"""
from __future__ import annotations

from datetime import date

from app.errors import ValidationError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def check_day(day: date, field: str = "date") -> date:
    """``day`` when it lies in FIRST_DAY..LAST_DAY, else ValidationError('date_out_of_range')."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError("date_out_of_range", field=field, value=day.isoformat(),
                              first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    return day
