"""Fuzzed imports (hypothesis): member and purchase-history files, CSV and XLSX, good rows mixed
with bad ones, and damaged files. Whatever the file holds, an import either refuses it with a clear
ShopError and changes nothing, or imports exactly the rows that are good; no other exception ever
escapes, amounts stay exact, the ledgers balance, and importing the same file again doubles nothing.

``SHOPCARE_FUZZ_EXAMPLES`` sets the examples per test (default 40: about half a minute a test);
hunting runs use thousands. Phones come from a counter, so the examples share one database (the
``ctx`` fixture's, SQLite or PostgreSQL) without meeting each other's members."""
from __future__ import annotations

import csv
import io
import itertools
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.errors import ImportFailed, ShopError, render
from app.models import AuditLog, Member, Message, PointsEntry, Sale, WalletEntry
from app.services.members import members
from app.services.base import tabular
from app.services.admin.imports import import_members, import_sales
from tests.shop import ledger_faults

EXAMPLES = int(os.environ.get("SHOPCARE_FUZZ_EXAMPLES", "40"))
# The suite's small runs are derandomized (the same examples every time: CI does not flicker);
# a hunt with more examples explores afresh each run and prints any failing example.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
_PHONES = itertools.count(1)


def fresh_phone() -> str:
    """A valid mainland mobile no example has used yet."""
    return f"139{next(_PHONES) + 40_000_000 + os.getpid() % 1000 * 10_000:08d}"


# --- what the database holds ------------------------------------------------------------------
def snapshot(ctx) -> tuple:
    with ctx.tx(write=False) as t:
        counts = tuple(t.s.execute(select(func.count()).select_from(m)).scalar()
                       for m in (Member, WalletEntry, PointsEntry, AuditLog, Message, Sale))
        sums = t.s.execute(select(func.coalesce(func.sum(Member.wallet_principal), 0),
                                  func.coalesce(func.sum(Member.wallet_bonus), 0),
                                  func.coalesce(func.sum(Member.points_balance), 0),
                                  func.coalesce(func.sum(Member.total_spent), 0))).one()
    return counts + tuple(sums)


def by_phone(ctx, e164: str) -> Member | None:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Member).where(Member.phone == e164)).scalar_one_or_none()


# --- the rows ---------------------------------------------------------------------------------
NAME_CHARS = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
GOOD_NAME = st.one_of(
    st.sampled_from(["王芳", "李娜", "张伟", "Anna Müller", "O'Brien, Pat", '"Quoted" Name', "=SUM(A1)",
                     "ß" * members.NAME_MAX, "ﬃ" * members.NAME_MAX, "王" * members.NAME_MAX]),
    st.text(NAME_CHARS, min_size=1, max_size=members.NAME_MAX).filter(lambda s: s.strip()))
AMOUNT_TEXT = {  # how a person or another program writes an amount of minor units m
    "plain": lambda m: str(Decimal(m) / 100),
    "comma": lambda m: f"{Decimal(m) / 100:,.2f}",
    "yuan": lambda m: f"¥{Decimal(m) / 100:.2f}",
    "fixed": lambda m: f"{Decimal(m) / 100:.2f}",
}
BAD_VALUES = {  # column -> values that must make the row bad
    "phone": ["", "12345", "abc", "1390000000", "139000000001", "+1 555", "00000000000"],
    "name": ["", "   ", "x" * (members.NAME_MAX + 1)],
    "balance": ["-5", "1e400", "1e-400", "NaN", "inf", "12.345", "abc", "99999999999", "1.0000000000000000000000000000001",
                "1e999999",
                # ambiguous forms: a decimal comma, commas out of their groups of three, exponents, underscores
                "1.000,00", "1,0,0", "5e2", "1_000", "1E+7", "12,34", "1 000", "1,000.000,0"],
    "points": ["-1", "1.5", "1e999999", "x", "9" * 40, "1,0,0", "1e3", "1_000"],
    "join_date": ["2026-13-01", "not a date", "2099-01-01", "2024-02-30"],
    "birthday": ["13-01", "02-30", "tomorrow"],
    "consent": ["maybe", "2"],
}


