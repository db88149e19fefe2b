"""shopcare import list | import undo [--batch N] [--dry-run]: the imports done, and taking one back.

Help texts are translated (msgctxt cli_help), the sentences are their own (msgctxt cli:import_undo_*),
what a batch counted and the tables an undo empties are named in the reader's language.
"""
from __future__ import annotations

from app import i18n
from app.cli.env import EXIT_ERROR, EXIT_OK, Env
from app.errors import render
from app.i18n import NC_

MESSAGES = {
    "none": NC_("cli:import_list_none", "No imports yet"),
    "row": NC_("cli:import_list_row", "#{id}  {kind}  {file}  {who}  {when}  {status}  {counts}"),
    "preview": NC_("cli:import_undo_preview", "Import {batch} ({kind}, {file}, {when}) can be undone (--dry-run: nothing "
                                              "changed). It would remove:"),
    "done": NC_("cli:import_undo_done", "Import {batch} ({kind}, {file}, {when}) undone (recorded in the audit log). "
                                        "Removed:"),
    "table": NC_("cli:import_undo_table", "  {what}: {n}"),
    "restored": NC_("cli:import_undo_restored", "  {what} given back their values from before the import: {n}"),
    "nothing": NC_("cli:import_undo_nothing", "  nothing (the import wrote no rows)"),
    "refused": NC_("cli:import_undo_refused", "--dry-run: the undo would be refused"),
}

KINDS = {"members": NC_("import_kind", "members"), "sales": NC_("import_kind", "purchase history"),
         "products": NC_("import_kind", "products")}
STATUS = {"running": NC_("import_status", "running"), "done": NC_("import_status", "done"),
          "undone": NC_("import_status", "undone"), "failed": NC_("import_status", "failed")}
# The tables an undo empties, as a shop owner calls them (also the batch counts' names where they match).
TABLES = {
    "members": NC_("undo_table", "members"), "member_tags": NC_("undo_table", "member tags"),
    "member_dates": NC_("undo_table", "member anniversaries"), "wallet_entries": NC_("undo_table", "stored value entries"),
    "points_entries": NC_("undo_table", "points entries"), "count_cards": NC_("undo_table", "count cards"),
    "count_card_entries": NC_("undo_table", "count card entries"), "sales": NC_("undo_table", "sales"),
    "sale_lines": NC_("undo_table", "sale lines"), "payments": NC_("undo_table", "payments"),
    "stock_entries": NC_("undo_table", "stock entries"), "products": NC_("undo_table", "products"),
    "product_barcodes": NC_("undo_table", "barcodes"), "member_prices": NC_("undo_table", "member prices"),
    "product_search_keys": NC_("undo_table", "search keys"), "categories": NC_("undo_table", "categories"),
}

# What a batch counted (import_batches.finish), as the list names it.
COUNTS = {"imported": NC_("import_count", "imported"), "skipped": NC_("import_count", "skipped"),
          "rejected": NC_("import_count", "rejected"), "added": NC_("import_count", "added"),
          "updated": NC_("import_count", "updated"), "unchanged": NC_("import_count", "unchanged"),
          "opening_stock": NC_("import_count", "opening stock"),
          "members_created": NC_("import_count", "new members")}
COMMAND_LINE = NC_("import_who", "command line")

HELP = {
    "list": NC_("cli_help", "the imports done: id, kind, file, who, when, status, counts"),
    "list_desc": NC_("cli_help", "The imports done, newest first: batch id, kind (members, purchase history, products), "
                                 "file, who ran it, when, status (done or undone) and what it counted."),
    "limit": NC_("cli_help", "how many imports to show (default 50)"),
    "undo": NC_("cli_help", "take back the latest import while nothing since touches it"),
    "undo_desc": NC_("cli_help", "Take back an import: the database as it was before it, in one step, the ledgers "
                                 "balanced ('shopcare check' stays green), recorded in the audit log. Refused, with "
                                 "what happened since, when anything touches what the import brought in (a sale, "
                                 "top-up, points or a count card of an imported member, an imported product sold or "
                                 "edited, an imported sale refunded), or when a later import is not undone yet."),
    "batch": NC_("cli_help", "the batch to undo (default: the latest import not undone; see 'shopcare import list')"),
    "dry_run": NC_("cli_help", "say what would be removed, or why it would be refused; change nothing"),
}


def add_parsers(isub, lang: str, formatter) -> None:
    """``import list`` and ``import undo`` under the ``import`` group, their help in ``lang``."""
    def h(key: str) -> str:
        return i18n.gettext(lang, HELP[key], context="cli_help")

    c = isub.add_parser("list", help=h("list"), description=h("list_desc"), formatter_class=formatter)
    c.add_argument("--limit", metavar="N", type=int, default=50, help=h("limit"))
    c.set_defaults(func=cmd_import_list)
    c = isub.add_parser("undo", help=h("undo"), description=h("undo_desc"), formatter_class=formatter)
    c.add_argument("--batch", metavar="N", type=int, default=None, help=h("batch"))
    c.add_argument("--dry-run", action="store_true", help=h("dry_run"))
    c.set_defaults(func=cmd_import_undo)


def _t(env: Env, key: str, **params: object) -> str:
    return i18n.entry(env.lang, MESSAGES[key], context=_ctx(key), **params)


def _ctx(key: str) -> str:
    return {"none": "cli:import_list_none", "row": "cli:import_list_row"}.get(key, "cli:import_undo_" + key)


def _name(table: dict, context: str, key: str, lang: str) -> str:
    return i18n.gettext(lang, table[key], context=context) if key in table else key


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def cmd_import_list(env: Env) -> int:
    from app.services.admin import import_batches

    env.require_file()
    ctx = env.open()
    env.use_shop_language(ctx)
    batches = import_batches.list_batches(ctx, max(1, min(env.args.limit, 10_000)))
    if not batches:
        env.say(_t(env, "none"))
        return EXIT_OK
    for b in batches:
        counts = ", ".join(f"{_name(COUNTS, 'import_count', k, env.lang)} {v}" for k, v in sorted(b.counts.items()))
        status = _name(STATUS, "import_status", b.status, env.lang)
        if b.status == "undone":
            status += f" {_when(b.undone_at)}"
        env.say(_t(env, "row", id=b.id, kind=_name(KINDS, "import_kind", b.kind, env.lang), file=b.file,
                   who=b.staff_name or i18n.gettext(env.lang, COMMAND_LINE, context="import_who"), when=_when(b.started_at), status=status, counts=counts))
    return EXIT_OK


def cmd_import_undo(env: Env) -> int:
    from app.services.admin import import_batches

    env.require_file()
    ctx = env.open()
    env.use_shop_language(ctx)
    lang = env.lang
    if env.args.dry_run:
        result = import_batches.undo_preview(ctx, env.args.batch)
        if result.refusal is not None:
            env.say_err(render(result.refusal, lang))
            env.say_err(_t(env, "refused"))
            return EXIT_ERROR
        key = "preview"
    else:
        result = import_batches.undo(ctx, env.args.batch)
        key = "done"
    b = result.batch
    env.say(_t(env, key, batch=b.id, kind=_name(KINDS, "import_kind", b.kind, lang), file=b.file,
               when=_when(b.started_at)))
    for table, n in result.removed:
        env.say(_t(env, "table", what=_name(TABLES, "undo_table", table, lang), n=n))
    if not result.removed:
        env.say(_t(env, "nothing"))
    for what, n in result.restored:
        env.say(_t(env, "restored", what=_name(TABLES, "undo_table", what, lang), n=n))
    return EXIT_OK
