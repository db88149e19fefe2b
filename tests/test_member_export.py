"""The member list export: every column right in CSV and XLSX, owner only, audited, whole or nothing."""
from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationError
from app.models import AuditLog, Member
from app.services.members import member_export
from tests.shop import fund, member
from tests.test_cli import db_file, run  # noqa: F401
from tests.test_cli import home  # noqa: F401  (a fixture)


@pytest.fixture
def shop(ctx):
    a = member(ctx, "13800138000", "王芳", birthday="1990-03-05", tags=["vip", "茶友"], card_no="8801",
               consent_care=True)
    b = member(ctx, "13900139000", "Tom, \"the\" regular", birthday="农历闰04-30")
    fund(ctx, a.id, principal=12_345, bonus=500, points=1_230)
    gone = member(ctx, "13700137000", "Erased")
    with ctx.tx() as t:
        m = t.s.get(Member, gone.id)
        m.erased_at, m.phone, m.name = t.now(), None, ""
    return ctx, a, b


def audits(ctx):
    with ctx.tx(write=False) as t:
        return t.s.execute(select(AuditLog.action, AuditLog.after).where(AuditLog.action == "members.export")).all()


def test_csv_has_every_member_with_exact_amounts_and_an_audit_row(shop, tmp_path):
    ctx, a, b = shop
    out = tmp_path / "members.csv"
    assert member_export.export_members(ctx, out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                    # a BOM: Excel reads the Chinese right
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["name"] for r in rows] == ["王芳", 'Tom, "the" regular']   # erased left out; quoting kept
    first = rows[0]
    assert (first["phone"], first["card_no"], first["birthday"], first["birthday_calendar"]) == (
        "+8613800138000", "8801", "1990-03-05", "solar")
    assert (first["wallet_principal"], first["wallet_bonus"], first["points"]) == ("123.45", "5.00", "1230")
    assert (first["consent_care"], first["consent_marketing"], first["tags"]) == ("1", "0", "vip,茶友")
    assert (rows[1]["birthday"], rows[1]["birthday_calendar"]) == ("leap 04-30", "lunar")
    (action, after), = audits(ctx)
    assert json.loads(after)["rows"] == 2 and json.loads(after)["file"] == "members.csv"


def test_xlsx_amounts_are_numbers(shop, tmp_path):
    import openpyxl

    ctx, a, _b = shop
    out = tmp_path / "members.xlsx"
    member_export.export_members(ctx, out)
    ws = openpyxl.load_workbook(out).active
    head = [c.value for c in ws[1]]
    first = dict(zip(head, [c.value for c in ws[2]], strict=True))
    assert Decimal(str(first["wallet_principal"])) == Decimal("123.45") and first["name"] == "王芳"
    assert ws.max_row == 3


def test_refusals_write_nothing(shop, tmp_path, cashier_ctx):
    ctx, _a, _b = shop
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PermissionDenied):
        member_export.export_members(cashier_ctx, out / "m.csv")
    with pytest.raises(ValidationError) as e:
        member_export.export_members(ctx, out / "m.txt")
    assert e.value.code == "export_format"
    with pytest.raises(ValidationError) as e:
        member_export.export_members(ctx, out / "missing" / "m.csv")
    assert e.value.code == "export_unwritable"
    assert list(out.iterdir()) == [] and audits(ctx) == []


def test_the_command_line(home, tmp_path):  # noqa: F811
    assert run(home, "demo", "--members", "12", "--days", "2", "--seed", "5").returncode == 0
    out = tmp_path / "all.csv"
    proc = run(home, "export", "members", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "members written to" in proc.stdout and len(out.read_text(encoding="utf-8-sig").splitlines()) >= 13
    bad = run(home, "export", "members", "-o", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and ".csv or .xlsx" in bad.stderr


def test_the_members_screen_exports_for_the_owner_only(qtbot, shop, tmp_path, cashier_ctx):
    pytest.importorskip("pytestqt")
    from app.ui import i18n
    from app.ui.members.screen import MembersScreen
    from app.ui.state import AppState

    i18n.install("en")
    ctx, _a, _b = shop
    state = AppState(ctx)
    screen = MembersScreen(state)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.export_button.isVisibleTo(screen)
    out = tmp_path / "from_screen.csv"
    screen.export_members(str(out))
    qtbot.waitUntil(lambda: "exported" in screen.export_label.text() or screen.error.isVisibleTo(screen),
                    timeout=20_000)
    assert not screen.error.isVisibleTo(screen), screen.error.text()
    assert "2 members exported to from_screen.csv" == screen.export_label.text() and out.is_file()
    # The list reloading afterwards (a search, a member saved elsewhere) keeps the export's outcome.
    with qtbot.waitSignal(screen.model.loaded, timeout=20_000):
        screen.model.set_query("")
    assert screen.count_label.text() == "2 members"
    assert screen.export_label.text() == "2 members exported to from_screen.csv"
    state.tasks.wait()
    cashier = MembersScreen(AppState(cashier_ctx))
    qtbot.addWidget(cashier)
    assert not cashier.export_button.isVisibleTo(cashier)
    cashier.state.tasks.wait()
