"""The member and history imports as the wizard and the CLI run them (import_run): batches and
tagged rows, dry-run previews, progress and cancel, every problem of a row, consent, tiers, opening
count cards, --update with its before-values, streaming a big CSV, two imports at once. On SQLite
and, with SHOPCARE_TEST_PG, on PostgreSQL."""
from __future__ import annotations

import json
import os
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import ImportFailed
from app.models import (CountCard, CountCardEntry, ImportBatch, ImportChange, Member, MemberTag, PointsEntry, Sale,
                        SaleLine, WalletEntry)
from app.services.admin import import_run
from app.services.admin.import_common import Spill
from app.services.admin.import_run import IGNORE, ImportOptions
from app.services.base import tabular
from app.services.sales import catalog
from tests.shop import ledger_faults, member
from tests.test_cli import run as cli


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def counts(ctx) -> dict:
    with ctx.tx(write=False) as t:
        return {m.__tablename__: t.s.execute(select(func.count()).select_from(m)).scalar()
                for m in (Member, Sale, SaleLine, WalletEntry, PointsEntry, CountCard, CountCardEntry, ImportBatch,
                          ImportChange)}


def members_opts(**kw) -> ImportOptions:
    return ImportOptions(kind="members", **kw)


# --- batches, tags, preview -------------------------------------------------------------------
def test_members_import_is_one_batch_and_tags_every_row(ctx, tmp_path):
    catalog.add_product(ctx, sku="WASH", name="洗车", price=3000, kind="service")
    path = write(tmp_path, "m.csv", "姓名,手机号,余额,赠送余额,积分,次卡,剩余次数,标签\n"
                                    "王芳,13800138001,100,20,50,WASH,5,常客\n"
                                    "李娜,13800138002,,,,,,\n")
    report = import_run.run(ctx, path, members_opts())
    assert (report.imported, report.members_created, report.count_cards) == (2, 2, 1)
    with ctx.tx(write=False) as t:
        batch = t.s.execute(select(ImportBatch)).scalar_one()
        assert (batch.id, batch.kind, batch.status, batch.file) == (report.batch_id, "members", "done", "m.csv")
        assert json.loads(batch.counts)["imported"] == 2
        for model in (Member, WalletEntry, PointsEntry, CountCard, CountCardEntry):
            tags = set(t.s.execute(select(model.import_batch_id)).scalars())
            assert tags == {batch.id}, model
    assert ledger_faults(ctx.db) == []


def test_preview_shows_rows_as_stored_and_writes_nothing(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "name,phone,balance,bonus,points,birthday,consent,tags\n"
                                    "Wang,138 0013 8001,\"¥1,200.00\",5,30,1990-03-05,yes,a、b\n"
                                    "Bad,12,x,,,1990-02-30,maybe,\n")
    before = counts(ctx)
    report = import_run.preview(ctx, path, members_opts())
    assert report.dry_run and report.batch_id is None and counts(ctx) == before
    assert [r.row_no for r in report.rejected] == [3]
    (p,) = report.preview
    assert (p.name, p.phone, p.phone_shown, p.balance, p.bonus, p.points, p.birthday, p.tags) == (
        "Wang", "+8613800138001", "13800138001", 120000, 500, 30, "1990-03-05", ("a", "b"))
    assert (p.consent_care, p.consent_marketing, p.action) == (True, None, "new")


def test_sales_import_tags_sales_and_new_members_and_remembers_existing_members(ctx, tmp_path):
    old = member(ctx, "13800138000", "王芳")
    path = write(tmp_path, "h.csv", "phone,datetime,amount,receipt\n"
                                    "13800138000,2025-01-05 10:00,100,R1\n"
                                    "13800138000,2025-01-05 10:00,50,R1\n"
                                    "13900139000,2025-02-01 11:00,30,\n")
    with ctx.tx(write=False) as t:
        tier_before = t.s.get(Member, old.id).tier_id
    report = import_run.run(ctx, path, ImportOptions(kind="sales"))
    assert (report.imported, report.members_created) == (2, 1)
    with ctx.tx(write=False) as t:
        assert set(t.s.execute(select(Sale.import_batch_id)).scalars()) == {report.batch_id}
        new = t.s.execute(select(Member).where(Member.phone == "+8613900139000")).scalar_one()
        assert new.import_batch_id == report.batch_id
        assert t.s.get(Member, old.id).import_batch_id is None
        change = t.s.execute(select(ImportChange)).scalar_one()
        assert (change.batch_id, change.entity, change.entity_id) == (report.batch_id, "members", old.id)
        assert json.loads(change.before) | {"updated_at": None} == {
            "total_spent": 0, "visits": 0, "last_visit_at": None, "tier_id": tier_before, "updated_at": None}
    again = import_run.run(ctx, path, ImportOptions(kind="sales"))
    assert (again.imported, again.skipped) == (0, 2)
    assert ledger_faults(ctx.db) == []


