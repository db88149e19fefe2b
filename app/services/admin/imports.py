"""Importing members and purchase history from CSV or XLSX files (``shopcare import ...``).

Both imports read the whole file first (``tabular.read_table``), validate EVERY row, and collect
each bad row with its reason, numbered as the user sees it in the file (the header is row 1).
Then, in ONE transaction:

- all or nothing: any bad row raises ``ImportFailed('import_rows', file, count, rows)`` (``rows`` is
  a tuple of :class:`RejectedRow`) and nothing is written;
- with ``skip_bad=True`` the good rows are imported and the bad ones come back in the report.

Members (``import_members``): columns in :data:`MEMBER_COLUMNS`; ``name`` and ``phone`` are
required. A phone already used by a member, or by an earlier row of the file, is a bad row (so is
a card number). Opening stored value becomes a wallet ``opening`` entry (paid principal =
``balance``, bonus = ``bonus``), opening points a points ``opening`` entry that expires by the
shop's points policy counted from the import date. ``consent`` yes/是 records consent to care AND
marketing texts with source ``import`` at the import time; no/blank records nothing.

Purchase history (``import_sales``): columns in :data:`SALES_COLUMNS`. Each row without a receipt
number becomes one sale (till ``IMP``, source ``import``) with one line and one payment of method
``other``. Rows sharing a receipt number are the lines of ONE sale (an old till's export has a row per
line item): one line per row in file order, the total is the sum of their amounts, paid by one
``other`` payment. They must agree on phone and datetime; each row that differs from the receipt's
first row is a bad row (``import_receipt_mismatch``), and a receipt with any bad row is left out as a
whole (with ``skip_bad`` its other rows come back as ``import_receipt_left_out``). An unknown phone
gets a new member named ``会员1234`` (``Member 1234`` when the shop language is English) who joined on
the day of their first imported purchase. The member's total spent, visits (one per sale), last visit
and tier follow; **no points are earned on imported history** (the sale's ``points_earned`` is 0 and
its lines are not points-eligible). Re-importing is safe: each sale carries a unique ``source_ref``
(``import:receipt:<receipt>``, or ``import:row:<sha256 of the row>:<n>`` where ``n`` counts identical
receipt-less rows in the file), and sales already imported are counted as skipped, a receipt once
however many rows it has. The report counts sales (``imported``, ``skipped``) and rows (``rejected``).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import bindparam, case, insert, or_, select, text, update

from app import i18n
from app.errors import ImportFailed, ShopError, ValidationError, quoted, render
from app.models import Member, MemberTag, PointsEntry, Product, Sale, SaleLine, Till, WalletEntry
from app.models import Payment as PaymentRow
from app.money import MAX_MAJOR, check_amount, decimal_digits, parse_amount, plain_number, round_half_up
from app.services.base import audit, permissions, phones
from app.services.ledger import ledger
from app.services.members import members, tiers
from app.services.sales import receipt_numbers
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.base.tabular import Cell, Row, Table, read_table

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
    "consent": ("consent", "同意短信"),                      # yes/no/y/n/1/0/true/false/是/否
    "card": ("card", "card_no", "卡号", "卡號"),
    "balance": ("balance", "余额", "餘額"),                  # major units: opening paid principal
    "bonus": ("bonus", "赠送余额", "贈送餘額"),              # major units: opening bonus
    "points": ("points", "积分", "積分"),                    # whole number >= 0
    "tags": ("tags", "标签", "標籤"),                        # separated by , ， 、 or ;
    "join_date": ("join_date", "入会日期", "入會日期"),      # YYYY-MM-DD (blank: the import date)
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

IMPORT_TILL = "IMP"
IMPORT_SKU = "IMPORT"
IMPORT_LINE_NAME = "Imported purchase"
QTY_MAX = 9999
CARD_MAX = 32
RECEIPT_MAX = 100  # "import:receipt:" + this fits sales.source_ref (128)

_YES = {"yes", "y", "1", "true", "t", "是", "同意", "√", "✓"}
_NO = {"no", "n", "0", "false", "f", "否", "不同意", "×", ""}
_SOLAR = {"solar", "公历", "阳历", "新历", ""}
_LUNAR = {"lunar", "农历", "阴历", "旧历"}
_TAG_SPLIT = re.compile(r"[,，、;；]")
_DATE_TIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
                        r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?)?$")
_MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")


# --- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RejectedRow:
    row_no: int            # as the user sees it in the file (header = row 1)
    reason_code: str       # an app.errors CATALOGUE code
    error: ShopError = field(compare=False, repr=False)

    @classmethod
    def of(cls, row_no: int, err: ShopError) -> RejectedRow:
        return cls(row_no, err.code, err)

    def text(self, lang: str) -> str:
        """Why the row was refused, in ``lang``."""
        return render(self.error, lang)

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


# --- members ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _MemberRow:
    row_no: int
    name: str
    phone: str
    card: str | None
    gender: str | None
    birthday: members.Birthday | None
    consent: bool
    balance: int
    bonus: int
    points: int
    tags: tuple[str, ...]
    join_date: date | None
    notes: str


def import_members(ctx: Ctx, path: str | Path, *, skip_bad: bool = False) -> ImportReport:
    """Import members from a CSV/XLSX file (see the module docstring for the rules).

    Every row is read and validated before the write transaction; under the write lock the import
    checks the phones and cards against the members there now and writes in bulk (Core
    executemany), so a till's checkout waits for seconds, not minutes."""
    permissions.require(ctx, "import")
    cfg = load_settings(ctx)
    table = read_table(path, MEMBER_COLUMNS, MEMBER_REQUIRED, region=cfg.region)
    today = ctx.today()
    parsed: list[_MemberRow] = []
    bad: list[RejectedRow] = []
    for row in table.rows:
        try:
            parsed.append(_parse_member(row, table, cfg, today))
        except ShopError as err:
            bad.append(RejectedRow.of(row.row_no, err))
    with ctx.tx() as t:
        _big_cache(t)
        good, dupes = _member_duplicates(t, parsed)
        rejected = sorted([*bad, *dupes], key=lambda r: r.row_no)
        if rejected and not skip_bad:
            raise ImportFailed("import_rows", file=table.file, count=len(rejected), rows=tuple(rejected))
        wallet_total, points_total = _write_members(t, good, table.file, cfg)
        audit.record(t, "import.members", "import", None, after={
            "file": table.file, "imported": len(good), "rejected": len(rejected),
            "rejected_rows": [r.row_no for r in rejected], "opening_wallet": wallet_total,
            "opening_points": points_total, "ignored_columns": list(table.ignored)})
        return ImportReport(imported=len(good), skipped=0, rejected=tuple(rejected), members_created=len(good))


