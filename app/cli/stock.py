"""shopcare stock receive | adjust | count | low | history: stock of the products that track it.

The group's help is translated (msgctxt cli_help) and its sentences are its own (msgctxt cli:stock_*).
"""
from __future__ import annotations

from pathlib import Path

from app import i18n
from app.cli.env import EXIT_ERROR, EXIT_OK, Env
from app.errors import ImportFailed, ShopError, render
from app.i18n import NC_

MESSAGES = {
    "received": NC_("cli:stock_received", "Received {qty} × {name} ({sku}): {before} → {after} in stock"),
    "cost_set": NC_("cli:stock_cost_set", "{name}'s cost is now {cost}"),
    "adjusted": NC_("cli:stock_adjusted", "Adjusted {name} ({sku}) by {qty}: {before} → {after} in stock "
                                          "(recorded in the audit log)"),
    "dry_run": NC_("cli:stock_dry_run", "Dry run: nothing was posted"),
    "no_difference": NC_("cli:stock_no_difference", "Every count matches the stock: nothing to post"),
    "posted": NC_("cli:stock_posted", "Stocktake {ref} posted: {changed} of {counted} products changed "
                                      "(recorded in the audit log)"),
    "none_low": NC_("cli:stock_none_low", "No product is at or below its reorder level"),
    "none_tracked": NC_("cli:stock_none_tracked", "No product tracks stock yet: turn on Track stock in a product's "
                                                  "editor on the Products tab"),
    "no_history": NC_("cli:stock_no_history", "No stock movements for {name} ({sku})"),
}

HEADINGS = {
    "count": (NC_("stock_heading", "SKU"), NC_("stock_heading", "product"), NC_("stock_heading", "in stock"),
              NC_("stock_heading", "counted"), NC_("stock_heading", "difference")),
    "low": (NC_("stock_heading", "SKU"), NC_("stock_heading", "product"), NC_("stock_heading", "in stock"),
            NC_("stock_heading", "reorder level"), NC_("stock_heading", "short")),
    "history": (NC_("stock_heading", "when"), NC_("stock_heading", "movement"), NC_("stock_heading", "units"),
                NC_("stock_heading", "after"), NC_("stock_heading", "unit cost"), NC_("stock_heading", "reference"),
                NC_("stock_heading", "note")),
}

# The group's help, shown in the reader's language.
HELP = {
    "stock": NC_("cli_help", "stock of the products that track it: receive, adjust, count"),
    "stock_desc": NC_("cli_help", "Stock of the products that track it (turn on Track stock in a product's editor). "
                                  "Receiving, adjusting and counting are recorded in the stock ledger, which "
                                  "'shopcare check' proves against each product's stock; adjustments and "
                                  "stocktakes are also recorded in the audit log."),
    "receive": NC_("cli_help", "goods delivered: QTY units of SKU into stock"),
    "receive_desc": NC_("cli_help", "Record goods delivered (入库): QTY (a whole number above zero) units of the "
                                    "product SKU (or its barcode) into stock. With --cost the unit cost is recorded "
                                    "and becomes the product's cost price, unless --keep-cost."),
    "sku": NC_("cli_help", "the product's SKU or barcode"),
    "qty_in": NC_("cli_help", "units received, a whole number above zero"),
    "cost": NC_("cli_help", "what one unit cost, e.g. 31.50"),
    "keep_cost": NC_("cli_help", "record the unit cost, but leave the product's cost price as it is"),
    "supplier": NC_("cli_help", "who delivered"),
    "note": NC_("cli_help", "a note kept with the movement"),
    "adjust": NC_("cli_help", "a correction by hand, with a reason"),
    "adjust_desc": NC_("cli_help", "Correct a product's stock by hand: QTY units more (12) or fewer (-2), with a "
                                   "reason; recorded in the audit log. It cannot take stock below zero: count the "
                                   "product instead."),
    "qty_signed": NC_("cli_help", "units to add (12) or take off (-2)"),
    "reason": NC_("cli_help", "why (required), e.g. two bags torn"),
    "count": NC_("cli_help", "a stocktake from a CSV or XLSX file"),
    "count_desc": NC_("cli_help", "Post a stocktake (盘点) from a CSV or XLSX file with the columns sku/货号 (SKU or "
                                  "barcode) and counted/实盘数量: each product's stock becomes what was counted. "
                                  "Every row is checked first: one bad row is reported with its row number and "
                                  "nothing is posted. --dry-run shows the differences without posting."),
    "file": NC_("cli_help", "the CSV or XLSX file"),
    "dry_run": NC_("cli_help", "show the differences; post nothing"),
    "ref": NC_("cli_help", "the stocktake's reference (default: till, date and time)"),
    "low": NC_("cli_help", "products at or below their reorder level"),
    "low_desc": NC_("cli_help", "The products that track stock and hold no more than their reorder level (no "
                                "level set: nothing left), the furthest below it first."),
    "history": NC_("cli_help", "a product's stock movements"),
    "history_desc": NC_("cli_help", "A product's stock movements, newest first, with the stock after each one."),
    "limit": NC_("cli_help", "how many movements to show (default 50)"),
}


