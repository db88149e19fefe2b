"""shopcare care config|calendar|wording|preview: the care settings from the command line (what
Settings › Care edits in the app), and who would get what tomorrow."""
from __future__ import annotations

import json

from app import i18n
from app.cli.care import care_rule_name
from app.cli.env import EXIT_OK, Env
from app.errors import ShopError
from app.i18n import NC_

MESSAGES = {
    "care_settings_saved": NC_("cli:care_settings_saved", "Saved: {key} = {value}"),
    "care_calendar_head": NC_("cli:care_calendar_head", "Care calendar (on: sent to every member with care consent; next date from {start})"),
    "care_calendar_row": NC_("cli:care_calendar_row", "{mark} {key}  {name}  {rule}  {next}"),
    "care_calendar_saved": NC_("cli:care_calendar_saved", "Care calendar saved: {n} days on"),
    "care_wording_head": NC_("cli:care_wording_head", "Repurchase wording per product category (others: the shop's 'repurchase' template)"),
    "care_wording_row": NC_("cli:care_wording_row", "  {category}: {text}"),
    "care_wording_none": NC_("cli:care_wording_none", "  (none: every category uses the 'repurchase' template)"),
    "care_wording_default": NC_("cli:care_wording_default", "  default: {text}"),
    "care_preview_head": NC_("cli:care_preview_head", "On {on}: {planned} care actions due; of {looked} looked at, {going} would go out, "
                             "{done} are done already, {no_consent} lack consent, {missed} are too late"),
    "care_preview_row": NC_("cli:care_preview_row", "  {rule}  {name} {phone}: {text}"),
}


def _say(env: Env, which: str, /, **params: object) -> None:
    env.say(i18n.entry(env.lang, MESSAGES[which], context="cli:" + which, **params))


def _value(text: str) -> object:
    """A value as typed: JSON (3, 2.5, true, null, [..], {..}) or else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def cmd_care_config_show(env: Env) -> int:
    from dataclasses import asdict

    from app.services import care

    cfg = asdict(care.load_config(env.open()))
    for key, value in cfg.items():
        env.say(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return EXIT_OK


def cmd_care_config_set(env: Env) -> int:
    from app.services import care

    key, value = env.args.key, _value(env.args.value)
    cfg = care.update_config(env.open(), **{key: value})
    _say(env, "care_settings_saved", key=key, value=json.dumps(getattr(cfg, key), ensure_ascii=False))
    return EXIT_OK


def cmd_care_calendar(env: Env) -> int:
    """The days offered and the shop's own, which are on, and the next date of each."""
    from app.services import care
    from app.services.care import holiday_calendar

    ctx = env.open()
    action = env.args.action
    if action == "on":
        holiday_calendar.switch(ctx, env.args.keys, True)
    elif action == "off":
        holiday_calendar.switch(ctx, env.args.keys, False)
    elif action == "reset":
        care.reset_calendar(ctx)
    elif action == "add":
        if len(env.args.keys) != 4:
            raise ShopError("care_calendar_add_usage")
        key, rule, name_en, name_zh = env.args.keys
        care.add_holiday(ctx, key=key, rule=rule, name_en=name_en, name_zh=name_zh)
    entries = care.calendar(ctx)
    if action in ("on", "off", "reset", "add"):
        _say(env, "care_calendar_saved", n=len(entries))
    start = ctx.today()
    on = {e.key for e in entries}
    offered = care.choices()
    rows = list(entries) + [e for e in offered if e.key not in on]
    _say(env, "care_calendar_head", start=start.isoformat())
    for e in rows:
        nxt = care.next_date(e, start)
        _say(env, "care_calendar_row", mark="[x]" if e.key in on else "[ ]", key=e.key, name=e.name(env.lang),
             rule=e.rule, next=nxt.isoformat() if nxt else "-")
    return EXIT_OK


def cmd_care_wording(env: Env) -> int:
    from app.services import care
    from app.services.base import settings
    from app.services.care import config as care_config
    from app.services.texts import templates

    ctx = env.open()
    if env.args.action == "set":
        care_config.set_wording(ctx, env.args.category or "", env.args.text or "")
    elif env.args.action == "remove":
        care_config.set_wording(ctx, env.args.category or "", None)
    cfg = care.load_config(ctx)
    lang = settings.load(ctx).language
    _say(env, "care_wording_head")
    _say(env, "care_wording_default", text=templates.template_for(ctx, "repurchase", lang))
    if not cfg.repurchase_wording:
        _say(env, "care_wording_none")
    for category, text in sorted(cfg.repurchase_wording.items()):
        _say(env, "care_wording_row", category=category, text=text)
    return EXIT_OK