def _write_members(t: Ctx, good: list[_MemberRow], file: str, cfg: ShopSettings) -> tuple[int, int]:
    """The members, their tags and their opening stored value and points, each table in one
    executemany: what ``members._insert`` and ``ledger.post_wallet`` / ``post_points`` write row by
    row (the same conditional balance updates). Returns (opening stored value, opening points)."""
    if not good:
        return 0, 0
    now = t.now()
    base = tiers.base_tier(t)
    rows = []
    for r in good:
        b = r.birthday
        rows.append({
            "name": r.name, "name_key": members.name_key(r.name), "phone": r.phone,
            "phone_last4": phones.last4(r.phone), "card_no": r.card, "gender": r.gender,
            "birthday_month": b.month if b else None, "birthday_day": b.day if b else None,
            "birth_year": b.year if b else None, "birthday_calendar": b.calendar if b else "solar",
            "birthday_leap_month": b.leap_month if b else False, "tier_id": base.id if base else None,
            "join_date": r.join_date or now.date(), "notes": r.notes or "", "created_at": now, "updated_at": now,
            "ebill_enabled": cfg.ebill_default, "wallet_principal": 0, "wallet_bonus": 0, "points_balance": 0,
            "total_spent": 0, "visits": 0,
            "consent_care": r.consent, "consent_care_at": now if r.consent else None,
            "consent_care_source": "import" if r.consent else None,
            "consent_marketing": r.consent, "consent_marketing_at": now if r.consent else None,
            "consent_marketing_source": "import" if r.consent else None})
    conn = t.s.connection()
    conn.execute(insert(Member.__table__), rows)
    ids = dict(_existing(t, Member.phone, Member.id, [r.phone for r in good]))
    tags = [{"member_id": ids[r.phone], "tag": tag} for r in good for tag in members.clean_tags(r.tags)]
    if tags:
        conn.execute(insert(MemberTag.__table__), tags)

    staff = t.actor.id
    wallet = [r for r in good if r.balance or r.bonus]
    if wallet:
        conn.execute(ledger._MOVE_WALLET, [{"b_id": ids[r.phone], "b_p": r.balance, "b_b": r.bonus} for r in wallet])
        conn.execute(insert(WalletEntry.__table__), [
            {"member_id": ids[r.phone], "kind": "opening", "principal": r.balance, "bonus": r.bonus, "sale_id": None,
             "topup_id": None, "staff_id": staff, "created_at": now,
             "note": f"opening balance imported from {file} row {r.row_no}"} for r in wallet])
    points = [r for r in good if r.points]
    if points:
        expires_on = _points_expiry(cfg, now.date())
        conn.execute(ledger._MOVE_POINTS, [{"b_id": ids[r.phone], "b_n": r.points} for r in points])
        conn.execute(insert(PointsEntry.__table__), [
            {"member_id": ids[r.phone], "kind": "opening", "points": r.points, "expires_on": expires_on,
             "sale_id": None, "staff_id": staff, "created_at": now,
             "note": f"opening balance imported from {file} row {r.row_no}"} for r in points])
    return sum(r.balance + r.bonus for r in wallet), sum(r.points for r in points)


