"""Issue 15's "Done when", as a newcomer does it in the app on a fresh shop (no demo): members with
stored value, points and count cards, then two years of purchase history, from GB18030 files with
Chinese headers, all through the import wizard with its progress bar; the history import undone from
Members › Undo last import…, and imported again. `shopcare check` is green after every step. On
SQLite and, with SHOPCARE_TEST_PG, on PostgreSQL."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="PySide6 or Qt's system libraries are missing")
pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from sqlalchemy import func, select  # noqa: E402

from app.models import CountCard, ImportBatch, Member, Sale  # noqa: E402
from app.services.admin.integrity import run_check  # noqa: E402
from app.services.sales import catalog  # noqa: E402
from app.ui.imports.undo import UndoLastImport  # noqa: E402
from app.ui.members.screen import MembersScreen  # noqa: E402
from tests.test_import_wizard import count, wizard  # noqa: E402
from tests.test_members_ui import english, state  # noqa: E402,F401

MEMBERS = 40
SALES_DAYS = 730


def gb18030(path, lines: list[str]) -> str:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return str(path)


def members_file(tmp_path) -> str:
    rows = ["姓名,手机号,生日,余额,赠送余额,积分,次卡,剩余次数,次卡到期,同意短信"]
    for i in range(MEMBERS):
        card = "洗剪吹,6,2027-06-30" if i % 4 == 0 else ",,"
        rows.append(f"会员{i},139{i:08d},1990-03-{1 + i % 28:02d},{100 + i}.50,{i % 3 * 10},{i * 5},{card},是")
    return gb18030(tmp_path / "会员资料.csv", rows)


def history_file(tmp_path, today: date) -> tuple[str, int]:
    rng = random.Random(15)
    rows = ["手机号,消费时间,金额,小票号"]
    for n in range(600):
        day = today - timedelta(days=rng.randint(1, SALES_DAYS))
        rows.append(f"139{rng.randrange(MEMBERS):08d},{day.isoformat()} {rng.randint(9, 20)}:15,"
                    f"{rng.randint(10, 400)}.00,OLD{n:05d}")
    return gb18030(tmp_path / "消费记录.csv", rows), 600


def through_the_wizard(qtbot, state, kind: str, path: str):
    w = wizard(qtbot, state, kind, path)
    for page in ("columns", "preview"):
        qtbot.waitUntil(w.next_button.isEnabled, timeout=10_000)
        w.next()
        assert w.page() == page, w.columns_error.text()
    qtbot.waitUntil(lambda: w.preview_result is not None or w.preview_error is not None, timeout=30_000)
    assert w.preview_result is not None and not w.preview_result.rejected, w.preview_error
    seen: list[int] = []
    w.progress.valueChanged.connect(seen.append)              # the owner watches the bar move
    w.next()
    qtbot.waitUntil(lambda: w.result is not None, timeout=60_000)
    assert seen and w.progress.value() == w.progress.maximum()
    return w


def green(ctx) -> None:
    report = run_check(ctx)
    assert report.ok, [f.text("en") for f in report.faults]


def test_a_new_shop_moves_in_through_the_app_and_takes_the_history_back(qtbot, ctx, db, state, tmp_path):
    assert count(db, Member) == 0 and count(db, Sale) == 0              # a fresh shop, no demo
    # the service the old count cards are for (entered in the product editor, as the owner would)
    catalog.add_product(ctx, sku="XJC", name="洗剪吹", price=5000, kind="service")

    screen = MembersScreen(state)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.empty_panel.isVisible(), timeout=10_000)
    assert screen.empty_import.isVisible()                                # the empty list offers the import

    w = through_the_wizard(qtbot, state, "members", members_file(tmp_path))
    assert f"{MEMBERS} members imported" in w.summary.text()
    with ctx.tx(write=False) as t:
        wallet = t.s.execute(select(func.sum(Member.wallet_principal + Member.wallet_bonus))).scalar()
        points = t.s.execute(select(func.sum(Member.points_balance))).scalar()
        cards = t.s.execute(select(func.count(), func.sum(CountCard.uses_left))).one()
        marketing = t.s.execute(select(func.count()).where(Member.consent_marketing.is_(True))).scalar()
    assert wallet == sum((100 + i) * 100 + 50 + i % 3 * 1000 for i in range(MEMBERS))
    assert points == sum(i * 5 for i in range(MEMBERS)) and tuple(cards) == (MEMBERS // 4, MEMBERS // 4 * 6)
    assert marketing == 0                    # 同意短信 grants care texts; marketing was not chosen
    green(ctx)

    path, rows = history_file(tmp_path, ctx.today())
    through_the_wizard(qtbot, state, "sales", path)
    assert count(db, Sale) == rows and count(db, Member) == MEMBERS
    with ctx.tx(write=False) as t:
        spent = t.s.execute(select(func.sum(Member.total_spent))).scalar()
    assert spent > 0
    green(ctx)

    undo = UndoLastImport(state, screen)                                  # Members › Undo last import…
    qtbot.addWidget(undo)
    qtbot.waitUntil(lambda: undo.batch is not None, timeout=10_000)
    assert undo.batch.kind == "sales" and "消费记录.csv" in undo.text.text()
    undo.undo_button.click()
    qtbot.waitUntil(lambda: undo.result is not None, timeout=30_000)
    assert count(db, Sale) == 0 and count(db, Member) == MEMBERS
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.sum(Member.total_spent))).scalar() == 0
        assert t.s.execute(select(func.count()).where(Member.last_visit_at.is_not(None))).scalar() == 0
    green(ctx)

    after = UndoLastImport(state, screen)          # what is left to undo now is the members import
    qtbot.addWidget(after)
    qtbot.waitUntil(lambda: after.batch is not None, timeout=10_000)
    assert after.batch.kind == "members" and after.undo_button.isEnabled()

    through_the_wizard(qtbot, state, "sales", path)                       # and again
    assert count(db, Sale) == rows
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.sum(Member.total_spent))).scalar() == spent
        statuses = t.s.execute(select(ImportBatch.kind, ImportBatch.status).order_by(ImportBatch.id)).all()
    assert [tuple(s) for s in statuses] == [("members", "done"), ("sales", "undone"), ("sales", "done")]
    green(ctx)