def add_parser(sub, lang: str, formatter) -> None:
    """The ``stock`` command group, its help in ``lang``."""
    def h(key: str) -> str:
        return i18n.gettext(lang, HELP[key], context="cli_help")

    grp = sub.add_parser("stock", help=h("stock"), description=h("stock_desc"), formatter_class=formatter)
    ssub = grp.add_subparsers(dest="what", metavar="ACTION", title="actions", required=True)
    c = ssub.add_parser("receive", help=h("receive"), description=h("receive_desc"), formatter_class=formatter)
    c.add_argument("sku", metavar="SKU", help=h("sku"))
    c.add_argument("qty", metavar="QTY", help=h("qty_in"))
    c.add_argument("--cost", metavar="AMOUNT", default=None, help=h("cost"))
    c.add_argument("--keep-cost", action="store_true", help=h("keep_cost"))
    c.add_argument("--supplier", metavar="NAME", default="", help=h("supplier"))
    c.add_argument("--note", metavar="TEXT", default="", help=h("note"))
    c.set_defaults(func=cmd_stock_receive)
    c = ssub.add_parser("adjust", help=h("adjust"), description=h("adjust_desc"), formatter_class=formatter)
    c.add_argument("sku", metavar="SKU", help=h("sku"))
    c.add_argument("qty", metavar="QTY", help=h("qty_signed"))
    c.add_argument("--reason", metavar="TEXT", required=True, help=h("reason"))
    c.set_defaults(func=cmd_stock_adjust)
    c = ssub.add_parser("count", help=h("count"), description=h("count_desc"), formatter_class=formatter)
    c.add_argument("file", metavar="FILE", type=Path, help=h("file"))
    c.add_argument("--dry-run", action="store_true", help=h("dry_run"))
    c.add_argument("--ref", metavar="REF", default=None, help=h("ref"))
    c.add_argument("--note", metavar="TEXT", default="", help=h("note"))
    c.set_defaults(func=cmd_stock_count)
    c = ssub.add_parser("low", help=h("low"), description=h("low_desc"), formatter_class=formatter)
    c.set_defaults(func=cmd_stock_low)
    c = ssub.add_parser("history", help=h("history"), description=h("history_desc"), formatter_class=formatter)
    c.add_argument("sku", metavar="SKU", help=h("sku"))
    c.add_argument("--limit", metavar="N", type=int, default=50, help=h("limit"))
    c.set_defaults(func=cmd_stock_history)


def _say(env: Env, key: str, **params: object) -> None:
    env.say(i18n.entry(env.lang, MESSAGES[key], context="cli:stock_" + key, **params))


def _heads(env: Env, table: str) -> list[str]:
    return [i18n.gettext(env.lang, text, context="stock_heading") for text in HEADINGS[table]]


