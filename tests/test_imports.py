"""Member and purchase-history imports: encodings, XLSX cells, bad rows, opening balances,
idempotent history, permissions. Fixture files are written into tmp_path by each test."""
from __future__ import annotations

import random
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from app.errors import ImportFailed, PermissionDenied, render
from app.models import AuditLog, Member, PointsEntry, Product, Sale, SaleLine, Tier, WalletEntry
from app.services.admin import imports
from app.services.members import members
from app.services.base import settings
from app.services.admin.imports import MEMBER_COLUMNS, SALES_COLUMNS, import_members, import_sales
from app.services.base.tabular import header_key, read_table, xlsx_cell

ZH_MEMBERS = ("姓名,手机号,生日,性别,备注,同意短信,卡号,余额,赠送余额,积分,标签,入会日期\n"
              "张三,13800138000,1990-03-05,男,老顾客,是,C001,100.50,20,300,常客、VIP,2024-05-01\n"
              "李四,139 0013 9000,农历 08-15,女,,否,,0,,0,,\n")


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path, name: str, rows: list[list], *, xml_values: dict[str, str] | None = None):
    """A workbook; ``xml_values`` rewrites stored numbers as another program would write them
    (openpyxl itself saves 13900139000.0 as "13900139000", which reads back as an int)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    if xml_values:
        sheet = "xl/worksheets/sheet1.xml"
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        xml = parts[sheet].decode()
        for old, new in xml_values.items():
            assert f"<v>{old}</v>" in xml
            xml = xml.replace(f"<v>{old}</v>", f"<v>{new}</v>")
        parts[sheet] = xml.encode()
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)
    return path


def count(ctx, model) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(func.count()).select_from(model)).scalar()


def member_row(ctx, phone: str) -> Member:
    with ctx.tx(write=False) as t:
        m = t.s.execute(select(Member).where(Member.phone == phone)).scalar_one()
        t.s.expunge(m)
        return m


# --- reading files ----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_chinese_csv_loads_in_each_encoding(ctx, tmp_path, encoding):
    path = write(tmp_path, "members.csv", ZH_MEMBERS, encoding)
    report = import_members(ctx, path)
    assert (report.imported, report.skipped, report.rejected) == (2, 0, ())
    zhang = members.find_by_phone(ctx, "13800138000")
    assert zhang is not None and zhang.name == "张三" and zhang.gender == "M" and zhang.card_no == "C001"
    assert str(zhang.birthday) == "1990-03-05" and zhang.join_date == date(2024, 5, 1)
    assert zhang.tags == ("VIP", "常客") and zhang.notes == "老顾客"
    assert (zhang.wallet_principal, zhang.wallet_bonus, zhang.points) == (10050, 2000, 300)
    li = members.find_by_phone(ctx, "13900139000")
    assert li.name == "李四" and li.birthday.calendar == "lunar" and (li.birthday.month, li.birthday.day) == (8, 15)
    assert li.join_date == date(2026, 3, 2)  # blank join date: the import date
    assert (li.wallet_principal, li.points, li.consent_care) == (0, 0, False)


def test_gb18030_bytes_are_not_mistaken_for_utf8(tmp_path):
    data = "姓名,手机\n王五,13700137000\n".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table(_raw(tmp_path, "x.csv", data), MEMBER_COLUMNS, ("name", "phone"))
    assert table.rows[0].values == {"name": "王五", "phone": "13700137000"}


def _raw(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_xlsx_numeric_phone_and_date_cells(ctx, tmp_path):
    path = write_xlsx(tmp_path, "members.xlsx", [
        ["姓名", "手机", "生日", "入会日期", "余额", "积分", "卡号"],
        ["赵六", 13800138000, datetime(1985, 12, 31), datetime(2023, 1, 9), 88.8, 12, 10001],
        ["钱七", 13900139000, None, None, None, None, None],
    ], xml_values={"13900139000": "1.3900139E10"})  # read back as the float 13900139000.0
    report = import_members(ctx, path)
    assert report.imported == 2
    zhao = members.find_by_phone(ctx, "13800138000")
    assert zhao.phone == "+8613800138000"
    assert str(zhao.birthday) == "1985-12-31" and zhao.join_date == date(2023, 1, 9)
    assert zhao.wallet_principal == 8880 and zhao.points == 12 and zhao.card_no == "10001"
    qian = members.find_by_phone(ctx, "13900139000")
    assert qian is not None and qian.name == "钱七"


def test_xlsx_cell_values():
    assert xlsx_cell(13800138000.0) == "13800138000"
    assert xlsx_cell(8613800138000.0) == "8613800138000"
    assert (xlsx_cell(88.8), xlsx_cell(0.1), xlsx_cell(1e-7)) == ("88.8", "0.1", "0.0000001")
    assert (xlsx_cell(None), xlsx_cell(7), xlsx_cell(True)) == ("", "7", "true")
    assert xlsx_cell(datetime(2025, 1, 2, 3, 4)) == datetime(2025, 1, 2, 3, 4)


def test_headers_are_trimmed_case_insensitive_and_units_ignored(ctx, tmp_path):
    path = write(tmp_path, "m.csv", " NAME ,Mobile, Join Date ,余额（元）,Unknown\nAnn,13800138000,2025-01-02,5,x\n")
    report = import_members(ctx, path)
    assert report.imported == 1
    ann = members.find_by_phone(ctx, "13800138000")
    assert ann.join_date == date(2025, 1, 2) and ann.wallet_principal == 500
    assert header_key(" Join Date ") == "join_date" and header_key("余额（元）") == "余额"


def test_missing_columns_are_named(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "姓名,生日\n张三,1990-01-01\n")
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, path)
    assert exc.value.code == "import_columns"
    assert exc.value.params["missing"] == "phone"
    assert exc.value.params["found"] == "姓名, 生日"
    assert count(ctx, Member) == 0


def test_two_headers_for_one_column_are_refused(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "name,手机,phone\nA,13800138000,13900139000\n")
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, path)
    assert exc.value.code == "import_column_twice" and exc.value.params["column"] == "phone"


@pytest.mark.parametrize("kind", ["random", "utf16", "utf16-nobom", "utf16-ascii"])
def test_wrong_encoding(ctx, tmp_path, kind):
    if kind == "random":
        rng = random.Random(7)
        data = bytes(rng.randrange(256) for _ in range(2000))
    elif kind == "utf16":
        data = ZH_MEMBERS.encode("utf-16")
    elif kind == "utf16-nobom":
        data = ZH_MEMBERS.encode("utf-16-le")
    else:  # ASCII in UTF-16 is valid GB18030 byte for byte, full of NULs
        data = "name,phone\nAnn,13800138000\n".encode("utf-16-le")
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, _raw(tmp_path, "m.csv", data))
    assert exc.value.code == "import_encoding"
    assert count(ctx, Member) == 0


def test_empty_file_and_old_xls(ctx, tmp_path):
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, write(tmp_path, "m.csv", "name,phone\n\n"))
    assert exc.value.code == "import_empty"
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, _raw(tmp_path, "m.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100))
    assert exc.value.code == "import_xls"
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, tmp_path / "missing.csv")
    assert exc.value.code == "import_unreadable"


# --- bad rows ---------------------------------------------------------------------------------
BAD_FILE = (
    "name,phone,birthday,balance,card\n"
    "Good One,13800138001,1990-01-01,10,\n"        # 2 ok
    "Letters,1380013800a,,,\n"                     # 3 phone with a letter
    "Feb,13800138003,1990-02-30,,\n"               # 4 30 February
    "Twin,138 0013 8001,,,\n"                      # 5 same phone as row 2
    "Existing,13900139000,,,\n"                    # 6 phone of an existing member
    "Negative,13800138006,,-5,\n"                  # 7 negative balance
    ",13800138007,,,\n"                            # 8 empty name
    "Good Two,13800138008,,,C9\n"                  # 9 ok
    "\n"                                           # 10 blank: ignored
    "Card Twin,13800138011,,,C9\n"                 # 11 card of row 9
)
EXPECTED_BAD = {3: "phone_letters", 4: "birthday_invalid", 5: "import_phone_repeated",
                6: "phone_duplicate", 7: "amount_negative", 8: "name_empty", 11: "import_card_repeated"}


def test_bad_rows_are_all_listed_and_nothing_is_imported(ctx, tmp_path):
    members.create_member(ctx, members.MemberInput(name="Old", phone="13900139000"))
    before = (count(ctx, Member), count(ctx, WalletEntry), count(ctx, AuditLog))
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, write(tmp_path, "bad.csv", BAD_FILE))
    err = exc.value
    assert err.code == "import_rows" and err.params["count"] == len(EXPECTED_BAD)
    assert err.params["file"] == "bad.csv"
    rows = err.params["rows"]
    assert {r.row_no: r.reason_code for r in rows} == EXPECTED_BAD
    assert [r.row_no for r in rows] == sorted(EXPECTED_BAD)
    by_no = {r.row_no: r for r in rows}
    assert "row 2" in by_no[5].reason_text_en and "第 2 行" in by_no[5].reason_text_zh
    assert "Old" in by_no[6].reason_text_en
    assert "balance" in by_no[7].reason_text_en and "负数" in by_no[7].reason_text_zh
    assert (count(ctx, Member), count(ctx, WalletEntry), count(ctx, AuditLog)) == before


def test_skip_bad_imports_exactly_the_good_rows(ctx, tmp_path):
    members.create_member(ctx, members.MemberInput(name="Old", phone="13900139000"))
    report = import_members(ctx, write(tmp_path, "bad.csv", BAD_FILE), skip_bad=True)
    assert report.imported == 2 and report.members_created == 2
    assert {r.row_no: r.reason_code for r in report.rejected} == EXPECTED_BAD
    with ctx.tx(write=False) as t:
        names = set(t.s.execute(select(Member.name)).scalars())
    assert names == {"Old", "Good One", "Good Two"}
    assert members.find_by_phone(ctx, "13800138001").wallet_principal == 1000
    assert members.find_by_phone(ctx, "13800138008").card_no == "C9"


def test_other_field_errors(ctx, tmp_path):
    text = ("name,phone,gender,consent,points,birthday_calendar,join_date,bonus\n"
            "A,13800138001,X,,,,,\n"           # 2 gender
            "B,13800138002,,maybe,,,,\n"       # 3 consent
            "C,13800138003,,,1.5,,,\n"         # 4 points not whole
            "D,13800138004,,,,julian,,\n"      # 5 calendar
            "E,13800138005,,,,,2099-01-01,\n"  # 6 join date in the future
            "F,13800138006,,,,,2024-13-01,\n"  # 7 join date not a date
            "G,13800138007,,,,,,1.234\n")      # 8 bonus too precise
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, write(tmp_path, "m.csv", text))
    assert {r.row_no: r.reason_code for r in exc.value.params["rows"]} == {
        2: "gender_invalid", 3: "import_yes_no", 4: "import_whole_number", 5: "import_calendar",
        6: "import_future", 7: "date_invalid", 8: "amount_too_precise"}


# --- opening balances, consent, audit ---------------------------------------------------------
def test_opening_balances_match_their_ledgers(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "name,phone,balance,bonus,points,consent\n"
                                    "A,13800138001,100,20,500,yes\n"
                                    "B,13800138002,0.01,,,no\n"
                                    "C,13800138003,,5,7,\n"
                                    "D,13800138004,,,,\n")
    import_members(ctx, path)
    with ctx.tx(write=False) as t:
        for m in t.s.execute(select(Member)).scalars():
            p, b = t.s.execute(select(func.coalesce(func.sum(WalletEntry.principal), 0),
                                      func.coalesce(func.sum(WalletEntry.bonus), 0))
                               .where(WalletEntry.member_id == m.id)).one()
            pts = t.s.execute(select(func.coalesce(func.sum(PointsEntry.points), 0))
                              .where(PointsEntry.member_id == m.id)).scalar()
            assert (m.wallet_principal, m.wallet_bonus, m.points_balance) == (p, b, pts)
        kinds = set(t.s.execute(select(WalletEntry.kind)).scalars()) | set(t.s.execute(select(PointsEntry.kind)).scalars())
        assert kinds == {"opening"}
        assert t.s.execute(select(func.count()).select_from(WalletEntry)).scalar() == 3  # D has none
        a = t.s.execute(select(Member).where(Member.name == "A")).scalar_one()
        assert (a.wallet_principal, a.wallet_bonus, a.points_balance) == (10000, 2000, 500)
        # a single consent column grants care texts only: marketing needs its own column
        assert a.consent_care and not a.consent_marketing and a.consent_care_source == "import"
        assert a.consent_care_at == datetime(2026, 3, 2, 10, 0)
        b = t.s.execute(select(Member).where(Member.name == "B")).scalar_one()
        assert not b.consent_care and b.consent_care_source is None and b.wallet_principal == 1
        entry = t.s.execute(select(PointsEntry).where(PointsEntry.member_id == a.id)).scalar_one()
        assert entry.expires_on == imports.points_expiry(settings.load(ctx), date(2026, 3, 2))
        audits = t.s.execute(select(AuditLog).where(AuditLog.action == "import.members")).scalars().all()
        assert len(audits) == 1 and '"imported": 4' in audits[0].after and "m.csv" in audits[0].after
        assert t.s.execute(select(func.count()).select_from(AuditLog)).scalar() == 1  # one, not one per member


def test_cashier_cannot_import(cashier_ctx, tmp_path):
    with pytest.raises(PermissionDenied):
        import_members(cashier_ctx, write(tmp_path, "m.csv", ZH_MEMBERS))
    with pytest.raises(PermissionDenied):
        import_sales(cashier_ctx, write(tmp_path, "s.csv", "phone,datetime,amount\n13800138000,2025-01-01,5\n"))
    assert count(cashier_ctx, Member) == 0


# --- purchase history -------------------------------------------------------------------------
SALES = ("手机号,时间,金额\n"
         "13800138000,2025-06-01 10:30,58.00\n"
         "13800138000,2025-06-01 10:30,58.00\n"   # the same purchase twice: two sales
         "13900139000,2025-07-02,120\n")


def test_import_sales_creates_members_and_keeps_identical_rows(ctx, tmp_path):
    members.create_member(ctx, members.MemberInput(name="Known", phone="13900139000"))
    report = import_sales(ctx, write(tmp_path, "s.csv", SALES))
    assert (report.imported, report.skipped, report.members_created, report.rejected) == (3, 0, 1, ())
    new = member_row(ctx, "+8613800138000")
    assert new.name == "会员8000" and new.join_date == date(2025, 6, 1)
    assert (new.total_spent, new.visits, new.last_visit_at) == (11600, 2, datetime(2025, 6, 1, 10, 30))
    known = member_row(ctx, "+8613900139000")
    assert (known.total_spent, known.visits, known.last_visit_at) == (12000, 1, datetime(2025, 7, 2))
    assert known.points_balance == 0 and count(ctx, PointsEntry) == 0  # no points on history
    with ctx.tx(write=False) as t:
        sales = t.s.execute(select(Sale).order_by(Sale.id)).scalars().all()
        assert [s.receipt_no for s in sales] == ["IMP-000001", "IMP-000002", "IMP-000003"]
        assert {(s.source, s.till, s.kind, s.points_earned) for s in sales} == {("import", "IMP", "sale", 0)}
        assert sales[0].created_at == datetime(2025, 6, 1, 10, 30) and sales[0].total == 5800
        assert sales[0].source_ref.endswith(":1") and sales[1].source_ref.endswith(":2")
        assert sales[0].source_ref[:-2] == sales[1].source_ref[:-2]
        line = sales[2].lines[0]
        assert (line.sku, line.name, line.product_id, line.qty, line.line_total) == ("IMPORT", "Imported purchase",
                                                                                      None, 1, 12000)
        assert [(p.method, p.amount) for p in sales[2].payments] == [("other", 12000)]


def test_reimport_adds_nothing_and_appended_rows_add_exactly_those(ctx, tmp_path):
    path = write(tmp_path, "s.csv", SALES)
    import_sales(ctx, path)
    again = import_sales(ctx, path)
    assert (again.imported, again.skipped, again.members_created) == (0, 3, 0)
    assert count(ctx, Sale) == 3
    # A new row, and a third copy of the repeated purchase: each is new.
    path.write_text(SALES + "13700137000,2025-08-03 09:00:00,10\n", encoding="utf-8")
    more = import_sales(ctx, path)
    assert (more.imported, more.skipped, more.members_created) == (1, 3, 1)
    path.write_text(SALES + "13700137000,2025-08-03 09:00:00,10\n13800138000,2025-06-01 10:30,58\n",
                    encoding="utf-8")
    third = import_sales(ctx, path)
    assert (third.imported, third.skipped) == (1, 4)
    assert count(ctx, Sale) == 5
    m = member_row(ctx, "+8613800138000")
    assert (m.visits, m.total_spent) == (3, 17400)


def test_receipts_dedupe(ctx, tmp_path):
    path = write(tmp_path, "s.csv", "phone,datetime,amount,receipt\n"
                                    "13800138000,2025-01-01 09:00,10,R1\n"
                                    "13800138000,2025-01-01 09:00,10,R2\n")
    assert import_sales(ctx, path).imported == 2
    # The same receipts again, even with changed content, are already imported.
    path.write_text("phone,datetime,amount,receipt\n13800138000,2025-01-01 09:05,11,R1\n"
                    "13800138000,2025-01-02 09:00,12,R3\n", encoding="utf-8")
    report = import_sales(ctx, path)
    assert (report.imported, report.skipped) == (1, 1)
    with ctx.tx(write=False) as t:
        refs = set(t.s.execute(select(Sale.source_ref)).scalars())
        notes = set(t.s.execute(select(Sale.note)).scalars())
    assert refs == {"import:receipt:R1", "import:receipt:R2", "import:receipt:R3"}
    assert "imported receipt R3" in notes


# An old till's export: one row per line item; rows sharing a receipt are one sale.
LINES = ("手机号,时间,金额,货号,数量,小票号\n"
         "13800138000,2025-03-01 10:00,10.50,P1,1,A100\n"       # 2
         "13900139000,2025-03-01 11:00,20,,,\n"                 # 3 no receipt: its own sale
         "13800138000,2025-03-01 10:00:00,5,NOPE,2,A100\n"      # 4 same time, written with seconds
         "+86 138 0013 8000,2025-03-01 10:00,100,,3,A100\n")    # 5 same phone, written otherwise


def test_rows_sharing_a_receipt_are_one_sale(ctx, tmp_path):
    with ctx.tx() as t:
        t.s.add(Product(sku="P1", name="Green tea", price=1050))
    report = import_sales(ctx, write(tmp_path, "lines.csv", LINES))
    assert (report.imported, report.skipped, report.members_created, report.rejected) == (2, 0, 2, ())
    with ctx.tx(write=False) as t:
        sale = t.s.execute(select(Sale).where(Sale.source_ref == "import:receipt:A100")).scalar_one()
        assert (sale.total, sale.subtotal, sale.points_earned) == (11550, 11550, 0)
        assert sale.created_at == datetime(2025, 3, 1, 10, 0) and sale.receipt_no == "IMP-000001"
        assert [(l.line_no, l.sku, l.qty, l.line_total, l.points_eligible) for l in sale.lines] == [
            (1, "P1", 1, 1050, False), (2, "IMPORT", 2, 500, False), (3, "IMPORT", 3, 10000, False)]
        assert [(p.method, p.amount, p.reference) for p in sale.payments] == [("other", 11550, "A100")]
        assert sale.note == "imported receipt A100; sku NOPE"
        assert t.s.execute(select(func.count()).select_from(SaleLine)).scalar() == 4
    m = member_row(ctx, "+8613800138000")
    assert (m.visits, m.total_spent, m.last_visit_at) == (1, 11550, datetime(2025, 3, 1, 10, 0))
    other = member_row(ctx, "+8613900139000")
    assert (other.visits, other.total_spent) == (1, 2000)
    # Re-importing adds nothing: the receipt is skipped once, however many rows it has.
    again = import_sales(ctx, write(tmp_path, "lines.csv", LINES))
    assert (again.imported, again.skipped, again.members_created, again.rejected) == (0, 2, 0, ())
    assert (count(ctx, Sale), count(ctx, SaleLine)) == (2, 4)
    assert member_row(ctx, "+8613800138000").visits == 1
    # A receipt already in the database is skipped whole, even with a line added since.
    more = import_sales(ctx, write(tmp_path, "lines.csv", LINES + "13800138000,2025-03-01 10:00,1,,,A100\n"))
    assert (more.imported, more.skipped) == (0, 2)
    assert (count(ctx, Sale), count(ctx, SaleLine)) == (2, 4)


def test_receipt_tier_sees_the_sale_total_once(ctx, tmp_path):
    # Neither line reaches the VIP single-purchase line; together they do, as one sale.
    import_sales(ctx, write(tmp_path, "s.csv", "phone,datetime,amount,receipt\n"
                                              "13800138000,2025-05-01 15:00,1500,R1\n"
                                              "13800138000,2025-05-01 15:00,1000,R1\n"))
    with ctx.tx(write=False) as t:
        m = t.s.execute(select(Member)).scalar_one()
        assert t.s.get(Tier, m.tier_id).code == "gold" and (m.total_spent, m.visits) == (250000, 1)


MISMATCH = ("phone,datetime,amount,receipt\n"
            "13800138000,2025-04-01 09:00,10,B1\n"     # 2 first row of B1
            "13900139000,2025-04-01 09:00,20,B1\n"     # 3 another phone
            "13800138000,2025-04-01 09:00,30,B1\n"     # 4 agrees: left out with B1
            "13800138000,2025-04-02 09:00,40,B1\n"     # 5 another day
            "13700137000,2025-04-03,5,B2\n"            # 6 ok
            "13700137000,2025-04-03,x,B3\n"            # 7 bad amount
            "13700137000,2025-04-03,7,B3\n")           # 8 left out with B3


def test_receipt_rows_that_disagree_are_bad_rows(ctx, tmp_path):
    path = write(tmp_path, "s.csv", MISMATCH)
    with pytest.raises(ImportFailed) as exc:
        import_sales(ctx, path)
    rows = exc.value.params["rows"]
    assert [(r.row_no, r.reason_code) for r in rows] == [
        (3, "import_receipt_mismatch"), (5, "import_receipt_mismatch"), (7, "amount_invalid")]
    assert exc.value.params["count"] == 3
    assert "B1" in rows[0].reason_text_en and "row 2" in rows[0].reason_text_en
    assert "第 2 行" in rows[0].reason_text_zh and "2025-04-01 09:00:00" in rows[1].reason_text_en
    assert (count(ctx, Sale), count(ctx, Member)) == (0, 0)
    # skip_bad: a receipt with any bad row is left out whole, and each of its rows is listed.
    report = import_sales(ctx, path, skip_bad=True)
    assert (report.imported, report.skipped, report.members_created) == (1, 0, 1)
    assert {r.row_no: r.reason_code for r in report.rejected} == {
        2: "import_receipt_left_out", 3: "import_receipt_mismatch", 4: "import_receipt_left_out",
        5: "import_receipt_mismatch", 7: "amount_invalid", 8: "import_receipt_left_out"}
    by_no = {r.row_no: r for r in report.rejected}
    assert "B1" in by_no[2].reason_text_en and "3, 5" in by_no[2].reason_text_en
    assert "7" in by_no[8].reason_text_zh
    with ctx.tx(write=False) as t:
        assert set(t.s.execute(select(Sale.source_ref)).scalars()) == {"import:receipt:B2"}


def test_sales_bad_rows_all_or_nothing_then_skip_bad(ctx, tmp_path):
    path = write(tmp_path, "s.csv", "phone,datetime,amount,qty\n"
                                    "13800138000,2025-01-01 09:00,10,\n"   # 2 ok
                                    "1380013800x,2025-01-01,10,\n"          # 3 letters
                                    "13800138000,2025-02-30,10,\n"          # 4 no such date
                                    "13800138000,2025-01-01,-3,\n"          # 5 negative
                                    "13800138000,2030-01-01,3,\n"           # 6 in the future
                                    "13800138000,2025-01-01,3,0\n"          # 7 qty 0
                                    "13800138000,2025-01-01,3,2\n")         # 8 ok
    with pytest.raises(ImportFailed) as exc:
        import_sales(ctx, path)
    assert {r.row_no: r.reason_code for r in exc.value.params["rows"]} == {
        3: "phone_letters", 4: "import_datetime", 5: "amount_negative", 6: "import_future", 7: "quantity_invalid"}
    assert (count(ctx, Sale), count(ctx, Member)) == (0, 0)
    report = import_sales(ctx, path, skip_bad=True)
    assert report.imported == 2 and len(report.rejected) == 5
    with ctx.tx(write=False) as t:
        line = t.s.execute(select(SaleLine).where(SaleLine.qty == 2)).scalar_one()
        assert (line.unit_price, line.line_total) == (150, 300)


def test_sales_from_xlsx_with_known_product_and_tier(ctx, tmp_path):
    with ctx.tx() as t:
        t.s.add(Product(sku="P1", name="Green tea", price=2500))
    path = write_xlsx(tmp_path, "s.xlsx", [
        ["Phone", "Date", "Amount", "SKU", "Qty"],
        [13800138000, datetime(2025, 5, 1, 15, 0), 25, "P1", 1],
        [13800138000, datetime(2025, 5, 2), 2500, "NOPE", None],
    ])
    report = import_sales(ctx, path)
    assert report.imported == 2
    with ctx.tx(write=False) as t:
        lines = t.s.execute(select(SaleLine).order_by(SaleLine.id)).scalars().all()
        assert (lines[0].sku, lines[0].name, lines[0].product_id is not None) == ("P1", "Green tea", True)
        assert (lines[1].sku, lines[1].product_id) == ("IMPORT", None)
        m = t.s.execute(select(Member)).scalar_one()
        assert t.s.get(Tier, m.tier_id).code == "gold"  # 2,525 spent, and one purchase over the VIP line
        assert m.total_spent == 252500


def test_english_shop_names_new_members_in_english(ctx, tmp_path):
    settings.update(ctx, language="en")
    import_sales(ctx, write(tmp_path, "s.csv", "phone,datetime,amount\n13800138000,2025-01-01,5\n"))
    assert member_row(ctx, "+8613800138000").name == "Member 8000"


def test_column_tables_have_the_documented_aliases():
    assert {"phone", "mobile", "手机", "手机号", "电话"} <= set(MEMBER_COLUMNS["phone"])
    assert "同意短信" in MEMBER_COLUMNS["consent"] and "赠送余额" in MEMBER_COLUMNS["bonus"]
    assert {"小票号", "单号"} <= set(SALES_COLUMNS["receipt"]) and "商品编码" in SALES_COLUMNS["sku"]


# --- regressions found by fuzzing (tests/test_import_fuzz.py) ---------------------------------
@pytest.mark.parametrize("text,code", [
    # exponents are no way to write an amount: refused as such, never computed
    ("1e400", "amount_invalid"), ("1e999999", "amount_invalid"), ("-1e400", "amount_invalid"),
    ("1e-400", "amount_invalid"), ("1e-999999999999", "amount_invalid"),
    ("1.000000000000000000000000000001", "amount_too_precise"),  # the decimal context rounded it to 1
    ("NaN", "amount_invalid"), ("inf", "amount_invalid"), ("1" + "0" * 5000, "amount_absurd"),
    ("-1" + "0" * 5000, "amount_negative"), ("0." + "0" * 5000 + "1", "amount_too_precise"),
])
def test_amounts_with_huge_or_tiny_exponents_are_bad_rows(ctx, tmp_path, text, code):
    path = write(tmp_path, "m.csv", f"name,phone,balance\nA,13800138001,{text}\nB,13800138002,0.{'0' * 5000}\n")
    report = import_members(ctx, path, skip_bad=True)
    assert report.imported == 1 and [(r.row_no, r.reason_code) for r in report.rejected] == [(2, code)]
    assert len(report.rejected[0].reason_text_en) < 120  # the cell is quoted cut, not 5,000 digits long
    assert members.find_by_phone(ctx, "13800138002").wallet_principal == 0
    sales = write(tmp_path, "s.csv", f"phone,datetime,amount\n13800138001,2025-01-01,{text}\n")
    with pytest.raises(ImportFailed) as exc:
        import_sales(ctx, sales)
    assert [r.reason_code for r in exc.value.params["rows"]] == [code]


def test_points_and_quantities_with_huge_exponents_are_refused_at_once(ctx, tmp_path):
    # int(Decimal("1e999999")) takes minutes: such a cell must be refused before it is computed.
    path = write(tmp_path, "m.csv", "name,phone,points\nA,13800138001,1e999999\nB,13800138002,99999999999\n"
                                    "C,13800138003,1e-400\nD,13800138004,1e3\n")
    report = import_members(ctx, path, skip_bad=True)
    assert [(r.row_no, r.reason_code) for r in report.rejected] == [
        (2, "import_whole_number"), (3, "amount_absurd"), (4, "import_whole_number"), (5, "import_whole_number")]
    assert "99999999999" in report.rejected[1].reason_text_en  # a count, not shown as money
    sales = write(tmp_path, "s.csv", "phone,datetime,amount,qty\n13800138001,2025-01-01,5,1e999999\n"
                                     "13800138001,2025-01-01,5,1e-400\n13800138001,2025-01-01,5,2.0\n")
    report = import_sales(ctx, sales, skip_bad=True)
    assert report.imported == 1 and [(r.row_no, r.reason_code) for r in report.rejected] == [
        (2, "quantity_invalid"), (3, "quantity_invalid")]


def _rezip(path, change):
    """Rewrite the workbook at ``path``: ``change(name, data)`` returns new bytes, or None to drop the part."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            new = change(n, data)
            if new is not None:
                z.writestr(n, new)
    return path


