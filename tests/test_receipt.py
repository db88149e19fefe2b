"""Receipts: what they say (build_receipt), how they read on 58/80 mm paper (layout), this till's
printer settings (localconfig), printing that never loses a sale (printing), `shopcare reprint`,
and the on-screen preview dialog."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import NotFound, ValidationError, render
from app.models import Sale
from app.services.base import auth, localconfig, settings
from app.services.sales import printing
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.receipt import build_receipt, demo_receipt, latest_receipt_no, layout, text_width, wrap
from app.services.sales.refunds import refund
from tests.shop import fund, ledger_faults, member, stock_shop

ROOT = Path(__file__).resolve().parent.parent
PHONE = "13812345678"


@pytest.fixture
def sold(ctx):
    """A member sale by cashier 李娜: coffee x2 and tea, 5 % off, stored value + cash with change."""
    stock_shop(ctx)
    settings.update(ctx, shop_name="街角茶咖 Corner Tea & Coffee")
    staff = auth.add_staff(ctx, "李娜", "cashier", "1234")
    cashier = auth.login(ctx, staff.name, "1234")
    m = member(ctx, phone=PHONE, name="王芳")
    fund(ctx, m.id, principal=10000)
    sale = checkout(ctx.as_actor(cashier), Cart((CartLine("COF", 2), CartLine("TEA")), member_id=m.id, discount_bp=500),
                    [Tender("wallet", 5000), Tender("cash", 20000)])
    return ctx, sale


def test_build_receipt_gathers_the_sale(sold):
    ctx, sale = sold
    r = build_receipt(ctx, sale.receipt_no)
    assert (r.shop_name, r.receipt_no, r.till, r.cashier) == ("街角茶咖 Corner Tea & Coffee", sale.receipt_no, "T1", "李娜")
    assert [(x.name, x.qty) for x in r.lines] == [("Coffee beans 250g 咖啡豆", 2), ("Green tea 绿茶", 1)]
    assert sum(x.line_total for x in r.lines) == r.total == sale.total
    assert r.subtotal - r.tier_discount - r.manual_discount == r.total and r.manual_discount > 0
    cash = next(p for p in r.payments if p.method == "cash")
    assert cash.tendered == 20000 and cash.change == sale.change == r.change > 0
    assert sum(p.amount for p in r.payments) == r.total
    assert r.member_name == "王芳" and r.member_phone == "138****5678"
    assert r.points_earned == sale.points_earned > 0 and r.points_balance == sale.points_balance
    assert r.wallet_balance == 10000 - 5000
    assert not r.is_refund and not r.reprint and r.qr_payload == sale.receipt_no and r.lang == "zh_CN"
    assert r.has_cash


def test_unknown_receipt_is_not_found(ctx):
    with pytest.raises(NotFound) as err:
        build_receipt(ctx, "T1-999999")
    assert err.value.code == "sale_not_found"


@pytest.mark.parametrize("width", [32, 48])
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_layout_fits_the_paper_and_never_shows_the_full_phone(sold, width, lang):
    ctx, sale = sold
    lines = layout(build_receipt(ctx, sale.receipt_no), width, lang)
    assert max(text_width(x) for x in lines) <= width
    assert max(text_width(x) for x in lines) == width  # rules and right-aligned amounts fill the line
    text = "\n".join(lines)
    assert sale.receipt_no in text and "138****5678" in text and PHONE not in text
    assert ("合计" in text) == (lang == "zh_CN") and ("TOTAL" in text) == (lang == "en")
    total_line = next(x for x in lines if x.startswith("合计") or x.startswith("TOTAL"))
    assert total_line.endswith(f"{sale.total // 100}.{sale.total % 100:02d}")  # right-aligned amount


def test_wide_characters_take_two_columns_and_long_names_wrap():
    assert text_width("咖啡豆 abc") == 10
    parts = wrap("Supercalifragilistic expialidocious 超长的中文商品名称测试一下换行", 12)
    assert all(text_width(x) <= 12 for x in parts)
    assert "".join(parts).replace(" ", "") == "Supercalifragilisticexpialidocious超长的中文商品名称测试一下换行"
    assert wrap("Green tea 绿茶", 11) == ["Green tea", "绿茶"]
    r = replace(demo_receipt(), lines=(replace(demo_receipt().lines[0], name="特级明前西湖龙井 Premium Longjing 250g"),))
    for width in (32, 48):
        assert all(text_width(x) <= width for x in layout(r, width))


def test_refund_receipt_names_the_original(sold):
    ctx, sale = sold
    back = refund(ctx, sale.receipt_no, None, reason="changed mind")
    r = build_receipt(ctx, back.receipt_no)
    assert r.is_refund and r.original_receipt_no == sale.receipt_no and r.total == -sale.total
    assert r.points_earned == -sale.points_earned
    zh, en = "\n".join(layout(r, 32, "zh_CN")), "\n".join(layout(r, 48, "en"))
    assert "退货单" in zh and "原单号" in zh and sale.receipt_no in zh and "扣回积分" in zh
    assert "REFUND" in en and f"Original receipt: {sale.receipt_no}" in en


def test_reprint_is_marked(sold, clock):
    ctx, sale = sold
    r = build_receipt(ctx, sale.receipt_no, reprint=True)
    text = "\n".join(layout(r, 48, "en"))
    assert r.reprint and "*** REPRINT ***" in text and f"Reprinted: {clock.now():%Y-%m-%d %H:%M:%S}" in text
    assert "REPRINT" not in "\n".join(layout(build_receipt(ctx, sale.receipt_no), 48, "en"))


def test_latest_receipt(sold):
    ctx, sale = sold
    assert latest_receipt_no(ctx, with_member=True) == sale.receipt_no


# --- this till's settings ---------------------------------------------------------------------
@pytest.mark.parametrize("text,kind,norm", [
    ("preview", "preview", "preview"), ("", "preview", "preview"),
    ("usb:04b8:0202", "usb", "usb:04b8:0202"), ("USB:0x0416:0x5011", "usb", "usb:0416:5011"),
    ("net:192.168.1.50", "net", "net:192.168.1.50:9100"), ("net:printer.local:9101", "net", "net:printer.local:9101"),
    ("net:[fe80::1]:9100", "net", "net:[fe80::1]:9100"),
    ("serial:/dev/ttyUSB0", "serial", "serial:/dev/ttyUSB0"), ("serial:COM3", "serial", "serial:COM3"),
    ("file:/dev/usb/lp0", "file", "file:/dev/usb/lp0"),
])
def test_printer_settings_parse(text, kind, norm):
    s = localconfig.parse_printer_setting(text)
    assert (s.kind, s.text) == (kind, norm)


@pytest.mark.parametrize("text,code", [
    ("lpt1", "printer_setting_invalid"), ("bluetooth:AA:BB", "printer_setting_invalid"),
    ("usb:04b8", "printer_usb_ids_invalid"), ("usb:zzzz:0202", "printer_usb_ids_invalid"),
    ("usb:04b8:0202:1", "printer_usb_ids_invalid"), ("usb:12345:1", "printer_usb_ids_invalid"),
    ("net:", "printer_target_missing"), ("net:10.0.0.5:0", "printer_port_invalid"),
    ("net:10.0.0.5:70000", "printer_port_invalid"), ("net:10.0.0.5:http", "printer_port_invalid"),
    ("net:a b:9100", "printer_setting_invalid"), ("serial:", "printer_target_missing"),
    ("file:", "printer_target_missing"),
])
def test_bad_printer_settings_are_refused_with_a_clear_code(text, code):
    with pytest.raises(ValidationError) as err:
        localconfig.parse_printer_setting(text)
    assert err.value.code == code
    assert render(err.value, "en") and render(err.value, "zh_CN") != render(err.value, "en")
    assert "{" not in render(err.value, "zh_CN")


def test_till_config_round_trip_private_file():
    assert localconfig.load() == localconfig.TillConfig()
    saved = localconfig.save(localconfig.TillConfig(printer="NET:10.0.0.9", paper_mm=58, print_qr=False,
                                                    open_drawer=False, till="T2"))
    assert saved.printer == "net:10.0.0.9:9100" and saved.width_chars == 32
    assert localconfig.load() == saved
    assert stat.S_IMODE(os.stat(localconfig.path()).st_mode) == 0o600
    with pytest.raises(ValidationError) as err:
        localconfig.save(replace(saved, paper_mm=76))
    assert err.value.code == "paper_width_invalid"
    with pytest.raises(ValidationError):
        localconfig.save(replace(saved, printer="usb:1"))
    assert localconfig.load() == saved  # a refused save changes nothing


def test_damaged_till_config_falls_back_field_by_field():
    localconfig.path().write_text(json.dumps({"printer": "usb:nope", "paper_mm": 58, "till": "T 9"}))
    cfg = localconfig.load()
    assert (cfg.printer, cfg.paper_mm, cfg.till) == ("preview", 58, "T1")
    localconfig.path().write_text("{not json")
    assert localconfig.load() == localconfig.TillConfig()


# --- printing never raises into a sale ----------------------------------------------------------
def test_print_sale_on_preview_kicks_the_drawer_only_for_a_first_cash_print(sold):
    from app.adapters.printers import PreviewPrinter

    ctx, sale = sold
    p = PreviewPrinter()
    cfg = localconfig.TillConfig()
    out = printing.print_sale(ctx, sale.receipt_no, p, cfg)
    assert out.ok and out.drawer_opened and p.drawer_kicks == 1 and out.error_code is None
    assert any(sale.receipt_no in x for x in out.preview_lines)
    again = printing.print_sale(ctx, sale.receipt_no, p, cfg, reprint=True)
    assert again.ok and not again.drawer_opened and p.drawer_kicks == 1
    assert any("重印" in x for x in again.preview_lines)
    off = printing.print_sale(ctx, sale.receipt_no, p, replace(cfg, open_drawer=False))
    assert off.ok and not off.drawer_opened and p.printed[-1].qr_payload == sale.receipt_no
    no_qr = printing.print_sale(ctx, sale.receipt_no, p, replace(cfg, print_qr=False))
    assert no_qr.ok and p.printed[-1].qr_payload is None


def test_printer_in_a_missing_folder_fails_cleanly_and_the_sale_stays(sold, tmp_path):
    from app.adapters.printers import printer_from_setting

    ctx, sale = sold
    cfg = localconfig.TillConfig(printer=f"file:{tmp_path / 'gone' / 'receipt.bin'}")
    out = printing.print_sale(ctx, sale.receipt_no, printer_from_setting(cfg.printer), cfg)
    assert not out.ok and out.error_code == "printer_unreachable"
    assert "gone" in out.error_text_en and "小票打印机" in out.error_text_zh
    assert out.error_text("zh_CN") == out.error_text_zh
    assert any(sale.receipt_no in x for x in out.preview_lines)  # still shown on screen
    with ctx.db.session(write=False) as s:
        assert s.execute(select(Sale.total).where(Sale.receipt_no == sale.receipt_no)).scalar() == sale.total
    assert ledger_faults(ctx.db) == []


def test_any_printer_failure_is_an_outcome_not_an_exception(sold):
    ctx, sale = sold

    class Broken:
        description = "broken"

        def print_receipt(self, receipt, *, open_drawer):
            raise RuntimeError("jammed")

        def test_print(self):
            raise OSError("unplugged")

    out = printing.print_sale(ctx, sale.receipt_no, Broken(), localconfig.TillConfig())
    assert not out.ok and out.error_code == "printer_failed" and "jammed" in out.error_text_en
    missing = printing.print_sale(ctx, "T1-424242", Broken(), localconfig.TillConfig())
    assert not missing.ok and missing.error_code == "sale_not_found"
    t = printing.test_print(Broken(), localconfig.TillConfig())
    assert not t.ok and "unplugged" in t.error_text_en


# --- shopcare reprint -------------------------------------------------------------------------
def _cli(*args, home):
    env = {**os.environ, "SHOPCARE_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    env.pop("SHOPCARE_DB", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_reprint_cli_preview_file_and_failures(sold, tmp_path):
    ctx, sale = sold
    url = ctx.db.url
    home = tmp_path / "clihome"
    out = _cli("--db", url, "reprint", sale.receipt_no, "--printer", "preview", home=home)
    assert out.returncode == 0, out.stderr
    assert sale.receipt_no in out.stdout and "138****5678" in out.stdout and PHONE not in out.stdout
    assert "重印" in out.stdout and "王芳" in out.stdout

    target = tmp_path / "paper.bin"
    out = _cli("--db", url, "--lang", "en", "reprint", sale.receipt_no, "--printer", f"file:{target}", home=home)
    assert out.returncode == 0, out.stderr
    assert f"Receipt {sale.receipt_no} reprinted on file:{target}" in out.stdout
    data = target.read_bytes()
    assert data.startswith(b"\x1b@\x1c&") and "王芳".encode("gb18030") in data and b"\x1bp" not in data.split(b"\x1d(k")[0]

    out = _cli("--db", url, "--lang", "en", "reprint", sale.receipt_no, "--printer",
               f"file:{tmp_path / 'nope' / 'x.bin'}", home=home)
    assert out.returncode == 2 and "cannot be reached" in out.stderr and out.stdout == ""
    out = _cli("--db", url, "--lang", "en", "reprint", "T1-777777", "--printer", "preview", home=home)
    assert out.returncode == 2 and "No sale T1-777777" in out.stderr
    out = _cli("--db", url, "--lang", "zh_CN", "reprint", sale.receipt_no, "--printer", "usb:1", home=home)
    assert out.returncode == 2 and "USB 打印机应写作" in out.stderr


def test_reprint_uses_the_till_printer_setting(sold, tmp_path):
    ctx, sale = sold
    home = tmp_path / "clihome"
    target = tmp_path / "till.bin"
    (home / "config").mkdir(parents=True)
    (home / "config" / "till.json").write_text(json.dumps({"printer": f"file:{target}", "paper_mm": 58}))
    out = _cli("--db", ctx.db.url, "reprint", sale.receipt_no, home=home)
    assert out.returncode == 0, out.stderr
    assert sale.receipt_no.encode() in target.read_bytes()


# --- the on-screen preview ----------------------------------------------------------------------
def test_preview_dialog_shows_the_lines_and_reports_a_missing_printer(sold, qtbot):
    from app.ui.till.receipt_preview import ReceiptPreviewDialog
    from app.ui.state import AppState

    ctx, sale = sold
    state = AppState(ctx)
    lines = layout(build_receipt(ctx, sale.receipt_no), 32)
    dlg = ReceiptPreviewDialog(state, lines, receipt_no=sale.receipt_no)
    qtbot.addWidget(dlg)
    assert dlg.paper.lines == lines and dlg.paper.width() > 32 * 5
    dlg.print_receipt()  # the till's printer is "preview": nothing to print on
    qtbot.waitUntil(lambda: dlg.print_button.isEnabled(), timeout=5000)
    assert "No receipt printer" in dlg.status.text() and dlg.status.property("role") == "error"


def test_preview_dialog_print_goes_to_the_till_printer_off_the_ui_thread(sold, qtbot, tmp_path):
    from app.ui.till.receipt_preview import ReceiptPreviewDialog
    from app.ui.state import AppState

    ctx, sale = sold
    target = tmp_path / "dialog.bin"
    localconfig.save(localconfig.TillConfig(printer=f"file:{target}"))
    state = AppState(ctx)
    dlg = ReceiptPreviewDialog(state, layout(build_receipt(ctx, sale.receipt_no), 48), receipt_no=sale.receipt_no)
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.printed, timeout=10000) as got:
        dlg.print_receipt()
    assert got.args[0].ok and dlg.status.text() == "Sent to the printer."
    assert "重印".encode("gb18030") in target.read_bytes()
