"""The columns of a product file: the fixed ones (import_columns.PRODUCT_COLUMNS), the headers the
export writes in each language (aliases of the import too, so an export reads back whatever
language wrote it), several barcode columns, and a member price column per tier.

A tier column is "member price <tier>", "会员价(<tier>)" / "會員價(<tier>)" or "<tier>价", where
<tier> is the tier's code, its English or Chinese name, or a default tier's name in any of the
app's languages. A column that clearly means a tier but names none ("会员价(钻石卡)",
"member price diamond", "钻石卡价") refuses the file before any row is read (``import_tier_column``):
its prices would otherwise be lost without a word. Other "...价" columns (批发价) are ignored like
any unknown column."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from app import i18n
from app.errors import ImportFailed
from app.i18n import NC_
from app.services.admin.import_columns import PRODUCT_COLUMNS
from app.services.base.tabular import header_key

# The export's headers (msgctxt product_column:<canonical>); a tier's column adds its name.
HEADERS: dict[str, str] = {
    "sku": NC_("product_column:sku", "SKU"),
    "name": NC_("product_column:name", "Name"),
    "barcode": NC_("product_column:barcode", "Barcode"),
    "category": NC_("product_column:category", "Category"),
    "unit": NC_("product_column:unit", "Unit"),
    "price": NC_("product_column:price", "Price"),
    "member_price": NC_("product_column:member_price", "Member price"),
    "cost": NC_("product_column:cost", "Cost price"),
    "stock": NC_("product_column:stock", "Stock"),
    "reorder_level": NC_("product_column:reorder_level", "Reorder level"),
    "points_price": NC_("product_column:points_price", "Points price"),
}
TIER_HEADER = NC_("product_column:tier", "Member price ({tier})")

TIER_PREFIX = "tier:"           # canonical name of a tier's column: "tier:<code>"
BARCODE_MORE = "barcode#"       # canonical name of a further barcode column: "barcode#2"
BARCODE_SPLIT = re.compile(r"[,;/，；、\s]+")

_UNITS = {"元", "¥", "￥", "rmb", "cny", "hkd", "twd", "usd", "$", "nt$", "hk$"}
_HEAD = re.compile(r"^(?:member[\s_\-]*price|会员价|會員價)\s*[(（\[【:：\-_ ]?\s*(.*?)\s*[)）\]】]?$", re.I)
_TAIL = re.compile(r"^(.+?)\s*(?:价|價|[\s_\-]price)$", re.I)
_TIER_WORDS = re.compile(r"会员|會員|卡|vip|member", re.I)
_BARCODE_N = re.compile(r"^(?:barcode|条码|条形码|條碼|條形碼)[\s_\-#]*[(（]?\s*(\d{1,2})\s*[)）]?$", re.I)


def header(lang: str | None, canonical: str) -> str:
    return i18n.gettext(lang, HEADERS[canonical], "product_column:" + canonical)


def tier_header(lang: str | None, tier_name: str) -> str:
    return i18n.gettext(lang, TIER_HEADER, "product_column:tier").replace("{tier}", tier_name)


def columns() -> dict[str, tuple[str, ...]]:
    """PRODUCT_COLUMNS with the export's header in every language added to each column's aliases."""
    out = {c: tuple(a) for c, a in PRODUCT_COLUMNS.items()}
    for canonical in HEADERS:
        shown = tuple(header(lang, canonical) for lang in i18n.LANGUAGES)
        out[canonical] = tuple(dict.fromkeys((*out.get(canonical, ()), *shown)))
    return out


@dataclass(frozen=True)
class TierName:
    code: str
    name_en: str
    name_zh: str

    def names(self) -> set[str]:
        """Every way a header may name this tier (compared with :func:`_plain`)."""
        found = {self.code, self.name_en, self.name_zh}
        found |= {i18n.pick(lang, self.name_en, self.name_zh, context="tier") for lang in i18n.LANGUAGES}
        out = {_plain(n) for n in found if n}
        # "金卡" for 金卡会员, "gold" for "Gold member"
        out |= {re.sub(r"(会员|會員|member)$", "", n) for n in out}
        out.discard("")
        return out


def _plain(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).casefold()


def classifier(file: str, tiers: list[TierName]) -> Callable[[str], str | None]:
    """The ``classify`` hook of tabular.read_table for a product file with these tiers."""
    by_name: dict[str, str] = {}
    for t in tiers:
        for n in t.names():
            by_name.setdefault(n, t.code)
    listed = ", ".join(i18n.pick(None, t.name_en, t.name_zh, context="tier") or t.code for t in tiers) or "-"

    def unknown(text: str) -> ImportFailed:
        return ImportFailed("import_tier_column", file=file, column=text, tiers=listed)

    def classify(text: str) -> str | None:
        t = text.strip()
        m = _BARCODE_N.match(t)
        if m:
            return BARCODE_MORE + m.group(1)
        m = _HEAD.match(t)
        if m:
            stem = _plain(m.group(1))
            if not stem or stem in _UNITS:
                return None                     # "会员价", "会员价(元)": every tier (the aliases)
            if stem in by_name:
                return TIER_PREFIX + by_name[stem]
            raise unknown(t)
        m = _TAIL.match(t)
        if m and header_key(t) not in _ALIASES:
            stem = _plain(m.group(1))
            if stem in by_name:
                return TIER_PREFIX + by_name[stem]
            if _TIER_WORDS.search(stem):
                raise unknown(t)
        return None

    return classify


_ALIASES = {header_key(a) for aliases in PRODUCT_COLUMNS.values() for a in aliases}


def split_barcodes(text: str) -> list[str]:
    return [c for c in BARCODE_SPLIT.split(text.strip()) if c]
