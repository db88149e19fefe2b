"""Importing members and purchase history from CSV or XLSX files (``shopcare import ...``, and the
app's import wizard through ``import_run``).

Both imports stream their file (``tabular.stream_table``): a first pass reads and checks EVERY row,
keeping only compact values per row, and collects each bad row with EVERY problem it has, numbered
as the user sees it in the file (the header is row 1). Then, in ONE transaction (an import batch,
``import_batches.begin``/``finish``; every row written carries its ``import_batch_id``):

- all or nothing: any bad row raises ``ImportFailed('import_rows', file, count, rows)`` (``rows`` is
  a tuple of :class:`RejectedRow`) and nothing is written;
- with ``skip_bad=True`` the good rows are imported and the bad ones come back in the report;
- ``dry_run=True`` (``import_run.preview``) reads, checks and reports the same, with the first
  rows as they will be stored, and writes nothing;
- ``progress(done, total)`` every ~2,000 rows; ``cancel()`` True rolls everything back
  (``ImportFailed('import_cancelled')``).

Members (``import_members``): columns in :data:`MEMBER_COLUMNS`; ``name`` and ``phone`` are
required. A phone already used by a member, or by an earlier row of the file, is a bad row (so is
a card number), unless ``update=True``: then a member matched by phone (else by card number) is
updated with the row's non-blank values, every change listed in the report (``changes``) and the
values before kept in ``import_changes`` for an undo. Opening stored value becomes a wallet
``opening`` entry (paid principal = ``balance``, bonus = ``bonus``), opening points a points
``opening`` entry expiring on ``points_expiry`` (else by the shop's points policy counted from the
import date), an opening count card (``count_card`` = a service or count-card package by SKU or
name, ``uses_left``, ``count_card_expiry``) a card with an ``opening`` entry; on an update these are
ADDED to what the member has, by ledger entries. ``tier`` names a tier by code or name. ``consent``
yes/是 records consent to care texts with source ``import`` at the import time; marketing texts
need their own ``marketing_consent`` column, or ``marketing_consent=True`` (the owner's explicit
choice) to read ``consent`` as covering them too; no/blank records nothing.

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

import heapq
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update

from app import i18n
from app.errors import ImportFailed, ShopError, ValidationError
from app.models import CountCard, CountCardEntry, Member, MemberTag, PointsEntry, Product, WalletEntry
from app.money import MAX_BALANCE, MAX_CARD_USES, MAX_POINTS_BALANCE
from app.services.admin import import_batches
from app.services.admin.import_common import (
    CARD_MAX,
    MEMBER_COLUMNS,
    MEMBER_REQUIRED,
    PREVIEW_ROWS,
    SALES_COLUMNS,
    TAG_SPLIT,
    CardPreview,
    FieldChange,
    ImportReport,
    MemberChange,
    MemberPreview,
    Bulk,
    PhoneReader,
    RejectedRow,
    Ticker,
    big_cache,
    cell_amount,
    cell_any_date,
    cell_birthday,
    cell_calendar,
    cell_date,
    cell_shown,
    cell_text,
    cell_whole,
    cell_yes_no,
    classifier,
    existing_values,
    gc_paused,
    import_lock,
    phone_shown,
    points_expiry,
)
from app.services.admin.import_history import import_sales
from app.services.base import audit, permissions, phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.base.tabular import Row, stream_table
from app.services.ledger import ledger
from app.services.members import members, tiers

__all__ = ["MEMBER_COLUMNS", "SALES_COLUMNS", "ImportReport", "RejectedRow", "import_members", "import_sales",
           "points_expiry"]

WRITE_CHUNK = 2000   # rows per executemany: progress and cancel between them


# --- members ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _MemberRow:
    row_no: int
    name: str
    phone: str
    card: str | None
    gender: str | None
    birthday: members.Birthday | None
    care: bool | None          # None: blank (nothing recorded, nothing changed)
    marketing: bool | None
    balance: int
    bonus: int
    points: int
    points_expiry: date | None
    tags: tuple[str, ...]
    join_date: date | None
    notes: str
    tier_id: int | None
    card_product: tuple[int, int, int | None, str] | None   # (product id, service id, package uses, name)
    uses_left: int
    card_expiry: date | None


class _Lookups:
    """What a row is checked against that the file does not hold: the tiers and the services."""

    def __init__(self, t: Ctx) -> None:
        ladder = tiers.all_tiers(t)
        self.tier_names = {tier.id: i18n.pick(None, tier.name_en, tier.name_zh, context="tier") or tier.code
                           for tier in ladder}
        self.tiers: dict[str, int] = {}
        for tier in ladder:
            names = {tier.code, tier.name_en, tier.name_zh}
            names |= {i18n.pick(lang, tier.name_en, tier.name_zh, context="tier") for lang in i18n.LANGUAGES}
            for n in names:
                if n:
                    self.tiers.setdefault(n.strip().casefold(), tier.id)
        self.tier_list = ", ".join(self.tier_names.values()) or "-"
        self.products: dict[str, tuple[int, int, int | None, str]] = {}
        p = Product.__table__
        rows = t.s.execute(select(p.c.id, p.c.sku, p.c.name, p.c.kind, p.c.card_uses, p.c.card_service_id)
                           .where(p.c.kind.in_(("service", "count_card"))).order_by(p.c.id)).all()
        for pid, sku, name, kind, uses, service in rows:
            if kind == "count_card":
                if service is None or not uses:
                    continue
                entry = (pid, service, uses, name)
            else:
                entry = (pid, pid, None, name)
            self.products.setdefault(sku.casefold(), entry)
        for pid, sku, name, kind, uses, service in rows:   # a SKU wins over a name
            entry = self.products.get(sku.casefold())
            if entry is not None and entry[0] == pid:
                self.products.setdefault(name.strip().casefold(), entry)
        self.valid_days = {pid: days for pid, days in t.s.execute(
            select(p.c.id, p.c.card_valid_days).where(p.c.kind == "count_card"))}


def import_members(ctx: Ctx, path: str | Path, *, skip_bad: bool = False, update: bool = False,
                   marketing_consent: bool = False, sheet: str | None = None, mapping=None,
                   dry_run: bool = False, progress=None, cancel=None,
                   preview_rows: int = PREVIEW_ROWS) -> ImportReport:
    """Import members from a CSV/XLSX file (see the module docstring for the rules).

    The cycle collector is paused meanwhile (``gc_paused``).

    Every row is read and validated before the write transaction; under the write lock the import
    checks the phones and cards against the members there now and writes in bulk (Core
    executemany), so a till's checkout waits for seconds, not minutes."""
    with gc_paused():
        return _import_members(ctx, path, skip_bad=skip_bad, update=update, marketing_consent=marketing_consent,
                               sheet=sheet, mapping=mapping, dry_run=dry_run, progress=progress, cancel=cancel,
                               preview_rows=preview_rows)


