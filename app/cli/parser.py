"""The shopcare command's grammar: commands, options (global ones before or after the command), help in the user's language."""
from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from app import __version__, i18n
from app.cli.admin import (
    cmd_audit_key_set,
    cmd_audit_key_show,
    cmd_backup,
    cmd_check,
    cmd_demo,
    cmd_init,
    cmd_owner_password,
    cmd_restore,
    cmd_support_bundle,
)
from app.cli.care import cmd_care_approve, cmd_care_reject, cmd_care_run
from app.cli.import_parsers import add_parsers as add_import_parsers
from app.cli.messages import msg
from app.cli.reports import (cmd_export_members, cmd_export_products, cmd_report_care, cmd_report_eod, cmd_report_products,
                             cmd_report_statement, cmd_rfm)
from app.cli.sales import cmd_reprint
from app.cli.points import add_parser as add_points_parser
from app.cli.stock import add_parser as add_stock_parser
from app.cli.texts import cmd_outbox_send, cmd_outbox_test
from app.i18n import NC_

# --- help texts (they match DESIGN.md) ---------------------------------------------------------
DESCRIPTION = "ShopCare: point-of-sale member management and customer care for small shops."


EPILOG = """\
summary:
  shopcare                          start the till app
  shopcare init [--language L] [--currency C] [--region R]   create or upgrade the database;
                                    before the first run, the shop's language, currency and phone
                                    region (proposed from the system locale)
  shopcare demo [--members N] [--days D] [--seed S]   fill with realistic demo shop data
  shopcare import members FILE [--skip-bad] [--update] [--marketing-consent] [--sheet NAME] [--dry-run]
  shopcare import sales FILE [--skip-bad] [--sheet NAME] [--dry-run]   history: phone, datetime, amount [, sku, qty, receipt]
  shopcare import products FILE [--skip-bad] [--update] [--add-categories] [--sheet NAME] [--dry-run]
                                    the catalogue (CSV/XLSX, English or Chinese headers)
  shopcare import list              the imports done: id, kind, file, who, when, status, counts
  shopcare import undo [--batch N] [--dry-run]   take back the latest import while nothing since touches it
  shopcare check                    integrity check + every cached balance equals its ledger; exit 1 on any fault
  shopcare backup [PATH]            hot, consistent backup
  shopcare restore PATH [--yes]     restore a backup (checked on a copy; the current database is
                                    backed up first)
  shopcare reprint RECEIPT_NO [--printer SETTING]   reprint a past receipt
  shopcare stock receive SKU QTY [--cost AMOUNT] [--supplier NAME]   goods delivered (入库)
  shopcare stock adjust SKU QTY --reason TEXT   a correction by hand (audited)
  shopcare stock count FILE.csv|FILE.xlsx [--dry-run]   a stocktake (盘点): sku/货号, counted/实盘数量
  shopcare stock low                products at or below their reorder level
  shopcare stock history SKU        a product's stock movements
  shopcare report eod [--date D] [-o FILE.pdf]  end-of-day member report
  shopcare report eod [--date D] [--list NAME] -o FILE.csv   its lists per member, whole (owner, audited)
  shopcare report statement MEMBER [--from D] [--to D] [-o FILE.pdf]   one member's statement
  shopcare report products [--from D] [--to D] [--by product|category] [-o FILE.csv|FILE.xlsx]
  shopcare report care [--from D] [--to D]      care results: who came back after each kind of care, satisfaction
                                    product sales: units, net sales, cost and margin (export:
                                    owner, audited)
  shopcare export members -o FILE.csv|FILE.xlsx   the member list (owner only, audited; asks the
                                    owner's password once one is set)
  shopcare export products -o FILE.csv|FILE.xlsx [--active-only]   the catalogue (audited)
  shopcare owner-password [--name NAME]   set or reset the owner's password (forgotten or first)
  shopcare audit-key show           this till's audit key, to copy to the other tills sharing the
                                    database (owner; asks the owner's password once one is set)
  shopcare audit-key set KEY        use another till's audit key here (refused unless it verifies the
                                    database's audit rows)
  shopcare outbox send              deliver due messages through the configured gateway
  shopcare outbox test PHONE [TEXT] send one test text now and print the gateway's answer
  shopcare care run [--date D] [--dry-run]   queue every care action due on D (idempotent)
  shopcare care approve [--all | ID...]   texts held for approval go out (no argument: list them)
  shopcare care reject [--all | ID...]    texts held for approval are cancelled
  shopcare care config show|set KEY VALUE   the care settings (lead times, thresholds, tier plans)
  shopcare care calendar [on|off KEY...|add KEY RULE EN ZH|reset]   festivals and the 24 solar terms
  shopcare care wording [set CATEGORY TEXT|remove CATEGORY]   repurchase wording per product category
  shopcare care preview [--rule R]  who would get what tomorrow
  shopcare points expire [--date D] [--dry-run]   expire the points and count cards that lapsed up to D
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
  SHOPCARE_SMS_GATEWAY=log|twilio|tencent, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SHOPCARE_SMS_FROM,
  SHOPCARE_SMS_API_BASE, TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY   the text gateway (override
                          this machine's gateway settings; Tencent's signature and template ids are
                          set in Messages > Gateway)

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

    add_import_parsers(sub, lang, _Formatter)                # import members|sales|products|list|undo

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

    rep = sub.add_parser("report", help="end-of-day report, member statements, product sales, care results",
                         description="Reports in the shop's language (or --lang). The end-of-day report and "
                                     "statements are PDFs, written to the reports folder in the user data dir "
                                     "without -o; product sales print on the terminal, or go to a CSV or XLSX "
                                     "file with -o.",
                         formatter_class=_Formatter)
    rsub = rep.add_subparsers(dest="what", metavar="REPORT", title="reports", required=True)
    c = rsub.add_parser("eod", help="end-of-day member report",
                        description="End-of-day member report for one day (default: today): sales by payment "
                                    "method, members and walk-ins, refunds and voids, cash expected in the "
                                    "drawer, stored value topped up, spent and outstanding (principal and "
                                    "bonus), points, vouchers, new members, texts and their segments, top "
                                    "products, cashiers, birthdays today and tomorrow, valuable members at "
                                    "risk, points soon to expire. Every figure is read from the ledgers. Each "
                                    "list per member shows its first 20 (biggest spenders, or most points "
                                    "lapsing) and says how many more; -o FILE.csv (or .xlsx) writes the whole "
                                    "lists instead of the PDF, one row per member with the list in the first "
                                    "column and the full phone number (owner only, audited), e.g. "
                                    "shopcare report eod --date 2026-12-04 --list at-risk -o at-risk.csv",
                        formatter_class=_Formatter)
    c.add_argument("--date", metavar="D", type=day, default=None, help="the day, YYYY-MM-DD (default: today)")
    c.add_argument("-o", "--output", metavar="FILE.pdf", type=Path, default=None,
                   help="where to write the PDF (default: reports/eod-YYYY-MM-DD.pdf in the data dir); "
                        "FILE.csv or FILE.xlsx: the whole lists per member instead")
    c.add_argument("--list", dest="lists", metavar="NAME", action="append",
                   choices=("birthdays-today", "birthdays-tomorrow", "at-risk", "expiring"),
                   help="with -o FILE.csv: only this list (birthdays-today, birthdays-tomorrow, at-risk, "
                        "expiring; repeat for more; default: all)")
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
    c = rsub.add_parser("products", help="product sales over a period, by product or category",
                        description="Product sales over a period (default: the 30 days to today), by product or "
                                    "by category: units sold and refunded, net units, net sales (refunds "
                                    "netted), and cost, margin and margin % where the cost of every line is "
                                    "known (lines sold before costs were kept show -, never 100%). Open-price "
                                    "lines are grouped under their category; lines exchanged for points show "
                                    "the points. Without -o the table is printed; with -o it is written to a "
                                    "CSV or XLSX file (costs are the shop's secrets: owner only, audited; asks "
                                    "the owner's password once one is set).",
                        formatter_class=_Formatter)
    c.add_argument("--from", dest="start", metavar="D", type=day, default=None,
                   help="first day, YYYY-MM-DD (default: 29 days before --to)")
    c.add_argument("--to", dest="end", metavar="D", type=day, default=None, help="last day (default: today)")
    c.add_argument("--by", choices=["product", "category"], default="product",
                   help="one row per product (default) or per category")
    c.add_argument("-o", "--output", metavar="FILE.csv|FILE.xlsx", type=Path, default=None,
                   help="write the rows to a CSV or XLSX file instead of printing them")
    c.set_defaults(func=cmd_report_products)
    c = rsub.add_parser("care", help="care results: who came back after each kind of care, and satisfaction",
                        description="Care results of the texts sent and calls made over a period (default: the 30 "
                                    "days to today): for each kind of care action (birthday, holiday, tier care, "
                                    "win-back, repurchase, follow-up, points reminder, campaign…) the texts sent, "
                                    "calls made, members reached, how many came back (bought) within the kind's "
                                    "window after a contact, their visits and what they spent then (sales less "
                                    "refunds); then the satisfaction scores of the period by category and by staff "
                                    "member (average, count, complaints: scores of 1 or 2). Windows: "
                                    "docs/care.md.",
                        formatter_class=_Formatter)
    c.add_argument("--from", dest="start", metavar="D", type=day, default=None,
                   help="first day of the contacts, YYYY-MM-DD (default: 29 days before --to)")
    c.add_argument("--to", dest="end", metavar="D", type=day, default=None, help="last day (default: today)")
    c.set_defaults(func=cmd_report_care)

    ex = sub.add_parser("export", help="the member list or the catalogue to CSV or XLSX (owner only, audited)",
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
    c = esub.add_parser("products", help="the catalogue, to FILE.csv or FILE.xlsx",
                        description="Every product (or those on sale, --active-only) to FILE.csv (UTF-8, opens "
                                    "in Excel) or FILE.xlsx, with headers in the language of messages; "
                                    "'shopcare import products FILE --update' reads it back. Recorded in the "
                                    "audit log.", formatter_class=_Formatter)
    c.add_argument("-o", "--output", metavar="FILE", type=Path, required=True, help="FILE.csv or FILE.xlsx")
    c.add_argument("--active-only", action="store_true", help="only the products on sale")
    c.set_defaults(func=cmd_export_products)

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
    add_stock_parser(sub, lang, _Formatter)
    add_points_parser(sub, lang, _Formatter, day)

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
                                    "scores) are fetched (Tencent Cloud SMS: pulled from its queues). "
                                    "With Tencent, a kind of text without an approved template id "
                                    "fails at once with that reason. Exit 2 when the gateway refuses "
                                    "the account or its SMS package is used up (the texts stay "
                                    "queued).", formatter_class=_Formatter)
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
    for name, func, helps, what in (
            ("approve", cmd_care_approve, "texts held for approval go out (no argument: list them)",
             "Texts held for the owner's approval (the shop's first care run, the first after an import, a "
             "run of more texts than the shop's limit, or every run when the shop asks for approval) join "
             "the queue: every one (--all) or those numbered. Without an argument: what waits, its count "
             "and SMS parts. Manager or owner."),
            ("reject", cmd_care_reject, "texts held for approval are cancelled",
             "Texts held for approval are cancelled (--all, or those numbered): they are never sent, and "
             "the care engine does not make them again. Without an argument: what waits.")):
        c = csub.add_parser(name, help=helps, description=what, formatter_class=_Formatter)
        c.add_argument("ids", metavar="ID", nargs="*", help="the numbers of the texts (as listed)")
        c.add_argument("--all", action="store_true", help="every text waiting for approval")
        c.set_defaults(func=func)
    from app.cli.care_settings import add_commands as add_care_settings

    add_care_settings(csub, _Formatter, day)
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
