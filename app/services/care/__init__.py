"""The customer care engine: rules that turn the calendar and the members' history into care
actions (texts through the outbox, call-back and gift tasks), each under a dedupe key, plus campaigns, the call-back list and the knowledge base.
Rule: imports sales/, analytics/ and below; never reports/ or admin/.

    from app.services import care
    report = care.run(ctx, date(2027, 3, 2), dry_run=False)

See docs/care.md for the rules, their keys, the catch-up and the lunar conventions.

Names are imported on first use (PEP 562): importing one light module of the package
(``care.config`` for the command line's choices) must not import the engine, lunar-python and
holidays with it.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "CareConfig": "config", "load_config": "config:load", "update_config": "config:update",
    "lunar_to_solar": "dates", "solar_term": "dates",
    "CareOutcome": "engine", "CareReport": "engine", "RuleCount": "engine", "run": "engine",
    "HolidayEntry": "holiday_calendar", "add_holiday": "holiday_calendar", "calendar": "holiday_calendar",
    "choices": "holiday_calendar", "next_date": "holiday_calendar", "remove_holiday": "holiday_calendar",
    "reset_calendar": "holiday_calendar", "set_calendar": "holiday_calendar",
    "CarePreview": "preview", "PreviewRow": "preview", "preview": "preview",
    "WinbackResults": "rhythm", "lapsed_members": "rhythm", "overdue_cycles": "rhythm",
    "winback_results": "rhythm",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    where = _WHERE.get(name)
    if where is None:   # a submodule (care.engine, care.campaigns…) or a missing name
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module, _, attr = where.partition(":")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attr or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
