"""Start-up: open (and if needed back up and upgrade) the database, install the language, run the
first-time set-up or the staff PIN login, then show the main window on the till."""
from __future__ import annotations

import os
import sys
import time

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from app.db import Database
from app.errors import ShopError, render
from app.services.admin import backup, import_batches
from app.services.base import setup
from app.services.base import settings as shop_settings
from app.services.base.context import SYSTEM, Actor, Ctx
from app.ui import i18n, style

STARTED = time.perf_counter()


def application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("ShopCare")
    app.setOrganizationName("ShopCare")
    style.apply(app)
    return app


def open_shop(db_url: str | None = None, till: str | None = None) -> Ctx:
    """The database brought to head after a backup (the app upgrades on start), with defaults."""
    db = Database(db_url or os.environ.get("SHOPCARE_DB"))
    backup.upgrade_with_backup(db)
    ctx = Ctx(db=db, actor=SYSTEM, till=till or os.environ.get("SHOPCARE_TILL") or "T1")
    setup.ensure_defaults(ctx)
    import_batches.recover_left(ctx)   # an import killed half-way is taken back whole
    return ctx


def run(db_url: str | None = None, lang: str | None = None, *, actor: Actor | None = None,
        argv: list[str] | None = None) -> int:
    app = application(argv)
    try:
        ctx = open_shop(db_url)
        cfg = shop_settings.load(ctx)
    except ShopError as exc:
        QMessageBox.critical(None, "ShopCare", render(exc, lang or "en"))
        return 2
    i18n.install(lang or cfg.language)
    backup.hold_app_lock(ctx.db)  # `shopcare restore` refuses while this till app has the database open

    from app.ui import startup

    if actor is None:
        if not startup.has_staff(ctx):
            wizard = startup.FirstRunDialog(ctx, lang=lang)   # proposes from the system locale
            if wizard.exec() != QDialog.DialogCode.Accepted:
                return 0
            cfg = shop_settings.load(ctx)
            i18n.install(lang or cfg.language)
        login = startup.LoginDialog(ctx)
        if login.exec() != QDialog.DialogCode.Accepted:
            return 0
        actor = login.actor
    window = main_window(Ctx(db=ctx.db, actor=actor, till=ctx.till, clock=ctx.clock))
    window.show_restored()
    window.start_background_later()   # sender, care engine, the day's backup: once the till is ready
    if os.environ.get("SHOPCARE_STARTUP_TIMING"):
        print(f"startup: {time.perf_counter() - STARTED:.3f}s to a usable till", file=sys.stderr)
    code = app.exec()
    window.state.tasks.wait(30_000)  # however the loop ended: let work in flight (a sale, a backup) finish
    ctx.db.dispose()
    close_backup(ctx)
    backup.release_app_lock(ctx.db)
    return code


def close_backup(ctx: Ctx) -> None:
    """The day's last state, copied as the app closes (the window is already gone), by a process of
    its own that the app does not wait for (app/services/admin/close_backup.py); here, only when
    that process cannot be started."""
    from app.services.admin import backup_schedule, close_backup as detached

    if detached.spawn(ctx.db) is not None or ctx.db.sqlite_path is None:
        return
    try:
        backup_schedule.on_close(ctx.db)
    except ShopError as exc:
        print(render(exc, shop_settings.load(ctx).language), file=sys.stderr)


def main_window(ctx: Ctx):
    from app.ui.main_window import MainWindow
    from app.ui.state import AppState

    return MainWindow(AppState(ctx))
