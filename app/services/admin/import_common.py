"""What every import shares: the column tables (the CLI and README document them), the result of an import, and the readers of one cell (yes/no, dates, amounts, whole numbers) that say what is wrong and where."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, select, text

from app.errors import ImportFailed, ShopError, ValidationError, quoted, render
from app.money import MAX_MAJOR, check_amount, decimal_digits, parse_amount, plain_number
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.tabular import Cell, Row
from app.services.members import members

# --- the column tables (the CLI and README document these) -----------------------------------
# canonical column -> aliases accepted in a header row (matched case-insensitively, trimmed,
# spaces/dashes read as "_", a trailing unit in brackets ignored: "余额（元）" is "余额"); the
# Traditional forms are what a Taiwan or Hong Kong shop's Big5 export has.
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "姓名"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "手機", "手機號", "手機號碼", "電話"),
    "birthday": ("birthday", "生日"),
    "birthday_calendar": ("birthday_calendar", "历法", "曆法"),  # solar/lunar/公历/农历 (blank: solar)
    "gender": ("gender", "性别", "性別"),                    # M/F/男/女/blank
    "notes": ("notes", "备注", "備註"),
    "consent": ("consent", "同意短信"),                      # yes/no/...: care + transactional texts only
    "marketing_consent": ("marketing_consent", "营销短信", "同意营销", "行銷簡訊", "同意行銷"),  # yes/no: offers
    "card": ("card", "card_no", "卡号", "卡號"),
    "balance": ("balance", "余额", "餘額"),                  # major units: opening paid principal
    "bonus": ("bonus", "赠送余额", "贈送餘額"),              # major units: opening bonus
    "points": ("points", "积分", "積分"),                    # whole number >= 0
    "tags": ("tags", "标签", "標籤"),                        # separated by , ， 、 or ;
    "join_date": ("join_date", "入会日期", "入會日期"),      # YYYY-MM-DD (blank: the import date)
    "tier": ("tier", "等级", "会员等级", "等級", "會員等級"),  # a tier's code or name (any language)
    "points_expiry": ("points_expiry", "积分到期", "積分到期", "點數到期"),  # blank: the shop's points policy
    "count_card": ("count_card", "次卡"),                    # a service or count-card package: SKU or name
    "uses_left": ("uses_left", "剩余次数", "剩餘次數"),      # whole number > 0
    "count_card_expiry": ("count_card_expiry", "次卡到期"),  # YYYY-MM-DD (blank: the package's days, else none)
}


MEMBER_REQUIRED: tuple[str, ...] = ("name", "phone")


SALES_COLUMNS: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话", "手機", "手機號", "手機號碼", "電話"),
    "datetime": ("datetime", "date", "时间", "日期", "時間"),  # YYYY-MM-DD HH:MM[:SS] or YYYY-MM-DD
    "amount": ("amount", "金额", "金額"),                    # major units, > 0
    "sku": ("sku", "货号", "商品编码", "貨號", "商品編碼"),  # optional: a product's SKU or barcode
    "qty": ("qty", "quantity", "数量", "數量"),              # optional: whole number 1..9999 (blank: 1)
    "receipt": ("receipt", "receipt_no", "小票号", "单号", "小票號", "單號"),  # optional: the old system's receipt no.
}


SALES_REQUIRED: tuple[str, ...] = ("phone", "datetime", "amount")


# The product catalogue (import_products.py). Besides these: several barcode columns ("barcode 2",
# "条码2"), and a member price for one tier: "member price <tier code or name>", "会员价(<tier>)",
# "<tier name>价" (product_columns.py). The headers export_products writes, in each language, are
# aliases too (added there), so an export reads back whatever language wrote it.
PRODUCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "product", "商品名称", "品名", "名称", "商品名", "商品名稱", "名稱"),
    "sku": ("sku", "code", "货号", "编码", "商品编码", "貨號", "編碼", "商品編碼"),
    "barcode": ("barcode", "barcodes", "条码", "条形码", "條碼", "條形碼"),
    "price": ("price", "售价", "零售价", "价格", "售價", "零售價", "價格"),
    "member_price": ("member_price", "会员价", "會員價"),     # every tier
    "category": ("category", "分类", "类别", "分類", "類別"),
    "cost": ("cost", "cost_price", "进价", "成本价", "進價", "成本價"),
    "stock": ("stock", "opening_stock", "on_hand", "库存", "庫存"),    # opening stock: whole number >= 0
    "unit": ("unit", "单位", "單位"),
    "reorder_level": ("reorder_level", "库存下限", "庫存下限"),
    "points_price": ("points_price", "兑换积分", "兌換積分", "兌換點數"),
}


PRODUCT_REQUIRED: tuple[str, ...] = ("name",)


IMPORT_TILL = "IMP"


IMPORT_SKU = "IMPORT"


IMPORT_LINE_NAME = "Imported purchase"


QTY_MAX = 9999


CARD_MAX = 32


RECEIPT_MAX = 100  # "import:receipt:" + this fits sales.source_ref (128)


YES_WORDS = {"yes", "y", "1", "true", "t", "是", "同意", "√", "✓"}


NO_WORDS = {"no", "n", "0", "false", "f", "否", "不同意", "×", ""}


SOLAR_WORDS = {"solar", "公历", "阳历", "新历", ""}


LUNAR_WORDS = {"lunar", "农历", "阴历", "旧历"}


TAG_SPLIT = re.compile(r"[,，、;；]")


DATE_TIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
                        r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?)?$")


MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")


# --- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RejectedRow:
    row_no: int            # as the user sees it in the file (header = row 1)
    reason_code: str       # an app.errors CATALOGUE code: the row's first problem
    error: ShopError = field(compare=False, repr=False)           # the first problem
    errors: tuple[ShopError, ...] = field(default=(), compare=False, repr=False)  # every problem, in column order

    @classmethod
    def of(cls, row_no: int, err: ShopError) -> RejectedRow:
        return cls(row_no, err.code, err, (err,))

    @classmethod
    def many(cls, row_no: int, errs) -> RejectedRow:
        errs = tuple(errs)
        return cls(row_no, errs[0].code, errs[0], errs)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.errors or (self.error,))

    def text(self, lang: str) -> str:
        """Why the row was refused, in ``lang``: every problem it has, separated by "; "."""
        return "; ".join(render(e, lang) for e in self.errors or (self.error,))

    @property
    def reason_text_en(self) -> str:
        return self.text("en")

    @property
    def reason_text_zh(self) -> str:
        return self.text("zh_CN")


@dataclass(frozen=True)
class ImportReport:
    imported: int                         # members: rows written; sales: sales written
    skipped: int                          # sales already in the database (re-import); not errors
    rejected: tuple[RejectedRow, ...]     # rows left out, each with its reason (only ever non-empty
                                          # with skip_bad)
    members_created: int = 0              # members created (import_members: == imported)
    members_updated: int = 0              # members: existing members changed (--update)
    count_cards: int = 0                  # members: opening count cards written
    rows: int = 0                         # data rows read
    batch_id: int | None = None           # the import batch (None for a dry run)
    dry_run: bool = False                 # nothing was written
    preview: tuple = ()                   # the first rows as they will be stored (MemberPreview/SalePreview)
    changes: tuple = ()                   # members: what --update changes (MemberChange), every member


@dataclass(frozen=True)
class FieldChange:
    field: str             # the canonical column (name, card, tier, birthday, ...)
    before: str            # as shown ('' when blank)
    after: str


@dataclass(frozen=True)
class MemberChange:
    row_no: int
    member_id: int
    name: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class CardPreview:
    service: str           # the service (or package) name
    uses_left: int
    expires_on: date | None


@dataclass(frozen=True)
class MemberPreview:
    """One member row as it will be stored: display-ready values (amounts in minor units)."""
    row_no: int
    action: str            # "new" or "update"
    name: str
    phone: str             # E.164
    phone_shown: str       # the number as the shop writes it (national digits in the shop's region)
    card: str
    tier: str              # the tier's name ('' for the base tier of a new member)
    birthday: str          # "1990-03-05", "lunar 08-15", ''
    gender: str
    balance: int
    bonus: int
    points: int
    points_expiry: date | None
    count_cards: tuple[CardPreview, ...]
    tags: tuple[str, ...]
    consent_care: bool | None        # None: not given (left as it is)
    consent_marketing: bool | None
    join_date: date | None
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class SalePreview:
    row_no: int            # the sale's first row
    receipt: str
    when: datetime
    phone: str
    phone_shown: str
    amount: int            # minor units: the sale's total
    lines: int
    new_member: bool       # the phone belongs to no member yet: one is created
    already: bool          # imported before: skipped


PREVIEW_ROWS = 50
TICK = 2000     # progress and cancel every this many rows


class Ticker:
    """Progress ``(done, total)`` and cancel, every :data:`TICK` rows. An import counts each row
    twice: once read and checked, once written (``total`` is twice the rows; an estimate while the
    file is still being read). ``cancel()`` True raises ImportFailed('import_cancelled')."""

    def __init__(self, progress, cancel, estimate: int) -> None:
        self.progress, self.cancel = progress, cancel
        self.total = max(2 * estimate, 1)
        self.done = 0
        self._next = TICK

    def rows_known(self, rows: int) -> None:
        self.total = max(2 * rows, 1)

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self._next:
            self._next = self.done + TICK
            self.check()

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise ImportFailed("import_cancelled")
        if self.progress is not None:
            self.progress(min(self.done, self.total), max(self.total, self.done))

    def end(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


IMPORT_LOCK = 0x5C_1A40  # PostgreSQL advisory lock: one member or history import at a time


def import_lock(t: Ctx) -> None:
    """PostgreSQL: one member/history import at a time (two imports of one file would otherwise
    both see no sale there yet); SQLite's IMMEDIATE transactions already run one at a time."""
    if t.s.bind.dialect.name == "postgresql":
        t.s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})


