"""Starting the till app, and --screenshots."""
from __future__ import annotations

import os
import sys

from app.cli.env import EXIT_OK, Env
from app.errors import ShopError


def cmd_screenshots(env: Env) -> int:
    try:
        from app.ui.screenshots import render_all
    except ImportError as exc:  # Qt or one of its system libraries is missing
        raise ShopError("gui_unavailable", why=str(exc)) from None
    for path in render_all(env.args.screenshots, db_url=env.db_url(), lang=env.args.lang):
        env.say(str(path))
    return EXIT_OK


def start_gui(env: Env) -> int:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        raise ShopError("gui_no_display")
    try:
        from app.ui.main import main as gui_main
    except ImportError as exc:  # Qt or one of its system libraries is missing
        raise ShopError("gui_unavailable", why=str(exc)) from None
    return int(gui_main(db_url=env.db_url(), lang=env.args.lang) or 0)
