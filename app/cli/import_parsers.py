"""``shopcare import members|sales|products|list|undo``: the import commands' arguments and help."""
from __future__ import annotations

from pathlib import Path

from app.cli.admin import cmd_import_members, cmd_import_products, cmd_import_sales
from app.cli.imports_undo import add_parsers as add_undo_parsers


def add_parsers(sub, lang: str, formatter) -> None:
    """Add ``import`` and its subcommands to the top-level subparsers ``sub``."""
    imp = sub.add_parser("import", help="import members, sales history or products from a file",
                         description="Import members, sales history or products from a CSV or XLSX file. Every "
                                     "row is checked first; each rejected row is reported with its row number "
                                     "and every problem it has. All or nothing, unless --skip-bad. Each "
                                     "import is recorded as a batch: 'shopcare import list' shows them and "
                                     "'shopcare import undo' takes the latest back.",
                         formatter_class=formatter)
    isub = imp.add_subparsers(dest="what", metavar="WHAT", title="what to import", required=True)
    c = isub.add_parser("members", help="CSV or XLSX; reports each rejected row and why; all-or-nothing "
                                         "unless --skip-bad",
                        description="Import members from a CSV or XLSX file (English or Chinese column "
                                    "names, e.g. name/姓名, phone/手机号, card/卡号, tier/等级, balance/余额, "
                                    "bonus/赠送余额, points/积分, points_expiry/积分到期, count_card/次卡, "
                                    "uses_left/剩余次数, count_card_expiry/次卡到期, consent/同意短信, "
                                    "marketing_consent/营销短信; see README). Phone numbers without a country "
                                    "code are read in the shop's phone region (Settings › Shop). A consent "
                                    "column grants care texts only; marketing texts need their own column or "
                                    "--marketing-consent. Reports each rejected row with every problem it has; "
                                    "imports nothing if any row is bad, unless --skip-bad. Recorded as an "
                                    "import batch: shopcare import undo takes it back.",
                        formatter_class=formatter)
    c.add_argument("file", metavar="FILE", type=Path, help="the CSV or XLSX file")
    c.add_argument("--skip-bad", action="store_true", help="import the good rows and list the bad ones")
    c.add_argument("--update", action="store_true",
                   help="update the members the file names (by phone, else card number) instead of refusing "
                        "them; lists every change; opening balances are added")
    c.add_argument("--marketing-consent", action="store_true",
                   help="a yes in the consent column also grants marketing texts (the shop has that consent)")
    c.add_argument("--sheet", metavar="NAME", default=None, help="the XLSX sheet to read (default: the first)")
    c.add_argument("--dry-run", action="store_true", help="check and report everything; write nothing")
    c.set_defaults(func=cmd_import_members)
    c = isub.add_parser("sales", help="CSV or XLSX history: member phone, datetime, amount [, sku, qty, receipt]",
                        description="Import purchase history from a CSV or XLSX file with the columns member "
                                    "phone, datetime, amount [, sku, qty, receipt] (English or Chinese names; "
                                    "see README). Re-importing the same file adds nothing twice. All or "
                                    "nothing, unless --skip-bad. Recorded as an import batch: shopcare import "
                                    "undo takes it back.", formatter_class=formatter)
    c.add_argument("file", metavar="FILE", type=Path, help="the CSV or XLSX file")
    c.add_argument("--skip-bad", action="store_true", help="import the good rows and list the bad ones")
    c.add_argument("--sheet", metavar="NAME", default=None, help="the XLSX sheet to read (default: the first)")
    c.add_argument("--dry-run", action="store_true", help="check and report everything; write nothing")
    c.set_defaults(func=cmd_import_sales)
    c = isub.add_parser("products", help="the catalogue (CSV/XLSX, English or Chinese headers)",
                        description="Import products from a CSV or XLSX file with English or Chinese column "
                                    "names: name/商品名称/品名, sku/货号/编码, barcode/条码 (several in one cell "
                                    "separated by , ; / or spaces, or several barcode columns), price/售价, "
                                    "member price/会员价 (every tier) or 'member price <tier>'/'会员价(<tier>)'/"
                                    "'<tier>价' (one tier), category/分类, cost/进价, stock/库存 (opening stock), "
                                    "unit/单位, reorder level/库存下限, points price/兑换积分. Every row is "
                                    "checked first and each bad row reported with its row number, column and "
                                    "reason; nothing is imported if any row is bad, unless --skip-bad. A SKU or "
                                    "barcode already in the catalogue is refused unless --update, which changes "
                                    "that product and lists every change.", formatter_class=formatter)
    c.add_argument("file", metavar="FILE", type=Path, help="the CSV or XLSX file")
    c.add_argument("--skip-bad", action="store_true", help="import the good rows and list the bad ones")
    c.add_argument("--update", action="store_true",
                   help="change the products the file names (by SKU, else barcode) instead of refusing them")
    c.add_argument("--add-categories", action="store_true",
                   help="add categories the shop does not have yet (else such rows are refused)")
    c.add_argument("--sheet", metavar="NAME", default=None, help="the XLSX sheet to read (default: the first)")
    c.add_argument("--dry-run", action="store_true", help="check and report everything; write nothing")
    c.set_defaults(func=cmd_import_products)
    add_undo_parsers(isub, lang, formatter)          # import list, import undo