def classifier(mapping):
    """read_table's ``classify`` for an owner's mapping (header text -> column, "" = left out)."""
    if not mapping:
        return None
    wanted = {str(k).strip(): v for k, v in mapping.items()}
    return lambda header: wanted.get(header.strip())


class PhoneReader:
    """phones.normalize with a memory: a history repeats each customer's number many times, and
    parsing one costs ~80 µs."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.known: dict[str, str | ShopError] = {}
        self.mobile = None
        self.prefix = ""
        # The region's mobile numbers as phonenumbers' own metadata describes them: a plain national
        # number that matches is valid and needs no parse (a mainland history is mostly these).
        import phonenumbers

        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if md is not None and md.mobile is not None and md.mobile.national_number_pattern and md.country_code:
            self.mobile = re.compile(md.mobile.national_number_pattern)
            self.prefix = f"+{md.country_code}"

    def __call__(self, raw: str) -> str:
        got = self.known.get(raw)
        if got is None:
            if self.mobile is not None and raw.isascii() and raw.isdigit() and raw[0] != "0" \
                    and self.mobile.fullmatch(raw):
                return sys.intern(self.prefix + raw)   # cheap: not remembered (memory)
            try:
                got = sys.intern(phones.normalize(raw, self.region))
            except ShopError as err:
                got = err
            if len(self.known) < 1_000_000:
                self.known[raw] = got
        if isinstance(got, ShopError):
            raise got
        return got


def phone_shown(e164: str, region: str) -> str:
    """A number as the shop writes it: national digits in its own region, else E.164."""
    return phones.national_digits(e164) if phones.in_region(e164, region) else e164


def points_expiry(cfg: ShopSettings, today: date) -> date | None:
    """When opening points expire, by the points module's policy (None until that module exists)."""
    try:
        from app.services.ledger.points import expiry_date  # type: ignore[attr-defined]
    except ImportError:
        return None
    return expiry_date(cfg, today)