def _table(env: Env, rows: list[list[object]], right: tuple[int, ...] = (2, 3, 4)) -> None:
    """Rows as aligned columns (Chinese characters count two): the columns in ``right`` (numbers)
    on the right, text on the left."""
    from app.services.sales.receipt import text_width

    cells = [[str(c) for c in row] for row in rows]
    widths = [max(text_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        parts = [" " * (w - text_width(c)) + c if i in right else c + " " * (w - text_width(c))
                 for i, (c, w) in enumerate(zip(row, widths))]
        env.say("  ".join(parts).rstrip())


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def cmd_stock_receive(env: Env) -> int:
    from app import money
    from app.services.base import settings as shop_settings
    from app.services.sales import inventory

    ctx = env.open()
    cfg = shop_settings.load(ctx)
    cost = None
    if env.args.cost is not None:
        cost = money.parse_amount(env.args.cost, cfg.currency, field="--cost", allow_zero=True)
    move = inventory.receive(ctx, env.args.sku, env.args.qty, unit_cost=cost, supplier=env.args.supplier,
                             note=env.args.note, update_cost=cost is not None and not env.args.keep_cost)
    _say(env, "received", qty=move.qty, name=move.name, sku=move.sku, before=move.before, after=move.after)
    if cost is not None and not env.args.keep_cost:
        _say(env, "cost_set", name=move.name, cost=money.format_money(cost, cfg.currency, env.lang))
    return EXIT_OK


def cmd_stock_adjust(env: Env) -> int:
    from app.services.sales import inventory

    ctx = env.open()
    move = inventory.adjust(ctx, env.args.sku, env.args.qty, env.args.reason)
    _say(env, "adjusted", name=move.name, sku=move.sku, qty=_signed(move.qty), before=move.before, after=move.after)
    return EXIT_OK


def cmd_stock_count(env: Env) -> int:
    from app.services.sales import inventory, stocktake_file

    path: Path = env.args.file
    if not path.is_file():
        raise ShopError("file_not_found", path=str(path))
    ctx = env.open()
    try:
        counts = stocktake_file.read_counts(ctx, path)
    except ImportFailed as exc:
        from app.cli.admin import _rejected_line

        env.say_err(render(exc, env.lang))
        for row in exc.params.get("rows") or ():
            env.say_err(_rejected_line(row, env.lang))
        return EXIT_ERROR
    if env.args.dry_run:
        rows = inventory.preview_stocktake(ctx, counts)
    else:
        result = inventory.post_stocktake(ctx, counts, ref=env.args.ref, note=env.args.note)
        rows = list(result.rows)
    _table(env, [_heads(env, "count")] + [[r.sku, r.name, r.on_hand, r.counted, _signed(r.difference) if r.difference
                                            else "0"] for r in rows])
    changed = sum(1 for r in rows if r.difference)
    if env.args.dry_run:
        _say(env, "dry_run")
    elif not changed:
        _say(env, "no_difference")
    else:
        _say(env, "posted", ref=result.ref, changed=changed, counted=len(rows))
    return EXIT_OK


def cmd_stock_low(env: Env) -> int:
    from app.services.sales import inventory

    ctx = env.open()
    rows = inventory.low_stock(ctx)
    if not rows:
        _say(env, "none_low" if inventory.tracked(ctx) else "none_tracked")
        return EXIT_OK
    _table(env, [_heads(env, "low")] + [[r.sku, r.name, r.on_hand, "" if r.reorder_level is None else r.reorder_level,
                                          r.shortfall] for r in rows])
    return EXIT_OK


def cmd_stock_history(env: Env) -> int:
    from app import money
    from app.services.base import settings as shop_settings
    from app.services.sales import inventory

    ctx = env.open()
    cfg = shop_settings.load(ctx)
    limit = max(1, min(env.args.limit, 1000))
    with ctx.tx(write=False) as t:
        p = inventory.find_product(t, env.args.sku)
        name, sku = p.name, p.sku
    rows = inventory.history(ctx, sku, limit)
    if not rows:
        _say(env, "no_history", name=name, sku=sku)
        return EXIT_OK

    def kind(k: str) -> str:
        return i18n.entry(env.lang, inventory.KIND_NAMES[k], context="stock_kind:" + k) if k in inventory.KIND_NAMES else k

    table = [_heads(env, "history")]
    for r in rows:
        table.append([r.at.strftime("%Y-%m-%d %H:%M"), kind(r.kind), _signed(r.qty), r.after,
                      "" if r.unit_cost is None else money.format_plain(r.unit_cost, cfg.currency, env.lang),
                      r.receipt_no or r.ref or r.supplier, r.note.replace("\n", " ")[:40]])
    _table(env, table)
    return EXIT_OK
