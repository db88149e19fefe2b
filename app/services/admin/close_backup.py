"""The backup made as the till app closes, in a process of its own: the window's close returns at
once and the copy finishes whether or not the app is still there.

``spawn(db)`` starts ``python -m app.services.admin.close_backup URL [LOCK_FD]`` detached (its own
session, no console, stdin/stdout to /dev/null); the child runs :func:`backup_schedule.on_close` (the
online backup API to a temporary name, ``integrity_check`` on the copy, then an atomic rename, so a
half copy never carries a backup's name) and the rotation. On POSIX the child inherits the app's lock
descriptor (``backup.hold_app_lock``): the lock is the open file's, so ``shopcare restore`` keeps
refusing until the copy is done, with no moment between the app letting go and the child taking it.
A failure goes to the log file (app/logs.py); the next start's daily backup is there either way.
"""
from __future__ import annotations

import os
import subprocess
import sys

from app.db import Database


def spawn(db: Database) -> subprocess.Popen | None:
    """Start the closing backup in the background; None when there is nothing to back up (not a
    SQLite file) or the process could not be started (then the caller backs up itself)."""
    from app.services.admin import backup

    live = db.sqlite_path
    if live is None or not live.is_file():
        return None
    fd = backup._HELD.get(str(live))
    args = [sys.executable, "-m", "app.services.admin.close_backup", db.url]
    keep: tuple[int, ...] = ()
    if fd is not None and os.name == "posix":
        args.append(str(fd))
        keep = (fd,)
    extra = ({"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
             if os.name == "nt" else {"start_new_session": True})
    try:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, pass_fds=keep, close_fds=True, **extra)
    except OSError:
        return None


def main(argv: list[str]) -> int:
    from app import logs, paths
    from app.errors import ShopError
    from app.services.admin import backup_schedule

    paths.private_umask()
    logs.configure()
    db = Database(argv[0])
    try:
        backup_schedule.on_close(db)
    except ShopError as exc:
        logs.log_failure(exc, "backup on close", logs.log)
        return 2
    finally:
        db.dispose()
        if len(argv) > 1:
            os.close(int(argv[1]))   # the app's lock, held until the copy was renamed
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
