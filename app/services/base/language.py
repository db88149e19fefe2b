"""Which language to speak: the shop's setting when it has one, else the environment's."""
from __future__ import annotations

import json
import os

from sqlalchemy import select

from app import i18n
from app.models import Setting
from app.services.base.context import Ctx

LANGUAGES = tuple(i18n.LANGUAGES)


def language_from_env(environ: dict | None = None) -> str:
    """A language of :data:`app.i18n.LANGUAGES` from LC_ALL / LC_MESSAGES / LANG (the first one set;
    zh_TW for zh_TW/zh_HK, zh_CN for other Chinese, English for anything unknown)."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key)
        if value:
            return i18n.normalise(value)
    return i18n.DEFAULT


def configured_language(ctx: Ctx) -> str | None:
    """The shop's language setting when someone has set it, else None."""
    with ctx.tx(write=False) as t:
        raw = t.s.execute(select(Setting.value).where(Setting.key == "language")).scalar()
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if value in LANGUAGES else None