@dataclass
class Spec:
    kind: str                  # good | bad | repeat | existing
    name: str = "Member"
    amount_style: str = "plain"
    balance: int = 0           # minor units
    bonus: int = 0
    points: int = 0
    phone_style: int = 0
    bad_column: str = ""
    bad_value: str = ""
    numeric_cells: bool = False   # XLSX: amounts and phone as numbers, as Excel keeps them
    birthday: str = ""
    consent: str = ""


def specs():
    good = st.builds(Spec, kind=st.just("good"), name=GOOD_NAME, amount_style=st.sampled_from(sorted(AMOUNT_TEXT)),
                     balance=st.one_of(st.just(0), st.integers(1, 500_000)), bonus=st.integers(0, 20_000),
                     points=st.integers(0, 100_000), phone_style=st.integers(0, 3), numeric_cells=st.booleans(),
                     birthday=st.sampled_from(["", "1990-03-05", "03-05", "1988/2/29"]),
                     consent=st.sampled_from(["", "是", "no", "Y", "否"]))
    bad = st.sampled_from(sorted(BAD_VALUES)).flatmap(
        lambda col: st.builds(Spec, kind=st.just("bad"), name=GOOD_NAME, bad_column=st.just(col),
                              bad_value=st.sampled_from(BAD_VALUES[col])))
    again = st.builds(Spec, kind=st.sampled_from(["repeat", "existing"]), name=GOOD_NAME,
                      phone_style=st.integers(0, 3))
    return st.lists(st.one_of(good, good, bad, again), min_size=1, max_size=12)


def styled(e164_local: str, style: int) -> str:
    d = e164_local
    return [d, f"{d[:3]} {d[3:7]} {d[7:]}", f"+86 {d}", f"{d[:3]}-{d[3:7]}-{d[7:]}"][style]


COLUMNS_EN = ["name", "phone", "balance", "bonus", "points", "birthday", "consent", "join_date"]
COLUMNS_ZH = {"name": "姓名", "phone": "手机号", "balance": "余额（元）", "bonus": "赠送余额", "points": "积分",
              "birthday": "生日", "consent": "同意短信", "join_date": "入会日期"}
COLUMNS_ZH_TW = {"name": "姓名", "phone": "手機號", "balance": "餘額（元）", "bonus": "贈送餘額", "points": "積分",
                 "birthday": "生日", "consent": "同意短信", "join_date": "入會日期"}


@dataclass
class Planned:
    rows: list[dict]              # column -> cell, in file order (data row i is file row i + 2)
    good: dict[int, tuple]        # file row -> (E.164, balance, bonus, points)
    bad: set[int]                 # file rows that must be refused


