"""Receipt printers: python-escpos (USB, network, serial, file) and the on-screen preview.

Both implement app.services.base.ports.ReceiptPrinter. The ESC/POS bytes of a receipt are rendered in
memory first (on python-escpos's Dummy printer), then sent to the device in one write, so a printer
that fails half-way gets nothing half-printed from us, and every failure (not found, refused,
timed out, out of paper) becomes a PrinterError within a few seconds.

Chinese: the printer is put in Chinese mode (FS &) and text is sent as GB18030 bytes with
``_raw``; python-escpos's own text() would encode CJK as GB18030 too but never sends the mode
command, so a printer left in single-byte mode prints garbage.

python-escpos pickles its printer-capabilities database at import into a new temporary folder
unless ``ESCPOS_CAPABILITIES_PICKLE_DIR`` names one (about 340 ms and a stray folder per start):
``_escpos()`` points it at our cache dir, and escpos is imported only when something is printed.
"""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from app import paths
from app.safe_text import printable
from app.services.base.localconfig import PAPER_WIDTHS, PrinterSetting, parse_printer_setting
from app.services.base.ports import PrinterError
from app.services.sales.receipt import Receipt, center, layout, qr_blocks, wrap

ESC_INIT = b"\x1b@"          # ESC @: initialise (clear buffer, reset modes)
FS_CHINESE_ON = b"\x1c\x26"  # FS &: select Chinese (double-byte) character mode
FS_CHINESE_OFF = b"\x1c\x2e"  # FS .: cancel Chinese character mode
FS_KANJI_MODE = b"\x1c\x21"  # FS ! n: Chinese character print mode (0x0c: double width and height)
GS_SIZE = b"\x1d\x21"        # GS ! n: character size (0x11: double width and height)
PRINT_DOTS = {32: 384, 48: 576}  # printable width in dots at 203 dpi: 58 mm paper 48 mm, 80 mm paper 72 mm
NET_TIMEOUT = 4.0            # seconds to connect to / write to a network printer
STATUS_TIMEOUT = 1.0         # seconds to wait for a paper-status answer (many printers never answer)
USB_TIMEOUT_MS = 4000
SERIAL_WRITE_TIMEOUT = 4.0
QR_SIZE = {32: 5, 48: 6}     # module size in dots per paper width

_import_lock = threading.Lock()


def escpos_cache_dir():
    return paths.private_dir(paths.cache_dir() / "escpos")