def _import_members(ctx: Ctx, path, *, skip_bad: bool, update: bool, marketing_consent: bool, sheet, mapping,
                    dry_run: bool, progress, cancel, preview_rows: int) -> ImportReport:
    permissions.require(ctx, "import")
    cfg = load_settings(ctx)
    with ctx.tx(write=False) as t:
        look = _Lookups(t)
    today = ctx.today()
    phone_of = PhoneReader(cfg.region)
    memo = _Memo()
    parsed: list[_MemberRow] = []
    bad: dict[int, list[ShopError]] = {}
    bad_keys: list[tuple[int, str | None, str | None]] = []   # a bad row's (row no, phone, card), for repeats
    rows = 0
    with stream_table(path, MEMBER_COLUMNS, MEMBER_REQUIRED, region=cfg.region, sheet=sheet,
                      classify=classifier(mapping)) as table:
        ticker = Ticker(progress, cancel, table.estimate)
        headers = table.headers
        has_marketing = "marketing_consent" in headers
        for row in table.rows():
            rec, errs, phone, card = _parse_member(row, headers, cfg, today, look, phone_of,
                                                   marketing_consent and not has_marketing, memo)
            rows += 1
            if errs:
                bad[row.row_no] = errs
                bad_keys.append((row.row_no, phone, card))
            else:
                parsed.append(rec)
            ticker.tick()
        file, ignored = table.file, table.ignored
    ticker.rows_known(rows)
    ticker.done = rows

    def keys():
        """Every row's (row no, phone, card), in file order (good rows' from their records)."""
        return heapq.merge(((r.row_no, r.phone, r.card) for r in parsed), bad_keys)

    ticker.check()

    with ctx.tx(write=not dry_run) as t:
        if not dry_run:
            import_lock(t)
            big_cache(t)
        matched = _member_duplicates(t, keys, bad, update, look)
        rejected = sorted((RejectedRow.many(n, errs) for n, errs in bad.items()), key=lambda r: r.row_no)
        good = [r for r in parsed if r.row_no not in bad]
        if rejected and not skip_bad and not dry_run:
            raise ImportFailed("import_rows", file=file, count=len(rejected), rows=tuple(rejected))
        existing = _existing_members(t, [mid for mid in matched.values()])
        changes, before, new_values = _member_changes(good, matched, existing, look, t.now())
        new_rows = [r for r in good if r.row_no not in matched]
        cards = sum(1 for r in good if r.card_product)
        preview = tuple(_preview(r, matched, existing, changes, look, cfg, today) for r in good[:preview_rows])
        change_list = tuple(changes[r.row_no] for r in good if r.row_no in changes and changes[r.row_no].fields)
        if dry_run:
            ticker.end()
            return ImportReport(imported=len(good), skipped=0, rejected=tuple(rejected), members_created=len(new_rows),
                                members_updated=len(good) - len(new_rows), count_cards=cards, rows=rows,
                                dry_run=True, preview=preview, changes=change_list)
        batch = import_batches.begin(t, "members", path)
        import_batches.remember(t, batch, "members", [(mid, before[mid]) for mid in sorted(before)])
        ids = _write_members(t, new_rows, batch, cfg, ticker)
        _update_members(t, good, matched, changes, new_values, t.now())
        ids.update({r.phone: matched[r.row_no] for r in good if r.row_no in matched})
        wallet_total, points_total = _write_openings(t, good, ids, set(matched), batch, file, cfg, look, ticker)
        counts = {"rows": rows, "imported": len(good), "created": len(new_rows),
                  "updated": len(good) - len(new_rows), "rejected": len(rejected), "count_cards": cards,
                  "opening_wallet": wallet_total, "opening_points": points_total}
        import_batches.finish(t, batch, counts)
        audit.record(t, "import.members", "import", None, after={
            "file": file, "batch": batch, "imported": len(good), "updated": len(good) - len(new_rows),
            "rejected": len(rejected), "rejected_rows": [r.row_no for r in rejected][:1000],
            "opening_wallet": wallet_total, "opening_points": points_total, "count_cards": cards,
            "ignored_columns": list(ignored)})
        ticker.end()
        return ImportReport(imported=len(good), skipped=0, rejected=tuple(rejected), members_created=len(new_rows),
                            members_updated=len(good) - len(new_rows), count_cards=cards, rows=rows,
                            batch_id=batch, preview=preview, changes=change_list)


