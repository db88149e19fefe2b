"""A small read-only summary of the shop for the home window and the command line."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from app.models import Member, Sale, Setting
from app.services.context import Ctx

LANGUAGES = ("en", "zh_CN")


@dataclass(frozen=True)
class ShopSummary:
    shop_name: str
    language: str            # en or zh_CN: the shop's setting, else from the environment
    members: int             # not erased
    sales_today: int         # sales (not refunds) since midnight, shop time
    sales_today_total: int   # their totals, minor units
    currency: str


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


def shop_summary(ctx: Ctx) -> ShopSummary:
    from app.services import settings

    cfg = settings.load(ctx)
    start = datetime.combine(ctx.today(), time.min)
    end = start + timedelta(days=1)
    with ctx.tx(write=False) as t:
        members = t.s.execute(select(func.count()).select_from(Member).where(Member.erased_at.is_(None))).scalar()
        count, total = t.s.execute(
            select(func.count(), func.coalesce(func.sum(Sale.total), 0))
            .where(Sale.kind == "sale", Sale.created_at >= start, Sale.created_at < end)).one()
    lang = configured_language(ctx) or language_from_env()
    return ShopSummary(shop_name=cfg.shop_name, language=lang, members=int(members or 0),
                       sales_today=int(count or 0), sales_today_total=int(total or 0), currency=cfg.currency)