# --- shared helpers ---------------------------------------------------------------------------
def big_cache(t: Ctx, mb: int = 64) -> None:
    """SQLite: a page cache of ``mb`` MB for this connection (default 2 MB), so the bulk inserts
    find the unique indexes' pages in memory: it shortens the time the write lock is held."""
    if t.s.bind.dialect.name == "sqlite":
        t.s.execute(text(f"PRAGMA cache_size = -{int(mb) * 1024}"))


CHUNK = 500


def existing_values(t: Ctx, column, other, values: list) -> list[tuple]:
    """Rows (column[, other]) whose column is one of ``values``, queried in chunks; ``other`` may
    be a tuple of columns."""
    wanted = sorted(set(values))
    out: list[tuple] = []
    cols = (column,) if other is None else (column, *other) if isinstance(other, tuple) else (column, other)
    for i in range(0, len(wanted), CHUNK):
        out.extend(tuple(row) for row in t.s.execute(select(*cols).where(column.in_(wanted[i:i + CHUNK]))))
    return out


def no_extra_columns(row: Row) -> None:
    if row.extra:
        raise ValidationError("import_extra_cells", value=cell_shown(row.extra))


def cell_text(value: Cell) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "").strip()


def cell_yes_no(value: Cell, field: str) -> bool:
    text = cell_text(value).casefold()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise ValidationError("import_yes_no", field=field, value=cell_shown(value))


def cell_calendar(value: Cell, field: str) -> str:
    text = cell_text(value).casefold()
    if text in SOLAR_WORDS:
        return "solar"
    if text in LUNAR_WORDS:
        return "lunar"
    raise ValidationError("import_calendar", field=field, value=cell_shown(value))


