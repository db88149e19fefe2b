"""``shopcare check``: is the database sound, and does every cached balance equal its ledger?

Checks, in order (each a set-based query, so it stays fast on 200,000 members and a million sales):

* SQLite ``PRAGMA quick_check``;
* the schema is at the alembic head revision;
* per member: ``wallet_principal`` / ``wallet_bonus`` / ``points_balance`` equal the sums of
  ``wallet_entries`` / ``points_entries``, and none is negative;
* per count card: ``uses_left`` equals the sum of ``count_card_entries.uses`` (and is not negative);
* per sale: ``total`` equals the sum of its lines' ``line_total`` and the sum of its payments;
* per sold line: never refunded beyond the quantity sold, and its ``refunded_qty`` claim equals its
  refund lines; per sale: never more money back than its total;
* the audit log (``audit.check_chain``): its append-only triggers are in place, every row's HMAC
  verifies under the key kept outside the database, and the chain is not shorter than, nor has
  another head than, what this computer recorded (see app/services/base/audit.py). Rows that look signed
  with another till's key (none verifies, or the first keyed one, from another till, does not) are
  ``audit_key_other``, not ``audit_chain``: the tills do not share one key yet.

The SQLite library and its version are reported. A library with the WAL-reset bug is a warning
while one till writes (the app keeps to one writing connection, so the bug cannot bite it) and a
FAULT once several tills have written sales to the file: the check then refuses to bless it.

Nothing is written: the check reads one consistent snapshot of the database. Each check runs in its
own savepoint: one that cannot read its rows (a sum that overflows, a damaged table) is reported as a
fault and the others still run.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from app import db as dbmod
from app import i18n
from app.i18n import N_, NC_
from app.services.admin.import_columns import IMPORT_TILL
from app.services.base import audit
from app.services.base.context import Ctx

# At most this many faults of one kind are listed one by one; the rest are counted in one line.
DETAIL_LIMIT = 50


@dataclass(frozen=True)
class Line:
    """One line of the report: its English (the message id in the shopcare PO) and the values to fill,
    shown in any language by :meth:`text`."""
    code: str
    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    def text(self, lang: str = "en") -> str:
        params = {k: (v.render(lang) if isinstance(v, i18n.Lazy) else v) for k, v in self.params}
        return i18n.text(lang, self.msgid, **params)

    def render(self, lang: str | None) -> str:
        return self.text(lang or "en")

    @property
    def en(self) -> str:
        return self.text("en")

    @property
    def zh(self) -> str:
        return self.text("zh_CN")


@dataclass(frozen=True)
class CheckReport:
    faults: tuple[Line, ...] = ()
    warnings: tuple[Line, ...] = ()
    info: tuple[Line, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()   # (what, how many checked)
    sqlite_version: str | None = None
    sqlite_wal_reset_bug: bool = False
    revision: str | None = None
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not self.faults

    def count(self, what: str) -> int:
        return dict(self.counts).get(what, 0)


@dataclass
class _Builder:
    faults: list[Line] = field(default_factory=list)
    warnings: list[Line] = field(default_factory=list)
    info: list[Line] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)

    def fault(self, code: str, msgid: str, /, **params: object) -> None:
        self.faults.append(Line(code, msgid, tuple(params.items())))

    def many(self, code: str, rows: list, msgid: str, values) -> None:
        """One fault per row (``values(row)`` fills ``msgid``), up to DETAIL_LIMIT, then one line
        counting the rest."""
        for row in rows[:DETAIL_LIMIT]:
            self.fault(code, msgid, **values(row))
        if len(rows) > DETAIL_LIMIT:
            self.fault(code, N_("… and {more} more like this ({code})"), more=len(rows) - DETAIL_LIMIT, code=code)


# --- the queries (plain SQL that SQLite and PostgreSQL both run) -------------------------------
# Stored value and points apart: a points sum that cannot be read does not hide a wallet fault.
_MEMBER_WALLETS = text("""
SELECT m.id, m.wallet_principal, COALESCE(w.p, 0), m.wallet_bonus, COALESCE(w.b, 0)
FROM members m
LEFT JOIN (SELECT member_id, SUM(principal) AS p, SUM(bonus) AS b
           FROM wallet_entries GROUP BY member_id) w ON w.member_id = m.id