class _Memo:
    """Cells that repeat across a file (birthdays, dates, yes/no) read once: value or the error."""

    def __init__(self) -> None:
        self.known: dict[tuple, object] = {}

    def __call__(self, fn, *args):
        key = (fn, *args)
        got = self.known.get(key, _MISSING)
        if got is _MISSING:
            try:
                got = fn(*args)
            except ShopError as err:
                got = err
            if len(self.known) < 200_000:
                self.known[key] = got
        if isinstance(got, ShopError):
            raise got
        return got


_MISSING = object()


def _parse_member(row: Row, headers, cfg: ShopSettings, today: date, look: _Lookups, phone_of,
                  consent_covers_marketing: bool, memo: _Memo):
    """One row, checked cell by cell with the members service's own rules: (record or None, every
    problem, phone or None, card or None). Blank cells are not read at all."""
    errs: list[ShopError] = []
    values = row.values

    def text(col: str) -> str:
        v = values.get(col, "")
        return v if type(v) is str else cell_text(v)

    def read(fn, *args, default=None):
        try:
            return fn(*args)
        except ShopError as err:
            errs.append(err)
            return default

    if row.extra:
        errs.append(ValidationError("import_extra_cells", value=cell_shown(row.extra)))
    name = read(members.clean_name, text("name"))
    phone = read(phone_of, text("phone"))
    card = None
    raw = text("card")
    if raw:
        card = read(members.clean_card, raw)
        if card and len(card) > CARD_MAX:
            errs.append(ValidationError("import_too_long", field=headers["card"], value=cell_shown(card),
                                        max=CARD_MAX))
            card = None
    raw = text("gender")
    gender = read(memo, members.clean_gender, raw) if raw else None
    birthday = None
    raw = values.get("birthday", "")
    if raw:
        raw_cal = text("birthday_calendar")
        calendar = read(memo, cell_calendar, raw_cal, headers.get("birthday_calendar", "")) if raw_cal else "solar"
        birthday = read(memo, cell_birthday, raw, calendar or "solar")
    elif text("birthday_calendar"):
        read(memo, cell_calendar, text("birthday_calendar"), headers["birthday_calendar"])
    raw = text("consent")
    care = read(memo, cell_yes_no, raw, headers["consent"]) if raw else None
    raw = text("marketing_consent")
    marketing = read(memo, cell_yes_no, raw, headers["marketing_consent"]) if raw else None
    if marketing is None and consent_covers_marketing:
        marketing = care
    raw = text("balance")
    balance = read(cell_amount, raw, cfg, headers["balance"], default=0) if raw else 0
    raw = text("bonus")
    bonus = read(cell_amount, raw, cfg, headers["bonus"], default=0) if raw else 0
    raw = text("points")
    points = read(cell_whole, raw, headers["points"], default=0) if raw else 0
    for col, value, most in (("balance", balance, MAX_BALANCE), ("bonus", bonus, MAX_BALANCE),
                             ("points", points, MAX_POINTS_BALANCE)):
        if value > most:
            errs.append(ValidationError("amount_absurd", field=headers[col], value=cell_shown(text(col))))
    raw = values.get("points_expiry", "")
    expiry = read(memo, cell_any_date, raw, headers["points_expiry"]) if raw else None
    raw = text("tags")
    tags = tuple(read(members.clean_tags, TAG_SPLIT.split(raw)) or ()) if raw else ()
    raw = values.get("join_date", "")
    join_date = read(memo, cell_date, raw, headers["join_date"], today) if raw else None
    raw = text("notes")
    notes = read(members.clean_notes, raw, default="") if raw else ""
    tier_id = None
    raw = text("tier")
    if raw:
        tier_id = look.tiers.get(raw.casefold())
        if tier_id is None:
            errs.append(ValidationError("import_tier_unknown", field=headers["tier"], value=cell_shown(raw),
                                        tiers=look.tier_list))
    card_text = text("count_card")
    uses_text = text("uses_left")
    uses = read(cell_whole, uses_text, headers["uses_left"], default=0) if uses_text else 0
    raw = values.get("count_card_expiry", "")
    card_expiry = read(memo, cell_any_date, raw, headers["count_card_expiry"]) if raw else None
    card_product = None
    if card_text:
        card_product = look.products.get(card_text.casefold())
        if card_product is None:
            errs.append(ValidationError("import_service_unknown", field=headers["count_card"],
                                        value=cell_shown(card_text)))
        if not uses:
            if not uses_text or uses == 0:
                errs.append(ValidationError("import_uses_missing", field=headers.get("uses_left", "uses_left")))
        elif card_product is not None and card_product[2] is not None and uses > card_product[2]:
            errs.append(ValidationError("import_uses_over", field=headers["uses_left"], uses=uses,
                                        name=card_product[3], total=card_product[2]))
    elif uses:
        errs.append(ValidationError("import_uses_no_card", field=headers["uses_left"]))
    if uses > MAX_CARD_USES:
        errs.append(ValidationError("amount_absurd", field=headers["uses_left"], value=cell_shown(uses_text)))
    if errs:
        return None, errs, phone, card
    return (_MemberRow(row.row_no, name, phone, card, gender, birthday, care, marketing, balance, bonus, points,
                       expiry, tags, join_date, notes, tier_id, card_product, uses, card_expiry), errs, phone, card)


