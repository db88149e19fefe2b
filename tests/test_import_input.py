"""Import files read the way they were written, or refused: Big5 and GB18030 told apart, Shift-JIS
and other guesses refused, amounts only in plain forms, no cell lost past the last column."""
from __future__ import annotations

import pytest

from app.errors import ImportFailed, ValidationError, render
from app.money import parse_amount
from app.services.members import members
from app.services.admin.imports import import_members, import_sales
from app.services.base.tabular import decode_text

TRADITIONAL = ["陳大文", "黃小明", "李嘉欣", "張國榮", "劉德華", "梁朝偉", "周潤發", "鄭秀文", "謝霆鋒", "蔡依林"]
SIMPLIFIED = ["陈大文", "王芳", "李娜", "张伟", "刘德华", "黄小明", "周杰伦", "郑秀文", "谢霆锋", "蔡依林"]


def members_csv(tmp_path, name: str, header: str, names: list[str], encoding: str, first_phone: int = 1):
    lines = [header] + [f"{n},138001380{first_phone + i:02d}" for i, n in enumerate(names)]
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize("count", [1, 2, 10])
def test_a_big5_file_from_taiwan_or_hong_kong_is_read_right(ctx, tmp_path, count):
    lines = ["姓名,手機號碼,餘額"] + [f'{n},138001380{i:02d},"1,234.50"' for i, n in enumerate(TRADITIONAL[:count])]
    path = tmp_path / "tw.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("big5"))
    report = import_members(ctx, path)
    assert report.imported == count
    m = members.find_by_phone(ctx, "13800138000")
    assert m.name == "陳大文" and m.wallet_principal == 123450


def test_a_gb18030_file_with_currency_signs_and_accents_is_read(ctx, tmp_path):
    path = tmp_path / "cn.csv"
    path.write_bytes('姓名,手机号,余额\nAnna Müller,13800138001,¥12.50\n王芳,13800138002,"￥1,000"\n'.encode("gb18030"))
    assert import_members(ctx, path).imported == 2
    assert members.find_by_phone(ctx, "13800138001").name == "Anna Müller"


@pytest.mark.parametrize("count", [1, 2, 10])
def test_a_gb18030_file_is_still_read_right(ctx, tmp_path, count):
    path = members_csv(tmp_path, "cn.csv", "姓名,手机号", SIMPLIFIED[:count], "gb18030")
    assert import_members(ctx, path).imported == count
    assert members.find_by_phone(ctx, "13800138001").name == "陈大文"


def test_the_two_legacy_encodings_of_one_text_are_told_apart():
    for names in (TRADITIONAL, TRADITIONAL[:1], ["香港九龍灣", "臺北市信義區"]):
        text = "姓名\n" + "\n".join(names) + "\n"
        assert decode_text(text.encode("big5")) == text
    for names in (SIMPLIFIED, SIMPLIFIED[:1], ["北京市朝阳区", "上海市浦东新区"]):
        text = "姓名\n" + "\n".join(names) + "\n"
        assert decode_text(text.encode("gb18030")) == text


@pytest.mark.parametrize("data", [
    "名前,電話\n山田太郎,090-1234-5678\nさくら,080-1111-2222\n".encode("shift_jis"),   # Shift-JIS: refused, not garbage
    "name,phone\nAnna Müller,13800138001\nJosé,13800138002\n".encode("latin-1"),
    "姓名,手机号\n\ue610王,13800138001\n".encode("gb18030"),                          # private use: a wrong guess
    "name,phone\nA,13800138001\n".encode("utf-16"),
    b"\xff\xfe\xfd\xfc",
])
def test_a_file_in_no_encoding_it_can_tell_is_refused(ctx, tmp_path, data):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(ImportFailed) as e:
        import_members(ctx, path)
    assert e.value.code == "import_encoding"
    assert "save it as UTF-8" in render(e.value, "en") and "另存为 UTF-8" in render(e.value, "zh_CN")
    with ctx.tx(write=False) as t:
        from sqlalchemy import func, select

        from app.models import Member
        assert t.s.execute(select(func.count()).select_from(Member)).scalar() == 0