def test_sales_preview(ctx, tmp_path):
    member(ctx, "13800138000", "王芳")
    path = write(tmp_path, "h.csv", "手机号,时间,金额,单号\n"
                                    "13800138000,2025-01-05 10:00,100,R1\n"
                                    "13800138000,2025-01-05 10:00,50,R1\n"
                                    "13900139000,2025-02-01,30,\n")
    before = counts(ctx)
    report = import_run.preview(ctx, path, ImportOptions(kind="sales"))
    assert counts(ctx) == before and (report.imported, report.members_created) == (2, 1)
    a, b = report.preview
    assert (a.receipt, a.amount, a.lines, a.new_member, a.when) == ("R1", 15000, 2, False, datetime(2025, 1, 5, 10))
    assert (b.receipt, b.amount, b.lines, b.new_member, b.phone_shown) == ("", 3000, 1, True, "13900139000")


def test_mapping_names_columns_and_leaves_others_out(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "客户,联系方式,余额\nWang,13800138001,10\n")
    report = import_run.run(ctx, path, members_opts(mapping={"客户": "name", "联系方式": "phone", "余额": IGNORE}))
    assert report.imported == 1
    assert counts(ctx)["wallet_entries"] == 0
    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, path, members_opts(mapping={"客户": "name", "联系方式": "name"}))
    assert exc.value.code == "import_column_twice"


# --- progress and cancel ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["members", "sales"])
def test_cancel_midway_rolls_everything_back(ctx, tmp_path, kind):
    if kind == "members":
        text = "name,phone,balance,points\n" + "".join(f"M{i},139{i:08d},10,5\n" for i in range(5000))
    else:
        text = "phone,datetime,amount\n" + "".join(f"139{i % 700:08d},2025-01-{1 + i % 28:02d} 10:{i % 60:02d},{10 + i}\n"
                                                   for i in range(5000))
    path = write(tmp_path, "big.csv", text)
    before = counts(ctx)
    seen: list[tuple[int, int]] = []

    def cancel() -> bool:
        return bool(seen) and seen[-1][0] >= 6000   # into the writing (done counts each row twice)

    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, path, ImportOptions(kind=kind), progress=lambda d, t: seen.append((d, t)), cancel=cancel)
    assert exc.value.code == "import_cancelled"
    assert seen and seen[-1][0] >= 6000 and all(d <= t for d, t in seen)
    assert counts(ctx) == before
    assert ledger_faults(ctx.db) == []
    done: list[tuple[int, int]] = []
    report = import_run.run(ctx, path, ImportOptions(kind=kind), progress=lambda d, t: done.append((d, t)))
    assert report.imported == 5000 and done[-1] == (10000, 10000) and len(done) >= 4


# --- honest rows --------------------------------------------------------------------------------
def test_a_bad_row_lists_every_problem(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "name,phone,birthday,balance\n"
                                    "A,12x,1990-02-30,-5\n"
                                    "B,13800138002,,\n")
    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, path, members_opts())
    (row,) = exc.value.params["rows"]
    assert row.row_no == 2 and row.codes == ("phone_letters", "birthday_invalid", "amount_negative")
    assert row.reason_code == "phone_letters" and row.error.code == "phone_letters"
    assert row.text("en").count("; ") == 2
    hist = write(tmp_path, "h.csv", "phone,datetime,amount,qty\n12x,2025-02-30 10:00,abc,0\n")
    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, hist, ImportOptions(kind="sales"))
    assert exc.value.params["rows"][0].codes == ("phone_letters", "import_datetime", "amount_invalid",
                                                 "quantity_invalid")


def test_consent_column_grants_care_only(ctx, tmp_path):
    path = write(tmp_path, "m.csv", "姓名,手机号,同意短信,营销短信\n"
                                    "A,13800138001,是,\n"
                                    "B,13800138002,是,是\n"
                                    "C,13800138003,否,\n")
    import_run.run(ctx, path, members_opts())
    chosen = write(tmp_path, "m2.csv", "姓名,手机号,同意短信\nD,13800138004,是\nE,13800138005,\n")
    import_run.run(ctx, chosen, members_opts(marketing_consent=True))
    with ctx.tx(write=False) as t:
        got = {m.name: (m.consent_care, m.consent_marketing) for m in t.s.execute(select(Member)).scalars()}
    assert got == {"A": (True, False), "B": (True, True), "C": (False, False), "D": (True, True), "E": (False, False)}