def _member_duplicates(t: Ctx, keys, bad: dict[int, list[ShopError]], update: bool,
                       look: _Lookups) -> dict[int, int]:
    """Add to ``bad`` the rows whose phone or card repeats an earlier row, or belongs to an existing
    member (unless ``update``: then returns row number -> the member it updates)."""
    m = Member.__table__
    existing_phone = {p: (mid, n) for p, mid, n in existing_values(
        t, m.c.phone, (m.c.id, m.c.name), [p for _, p, _ in keys() if p])}
    existing_card = {c: (mid, n) for c, mid, n in existing_values(
        t, m.c.card_no, (m.c.id, m.c.name), [c for _, _, c in keys() if c])}
    first_phone: dict[str, int] = {}
    first_card: dict[str, int] = {}
    matched: dict[int, int] = {}
    updated_by: dict[int, int] = {}    # member id -> the row that updates it
    for row_no, phone, card in keys():
        errs: list[ShopError] = []
        by_phone = existing_phone.get(phone) if phone else None
        by_card = existing_card.get(card) if card else None
        if phone and phone in first_phone:
            errs.append(ValidationError("import_phone_repeated", phone=phones.mask(phone), row=first_phone[phone]))
        elif by_phone and not update:
            errs.append(ValidationError("phone_duplicate", phone=phones.mask(phone), name=by_phone[1]))
        if card and card in first_card:
            errs.append(ValidationError("import_card_repeated", card=card, row=first_card[card]))
        elif by_card and not update:
            if not (by_phone and by_phone[0] == by_card[0]):   # one problem said once: the phone's
                errs.append(ValidationError("card_duplicate", card=card, name=by_card[1]))
        elif update and by_phone and by_card and by_phone[0] != by_card[0]:
            errs.append(ValidationError("import_member_two", phone=phones.mask(phone), name=by_phone[1], card=card,
                                        other=by_card[1]))
        if phone:
            first_phone.setdefault(phone, row_no)
        if card:
            first_card.setdefault(card, row_no)
        target = (by_phone or by_card) if update else None
        if not errs and target is not None:
            if target[0] in updated_by:
                errs.append(ValidationError("import_same_member", row=updated_by[target[0]], name=target[1]))
            else:
                updated_by[target[0]] = row_no
        if errs:
            bad.setdefault(row_no, []).extend(errs)
        elif target is not None:
            matched[row_no] = target[0]
    return matched