WHERE m.wallet_principal <> COALESCE(w.p, 0)
   OR m.wallet_bonus <> COALESCE(w.b, 0)
   OR m.wallet_principal < 0 OR m.wallet_bonus < 0
ORDER BY m.id
""")

_MEMBER_POINTS = text("""
SELECT m.id, m.points_balance, COALESCE(pe.pts, 0)
FROM members m
LEFT JOIN (SELECT member_id, SUM(points) AS pts
           FROM points_entries GROUP BY member_id) pe ON pe.member_id = m.id
WHERE m.points_balance <> COALESCE(pe.pts, 0) OR m.points_balance < 0
ORDER BY m.id
""")

_COUNT_CARDS = text("""
SELECT c.id, c.member_id, c.uses_left, COALESCE(e.u, 0)
FROM count_cards c
LEFT JOIN (SELECT card_id, SUM(uses) AS u FROM count_card_entries GROUP BY card_id) e
       ON e.card_id = c.id
WHERE c.uses_left <> COALESCE(e.u, 0) OR c.uses_left < 0
ORDER BY c.id
""")

_STOCK = text("""
SELECT p.id, p.name, p.on_hand, COALESCE(e.q, 0)
FROM products p
LEFT JOIN (SELECT product_id, SUM(qty) AS q FROM stock_entries GROUP BY product_id) e
       ON e.product_id = p.id
WHERE p.on_hand <> COALESCE(e.q, 0)
ORDER BY p.id
""")

_SALES = text("""
SELECT x.sale_id, s.receipt_no, x.total, x.lines, x.paid
FROM (SELECT sale_id, SUM(total) AS total, SUM(line) AS lines, SUM(paid) AS paid
      FROM (SELECT id AS sale_id, total, 0 AS line, 0 AS paid FROM sales
            UNION ALL SELECT sale_id, 0, line_total, 0 FROM sale_lines
            UNION ALL SELECT sale_id, 0, 0, amount FROM payments) u
      GROUP BY sale_id
      HAVING SUM(total) <> SUM(line) OR SUM(total) <> SUM(paid)) x