def _parse_member(row: Row, table: Table, cfg: ShopSettings, today: date) -> _MemberRow:
    """One row, validated with the members service's own rules; the first fault raises."""
    def field(col: str) -> str:
        return table.headers.get(col, col)

    _no_extra(row)

    name = members.clean_name(_text(row.get("name")))
    phone = phones.normalize(_text(row.get("phone")), cfg.region)
    card = members.clean_card(_text(row.get("card")))
    if card and len(card) > CARD_MAX:
        raise ValidationError("import_too_long", field=field("card"), value=_shown(card), max=CARD_MAX)
    gender = members.clean_gender(_text(row.get("gender")))
    calendar = _calendar(row.get("birthday_calendar"), field("birthday_calendar"))
    birthday = _birthday(row.get("birthday"), calendar)
    consent = _yes_no(row.get("consent"), field("consent"))
    balance = _amount(row.get("balance"), cfg, field("balance"))
    bonus = _amount(row.get("bonus"), cfg, field("bonus"))
    points = _whole(row.get("points"), field("points"))
    tags = tuple(members.clean_tags(_TAG_SPLIT.split(_text(row.get("tags")))))
    join_date = _date(row.get("join_date"), field("join_date"), today)
    notes = members.clean_notes(_text(row.get("notes")))
    return _MemberRow(row.row_no, name, phone, card, gender, birthday, consent, balance, bonus, points,
                      tags, join_date, notes)


def _member_duplicates(t: Ctx, rows: list[_MemberRow]) -> tuple[list[_MemberRow], list[RejectedRow]]:
    """Drop rows whose phone or card repeats an earlier row or belongs to an existing member."""
    existing_phone = {p: n for p, n in _existing(t, Member.phone, Member.name, [r.phone for r in rows])}
    existing_card = {c: n for c, n in _existing(t, Member.card_no, Member.name, [r.card for r in rows if r.card])}
    first_phone: dict[str, int] = {}
    first_card: dict[str, int] = {}
    good: list[_MemberRow] = []
    bad: list[RejectedRow] = []
    for r in rows:
        err: ShopError | None = None
        if r.phone in first_phone:
            err = ValidationError("import_phone_repeated", phone=phones.mask(r.phone), row=first_phone[r.phone])
        elif r.phone in existing_phone:
            err = ValidationError("phone_duplicate", phone=phones.mask(r.phone), name=existing_phone[r.phone])
        elif r.card and r.card in first_card:
            err = ValidationError("import_card_repeated", card=r.card, row=first_card[r.card])
        elif r.card and r.card in existing_card:
            err = ValidationError("card_duplicate", card=r.card, name=existing_card[r.card])
        first_phone.setdefault(r.phone, r.row_no)
        if r.card:
            first_card.setdefault(r.card, r.row_no)
        if err is None:
            good.append(r)
        else:
            bad.append(RejectedRow.of(r.row_no, err))
    return good, bad