def test_counts_are_plural_aware(ctx, db, tmp_path):
    path = write(tmp_path, "m.csv", "name,phone\nA,13800138001\n")
    done = cli(tmp_path / "home", "--db", db.url, "import", "members", str(path))
    assert done.returncode == 0, done.stderr
    assert "1 member imported" in done.stdout and "Import batch" in done.stdout


# --- what comes over ----------------------------------------------------------------------------
def test_tiers_points_expiry_and_count_cards(ctx, tmp_path):
    catalog.add_product(ctx, sku="WASH", name="洗车", price=3000, kind="service")
    catalog.add_product(ctx, sku="WASH10", name="洗车十次卡", price=25000, kind="count_card", card_uses=10,
                        card_valid_days=365, card_service_sku="WASH")
    path = write(tmp_path, "m.csv", "姓名,手机号,等级,积分,积分到期,次卡,剩余次数,次卡到期\n"
                                    "A,13800138001,gold,100,2027-01-31,洗车,3,2026-12-31\n"
                                    "B,13800138002,金卡会员,,,WASH10,7,\n"
                                    "C,13800138003,platinum,,,WASH10,11,\n"
                                    "D,13800138004,,,,剪发,2,\n"
                                    "E,13800138005,,,,,4,\n"
                                    "F,13800138006,,,,WASH,,\n")
    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, path, members_opts())
    assert {r.row_no: r.codes for r in exc.value.params["rows"]} == {
        4: ("import_tier_unknown", "import_uses_over"), 5: ("import_service_unknown",),
        6: ("import_uses_no_card",), 7: ("import_uses_missing",)}
    report = import_run.run(ctx, path, members_opts(skip_bad=True))
    assert (report.imported, report.count_cards) == (2, 2)
    with ctx.tx(write=False) as t:
        a = t.s.execute(select(Member).where(Member.name == "A")).scalar_one()
        b = t.s.execute(select(Member).where(Member.name == "B")).scalar_one()
        from app.models import Tier
        assert t.s.get(Tier, a.tier_id).code == "gold" and b.tier_id == a.tier_id
        assert t.s.execute(select(PointsEntry.expires_on)).scalar_one() == date(2027, 1, 31)
        cards = {c.member_id: c for c in t.s.execute(select(CountCard)).scalars()}
        assert (cards[a.id].uses_total, cards[a.id].uses_left, cards[a.id].expires_on) == (3, 3, date(2026, 12, 31))
        assert (cards[b.id].uses_total, cards[b.id].uses_left, cards[b.id].expires_on) == (10, 7, date(2027, 3, 2))
        kinds = set(t.s.execute(select(CountCardEntry.kind)).scalars())
        assert kinds == {"opening"}
    assert ledger_faults(ctx.db) == []
    from app.services.admin.integrity import run_check
    assert run_check(ctx).ok


def test_update_changes_members_and_keeps_their_before_values(ctx, tmp_path):
    old = member(ctx, "13800138001", "Wang", card_no="C1")
    path = write(tmp_path, "m.csv", "name,phone,card,tier,balance,points,notes\n"
                                    "Wang Fang,13800138001,,gold,10,5,moved in\n"
                                    "Li,13800138002,C1,,,,\n"
                                    "Zhao,13800138003,,,,,\n")
    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, path, members_opts())
    assert {r.row_no: r.reason_code for r in exc.value.params["rows"]} == {2: "phone_duplicate", 3: "card_duplicate"}
    with pytest.raises(ImportFailed) as exc:    # row 3's card is row 2's member: one member only per row
        import_run.run(ctx, path, members_opts(update=True))
    assert {r.row_no: r.codes for r in exc.value.params["rows"]} == {3: ("import_same_member",)}
    path = write(tmp_path, "m.csv", "name,phone,card,tier,balance,points,notes\n"
                                    "Wang Fang,13800138001,,gold,10,5,moved in\n"
                                    "Zhao,13800138003,,,,,\n")
    dry = import_run.preview(ctx, path, members_opts(update=True))
    (change,) = dry.changes
    assert change.member_id == old.id and {f.field for f in change.fields} >= {"name", "tier", "notes", "balance",
                                                                                  "points"}
    assert dry.preview[0].action == "update" and counts(ctx)["import_changes"] == 0
    report = import_run.run(ctx, path, members_opts(update=True))
    assert (report.imported, report.members_created, report.members_updated) == (2, 1, 1)
    with ctx.tx(write=False) as t:
        m = t.s.get(Member, old.id)
        assert (m.name, m.card_no, m.notes, m.wallet_principal, m.points_balance) == ("Wang Fang", "C1", "moved in",
                                                                                      1000, 5)
        ch = t.s.execute(select(ImportChange)).scalar_one()
        before = json.loads(ch.before)
        assert (ch.entity, ch.entity_id, before["name"], before["notes"], before["wallet_principal"]) == (
            "members", old.id, "Wang", "", 0)
        entry = t.s.execute(select(WalletEntry)).scalar_one()
        assert (entry.kind, entry.import_batch_id, entry.member_id) == ("opening", report.batch_id, old.id)
    assert ledger_faults(ctx.db) == []


