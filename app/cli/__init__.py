"""The ``shopcare`` command (see DESIGN.md, "Command line": a contract, keep the names).

With no command it starts the till app (Qt is imported only then). Every command acts as the
``system`` actor on till ``$SHOPCARE_TILL`` (default T1). Errors are ShopErrors rendered in the
user's language on stderr with exit code 2 (``check`` exits 1 when it finds a fault), argparse's
usage errors too; never a traceback: a failure nobody foresaw is one plain sentence, its traceback
goes to the log file (app/logs.py; ``shopcare support-bundle`` zips it), and ``SHOPCARE_DEBUG=1``
prints it on stderr as well.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import TextIO

from app.cli.env import EXIT_ERROR, EXIT_FAULT, EXIT_OK, Env
from app.cli.gui import cmd_screenshots, start_gui
from app.cli.messages import msg
from app.cli.parser import build_parser, parse_args
from app.errors import ShopError, render

__all__ = ["EXIT_ERROR", "EXIT_FAULT", "EXIT_OK", "Env", "build_parser", "main", "msg", "parse_args"]


# --- entry point -------------------------------------------------------------------------------
def main(argv: list[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    _utf8(out)
    _utf8(err)
    try:
        args = parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already printed: its exit code
        return done.code if isinstance(done.code, int) else EXIT_ERROR
    from app import paths

    paths.private_umask()   # members' personal data: every file made from here on is the user's only
    paths.fix_existing()    # and what an older version left readable is put right (app/paths.py)
    from app import logs

    log_path = logs.configure()   # every failure nobody foresaw keeps its traceback there
    env = Env(args, out, err)
    try:
        if args.screenshots is not None:
            return cmd_screenshots(env)
        if args.command is None:
            return start_gui(env)
        return args.func(env)
    except ShopError as exc:
        logs.log_failure(exc, f"shopcare {args.command or 'app'}")   # a refusal: its code, at INFO
        env.say_err(render(exc, env.lang))
        return EXIT_ERROR
    except KeyboardInterrupt:
        env.say_err(msg("interrupted", env.lang))
        return 130
    except Exception as exc:  # the database could not be opened or read: say so plainly
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, (DBAPIError, OSError)):
            logs.log_failure(exc, f"shopcare {args.command or 'app'}: the database")
            why = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            shown = env.url or "(default)"
            try:
                shown = env.where()
            except Exception:
                pass
            env.say_err(render(ShopError("db_unavailable", url=shown, why=why), env.lang))
            return EXIT_ERROR
        # Anything else is a fault of ShopCare's, not of the input: one plain sentence, and the
        # traceback in the log file (and on stderr for whoever asks for it).
        logs.log_failure(exc, f"shopcare {args.command or 'app'}")
        env.say_err(render(ShopError("unexpected", kind=type(exc).__name__, log=log_path), env.lang))
        if os.environ.get("SHOPCARE_DEBUG"):
            traceback.print_exc(file=env.err)
        return EXIT_ERROR
    finally:
        env.close()


def _utf8(stream: TextIO) -> None:
    """Chinese text must not crash a terminal or pipe with a narrow locale (Windows, LANG=C)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower() not in ("utf-8", "utf8"):
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass

