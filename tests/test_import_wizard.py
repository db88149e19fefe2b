"""The import wizard, driven as the owner would on real files: a GB18030 CSV with Chinese headers,
an XLSX with two sheets; the column mapping guessed, changed and remembered; the preview's bad rows;
the import in the background while the till sells; Cancel taking everything back; the empty
screens offering the wizard."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from sqlalchemy import func, select  # noqa: E402

from app.errors import ImportFailed  # noqa: E402
from app.models import Member, Product, Sale, Setting  # noqa: E402
from app.services.admin import import_mapping  # noqa: E402
from app.services.admin.import_run import IGNORE  # noqa: E402
from app.services.sales import products  # noqa: E402
from app.services.sales.checkout import Cart, CartLine, Tender, checkout  # noqa: E402
from app.services.sales.products import ProductInput  # noqa: E402
from app.ui.imports.wizard import ImportWizard  # noqa: E402
from app.ui.members.screen import MembersScreen  # noqa: E402
from app.ui.products.products_tab import ProductsTab  # noqa: E402
from tests.test_members_ui import english, state  # noqa: E402,F401

HEADERS = ["姓名", "手机号", "生日", "余额", "积分", "备注"]


def members_csv(path, rows, headers=HEADERS, encoding="gb18030") -> str:
    lines = [",".join(headers)] + [",".join(str(c) for c in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return str(path)


def good_rows(n: int, start: int = 0):
    return [(f"会员{i}", f"139{i:08d}", "1990-03-05", "100.00", 50, "老客户") for i in range(start, start + n)]


def two_sheet_book(path) -> str:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["这是导出说明"])
    ws2 = wb.create_sheet("会员")
    ws2.append(["会员姓名", "联系电话", "卡号", "积分"])
    ws2.append(["张伟", 13800138000, "A001", 10])
    ws2.append(["李娜", 13900139000, "A002", 20])
    wb.save(path)
    return str(path)


def count(db, model) -> int:
    with db.session(write=False) as s:
        return s.execute(select(func.count()).select_from(model)).scalar()


def settle(qtbot, state, rounds: int = 3) -> None:
    for _ in range(rounds):
        state.tasks.wait()
        qtbot.wait(20)


def wizard(qtbot, state, kind="members", path=None) -> ImportWizard:
    w = ImportWizard(state, kind, path)
    qtbot.addWidget(w)
    w.show()
    if path:
        qtbot.waitUntil(lambda: w.file_info.text() not in ("", "Reading the file…"), timeout=10_000)
        settle(qtbot, state)
    return w


def to_preview(qtbot, state, w) -> None:
    w.next()
    assert w.page() == "columns"
    w.next()
    assert w.page() == "preview"
    qtbot.waitUntil(lambda: w.preview_result is not None or w.preview_error is not None, timeout=20_000)


# --- the service: inspect, guess, remember ---------------------------------------------------------
def test_inspect_reads_a_utf8_bom_csv_with_blank_lines_first(tmp_path):
    path = members_csv(tmp_path / "m.csv", good_rows(2), headers=["\ufeffname", "phone"], encoding="utf-8")
    path_text = open(path, encoding="utf-8").read()
    open(path, "w", encoding="utf-8-sig").write("\n\n" + path_text.replace("\ufeff", ""))
    sample = import_mapping.inspect(path)
    assert sample.headers == ("name", "phone") and sample.header_row == 3 and sample.row_numbers == (4, 5)
    assert sample.rows[1][:2] == ("会员1", "13900000001") and not sample.more


def test_inspect_shows_the_start_of_a_big_csv_without_reading_it_whole(tmp_path):
    rows = [(f"会员{i}", f"139{i:08d}", "1990-03-05", "100.00", 50, "老客户" * (i % 7)) for i in range(40_000)]
    path = members_csv(tmp_path / "big.csv", rows)
    assert (tmp_path / "big.csv").stat().st_size > 2 * import_mapping.CSV_PREFIX
    sample = import_mapping.inspect(path, limit=5)
    assert sample.headers == tuple(HEADERS) and sample.more and sample.row_numbers == (2, 3, 4, 5, 6)
    assert sample.rows[4] == ("会员4", "13900000004", "1990-03-05", "100.00", "50", "老客户" * 4)
    every = import_mapping.inspect(path, limit=100_000)     # as many rows as the start holds, none cut
    assert 1_000 < len(every.rows) < 40_000 and every.more
    assert all(r[0] == f"会员{i}" and r[5] == "老客户" * (i % 7) for i, r in enumerate(every.rows))


def test_inspect_reads_a_gb18030_csv_and_guesses_the_chinese_headers(tmp_path):
    path = members_csv(tmp_path / "会员.csv", good_rows(25))
    sample = import_mapping.inspect(path)
    assert sample.headers == tuple(HEADERS) and sample.sheets == () and sample.header_row == 1
    assert len(sample.rows) == import_mapping.SAMPLE_ROWS and sample.more
    assert sample.rows[0] == ("会员0", "13900000000", "1990-03-05", "100.00", "50", "老客户")
    assert import_mapping.guess("members", sample.headers) == {
        "姓名": "name", "手机号": "phone", "生日": "birthday", "余额": "balance", "积分": "points", "备注": "notes"}
    assert import_mapping.guess("sales", ["手机", "日期", "金额", "备注"]) == {
        "手机": "phone", "日期": "datetime", "金额": "amount", "备注": IGNORE}
    assert import_mapping.guess("products", ["商品名称", "条码", "条码2", "售价"]) == {
        "商品名称": "name", "条码": "barcode", "条码2": "barcode#2", "售价": "price"}


def test_inspect_a_workbook_lists_its_sheets_and_reads_the_chosen_one(tmp_path):
    path = two_sheet_book(tmp_path / "导出.xlsx")
    first = import_mapping.inspect(path)               # the notes sheet holds no rows: the next one
    assert first.sheets == ("说明", "会员") and first.sheet == "会员"
    notes = import_mapping.inspect(path, "说明")
    assert notes.sheet == "说明" and notes.rows == () and notes.headers == ()
    with pytest.raises(ImportFailed) as e:
        import_mapping.inspect(path, "nope")
    assert e.value.code == "import_sheet_missing"
    second = import_mapping.inspect(path, "会员")
    assert second.headers == ("会员姓名", "联系电话", "卡号", "积分")
    assert second.rows[0] == ("张伟", "13800138000", "A001", "10")        # a phone Excel kept as a number
    assert import_mapping.guess("members", second.headers) == {
        "会员姓名": IGNORE, "联系电话": IGNORE, "卡号": "card", "积分": "points"}


def test_check_refuses_two_columns_for_one_field_and_a_missing_required_one():
    with pytest.raises(ImportFailed) as e:
        import_mapping.check("members", {"a": "name", "b": "name", "c": "phone"})
    assert e.value.code == "import_column_twice"
    with pytest.raises(ImportFailed) as e:
        import_mapping.check("members", {"a": "name", "b": IGNORE})
    assert e.value.code == "import_columns" and e.value.params["missing"] == "phone"
    import_mapping.check("members", {"a": "name", "b": "phone", "c": IGNORE})


def test_a_mapping_is_remembered_for_the_same_headers_only(ctx, db, cashier_ctx):
    headers = ["会员姓名", "联系电话", "卡号"]
    assert import_mapping.remembered(ctx, "members", headers) is None
    chosen = {"会员姓名": "name", "联系电话": "phone", "卡号": IGNORE}
    import_mapping.save(ctx, "members", headers, chosen)
    assert import_mapping.remembered(ctx, "members", headers) == chosen
    assert import_mapping.proposed(ctx, "members", headers) == (chosen, True)
    assert import_mapping.remembered(ctx, "members", headers + ["备注"]) is None     # other headers
    assert import_mapping.remembered(ctx, "sales", headers) is None                 # another kind
    assert import_mapping.proposed(ctx, "members", headers[:2])[1] is False
    with db.session(write=False) as s:
        keys = s.execute(select(Setting.key).where(Setting.key.like("import_mapping:%"))).scalars().all()
    assert len(keys) == 1 and keys[0] == import_mapping.headers_key("members", headers)
    with pytest.raises(Exception) as e:                # a cashier cannot change the shop's import choices
        import_mapping.save(cashier_ctx, "members", headers, chosen)
    assert getattr(e.value, "code", "") == "permission_denied"


# --- the wizard --------------------------------------------------------------------------------------
def test_wizard_guesses_changes_and_remembers_the_mapping(qtbot, ctx, db, state, tmp_path):
    path = two_sheet_book(tmp_path / "导出.xlsx")
    w = wizard(qtbot, state, "members", path)
    assert w.sheet_combo.isVisible() and [w.sheet_combo.itemText(i) for i in range(2)] == ["说明", "会员"]
    assert w.sheet_combo.currentText() == "会员"             # the notes sheet before it holds no rows
    w.sheet_combo.setCurrentIndex(0)
    w.sheet_combo.activated.emit(0)
    qtbot.waitUntil(lambda: "no rows" in w.file_info.text(), timeout=10_000)
    assert w.sample is None and not w.next_button.isEnabled() and "说明" in w.file_info.text()
    w.sheet_combo.setCurrentIndex(1)
    w.sheet_combo.activated.emit(1)
    qtbot.waitUntil(lambda: w.sample is not None and w.sample.sheet == "会员", timeout=10_000)
    settle(qtbot, state)
    assert w.file_table.rowCount() == 2 and w.next_button.isEnabled()
    w.next()
    assert w.page() == "columns"
    assert w.combos["卡号"].currentData() == "card" and w.combos["会员姓名"].currentData() == IGNORE
    assert not w.next_button.isEnabled() and "Name" in w.columns_error.text() and "Phone" in w.columns_error.text()
    w.combos["会员姓名"].setCurrentIndex(w.combos["会员姓名"].findData("name"))
    w.combos["联系电话"].setCurrentIndex(w.combos["联系电话"].findData("name"))     # two columns for Name
    assert not w.next_button.isEnabled() and "Two columns" in w.columns_error.text()
    w.combos["联系电话"].setCurrentIndex(w.combos["联系电话"].findData("phone"))
    assert w.next_button.isEnabled() and w.columns_error.text() == ""
    assert w.options().mapping == {"会员姓名": "name", "联系电话": "phone", "卡号": "card", "积分": "points"}
    assert w.options().sheet == "会员" and w.options().marketing_consent is False
    w.next()
    qtbot.waitUntil(lambda: w.preview_result is not None or w.preview_error is not None, timeout=20_000)
    if w.preview_result is not None:        # the members importer takes the mapping
        assert count(db, Member) == 0       # the preview wrote nothing
        w.next()
        qtbot.waitUntil(lambda: w.result is not None, timeout=30_000)
        assert count(db, Member) == 2
    else:                                   # it does not yet: it refuses the headers it cannot read
        w.mapping_saved = import_mapping.save(ctx, "members", w.sample.headers, w.mapping)
    # the same headers next time: the owner's choices, not the guess
    again = wizard(qtbot, state, "members", two_sheet_book(tmp_path / "again.xlsx"))
    qtbot.waitUntil(lambda: again.remembered, timeout=10_000)
    again.next()
    assert again.combos["会员姓名"].currentData() == "name" and again.combos["联系电话"].currentData() == "phone"
    assert "last import" in again.columns_note.text()


def test_preview_lists_every_bad_row_and_writes_nothing(qtbot, ctx, db, state, tmp_path):
    rows = good_rows(3) + [("坏手机", "12345", "1990-03-05", "10", 1, ""),
                           ("坏生日", "13700000001", "1990-02-30", "10", 1, ""),
                           ("坏余额", "13700000002", "1990-03-05", "十元", 1, "")]
    path = members_csv(tmp_path / "会员.csv", rows)
    w = wizard(qtbot, state, "members", path)
    assert w.sample.headers == tuple(HEADERS)
    to_preview(qtbot, state, w)
    assert count(db, Member) == 0
    assert [w.bad_table.item(i, 0).text() for i in range(w.bad_table.rowCount())] == ["5", "6", "7"]
    assert "3 bad rows" in w.preview_summary.text() and not w.next_button.isEnabled()
    shown = [w.rows_table.item(r, c).text() for r in range(w.rows_table.rowCount())
             for c in range(w.rows_table.columnCount()) if w.rows_table.item(r, c)]
    assert "会员0" in shown and "会员2" in shown and "坏手机" not in shown      # the good rows, as stored or read
    w.skip_bad.setChecked(True)
    qtbot.waitUntil(lambda: w.preview_result is not None and w.next_button.isEnabled(), timeout=20_000)
    assert count(db, Member) == 0                                  # still nothing written
    assert w.bad_table.rowCount() == 3 and "3 bad rows will be skipped" in w.preview_summary.text()
    w.next()
    qtbot.waitUntil(lambda: w.result is not None, timeout=30_000)
    assert count(db, Member) == 3
    assert "3 members imported" in w.summary.text() and "3 bad rows skipped" in w.summary.text()
    assert w.result_table.rowCount() == 3
    assert w.undo_button.isVisible()


def test_import_runs_in_the_background_while_the_till_sells(qtbot, ctx, db, state, tmp_path):
    import time

    products.create(ctx, ProductInput(sku="LT01", name="拿铁", price=2800))
    path = members_csv(tmp_path / "big.csv", good_rows(20_000))
    w = wizard(qtbot, state, "members", path)
    to_preview(qtbot, state, w)
    assert w.next_button.isEnabled()
    w.next()
    started = time.monotonic()
    assert w._running and w.page() == "import" and not w.close_button.isEnabled()
    # the till on the same database and the same task runner, meanwhile: its sale is not queued
    # behind the import (the import reads its file on the bulk worker, the sale runs on the db worker)
    sold = []
    state.tasks.write(lambda: checkout(ctx, Cart((CartLine("LT01"),)), [Tender("cash", 2800)]),
                      lambda r: sold.append((r, w._running, time.monotonic() - started)),
                      lambda e: sold.append((e, w._running, time.monotonic() - started)))
    qtbot.waitUntil(lambda: bool(sold), timeout=60_000)
    sale, importing, seconds = sold[0]
    assert getattr(sale, "total", sale) == 2800
    assert importing, f"the sale waited for the whole import ({seconds:.1f} s)"
    qtbot.waitUntil(lambda: w.result is not None, timeout=120_000)
    assert count(db, Member) == 20_000 and count(db, Sale) == 1
    assert "20,000 members imported" in w.summary.text()
    assert w.close_button.isEnabled()


def test_cancel_takes_the_whole_import_back(qtbot, ctx, db, state, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["商品名称", "货号", "售价", "库存"])
    for i in range(3000):
        ws.append([f"商品{i}", f"SKU{i:05d}", "12.50", 3])
    path = str(tmp_path / "价目表.xlsx")
    wb.save(path)
    tab = ProductsTab(state)
    qtbot.addWidget(tab)
    tab.show()
    settle(qtbot, state)
    w = tab.open_import(path)
    qtbot.waitUntil(lambda: w.sample is not None, timeout=10_000)
    settle(qtbot, state)
    assert w.kind == "products"
    to_preview(qtbot, state, w)
    assert "3,000 to add" in w.preview_summary.text()
    w.next()
    w.cancel_import()                  # at once: the import stops at its next step and rolls back
    assert not w.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not w._running, timeout=60_000)
    assert w.result is None and getattr(w.failure, "code", None) == "import_cancelled"
    assert "nothing was changed" in w.import_status.text()
    assert count(db, Product) == 0
    assert w.close_button.isEnabled()


def test_empty_screens_offer_the_wizard(qtbot, ctx, state, tmp_path):
    screen = MembersScreen(state)
    qtbot.addWidget(screen)
    screen.resize(1000, 600)
    screen.show()
    qtbot.waitUntil(lambda: screen.empty_panel.isVisible(), timeout=10_000)
    assert screen.empty_import.isVisible() and not screen.table.isVisible()
    assert screen.import_button.isVisible()
    screen.empty_import.click()
    w = screen.dialog
    qtbot.addWidget(w)
    assert isinstance(w, ImportWizard) and w.kind == "members" and w.page() == "file"
    w.reject()
    tab = ProductsTab(state)
    qtbot.addWidget(tab)
    tab.show()
    settle(qtbot, state)
    assert tab.stack.currentIndex() == 1 and tab.empty_import.isVisible()
    assert "old software" in tab.empty_import.text()
    w2 = tab.open_import()
    qtbot.addWidget(w2)
    assert isinstance(w2, ImportWizard) and w2.kind == "products"
    w2.reject()


def test_a_cashier_sees_no_import(qtbot, ctx, english):
    from app.services.base import settings
    from app.services.base.context import Actor
    from app.ui.state import AppState

    settings.update(ctx, language="en")
    s = AppState(ctx.as_actor(Actor(None, "cashier", "cashier")))
    screen = MembersScreen(s)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.empty_panel.isVisible(), timeout=10_000)
    assert not screen.import_button.isVisible() and not screen.empty_import.isVisible()
    assert not screen.undo_import_button.isVisible()
    s.tasks.wait()


def test_screenshots_of_every_step(qtbot, ctx, db, state, tmp_path):
    from PySide6.QtGui import QImage

    from app.ui import screenshots_wizard

    shots = screenshots_wizard.render(state, tmp_path)
    names = [p.name for p in shots]
    assert names == ["members_empty_en.png", "import_wizard_file_en.png", "import_wizard_columns_en.png",
                     "import_wizard_preview_en.png", "import_wizard_running_en.png", "import_wizard_done_en.png"]
    for p in shots:
        image = QImage(str(p))
        assert image.width() > 600 and image.height() > 400, p.name
    assert count(db, Member) == 0                   # the 10 good rows came in, and the shots' undo took them back


def test_purchase_history_through_the_wizard(qtbot, ctx, db, state, tmp_path):
    from tests.shop import member

    member(ctx, "13800138000", "王芳")
    path = tmp_path / "消费记录.csv"
    path.write_bytes("手机号,日期,金额,小票号\r\n13800138000,2024-03-05 10:30,¥1,200.00,A1\r\n"
                     "13800138000,2024-03-06 11:00,58.50,A2\r\n".replace("¥1,200.00", '"¥1,200.00"')
                     .encode("gb18030"))
    w = wizard(qtbot, state, "sales", str(path))
    assert w.kind == "sales"
    w.next()
    assert {h: c.currentData() for h, c in w.combos.items()} == {
        "手机号": "phone", "日期": "datetime", "金额": "amount", "小票号": "receipt"}
    assert not w.marketing.isVisible() and not w.update_existing.isVisible()
    w.next()
    qtbot.waitUntil(lambda: w.preview_result is not None, timeout=20_000)
    assert count(db, Sale) == 0                                      # the preview wrote nothing
    assert "2 sales to import" in w.preview_summary.text()
    w.next()
    qtbot.waitUntil(lambda: w.result is not None, timeout=30_000)
    assert count(db, Sale) == 2 and "2 sales imported" in w.summary.text()


def test_undo_last_import_names_the_latest_batch(qtbot, ctx, db, state):
    from app.services.admin import import_batches
    from app.ui.imports.undo import UndoLastImport

    screen = MembersScreen(state)
    qtbot.addWidget(screen)
    d = UndoLastImport(state, screen)
    qtbot.addWidget(d)
    qtbot.waitUntil(lambda: "no import" in d.text.text(), timeout=10_000)
    assert not d.undo_button.isEnabled()
    with ctx.tx() as t:
        batch = import_batches.begin(t, "members", "/home/wang/会员.csv")
        import_batches.finish(t, batch, {"members": 12})
    d2 = UndoLastImport(state, screen)
    qtbot.addWidget(d2)
    qtbot.waitUntil(lambda: d2.batch is not None, timeout=10_000)
    assert d2.batch.id == batch and "会员.csv" in d2.text.text() and "members: 12" in d2.text.text()
    assert "/home/wang" not in d2.text.text()
    assert d2.undo_button.isEnabled() and screen.undo_import_button.isVisibleTo(screen)


def test_cancel_halfway_through_members_takes_everything_back(qtbot, ctx, db, state, tmp_path):
    path = members_csv(tmp_path / "big.csv", good_rows(30_000))
    w = wizard(qtbot, state, "members", path)
    to_preview(qtbot, state, w)
    w.next()
    qtbot.waitUntil(lambda: w.progress.maximum() > 0 and w.progress.value() > 0, timeout=60_000)
    w.cancel_import()                                   # halfway: the bar has moved
    qtbot.waitUntil(lambda: not w._running, timeout=60_000)
    assert getattr(w.failure, "code", None) == "import_cancelled" and w.result is None
    assert count(db, Member) == 0 and "nothing was changed" in w.import_status.text()


def test_undo_this_import_from_the_summary(qtbot, ctx, db, state, tmp_path):
    path = members_csv(tmp_path / "m.csv", good_rows(5))
    w = wizard(qtbot, state, "members", path)
    to_preview(qtbot, state, w)
    w.next()
    qtbot.waitUntil(lambda: w.result is not None, timeout=30_000)
    assert count(db, Member) == 5 and w.undo_button.isVisible()
    w.undo_button.click()
    qtbot.waitUntil(lambda: w.undone is not None, timeout=30_000)
    assert count(db, Member) == 0 and "undone" in w.summary.text() and not w.undo_button.isVisible()


def test_a_file_in_an_unknown_encoding_is_refused_on_the_first_page(qtbot, ctx, state, tmp_path):
    path = members_csv(tmp_path / "sjis.csv", [("山田太郎", "13800138000")], headers=["氏名", "電話"],
                       encoding="shift_jis")
    w = wizard(qtbot, state, "members", path)
    qtbot.waitUntil(lambda: "encoding" in w.file_info.text(), timeout=10_000)
    assert "GB18030" in w.file_info.text() and "Big5" in w.file_info.text()     # says what was tried
    assert w.sample is None and not w.next_button.isEnabled()


def test_an_import_from_the_empty_members_screen_fills_it(qtbot, ctx, db, state, tmp_path):
    screen = MembersScreen(state)
    qtbot.addWidget(screen)
    screen.resize(1000, 600)
    screen.show()
    qtbot.waitUntil(lambda: screen.empty_panel.isVisible(), timeout=10_000)
    w = screen.open_import(members_csv(tmp_path / "会员.csv", good_rows(4)))
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.sample is not None, timeout=10_000)
    settle(qtbot, state)
    to_preview(qtbot, state, w)
    w.next()
    qtbot.waitUntil(lambda: w.result is not None, timeout=30_000)
    qtbot.waitUntil(lambda: screen.table.isVisible() and screen.model.rowCount() == 4, timeout=10_000)
    assert not screen.empty_panel.isVisible() and count(db, Member) == 4


def test_a_manager_imports_products_only(qtbot, ctx, english):
    from app.services.base import settings
    from app.services.base.context import Actor
    from app.ui.imports.wizard import kinds_allowed
    from app.ui.state import AppState

    settings.update(ctx, language="en")
    s = AppState(ctx.as_actor(Actor(None, "manager", "manager")))
    assert kinds_allowed(s) == ("products",)
    tab = ProductsTab(s)
    qtbot.addWidget(tab)
    tab.show()
    w = tab.open_import()
    qtbot.addWidget(w)
    assert [w.kind_combo.itemData(i) for i in range(w.kind_combo.count())] == ["products"]
    w.reject()
    s.tasks.wait()
