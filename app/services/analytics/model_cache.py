"""The fitted models, kept in the ``settings`` table (key ``analytics.models``, JSON) with the as-of
date and a fingerprint of the data they were fitted on.

A cached fit is reused for an as-of date D when it was fitted at a date F with F <= D <= F + 7 days
(it never saw a purchase after D, so a past as-of is not coloured by later data) and the members it
saw are within 2% of today's (a fit is a population estimate: a few days' new sales hardly move it).
Otherwise, or with ``refit``, the models are fitted afresh and stored, unless the new fit is for an
earlier date than the one kept (a look back does not replace the current fit).
"""
from __future__ import annotations

import json
from datetime import datetime

from app.models import Setting
from app.services.analytics import bgnbd, churn
from app.services.analytics.purchases import day_date, day_number
from app.services.analytics.scoring import Models, fingerprint
from app.services.analytics.summary import Summary
from app.services.base.context import Ctx

KEY = "analytics.models"
MAX_AGE_DAYS = 7
MAX_DRIFT = 0.02


def _params(d: dict | None) -> bgnbd.BgNbdParams | None:
    return None if d is None else bgnbd.BgNbdParams(**d)


def load(ctx: Ctx) -> tuple[Models, dict] | None:
    """The cached models and their record (as_of, fitted_at, members), or None."""
    with ctx.tx(write=False) as t:
        row = t.s.get(Setting, KEY)
        raw = None if row is None else row.value
    if raw is None:
        return None
    try:
        d = json.loads(raw)
        models = Models(as_of=day_number(datetime.strptime(d["as_of"], "%Y-%m-%d").date()),
                        fingerprint=d["fingerprint"], bgnbd=_params(d["bgnbd"]),
                        bgnbd_cutoff=_params(d["bgnbd_cutoff"]), churn=churn.ChurnModel.from_dict(d["churn"]))
    except (ValueError, KeyError, TypeError):
        return None  # an unreadable cache is refitted, never an error
    return models, d


def usable(record: tuple[Models, dict] | None, s: Summary) -> Models | None:
    if record is None:
        return None
    models, d = record
    if models.fingerprint == fingerprint(s):
        return models
    age = s.as_of - models.as_of
    members = int(d.get("members") or 0)
    if not 0 <= age <= MAX_AGE_DAYS or members <= 0:
        return None
    return models if abs(len(s) - members) <= MAX_DRIFT * members else None


def store(ctx: Ctx, models: Models, s: Summary, kept: tuple[Models, dict] | None) -> bool:
    """Keep ``models`` unless the cache holds a fit for a later date. True when stored."""
    if kept is not None and kept[0].as_of > models.as_of:
        return False
    record = {
        "as_of": day_date(models.as_of).isoformat(),
        "fingerprint": models.fingerprint,
        "members": len(s),
        "repeat_purchase_days": int(s.frequency.sum()),
        "fitted_at": ctx.now().isoformat(timespec="seconds"),
        "bgnbd": None if models.bgnbd is None else models.bgnbd.as_dict(),
        "bgnbd_cutoff": None if models.bgnbd_cutoff is None else models.bgnbd_cutoff.as_dict(),
        "churn": models.churn.as_dict(),
    }
    with ctx.tx() as t:
        row = t.s.get(Setting, KEY)
        if row is None:
            t.s.add(Setting(key=KEY, value=json.dumps(record)))
        else:
            row.value = json.dumps(record)
    return True
