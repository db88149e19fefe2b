"""Dates as old software exports them, in one column of one file: 2024/3/5, 2024-03-05, 2024年3月5日,
Excel serials saved as text (45356), and day and month in either order (25.3.2024, 3/25/2024).
The unambiguous are read; 5.3.2024 (5 March or 3 May?) is refused with its row and both readings,
in the reader's language, and nothing is written. On SQLite and, with SHOPCARE_TEST_PG, PostgreSQL."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.errors import ImportFailed, render
from app.models import Member, Sale
from app.services.admin import import_run
from app.services.admin.import_run import ImportOptions

HISTORY = ("手机号,日期,金额\n"
           "13800138001,2024/3/5 10:00,10\n"        # row 2
           "13800138002,2024-03-05,20\n"             # row 3
           "13800138003,2024年3月5日,30\n"           # row 4
           "13800138004,45356,40\n"                  # row 5: an Excel serial saved as text
           "13800138005,45356.5,50\n"                # row 6: noon of that day
           "13800138006,25.3.2024,60\n"              # row 7: day first, only one reading
           "13800138007,3/25/2024 18:30,70\n"        # row 8: month first, only one reading
           "13800138008,5.5.2024,80\n")              # row 9: day and month the same


def write(tmp_path, body: str):
    path = tmp_path / "history.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_every_unambiguous_form_is_read(ctx, tmp_path):
    report = import_run.run(ctx, write(tmp_path, HISTORY), ImportOptions(kind="sales"))
    assert report.imported == 8 and not report.rejected
    with ctx.tx(write=False) as t:
        when = dict(t.s.execute(select(Member.phone, Sale.created_at).join(Member, Member.id == Sale.member_id)).all())
    assert [when[f"+8613800138{n:03d}"] for n in range(1, 9)] == [
        datetime(2024, 3, 5, 10, 0), datetime(2024, 3, 5), datetime(2024, 3, 5), datetime(2024, 3, 5),
        datetime(2024, 3, 5, 12, 0), datetime(2024, 3, 25), datetime(2024, 3, 25, 18, 30), datetime(2024, 5, 5)]


@pytest.mark.parametrize("lang, words", [("en", "could be 2024-03-05 or 2024-05-03"),
                                         ("zh_CN", "可能是 2024-03-05，也可能是 2024-05-03"),
                                         ("zh_TW", "可能是 2024-03-05，也可能是 2024-05-03")])
def test_day_or_month_first_is_refused_with_both_readings_and_nothing_is_written(ctx, tmp_path, lang, words):
    body = HISTORY + "13800138009,5.3.2024,90\n"    # row 10
    with pytest.raises(ImportFailed) as refused:
        import_run.run(ctx, write(tmp_path, body), ImportOptions(kind="sales"))
    rows = refused.value.params["rows"]
    assert [r.row_no for r in rows] == [10] and rows[0].reason_code == "import_date_ambiguous"
    assert words in rows[0].text(lang) and "5.3.2024" in rows[0].text(lang)
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(Sale.id)).first() is None


def test_serials_out_of_range_and_non_dates_are_still_refused(ctx, tmp_path):
    body = "手机号,日期,金额\n13800138001,2024,10\n13800138002,12345678,10\n13800138003,32.13.2024,10\n"
    report = import_run.run(ctx, write(tmp_path, body), ImportOptions(kind="sales", skip_bad=True))
    assert report.imported == 0
    assert [(r.row_no, r.reason_code) for r in report.rejected] == [
        (2, "import_datetime"), (3, "import_datetime"), (4, "import_datetime")]