def _points_expiry(cfg: ShopSettings, today: date) -> date | None:
    """When opening points expire, by the points module's policy (None until that module exists)."""
    try:
        from app.services.ledger.points import expiry_date  # type: ignore[attr-defined]
    except ImportError:
        return None
    return expiry_date(cfg, today)


# --- sales history ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _SaleRow:
    row_no: int
    phone: str
    when: datetime
    amount: int
    sku: str
    qty: int
    receipt: str


@dataclass(frozen=True)
class _Sale:
    """One sale to write: a receipt-less row, or every row of one receipt (file order)."""
    ref: str
    rows: tuple[_SaleRow, ...]

    @property
    def first(self) -> _SaleRow:
        return self.rows[0]

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.rows)


def import_sales(ctx: Ctx, path: str | Path, *, skip_bad: bool = False) -> ImportReport:
    """Import purchase history from a CSV/XLSX file (see the module docstring for the rules).

    Everything that needs no write lock is done first: reading, validating and grouping every row,
    and finding the products. Only then does the one write transaction begin, and it writes in bulk
    (Core executemany, no per-row ORM flush), so a till's checkout waits for seconds, not minutes."""
    permissions.require(ctx, "import")
    cfg = load_settings(ctx)
    table = read_table(path, SALES_COLUMNS, SALES_REQUIRED, region=cfg.region)
    now = ctx.now()
    parsed: list[_SaleRow] = []
    bad: dict[int, RejectedRow] = {}
    for row in table.rows:
        try:
            parsed.append(_parse_sale(row, table, cfg, now))
        except ShopError as err:
            bad[row.row_no] = RejectedRow.of(row.row_no, err)
    sales, left_out = _group_sales(table, parsed, bad)
    if bad and not skip_bad:
        rows = tuple(sorted(bad.values(), key=lambda r: r.row_no))
        raise ImportFailed("import_rows", file=table.file, count=len(rows), rows=rows)
    rejected = sorted([*bad.values(), *left_out], key=lambda r: r.row_no)
    with ctx.tx(write=False) as t:
        products = _products(t, {r.sku for s in sales for r in s.rows if r.sku})

    with ctx.tx() as t:
        _big_cache(t)
        # What others may have changed meanwhile is read again under the lock: sales already
        # imported (a re-import racing this one) and the members the phones belong to.
        present = {ref for (ref,) in _existing(t, Sale.source_ref, None, [s.ref for s in sales])}
        todo = [s for s in sales if s.ref not in present]
        skipped = len(sales) - len(todo)
        member_ids, new_ids = _members_for(t, todo, cfg)
        created = len(new_ids)
        _write_sales(t, todo, member_ids, new_ids, products)
        total = sum(s.total for s in todo)
        audit.record(t, "import.sales", "import", None, after={
            "file": table.file, "imported": len(todo), "rows_imported": sum(len(s.rows) for s in todo),
            "skipped": skipped, "rejected": len(rejected), "rejected_rows": [r.row_no for r in rejected],
            "members_created": created, "amount": total, "ignored_columns": list(table.ignored)})
        return ImportReport(imported=len(todo), skipped=skipped, rejected=tuple(rejected), members_created=created)


def _parse_sale(row: Row, table: Table, cfg: ShopSettings, now: datetime) -> _SaleRow:
    def field(col: str) -> str:
        return table.headers.get(col, col)

    _no_extra(row)

    phone = phones.normalize(_text(row.get("phone")), cfg.region)
    when = _datetime(row.get("datetime"), field("datetime"))
    if when > now:
        raise ValidationError("import_future", field=field("datetime"), value=when.isoformat(sep=" "))
    amount = parse_amount(_text(row.get("amount")), cfg.currency, field=field("amount"))
    sku = _text(row.get("sku"))
    qty_text = _text(row.get("qty"))
    qty = _whole_number(qty_text) if qty_text else 1
    if qty is None or not 1 <= qty <= QTY_MAX:
        raise ValidationError("quantity_invalid", value=_shown(qty_text), max=QTY_MAX)
    receipt = _text(row.get("receipt"))
    if len(receipt) > RECEIPT_MAX:
        raise ValidationError("import_too_long", field=field("receipt"), value=_shown(receipt), max=RECEIPT_MAX)
    return _SaleRow(row.row_no, phone, when, amount, sku, qty, receipt)


