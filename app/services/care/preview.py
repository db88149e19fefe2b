"""Who would get what on a day (tomorrow by default): the care engine's own planning and dry-run
composing, for Settings › Care, where each section previews its rules, with the settings as saved
or as being edited (``changes`` and ``calendar`` not saved yet). Reads only."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import select

from app.models import Member
from app.services.base import settings
from app.services.base.context import Ctx
from app.services.base.phones import mask
from app.services.care import config as care_config
from app.services.care import engine, holiday_calendar
from app.services.care.config import RULES

SCAN_MAX = 2000   # actions composed at most for one preview (a greeting to every member is planned, not all composed)


@dataclass(frozen=True)
class PreviewRow:
    rule: str
    member_id: int
    member: str
    phone: str           # masked: 138****5678
    due_on: date
    outcome: str         # "queued" (a text) or "task" (a call or a gift)
    text: str            # the text as it would be queued, or the task's reason


@dataclass(frozen=True)
class CarePreview:
    on: date
    planned: int                  # actions of these rules due on the day
    looked_at: int                # of them, how many were checked and composed
    going: int                    # of those, what would go out (texts and tasks)
    done: int                     # already done (an earlier run, another till)
    no_consent: int               # the member may not get it (no consent, opted out, no phone)
    missed: int                   # too late after closed days
    rows: tuple[PreviewRow, ...]  # what would go out (at most ``limit``)

    @property
    def skipped(self) -> int:
        return self.done + self.no_consent + self.missed


def preview(ctx: Ctx, rules: tuple[str, ...] | None = None, *, on: date | None = None, limit: int = 50,
            calendar=None, **changes: object) -> CarePreview:
    """What the care run would do on ``on`` (default tomorrow) for ``rules`` (default all), with the
    care settings ``changes`` and the care ``calendar`` (HolidayEntry list) applied as if saved.
    Each change is checked as ``care.update_config`` checks it; nothing is written."""
    for key, value in changes.items():
        care_config.validate(key, value)
    entries = None if calendar is None else tuple(holiday_calendar.check_entry(e) for e in calendar)
    on = on or ctx.today() + timedelta(days=1)
    shop = settings.load(ctx)
    wanted = set(rules or RULES)
    with ctx.tx(write=False) as t:
        cfg = replace(care_config.load(t), **changes)
        cfg = replace(cfg, enabled=tuple(r for r in cfg.enabled if r in wanted))
        actions = engine.plan_actions(t, cfg, on, on, calendar=entries)
        rows: list[PreviewRow] = []
        looked = 0
        counts = {"queued": 0, "task": 0, "duplicate": 0, "no_consent": 0, "missed": 0}
        for i in range(0, min(len(actions), SCAN_MAX), engine.CHUNK):
            part = actions[i:i + engine.CHUNK]
            outcomes = engine.apply_actions(t, part, on, shop, True)
            looked += len(part)
            phones = dict(t.s.execute(select(Member.id, Member.phone).where(
                Member.id.in_({o.member_id for o in outcomes}))).all())
            for o in outcomes:
                counts[o.outcome] += 1
                if o.outcome in ("queued", "task") and len(rows) < limit:
                    rows.append(PreviewRow(o.rule, o.member_id, o.member_name, mask(phones.get(o.member_id)),
                                           o.due_on, o.outcome, o.body or o.task_reason or ""))
            if len(rows) >= limit:
                break
    return CarePreview(on, len(actions), looked, counts["queued"] + counts["task"], counts["duplicate"],
                       counts["no_consent"], counts["missed"], tuple(rows))
