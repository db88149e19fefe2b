"""Settings that belong to this till (this machine), not to the shared shop database.

Which receipt printer is plugged into this computer, its paper width, whether to print a QR code,
whether to kick the cash drawer on cash sales, and this till's code. Kept as JSON in
``app.paths.config_dir()/till.json`` (mode 0600), so two tills sharing one database each keep
their own printer.

The printer is one setting string (DESIGN.md): ``usb:VID:PID``, ``net:HOST[:PORT]``,
``serial:DEVICE``, ``file:PATH`` or ``preview`` (the default: an on-screen preview).
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from app import paths
from app.errors import ValidationError
from app.i18n import L_

log = logging.getLogger(__name__)

FILE_NAME = "till.json"
PAPER_WIDTHS = {58: 32, 80: 48}   # paper mm -> characters per line (font A, 12x24 dots)
DEFAULT_NET_PORT = 9100           # the raw "JetDirect" port every ESC/POS network printer listens on
_TILL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_HEX4 = re.compile(r"^(0x)?[0-9A-Fa-f]{1,4}$")


@dataclass(frozen=True)
class PrinterSetting:
    """A parsed printer setting. ``kind`` is usb, net, serial, file or preview."""
    kind: str
    text: str                     # the setting as written, normalised ("net:10.0.0.5:9100")
    vendor_id: int | None = None  # usb
    product_id: int | None = None
    host: str | None = None       # net
    port: int | None = None
    device: str | None = None     # serial device or file path


@dataclass(frozen=True)
class TillConfig:
    printer: str = "preview"
    paper_mm: int = 80
    print_qr: bool = True
    open_drawer: bool = True      # kick the cash drawer on sales with a cash payment
    till: str = "T1"

    @property
    def width_chars(self) -> int:
        return PAPER_WIDTHS.get(self.paper_mm, 48)

    def printer_setting(self) -> PrinterSetting:
        return parse_printer_setting(self.printer)


def parse_printer_setting(text: str) -> PrinterSetting:
    """Validate and parse a printer setting string; ValidationError with a clear code otherwise."""
    raw = (text or "").strip()
    if not raw or raw.lower() == "preview":
        return PrinterSetting("preview", "preview")
    kind, sep, rest = raw.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in ("usb", "net", "serial", "file"):
        raise ValidationError("printer_setting_invalid", value=raw)
    rest = rest.strip()
    if kind == "usb":
        parts = rest.split(":")
        if len(parts) != 2 or not all(_HEX4.match(p.strip()) for p in parts):
            raise ValidationError("printer_usb_ids_invalid", value=raw)
        vid, pid = (int(p.strip(), 16) for p in parts)
        if vid == 0 or pid == 0:
            raise ValidationError("printer_usb_ids_invalid", value=raw)
        return PrinterSetting("usb", f"usb:{vid:04x}:{pid:04x}", vendor_id=vid, product_id=pid)
    if kind == "net":
        host, port = _host_port(rest, raw)
        shown = f"[{host}]" if ":" in host else host
        return PrinterSetting("net", f"net:{shown}:{port}", host=host, port=port)
    if not rest:
        what = L_("device (like /dev/ttyUSB0 or COM3)") if kind == "serial" else L_("file path")
        raise ValidationError("printer_target_missing", value=raw, kind=kind, what=what)
    return PrinterSetting(kind, f"{kind}:{rest}", device=rest)


def _host_port(rest: str, raw: str) -> tuple[str, int]:
    if not rest:
        raise ValidationError("printer_target_missing", value=raw, kind="net", what=L_("host name or IP address"))
    if rest.startswith("["):                      # [IPv6]:port
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ("" if not tail else None)
        if port_text is None:
            raise ValidationError("printer_setting_invalid", value=raw)
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
    elif rest.count(":") == 0:
        host, port_text = rest, ""
    else:
        raise ValidationError("printer_setting_invalid", value=raw)
    host = host.strip()
    if not host or any(c.isspace() or c in "/\\@" for c in host):
        raise ValidationError("printer_setting_invalid", value=raw)
    port_text = port_text.strip()
    if not port_text:
        return host, DEFAULT_NET_PORT
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValidationError("printer_port_invalid", value=raw)
    return host, int(port_text)


def validate(cfg: TillConfig) -> TillConfig:
    """The config with its printer setting normalised; ValidationError for a bad field."""
    setting = parse_printer_setting(cfg.printer)
    if cfg.paper_mm not in PAPER_WIDTHS:
        raise ValidationError("paper_width_invalid", value=cfg.paper_mm)
    if not _TILL_CODE.match(cfg.till or ""):
        raise ValidationError("till_code_invalid", value=cfg.till)
    return replace(cfg, printer=setting.text, print_qr=bool(cfg.print_qr), open_drawer=bool(cfg.open_drawer))


def path() -> Path:
    return paths.config_dir() / FILE_NAME


def load() -> TillConfig:
    """This till's settings; defaults for a missing file. A damaged file or field never stops the
    till from starting: each unusable value falls back to its default (logged)."""
    file = path()
    if not file.is_file():
        return TillConfig()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        log.warning("till settings %s unreadable (%s): using defaults", file, exc)
        return TillConfig()
    cfg = TillConfig()
    for f in fields(TillConfig):
        if f.name not in data:
            continue
        try:
            cfg = validate(replace(cfg, **{f.name: data[f.name]}))
        except (ValidationError, TypeError) as exc:
            log.warning("till settings %s: %s=%r ignored (%s)", file, f.name, data[f.name], exc)
    return cfg


def save(cfg: TillConfig) -> TillConfig:
    """Validate and write the settings (atomically, readable by this user only); returns what was saved."""
    cfg = validate(cfg)
    write_private_json(path(), asdict(cfg))
    return cfg


def write_private_json(file: Path, data: dict) -> None:
    """Write ``data`` to ``file`` atomically, readable by this user only (mode 0600)."""
    tmp = file.with_name(file.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, file)
