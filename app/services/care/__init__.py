"""The customer care engine: rules that turn the calendar and the members' history into care
actions (texts through the outbox, call-back and gift tasks), each under a dedupe key, plus campaigns, the call-back list and the knowledge base.
Rule: imports sales/, analytics/ and below; never reports/ or admin/.

    from app.services import care
    report = care.run(ctx, date(2027, 3, 2), dry_run=False)

See docs/care.md for the rules, their keys, the catch-up and the lunar conventions.
"""
from app.services.care.config import CareConfig, load as load_config, update as update_config
from app.services.care.dates import lunar_to_solar, solar_term
from app.services.care.engine import CareOutcome, CareReport, RuleCount, run
from app.services.care.holiday_calendar import (HolidayEntry, add_holiday, calendar, choices, next_date,
                                                remove_holiday, reset_calendar, set_calendar)
from app.services.care.preview import CarePreview, PreviewRow, preview
from app.services.care.rhythm import WinbackResults, lapsed_members, overdue_cycles, winback_results

__all__ = [
    "CareConfig", "CareOutcome", "CarePreview", "CareReport", "HolidayEntry", "PreviewRow", "RuleCount",
    "WinbackResults", "add_holiday", "calendar", "choices", "lapsed_members", "load_config", "lunar_to_solar",
    "next_date", "overdue_cycles", "preview", "remove_holiday", "reset_calendar", "run", "set_calendar",
    "solar_term", "update_config", "winback_results",
]