_KEEP = ("name", "phone", "card_no", "gender", "birthday_month", "birthday_day", "birth_year", "birthday_calendar",
         "birthday_leap_month", "notes", "join_date", "tier_id", "consent_care", "consent_care_at",
         "consent_care_source", "consent_marketing", "consent_marketing_at", "consent_marketing_source")
_BEFORE = (*_KEEP, "name_key", "phone_last4", "wallet_principal", "wallet_bonus", "points_balance", "updated_at")


def _existing_members(t: Ctx, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    m = Member.__table__
    cols = [m.c[c] for c in _BEFORE]
    out: dict[int, dict] = {}
    for row in existing_values(t, m.c.id, tuple(cols), ids):
        out[row[0]] = dict(zip(_BEFORE, row[1:]))
    return out


def _birthday_text(month, day, year, calendar, leap) -> str:
    if not month:
        return ""
    return str(members.Birthday(month, day, year, calendar or "solar", bool(leap)))


def _member_changes(good: list[_MemberRow], matched: dict[int, int], existing: dict[int, dict], look: _Lookups,
                    now) -> tuple[dict[int, MemberChange], dict[int, dict], dict[int, dict]]:
    """Per updated row: what is shown as changing; per member: the columns' values before (for
    import_changes); per updated row: the new column values."""
    changes: dict[int, MemberChange] = {}
    before: dict[int, dict] = {}
    new_values: dict[int, dict] = {}
    for r in good:
        mid = matched.get(r.row_no)
        if mid is None:
            continue
        old = existing[mid]
        new = _new_values(r, old, now)
        shown: list[FieldChange] = []

        def diff(field: str, a, b) -> None:
            if a != b:
                shown.append(FieldChange(field, "" if a is None else str(a), "" if b is None else str(b)))

        diff("name", old["name"], new["name"])
        diff("phone", phones.mask(old["phone"]) if old["phone"] else "", phones.mask(new["phone"]))
        diff("card", old["card_no"], new["card_no"])
        diff("gender", old["gender"], new["gender"])
        diff("birthday", _birthday_text(old["birthday_month"], old["birthday_day"], old["birth_year"],
                                        old["birthday_calendar"], old["birthday_leap_month"]),
             _birthday_text(new["birthday_month"], new["birthday_day"], new["birth_year"], new["birthday_calendar"],
                            new["birthday_leap_month"]))
        diff("notes", old["notes"], new["notes"])
        diff("join_date", old["join_date"], new["join_date"])
        diff("tier", look.tier_names.get(old["tier_id"], ""), look.tier_names.get(new["tier_id"], ""))
        diff("consent", _yes(old["consent_care"]), _yes(new["consent_care"]))
        diff("marketing_consent", _yes(old["consent_marketing"]), _yes(new["consent_marketing"]))
        if r.balance or r.bonus:
            diff("balance", old["wallet_principal"] + old["wallet_bonus"],
                 old["wallet_principal"] + old["wallet_bonus"] + r.balance + r.bonus)
        if r.points:
            diff("points", old["points_balance"], old["points_balance"] + r.points)
        if r.card_product:
            shown.append(FieldChange("count_card", "", f"{r.card_product[3]} x{r.uses_left}"))
        changes[r.row_no] = MemberChange(r.row_no, mid, new["name"], tuple(shown))
        before[mid] = {c: old[c] for c in _BEFORE}
        new_values[r.row_no] = new
    return changes, before, new_values


def _yes(value) -> str:
    """A consent as a change shows it: the neutral words "yes" and "no" (the wizard names them)."""
    return "yes" if value else "no"


def _new_values(r: _MemberRow, old: dict, now) -> dict:
    """An updated member's columns: the row's non-blank values over the member's."""
    new = {c: old[c] for c in _KEEP}
    new["name"] = r.name or old["name"]
    new["phone"] = r.phone
    if r.card:
        new["card_no"] = r.card
    if r.gender:
        new["gender"] = r.gender
    if r.birthday is not None:
        b = r.birthday
        new.update(birthday_month=b.month, birthday_day=b.day, birth_year=b.year, birthday_calendar=b.calendar,
                   birthday_leap_month=b.leap_month)
    if r.notes:
        new["notes"] = r.notes
    if r.join_date:
        new["join_date"] = r.join_date
    if r.tier_id is not None:
        new["tier_id"] = r.tier_id
    if r.care is not None and bool(r.care) != bool(old["consent_care"]):
        new.update(consent_care=r.care, consent_care_at=now, consent_care_source="import")
    if r.marketing is not None and bool(r.marketing) != bool(old["consent_marketing"]):
        new.update(consent_marketing=r.marketing, consent_marketing_at=now, consent_marketing_source="import")
    return new


def _update_members(t: Ctx, good, matched, changes, new_values, now) -> None:
    rows = []
    for r in good:
        mid = matched.get(r.row_no)
        if mid is None or not changes[r.row_no].fields:
            continue
        new = new_values[r.row_no]
        rows.append({"b_id": mid, **{f"b_{c}": v for c, v in new.items()},
                     "b_name_key": members.name_key(new["name"]), "b_phone_last4": phones.last4(new["phone"]),
                     "b_updated_at": now})
    if rows:
        m = Member.__table__
        cols = (*_KEEP, "name_key", "phone_last4", "updated_at")
        t.s.connection().execute(update(m).where(m.c.id == bindparam("b_id"))
                                 .values({c: bindparam(f"b_{c}") for c in cols}), rows)


def _preview(r: _MemberRow, matched, existing, changes, look: _Lookups, cfg: ShopSettings,
             today: date) -> MemberPreview:
    mid = matched.get(r.row_no)
    tier = look.tier_names.get(r.tier_id, "") if r.tier_id else (
        look.tier_names.get(existing[mid]["tier_id"], "") if mid else "")
    cards = ()
    if r.card_product:
        cards = (CardPreview(r.card_product[3], r.uses_left, _card_expiry(r, look, today)),)
    expiry = r.points_expiry or (points_expiry(cfg, today) if r.points else None)
    return MemberPreview(
        row_no=r.row_no, action="update" if mid else "new", name=r.name, phone=r.phone,
        phone_shown=phone_shown(r.phone, cfg.region), card=r.card or "", tier=tier,
        birthday=str(r.birthday) if r.birthday else "", gender=r.gender or "", balance=r.balance, bonus=r.bonus,
        points=r.points, points_expiry=expiry if r.points else None, count_cards=cards, tags=r.tags,
        consent_care=r.care, consent_marketing=r.marketing, join_date=r.join_date,
        changes=changes[r.row_no].fields if mid else ())


def _card_expiry(r: _MemberRow, look: _Lookups, today: date) -> date | None:
    if r.card_expiry is not None:
        return r.card_expiry
    days = look.valid_days.get(r.card_product[0]) if r.card_product else None
    if days:
        return today + timedelta(days=days)
    return None


def _write_members(t: Ctx, new_rows: list[_MemberRow], batch: int, cfg: ShopSettings, ticker: Ticker) -> dict[str, int]:
    """The new members and their tags, in chunks of executemany: what ``members._insert`` writes
    row by row. Returns phone -> member id."""
    if not new_rows:
        return {}
    now = t.now()
    base = tiers.base_tier(t)
    conn = t.s.connection()
    m = Member.__table__
    cols = ("import_batch_id", "name", "name_key", "phone", "phone_last4", "card_no", "gender", "birthday_month",
            "birthday_day", "birth_year", "birthday_calendar", "birthday_leap_month", "tier_id", "join_date", "notes",
            "created_at", "updated_at", "ebill_enabled", "wallet_principal", "wallet_bonus", "points_balance",
            "total_spent", "visits", "consent_care", "consent_care_at", "consent_care_source", "consent_marketing",
            "consent_marketing_at", "consent_marketing_source")
    bulk = Bulk(t, m, cols)
    at = bulk.dt(now)
    day = bulk.day
    base_id = base.id if base else None
    ebill = cfg.ebill_default
    for i in range(0, len(new_rows), WRITE_CHUNK):
        rows = []
        for r in new_rows[i:i + WRITE_CHUNK]:
            b = r.birthday
            care, marketing = bool(r.care), bool(r.marketing)
            rows.append((
                batch, r.name, members.name_key(r.name), r.phone, phones.last4(r.phone), r.card, r.gender,
                b.month if b else None, b.day if b else None, b.year if b else None, b.calendar if b else "solar",
                b.leap_month if b else False, r.tier_id if r.tier_id is not None else base_id,
                day(r.join_date or now.date()), r.notes or "", at, at, ebill, r.balance, r.bonus, r.points, 0, 0,
                care, at if care else None, "import" if care else None,
                marketing, at if marketing else None, "import" if marketing else None))
        bulk(rows)
        ticker.tick(len(rows))
    # phone -> id: a good row's phone is its own (a phone twice in a file is a bad row)
    ids = {phone: mid for phone, mid in conn.execute(select(m.c.phone, m.c.id).where(m.c.import_batch_id == batch))}
    tags: list[dict] = []
    for r in new_rows:
        for tag in members.clean_tags(r.tags) if r.tags else ():
            tags.append({"member_id": ids[r.phone], "tag": tag})
        if len(tags) >= WRITE_CHUNK * 4:
            conn.execute(insert(MemberTag.__table__), tags)
            tags.clear()
    if tags:
        conn.execute(insert(MemberTag.__table__), tags)
    return ids


def _write_openings(t: Ctx, good: list[_MemberRow], ids: dict[int, int], updated: set[int], batch: int, file: str,
                    cfg: ShopSettings, look: _Lookups, ticker: Ticker) -> tuple[int, int]:
    """Opening stored value, points and count cards, each table in chunks of executemany, through
    the ledger's own conditional balance updates. Returns (opening stored value, opening points)."""
    now = t.now()
    staff = t.actor.id
    conn = t.s.connection()
    # A member this import creates was written with its opening balances (members start at their
    # ledger's sum); a member it updates gets them through the ledger's conditional update.
    wallet = [r for r in good if r.balance or r.bonus]
    wallet_in = Bulk(t, WalletEntry.__table__, ("import_batch_id", "member_id", "kind", "principal", "bonus",
                                                "staff_id", "created_at", "note"))
    at = wallet_in.dt(now)
    for i in range(0, len(wallet), WRITE_CHUNK):
        part = wallet[i:i + WRITE_CHUNK]
        moved = [{"b_id": ids[r.phone], "b_p": r.balance, "b_b": r.bonus} for r in part if r.row_no in updated]
        if moved:
            conn.execute(ledger._MOVE_WALLET, moved)
        wallet_in([(batch, ids[r.phone], "opening", r.balance, r.bonus, staff, at,
                    f"opening balance imported from {file} row {r.row_no}") for r in part])
    points = [r for r in good if r.points]
    policy = points_expiry(cfg, now.date())
    points_in = Bulk(t, PointsEntry.__table__, ("import_batch_id", "member_id", "kind", "points", "expires_on",
                                                "staff_id", "created_at", "note"))
    for i in range(0, len(points), WRITE_CHUNK):
        part = points[i:i + WRITE_CHUNK]
        moved = [{"b_id": ids[r.phone], "b_n": r.points} for r in part if r.row_no in updated]
        if moved:
            conn.execute(ledger._MOVE_POINTS, moved)
        points_in([(batch, ids[r.phone], "opening", r.points, points_in.day(r.points_expiry or policy), staff, at,
                    f"opening balance imported from {file} row {r.row_no}") for r in part])
    cards = [r for r in good if r.card_product]
    if cards:
        c = CountCard.__table__
        for i in range(0, len(cards), WRITE_CHUNK):
            conn.execute(insert(c), [
                {"import_batch_id": batch, "member_id": ids[r.phone], "product_id": r.card_product[0],
                 "service_id": r.card_product[1], "sale_id": None,
                 "uses_total": r.card_product[2] if r.card_product[2] is not None else r.uses_left,
                 "uses_left": 0, "price_paid": 0, "expires_on": _card_expiry(r, look, now.date()), "created_at": now}
                for r in cards[i:i + WRITE_CHUNK]])
        card_ids = dict(conn.execute(select(c.c.member_id, c.c.id).where(c.c.import_batch_id == batch)).all())
        for i in range(0, len(cards), WRITE_CHUNK):
            part = cards[i:i + WRITE_CHUNK]
            conn.execute(ledger._MOVE_USES, [{"b_id": card_ids[ids[r.phone]], "b_n": r.uses_left} for r in part])
            conn.execute(insert(CountCardEntry.__table__), [
                {"import_batch_id": batch, "card_id": card_ids[ids[r.phone]], "kind": "opening", "uses": r.uses_left,
                 "sale_id": None, "staff_id": staff, "created_at": now,
                 "note": f"opening count card imported from {file} row {r.row_no}"} for r in part])
    return sum(r.balance + r.bonus for r in wallet), sum(r.points for r in points)