def cmd_care_preview(env: Env) -> int:
    from app.services import care

    report = care.preview(env.open(), tuple(env.args.rule) if env.args.rule else None, on=env.args.date,
                          limit=max(1, min(env.args.limit, 1000)))
    _say(env, "care_preview_head", on=report.on.isoformat(), planned=report.planned, looked=report.looked_at,
         going=report.going, done=report.done, no_consent=report.no_consent, missed=report.missed)
    for row in report.rows:
        _say(env, "care_preview_row", rule=care_rule_name(row.rule, env.lang), name=row.member, phone=row.phone,
             text=row.text)
    return EXIT_OK


class _Rules:
    """The care rules' names for ``--rule``, read from care.config only when argparse asks (a value
    given, or the help shown): building the parser for every command must not import the models."""

    def _names(self) -> tuple[str, ...]:
        from app.services.care.config import RULES

        return RULES

    def __contains__(self, value: object) -> bool:
        return value in self._names()

    def __iter__(self):
        return iter(self._names())


def add_commands(csub, formatter, day) -> None:
    """The care settings commands, under ``shopcare care``."""
    cfg = csub.add_parser("config", help="show or change the care settings (lead times, thresholds, tier plans)",
                          description="The care engine's settings (docs/care.md): lead times, cut-offs, win-back and "
                                      "repurchase thresholds, tier care plans, approval. 'set' takes a value as "
                                      "JSON (3, 2.5, true, null, [..], {..}) or as plain text; every value is "
                                      "checked and the change is audited.", formatter_class=formatter)
    csub2 = cfg.add_subparsers(dest="how", metavar="HOW", required=True)
    c = csub2.add_parser("show", help="every care setting and its value")
    c.set_defaults(func=cmd_care_config_show)
    c = csub2.add_parser("set", help="change one care setting",
                         description="Change one care setting, e.g. 'care config set birthday_days_ahead 3' or "
                                     "'care config set winback_voucher null'.", formatter_class=formatter)
    c.add_argument("key", metavar="KEY", help="the setting's name (see 'care config show')")
    c.add_argument("value", metavar="VALUE", help="its new value (JSON or plain text)")
    c.set_defaults(func=cmd_care_config_set)

    cal = csub.add_parser("calendar", help="the care calendar: festivals and the 24 solar terms, on or off",
                          description="List the care calendar: the days that are on, the festivals and solar "
                                      "terms offered, each with its next date (lunar dates by lunar-python). "
                                      "'on KEY...' and 'off KEY...' switch days; 'add KEY RULE NAME_EN NAME_ZH' "
                                      "adds a day of the shop's own (RULE: solar:MM-DD, lunar:MM-DD, term:NAME, "
                                      "public:NAME or date:YYYY-MM-DD); 'reset' goes back to the defaults.",
                          formatter_class=formatter)
    cal.add_argument("action", metavar="ACTION", nargs="?", default="list",
                     choices=("list", "on", "off", "add", "reset"), help="list (default), on, off, add or reset")
    cal.add_argument("keys", metavar="KEY", nargs="*", help="the days' keys (as listed)")
    cal.set_defaults(func=cmd_care_calendar)

    w = csub.add_parser("wording", help="the repurchase reminder's wording per product category",
                        description="A repurchase reminder says what suits the product: a wording per product "
                                    "category (placeholders {name} {product} {days} {shop}); a category without "
                                    "one gets the shop's 'repurchase' template. 'set CATEGORY TEXT', "
                                    "'remove CATEGORY', or nothing to list them.", formatter_class=formatter)
    w.add_argument("action", metavar="ACTION", nargs="?", default="list", choices=("list", "set", "remove"),
                   help="list (default), set or remove")
    w.add_argument("category", metavar="CATEGORY", nargs="?", default=None, help="a product category")
    w.add_argument("text", metavar="TEXT", nargs="?", default=None, help="the wording (for set)")
    w.set_defaults(func=cmd_care_wording)

    p = csub.add_parser("preview", help="who would get what tomorrow",
                        description="What tomorrow's care run (or D's) would do with the settings as saved: the "
                                    "member (phone masked), the rule, the text or the task. Writes nothing.",
                        formatter_class=formatter)
    p.add_argument("--rule", metavar="RULE", action="append", choices=_Rules(), default=None,
                   help="only this rule (may be given more than once): %(choices)s")
    p.add_argument("--date", metavar="D", type=day, default=None, help="the day, YYYY-MM-DD (default tomorrow)")
    p.add_argument("--limit", type=int, default=50, help="show at most N actions (default 50)")
    p.set_defaults(func=cmd_care_preview)