def cell_birthday(value: Cell, calendar: str) -> members.Birthday | None:
    if isinstance(value, (date, datetime)):
        return members.parse_birthday(value, calendar=calendar)
    text = MIDNIGHT.sub("", cell_text(value))  # "1990-03-05 00:00:00" from a spreadsheet's CSV
    return members.parse_birthday(text or None, calendar=calendar)


def cell_amount(value: Cell, cfg: ShopSettings, field: str) -> int:
    text = cell_text(value)
    if not text:
        return 0
    return parse_amount(text, cfg.currency, field=field, allow_zero=True)


def cell_whole(value: Cell, field: str) -> int:
    text = cell_text(value)
    if not text:
        return 0
    number = whole_number(text)
    if number is None or number < 0:
        raise ValidationError("import_whole_number", field=field, value=cell_shown(value))
    if number > WHOLE_MAX:
        raise ValidationError("amount_absurd", field=field, value=cell_shown(value))
    return check_amount(number, field=field, allow_zero=True)


# Points above this are absurd (check_amount's own limit, 10 million x 100); a larger whole number
# is refused before it is computed ("1e999999" as an int would take minutes).
WHOLE_MAX = MAX_MAJOR * 100


def whole_number(text: str) -> int | None:
    """``text`` as a whole number ("12", "1,200", "1.0"), exactly; None when it is not one or not
    in a plain form (money.plain_number: no "1e3", "1_000" or "1,0,0"). A number far beyond any
    count comes back as ``WHOLE_MAX + 1`` (its sign kept) without being computed."""
    plain = plain_number(text)
    if plain is None:
        return None
    number = Decimal(plain)
    negative, significant, exp = decimal_digits(number)
    if not significant:
        return 0
    if exp < 0:
        return None
    if len(significant) + exp > len(str(WHOLE_MAX)):
        return -(WHOLE_MAX + 1) if negative else WHOLE_MAX + 1
    return int(significant) * 10 ** exp * (-1 if negative else 1)


def cell_shown(value: Cell) -> str:
    """A cell as an error message quotes it: cut when very long."""
    return quoted(cell_text(value))


def parse_datetime(value: Cell) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    match = DATE_TIME.match(cell_text(value))
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def cell_datetime(value: Cell, field: str) -> datetime:
    when = parse_datetime(value)
    if when is None:
        raise ValidationError("import_datetime", field=field, value=cell_shown(value))
    return when


def cell_any_date(value: Cell, field: str) -> date | None:
    """A date (an expiry: may be past or future); blank is None."""
    if not cell_text(value):
        return None
    when = parse_datetime(value)
    if when is None or when.time() != datetime.min.time():
        raise ValidationError("date_invalid", field=field, value=cell_shown(value))
    return when.date()


def cell_date(value: Cell, field: str, today: date) -> date | None:
    if not cell_text(value):
        return None
    when = parse_datetime(value)
    if when is None or when.time() != datetime.min.time():
        raise ValidationError("date_invalid", field=field, value=cell_shown(value))
    if when.date() > today:
        raise ValidationError("import_future", field=field, value=when.date().isoformat())
    return when.date()


class Bulk:
    """Many rows into one table: on SQLite straight to the driver's executemany (the statement
    built once, values already in SQLite's storage forms: :meth:`dt`, :meth:`day`), so a million
    rows cost no per-row SQLAlchemy work; elsewhere Core executemany (PostgreSQL batches it)."""

    def __init__(self, t: Ctx, table, columns: tuple[str, ...]) -> None:
        self.conn = t.s.connection()
        self.sqlite = t.s.bind.dialect.name == "sqlite"
        self.table, self.columns = table, columns
        self.sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                    if self.sqlite else None)

    def dt(self, value: datetime | None):
        """A datetime as SQLAlchemy's SQLite DateTime stores it (so it compares and reads back alike)."""
        if self.sqlite and value is not None:
            return value.isoformat(" ", "microseconds")
        return value

    def day(self, value: date | None):
        """A date as SQLAlchemy's SQLite Date stores it."""
        if self.sqlite and value is not None:
            return value.isoformat()
        return value

    def __call__(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.sqlite:
            self.conn.exec_driver_sql(self.sql, rows)
        else:
            cols = self.columns
            self.conn.execute(insert(self.table), [dict(zip(cols, r)) for r in rows])


class gc_paused:
    """Python's cycle collector off while an import builds its million small objects (it would
    walk all of them again and again, for nothing: they hold no cycles); reference counting still
    frees everything. Back on, as it was, when the import ends."""

    def __enter__(self) -> None:
        import gc

        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        import gc

        if self.was:
            gc.enable()
