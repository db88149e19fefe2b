"""The app's own log: every unexpected failure, with its traceback, in one rotating file that a shop
can send when it asks for help (``shopcare support-bundle``). No Qt here (app/ui/faults.py adds Qt's
own warnings).

- ``configure()`` (once per process: the till app and every CLI command call it first) writes
  ``shopcare.log`` in :func:`app.paths.app_log_dir` (platformdirs' user log folder, or
  ``$SHOPCARE_HOME/logs``), rotated at ``MAX_BYTES`` with ``BACKUPS`` older files kept. The folder
  is 0700 and every log file 0600, like the rest of the shop's files.
- ``sys.excepthook`` and ``threading.excepthook`` log whatever nobody caught, with its traceback.
- A :class:`~app.errors.ShopError` is a refusal, not a bug: :func:`log_failure` writes it at INFO
  with its code only (its values may hold a name or a phone), never as an error with a traceback.
- Member data stays out: :class:`PrivacyFilter` masks every phone number to its last 4 digits and
  drops the bound parameters a database error quotes (names, phones). Code logs member ids, never
  names; the support bundle scrubs the shop's member names once more before anything leaves.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

from app import paths

LOG_FILE = "shopcare.log"
MAX_BYTES = 1_000_000   # one file; rotated to shopcare.log.1 … .3 (about 4 MB at most)
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(name)s: %(message)s"

log = logging.getLogger("app")

# A phone number: 7 to 15 digits, maybe with a leading + and spaces or dashes between groups, not
# inside a longer word or number. An ISO date (2026-03-02) is not one.
_PHONE = re.compile(r"(?<![0-9A-Za-z_+])\+?\d(?:[ \-]?\d){6,14}(?![0-9A-Za-z_])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# SQLAlchemy quotes the values of a failed statement: "[parameters: ('Alice', '13800138000')]".
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
HIDDEN_PARAMETERS = "[parameters: hidden]"


def mask_phone(number: str) -> str:
    """``+86 138-1234-5678`` -> ``…5678``: the last 4 digits, as the till shows a member's phone."""
    digits = re.sub(r"\D", "", number)
    return "…" + digits[-4:]


def mask_text(text: str) -> str:
    """``text`` with every phone number masked and database parameter dumps dropped."""
    text = _SQL_PARAMETERS.sub(HIDDEN_PARAMETERS, text)

    def one(m: re.Match) -> str:
        found = m.group(0)
        if _DATE.fullmatch(found.strip()):
            return found
        return mask_phone(found)

    return _PHONE.sub(one, text)


class PrivacyFilter(logging.Filter):
    """Masks phone numbers and hides database parameters in a record's message and traceback before
    any handler writes it (see the module's doc)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are made 0600 (and kept so after each rotation)."""

    def _open(self):
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        fd = os.open(self.baseFilename, flags, paths.PRIVATE_FILE)
        stream = os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)
        paths.private_file(self.baseFilename)
        return stream


_handler: PrivateRotatingFileHandler | None = None
_lock = threading.Lock()
_previous_sys = sys.__excepthook__
_previous_thread = threading.__excepthook__


def log_file() -> Path:
    """Where the current log is written (the folder is made when missing)."""
    return paths.app_log_dir() / LOG_FILE


def log_files() -> list[Path]:
    """The log and its rotated copies, newest first."""
    folder = paths.app_log_dir()
    found = [folder / LOG_FILE] + [folder / f"{LOG_FILE}.{n}" for n in range(1, BACKUPS + 1)]
    return [p for p in found if p.is_file()]


def configure(level: int = logging.INFO) -> Path:
    """Log to the rotating file in the user log folder and catch what nobody caught; returns the log
    file. Safe to call again: a second call keeps the handler, unless the log folder moved (another
    ``SHOPCARE_HOME``), when the handler follows it. ShopCare's own loggers (``app.*``) write from
    ``level`` up; other libraries only their warnings (a gateway library's INFO quotes requests)."""
    global _handler
    path = log_file()
    with _lock:
        root = logging.getLogger()
        _install_hooks()
        if _handler is not None and _handler.baseFilename == os.path.abspath(path) and _handler in root.handlers:
            return path
        if _handler is not None:
            root.removeHandler(_handler)
            _handler.close()
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(PrivacyFilter())
        handler.setLevel(level)
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > logging.WARNING:
            root.setLevel(logging.WARNING)
        log.setLevel(level)
        _handler = handler
    return path


def log_failure(exc: BaseException, doing: str = "", logger: logging.Logger | None = None) -> None:
    """One place that decides how a failure is logged: a ShopError (a refusal the person reads) at
    INFO with its code only; anything else at ERROR with its traceback."""
    from app.errors import ShopError

    logger = logger or log
    what = doing or "a task"
    if isinstance(exc, ShopError):
        logger.info("%s refused: %s", what, exc.code)
    else:
        logger.error("%s failed: %s", what, type(exc).__name__, exc_info=(type(exc), exc, exc.__traceback__))


def _excepthook(kind, value, tb) -> None:
    from app.errors import ShopError

    if value is not None and not isinstance(value, (ShopError, KeyboardInterrupt, SystemExit)):
        log.critical("uncaught %s", kind.__name__, exc_info=(kind, value, tb))
    elif isinstance(value, ShopError):
        log.info("uncaught refusal: %s", value.code)
    _previous_sys(kind, value, tb)


def _thread_excepthook(args) -> None:
    from app.errors import ShopError

    value = args.exc_value
    name = getattr(args.thread, "name", "?")
    if isinstance(value, ShopError):
        log.info("uncaught refusal in thread %s: %s", name, value.code)
    elif value is not None and not isinstance(value, SystemExit):
        log.critical("uncaught %s in thread %s", args.exc_type.__name__, name,
                     exc_info=(args.exc_type, value, args.exc_traceback))
    _previous_thread(args)


def _install_hooks() -> None:
    global _previous_sys, _previous_thread
    if sys.excepthook is not _excepthook:
        _previous_sys, sys.excepthook = sys.excepthook, _excepthook
    if threading.excepthook is not _thread_excepthook:
        _previous_thread, threading.excepthook = threading.excepthook, _thread_excepthook


def flush() -> None:
    """Everything logged so far is in the file (before it is read or zipped)."""
    if _handler is not None:
        _handler.flush()


def close() -> None:
    """Stop writing the log file and put the exception hooks back (tests; a process that is done)."""
    global _handler
    with _lock:
        if _handler is not None:
            logging.getLogger().removeHandler(_handler)
            _handler.close()
            _handler = None
        if sys.excepthook is _excepthook:
            sys.excepthook = _previous_sys
        if threading.excepthook is _thread_excepthook:
            threading.excepthook = _previous_thread
