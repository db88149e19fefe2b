"""The ``shopcare`` command (see DESIGN.md, "Command line": a contract, keep the names).

With no command it starts the till app (Qt is imported only then). Every command acts as the
``system`` actor on till ``$SHOPCARE_TILL`` (default T1). Errors are ShopErrors rendered in the
user's language on stderr with exit code 2 (``check`` exits 1 when it finds a fault), argparse's
usage errors too; never a traceback: a failure nobody foresaw is one plain sentence, its traceback
goes to the log file (app/logs.py; ``shopcare support-bundle`` zips it), and ``SHOPCARE_DEBUG=1``
prints it on stderr as well.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Callable, TextIO

from app import __version__, i18n
from app.errors import ShopError, quoted, render
from app.i18n import NC_, NN_
from app.safe_text import terminal

EXIT_OK, EXIT_FAULT, EXIT_ERROR = 0, 1, 2

# --- the command line's own sentences (msgctxt cli:<key>) -----------------------------------------------
MESSAGES: dict[str, str] = {
    "init_done": NC_("cli:init_done", "Database ready: {where} (schema {rev})"),
    "init_proposed": NC_("cli:init_proposed", "Proposed from the system locale ({locale}): language {language}, currency {currency}, "
                      "phone region {region}. The app's first start offers them; to set them now: shopcare "
                      "init --language {language} --currency {currency} --region {region}"),
    "init_set": NC_("cli:init_set", "Shop set to language {language}, currency {currency}, phone region {region} (the first start "
                 "offers them; later: Settings › Shop)"),
    "file_renamed": NC_("cli:file_renamed", "{wanted} already exists and is kept: written as {path} instead"),
    "backed_up_first": NC_("cli:backed_up_first", "Backed up before upgrading the schema: {path}"),
    "backup_done": NC_("cli:backup_done", "Backup written and checked: {path}"),
    "restore_done": NC_("cli:restore_done", "Restored {src} (schema {before} -> {after})"),
    "restore_confirm": NC_("cli:restore_confirm", "This replaces the shop's database ({db}) with the backup of {when} ({path}); everything "
                        "since then is replaced. Type yes to go on: "),
    "restore_safety": NC_("cli:restore_safety", "The database as it was before the restore is in {path}"),
    "check_schema": NC_("cli:check_schema", "Schema revision {rev} (head {head})"),
    "check_counts": NC_("cli:check_counts", "Checked {items}"),
    "check_ok": NC_("cli:check_ok", "OK: no faults found"),
    "check_faults": NC_("cli:check_faults", "{n} fault(s) found"),
    "warning": NC_("cli:warning", "warning: {text}"),
    "fault": NC_("cli:fault", "FAULT: {text}"),
    "import_done_members": NC_("cli:import_done_members", "{file}: {imported} members imported, {rejected} rows rejected"),
    "import_done_sales": NC_("cli:import_done_sales", "{file}: {imported} sales imported ({created} new members), {skipped} already there, "
                          "{rejected} rows rejected"),
    "import_row": NC_("cli:import_row", "  row {row}: {reason}"),
    "import_skipped_rows": NC_("cli:import_skipped_rows", "Rows left out (--skip-bad):"),
    "demo_done": NC_("cli:demo_done", "Demo shop data written:"),
    "reprint_sent": NC_("cli:reprint_sent", "Receipt {receipt} reprinted on {printer}"),
    "report_written": NC_("cli:report_written", "Report written: {path}"),
    "owner_password_prompt": NC_("cli:owner_password_prompt", "Owner's password: "),
    "owner_password_new_prompt": NC_("cli:owner_password_new_prompt", "New owner's password for {name}: "),
    "owner_password_again": NC_("cli:owner_password_again", "The same again: "),
    "owner_password_done": NC_("cli:owner_password_done", "The owner's password of {name} is set"),
    "members_exported": NC_("cli:members_exported", "{rows} members written to {path} (recorded in the audit log)"),
    "backups_rotated": NC_("cli:backups_rotated", "{n} old backup(s) removed (kept: the newest of each of the last 7 days, 4 weeks "
                        "and 12 months)"),
    "member_many": NC_("cli:member_many", "'{query}' matches {n} members; use the full phone or the card number:"),
    # shopcare audit-key
    "audit_key_hint": NC_("cli:audit_key_hint", "This till's audit key (above). On each other till sharing this database: shopcare "
                       "audit-key set <the key>, or Settings › Backups › Use the key of another till. Keep it "
                       "private: whoever has it can re-sign an edited audit log."),
    "audit_key_set": NC_("cli:audit_key_set", "This till now uses that audit key: its audit rows verify (shopcare check). If the till "
                      "app is open on this computer, close and start it again: it still holds the old key"),
    # texts: gateways and sending
    "outbox_gateway": NC_("cli:outbox_gateway", "Gateway: {kind} ({sender})"),
    "outbox_recovered": NC_("cli:outbox_recovered", "{n} text(s) interrupted while sending are now 'unknown': check them in Messages"),
    "outbox_sent": NC_("cli:outbox_sent", "Sent {sent}, failed {failed}, deferred {deferred} (quiet hours or daily limit), "
                    "to retry {retried}, unknown {unknown}, cancelled {cancelled}"),
    "outbox_polled": NC_("cli:outbox_polled", "Statuses checked {checked}: delivered {delivered}, failed {failed}; replies {inbound} "
                      "(opted out {opted_out}, opted back in {opted_in}, scores {scores})"),
    "outbox_poll_failed": NC_("cli:outbox_poll_failed", "Statuses and replies not fetched this time: {why}"),
    "outbox_test": NC_("cli:outbox_test", "Test text #{id} to {phone}: {status}"),
    # care engine (shopcare care run)
    "care_head": NC_("cli:care_head", "Care actions for {on} (days looked at: {first} to {on})"),
    "care_dry": NC_("cli:care_dry", "Dry run: nothing was written"),
    "care_action_text": NC_("cli:care_action_text", "  {due}  {rule}  {name}: {body}"),
    "care_action_task": NC_("cli:care_action_task", "  {due}  {rule}  {name}: task: {reason}"),
    # shopcare rfm
    "rfm_none": NC_("cli:rfm_none", "No member has bought up to {as_of}"),
    "rfm_members": NC_("cli:rfm_members", "Member analytics as of {as_of}: {members} members who have bought"),
    "rfm_segment": NC_("cli:rfm_segment", "  {name:<12} {count:>8}  {share:5.1f}%"),
    "rfm_top20": NC_("cli:rfm_top20", "The top 20% of members bring {share:.1f}% of member revenue ({revenue})"),
    "rfm_params": NC_("cli:rfm_params", "BG/NBD: r={r:.4g} alpha={alpha:.4g} days a={a:.4g} b={b:.4g} ({how})"),
    "rfm_fitted": NC_("cli:rfm_fitted", "fitted now"),
    "rfm_cached": NC_("cli:rfm_cached", "cached fit of {as_of}"),
    "rfm_no_model": NC_("cli:rfm_no_model", "BG/NBD: not fitted (too few members, or nobody came back yet)"),
    "rfm_churn": NC_("cli:rfm_churn", "churn_risk: {method}"),
    "rfm_churn_logistic": NC_("cli:rfm_churn_logistic", "logistic model fitted on who came back in this shop's last {days} days "
                           "(AUC there {auc:.3f}; 1 - p_alive alone: {auc_pa:.3f})"),
    "rfm_churn_hand": NC_("cli:rfm_churn_hand", "rhythm-adjusted model forecast (too little history to fit on this shop)"),
    # the command line's own checks of its options (argparse prints "argument --date: ..." before them)
    "arg_not_date": NC_("cli:arg_not_date", "'{value}' is not a date (use YYYY-MM-DD)"),
    "arg_date_range": NC_("cli:arg_date_range", "{value} is outside the dates ShopCare keeps ({first} to {last})"),
    "arg_not_whole": NC_("cli:arg_not_whole", "'{value}' is not a whole number"),
    "arg_whole_range": NC_("cli:arg_whole_range", "{value} is not from {min} to {max}"),
    "support_bundle_done": NC_("cli:support_bundle_done", "Support bundle written: {path} ({n} files; no member names, phones cut to their "
                            "last 4 digits). Logs are kept in {logs}"),
    "rfm_exported": NC_("cli:rfm_exported", "{rows} members written to {path} (as of {as_of})"),
    "interrupted": NC_("cli:interrupted", "interrupted"),
    "demo_count": NC_("cli:demo_count", "  {what}: {n}"),
}
# What `shopcare demo` reports it wrote (demo.DemoSummary's fields).
DEMO_COUNTS: dict[str, str] = {
    "members": NC_("demo:members", "members"), "sales": NC_("demo:sales", "sales"),
    "refunds": NC_("demo:refunds", "refunds"), "topups": NC_("demo:topups", "top-ups"),
    "messages": NC_("demo:messages", "texts"), "products": NC_("demo:products", "products"),
    "days": NC_("demo:days", "days"),
}


# Sentences with a count: key -> (the parameter that counts, its singular and plural English).
PLURALS: dict[str, tuple[str, tuple[str, str]]] = {
    "backups_rotated": ("n", NN_("{n} old backup removed (kept: the newest of each of the last 7 days, 4 weeks and "
                                 "12 months)",
                                 "{n} old backups removed (kept: the newest of each of the last 7 days, 4 weeks and "
                                 "12 months)")),
    "outbox_recovered": ("n", NN_("{n} text interrupted while sending is now 'unknown': check it in Messages",
                                  "{n} texts interrupted while sending are now 'unknown': check them in Messages")),
    "members_exported": ("rows", NN_("{rows} member written to {path} (recorded in the audit log)",
                                     "{rows} members written to {path} (recorded in the audit log)")),
    "rfm_exported": ("rows", NN_("{rows} member written to {path} (as of {as_of})",
                                 "{rows} members written to {path} (as of {as_of})")),
}


def msg(key: str, lang: str, **params: object) -> str:
    """A sentence of the command line in ``lang`` (the shopcare PO, msgctxt ``cli:<key>``)."""
    if key in PLURALS and isinstance(params.get(PLURALS[key][0]), int):
        count, (one, many) = PLURALS[key]
        return i18n.ngettext(lang, one, many, params[count]).format(**params)
    return i18n.entry(lang, MESSAGES[key], context="cli:" + key, **params)


# --- help texts (they match DESIGN.md) ---------------------------------------------------------
DESCRIPTION = "ShopCare: point-of-sale member management and customer care for small shops."
EPILOG = """\
summary:
  shopcare                          start the till app
  shopcare init [--language L] [--currency C] [--region R]   create or upgrade the database;
                                    before the first run, the shop's language, currency and phone
                                    region (proposed from the system locale)
  shopcare demo [--members N] [--days D] [--seed S]   fill with realistic demo shop data
  shopcare import members FILE      CSV or XLSX; reports each rejected row and why; all-or-nothing unless --skip-bad
  shopcare import sales FILE        CSV history: member phone, datetime, amount [, sku, qty]
  shopcare check                    integrity check + every cached balance equals its ledger; exit 1 on any fault
  shopcare backup [PATH]            hot, consistent backup
  shopcare restore PATH [--yes]     restore a backup (checked on a copy; the current database is
                                    backed up first)
  shopcare reprint RECEIPT_NO [--printer SETTING]   reprint a past receipt
  shopcare report eod [--date D] [-o FILE.pdf]  end-of-day member report
  shopcare report statement MEMBER [--from D] [--to D] [-o FILE.pdf]   one member's statement
  shopcare export members -o FILE.csv|FILE.xlsx   the member list (owner only, audited; asks the
                                    owner's password once one is set)
  shopcare owner-password [--name NAME]   set or reset the owner's password (forgotten or first)
  shopcare audit-key show           this till's audit key, to copy to the other tills sharing the
                                    database (owner; asks the owner's password once one is set)
  shopcare audit-key set KEY        use another till's audit key here (refused unless it verifies the
                                    database's audit rows)
  shopcare outbox send              deliver due messages through the configured gateway
  shopcare outbox test PHONE [TEXT] send one test text now and print the gateway's answer
  shopcare care run [--date D] [--dry-run]   queue every care action due on D (idempotent)
  shopcare rfm [--as-of D] [-o FILE.csv|FILE.xlsx] [--refit]   per member: recency, frequency,
                                    monetary, T, segment, p_alive, churn risk (export: owner, audited)
  shopcare support-bundle -o FILE.zip [--force]   logs, check output, versions, settings without
                                    secrets; no personal data: send it to whoever helps you

environment:
  SHOPCARE_DB    database URL (same as --db); default: SQLite in the user data dir
  SHOPCARE_HOME  keep data, cache, config, backups and logs under this folder instead
  SHOPCARE_DEBUG=1  also print the traceback of an unexpected failure on stderr
  SHOPCARE_TILL  the till code commands act as (default T1)
  SHOPCARE_OWNER_PASSWORD   the owner's password for exports and audit-key in scripts (else asked
                            on a terminal)
  SHOPCARE_AUDIT_KEY        the audit key in hex (wins over the key stored on this computer)
  SHOPCARE_SMS_GATEWAY=log|twilio, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SHOPCARE_SMS_FROM,
  SHOPCARE_SMS_API_BASE   the text gateway (override this machine's gateway settings)

log file:
  every unexpected failure is kept with its traceback in shopcare.log (rotated at 1 MB, 3 older
  files kept) in the user log folder: ~/.local/state/ShopCare/log (Linux), ~/Library/Logs/ShopCare
  (macOS), %LOCALAPPDATA%\\ShopCare\\ShopCare\\Logs (Windows), or $SHOPCARE_HOME/logs

global options: --db URL and --lang LANG may come before or after the command
  (shopcare --lang zh_CN report eod, or shopcare report eod --lang zh_CN).

files: a report, statement, export or backup never overwrites a file: when the name is taken it
  is written as "name (2).ext" (the next free number) and the command says so on stderr.

exit codes: 0 done, 1 check found a fault, 2 error (message on stderr)
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


# argparse's own sentences, marked for the catalogue (msgctxt "argparse"; it looks each up through
# its module's ``_`` as it speaks: see _argparse_language). The help texts stay English.
ARGPARSE_TEXTS = (
    NC_("argparse", "usage: "),
    NC_("argparse", "%(prog)s: error: %(message)s\n"),
    NC_("argparse", "argument %(argument_name)s: %(message)s"),
    NC_("argparse", "the following arguments are required: %s"),
    NC_("argparse", "unrecognized arguments: %s"),
    NC_("argparse", "invalid choice: %(value)r (choose from %(choices)s)"),
    NC_("argparse", "invalid %(type)s value: %(value)r"),
    NC_("argparse", "expected one argument"),
    NC_("argparse", "expected at most one argument"),
    NC_("argparse", "expected at least one argument"),
    NC_("argparse", "expected %s argument"),
    NC_("argparse", "expected %s arguments"),
    NC_("argparse", "ambiguous option: %(option)s could match %(matches)s"),
    NC_("argparse", "not allowed with argument %s"),
    NC_("argparse", "one of the arguments %s is required"),
    NC_("argparse", "ignored explicit argument %r"),
)


@contextmanager
def _argparse_language(lang: str):
    """While parsing, argparse's messages in ``lang``: it calls its module's ``_`` and ``ngettext``
    (gettext's) for every sentence it prints, so those two are swapped for the catalogue above."""
    if i18n.normalise(lang) == i18n.DEFAULT:
        yield
        return
    saved = argparse._, argparse.ngettext
    argparse._ = lambda text: i18n.gettext(lang, text, context="argparse")
    argparse.ngettext = lambda one, many, n: i18n.gettext(lang, one if n == 1 else many, context="argparse")
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _argv_language(argv: list[str]) -> str:
    """The language of the messages before the arguments are parsed: --lang (the last one, wherever
    it stands, as argparse reads it), else the environment."""
    from app.i18n import LANGUAGES
    from app.services.base.language import language_from_env

    found = None
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg[7:] if arg.startswith("--lang=") else ""
        if value in LANGUAGES:
            found = value
    return found or language_from_env()


LANG_HELP = "language of messages (default: the shop's language setting, else from LANG)"
DB_HELP = "any command against another database (env SHOPCARE_DB); default: SQLite in the user data dir"


def _global_options_everywhere(parser: argparse.ArgumentParser, languages: list[str]) -> None:
    """--db and --lang are accepted after the command too (``shopcare report eod --lang zh_CN``):
    every subcommand takes them, leaving the value given before the command when not given again
    (SUPPRESS: an option not typed sets nothing)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        done = set()
        for sp in action.choices.values():
            if id(sp) in done:
                continue
            done.add(id(sp))
            group = sp.add_argument_group("global options (also accepted before the command)")
            group.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=DB_HELP)
            group.add_argument("--lang", choices=languages, default=argparse.SUPPRESS, help=LANG_HELP)
            _global_options_everywhere(sp, languages)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The arguments; usage errors (exit 2) are printed in --lang or the environment's language."""
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = _argv_language(argv)
    with _argparse_language(lang):
        return build_parser(lang).parse_args(argv)


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    from app.i18n import LANGUAGES

    languages = list(LANGUAGES)
    day, positive = _day_type(lang), _whole_type(lang)
    p = argparse.ArgumentParser(prog="shopcare", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=_Formatter)
    p.add_argument("--version", action="version", version=f"shopcare {__version__}")
    p.add_argument("--db", metavar="URL", default=None, help=DB_HELP)
    p.add_argument("--lang", choices=languages, default=None, help=LANG_HELP)
    p.add_argument("--screenshots", metavar="DIR", type=Path, default=None,
                   help="render each main screen, with the current database, to PNG files in DIR "
                        "(offscreen, in --lang or the shop's language) and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    c = sub.add_parser("init", help="create or upgrade the database",
                       description="Create or upgrade the database (to this version's schema). An existing "
                                   "database that holds data is backed up first. Safe to run again. Before "
                                   "the shop is set up, prints the language, currency and phone region "
                                   "proposed from the system locale (LC_ALL, LC_MESSAGES, LANG), which the "
                                   "app's first start offers; --language, --currency and --region store "
                                   "them now (refused once the shop is set up: change them in Settings › "
                                   "Shop). Phone numbers typed without a country code are read as the "
                                   "region's; defaults written in yuan (top-up bonus ladder, tier "
                                   "thresholds, care vouchers) become round amounts of the currency.",
                       formatter_class=_Formatter)
    c.add_argument("--language", metavar="L", choices=languages, default=None,
                   help="the shop's language: " + ", ".join(languages))
    c.add_argument("--currency", metavar="C", default=None,
                   help="ISO 4217 code, e.g. CNY, HKD, TWD, USD")
    c.add_argument("--region", metavar="R", default=None,
                   help="ISO 3166 code where phone numbers are read, e.g. CN, HK, TW, US, GB, SG")
    c.set_defaults(func=cmd_init)

    c = sub.add_parser("demo", help="fill with realistic demo shop data",
                       description="Fill the database with realistic demo shop data: members, top-ups, "
                                   "sales, points and count cards over the past days, into an empty "
                                   "database or an earlier demo's (--db or SHOPCARE_DB): a database holding "
                                   "a shop's own members or sales is refused.",
                       formatter_class=_Formatter)
    c.add_argument("--members", metavar="N", type=positive(lambda: demo_limits()[0]), help="how many members to create")
    c.add_argument("--days", metavar="D", type=positive(lambda: demo_limits()[1]), help="how many days of history to make")
    c.add_argument("--seed", metavar="S", type=int, help="random seed: the same seed makes the same shop")
    c.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", help="import members or sales history from a file",
                         description="Import members (CSV or XLSX) or sales history (CSV). Every row is "
                                     "checked first; each rejected row is reported with its row number "
                                     "and the reason. All or nothing, unless --skip-bad.",
                         formatter_class=_Formatter)
    isub = imp.add_subparsers(dest="what", metavar="WHAT", title="what to import", required=True)
    c = isub.add_parser("members", help="CSV or XLSX; reports each rejected row and why; all-or-nothing "
                                         "unless --skip-bad",
                        description="Import members from a CSV or XLSX file (English or Chinese column "
                                    "names, e.g. name/姓名, phone/手机号; see README). Phone numbers "
                                    "without a country code are read in the shop's phone region (Settings › "
                                    "Shop). Reports each rejected row and why; imports nothing if any row is "
                                    "bad, unless --skip-bad.", formatter_class=_Formatter)
    c.add_argument("file", metavar="FILE", type=Path, help="the CSV or XLSX file")
    c.add_argument("--skip-bad", action="store_true", help="import the good rows and list the bad ones")
    c.set_defaults(func=cmd_import_members)
    c = isub.add_parser("sales", help="CSV history: member phone, datetime, amount [, sku, qty]",
                        description="Import purchase history from a CSV file with the columns member "
                                    "phone, datetime, amount [, sku, qty] (English or Chinese names; see "
                                    "README). Re-importing the same file adds nothing twice. All or "
                                    "nothing, unless --skip-bad.", formatter_class=_Formatter)
    c.add_argument("file", metavar="FILE", type=Path, help="the CSV file")
    c.add_argument("--skip-bad", action="store_true", help="import the good rows and list the bad ones")
    c.set_defaults(func=cmd_import_sales)

    c = sub.add_parser("check", help="integrity check + every cached balance equals its ledger; "
                                     "exit 1 on any fault",
                       description="Integrity check + every cached balance equals its ledger; exit 1 on any "
                                   "fault. The database is only read: SQLite quick_check, schema "
                                   "version, every member's stored value and points against their "
                                   "ledgers, count cards, sale totals against lines and payments, and the "
                                   "audit log's keyed chain (HMAC under this till's audit key; rows signed "
                                   "with another till's key are reported as such: see 'shopcare audit-key'). "
                                   "Prints the SQLite version.",
                       formatter_class=_Formatter)
    c.set_defaults(func=cmd_check)

    c = sub.add_parser("backup", help="hot, consistent backup",
                       description="Hot, consistent backup (safe while the till is running). PATH may be "
                                   "a folder (a file shopcare-YYYYmmdd-HHMMSS.db is made in it) or a new "
                                   "file name ending in .db; default: the backups folder in the user data "
                                   "dir. The copy is integrity-checked before it gets its final name. In the "
                                   "backups folder the newest backup of each of the last 7 days, 4 weeks and "
                                   "12 months is kept and older ones removed (the app also backs up on the "
                                   "first start of each day and on close).",
                       formatter_class=_Formatter)
    c.add_argument("path", metavar="PATH", nargs="?", type=Path, help="folder or new .db file")
    c.set_defaults(func=cmd_backup)

    c = sub.add_parser("restore", help="restore a backup (the current database is backed up first)",
                       description="Replace the database with the backup file PATH. A copy of the backup "
                                   "is upgraded to this version's schema and must pass the integrity check, "
                                   "every proof of 'shopcare check' and have its audit triggers; only then "
                                   "is the current database backed up and the copy put in its place. A "
                                   "backup that fails leaves the database untouched. Asks for confirmation "
                                   "(--yes in scripts); refused while the till app has the database open "
                                   "(restore from its Settings › Backups instead). SQLite only.",
                       formatter_class=_Formatter)
    c.add_argument("path", metavar="PATH", type=Path, help="the backup file to restore")
    c.add_argument("--yes", action="store_true", help="do not ask for confirmation (for scripts)")
    c.set_defaults(func=cmd_restore)

    rep = sub.add_parser("report", help="end-of-day report and member statements (PDF)",
                         description="PDF reports in the shop's language (or --lang). Without -o they are "
                                     "written to the reports folder in the user data dir.",
                         formatter_class=_Formatter)
    rsub = rep.add_subparsers(dest="what", metavar="REPORT", title="reports", required=True)
    c = rsub.add_parser("eod", help="end-of-day member report",
                        description="End-of-day member report for one day (default: today): sales by payment "
                                    "method, members and walk-ins, refunds and voids, cash expected in the "
                                    "drawer, stored value topped up, spent and outstanding (principal and "
                                    "bonus), points, vouchers, new members, texts and their segments, top "
                                    "products, cashiers, birthdays today and tomorrow, valuable members at "
                                    "risk. Every figure is read from the ledgers.",
                        formatter_class=_Formatter)
    c.add_argument("--date", metavar="D", type=day, default=None, help="the day, YYYY-MM-DD (default: today)")
    c.add_argument("-o", "--output", metavar="FILE.pdf", type=Path, default=None,
                   help="where to write the PDF (default: reports/eod-YYYY-MM-DD.pdf in the data dir)")
    c.set_defaults(func=cmd_report_eod)
    c = rsub.add_parser("statement", help="one member's statement over a period",
                        description="A member's statement: opening and closing stored value and points, and "
                                    "every purchase, refund, top-up and adjustment in the period with the "
                                    "balances after it. MEMBER is the full phone number or the card number.",
                        formatter_class=_Formatter)
    c.add_argument("member", metavar="MEMBER", help="full phone number (read in the shop's phone region unless it "
                                                    "starts with +) or card number")
    c.add_argument("--from", dest="start", metavar="D", type=day, default=None,
                   help="first day, YYYY-MM-DD (default: 90 days before --to)")
    c.add_argument("--to", dest="end", metavar="D", type=day, default=None, help="last day (default: today)")
    c.add_argument("-o", "--output", metavar="FILE.pdf", type=Path, default=None,
                   help="where to write the PDF (default: reports/statement-<member number>-<to>.pdf in the data dir)")
    c.set_defaults(func=cmd_report_statement)

    ex = sub.add_parser("export", help="the member list to CSV or XLSX (owner only, audited)",
                        description="Write every member (not erased) to a CSV or XLSX file: name, full phone, "
                                    "card, birthday, tier, join date, stored value (principal and bonus), "
                                    "points, total spent, visits, last visit, consent, e-bill, tags. Personal "
                                    "data: the export is recorded in the audit log. Once the owner's password "
                                    "is set, it is asked for (on a terminal), or read from "
                                    "SHOPCARE_OWNER_PASSWORD (scripts); a wrong one counts towards its lockout.",
                        formatter_class=_Formatter)
    esub = ex.add_subparsers(dest="what", metavar="WHAT", title="what to export", required=True)
    c = esub.add_parser("members", help="every member, to FILE.csv or FILE.xlsx",
                        description="Every member (not erased) to FILE.csv (UTF-8, opens in Excel) or FILE.xlsx.",
                        formatter_class=_Formatter)
    c.add_argument("-o", "--output", metavar="FILE", type=Path, required=True, help="FILE.csv or FILE.xlsx")
    c.set_defaults(func=cmd_export_members)

    c = sub.add_parser("owner-password", help="set or reset the owner's password",
                       description="Set the owner's password (asked for exports, balance adjustments and "
                                   "settings in the app), without the old one: the way back from a forgotten "
                                   "password, for whoever can run commands on the shop's computer (who can "
                                   "read the database file anyway). Asked twice on a terminal; otherwise read "
                                   "as one line from standard input. Audited, and lifts the password's lockout.",
                       formatter_class=_Formatter)
    c.add_argument("--name", metavar="NAME", default=None,
                   help="the owner, when the shop has more than one (default: the only active owner)")
    c.set_defaults(func=cmd_owner_password)

    ak = sub.add_parser("audit-key", help="show this till's audit key, or use another till's",
                        description="The audit log is a chain keyed with an HMAC whose key lives on each "
                                    "computer, outside the database (the keyring, else audit.key in the config "
                                    "folder; SHOPCARE_AUDIT_KEY wins over both). Tills sharing one PostgreSQL "
                                    "database need the same key, or each one's check reports the others' rows. "
                                    "Show the key on the first till and set it on each other one. Owner only "
                                    "and audited: the owner's password is asked on a terminal once one is set, "
                                    "or read from SHOPCARE_OWNER_PASSWORD (scripts).",
                        formatter_class=_Formatter)
    aksub = ak.add_subparsers(dest="what", metavar="ACTION", title="actions", required=True)
    c = aksub.add_parser("show", help="print this till's audit key (8 groups of 8 hex digits)",
                         description="Print this till's audit key on standard output, as 8 groups of 8 hex "
                                     "digits. Keep it private: whoever has it can re-sign an edited audit log.",
                         formatter_class=_Formatter)
    c.set_defaults(func=cmd_audit_key_show)
    c = aksub.add_parser("set", help="use another till's audit key on this till",
                         description="Make KEY (as 'shopcare audit-key show' printed it on another till; spaces "
                                     "and case do not matter) this till's audit key. Refused, changing nothing, "
                                     "unless KEY verifies the audit rows already in the database. Rows this till "
                                     "signed with its own key before stay verifiable: an audit row, signed with "
                                     "KEY, retires the old key. Refused while SHOPCARE_AUDIT_KEY is set. Start "
                                     "the till app on this computer again afterwards (or set the key from its "
                                     "Settings).",
                         formatter_class=_Formatter)
    c.add_argument("key", metavar="KEY", nargs="+", help="the key: 64 hex digits, in groups or not")
    c.set_defaults(func=cmd_audit_key_set)

    c = sub.add_parser("reprint", help="reprint a past receipt",
                       description="Reprint the receipt of a past sale or refund (marked REPRINT; the cash "
                                   "drawer is not opened) on this till's printer, or on --printer. With the "
                                   "printer 'preview' the receipt is written to standard output. The member's "
                                   "points and stored-value balances shown are today's.",
                       formatter_class=_Formatter)
    c.add_argument("receipt_no", metavar="RECEIPT_NO", help="the receipt number, e.g. T1-000123")
    c.add_argument("--printer", metavar="SETTING", default=None,
                   help="usb:VID:PID, net:HOST[:PORT], serial:DEVICE, file:PATH or preview "
                        "(default: this till's printer setting, else preview)")
    c.set_defaults(func=cmd_reprint)

    # texts: gateways and sending
    out = sub.add_parser("outbox", help="send due texts, or one test text",
                         description="The outbox of texts (e-bills, care and marketing texts). The gateway "
                                     "is this machine's setting, or SHOPCARE_SMS_GATEWAY and the other "
                                     "variables below; the default 'log' gateway only writes the texts to "
                                     "the outbox log in the data dir.", formatter_class=_Formatter)
    osub = out.add_subparsers(dest="what", metavar="WHAT", title="what to do", required=True)
    c = osub.add_parser("send", help="deliver due messages through the configured gateway",
                        description="Deliver due messages through the configured gateway: texts left "
                                    "'sending' by a crash become 'unknown' (never sent twice), due texts "
                                    "are sent (quiet hours and the daily limit defer, never drop), then "
                                    "delivery statuses and customers' replies (STOP/退订, START, 1-5 "
                                    "scores) are fetched. Exit 2 when the gateway refuses the account "
                                    "(the texts stay queued).", formatter_class=_Formatter)
    c.set_defaults(func=cmd_outbox_send)
    c = osub.add_parser("test", help="send one test text now and print the gateway's answer",
                        description="Queue one test text to PHONE and send it at once through the "
                                    "configured gateway (quiet hours do not apply), then print the "
                                    "gateway's answer. Exit 2 when it was not accepted.",
                        formatter_class=_Formatter)
    c.add_argument("phone", metavar="PHONE", help="the phone number, e.g. 13800138000 or +8613800138000 (read in "
                                                  "the shop's phone region unless it starts with +)")
    c.add_argument("text", metavar="TEXT", nargs="?", default=None, help="the text (default: a short test text)")
    c.set_defaults(func=cmd_outbox_test)
    care = sub.add_parser("care", help="the customer care engine",
                          description="The customer care engine: birthdays, anniversaries, holidays, tier "
                                      "care plans, win-back and repurchase reminders (docs/care.md).",
                          formatter_class=_Formatter)
    csub = care.add_subparsers(dest="what", metavar="WHAT", title="care commands", required=True)
    c = csub.add_parser("run", help="queue every care action due on D (idempotent)",
                        description="Queue every care action due on D (default today): texts go to the "
                                    "outbox for members with care consent, call and gift tasks to the call-back "
                                    "list. Days since the last run are caught up: a blessing is still sent "
                                    "within its cut-off (7 days; holidays 3), older ones are counted as "
                                    "missed. Safe to run again, or on two tills at once: each action has a "
                                    "dedupe key.", formatter_class=_Formatter)
    c.add_argument("--date", metavar="D", default=None, help="the day, YYYY-MM-DD (default today; not after today)")
    c.add_argument("--dry-run", action="store_true", help="show what would be done; write nothing")
    c.set_defaults(func=cmd_care_run)
    c = sub.add_parser("support-bundle", help="logs, check output, versions; no personal data",
                       description="Zip what whoever helps you needs: ShopCare's log files (every unexpected "
                                   "failure with its traceback), the output of 'shopcare check', the versions "
                                   "of ShopCare, Python, Qt (PySide6) and SQLite, the database's schema "
                                   "revision, and the shop's settings without secrets. No personal data: "
                                   "phone numbers keep their last 4 digits at most and member names are "
                                   "replaced by [name]. The file is readable by you only.",
                       formatter_class=_Formatter)
    c.add_argument("-o", "--output", metavar="FILE.zip", type=Path, required=True, help="where to write the zip")
    c.add_argument("--force", action="store_true", help="replace FILE.zip if it exists (refused otherwise)")
    c.set_defaults(func=cmd_support_bundle)

    c = sub.add_parser("rfm", help="per member: recency, frequency, monetary, T, segment, churn risk",
                       description="Member analytics as of a date (default today): one row per member who "
                                   "has bought, with the buy-till-you-die summary (frequency, recency, T, "
                                   "monetary), the RFM segment, BG/NBD's p_alive and expected purchases in "
                                   "the next 90 days, and churn_risk for win-back (docs/analytics.md). Only "
                                   "purchases up to the as-of date count. Without -o, prints a summary: "
                                   "members, segments, the 80/20 share, the model. With -o, writes every "
                                   "row to a CSV or XLSX file (personal data: owner only, audited).",
                       formatter_class=_Formatter)
    c.add_argument("--as-of", metavar="D", type=_day_type(lang, bounded=False), default=None, help="YYYY-MM-DD (default: today)")
    c.add_argument("-o", "--output", metavar="FILE", type=Path, default=None,
                   help="write the rows to FILE.csv or FILE.xlsx")
    c.add_argument("--refit", action="store_true", help="fit the models again even when the cached fit is fresh")
    c.set_defaults(func=cmd_rfm)
    _global_options_everywhere(p, languages)
    return p


def demo_limits() -> tuple[int, int]:
    from app.services.admin.demo import MAX_DAYS, MAX_MEMBERS

    return MAX_MEMBERS, MAX_DAYS


def _day_type(lang: str, *, bounded: bool = True) -> Callable[[str], object]:
    """A YYYY-MM-DD option: a real date, within the days ShopCare keeps (services/days.py) when
    ``bounded`` (analytics' --as-of is not: any past day is a fine question, a later one its own error)."""
    def day(text: str):
        from datetime import date

        from app.services.base.days import FIRST_DAY, LAST_DAY

        try:
            value = date.fromisoformat(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(msg("arg_not_date", lang, value=text)) from None
        if bounded and not FIRST_DAY <= value <= LAST_DAY:
            raise argparse.ArgumentTypeError(msg("arg_date_range", lang, value=value.isoformat(),
                                                 first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
        return value
    return day


def _whole_type(lang: str) -> Callable[[Callable[[], int]], Callable[[str], int]]:
    """A whole-number option from 1 to ``limit()`` (asked only when the option is given)."""
    def upto(limit: Callable[[], int]) -> Callable[[str], int]:
        def whole(text: str) -> int:
            most = limit()
            digits = text.strip()
            if not (digits.isascii() and digits.isdigit()):
                raise argparse.ArgumentTypeError(msg("arg_not_whole", lang, value=text))
            if not 1 <= int(digits) <= most:
                raise argparse.ArgumentTypeError(msg("arg_whole_range", lang, value=digits, min=1, max=most))
            return int(digits)
        return whole
    return upto


# --- running -----------------------------------------------------------------------------------
class Env:
    """What a command runs with: the database URL, the language, the till, the streams."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        from app.services.base.language import language_from_env

        self.args = args
        self.url = args.db or os.environ.get("SHOPCARE_DB") or None
        self.till = os.environ.get("SHOPCARE_TILL") or "T1"
        self.lang = args.lang or language_from_env()
        self.out, self.err = out, err
        self._db = None

    def db_url(self) -> str:
        from app import paths

        return self.url or paths.default_db_url()

    def where(self) -> str:
        db = self.database()
        if db.sqlite_path is not None:
            return str(db.sqlite_path)
        from sqlalchemy.engine import make_url

        return make_url(db.url).render_as_string(hide_password=True)

    def database(self):
        if self._db is None:
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError

            from app.db import Database

            url = self.db_url()
            try:
                self._db = Database(url)
            except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
                # not a URL, an unknown database kind, or its driver is not installed
                why = quoted(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 120)
                raise ShopError("db_url_invalid", url=quoted(re.sub(r"//[^/@]*@", "//…@", url), 80),
                                why=why) from None
        return self._db

    def ctx(self):
        from app.services.base.context import SYSTEM, Ctx

        return Ctx(db=self.database(), actor=SYSTEM, till=self.till)

    def open(self, *, upgrade: bool = True, defaults: bool = True):
        """The database, brought to head after a backup (the app upgrades on start), as a Ctx."""
        from app.services.admin import backup
        from app.services.base import setup

        if upgrade:
            made = backup.upgrade_with_backup(self.database())
            if made is not None:
                self.say_err(msg("backed_up_first", self.lang, path=made))
        ctx = self.ctx()
        if defaults:
            setup.ensure_defaults(ctx)
        self.use_shop_language(ctx)
        return ctx

    def use_shop_language(self, ctx) -> None:
        if self.args.lang:
            return
        from app.services.base.language import configured_language

        try:
            self.lang = configured_language(ctx) or self.lang
        except Exception:  # an unreadable database still reports in the environment's language
            pass

    def _secret(self, prompt: str) -> str | None:
        import getpass

        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(prompt, stream=self.err)
        return None

    def owner_confirmed(self, ctx):
        """``ctx`` with the owner's password confirmed, when the shop has one (exports ask for it even
        from the command line); the password comes from SHOPCARE_OWNER_PASSWORD or a terminal prompt."""
        from app.services.base import auth

        if not auth.has_owner_password(ctx):
            return ctx
        password = os.environ.get("SHOPCARE_OWNER_PASSWORD")
        if password is None:
            password = self._secret(msg("owner_password_prompt", self.lang))
        if password is None:
            raise ShopError("owner_password_needed_cli")
        return auth.confirm_owner(ctx, password)

    def renamed(self, wanted: Path, written: Path) -> None:
        """Say on stderr that ``wanted`` was taken and the file went to ``written`` instead."""
        if Path(written) != Path(wanted):
            self.say_err(msg("file_renamed", self.lang, wanted=wanted, path=written))

    @contextmanager
    def new_file(self, path: Path):
        """A free name for the file a command writes (``path``, else "stem (n).suffix"), claimed
        until it is written; said on stderr when it differs; taken back when the writing fails. A
        missing folder is left for the writer to refuse in its own words."""
        from app.services.reports import report_files

        path = Path(path)
        if not path.parent.is_dir():
            yield path
            return
        out = report_files.claim(path)
        try:
            yield out
        except BaseException:
            report_files.release(out)
            raise
        self.renamed(path, out)

    def require_file(self) -> None:
        db = self.database()
        path = db.sqlite_path
        if path is not None and not path.is_file():
            raise ShopError("db_missing", path=str(path))

    # Names, receipts and errors carry data: no escape sequence from it reaches the terminal.
    def say(self, text: str = "") -> None:
        print(terminal(text), file=self.out, flush=True)

    def say_err(self, text: str) -> None:
        print(terminal(text), file=self.err, flush=True)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


class Progress:
    """A progress callback ``(done, total, label)`` printing on stderr: one line rewritten with \\r
    on a terminal, an occasional line (every 10 %) otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last: tuple[str, int] | None = None
        self._dirty = False

    def __call__(self, done: int, total: int, label: str = "") -> None:
        pct = 100 if total <= 0 else max(0, min(100, done * 100 // total))
        if self.tty:
            self.stream.write(f"\r{label} {pct:3d}% ({done}/{total})\033[K")
            self.stream.flush()
            self._dirty = True
            return
        step = pct // 10
        if self._last != (label, step):
            self._last = (label, step)
            self.stream.write(f"{label} {pct}% ({done}/{total})\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False


# --- commands ----------------------------------------------------------------------------------
def cmd_init(env: Env) -> int:
    from app.services.base import region
    from app.services.admin import shop_admin

    ctx = env.open(upgrade=True, defaults=True)
    db = env.database()
    env.say(msg("init_done", env.lang, where=env.where(), rev=db.current_revision()))
    chosen = {k: getattr(env.args, k) for k in ("language", "currency", "region") if getattr(env.args, k)}
    if chosen:
        proposal = region.stored(ctx) or region.propose_from_env()
        values = {"language": proposal.language, "currency": proposal.currency, "region": proposal.region,
                  **chosen}
        cfg = shop_admin.propose_shop(ctx, **values)
        env.say(msg("init_set", env.lang, language=cfg.language, currency=cfg.currency, region=cfg.region))
    elif not shop_admin.has_staff(ctx) and region.stored(ctx) is None:
        p = region.propose_from_env()
        env.say(msg("init_proposed", env.lang, locale=region.system_locale_name() or "C", language=p.language,
                    currency=p.currency, region=p.region))
    return EXIT_OK


def cmd_check(env: Env) -> int:
    from babel.lists import format_list

    from app.services.admin.integrity import count_text, run_check

    env.require_file()  # a check must not create an empty database where there was none
    ctx = env.ctx()
    env.use_shop_language(ctx)
    report = run_check(ctx)
    lang = env.lang
    for line in report.info:
        env.say(line.text(lang))
    if report.head:
        env.say(msg("check_schema", lang, rev=report.revision or "-", head=report.head))
    for line in report.warnings:
        env.say(msg("warning", lang, text=line.text(lang)))
    if report.counts:
        items = format_list([count_text(k, n, lang) for k, n in report.counts], locale=i18n.babel_locale(lang))
        env.say(msg("check_counts", lang, items=items))
    for line in report.faults:
        env.say(msg("fault", lang, text=line.text(lang)))
    if report.ok:
        env.say(msg("check_ok", lang))
        return EXIT_OK
    env.say_err(msg("check_faults", lang, n=len(report.faults)))
    return EXIT_FAULT


def cmd_backup(env: Env) -> int:
    from app.services.admin import backup

    db = env.database()
    if db.sqlite_path is None:
        raise ShopError("db_not_sqlite", action="shopcare backup")
    env.require_file()
    dest = env.args.path
    if dest is not None and Path(dest).expanduser().suffix and not Path(dest).expanduser().is_dir():
        from app.services.reports import report_files

        dest = report_files.free_name(Path(dest).expanduser())   # a backup never replaces a file either
    path = backup.backup(db, dest)
    if dest is not None and dest != env.args.path:
        env.renamed(Path(env.args.path).expanduser(), path)
    env.say(msg("backup_done", env.lang, path=path))
    if env.args.path is None:  # into the backups folder: keep its rotation (7 daily, 4 weekly, 12 monthly)
        from datetime import date

        from app.services.admin import backup_schedule

        removed = backup_schedule.rotate(date.today())
        if removed:
            env.say(msg("backups_rotated", env.lang, n=len(removed)))
    return EXIT_OK


def cmd_restore(env: Env) -> int:
    from app.services.admin import backup

    db = env.database()
    if db.sqlite_path is None:
        raise ShopError("db_not_sqlite", action="shopcare restore")
    path = Path(env.args.path).expanduser()
    if not path.is_file():
        raise ShopError("restore_failed", why=f"no such file {path}")
    if not env.args.yes:
        # Replacing the shop's data is never done on a stray command: a person types yes, a script says --yes.
        if sys.stdin is None or not sys.stdin.isatty():
            raise ShopError("restore_not_confirmed")
        from datetime import datetime

        from app.services.admin import backup_schedule

        backup.refuse_while_app_runs(db)  # say so before asking, not after
        when = backup_schedule.taken_at(path) or datetime.fromtimestamp(path.stat().st_mtime)
        print(msg("restore_confirm", env.lang, path=path, when=when.strftime("%Y-%m-%d %H:%M"), db=db.sqlite_path),
              end="", file=env.err, flush=True)
        if sys.stdin.readline().strip().lower() != "yes":
            raise ShopError("restore_not_confirmed")
    result = backup.restore(db, path)
    if result.safety_backup is not None:
        env.say(msg("restore_safety", env.lang, path=result.safety_backup))
    env.say(msg("restore_done", env.lang, src=result.restored_from, before=result.revision_before,
                after=result.revision_after))
    return EXIT_OK


def cmd_report_eod(env: Env) -> int:
    from app.services.reports import eod, eod_pdf, report_files

    env.require_file()
    ctx = env.open()
    day = env.args.date or ctx.today()
    report = eod.eod_report(ctx, day)
    out = report_files.prepare(env.args.output, report_files.eod_name(day))
    report_files.write_atomic(out, lambda p: eod_pdf.write_eod_pdf(report, p, env.lang))
    env.renamed(report_files.wanted(env.args.output, report_files.eod_name(day)), out)
    env.say(msg("report_written", env.lang, path=out))
    return EXIT_OK


def cmd_report_statement(env: Env) -> int:
    from datetime import timedelta

    from app.services.members import members
    from app.services.reports import report_files, statement, statement_pdf

    env.require_file()
    ctx = env.open()
    picks = members.find_members(ctx, env.args.member)
    if not picks:
        raise ShopError("member_not_found", key=env.args.member)
    if len(picks) > 1:
        env.say_err(msg("member_many", env.lang, query=env.args.member, n=len(picks)))
        for p in picks:
            env.say_err(f"  {p.name}  {p.masked_phone}")
        return EXIT_ERROR
    end = env.args.end or ctx.today()
    start = env.args.start or end - timedelta(days=90)
    st = statement.member_statement(ctx, picks[0].id, start, end)
    name = report_files.statement_name(st.member.id, end)
    out = report_files.prepare(env.args.output, name)
    report_files.write_atomic(out, lambda p: statement_pdf.write_statement_pdf(ctx, st, p, env.lang))
    env.renamed(report_files.wanted(env.args.output, name), out)
    env.say(msg("report_written", env.lang, path=out))
    return EXIT_OK


def cmd_export_members(env: Env) -> int:
    from app.services.base import export
    from app.services.members import member_export

    export.export_format(env.args.output)  # a bad file name is refused before any work
    env.require_file()
    ctx = env.owner_confirmed(env.open())
    progress = Progress(env.err)
    with env.new_file(env.args.output) as out:
        try:
            n = member_export.export_members(ctx, out, progress=progress)
        finally:
            progress.finish()
    env.say(msg("members_exported", env.lang, rows=n, path=out))
    return EXIT_OK


def cmd_owner_password(env: Env) -> int:
    from sqlalchemy import select

    from app.errors import NotFound, ValidationError
    from app.models import Staff
    from app.services.base import auth

    env.require_file()
    ctx = env.open()
    with ctx.tx(write=False) as t:
        q = select(Staff.id, Staff.name).where(Staff.role == "owner", Staff.active.is_(True))
        if env.args.name:
            q = q.where(Staff.name == env.args.name.strip())
        owners = t.s.execute(q).all()
    if len(owners) != 1:
        raise NotFound("staff_not_found", key=env.args.name or "owner")
    staff_id, name = owners[0]
    password = env._secret(msg("owner_password_new_prompt", env.lang, name=name))
    if password is None:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        auth.check_owner_password(password)
        if env._secret(msg("owner_password_again", env.lang)) != password:
            raise ValidationError("owner_password_mismatch")
    auth.set_owner_password(ctx, password, staff_id=staff_id)
    env.say(msg("owner_password_done", env.lang, name=name))
    return EXIT_OK


def cmd_audit_key_show(env: Env) -> int:
    from app.services.base import audit

    env.require_file()
    ctx = env.owner_confirmed(env.open())
    env.say(audit.export_key(ctx))
    env.say_err(msg("audit_key_hint", env.lang))
    return EXIT_OK


def cmd_audit_key_set(env: Env) -> int:
    from app.services.base import audit

    env.require_file()
    ctx = env.owner_confirmed(env.open())
    audit.import_key(ctx, " ".join(env.args.key))
    env.say(msg("audit_key_set", env.lang))
    return EXIT_OK


def cmd_import_members(env: Env) -> int:
    return _import(env, "import_members")


def cmd_import_sales(env: Env) -> int:
    return _import(env, "import_sales")


def _import(env: Env, fn_name: str) -> int:
    from app.errors import ImportFailed
    from app.services.admin import imports

    path: Path = env.args.file
    if not path.is_file():
        raise ShopError("file_not_found", path=str(path))
    ctx = env.open()
    fn: Callable = getattr(imports, fn_name)
    try:
        report = fn(ctx, path, skip_bad=env.args.skip_bad)
    except ImportFailed as exc:
        env.say_err(render(exc, env.lang))
        for row in exc.params.get("rows") or ():
            env.say_err(_rejected_line(row, env.lang))
        return EXIT_ERROR
    rejected = tuple(getattr(report, "rejected", ()) or ())
    key = "import_done_sales" if fn_name == "import_sales" else "import_done_members"
    env.say(msg(key, env.lang, file=path.name, imported=report.imported, skipped=report.skipped,
                created=report.members_created, rejected=len(rejected)))
    if rejected:
        env.say(msg("import_skipped_rows", env.lang))
        for row in rejected:
            env.say(_rejected_line(row, env.lang))
    return EXIT_OK


def _rejected_line(row: object, lang: str) -> str:
    """A rejected row: a RejectedRow, or a (row number, reason) pair whose reason is text or a ShopError."""
    if hasattr(row, "row_no"):
        number = row.row_no
        reason = row.text(lang) if hasattr(row, "text") else getattr(row, "reason_code", "")
    elif isinstance(row, (tuple, list)) and len(row) >= 2:
        number, reason = row[0], row[1]
        if isinstance(reason, ShopError):
            reason = render(reason, lang)
    else:
        number, reason = "?", row
    return msg("import_row", lang, row=number, reason=reason)


def cmd_demo(env: Env) -> int:
    from app.services.admin import demo

    ctx = env.open()
    kwargs = {k: getattr(env.args, k) for k in ("members", "days", "seed") if getattr(env.args, k) is not None}
    progress = Progress(env.err)
    try:
        summary = demo.build_demo(ctx, progress=progress, **kwargs)
    finally:
        progress.finish()
    env.say(msg("demo_done", env.lang))
    items = asdict(summary) if is_dataclass(summary) else (summary if isinstance(summary, dict) else {})
    if items:
        for key, value in items.items():
            name = i18n.entry(env.lang, DEMO_COUNTS[key], context="demo:" + key) if key in DEMO_COUNTS else key
            env.say(msg("demo_count", env.lang, what=name, n=value))
    elif summary is not None:
        env.say(f"  {summary}")
    return EXIT_OK


def cmd_reprint(env: Env) -> int:
    from dataclasses import replace as dc_replace

    from app.services.base import localconfig
    from app.services.sales import printing

    cfg = localconfig.load()
    if env.args.printer is not None:
        cfg = dc_replace(cfg, printer=localconfig.parse_printer_setting(env.args.printer).text)
    setting = localconfig.parse_printer_setting(cfg.printer)
    env.require_file()
    ctx = env.open()
    from app.adapters.printers import printer_from_setting

    printer = printer_from_setting(setting, paper_mm=cfg.paper_mm, print_qr=cfg.print_qr)
    outcome = printing.print_sale(ctx, env.args.receipt_no, printer, cfg, reprint=True)
    if not outcome.ok:
        env.say_err(outcome.error_text(env.lang) or outcome.error_code or "")
        return EXIT_ERROR
    if setting.kind == "preview":
        for line in outcome.preview_lines:
            env.say(line)
    else:
        env.say(msg("reprint_sent", env.lang, receipt=outcome.receipt_no, printer=setting.text))
    return EXIT_OK


# texts: gateways and sending
def cmd_outbox_send(env: Env) -> int:
    from app.adapters.sms import make_gateway
    from app.services.texts import sender
    from app.services.base.ports import GatewayError

    ctx = env.open()
    gateway = make_gateway()
    env.say(msg("outbox_gateway", env.lang, kind=gateway.kind, sender=gateway.sender))
    recovered = sender.recover_stale(ctx)
    if recovered:
        env.say_err(msg("outbox_recovered", env.lang, n=recovered))
    totals = dict(sent=0, failed=0, deferred=0, retried=0, unknown=0, cancelled=0)
    batch = 100
    try:
        while True:
            report = sender.send_due(ctx, gateway, limit=batch)
            for key in totals:
                totals[key] += getattr(report, key)
            if sum(getattr(report, key) for key in totals) < batch:
                break
    except GatewayError as exc:
        done = exc.params.get("report")
        for key in totals:
            totals[key] += getattr(done, key, 0)
        env.say(msg("outbox_sent", env.lang, **totals))
        raise
    env.say(msg("outbox_sent", env.lang, **totals))
    try:
        polled = sender.poll(ctx, gateway)
    except GatewayError as exc:
        if exc.code == "sms_auth_failed":
            raise
        env.say_err(msg("outbox_poll_failed", env.lang, why=render(exc, env.lang)))
        return EXIT_OK
    env.say(msg("outbox_polled", env.lang, **asdict(polled)))
    return EXIT_OK


def cmd_outbox_test(env: Env) -> int:
    from app.adapters.sms import make_gateway
    from app.services.texts import sender

    ctx = env.open()
    gateway = make_gateway()
    result = sender.send_test(ctx, gateway, env.args.phone, env.args.text)
    env.say(msg("outbox_test", env.lang, id=result.message_id, phone=env.args.phone, status=result.status))
    env.say(result.answer)
    return EXIT_OK if result.status == "sent" else EXIT_ERROR


CARE_RULE_NAMES = {
    "birthday": NC_("care_rule:birthday", "birthday"), "anniversary": NC_("care_rule:anniversary", "anniversary"),
    "member_anniversary": NC_("care_rule:member_anniversary", "member anniversary"), "holiday": NC_("care_rule:holiday", "holiday"),
    "tier_care": NC_("care_rule:tier_care", "tier care"), "winback": NC_("care_rule:winback", "win-back"), "repurchase": NC_("care_rule:repurchase", "repurchase"),
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
    heads = [i18n.gettext(lang, h, context="care_heading") for h in CARE_HEADINGS]
    rows = [[care_rule_name(c.rule, lang), c.due, c.queued, c.tasks, c.skipped_no_consent, c.duplicate,
             c.missed, c.late] for c in report.rules + (report.total,)]
    for line in _table([heads] + rows):
        env.say(line)
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


def cmd_rfm(env: Env) -> int:
    from app.money import format_money
    from app.services.analytics import rfm
    from app.services.analytics.export import export_format, export_member_analytics
    from app.services.analytics.members import analyse

    env.require_file()
    ctx = env.open()
    lang = env.lang
    if env.args.output is not None:
        export_format(env.args.output)  # a bad file name is refused before any work
        ctx = env.owner_confirmed(ctx)
        progress = Progress(env.err)
        with env.new_file(env.args.output) as out:
            try:
                result = export_member_analytics(ctx, out, env.args.as_of, refit=env.args.refit,
                                                 progress=progress)
            finally:
                progress.finish()
        env.say(msg("rfm_exported", lang, rows=result.rows, path=result.path, as_of=result.analysis.as_of))
        return EXIT_OK
    a = analyse(ctx, env.args.as_of, refit=env.args.refit)
    if a.members == 0:
        env.say(msg("rfm_none", lang, as_of=a.as_of))
        return EXIT_OK
    env.say(msg("rfm_members", lang, as_of=a.as_of, members=a.members))
    for key, count in a.scores.segment_counts:
        env.say(msg("rfm_segment", lang, name=rfm.segment_name(key, lang), count=count,
                    share=100.0 * count / a.members))
    curve = a.scores.curve
    env.say(msg("rfm_top20", lang, share=100.0 * curve.top20_share,
                revenue=format_money(curve.revenue, a.currency, lang)))
    p = a.params
    if p is None:
        env.say(msg("rfm_no_model", lang))
    else:
        from app.services.analytics.purchases import day_date

        how = msg("rfm_fitted", lang) if a.refitted else msg("rfm_cached", lang,
                                                              as_of=day_date(a.scores.models.as_of))
        env.say(msg("rfm_params", lang, r=p.r, alpha=p.alpha, a=p.a, b=p.b, how=how))
    cm = a.scores.models.churn
    if cm.method == "logistic":
        method = msg("rfm_churn_logistic", lang, days=90, auc=cm.calibration_auc,
                     auc_pa=cm.calibration_auc_p_alive)
    else:
        method = msg("rfm_churn_hand", lang)
    env.say(msg("rfm_churn", lang, method=method))
    return EXIT_OK


def cmd_support_bundle(env: Env) -> int:
    from app import logs
    from app.services.admin import support

    ctx = None
    db = env.database()
    if db.sqlite_path is None or db.sqlite_path.is_file():  # a bundle never creates a database
        ctx = env.ctx()
        env.use_shop_language(ctx)
    result = support.build_bundle(ctx, env.args.output, force=env.args.force)
    env.say(msg("support_bundle_done", env.lang, path=result.path, n=len(result.files),
                logs=logs.log_file().parent))
    return EXIT_OK


def cmd_screenshots(env: Env) -> int:
    try:
        from app.ui.screenshots import render_all
    except ImportError as exc:  # Qt or one of its system libraries is missing
        raise ShopError("gui_unavailable", why=str(exc)) from None
    for path in render_all(env.args.screenshots, db_url=env.db_url(), lang=env.args.lang):
        env.say(str(path))
    return EXIT_OK


def start_gui(env: Env) -> int:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        raise ShopError("gui_no_display")
    try:
        from app.ui.main import main as gui_main
    except ImportError as exc:  # Qt or one of its system libraries is missing
        raise ShopError("gui_unavailable", why=str(exc)) from None
    return int(gui_main(db_url=env.db_url(), lang=env.args.lang) or 0)


# --- entry point -------------------------------------------------------------------------------
def main(argv: list[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    _utf8(out)
    _utf8(err)
    try:
        args = parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already printed: its exit code
        return done.code if isinstance(done.code, int) else EXIT_ERROR
    from app import paths

    paths.private_umask()   # members' personal data: every file made from here on is the user's only
    paths.fix_existing()    # and what an older version left readable is put right (app/paths.py)
    from app import logs

    log_path = logs.configure()   # every failure nobody foresaw keeps its traceback there
    env = Env(args, out, err)
    try:
        if args.screenshots is not None:
            return cmd_screenshots(env)
        if args.command is None:
            return start_gui(env)
        return args.func(env)
    except ShopError as exc:
        logs.log_failure(exc, f"shopcare {args.command or 'app'}")   # a refusal: its code, at INFO
        env.say_err(render(exc, env.lang))
        return EXIT_ERROR
    except KeyboardInterrupt:
        env.say_err(msg("interrupted", env.lang))
        return 130
    except Exception as exc:  # the database could not be opened or read: say so plainly
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, (DBAPIError, OSError)):
            logs.log_failure(exc, f"shopcare {args.command or 'app'}: the database")
            why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            shown = env.url or "(default)"
            try:
                shown = env.where()
            except Exception:
                pass
            env.say_err(render(ShopError("db_unavailable", url=shown, why=why), env.lang))
            return EXIT_ERROR
        # Anything else is a fault of ShopCare's, not of the input: one plain sentence, and the
        # traceback in the log file (and on stderr for whoever asks for it).
        logs.log_failure(exc, f"shopcare {args.command or 'app'}")
        env.say_err(render(ShopError("unexpected", kind=type(exc).__name__, log=log_path), env.lang))
        if os.environ.get("SHOPCARE_DEBUG"):
            traceback.print_exc(file=env.err)
        return EXIT_ERROR
    finally:
        env.close()


def _utf8(stream: TextIO) -> None:
    """Chinese text must not crash a terminal or pipe with a narrow locale (Windows, LANG=C)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower() not in ("utf-8", "utf8"):
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass


if __name__ == "__main__":
    raise SystemExit(main())
