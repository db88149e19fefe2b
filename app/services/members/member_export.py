"""The member list as CSV or XLSX (owner only, audited): what a shop takes to another system or
to its accountant. Erased members are left out; the phone is the full number (personal data:
that is why only the owner may export, and every export is in the audit log)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from app.models import Member, MemberTag, Tier
from app.services.base import export, permissions
from app.services.base import settings as shop_settings
from app.services.base.context import Ctx

TABLE = (
    export.Column("member_id", "int"), export.Column("name"), export.Column("phone"), export.Column("card_no"),
    export.Column("gender"), export.Column("birthday"), export.Column("birthday_calendar"),
    export.Column("tier"), export.Column("join_date", "date"), export.Column("wallet_principal", "money"),
    export.Column("wallet_bonus", "money"), export.Column("points", "int"), export.Column("total_spent", "money"),
    export.Column("visits", "int"), export.Column("last_visit", "date"), export.Column("consent_care", "bool"),
    export.Column("consent_marketing", "bool"), export.Column("opted_out", "bool"),
    export.Column("ebill", "bool"), export.Column("tags"),
)


def _rows(t: Ctx):
    tags = func.group_concat(MemberTag.tag) if t.s.bind.dialect.name == "sqlite" else func.string_agg(MemberTag.tag, ",")
    tag_list = (select(MemberTag.member_id, tags.label("tags")).group_by(MemberTag.member_id).subquery())
    q = (select(Member.id, Member.name, Member.phone, Member.card_no, Member.gender, Member.birth_year,
                Member.birthday_month, Member.birthday_day, Member.birthday_calendar, Member.birthday_leap_month,
                Tier.code, Member.join_date, Member.wallet_principal, Member.wallet_bonus, Member.points_balance,
                Member.total_spent, Member.visits, Member.last_visit_at, Member.consent_care,
                Member.consent_marketing, Member.opted_out_at, Member.ebill_enabled, tag_list.c.tags)
         .outerjoin(Tier, Tier.id == Member.tier_id).outerjoin(tag_list, tag_list.c.member_id == Member.id)
         .where(Member.erased_at.is_(None)).order_by(Member.id))
    for r in t.s.execute(q).yield_per(2000):
        birthday = ""
        if r.birthday_month:
            core = f"{r.birthday_month:02d}-{r.birthday_day:02d}"
            birthday = f"{r.birth_year}-{core}" if r.birth_year else core
            if r.birthday_leap_month:
                birthday = "leap " + birthday
        yield (r.id, r.name, r.phone, r.card_no, r.gender, birthday, r.birthday_calendar if birthday else "",
               r.code, r.join_date, r.wallet_principal, r.wallet_bonus, r.points_balance, r.total_spent, r.visits,
               r.last_visit_at, r.consent_care, r.consent_marketing, r.opted_out_at is not None, r.ebill_enabled,
               ",".join(sorted((r.tags or "").split(","))) if r.tags else "")


def export_members(ctx: Ctx, path: str | Path, *, progress: Callable[[int, int, str], None] | None = None) -> int:
    """Every member who has not been erased, to ``path`` (.csv or .xlsx); returns the count."""
    permissions.require(ctx, "export")
    cfg = shop_settings.load(ctx)
    with ctx.tx(write=False) as t:
        total = t.s.execute(select(func.count(Member.id)).where(Member.erased_at.is_(None))).scalar()
    return export.export_table(ctx, path, TABLE, _rows, currency=cfg.currency, action="members.export",
                               details={}, progress=progress, total=total)