def plan(ctx, items: list[Spec]) -> Planned:
    rows, good, bad = [], {}, set()
    seen: list[str] = []          # local numbers of the good rows so far
    for i, sp in enumerate(items):
        row_no = i + 2
        row = {"name": sp.name}
        if sp.kind == "good":
            local = fresh_phone()
            row["phone"] = int(local) if sp.numeric_cells and sp.phone_style == 0 else styled(local, sp.phone_style)
            for col, m in (("balance", sp.balance), ("bonus", sp.bonus)):
                if m or sp.amount_style != "plain":
                    row[col] = float(Decimal(m) / 100) if sp.numeric_cells else AMOUNT_TEXT[sp.amount_style](m)
            row["points"] = sp.points if sp.numeric_cells else (str(sp.points) if sp.points else "")
            row["birthday"], row["consent"] = sp.birthday, sp.consent
            good[row_no] = ("+86" + local, sp.balance, sp.bonus, sp.points)
            seen.append(local)
        elif sp.kind == "bad":
            row["phone"] = fresh_phone()
            row[sp.bad_column] = sp.bad_value
            bad.add(row_no)
        elif sp.kind == "repeat" and seen:
            row["phone"] = styled(seen[len(seen) // 2], sp.phone_style)   # the same number, written otherwise
            bad.add(row_no)
        else:                                                            # a member the shop already has
            local = fresh_phone()
            members.create_member(ctx, members.MemberInput(name="已有会员", phone=local))
            row["phone"] = styled(local, sp.phone_style)
            bad.add(row_no)
        rows.append(row)
    return Planned(rows, good, bad)


# What a Taiwan or Hong Kong shop's names look like (a Big5 file holds Traditional characters).
BIG5_NAMES = ["陳大文", "黃小明", "李嘉欣", "張國榮", "劉德華", "梁朝偉", "周潤發", "鄭秀文", "謝霆鋒", "蔡依林",
              "Chan Tai Man", "王", "歐陽 美玲"]
ENCODINGS = {"csv": "utf-8", "csv-bom": "utf-8-sig", "csv-gb": "gb18030", "csv-big5": "big5"}
COMMON = {"csv-gb": tabular._in_gb2312, "csv-big5": tabular._in_big5_common}


def in_big5(rows: list[dict]) -> None:
    """Names a Big5 file can hold: a name Big5 cannot write becomes one of BIG5_NAMES (picked by its text)."""
    for r in rows:
        try:
            r["name"].encode("big5")
        except UnicodeEncodeError:
            r["name"] = BIG5_NAMES[sum(map(ord, r["name"])) % len(BIG5_NAMES)]


def legacy_text_is_plain(fmt: str, path) -> bool:
    """A GB18030 or Big5 file whose letters beyond ASCII are all common characters of its encoding:
    such a file must be read, never refused as of unknown encoding."""
    if fmt not in COMMON:
        return True
    return tabular._plausibility(path.read_bytes().decode(ENCODINGS[fmt]), COMMON[fmt]) == 1.0


def write_file(tmp_path, rows: list[dict], fmt: str, chinese: bool, extra: bool) -> "os.PathLike":
    zh = COLUMNS_ZH_TW if fmt == "csv-big5" else COLUMNS_ZH
    header = [zh[c] if chinese else c for c in COLUMNS_EN] + (["remark_unused"] if extra else [])
    table = [[r.get(c, "") for c in COLUMNS_EN] + (["ignored"] if extra else []) for r in rows]
    path = tmp_path / f"members-{next(_PHONES)}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in [header] + table:
            ws.append(r)
        for line in ws.iter_rows():
            for cell in line:   # text that starts with "=" stays text, as a person typed it
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        wb.save(path)
    else:
        buf = io.StringIO()
        csv.writer(buf).writerows([header] + [[str(v) for v in r] for r in table])
        path.write_bytes(buf.getvalue().encode(ENCODINGS[fmt]))
    return path


# --- member files -----------------------------------------------------------------------------
@FUZZ
@given(items=specs(), fmt=st.sampled_from(["csv", "csv-bom", "csv-gb", "csv-big5", "xlsx"]), chinese=st.booleans(),
       extra=st.booleans(), skip_bad=st.booleans())
def test_a_member_file_is_imported_all_or_nothing(ctx, tmp_path, items, fmt, chinese, extra, skip_bad):
    planned = plan(ctx, items)
    if fmt == "csv-big5":
        in_big5(planned.rows)
    path = write_file(tmp_path, planned.rows, fmt, chinese, extra)
    before = snapshot(ctx)
    try:
        report = import_members(ctx, path, skip_bad=skip_bad)
    except ImportFailed as exc:
        if exc.code == "import_encoding":
            # A GB18030 file holding rare or non-Chinese letters may be refused as a guess; a file
            # of plain Chinese text never is. Either way nothing was written.
            assert not legacy_text_is_plain(fmt, path), path.read_bytes()[:200]
            assert snapshot(ctx) == before
            return
        # Refused: only because a bad row exists and skip_bad is off; it names exactly those rows,
        # in both languages, and nothing at all was written.
        assert not skip_bad and planned.bad, exc.code
        assert exc.code == "import_rows"
        assert sorted(r.row_no for r in exc.params["rows"]) == sorted(planned.bad)
        assert path.name in render(exc, "en") and path.name in render(exc, "zh_CN")
        assert snapshot(ctx) == before
        return
    assert skip_bad or not planned.bad
    assert report.imported == len(planned.good)
    assert sorted(r.row_no for r in report.rejected) == sorted(planned.bad)
    names = {i + 2: r["name"] for i, r in enumerate(planned.rows)}
    for row_no, (e164, balance, bonus, points) in planned.good.items():
        m = by_phone(ctx, e164)
        assert m is not None, (row_no, e164)
        assert m.name == members.clean_name(names[row_no]), (row_no, m.name)   # decoded as written
        assert (m.wallet_principal, m.wallet_bonus, m.points_balance) == (balance, bonus, points)
        assert len(m.name_key) <= members.NAME_KEY_MAX
    after = snapshot(ctx)
    assert after[0] == before[0] + len(planned.good)                  # members
    assert after[6] - before[6] == sum(g[1] for g in planned.good.values())  # principal, exact
    assert after[7] - before[7] == sum(g[2] for g in planned.good.values())  # bonus
    assert ledger_faults(ctx.db) == []
    # The same file again: every row now repeats a member, so nothing is added.
    again_before = snapshot(ctx)
    if planned.good:
        with pytest.raises(ImportFailed):
            import_members(ctx, path)
        assert snapshot(ctx) == again_before


# --- damaged files ----------------------------------------------------------------------------
def _good_file(tmp_path, fmt: str):
    member = "會員" if fmt == "csv-big5" else "会员"
    rows = [{"name": f"{member}{i}", "phone": fresh_phone(), "balance": "12.50", "points": "10"} for i in range(4)]
    return write_file(tmp_path, rows, fmt, chinese=True, extra=False)


DAMAGE = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8)),
    st.tuples(st.just("random"), st.binary(max_size=400)),
    st.tuples(st.just("sheet"), st.sampled_from(["half", "garbage", "drop", "dimension", "cellref", "shared"])),
)