JOIN sales s ON s.id = x.sale_id
ORDER BY x.sale_id
""")

_COUNTS = [
    ("members", "SELECT COUNT(*) FROM members"),
    ("wallet_entries", "SELECT COUNT(*) FROM wallet_entries"),
    ("points_entries", "SELECT COUNT(*) FROM points_entries"),
    ("count_cards", "SELECT COUNT(*) FROM count_cards"),
    ("stock_entries", "SELECT COUNT(*) FROM stock_entries"),
    ("sales", "SELECT COUNT(*) FROM sales"),
    ("sale_lines", "SELECT COUNT(*) FROM sale_lines"),
    ("payments", "SELECT COUNT(*) FROM payments"),
    ("audit_log", "SELECT COUNT(*) FROM audit_log"),
]

# What the check read ("Checked 12 members, 40 sales…"; the CLI's check_counts).
COUNT_NAMES: dict[str, str] = {
    "members": NC_("count:members", "members"), "wallet_entries": NC_("count:wallet_entries", "stored-value entries"),
    "points_entries": NC_("count:points_entries", "points entries"), "count_cards": NC_("count:count_cards", "count cards"),
    "stock_entries": NC_("count:stock_entries", "stock entries"),
    "sales": NC_("count:sales", "sales"), "sale_lines": NC_("count:sale_lines", "sale lines"),
    "payments": NC_("count:payments", "payments"), "audit_log": NC_("count:audit_log", "audit rows"),
}


def count_text(what: str, n: int, lang: str) -> str:
    """"12 members", "3 sales": how many of ``what`` the check read, in ``lang``."""
    name = i18n.entry(lang, COUNT_NAMES[what], context="count:" + what) if what in COUNT_NAMES else what
    return i18n.T_(lang, "{n} {what}", n=n, what=name)


def run_check(ctx: Ctx) -> CheckReport:
    """Check the database behind ``ctx``; never raises for what it finds (faults are reported)."""
    b = _Builder()
    version = dbmod.sqlite_version() if ctx.db.is_sqlite else None
    bug = bool(version) and dbmod.sqlite_wal_reset_bug(version)
    if version:
        lib = dbmod.sqlite_library()
        b.info.append(Line("sqlite_version", N_("SQLite library {version} ({lib})"),
                           (("version", version), ("lib", lib))))
    revision = head = None
    try:
        # Core alone, through one read transaction (a snapshot): the ORM is never loaded by `check`.
        with ctx.db.engine.connect() as conn, conn.begin():
            t = replace(ctx, session=conn)
            if ctx.db.is_sqlite:
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
                # Keep going after a finding: it may be a CHECK constraint broken by hand, and the
                # ledger checks below say which rows; real damage makes them fail as db_error.
                for detail in (rows if rows != ["ok"] else [])[:DETAIL_LIMIT]:
                    b.fault("quick_check", N_("SQLite quick_check: {detail}"), detail=detail)
            revision, head = _revisions(ctx, conn)
            if revision != head:
                if revision is None:
                    b.fault("schema_missing", N_("The database has no ShopCare schema: run 'shopcare init'"))
                    return _report(b, version, bug, revision, head)
                b.fault("schema_not_head",
                        N_("The schema is at revision {revision}, this ShopCare expects {head}: run 'shopcare init'"),
                        revision=revision, head=head)
            if bug:
                _wal_reset_bug(b, version, _selling_tills(conn))
            for name, sql in _COUNTS:
                b.counts.append((name, int(conn.execute(text(sql)).scalar() or 0)))
            for check in (_check_wallets, _check_points, _check_count_cards, _check_stock, _check_sales, _check_refunds,
                          _check_imports):
                _guarded(b, t, check, conn)
            _guarded(b, t, _check_audit, t)
    except DBAPIError as exc:
        why = str(getattr(exc, "orig", exc)) or type(exc).__name__
        b.fault("db_error", N_("The database cannot be read: {why}"), why=why)
    return _report(b, version, bug, revision, head)


def _selling_tills(conn) -> list[str]:
    """The tills that have written sales to this database (the import pseudo-till aside)."""
    rows = conn.execute(text("SELECT code FROM tills WHERE last_receipt_seq > 0 AND code <> :imp ORDER BY code"),
                        {"imp": IMPORT_TILL}).scalars().all()
    return list(rows)


def _wal_reset_bug(b: _Builder, version: str, tills: list[str]) -> None:
    """A library with the WAL-reset bug is safe for ONE till (ShopCare writes through one connection)
    but not for several processes writing one file: then the check refuses to bless it."""
    fixed = "3.51.3, 3.50.7, 3.44.6"
    if len(tills) > 1:
        names = ", ".join(tills)
        b.fault("sqlite_wal_reset_bug",
                N_("SQLite {version} has the WAL-reset bug (fixed in {fixed}) and {n} tills write to this file "
                   "({names}): it can corrupt the database. Install ShopCare with its bundled SQLite (pysqlite3) "
                   "or move the tills to PostgreSQL (SHOPCARE_DB=postgresql+psycopg://...)"),
                version=version, fixed=fixed, n=len(tills), names=names)
    else:
        b.warnings.append(Line(
            "sqlite_wal_reset_bug",
            N_("SQLite {version} has the WAL-reset bug (fixed in {fixed}): safe for one till, because ShopCare "
               "keeps to one writing connection; do not let a second till or another tool write to this file"),
            (("version", version), ("fixed", fixed))))


def _revisions(ctx: Ctx, conn) -> tuple[str | None, str]:
    """The file's revision and this version's head, read with one query: SCHEMA_HEAD is alembic's
    head (tests/test_migrations.py keeps them equal), so ``check`` never imports alembic."""
    head = dbmod.SCHEMA_HEAD
    if "alembic_version" not in inspect(conn).get_table_names():
        return None, head
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:   # branches: not a state ShopCare's single line of migrations makes
        raise RuntimeError(f"more than one schema revision: {', '.join(rows)}")
    return (rows[0] if rows else None), head


def _check_wallets(b: _Builder, conn) -> None:
    _ledger_columns(b, conn.execute(_MEMBER_WALLETS).all(), [
        ("wallet_principal", 1, 2, NC_("ledger", "paid stored value")),
        ("wallet_bonus", 3, 4, NC_("ledger", "bonus stored value"))])


def _check_points(b: _Builder, conn) -> None:
    _ledger_columns(b, conn.execute(_MEMBER_POINTS).all(), [("points_balance", 1, 2, NC_("ledger", "points"))])


def _ledger_columns(b: _Builder, rows: list, cols: list) -> None:
    for code, cached_i, ledger_i, what in cols:
        what = i18n.Lazy(what, "ledger")
        b.many(f"{code}_mismatch", [r for r in rows if r[cached_i] != r[ledger_i]],
               N_("Member {member}: cached {what} {cached} differs from its ledger sum {ledger}"),
               lambda r, w=what, c=cached_i, l=ledger_i: dict(member=r[0], what=w, cached=r[c], ledger=r[l]))
        b.many(f"{code}_negative", [r for r in rows if r[cached_i] < 0],
               N_("Member {member}: {what} is negative ({cached})"),
               lambda r, w=what, c=cached_i: dict(member=r[0], what=w, cached=r[c]))


def _check_count_cards(b: _Builder, conn) -> None:
    rows = conn.execute(_COUNT_CARDS).all()
    b.many("count_card_mismatch", [r for r in rows if r[2] != r[3]],
           N_("Count card {card} (member {member}): {left} uses left, its ledger sums to {ledger}"),
           lambda r: dict(card=r[0], member=r[1], left=r[2], ledger=r[3]))
    b.many("count_card_negative", [r for r in rows if r[2] < 0],
           N_("Count card {card}: uses left is negative ({left})"), lambda r: dict(card=r[0], left=r[2]))


def _check_stock(b: _Builder, conn) -> None:
    b.many("stock_mismatch", conn.execute(_STOCK).all(),
           N_("Product {product} ({name}): {on_hand} in stock, its stock ledger sums to {ledger}"),
           lambda r: dict(product=r[0], name=r[1], on_hand=r[2], ledger=r[3]))


def _check_sales(b: _Builder, conn) -> None:
    rows = conn.execute(_SALES).all()
    b.many("sale_lines_mismatch", [r for r in rows if r[2] != r[3]],
           N_("Sale {receipt}: total {total} but its lines add up to {lines}"),
           lambda r: dict(receipt=r[1], total=r[2], lines=r[3]))
    b.many("sale_payments_mismatch", [r for r in rows if r[2] != r[4]],
           N_("Sale {receipt}: total {total} but its payments add up to {paid}"),
           lambda r: dict(receipt=r[1], total=r[2], paid=r[4]))


def _check_imports(b: _Builder, conn) -> None:
    """A member or history import is written in chunks (import_chunks.py): a batch still ``running``
    is either being written now (a warning) or was left half-written by a crash or a kill (a fault
    until the next opening takes it back)."""
    rows = conn.execute(text("SELECT id, file, counts FROM import_batches WHERE status = 'running' "
                             "AND kind <> 'products' ORDER BY id")).all()
    if not rows:
        return
    import time

    from app.services.admin.import_chunks import _alive

    for bid, file, counts in rows:
        if _alive(counts, time.time()):
            b.warnings.append(Line("import_running", N_("Import {batch} ({file}) is being written now"),
                                   (("batch", bid), ("file", file))))
        else:
            b.fault("import_left_running",
                    N_("Import {batch} ({file}) was left half-written (the import stopped mid-way): it is taken "
                       "back whole when the shop is next opened (the app or any shopcare command)"),
                    batch=bid, file=file)


def _check_audit(b: _Builder, t: Ctx) -> None:
    """The audit log's faults: triggers, truncation, head, rows whose HMAC does not verify."""
    found = audit.check_chain(t)
    if found.missing_triggers:
        names = ", ".join(found.missing_triggers)
        b.fault("audit_triggers", N_("The audit log's append-only triggers are missing or disabled ({names}): "
                                     "its rows could be changed or deleted"), names=names)
    if found.truncated:
        n, count, last = found.truncated
        b.fault("audit_truncated", N_("The audit log has {n} row(s) up to row {last}, but this computer recorded "
                                      "{count}: audit rows were deleted"), n=n, last=last, count=count)
    if found.head_differs is not None:
        b.fault("audit_head", N_("Audit row {row} is not the row this computer recorded: the chain was rewritten"),
                row=found.head_differs)
    bad = found.bad_rows
    if bad and found.other_key:
        # Not tampering: a till sharing this database made its own key (see audit.import_key).
        b.fault("audit_key_other", N_("The audit rows ({n} of them) were signed with another till's key: copy "
                                      "the key from the first till (Settings › Backups › Audit key for several "
                                      "tills, or 'shopcare audit-key show' there) to this one ('shopcare "
                                      "audit-key set' here)"), n=len(bad))
    elif bad:
        shown = ", ".join(str(i) for i in bad[:20]) + (" …" if len(bad) > 20 else "")
        b.fault("audit_chain", N_("The audit log's hash chain breaks at row(s) {rows} (edited, or signed with "
                                  "another key)"), rows=shown)


