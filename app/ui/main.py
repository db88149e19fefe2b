"""The till app's entry point (``shopcare`` with no command, and the ``shopcare-gui`` script)."""
from __future__ import annotations


def main(argv: list[str] | None = None, *, db_url: str | None = None, lang: str | None = None) -> int:
    from app import paths
    from app.ui.app import run

    paths.private_umask()   # members' personal data: files the app makes are the user's only
    paths.fix_existing()    # and what an older version left readable is put right (app/paths.py)
    from app import logs
    from app.ui import faults

    logs.configure()               # every failure nobody foresaw keeps its traceback (app/logs.py)
    faults.install_qt_log()        # and Qt's own warnings go there too
    faults.show_uncaught_faults()  # an exception nobody caught shows on the fault bar
    return run(db_url, lang, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