def test_update_adds_the_files_tags_and_the_undo_takes_them_back(ctx, tmp_path):
    """--update adds the row's tags the member has not got (never removes one), shows it as a change,
    and the undo leaves the member with exactly the tags it had."""
    from app.services.admin import import_batches

    old = member(ctx, "13800138001", "Wang", tags=("常客",))
    path = write(tmp_path, "m.csv", "姓名,手机号,标签\nWang,13800138001,VIP、常客\n")
    dry = import_run.preview(ctx, path, members_opts(update=True))
    (change,) = dry.changes
    assert [(f.field, f.before, f.after) for f in change.fields] == [("tags", "常客", "常客, VIP")]
    report = import_run.run(ctx, path, members_opts(update=True))

    def tags() -> list[str]:
        with ctx.tx(write=False) as t:
            return sorted(t.s.execute(select(MemberTag.tag).where(MemberTag.member_id == old.id)).scalars())
    assert tags() == ["VIP", "常客"]
    import_batches.undo(ctx, report.batch_id)
    assert tags() == ["常客"]
    assert ledger_faults(ctx.db) == []


# --- streaming ------------------------------------------------------------------------------------
def test_a_big_csv_is_read_as_a_stream(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "WHOLE_CSV", 1000)
    monkeypatch.setattr(tabular, "SAMPLE", 600)
    lines = "".join(f"会员{i},139{i:08d}\n" for i in range(400))
    path = write(tmp_path, "gb.csv", "姓名,手机号\n" + lines, encoding="gb18030")
    assert path.stat().st_size > 1000
    assert import_run.run(ctx, path, members_opts()).imported == 400
    broken = tmp_path / "broken.csv"
    broken.write_bytes(("name,phone\n" + "".join(f"A{i},138{i:08d}\n" for i in range(100))).encode()
                       + "王芳,13900000001\n".encode("gb18030"))
    with pytest.raises(ImportFailed) as exc:
        import_run.run(ctx, broken, members_opts())
    assert exc.value.code == "import_encoding"


def test_xlsx_sheet_choice(ctx, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这是说明"])
    ws = wb.create_sheet("会员")
    ws.append(["姓名", "手机号", "余额"])
    ws.append(["王芳", 13800138001, 12.5])
    path = tmp_path / "m.xlsx"
    wb.save(path)
    assert tabular.sheet_names(path) == ["说明", "会员"]
    report = import_run.run(ctx, path, members_opts(sheet="会员"))
    assert report.imported == 1


# --- two imports at once --------------------------------------------------------------------------
def _importer(url: str, path: str, till: str, start, q) -> None:
    from app.db import Database
    from app.services.base.context import Actor, Ctx, FixedClock

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), till=till, clock=FixedClock(datetime(2026, 3, 2, 12)))
    start.wait()
    try:
        r = import_run.run(ctx, path, ImportOptions(kind="sales"))
        q.put((till, r.imported, r.skipped))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        q.put((till, "error", repr(exc)))
    finally:
        db.dispose()


def test_two_processes_import_one_file_at_once(ctx, db, tmp_path):
    from tests.shop import race

    text = "phone,datetime,amount,receipt\n" + "".join(
        f"139{i % 50:08d},2025-01-{1 + i % 28:02d} 10:{i % 60:02d},{10 + i},{f'R{i // 2}' if i % 3 == 0 else ''}\n"
        for i in range(600))
    path = write(tmp_path, "h.csv", text)
    results = race(_importer, (db.url, str(path)), ["T1", "T2"])
    assert all(r[1] != "error" for r in results), results
    assert sorted(r[1] for r in results)[0] == 0                 # the second found everything there
    total = sum(r[1] for r in results)
    with ctx.tx(write=False) as t:
        sales = t.s.execute(select(func.count()).select_from(Sale)).scalar()
        refs = t.s.execute(select(func.count(func.distinct(Sale.source_ref)))).scalar()
        batches = t.s.execute(select(func.count()).select_from(ImportBatch)).scalar()
    assert sales == refs == total and batches == 2
    assert ledger_faults(ctx.db) == []