# Per sold line: the units its refund lines return, against what it sold and its refunded_qty claim.
_REFUND_LINES = text("""
SELECT l.id, s.receipt_no, l.line_no, l.qty, l.refunded_qty, COALESCE(r.q, 0)
FROM sale_lines l
JOIN sales s ON s.id = l.sale_id
LEFT JOIN (SELECT original_line_id AS lid, -SUM(qty) AS q FROM sale_lines
           WHERE original_line_id IS NOT NULL GROUP BY original_line_id) r ON r.lid = l.id
WHERE s.kind = 'sale'
  AND (COALESCE(r.q, 0) > l.qty OR l.refunded_qty > l.qty OR l.refunded_qty < 0
       OR l.refunded_qty <> COALESCE(r.q, 0))
ORDER BY l.id
""")

_REFUND_VALUE = text("""
SELECT s.id, s.receipt_no, s.total, r.back
FROM sales s
JOIN (SELECT original_sale_id AS sid, -SUM(total) AS back FROM sales
      WHERE original_sale_id IS NOT NULL GROUP BY original_sale_id) r ON r.sid = s.id
WHERE r.back > s.total
ORDER BY s.id
""")


def _check_refunds(b: _Builder, conn) -> None:
    """No line refunded beyond the quantity it sold (what the refund claim guarantees), and no sale
    giving back more than it took."""
    rows = conn.execute(_REFUND_LINES).all()
    b.many("refund_overrun", [r for r in rows if max(r[4], r[5]) > r[3]],
           N_("Sale {receipt} line {line}: sold {sold} but refunded {refunded}"),
           lambda r: dict(receipt=r[1], line=r[2], sold=r[3], refunded=max(r[4], r[5])))
    b.many("refunded_qty_mismatch", [r for r in rows if r[4] != r[5]],
           N_("Sale {receipt} line {line}: {marked} marked refunded, its refund lines return {returned}"),
           lambda r: dict(receipt=r[1], line=r[2], marked=r[4], returned=r[5]))
    b.many("refund_value_overrun", conn.execute(_REFUND_VALUE).all(),
           N_("Sale {receipt}: total {total} but {back} refunded"),
           lambda r: dict(receipt=r[1], total=r[2], back=r[3]))


def _guarded(b: _Builder, t: Ctx, check, arg) -> None:
    """Run one check in a savepoint. A check that cannot read its rows (an integer sum that
    overflows, a float where an integer belongs, a damaged or missing table) becomes a fault, and
    the savepoint keeps the snapshot usable (PostgreSQL refuses every statement after an error)."""
    try:
        with t.s.begin_nested():
            check(b, arg)
    except (DBAPIError, ArithmeticError, ValueError, TypeError) as exc:
        why = str(getattr(exc, "orig", exc)).strip().splitlines()[0:1] or [type(exc).__name__]
        name = check.__name__.removeprefix("_check_")
        b.fault("check_failed", N_("The {name} check could not read its rows: {why}"), name=name, why=why[0])


def _report(b: _Builder, version, bug, revision, head) -> CheckReport:
    return CheckReport(faults=tuple(b.faults), warnings=tuple(b.warnings), info=tuple(b.info),
                       counts=tuple(b.counts), sqlite_version=version, sqlite_wal_reset_bug=bug,
                       revision=revision, head=head)
