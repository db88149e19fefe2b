"""shopcare care run: the care engine for one day, and its table of what it queued."""
from __future__ import annotations

from app import i18n
from app.cli.env import EXIT_OK, Env
from app.cli.messages import msg
from app.errors import ShopError
from app.i18n import NC_

CARE_RULE_NAMES = {
    "birthday": NC_("care_rule:birthday", "birthday"), "anniversary": NC_("care_rule:anniversary", "anniversary"),
    "member_anniversary": NC_("care_rule:member_anniversary", "member anniversary"), "holiday": NC_("care_rule:holiday", "holiday"),
    "tier_care": NC_("care_rule:tier_care", "tier care"), "winback": NC_("care_rule:winback", "win-back"), "repurchase": NC_("care_rule:repurchase", "repurchase"),
    "points_reminder": NC_("care_rule:points_reminder", "points reminder"),
    "followup": NC_("care_rule:followup", "follow-up"), "satisfaction": NC_("care_rule:satisfaction", "satisfaction"),
    "campaign": NC_("care_rule:campaign", "campaign"),
    "total": NC_("care_rule:total", "total"),
}


CARE_HEADINGS = (NC_("care_heading", "rule"), NC_("care_heading", "due"), NC_("care_heading", "queued"),
                 NC_("care_heading", "tasks"), NC_("care_heading", "no consent"), NC_("care_heading", "already done"),
                 NC_("care_heading", "missed"), NC_("care_heading", "late"))


def care_rule_name(rule: str, lang: str) -> str:
    return i18n.entry(lang, CARE_RULE_NAMES[rule], context="care_rule:" + rule) if rule in CARE_RULE_NAMES else rule


def _table(rows: list[list[object]]) -> list[str]:
    """Rows as aligned columns (Chinese characters count two): text left, numbers right."""
    from app.services.sales.receipt import text_width

    cells = [[str(c) for c in row] for row in rows]
    widths = [max(text_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    out = []
    for row in cells:
        parts = [row[0] + " " * (widths[0] - text_width(row[0]))]
        parts += [" " * (w - text_width(c)) + c for c, w in zip(row[1:], widths[1:])]
        out.append("  ".join(parts).rstrip())
    return out


def cmd_care_run(env: Env) -> int:
    from datetime import date

    from app.services import care

    on = None
    if env.args.date is not None:
        try:
            on = date.fromisoformat(env.args.date.strip())
        except ValueError:
            raise ShopError("date_invalid", field="--date", value=env.args.date) from None
    ctx = env.open()
    report = care.run(ctx, on, dry_run=env.args.dry_run)
    lang = env.lang
    env.say(msg("care_head", lang, on=report.on.isoformat(), first=report.window_start.isoformat()))
    if report.dry_run:
        env.say(msg("care_dry", lang))
    if report.expiry is not None:
        from app.cli.points import say_days

        say_days(env, report.expiry)
    heads = [i18n.gettext(lang, h, context="care_heading") for h in CARE_HEADINGS]
    rows = [[care_rule_name(c.rule, lang), c.due, c.queued, c.tasks, c.skipped_no_consent, c.duplicate,
             c.missed, c.late] for c in report.rules + (report.total,)]
    for line in _table([heads] + rows):
        env.say(line)
    total = report.total
    if total.queued:
        from app.money import format_money
        from app.services.base import settings

        shop = settings.load(ctx)
        cost = shop.sms_cost(report.parts)
        env.say(msg("care_parts_cost" if cost else "care_parts", lang, texts=total.queued, parts=report.parts,
                    cost=format_money(cost, shop.currency, shop.format_locale)))
    if report.hold:
        from app.services.care.config import load as load_config

        env.say(msg("care_hold_" + report.hold, lang, texts=report.texts, parts=report.parts,
                    limit=load_config(ctx).hold_above))
    if report.dry_run:
        for o in report.outcomes:
            name = care_rule_name(o.rule, lang)
            if o.outcome == "queued":
                env.say(msg("care_action_text", lang, due=o.due_on.isoformat(), rule=name, name=o.member_name,
                            body=o.body))
            elif o.outcome == "task":
                env.say(msg("care_action_task", lang, due=o.due_on.isoformat(), rule=name, name=o.member_name,
                            reason=o.task_reason))
    return EXIT_OK


SHOWN = 20   # held texts listed by 'care approve' without ids


def _ids(env: Env) -> list[int] | None:
    """--all: None (every held text); else the ids typed (at least one)."""
    from app.errors import ValidationError

    if env.args.all:
        return None
    if not env.args.ids:
        raise ValidationError("care_approve_what")
    try:
        return [int(x) for x in env.args.ids]
    except ValueError:
        raise ValidationError("message_ids_invalid", ids=", ".join(env.args.ids)) from None


def _list_held(env: Env, ctx) -> None:
    from app.services.texts import held, outbox_admin

    lang, h = env.lang, held.summary(ctx)
    if not h.texts:
        env.say(msg("care_held_none", lang))
        return
    env.say(msg("care_held_head", lang, texts=h.texts, parts=h.parts, members=h.members))
    from app.money import format_money
    from app.services.base import settings

    shop = settings.load(ctx)
    cost = shop.sms_cost(h.parts)
    if cost:
        env.say(msg("care_held_cost", lang, cost=format_money(cost, shop.currency, shop.format_locale)))
    for kind, n in h.by_kind:
        env.say(msg("care_held_kind", lang, kind=care_rule_name(kind, lang), n=n))
    rows = outbox_admin.list_messages(ctx, status="held", limit=SHOWN)
    for m in rows:
        env.say(msg("care_held_row", lang, id=m.id, name=m.member_name or "", phone=m.masked_phone,
                    kind=care_rule_name(m.kind, lang), body=m.body.replace("\n", " ")))
    if h.texts > len(rows):
        env.say(msg("care_held_more", lang, n=h.texts - len(rows)))
    env.say(msg("care_held_how", lang))


def cmd_care_approve(env: Env) -> int:
    """shopcare care approve [--all | ID...]: without either, list what waits."""
    from app.services.texts import held

    ctx = env.open()
    if not env.args.all and not env.args.ids:
        _list_held(env, ctx)
        return EXIT_OK
    n, missing = held.approve(ctx, _ids(env))
    env.say(msg("care_approved", env.lang, n=n))
    if missing:
        env.say(msg("care_not_held", env.lang, ids=", ".join(map(str, missing))))
    return EXIT_OK


def cmd_care_reject(env: Env) -> int:
    """shopcare care reject [--all | ID...]: held texts are cancelled."""
    from app.services.texts import held

    ctx = env.open()
    if not env.args.all and not env.args.ids:
        _list_held(env, ctx)
        return EXIT_OK
    n, missing = held.reject(ctx, _ids(env))
    env.say(msg("care_rejected", env.lang, n=n))
    if missing:
        env.say(msg("care_not_held", env.lang, ids=", ".join(map(str, missing))))
    return EXIT_OK
