"""A day's care actions for the Care screen: the texts waiting for approval (whatever their day) and
the care texts queued that day (to look over, approve, or cancel any that should not go), the calls
due, and the gifts to prepare soon."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.services.care import callbacks
from app.services.texts import held as held_texts
from app.services.texts import outbox_admin
from app.services.care.callbacks import TaskView
from app.services.base.context import Ctx
from app.services.texts.outbox_admin import MessageRow

GIFT_LEAD_DAYS = 7   # a gift box is wrapped ahead: show the week's


@dataclass(frozen=True)
class CareToday:
    on: date
    texts: tuple[MessageRow, ...]
    calls: tuple[TaskView, ...]      # open tasks due by ``on`` that are not gifts (overdue first)
    gifts: tuple[TaskView, ...]      # open gift tasks due within GIFT_LEAD_DAYS
    held: held_texts.Held | None = None   # every text waiting for approval (any day): count and SMS parts


def today(ctx: Ctx, on: date | None = None) -> CareToday:
    on = on or ctx.today()
    # Held texts wait whatever their day (care and marketing); queued care texts are today's.
    waiting = outbox_admin.list_messages(ctx, status="held", limit=outbox_admin.PAGE_MAX)
    waiting += [m for m in outbox_admin.list_messages(ctx, status="queued", date_from=on, date_to=on,
                                                      limit=outbox_admin.PAGE_MAX) if m.category == "care"]
    texts = tuple(sorted(waiting, key=lambda m: m.id))
    calls = tuple(x for x in callbacks.open_tasks(ctx, until=on) if x.source != "gift")
    gifts = tuple(callbacks.open_tasks(ctx, until=on + timedelta(days=GIFT_LEAD_DAYS), source="gift"))
    return CareToday(on=on, texts=texts, calls=calls, gifts=gifts, held=held_texts.summary(ctx))