# --- the command line -------------------------------------------------------------------------------
def test_cli_update_dry_run_marketing_consent_and_progress(ctx, db, tmp_path):
    home = tmp_path / "home"
    member(ctx, "13800138001", "Wang")
    path = write(tmp_path, "m.csv", "姓名,手机号,同意短信,备注\nWang Fang,13800138001,是,VIP\nLi,13800138002,是,\n")
    refused = cli(home, "--db", db.url, "import", "members", str(path))
    assert refused.returncode == 2 and "row 2:" in refused.stderr
    dry = cli(home, "--db", db.url, "import", "members", str(path), "--update", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "nothing written" in dry.stdout and "1 existing member updated" in dry.stdout
    assert "row 2 Wang Fang: name Wang -> Wang Fang" in dry.stdout and "Import batch" not in dry.stdout
    assert "m.csv 100%" in dry.stderr                      # progress lines off a terminal
    assert counts(ctx)["import_batches"] == 0
    done = cli(home, "--db", db.url, "--lang", "zh_CN", "import", "members", str(path), "--update",
               "--marketing-consent")
    assert done.returncode == 0, done.stderr
    assert "已导入 2 位会员" in done.stdout and "导入批次" in done.stdout
    with ctx.tx(write=False) as t:
        got = {m.name: (m.consent_care, m.consent_marketing, m.notes) for m in t.s.execute(select(Member)).scalars()}
    assert got == {"Wang Fang": (True, True, "VIP"), "Li": (True, True, "")}
    helped = cli(home, "import", "members", "--help")
    for option in ("--update", "--marketing-consent", "--sheet", "--dry-run", "--skip-bad", "marketing_consent"):
        assert option in helped.stdout, option
    assert cli(home, "--db", db.url, "check").returncode == 0


def test_progress_is_a_bar_on_a_terminal_and_a_few_lines_otherwise():
    import io

    from app.cli.env import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Progress(tty)
    for done in range(0, 1001, 50):
        bar(done, 1000, "h.csv")
    bar.finish()
    assert "[" + "#" * 30 + "] 100% (1000/1000)" in tty.getvalue() and "\r" in tty.getvalue()
    log = io.StringIO()
    lines = Progress(log)
    for done in range(0, 100_001, 100):
        lines(done, 100_000, "h.csv")
    out = log.getvalue().splitlines()
    assert out[0].startswith("h.csv 0%") and out[-1] == "h.csv 100% (100000/100000)" and len(out) <= 5


def test_new_members_are_written_as_checked_even_if_the_file_changes_meanwhile(ctx, tmp_path):
    """New members are read once: each checked row waits in a private temporary file until the write,
    so an edit to the file after its reading neither reaches the shop nor breaks the import."""
    lines = ["姓名,手机号,余额"] + [f"会员{i},139{i:08d},{i % 50}" for i in range(25_000)]
    path = write(tmp_path, "m.csv", "\n".join(lines) + "\n")
    changed = []

    def progress(done: int, total: int) -> None:
        if not changed and done >= 25_000:     # the reading is over
            path.write_text("姓名,手机号,余额\n改名,13999999999,5\n", encoding="utf-8")
            changed.append(done)

    report = import_run.run(ctx, path, members_opts(), progress=progress)
    assert changed and report.imported == 25_000
    with ctx.tx() as t:
        names = dict(t.s.execute(select(Member.phone, Member.name)).all())
        wallet = t.s.execute(select(func.sum(WalletEntry.principal))).scalar()
    assert len(names) == 25_000 and names["+8613900003000"] == "会员3000" and "+8613999999999" not in names
    assert wallet == sum(i % 50 for i in range(25_000)) * 100
    assert ledger_faults(ctx.db) == []


def test_the_checked_rows_wait_in_a_private_file_that_is_gone_afterwards(tmp_path):
    """The spill holds personal data: nobody else can open it, it has no name, and it is gone when closed."""
    spill = Spill(chunk=3)
    for i in range(10):
        spill.add(("会员", i))
    mode = os.fstat(spill.file.fileno()).st_mode & 0o777
    assert mode & 0o077 == 0
    assert os.fstat(spill.file.fileno()).st_nlink == 0     # unlinked: no path to find it by
    assert [x for chunk in spill.chunks() for x in chunk] == [("会员", i) for i in range(10)]
    spill.close()
    assert spill.file.closed