def damage(path, how) -> None:
    kind, arg = how
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[:int(len(data) * arg)])
    elif kind == "flip":
        b = bytearray(data)
        for where, value in arg:
            b[min(int(where * len(b)), len(b) - 1)] = value
        path.write_bytes(bytes(b))
    elif kind == "random":
        path.write_bytes(arg)
    elif path.suffix == ".xlsx":   # damage inside a workbook that still unzips
        sheet = "xl/worksheets/sheet1.xml"
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        xml = parts[sheet]
        parts[sheet] = {"half": xml[:len(xml) // 2], "garbage": b"\x00<sheetData",
                        "dimension": xml.replace(b'<dimension ref="A1:H5" />', b'<dimension ref="A1:A1" />'),
                        "cellref": xml.replace(b'r="B3"', b'r="QQ0"'),
                        "shared": xml.replace(b't="inlineStr"', b't="s"')}.get(arg, xml)
        if arg == "drop":
            del parts[sheet]
        with zipfile.ZipFile(path, "w") as z:
            for n, part in parts.items():
                z.writestr(n, part)


@FUZZ
@given(fmt=st.sampled_from(["csv", "csv-gb", "csv-big5", "xlsx"]), how=DAMAGE, skip_bad=st.booleans(),
       sales=st.booleans())
def test_a_damaged_file_is_refused_cleanly_or_read_whole(ctx, tmp_path, fmt, how, skip_bad, sales):
    path = _good_file(tmp_path, fmt)
    damage(path, how)
    before = snapshot(ctx)
    try:
        report = (import_sales if sales else import_members)(ctx, path, skip_bad=skip_bad)
    except ShopError as exc:
        assert render(exc, "en") and render(exc, "zh_CN")   # a message in both languages
        assert snapshot(ctx) == before
        return
    # Read after all: what it imported balances, and no row came in that the file did not hold
    # whole (an overwritten byte can make a new, bad row, e.g. a last "\n" turned into "\x01").
    assert report.imported <= 4 and all(r.reason_text_en and r.reason_text_zh for r in report.rejected)
    assert ledger_faults(ctx.db) == []


# --- purchase history ---------------------------------------------------------------------------
SALE_BAD = {"datetime": ["", "2026-02-30 10:00", "yesterday", "2099-01-01 10:00"],
            "amount": ["0", "-3", "1e400", "NaN", "1.234", "", "1.000,00", "1,0,0", "5e2", "1_000", "1E+7"],
            "qty": ["0", "1.5", "10000", "1e999999"],
            "phone": ["12345", "abc"]}


@FUZZ
@given(rows=st.lists(st.one_of(
    st.tuples(st.just("good"), st.integers(1, 999_999), st.integers(1, 28), st.integers(1, 5), st.booleans()),
    st.sampled_from(sorted(SALE_BAD)).flatmap(lambda c: st.tuples(st.just("bad"), st.just(c),
                                                                  st.sampled_from(SALE_BAD[c])))),
    min_size=1, max_size=10), fmt=st.sampled_from(["csv", "xlsx"]), skip_bad=st.booleans())
def test_a_history_file_is_imported_all_or_nothing_and_once(ctx, tmp_path, rows, fmt, skip_bad):
    phone = fresh_phone()   # one customer: some rows known, some bad
    table, bad, spent = [], set(), 0
    for i, r in enumerate(rows):
        if r[0] == "good":
            _kind, amount, day, qty, numeric = r
            table.append({"phone": phone, "datetime": f"2026-02-{day:02d} 1{day % 10}:30",
                          "amount": float(Decimal(amount) / 100) if numeric and fmt == "xlsx" else str(Decimal(amount) / 100),
                          "qty": str(qty)})
            spent += amount
        else:
            _kind, col, value = r
            row = {"phone": phone, "datetime": "2026-02-10 12:00", "amount": "5.00", "qty": "1"}
            row[col] = value
            table.append(row)
            bad.add(i + 2)
    cols = ["phone", "datetime", "amount", "qty"]
    path = tmp_path / f"sales-{next(_PHONES)}.{fmt}"
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        for line in [cols] + [[r[c] for c in cols] for r in table]:
            wb.active.append(line)
        wb.save(path)
    else:
        buf = io.StringIO()
        csv.writer(buf).writerows([cols] + [[r[c] for c in cols] for r in table])
        path.write_text(buf.getvalue(), encoding="utf-8")
    good = len(rows) - len(bad)
    before = snapshot(ctx)
    try:
        report = import_sales(ctx, path, skip_bad=skip_bad)
    except ImportFailed as exc:
        assert not skip_bad and bad and exc.code == "import_rows"
        assert sorted(r.row_no for r in exc.params["rows"]) == sorted(bad)
        assert snapshot(ctx) == before
        return
    assert report.imported == good and sorted(r.row_no for r in report.rejected) == sorted(bad)
    m = by_phone(ctx, "+86" + phone)
    assert (m.total_spent if m else 0) == spent          # exact, in minor units
    assert snapshot(ctx)[5] == before[5] + good           # one sale per good row
    assert ledger_faults(ctx.db) == []
    # Again: every sale is already there; skipped, not doubled.
    mid = snapshot(ctx)
    again = import_sales(ctx, path, skip_bad=True)
    assert again.imported == 0 and again.skipped == good
    assert snapshot(ctx)[5] == mid[5] and (by_phone(ctx, "+86" + phone).total_spent if m else 0) == spent