def _group_sales(table: Table, parsed: list[_SaleRow],
                 bad: dict[int, RejectedRow]) -> tuple[list[_Sale], list[RejectedRow]]:
    """The sales the file holds, in file order, each with its idempotency key.

    Rows sharing a receipt number form one sale; a row whose phone or datetime differs from the
    receipt's first (readable) row is added to ``bad``. A receipt with any bad row (unreadable or
    differing) is left out whole: its other rows are returned as left out, for the skip_bad report.
    """
    # Grouped by the receipt as written, so an unreadable row still sinks its receipt.
    receipt_rows: dict[str, list[int]] = {}
    for row in table.rows:
        receipt = _text(row.get("receipt"))
        if receipt:
            receipt_rows.setdefault(receipt, []).append(row.row_no)
    readable: dict[str, list[_SaleRow]] = {}
    for r in parsed:
        if r.receipt:
            readable.setdefault(r.receipt, []).append(r)
    for receipt, rows in readable.items():
        head = rows[0]
        for r in rows[1:]:
            if r.phone != head.phone or r.when != head.when:
                bad[r.row_no] = RejectedRow.of(r.row_no, ValidationError(
                    "import_receipt_mismatch", receipt=receipt, row=head.row_no, phone=phones.mask(head.phone),
                    when=head.when.isoformat(sep=" ")))

    sales: list[_Sale] = []
    left_out: list[RejectedRow] = []
    seen_content: dict[str, int] = {}
    for r in parsed:
        if not r.receipt:
            if r.row_no in bad:
                continue
            content = row_digest(r.phone, r.when, r.amount, r.sku, r.qty)
            n = seen_content[content] = seen_content.get(content, 0) + 1
            sales.append(_Sale(f"import:row:{content}:{n}", (r,)))
            continue
        rows = readable[r.receipt]
        if r is not rows[0]:
            continue  # a later line of a receipt already handled
        bad_nos = [n for n in receipt_rows[r.receipt] if n in bad]
        if not bad_nos:
            sales.append(_Sale(f"import:receipt:{r.receipt}", tuple(rows)))
            continue
        for other in rows:
            if other.row_no not in bad:
                left_out.append(RejectedRow.of(other.row_no, ValidationError(
                    "import_receipt_left_out", receipt=r.receipt, rows=", ".join(map(str, bad_nos)))))
    return sales, left_out


