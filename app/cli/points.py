"""shopcare points expire: the shop's expiry policy for points and count cards, caught up to a day.

The group's help is translated (msgctxt cli_help) and its sentences are its own (msgctxt cli:points_*).
"""
from __future__ import annotations

from app import i18n
from app.cli.env import EXIT_OK, Env
from app.i18n import NC_
from app.money import format_int

MESSAGES = {
    "head": NC_("cli:points_head", "Points expiry up to {on} (days looked at: {first} to {on})"),
    "day": NC_("cli:points_day", "{day}: {points} points of {members} member(s) expired; {cards} count card(s) with "
                                 "{uses} use(s) left expired"),
    "day_points": NC_("cli:points_day_points", "{day}: {points} points of {members} member(s) expired"),
    "none": NC_("cli:points_none", "Nothing had lapsed: no points or count cards expired"),
    "total": NC_("cli:points_total", "In all: {points} points of {members} member(s), {cards} count card(s) "
                                     "({uses} uses)"),
    "total_points": NC_("cli:points_total_points", "In all: {points} points of {members} member(s)"),
    "dry_run": NC_("cli:points_dry_run", "Dry run: nothing was written"),
}

HELP = {
    "points": NC_("cli_help", "points: apply the shop's expiry policy"),
    "points_desc": NC_("cli_help", "Members' points (积分/點數). 'shopcare points expire' applies the shop's points "
                                   "expiry policy (Settings › Points) and expires count cards past their date."),
    "expire": NC_("cli_help", "expire the points and count cards that lapsed up to D"),
    "expire_desc": NC_("cli_help", "Expire the points (first in, first out) and the count cards that lapsed on "
                                   "each day since the last expiry run, up to D (default today; not after "
                                   "today): each day's entries are dated that day, so the end-of-day report of "
                                   "a day the shop was closed shows what lapsed on it. Safe to run again, or on "
                                   "two tills at once: what has expired is not expired twice. The app and "
                                   "'shopcare care run' do the same every day."),
    "date": NC_("cli_help", "the day, YYYY-MM-DD (default today; not after today)"),
    "dry_run": NC_("cli_help", "show what would expire; write nothing"),
}


def add_parser(sub, lang: str, formatter, day_type) -> None:
    """The ``points`` command group, its help in ``lang``."""
    def h(key: str) -> str:
        return i18n.gettext(lang, HELP[key], context="cli_help")

    grp = sub.add_parser("points", help=h("points"), description=h("points_desc"), formatter_class=formatter)
    psub = grp.add_subparsers(dest="what", metavar="ACTION", title="actions", required=True)
    c = psub.add_parser("expire", help=h("expire"), description=h("expire_desc"), formatter_class=formatter)
    c.add_argument("--date", metavar="D", type=day_type, default=None, help=h("date"))
    c.add_argument("--dry-run", action="store_true", help=h("dry_run"))
    c.set_defaults(func=cmd_points_expire)


def _say(env: Env, key: str, **params: object) -> None:
    env.say(i18n.entry(env.lang, MESSAGES[key], context="cli:points_" + key, **params))


def say_days(env: Env, run) -> None:
    """One line per day on which something expired, then the total (also after ``care run``)."""
    n = lambda v: format_int(v, env.lang)  # noqa: E731
    for d in run.days:
        _say(env, "day" if d.cards else "day_points", day=d.day.isoformat(), points=n(d.points),
             members=n(d.members), cards=n(d.cards), uses=n(d.uses))
    if not run.days:
        _say(env, "none")
    elif len(run.days) > 1:
        _say(env, "total" if run.cards else "total_points", points=n(run.points), members=n(run.members),
             cards=n(run.cards), uses=n(run.uses))


def cmd_points_expire(env: Env) -> int:
    from app.services.ledger import expiry

    ctx = env.open()
    run = expiry.run(ctx, env.args.date, dry_run=env.args.dry_run)
    _say(env, "head", on=run.on.isoformat(), first=run.first_day.isoformat())
    say_days(env, run)
    if run.dry_run:
        _say(env, "dry_run")
    return EXIT_OK
