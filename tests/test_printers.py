"""Receipt bytes from python-escpos (Dummy and File printers, and a network printer faked on
127.0.0.1): init, Chinese mode before GB18030 text, masked phone, QR, cut, drawer kick, failures."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.adapters import printers
from app.adapters.printers import EscposPrinter, PreviewPrinter, printer_from_setting
from app.services.base import localconfig
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.base.ports import PrinterError, ReceiptPrinter
from app.services.sales.receipt import build_receipt, demo_receipt
from tests.shop import member, stock_shop

ROOT = Path(__file__).resolve().parent.parent
ESC_INIT, FS_AND, CUT, KICK, QR = b"\x1b@", b"\x1c\x26", b"\x1dV", b"\x1bp", b"\x1d(k"


@pytest.fixture
def receipt(ctx):
    stock_shop(ctx)
    from app.services.base import settings

    settings.update(ctx, shop_name="街角茶咖")
    m = member(ctx, phone="13812345678", name="王芳")
    sale = checkout(ctx, Cart((CartLine("COF", 2), CartLine("TEA")), member_id=m.id), [Tender("cash", 20000)])
    return build_receipt(ctx, sale.receipt_no)


def dummy_printer(*, width=48, qr=True):
    from escpos.printer import Dummy

    dev = Dummy()
    kind = localconfig.parse_printer_setting("file:/dev/null")
    return EscposPrinter(kind, width_chars=width, print_qr=qr, device_factory=lambda: dev), dev


def test_dummy_bytes_have_init_chinese_mode_gb18030_masked_phone_cut_and_kick(receipt):
    p, dev = dummy_printer()
    assert isinstance(p, ReceiptPrinter)
    p.print_receipt(receipt, open_drawer=True)
    out = dev.output
    assert out.startswith(ESC_INIT + FS_AND)
    shop = "街角茶咖".encode("gb18030")
    product = "咖啡豆".encode("gb18030")
    assert shop in out and product in out
    assert out.index(FS_AND) < out.index(shop) < out.index(product)
    assert "合计".encode("gb18030") in out  # labels in the shop's language (zh_CN by default)
    assert "咖啡豆".encode("utf-8") not in out  # never UTF-8 on the paper
    assert receipt.receipt_no.encode() in out
    assert b"138****5678" in out and b"13812345678" not in out and b"8613812345678" not in out
    assert QR in out and receipt.receipt_no.encode() in out[out.index(QR):]
    assert CUT in out and out.index(CUT) > out.index(product)
    assert out.endswith(KICK + b"\x00" + bytes([50, 50]))  # ESC p 0 t1 t2: kick pin 2, after the cut


def test_no_drawer_kick_unless_asked_and_no_qr_when_off(receipt):
    p, dev = dummy_printer(qr=False)
    p.print_receipt(receipt, open_drawer=False)
    assert KICK not in dev.output and QR not in dev.output
    assert CUT in dev.output


def test_file_printer_writes_the_same_bytes(receipt, tmp_path):
    target = tmp_path / "receipt.bin"
    p = printer_from_setting(f"file:{target}", paper_mm=58)
    assert isinstance(p, EscposPrinter) and p.width_chars == 32
    p.print_receipt(receipt, open_drawer=False)
    out = target.read_bytes()
    assert out.startswith(ESC_INIT + FS_AND)
    assert "王芳".encode("gb18030") in out and b"138****5678" in out and b"13812345678" not in out
    assert CUT in out and KICK not in out.split(QR)[0]
    # every text line of the 58 mm receipt fits 32 columns
    text = out[out.index(b"\x1c\x21\x00") + 3:out.index(QR)]
    for raw in text.split(b"\n"):
        line = raw.split(b"\x1b")[0].decode("gb18030")
        from app.services.sales.receipt import text_width

        assert text_width(line) <= 32, line


def test_file_printer_in_a_missing_folder_is_a_printer_error(receipt, tmp_path):
    p = printer_from_setting(f"file:{tmp_path / 'no' / 'such' / 'dir' / 'r.bin'}")
    with pytest.raises(PrinterError) as err:
        p.print_receipt(receipt, open_drawer=False)
    assert err.value.code == "printer_unreachable"
    assert "打印机" in __import__("app.errors", fromlist=["render"]).render(err.value, "zh_CN")


def test_preview_printer_keeps_the_laid_out_text(receipt):
    p = printer_from_setting("preview", paper_mm=58)
    assert isinstance(p, PreviewPrinter) and isinstance(p, ReceiptPrinter)
    p.print_receipt(receipt, open_drawer=True)
    assert any(receipt.receipt_no in x for x in p.lines) and p.drawer_kicks == 1
    assert p.printed == [receipt]


def test_test_page_prints_chinese_and_cuts(tmp_path):
    target = tmp_path / "test.bin"
    printer_from_setting(f"file:{target}").test_print()
    out = target.read_bytes()
    assert out.startswith(ESC_INIT + FS_AND) and "打印测试".encode("gb18030") in out and CUT in out


# --- a network printer faked on the loopback address ------------------------------------------
class FakeNetPrinter:
    """Accepts one connection on 127.0.0.1, records what arrives, answers DLE EOT 4 with ``status``
    (None: never answers). Stops by itself after a few seconds."""

    def __init__(self, status: bytes | None = b"\x12") -> None:
        self.status = status
        self.received = b""
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        conn.settimeout(5)
        answered = False
        deadline = time.monotonic() + 5
        with conn:
            while time.monotonic() < deadline:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.received += chunk
                if not answered and b"\x10\x04\x04" in self.received and self.status is not None:
                    conn.sendall(self.status)
                    answered = True
        self.server.close()

    def join(self) -> None:
        self.thread.join(6)


def test_network_printer_gets_the_receipt(receipt):
    fake = FakeNetPrinter(status=b"\x12")  # paper adequate
    p = printer_from_setting(f"net:127.0.0.1:{fake.port}")
    p.print_receipt(receipt, open_drawer=True)
    fake.join()
    assert fake.received.startswith(b"\x10\x04\x04")  # the paper-status question first
    body = fake.received[3:]
    assert body.startswith(ESC_INIT + FS_AND) and receipt.receipt_no.encode() in body and KICK in body


def test_network_printer_out_of_paper_is_reported_and_gets_no_receipt(receipt):
    fake = FakeNetPrinter(status=bytes([0x72]))  # paper-end sensors both set
    p = printer_from_setting(f"net:127.0.0.1:{fake.port}")
    with pytest.raises(PrinterError) as err:
        p.print_receipt(receipt, open_drawer=True)
    fake.join()
    assert err.value.code == "printer_no_paper"
    assert ESC_INIT not in fake.received


def test_network_printer_that_never_answers_status_still_prints_quickly(receipt):
    fake = FakeNetPrinter(status=None)
    p = printer_from_setting(f"net:127.0.0.1:{fake.port}")
    start = time.monotonic()
    p.print_receipt(receipt, open_drawer=False)
    took = time.monotonic() - start
    fake.join()
    assert took < printers.STATUS_TIMEOUT + 2
    assert receipt.receipt_no.encode() in fake.received


def test_network_printer_that_is_off_fails_fast(receipt):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    p = printer_from_setting(f"net:127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(PrinterError) as err:
        p.print_receipt(demo_receipt(), open_drawer=False)
    assert err.value.code == "printer_unreachable" and time.monotonic() - start < 3


def test_escpos_is_imported_lazily_with_its_pickle_in_our_cache(tmp_path):
    home = tmp_path / "home"
    code = ("import sys, os\n"
            "import app.adapters.printers as p\n"
            "assert 'escpos' not in sys.modules, 'imported too early'\n"
            "p._escpos()\n"
            "print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])\n")
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env["SHOPCARE_HOME"] = str(home)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    folder = Path(out.stdout.strip())
    assert folder == home / "cache" / "escpos"
    assert list(folder.glob("*.capabilities.pickle"))
