"""``shopcare --screenshots DIR [--lang en|zh_CN|zh_TW]``: render each main screen offscreen, with the
current database, to PNG files, and exit. Each screen module offers ``render_screenshots(state, folder)``."""
from __future__ import annotations

import importlib
import os
from pathlib import Path

MODULES = ("app.ui.till", "app.ui.members", "app.ui.settings", "app.ui.startup", "app.ui.receipt_preview",
           "app.ui.messages", "app.ui.care", "app.ui.reports", "app.ui.analytics", "app.ui.owner_password")


def render_all(folder: Path, *, db_url: str | None = None, lang: str | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.services.base import settings as shop_settings
    from app.services.base.auth import list_staff
    from app.services.base.context import Actor, Ctx
    from app.ui import app as ui_app
    from app.ui import i18n
    from app.ui.main_window import MainWindow
    from app.ui.state import AppState
    from app.ui.tasks import process_events

    ui_app.application([])
    ctx = ui_app.open_shop(db_url)
    cfg = shop_settings.load(ctx)
    lang = lang or cfg.language
    i18n.install(lang)
    owner = next((s for s in list_staff(ctx) if s.role == "owner" and s.active), None)
    actor = Actor(owner.id, owner.name, "owner") if owner else Actor(None, "owner", "owner")
    state = AppState(Ctx(db=ctx.db, actor=actor, till=ctx.till, clock=ctx.clock))
    if state.settings.language != lang:  # render in the language asked for, whatever the shop's setting
        from dataclasses import replace

        state.settings = replace(state.settings, language=lang)
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.glob("*.png"))
    window = MainWindow(state)
    window.resize(1280, 800)
    window.show()
    process_events()
    state.tasks.wait()
    process_events()
    window.grab().save(str(folder / f"main_{lang}.png"))
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        render = getattr(module, "render_screenshots", None)
        if render is not None:
            render(state, folder)
            state.tasks.wait()
            process_events()
    window.close()
    ctx.db.dispose()
    return sorted(set(folder.glob("*.png")) - before | {folder / f"main_{lang}.png"})