AMBIGUOUS = ["1.000,00", "1,0,0", "5e2", "1_000", "1E+7", "12,34", "1 000", "1,000.000,0", "٥", "5¥8", ".", "--5"]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_amounts_in_ambiguous_forms_are_refused(text):
    with pytest.raises(ValidationError) as e:
        parse_amount(text, field="balance", allow_negative=True)
    assert e.value.code == "amount_invalid"
    assert "1,234.50" in render(e.value, "en") and "不是有效金额" in render(e.value, "zh_CN")


@pytest.mark.parametrize("text,minor", [("1,234.50", 123450), ("1,234,567", 123456700), ("1234.5", 123450),
                                        ("¥1,000", 100000), ("-¥5", -500), ("１，２３４．５０", 123450), (".5", 50),
                                        ("+3", 300), ("12.", 1200)])
def test_amounts_in_plain_forms_are_read(text, minor):
    assert parse_amount(text, allow_negative=True) == minor


def test_ambiguous_amounts_in_a_file_are_bad_rows_with_row_and_field(ctx, tmp_path):
    rows = "\n".join(f'"M{i}",1380013801{i},"{a}"' for i, a in enumerate(AMBIGUOUS[:8]))
    path = tmp_path / "m.csv"
    path.write_text("name,phone,余额（元）\n" + rows + '\n"OK",13800138099,"1,234.50"\n', encoding="utf-8")
    report = import_members(ctx, path, skip_bad=True)
    assert report.imported == 1 and members.find_by_phone(ctx, "13800138099").wallet_principal == 123450
    assert [r.row_no for r in report.rejected] == list(range(2, 10))
    assert all(r.reason_code == "amount_invalid" and r.reason_text_en.startswith("余额（元）:")
               for r in report.rejected)
    sales = tmp_path / "s.csv"
    sales.write_text('phone,datetime,amount\n13800138099,2025-01-01 10:00,"1.000,00"\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as e:
        import_sales(ctx, sales)
    assert [(r.row_no, r.reason_code) for r in e.value.params["rows"]] == [(2, "amount_invalid")]


def test_a_row_with_a_cell_past_the_last_column_is_refused(ctx, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("name,phone,balance\n王芳,13800138001,5\n李,娜,13800138002,5\n张伟,13800138003,5,,\n",
                    encoding="utf-8")
    report = import_members(ctx, path, skip_bad=True)
    assert report.imported == 2
    assert [(r.row_no, r.reason_code) for r in report.rejected] == [(3, "import_extra_cells")]
    assert "'5'" in report.rejected[0].reason_text_en and "最后一列之后" in report.rejected[0].reason_text_zh
    sales = tmp_path / "s.csv"
    sales.write_text("phone,datetime,amount\n13800138001,2025-01-01 10:00,5,00\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as e:
        import_sales(ctx, sales)
    assert [(r.row_no, r.reason_code) for r in e.value.params["rows"]] == [(2, "import_extra_cells")]


def test_a_csv_that_breaks_off_says_where_in_the_users_language(ctx, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text('name,phone\n王芳,13800138001\n"李' + "娜" * 200_000 + ',13800138002\n', encoding="utf-8")
    with pytest.raises(ImportFailed) as e:
        import_members(ctx, path)
    assert e.value.code == "import_csv_broken" and e.value.params["row"] == 3
    assert "第 3 行" in render(e.value, "zh_CN") and "field" not in render(e.value, "zh_CN")


def test_a_file_that_reads_as_well_both_ways_goes_by_the_shops_region(ctx, tmp_path):
    from app.services.base import settings

    data = "name\n李娜\n".encode("gb18030")          # two common characters in Big5 as well
    big5_reading = data.decode("big5hkscs")
    assert decode_text(data, region="CN") == "name\n李娜\n"
    assert decode_text(data, region="TW") == decode_text(data, region="HK") == big5_reading
    path = tmp_path / "one.csv"
    path.write_bytes("name,phone\n李娜,13800138001\n".encode("gb18030"))
    import_members(ctx, path)
    assert members.find_by_phone(ctx, "13800138001").name == "李娜"
    settings.update(ctx, region="HK")
    path.write_bytes("姓名,電話\n陳大文,91234567\n".encode("big5"))
    import_members(ctx, path)
    assert members.find_by_phone(ctx, "91234567").name == "陳大文"
