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
    """en or zh_CN from LC_ALL / LC_MESSAGES / LANG (zh_CN when any says Chinese)."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key)
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


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