def _escpos() -> Any:
    """python-escpos's printer module, imported on first use with its pickle cache in our cache dir."""
    with _import_lock:
        if not os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(escpos_cache_dir())
        else:
            os.makedirs(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"], exist_ok=True)
        import escpos.printer

        return escpos.printer


def paper_profile(width_chars: int) -> Any:
    """python-escpos's default profile with the paper's printable width filled in (escpos prints a
    warning on standard output for every image when the width is unknown)."""
    _escpos()
    from escpos import capabilities

    base = capabilities.get_profile_class("default")
    data = dict(base.profile_data)
    dots = PRINT_DOTS.get(width_chars, 576)
    data["media"] = {"dpi": 203, "width": {"mm": 72 if dots == 576 else 48, "pixels": dots}}
    return type("ShopCareProfile", (base,), {"profile_data": data})()


def encode(text: str) -> bytes:
    """Receipt text as the printer reads it in Chinese mode: GB18030 (ASCII stays one byte).
    Never a control character: every ESC/POS command byte on the paper is one we chose (GB18030's
    multi-byte codes never contain a byte below 0x30)."""
    return printable(text).encode("gb18030", errors="replace")


def _big(p: Any, on: bool) -> None:
    """Bold, double width and height, centred, for ASCII (GS !) and Chinese characters (FS !) alike."""
    p.set(align="center" if on else "left", bold=on)
    p._raw(GS_SIZE + (b"\x11" if on else b"\x00"))
    p._raw(FS_KANJI_MODE + (b"\x0c" if on else b"\x00"))


def render_escpos(p: Any, receipt: Receipt, width_chars: int, *, print_qr: bool, open_drawer: bool) -> None:
    """Write one receipt onto a python-escpos printer object ``p`` (any: Dummy, File, Network…)."""
    p._raw(ESC_INIT)
    p._raw(FS_CHINESE_ON)
    _big(p, True)  # the shop name: double size, so half as many columns
    for line in wrap(receipt.shop_name, width_chars // 2):
        p._raw(encode(line) + b"\n")
    _big(p, False)
    for line in layout(receipt, width_chars, include_shop_name=False):
        p._raw(encode(line) + b"\n")
    if print_qr:
        # Native QR (GS ( k): a few bytes the printer draws itself, where an image would be ~10 KB
        # (over a minute's worth on a 9600-baud serial printer). The receipt's number, then the
        # member's code under its caption.
        for caption, payload in qr_blocks(receipt, width_chars):
            for line in caption:
                p._raw(encode(line) + b"\n")
            p.set(align="center")
            p.qr(printable(payload), size=QR_SIZE.get(width_chars, 5), native=True)
            p.set(align="left")
    p.cut()
    if open_drawer:
        p.cashdraw(2)


def render_slip(p: Any, heading: str, lines: list[str], width_chars: int, *, open_drawer: bool) -> None:
    """A slip (a top-up's): the heading large as on a receipt, its lines, a cut; GB18030 in Chinese mode."""
    p._raw(ESC_INIT)
    p._raw(FS_CHINESE_ON)
    _big(p, True)
    for line in wrap(heading, width_chars // 2):
        p._raw(encode(line) + b"\n")
    _big(p, False)
    for line in lines:
        p._raw(encode(line) + b"\n")
    p.cut()
    if open_drawer:
        p.cashdraw(2)


def render_test_page(p: Any, setting_text: str, width_chars: int, when: datetime) -> None:
    p._raw(ESC_INIT)
    p._raw(FS_CHINESE_ON)
    _big(p, True)
    p._raw(encode("ShopCare") + b"\n")
    _big(p, False)
    mm = next((k for k, v in PAPER_WIDTHS.items() if v == width_chars), "?")
    lines = ["Test print / 打印测试", f"Printer / 打印机: {setting_text}",
             f"Paper / 纸宽: {mm} mm, {width_chars} columns / 列", f"{when:%Y-%m-%d %H:%M:%S}",
             "1234567890" * (width_chars // 10) + "1234567890"[: width_chars % 10],
             "中文测试：咖啡豆 绿茶 会员 积分 储值", "-" * width_chars]
    for line in lines:
        for part in wrap(line, width_chars):
            p._raw(encode(part) + b"\n")
    p.cut()


class EscposPrinter:
    """A python-escpos printer made from a setting (usb/net/serial/file), or from ``device_factory``
    (tests pass one returning a Dummy or File printer)."""

    def __init__(self, setting: PrinterSetting, *, width_chars: int = 48, print_qr: bool = True,
                 device_factory: Callable[[], Any] | None = None) -> None:
        self.setting = setting
        self.description = setting.text
        self.width_chars = width_chars
        self.print_qr = print_qr
        self._factory = device_factory

    # --- ReceiptPrinter ---
    def print_receipt(self, receipt: Receipt, *, open_drawer: bool) -> None:
        data = self._render(lambda p: render_escpos(p, receipt, self.width_chars, print_qr=self.print_qr,
                                                    open_drawer=open_drawer))
        self._send(data)

    def print_slip(self, heading: str, lines: list[str], *, open_drawer: bool) -> None:
        self._send(self._render(lambda p: render_slip(p, heading, lines, self.width_chars, open_drawer=open_drawer)))

    def test_print(self) -> None:
        data = self._render(lambda p: render_test_page(p, self.description, self.width_chars, datetime.now()))
        self._send(data)

    # --- internals ---
    def _render(self, draw: Callable[[Any], None]) -> bytes:
        buffer = _escpos().Dummy()
        buffer.profile = paper_profile(self.width_chars)
        try:
            draw(buffer)
        except Exception as exc:  # an escpos refusal (bad QR data…) must still be a PrinterError
            raise PrinterError("printer_failed", printer=self.description, why=_why(exc)) from exc
        return buffer.output

    def _device(self) -> Any:
        if self._factory is not None:
            return self._factory()
        mod = _escpos()
        s = self.setting
        if s.kind == "net":
            return mod.Network(s.host, port=s.port, timeout=NET_TIMEOUT)
        if s.kind == "file":
            return mod.File(s.device)
        if s.kind == "usb":
            return mod.Usb(s.vendor_id, s.product_id, timeout=USB_TIMEOUT_MS)
        if s.kind == "serial":
            return mod.Serial(s.device, timeout=STATUS_TIMEOUT)
        raise PrinterError("printer_failed", printer=self.description, why=f"not an ESC/POS printer: {s.kind}")

    def _send(self, data: bytes) -> None:
        dev = None
        try:
            dev = self._device()
            dev.open()
            if self.setting.kind == "serial" and getattr(dev, "device", None) is not None:
                dev.device.write_timeout = SERIAL_WRITE_TIMEOUT
            if self._paper_out(dev):
                raise PrinterError("printer_no_paper", printer=self.description)
            dev._raw(data)
            flush = getattr(dev, "flush", None)
            if callable(flush):
                flush()
        except PrinterError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        finally:
            if dev is not None:
                try:
                    dev.close()
                except Exception:  # closing a dead connection: nothing more to report
                    pass

    def _paper_out(self, dev: Any) -> bool:
        """Ask the printer for its paper sensor (DLE EOT 4). No answer, or a printer that cannot
        answer (file, Dummy), counts as "has paper": printing goes on."""
        if self.setting.kind not in ("net", "usb", "serial"):
            return False
        sock = getattr(dev, "device", None) if self.setting.kind == "net" else None
        old = sock.gettimeout() if isinstance(sock, socket.socket) else None
        try:
            if isinstance(sock, socket.socket):
                sock.settimeout(STATUS_TIMEOUT)
            return dev.paper_status() == 0
        except Exception:
            return False
        finally:
            if isinstance(sock, socket.socket):
                sock.settimeout(old)

    def _translate(self, exc: BaseException) -> PrinterError:
        name = self.description
        if isinstance(exc, (socket.timeout, TimeoutError)) or type(exc).__name__ in ("USBTimeoutError",
                                                                                    "SerialTimeoutException"):
            return PrinterError("printer_timeout", printer=name)
        if isinstance(exc, RuntimeError) and "pyusb" in str(exc).lower():
            return PrinterError("printer_driver_missing", kind="USB", package="pyusb")
        if type(exc).__name__ == "NoBackendError":
            return PrinterError("printer_usb_backend_missing", printer=name)
        if isinstance(exc, RuntimeError) and "pyserial" in str(exc).lower():
            return PrinterError("printer_driver_missing", kind="serial", package="pyserial")
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, (socket.timeout, TimeoutError)):
            return PrinterError("printer_timeout", printer=name)
        if type(exc).__name__ in ("DeviceNotFoundError", "USBNotFoundError") or isinstance(exc, OSError):
            return PrinterError("printer_unreachable", printer=name, why=_why(exc))
        return PrinterError("printer_failed", printer=name, why=_why(exc))


def _why(exc: BaseException) -> str:
    """One short line about a failure, for the cashier (python-escpos messages span lines)."""
    text = " ".join(str(getattr(exc, "msg", "") or exc).split())
    for prefix in ("Device not found ", "Device not found"):
        text = text.removeprefix(prefix)
    text = text.strip("() ")
    return (text or type(exc).__name__)[:160]


@dataclass
class PreviewPrinter:
    """The default printer: keeps the laid-out text for the UI's on-screen preview (or the CLI)."""
    width_chars: int = 48
    description: str = "preview"
    lines: list[str] = field(default_factory=list)        # the last receipt, as text lines
    printed: list[Receipt] = field(default_factory=list)  # every receipt "printed", oldest first
    drawer_kicks: int = 0

    def print_receipt(self, receipt: Receipt, *, open_drawer: bool) -> None:
        self.lines = layout(receipt, self.width_chars)   # no control characters (layout removes them)
        self.printed.append(receipt)
        if open_drawer:
            self.drawer_kicks += 1

    def print_slip(self, heading: str, lines: list[str], *, open_drawer: bool) -> None:
        self.lines = [printable(x) for x in center(heading, self.width_chars) + list(lines)]
        if open_drawer:
            self.drawer_kicks += 1

    def test_print(self) -> None:
        self.lines = ["ShopCare", "Test print / 打印测试", f"Printer / 打印机: {printable(self.description)}",
                      "中文测试：咖啡豆 绿茶 会员 积分 储值"]


def printer_from_setting(setting: PrinterSetting | str, *, paper_mm: int = 80, print_qr: bool = True):
    """The ReceiptPrinter for a setting string or parsed setting (ValidationError for a bad string).
    Nothing is opened yet: a printer that is off is only noticed when printing."""
    if isinstance(setting, str):
        setting = parse_printer_setting(setting)
    width = PAPER_WIDTHS.get(paper_mm, 48)
    if setting.kind == "preview":
        return PreviewPrinter(width_chars=width)
    return EscposPrinter(setting, width_chars=width, print_qr=print_qr)
