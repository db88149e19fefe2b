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
from app.services import localconfig, printing
from app.services.checkout import Cart, CartLine, Tender, checkout
from app.services.receipt import build_receipt, layout
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