def row_digest(phone: str, when: datetime, amount: int, sku: str, qty: int) -> str:
    """sha256 of a history row's normalised content (E.164 phone, datetime to the second, minor
    units, SKU as written, quantity): the same purchase typed differently hashes the same."""
    text = "|".join([phone, when.strftime("%Y-%m-%d %H:%M:%S"), str(amount), sku, str(qty)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _products(t: Ctx, skus: set[str]) -> dict[str, tuple[int, str, str]]:
    """SKU or barcode as written -> (product id, SKU, name); a SKU match wins over a barcode."""
    wanted = sorted(skus)
    found: dict[str, tuple[int, str, str]] = {}
    by_barcode: dict[str, tuple[int, str, str]] = {}
    for i in range(0, len(wanted), _CHUNK):
        part = wanted[i:i + _CHUNK]
        for pid, sku, barcode, name in t.s.execute(
                select(Product.id, Product.sku, Product.barcode, Product.name)
                .where(or_(Product.sku.in_(part), Product.barcode.in_(part))).order_by(Product.id)):
            found[sku] = (pid, sku, name)
            if barcode:
                by_barcode.setdefault(barcode, (pid, sku, name))
    return {code: found.get(code) or by_barcode[code] for code in wanted if code in found or code in by_barcode}


def _members_for(t: Ctx, todo: list[_Sale], cfg: ShopSettings) -> tuple[dict[str, int], set[int]]:
    """Phone -> member id for every sale to write; an unknown phone gets a new member (``会员1234``
    or ``Member 1234``) who joined on the day of their first imported purchase. Returns the map and
    the ids of the members created."""
    first_seen: dict[str, datetime] = {}
    for s in todo:
        when = first_seen.get(s.first.phone)
        if when is None or s.first.when < when:
            first_seen[s.first.phone] = s.first.when
    ids = {phone: mid for phone, mid in _existing(t, Member.phone, Member.id, list(first_seen))}
    new = sorted(set(first_seen) - set(ids))
    if new:
        base = tiers.base_tier(t)
        now = t.now()
        def label(p: str) -> str:
            return i18n.T_(cfg.language, "Member {last4}", last4=phones.last4(p))
        # What members._insert writes for a name, a phone and a join date, in one executemany.
        rows = [{"name": label(p), "name_key": members.name_key(label(p)),
                 "phone": p, "phone_last4": phones.last4(p), "tier_id": base.id if base else None,
                 "join_date": first_seen[p].date(), "notes": "", "created_at": now, "updated_at": now,
                 "ebill_enabled": cfg.ebill_default, "wallet_principal": 0, "wallet_bonus": 0, "points_balance": 0,
                 "total_spent": 0, "visits": 0, "birthday_calendar": "solar", "birthday_leap_month": False,
                 "consent_care": False, "consent_marketing": False} for p in new]
        t.s.connection().execute(insert(Member.__table__), rows)
        ids.update({phone: mid for phone, mid in _existing(t, Member.phone, Member.id, new)})
    return ids, {ids[p] for p in new}


def _write_sales(t: Ctx, todo: list[_Sale], member_ids: dict[str, int], new_ids: set[int],
                 products: dict[str, tuple[int, str, str]]) -> None:
    """Every sale with a line per row and one ``other`` payment for its total, then the members'
    totals, visits, last visit and tier; each table in one executemany."""
    if not todo:
        return
    seq0 = _reserve_receipts(t, len(todo))
    actor = t.actor.id
    sale_rows = []
    for n, sale in enumerate(todo):
        first, total = sale.first, sale.total
        note = f"imported receipt {first.receipt}" if first.receipt else "imported"
        unknown = list(dict.fromkeys(r.sku for r in sale.rows if r.sku and r.sku not in products))
        if unknown:
            note += "; sku " + ", ".join(unknown)
        seq = seq0 + n
        sale_rows.append({"receipt_no": f"{IMPORT_TILL}-{seq:06d}", "till": IMPORT_TILL, "seq": seq, "kind": "sale",
                          "source": "import", "source_ref": sale.ref, "staff_id": actor,
                          "member_id": member_ids[first.phone], "created_at": first.when, "subtotal": total,
                          "tier_discount": 0, "manual_discount": 0, "total": total, "change_given": 0,
                          "points_earned": 0, "note": note})
    t.s.connection().execute(insert(Sale.__table__), sale_rows)
    sale_ids = dict(t.s.execute(select(Sale.seq, Sale.id).where(Sale.till == IMPORT_TILL, Sale.seq >= seq0,
                                                                 Sale.seq < seq0 + len(todo))).all())
    lines, payments = [], []
    for n, sale in enumerate(todo):
        sid = sale_ids[seq0 + n]
        for line_no, r in enumerate(sale.rows, start=1):
            pid, sku, name = products.get(r.sku) or (None, IMPORT_SKU, IMPORT_LINE_NAME)
            lines.append({"sale_id": sid, "line_no": line_no, "product_id": pid, "sku": sku, "name": name,
                          "qty": r.qty, "unit_price": round_half_up(r.amount, r.qty),  # the line total is the truth
                          "price_overridden": False, "tier_discount": 0, "manual_discount": 0,
                          "line_total": r.amount, "points_eligible": False})
        # payments.reference is 64 characters; the full receipt number is in the source_ref and note.
        payments.append({"sale_id": sid, "method": "other", "amount": sale.total,
                         "reference": sale.first.receipt[:64] or "import"})
    t.s.connection().execute(insert(SaleLine.__table__), lines)
    t.s.connection().execute(insert(PaymentRow.__table__), payments)
    _member_totals(t, todo, member_ids, new_ids)


def _reserve_receipts(t: Ctx, count: int) -> int:
    """Take ``count`` consecutive receipt numbers of the import till; returns the first."""
    _, first = receipt_numbers.next_number(t, till=IMPORT_TILL)
    till = Till.__table__
    t.s.execute(update(till).where(till.c.code == IMPORT_TILL)
                .values(last_receipt_seq=till.c.last_receipt_seq + (count - 1)))
    return first


def _member_totals(t: Ctx, todo: list[_Sale], member_ids: dict[str, int], new_ids: set[int]) -> None:
    """Each member's total spent, visits (one per sale) and last visit follow; then the tier goes up
    as ``tiers.after_sale`` would take it after these sales one by one (upgrades only: by spend, or
    the VIP rule: one purchase, or a calendar month's spend with the sales already there)."""
    per: dict[int, dict] = {}
    for s in todo:
        mid = member_ids[s.first.phone]
        p = per.setdefault(mid, {"b_id": mid, "b_total": 0, "b_visits": 0, "b_last": s.first.when, "big": 0,
                                 "months": {}})
        p["b_total"] += s.total
        p["b_visits"] += 1
        p["b_last"] = max(p["b_last"], s.first.when)
        p["big"] = max(p["big"], s.total)
        month = (s.first.when.year, s.first.when.month)
        p["months"][month] = p["months"].get(month, 0) + s.total
    m = Member.__table__
    last = bindparam("b_last")
    t.s.connection().execute(
        update(m).where(m.c.id == bindparam("b_id")).values(
            total_spent=m.c.total_spent + bindparam("b_total"), visits=m.c.visits + bindparam("b_visits"),
            last_visit_at=case((or_(m.c.last_visit_at.is_(None), m.c.last_visit_at < last), last),
                               else_=m.c.last_visit_at),
            updated_at=bindparam("b_now")),
        [{"b_id": p["b_id"], "b_total": p["b_total"], "b_visits": p["b_visits"], "b_last": p["b_last"],
          "b_now": t.now()} for p in per.values()])

    cfg = load_settings(t)
    ladder = tiers.all_tiers(t)
    rank = {tier.id: tier.rank for tier in ladder}
    vip = next((x for x in ladder if x.code == cfg.vip_tier), None)
    state = {mid: (spent, tier_id) for mid, spent, tier_id in _existing(t, Member.id, (Member.total_spent, Member.tier_id),
                                                                         list(per))}
    # A member created by this import has only these sales; the others' months are read back.
    months = {(mid, y, mo): amount for mid in new_ids for (y, mo), amount in per[mid]["months"].items()}
    if vip is not None and cfg.vip_month_spend:
        # Only members who could reach it: a month's spend is part of the total spent.
        maybe = [mid for mid, p in per.items() if mid not in new_ids and state[mid][0] >= cfg.vip_month_spend
                 and not (cfg.vip_single_purchase and p["big"] >= cfg.vip_single_purchase)]
        for mid, when, amount in _existing(t, Sale.member_id, (Sale.created_at, Sale.total), maybe):
            if (when.year, when.month) in per[mid]["months"]:
                key = (mid, when.year, when.month)
                months[key] = months.get(key, 0) + amount
    raised = []
    for mid, p in per.items():
        spent, current = state[mid]
        target = tiers._by_spend(ladder, spent)
        if vip is not None and ((cfg.vip_single_purchase and p["big"] >= cfg.vip_single_purchase)
                                or (cfg.vip_month_spend and any(months.get((mid, y, mo), 0) >= cfg.vip_month_spend
                                                                for y, mo in p["months"]))):
            if target is None or vip.rank > target.rank:
                target = vip
        if target is not None and target.rank > rank.get(current, 0):
            raised.append({"b_id": mid, "b_tier": target.id})
    if raised:
        t.s.connection().execute(update(m).where(m.c.id == bindparam("b_id")).values(tier_id=bindparam("b_tier")),
                                 raised)


# --- shared helpers ---------------------------------------------------------------------------
def _big_cache(t: Ctx) -> None:
    """SQLite: a 64 MB page cache for this connection (default 2 MB), so the bulk inserts find the
    unique indexes' pages in memory: it shortens the time the write lock is held."""
    if t.s.bind.dialect.name == "sqlite":
        t.s.execute(text("PRAGMA cache_size = -65536"))


_CHUNK = 500


def _existing(t: Ctx, column, other, values: list) -> list[tuple]:
    """Rows (column[, other]) whose column is one of ``values``, queried in chunks; ``other`` may
    be a tuple of columns."""
    wanted = sorted(set(values))
    out: list[tuple] = []
    cols = (column,) if other is None else (column, *other) if isinstance(other, tuple) else (column, other)
    for i in range(0, len(wanted), _CHUNK):
        out.extend(tuple(row) for row in t.s.execute(select(*cols).where(column.in_(wanted[i:i + _CHUNK]))))
    return out


def _no_extra(row: Row) -> None:
    if row.extra:
        raise ValidationError("import_extra_cells", value=_shown(row.extra))


def _text(value: Cell) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "").strip()


def _yes_no(value: Cell, field: str) -> bool:
    text = _text(value).casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValidationError("import_yes_no", field=field, value=_shown(value))


def _calendar(value: Cell, field: str) -> str:
    text = _text(value).casefold()
    if text in _SOLAR:
        return "solar"
    if text in _LUNAR:
        return "lunar"
    raise ValidationError("import_calendar", field=field, value=_shown(value))


def _birthday(value: Cell, calendar: str) -> members.Birthday | None:
    if isinstance(value, (date, datetime)):
        return members.parse_birthday(value, calendar=calendar)
    text = _MIDNIGHT.sub("", _text(value))  # "1990-03-05 00:00:00" from a spreadsheet's CSV
    return members.parse_birthday(text or None, calendar=calendar)


def _amount(value: Cell, cfg: ShopSettings, field: str) -> int:
    text = _text(value)
    if not text:
        return 0
    return parse_amount(text, cfg.currency, field=field, allow_zero=True)


def _whole(value: Cell, field: str) -> int:
    text = _text(value)
    if not text:
        return 0
    number = _whole_number(text)
    if number is None or number < 0:
        raise ValidationError("import_whole_number", field=field, value=_shown(value))
    if number > _WHOLE_MAX:
        raise ValidationError("amount_absurd", field=field, value=_shown(value))
    return check_amount(number, field=field, allow_zero=True)


# Points above this are absurd (check_amount's own limit, 10 million x 100); a larger whole number
# is refused before it is computed ("1e999999" as an int would take minutes).
_WHOLE_MAX = MAX_MAJOR * 100


def _whole_number(text: str) -> int | None:
    """``text`` as a whole number ("12", "1,200", "1.0"), exactly; None when it is not one or not
    in a plain form (money.plain_number: no "1e3", "1_000" or "1,0,0"). A number far beyond any
    count comes back as ``_WHOLE_MAX + 1`` (its sign kept) without being computed."""
    plain = plain_number(text)
    if plain is None:
        return None
    number = Decimal(plain)
    negative, significant, exp = decimal_digits(number)
    if not significant:
        return 0
    if exp < 0:
        return None
    if len(significant) + exp > len(str(_WHOLE_MAX)):
        return -(_WHOLE_MAX + 1) if negative else _WHOLE_MAX + 1
    return int(significant) * 10 ** exp * (-1 if negative else 1)


def _shown(value: Cell) -> str:
    """A cell as an error message quotes it: cut when very long."""
    return quoted(_text(value))


def _parse_dt(value: Cell) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    match = _DATE_TIME.match(_text(value))
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def _datetime(value: Cell, field: str) -> datetime:
    when = _parse_dt(value)
    if when is None:
        raise ValidationError("import_datetime", field=field, value=_shown(value))
    return when


def _date(value: Cell, field: str, today: date) -> date | None:
    if not _text(value):
        return None
    when = _parse_dt(value)
    if when is None or when.time() != datetime.min.time():
        raise ValidationError("date_invalid", field=field, value=_shown(value))
    if when.date() > today:
        raise ValidationError("import_future", field=field, value=when.date().isoformat())
    return when.date()
