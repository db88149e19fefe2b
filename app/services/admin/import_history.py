"""Importing sales history (CSV: member phone, date and time, amount [, sku, qty]): one imported sale per receipt, all-or-nothing, idempotent by row digest."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, case, insert, or_, select, update

from app import i18n
from app.errors import ImportFailed, ShopError, ValidationError
from app.models import Member, Product, ProductBarcode, Sale, SaleLine, Till
from app.models import Payment as PaymentRow
from app.money import parse_amount, round_half_up
from app.services.admin.import_common import (
    CHUNK,
    IMPORT_LINE_NAME,
    IMPORT_SKU,
    IMPORT_TILL,
    QTY_MAX,
    RECEIPT_MAX,
    SALES_COLUMNS,
    SALES_REQUIRED,
    ImportReport,
    RejectedRow,
    big_cache,
    cell_datetime,
    cell_shown,
    cell_text,
    existing_values,
    no_extra_columns,
    whole_number,
)
from app.services.base import audit, permissions, phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.base.tabular import Row, Table, read_table
from app.services.members import members, tiers
from app.services.sales import receipt_numbers


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
        big_cache(t)
        # What others may have changed meanwhile is read again under the lock: sales already
        # imported (a re-import racing this one) and the members the phones belong to.
        present = {ref for (ref,) in existing_values(t, Sale.source_ref, None, [s.ref for s in sales])}
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

    no_extra_columns(row)

    phone = phones.normalize(cell_text(row.get("phone")), cfg.region)
    when = cell_datetime(row.get("datetime"), field("datetime"))
    if when > now:
        raise ValidationError("import_future", field=field("datetime"), value=when.isoformat(sep=" "))
    amount = parse_amount(cell_text(row.get("amount")), cfg.currency, field=field("amount"))
    sku = cell_text(row.get("sku"))
    qty_text = cell_text(row.get("qty"))
    qty = whole_number(qty_text) if qty_text else 1
    if qty is None or not 1 <= qty <= QTY_MAX:
        raise ValidationError("quantity_invalid", value=cell_shown(qty_text), max=QTY_MAX)
    receipt = cell_text(row.get("receipt"))
    if len(receipt) > RECEIPT_MAX:
        raise ValidationError("import_too_long", field=field("receipt"), value=cell_shown(receipt), max=RECEIPT_MAX)
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
        receipt = cell_text(row.get("receipt"))
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
    for i in range(0, len(wanted), CHUNK):
        part = wanted[i:i + CHUNK]
        for pid, sku, name in t.s.execute(
                select(Product.id, Product.sku, Product.name).where(Product.sku.in_(part)).order_by(Product.id)):
            found[sku] = (pid, sku, name)
        for barcode, pid, sku, name in t.s.execute(
                select(ProductBarcode.barcode, Product.id, Product.sku, Product.name)
                .join(Product, Product.id == ProductBarcode.product_id)
                .where(ProductBarcode.barcode.in_(part)).order_by(Product.id)):
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
    ids = {phone: mid for phone, mid in existing_values(t, Member.phone, Member.id, list(first_seen))}
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
        ids.update({phone: mid for phone, mid in existing_values(t, Member.phone, Member.id, new)})
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
    state = {mid: (spent, tier_id) for mid, spent, tier_id in existing_values(t, Member.id, (Member.total_spent, Member.tier_id),
                                                                         list(per))}
    # A member created by this import has only these sales; the others' months are read back.
    months = {(mid, y, mo): amount for mid in new_ids for (y, mo), amount in per[mid]["months"].items()}
    if vip is not None and cfg.vip_month_spend:
        # Only members who could reach it: a month's spend is part of the total spent.
        maybe = [mid for mid, p in per.items() if mid not in new_ids and state[mid][0] >= cfg.vip_month_spend
                 and not (cfg.vip_single_purchase and p["big"] >= cfg.vip_single_purchase)]
        for mid, when, amount in existing_values(t, Sale.member_id, (Sale.created_at, Sale.total), maybe):
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
