"""Which language to speak: the shop's setting when it has one, else the environment's."""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from app import i18n

if TYPE_CHECKING:
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
    # Plain SQL, imported here: every command asks language_from_env before parsing its arguments
    # (--help included), and most ask this one before their work: neither needs the models.
    from sqlalchemy import text

    query = text("SELECT value FROM settings WHERE key = 'language'")
    if ctx.session is not None:
        raw = ctx.s.execute(query).scalar()
    else:   # a Connection, not a Session: the ORM stays unloaded for commands that read through Core
        with ctx.db.engine.connect() as conn, conn.begin():
            raw = conn.execute(query).scalar()
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if value in LANGUAGES else None
