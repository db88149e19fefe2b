"""shopcare reprint."""
from __future__ import annotations

from app.cli.env import EXIT_ERROR, EXIT_OK, Env
from app.cli.messages import msg


def cmd_reprint(env: Env) -> int:
    from dataclasses import replace as dc_replace

    from app.services.base import localconfig
    from app.services.sales import printing

    cfg = localconfig.load()
    if env.args.printer is not None:
        cfg = dc_replace(cfg, printer=localconfig.parse_printer_setting(env.args.printer).text)
    setting = localconfig.parse_printer_setting(cfg.printer)
    env.require_file()
    ctx = env.open()
    from app.adapters.printers import printer_from_setting

    printer = printer_from_setting(setting, paper_mm=cfg.paper_mm, print_qr=cfg.print_qr)
    outcome = printing.print_sale(ctx, env.args.receipt_no, printer, cfg, reprint=True)
    if not outcome.ok:
        env.say_err(outcome.error_text(env.lang) or outcome.error_code or "")
        return EXIT_ERROR
    if setting.kind == "preview":
        for line in outcome.preview_lines:
            env.say(line)
    else:
        env.say(msg("reprint_sent", env.lang, receipt=outcome.receipt_no, printer=setting.text))
    return EXIT_OK
