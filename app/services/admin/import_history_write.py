"""Writing an imported history in bulk: the products its rows name, the members its unknown phones become, the sales with their lines and payments, and the import till's receipt numbers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from app import i18n
from app.models import Member, Product, ProductBarcode, Sale, SaleLine, Till
from app.models import Payment as PaymentRow
from app.money import round_half_up
from app.services.admin.import_columns import IMPORT_LINE_NAME, IMPORT_SKU, IMPORT_TILL
from app.services.admin import import_batches
from app.services.admin.import_chunks import ChunkWriter
from app.services.admin.import_common import CHUNK, Bulk, Ticker, existing_values
from app.services.admin.import_history_rows import (
    _R_AMOUNT,
    _R_PHONE,
    _R_QTY,
    _R_RECEIPT,
    _R_SKU,
    _R_WHEN,
    WRITE_CHUNK,
    _History,
)
from app.services.admin.import_history_totals import _member_totals
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.settings import ShopSettings
from app.services.base.settings import load as load_settings
from app.services.members import members, tiers
from app.services.sales import receipt_numbers


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


def _members_for(w: ChunkWriter, first_seen: dict[str, datetime], known: dict[str, int],
                 cfg: ShopSettings) -> tuple[dict[str, int], set[int]]:
    """Phone -> member id for every sale to write; an unknown phone gets a new member (``会员1234``
    or ``Member 1234``) who joined on the day of their first imported purchase, a chunk of members
    per write transaction. Returns the map and the ids of the members created."""
    ids = known    # filled in place: a million-row history has hundreds of thousands of phones
    new = sorted(p for p in first_seen if p not in ids)
    created: set[int] = set()
    m = Member.__table__

    def label(p: str) -> str:
        return i18n.T_(cfg.language, "Member {last4}", last4=phones.last4(p))

    for i, j in w.sizes(len(new)):
        part = new[i:j]
        with w.chunk(len(part)) as t:
            base = tiers.base_tier(t)
            now = t.now()
            # What members._insert writes for a name, a phone and a join date, in executemany.
            rows = []
            for p in part:
                name = label(p)
                rows.append({"import_batch_id": w.batch, "name": name, "name_key": members.name_key(name),
                             "phone": p, "phone_last4": phones.last4(p), "tier_id": base.id if base else None,
                             "join_date": first_seen[p].date(), "notes": "", "created_at": now, "updated_at": now,
                             "ebill_enabled": cfg.ebill_default, "wallet_principal": 0, "wallet_bonus": 0,
                             "points_balance": 0, "total_spent": 0, "visits": 0, "birthday_calendar": "solar",
                             "birthday_leap_month": False, "consent_care": False, "consent_marketing": False})
            t.s.connection().execute(insert(m), rows)
            for phone, mid in existing_values(t, m.c.phone, m.c.id, part):
                ids[phone] = mid
                created.add(mid)
    return ids, created


def _write_sales(w: ChunkWriter, h: _History, present, member_ids: dict[str, int], new_ids: set[int],
                 products: dict[str, tuple[int, str, str]], ticker: Ticker) -> int:
    """Every sale with a line per row and one ``other`` payment for its total, a chunk of sales per
    write transaction (each taking its receipt numbers); then the members' totals, visits, last
    visit and tier, a chunk of members per transaction. Returns the amount."""
    todo = len(present) - sum(present) if present is not None else sum(1 for _ in h.sales())
    if not todo:
        return 0
    actor = w.ctx.actor.id
    batch = w.batch
    per: dict[int, list] = {}    # member id -> [total, visits, last, biggest sale, {(y, m): amount}]
    kept: set[int] = set()       # members who were there before, their totals kept for an undo
    amount = 0
    chunk: list[tuple[str, list[tuple]]] = []
    lines_in_chunk = 0
    with w.ctx.tx(write=False) as t:
        cfg = load_settings(t)
    months_wanted = bool(cfg.vip_month_spend and cfg.vip_tier)   # the VIP rule's calendar months

    def flush() -> None:
        nonlocal lines_in_chunk, batch
        if not chunk:
            return
        with w.chunk(lines_in_chunk) as t:
            batch = w.batch
            _flush(t, batch)
        chunk.clear()
        lines_in_chunk = 0

    def _flush(t: Ctx, batch: int) -> None:
        conn = t.s.connection()
        first_seq = _reserve_receipts(t, len(chunk))
        _keep_totals(t, {member_ids[rows[0][_R_PHONE]] for _, rows in chunk} - new_ids - kept, kept, batch)
        sales_in = Bulk(t, Sale.__table__, (
            "import_batch_id", "receipt_no", "till", "seq", "kind", "source", "source_ref", "staff_id", "member_id",
            "created_at", "subtotal", "tier_discount", "manual_discount", "total", "change_given", "points_earned",
            "note"))
        lines_in = Bulk(t, SaleLine.__table__, (
            "sale_id", "line_no", "product_id", "sku", "name", "qty", "unit_price", "price_overridden",
            "tier_discount", "manual_discount", "line_total", "points_eligible"))
        payments_in = Bulk(t, PaymentRow.__table__, ("sale_id", "method", "amount", "reference"))
        dt = sales_in.dt
        no_product = (None, IMPORT_SKU, IMPORT_LINE_NAME)
        sale_rows = []
        for k, (ref, rows) in enumerate(chunk):
            first = rows[0]
            total = sum(r[_R_AMOUNT] for r in rows) if len(rows) > 1 else first[_R_AMOUNT]
            note = f"imported receipt {first[_R_RECEIPT]}" if first[_R_RECEIPT] else "imported"
            if any(r[_R_SKU] and r[_R_SKU] not in products for r in rows):
                note += "; sku " + ", ".join(dict.fromkeys(r[_R_SKU] for r in rows
                                                           if r[_R_SKU] and r[_R_SKU] not in products))
            seq = first_seq + k
            mid = member_ids[first[_R_PHONE]]
            when = first[_R_WHEN]
            sale_rows.append((batch, f"{IMPORT_TILL}-{seq:06d}", IMPORT_TILL, seq, "sale", "import", ref, actor, mid,
                              dt(when), total, 0, 0, total, 0, 0, note))
            p = per.get(mid)
            if p is None:
                p = per[mid] = [0, 0, when, 0, {} if months_wanted else None]
            p[0] += total
            p[1] += 1
            if when > p[2]:
                p[2] = when
            if total > p[3]:
                p[3] = total
            if months_wanted:
                month = when.year * 12 + when.month - 1
                p[4][month] = p[4].get(month, 0) + total
        sales_in(sale_rows)
        sale_ids = dict(conn.execute(select(Sale.seq, Sale.id).where(
            Sale.till == IMPORT_TILL, Sale.seq >= first_seq, Sale.seq < first_seq + len(chunk))).all())
        lines, payments = [], []
        for k, (ref, rows) in enumerate(chunk):
            sid = sale_ids[first_seq + k]
            total = 0
            for line_no, r in enumerate(rows, start=1):
                pid, sku, name = products.get(r[_R_SKU]) or no_product if r[_R_SKU] else no_product
                qty, line_total = r[_R_QTY], r[_R_AMOUNT]
                # the line total is the truth; the unit price is shown
                lines.append((sid, line_no, pid, sku, name, qty,
                              line_total if qty == 1 else round_half_up(line_total, qty), False, 0, 0, line_total,
                              False))
                total += line_total
            # payments.reference is 64 characters; the full receipt number is in the source_ref and note.
            payments.append((sid, "other", total, rows[0][_R_RECEIPT][:64] or "import"))
        lines_in(lines)
        payments_in(payments)
        ticker.tick(len(lines))

    for k, sale in enumerate(h.sales()):
        if present is not None and present[k]:
            continue
        chunk.append(sale)
        lines_in_chunk += len(sale[1])
        amount += sum(r[_R_AMOUNT] for r in sale[1])
        if lines_in_chunk >= min(w.size, WRITE_CHUNK):
            flush()
    flush()
    mids = list(per)
    for i, j in w.sizes(len(mids)):
        with w.chunk(j - i) as t:
            _member_totals(t, {mid: per[mid] for mid in mids[i:j]}, new_ids, w.batch, remember=False)
    return amount


def _keep_totals(t: Ctx, mids: set[int], kept: set[int], batch: int) -> None:
    """The totals, visits, last visit and tier of members who were there before, kept (import_changes)
    in the transaction that writes their first imported sale: however far the import gets, an undo
    or a take-back puts back exactly what they had."""
    if not mids:
        return
    m = Member.__table__
    cols = ("total_spent", "visits", "last_visit_at", "tier_id", "updated_at")
    before = [(row[0], dict(zip(cols, row[1:]))) for row in existing_values(
        t, m.c.id, tuple(m.c[c] for c in cols), sorted(mids))]
    import_batches.remember(t, batch, "members", before)
    kept |= mids


def _reserve_receipts(t: Ctx, count: int) -> int:
    """Take ``count`` consecutive receipt numbers of the import till; returns the first."""
    _, first = receipt_numbers.next_number(t, till=IMPORT_TILL)
    till = Till.__table__
    t.s.execute(update(till).where(till.c.code == IMPORT_TILL)
                .values(last_receipt_seq=till.c.last_receipt_seq + (count - 1)))
    return first
