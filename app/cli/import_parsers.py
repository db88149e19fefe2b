"""``shopcare import members|sales|products|list|undo``: the import commands' arguments and help
(translated: msgctxt cli_help)."""
from __future__ import annotations

from pathlib import Path

from app import i18n
from app.cli.admin import cmd_import_members, cmd_import_products, cmd_import_sales
from app.cli.imports_undo import add_parsers as add_undo_parsers
from app.i18n import NC_

HELP = {
    "import": NC_("cli_help", "import members, sales history or products from a file"),
    "import_desc": NC_("cli_help", "Import members, sales history or products from a CSV or XLSX file. Every row is "
                                   "checked first; each rejected row is reported with its row number and every "
                                   "problem it has. All or nothing, unless --skip-bad. Each import is recorded as a "
                                   "batch: 'shopcare import list' shows them and 'shopcare import undo' takes the "
                                   "latest back."),
    "what": NC_("cli_help", "what to import"),
    "members": NC_("cli_help", "CSV or XLSX; reports each rejected row and why; all-or-nothing unless --skip-bad"),
    "members_desc": NC_("cli_help", "Import members from a CSV or XLSX file (English or Chinese column names, e.g. "
                                    "name/姓名, phone/手机号, card/卡号, tier/等级, balance/余额, bonus/赠送余额, "
                                    "points/积分, points_expiry/积分到期, count_card/次卡, uses_left/剩余次数, "
                                    "count_card_expiry/次卡到期, consent/同意短信, marketing_consent/营销短信; see "
                                    "README). Phone numbers without a country code are read in the shop's phone "
                                    "region (Settings › Shop). A consent column grants care texts only; marketing "
                                    "texts need their own column or --marketing-consent. Reports each rejected row "
                                    "with every problem it has; imports nothing if any row is bad, unless "
                                    "--skip-bad. Recorded as an import batch: shopcare import undo takes it back."),
    "file": NC_("cli_help", "the CSV or XLSX file"),
    "skip_bad": NC_("cli_help", "import the good rows and list the bad ones"),
    "update_members": NC_("cli_help", "update the members the file names (by phone, else card number) instead of "
                                      "refusing them; lists every change; opening balances are added"),
    "marketing": NC_("cli_help", "a yes in the consent column also grants marketing texts (the shop has that "
                                 "consent)"),
    "sheet": NC_("cli_help", "the XLSX sheet to read (default: the first)"),
    "dry_run_import": NC_("cli_help", "check and report everything; write nothing"),
    "sales": NC_("cli_help", "CSV or XLSX history: member phone, datetime, amount [, sku, qty, receipt]"),
    "sales_desc": NC_("cli_help", "Import purchase history from a CSV or XLSX file with the columns member phone, "
                                  "datetime, amount [, sku, qty, receipt] (English or Chinese names; see README). "
                                  "Re-importing the same file adds nothing twice. All or nothing, unless "
                                  "--skip-bad. Recorded as an import batch: shopcare import undo takes it back."),
    "products": NC_("cli_help", "the catalogue (CSV/XLSX, English or Chinese headers)"),
    "products_desc": NC_("cli_help", "Import products from a CSV or XLSX file with English or Chinese column names: "
                                     "name/商品名称/品名, sku/货号/编码, barcode/条码 (several in one cell separated "
                                     "by , ; / or spaces, or several barcode columns), price/售价, member price/会员价 "
                                     "(every tier) or 'member price <tier>'/'会员价(<tier>)'/'<tier>价' (one tier), "
                                     "category/分类, cost/进价, stock/库存 (opening stock), unit/单位, reorder "
                                     "level/库存下限, points price/兑换积分. Every row is checked first and each bad "
                                     "row reported with its row number, column and reason; nothing is imported if "
                                     "any row is bad, unless --skip-bad. A SKU or barcode already in the catalogue "
                                     "is refused unless --update, which changes that product and lists every "
                                     "change."),
    "update_products": NC_("cli_help", "change the products the file names (by SKU, else barcode) instead of "
                                       "refusing them"),
    "add_categories": NC_("cli_help", "add categories the shop does not have yet (else such rows are refused)"),
}


def add_parsers(sub, lang: str, formatter) -> None:
    """Add ``import`` and its subcommands to the top-level subparsers ``sub``."""
    def h(key: str) -> str:
        return i18n.gettext(lang, HELP[key], context="cli_help")

    def common(c, *, update: str | None = None) -> None:
        c.add_argument("file", metavar="FILE", type=Path, help=h("file"))
        c.add_argument("--skip-bad", action="store_true", help=h("skip_bad"))
        if update:
            c.add_argument("--update", action="store_true", help=h(update))

    def tail(c) -> None:
        c.add_argument("--sheet", metavar="NAME", default=None, help=h("sheet"))
        c.add_argument("--dry-run", action="store_true", help=h("dry_run_import"))

    imp = sub.add_parser("import", help=h("import"), description=h("import_desc"), formatter_class=formatter)
    isub = imp.add_subparsers(dest="what", metavar="WHAT", title=h("what"), required=True)
    c = isub.add_parser("members", help=h("members"), description=h("members_desc"), formatter_class=formatter)
    common(c, update="update_members")
    c.add_argument("--marketing-consent", action="store_true", help=h("marketing"))
    tail(c)
    c.set_defaults(func=cmd_import_members)
    c = isub.add_parser("sales", help=h("sales"), description=h("sales_desc"), formatter_class=formatter)
    common(c)
    tail(c)
    c.set_defaults(func=cmd_import_sales)
    c = isub.add_parser("products", help=h("products"), description=h("products_desc"), formatter_class=formatter)
    common(c, update="update_products")
    c.add_argument("--add-categories", action="store_true", help=h("add_categories"))
    tail(c)
    c.set_defaults(func=cmd_import_products)
    add_undo_parsers(isub, lang, formatter)          # import list, import undo
