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

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert

from app.errors import ImportFailed, ShopError, ValidationError
from app.models import Member, MemberTag, PointsEntry, WalletEntry
from app.services.admin.import_common import (
    CARD_MAX,
    MEMBER_COLUMNS,
    MEMBER_REQUIRED,
    SALES_COLUMNS,
    TAG_SPLIT,
    ImportReport,
    RejectedRow,
    big_cache,
    cell_amount,
    cell_birthday,
    cell_calendar,
    cell_date,
    cell_shown,
    cell_text,
    cell_whole,
    cell_yes_no,
    existing_values,
    no_extra_columns,
    points_expiry,
)
from app.services.admin.import_history import import_sales
from app.services.base import audit, permissions, phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.base.tabular import Row, Table, read_table
from app.services.ledger import ledger
from app.services.members import members, tiers

__all__ = ["MEMBER_COLUMNS", "SALES_COLUMNS", "ImportReport", "RejectedRow", "import_members", "import_sales",
           "points_expiry"]


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
        big_cache(t)
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
    ids = dict(existing_values(t, Member.phone, Member.id, [r.phone for r in good]))
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
        expires_on = points_expiry(cfg, now.date())
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

    no_extra_columns(row)

    name = members.clean_name(cell_text(row.get("name")))
    phone = phones.normalize(cell_text(row.get("phone")), cfg.region)
    card = members.clean_card(cell_text(row.get("card")))
    if card and len(card) > CARD_MAX:
        raise ValidationError("import_too_long", field=field("card"), value=cell_shown(card), max=CARD_MAX)
    gender = members.clean_gender(cell_text(row.get("gender")))
    calendar = cell_calendar(row.get("birthday_calendar"), field("birthday_calendar"))
    birthday = cell_birthday(row.get("birthday"), calendar)
    consent = cell_yes_no(row.get("consent"), field("consent"))
    balance = cell_amount(row.get("balance"), cfg, field("balance"))
    bonus = cell_amount(row.get("bonus"), cfg, field("bonus"))
    points = cell_whole(row.get("points"), field("points"))
    tags = tuple(members.clean_tags(TAG_SPLIT.split(cell_text(row.get("tags")))))
    join_date = cell_date(row.get("join_date"), field("join_date"), today)
    notes = members.clean_notes(cell_text(row.get("notes")))
    return _MemberRow(row.row_no, name, phone, card, gender, birthday, consent, balance, bonus, points,
                      tags, join_date, notes)


def _member_duplicates(t: Ctx, rows: list[_MemberRow]) -> tuple[list[_MemberRow], list[RejectedRow]]:
    """Drop rows whose phone or card repeats an earlier row or belongs to an existing member."""
    existing_phone = {p: n for p, n in existing_values(t, Member.phone, Member.name, [r.phone for r in rows])}
    existing_card = {c: n for c, n in existing_values(t, Member.card_no, Member.name, [r.card for r in rows if r.card])}
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