def test_xlsx_with_a_stale_dimension_is_read_whole(ctx, tmp_path):
    rows = [["name", "phone", "balance"]] + [[f"M{i}", f"1380013800{i}", i] for i in range(6)]
    path = _rezip(write_xlsx(tmp_path, "m.xlsx", rows), lambda n, d: d.replace(
        b'<dimension ref="A1:C7" />', b'<dimension ref="A1:B2" />') if n == "xl/worksheets/sheet1.xml" else d)
    with zipfile.ZipFile(path) as z:
        assert b'<dimension ref="A1:B2" />' in z.read("xl/worksheets/sheet1.xml")
    report = import_members(ctx, path)
    assert report.imported == 6  # not 1 row of 2 columns, as the <dimension> claims
    assert members.find_by_phone(ctx, "13800138005").wallet_principal == 500


@pytest.mark.parametrize("damage,code", [
    ("half_sheet_xml", "import_unreadable"), ("garbage_sheet_xml", "import_unreadable"),
    ("bad_cell_ref", "import_unreadable"), ("no_sheet_part", "import_no_sheet"),
    ("no_sheets", "import_no_sheet"), ("truncated", "import_unreadable"),
])
def test_damaged_xlsx_is_unreadable_not_a_crash(ctx, tmp_path, damage, code):
    path = write_xlsx(tmp_path, "m.xlsx", [["name", "phone"], ["A", "13800138001"], ["B", "13800138002"]])
    sheet = "xl/worksheets/sheet1.xml"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:700])
    else:
        _rezip(path, lambda n, d: {
            "half_sheet_xml": lambda: d[:len(d) // 2] if n == sheet else d,
            "garbage_sheet_xml": lambda: b"\x00\x01<sheetData" if n == sheet else d,
            "bad_cell_ref": lambda: d.replace(b'r="A2"', b'r="A0x"') if n == sheet else d,
            "no_sheet_part": lambda: None if n == sheet else d,
            "no_sheets": lambda: (d.replace(d[d.index(b"<sheets>"):d.index(b"</sheets>") + 9], b"<sheets />")
                                  if n == "xl/workbook.xml" else d),
        }[damage]())
    with pytest.raises(ImportFailed) as exc:
        import_members(ctx, path)
    assert exc.value.code == code and "m.xlsx" in str(exc.value)
    assert "m.xlsx" in render(exc.value, "zh_CN") and count(ctx, Member) == 0


def test_a_longest_name_that_casefolds_longer_is_imported_and_found(ctx, tmp_path):
    # "ß" casefolds to "ss": 64 of them made a 128-character search key, too long for its column
    # on PostgreSQL (the whole import failed); the key is cut to the column's length.
    name = "ß" * members.NAME_MAX
    path = write(tmp_path, "m.csv", f"name,phone\n{name},13800138077\n")
    assert import_members(ctx, path).imported == 1
    m = members.find_by_phone(ctx, "13800138077")
    assert m.name == name
    assert [p.id for p in members.find_members(ctx, "ss" * 40)] == [m.id]   # a typed key is cut alike
