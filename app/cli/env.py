"""What a command runs with (database, language, till, streams) and its progress line."""
from __future__ import annotations

import argparse
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from app.cli.messages import msg
from app.errors import ShopError, quoted
from app.safe_text import terminal

EXIT_OK, EXIT_FAULT, EXIT_ERROR = 0, 1, 2


# --- running -----------------------------------------------------------------------------------
class Env:
    """What a command runs with: the database URL, the language, the till, the streams."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        from app.services.base.language import language_from_env

        self.args = args
        self.url = args.db or os.environ.get("SHOPCARE_DB") or None
        self.till = os.environ.get("SHOPCARE_TILL") or "T1"
        self.lang = args.lang or language_from_env()
        self.out, self.err = out, err
        self._db = None

    def db_url(self) -> str:
        from app import paths

        return self.url or paths.default_db_url()

    def where(self) -> str:
        db = self.database()
        if db.sqlite_path is not None:
            return str(db.sqlite_path)
        from sqlalchemy.engine import make_url

        return make_url(db.url).render_as_string(hide_password=True)

    def database(self):
        if self._db is None:
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError

            from app.db import Database

            url = self.db_url()
            try:
                self._db = Database(url)
            except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
                # not a URL, an unknown database kind, or its driver is not installed
                why = quoted(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 120)
                raise ShopError("db_url_invalid", url=quoted(re.sub(r"//[^/@]*@", "//…@", url), 80),
                                why=why) from None
        return self._db

    def ctx(self):
        from app.services.base.context import SYSTEM, Ctx

        return Ctx(db=self.database(), actor=SYSTEM, till=self.till)

    def open(self, *, upgrade: bool = True, defaults: bool = True):
        """The database, brought to head after a backup (the app upgrades on start), as a Ctx."""
        from app.services.admin import backup
        from app.services.base import setup

        if upgrade:
            made = backup.upgrade_with_backup(self.database())
            if made is not None:
                self.say_err(msg("backed_up_first", self.lang, path=made))
        ctx = self.ctx()
        if defaults:
            setup.ensure_defaults(ctx)
        if upgrade:
            from app.services.admin import import_batches

            import_batches.recover_left(ctx)   # an import killed half-way is taken back whole
        self.use_shop_language(ctx)
        return ctx

    def use_shop_language(self, ctx) -> None:
        if self.args.lang:
            return
        from app.services.base.language import configured_language

        try:
            self.lang = configured_language(ctx) or self.lang
        except Exception:  # an unreadable database still reports in the environment's language
            pass

    def _secret(self, prompt: str) -> str | None:
        import getpass

        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(prompt, stream=self.err)
        return None

    def owner_confirmed(self, ctx):
        """``ctx`` with the owner's password confirmed, when the shop has one (exports ask for it even
        from the command line); the password comes from SHOPCARE_OWNER_PASSWORD or a terminal prompt."""
        from app.services.base import auth

        if not auth.has_owner_password(ctx):
            return ctx
        password = os.environ.get("SHOPCARE_OWNER_PASSWORD")
        if password is None:
            password = self._secret(msg("owner_password_prompt", self.lang))
        if password is None:
            raise ShopError("owner_password_needed_cli")
        return auth.confirm_owner(ctx, password)

    def renamed(self, wanted: Path, written: Path) -> None:
        """Say on stderr that ``wanted`` was taken and the file went to ``written`` instead."""
        if Path(written) != Path(wanted):
            self.say_err(msg("file_renamed", self.lang, wanted=wanted, path=written))

    @contextmanager
    def new_file(self, path: Path):
        """A free name for the file a command writes (``path``, else "stem (n).suffix"), claimed
        until it is written; said on stderr when it differs; taken back when the writing fails. A
        missing folder is left for the writer to refuse in its own words."""
        from app.services.reports import report_files

        path = Path(path)
        if not path.parent.is_dir():
            yield path
            return
        out = report_files.claim(path)
        try:
            yield out
        except BaseException:
            report_files.release(out)
            raise
        self.renamed(path, out)

    def require_file(self) -> None:
        db = self.database()
        path = db.sqlite_path
        if path is not None and not path.is_file():
            raise ShopError("db_missing", path=str(path))

    # Names, receipts and errors carry data: no escape sequence from it reaches the terminal.
    def say(self, text: str = "") -> None:
        print(terminal(text), file=self.out, flush=True)

    def say_err(self, text: str) -> None:
        print(terminal(text), file=self.err, flush=True)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


class Progress:
    """A progress callback ``(done, total, label)`` printing on stderr: a bar rewritten with \\r on a
    terminal (at most ten times a second), otherwise a percentage line every few seconds (and
    the first and the last), so a log or a pipe gets a handful of lines, not thousands."""

    BAR = 30
    EVERY = 5.0   # seconds between lines off a terminal

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last: tuple[str, int] | None = None
        self._dirty = False
        self._at = 0.0

    def __call__(self, done: int, total: int, label: str = "") -> None:
        import time

        pct = 100 if total <= 0 else max(0, min(100, done * 100 // total))
        now = time.monotonic()
        if self.tty:
            if pct < 100 and now - self._at < 0.1 and self._dirty:
                return
            self._at = now
            filled = self.BAR * pct // 100
            bar = "#" * filled + "-" * (self.BAR - filled)
            self.stream.write(f"\r{label} [{bar}] {pct:3d}% ({done}/{total})\033[K")
            self.stream.flush()
            self._dirty = True
            return
        if self._last is not None and self._last[0] == label and (
                self._last[1] == pct or (pct < 100 and now - self._at < self.EVERY)):
            return
        self._last, self._at = (label, pct), now
        self.stream.write(f"{label} {pct}% ({done}/{total})\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False
