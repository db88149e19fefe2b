"""What the main window remembers between runs: its size and place, whether it was maximised, and a
note for the next start (the cart held when the app closed). One small JSON file in the user's
private config folder (0600, beside till.json), written atomically; a damaged file is ignored.

A till screen is often a 1366×768 laptop or all-in-one: there the window opens maximised, so the
till's F-key strip is on the screen, not below its edge.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

from app import paths
from app.services.base.localconfig import write_private_json

log = logging.getLogger(__name__)

FILE_NAME = "window.json"
DEFAULT_SIZE = (1280, 800)
# Screens whose free area is at most this (a 1366×768 or 1280×800 laptop) open maximised.
SMALL_SCREEN = (1440, 900)


def path() -> Path:
    return paths.config_dir() / FILE_NAME


def load() -> dict:
    file = path()
    try:
        data = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}
    except (OSError, ValueError) as exc:
        log.warning("window state %s unreadable (%s): using defaults", file, exc)
        return {}
    return data if isinstance(data, dict) else {}


def save(**values: object) -> None:
    """Merge ``values`` into the file (``None`` removes a key); never raises into a closing window."""
    data = load()
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    try:
        write_private_json(path(), data)
    except OSError as exc:
        log.warning("window state %s not saved (%s)", path(), exc)


def is_small(area: QRect) -> bool:
    return area.width() <= SMALL_SCREEN[0] or area.height() <= SMALL_SCREEN[1]


def available_area(window: QMainWindow) -> QRect:
    # QWidget.screen by name: MainWindow.screen(key) is its own (the screen for a navigation key)
    screen = QWidget.screen(window) or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, *DEFAULT_SIZE)


def fit(window: QMainWindow, area: QRect) -> None:
    """Keep the window inside ``area``: never larger, never off its edges."""
    w = min(window.width(), area.width())
    h = min(window.height(), area.height())
    window.resize(w, h)
    x = min(max(window.x(), area.x()), area.right() - w + 1)
    y = min(max(window.y(), area.y()), area.bottom() - h + 1)
    window.move(x, y)


def show(window: QMainWindow) -> None:
    """Show the main window as it was last time, fitted to this screen; maximised when it was then,
    or, the first time, when the screen is small."""
    data = load()
    area = available_area(window)
    restored = False
    geometry = data.get("geometry")
    if isinstance(geometry, str):
        restored = window.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii", "replace")))
    if not restored:
        window.resize(min(DEFAULT_SIZE[0], area.width()), min(DEFAULT_SIZE[1], area.height()))
        window.move(area.x() + (area.width() - window.width()) // 2,
                    area.y() + (area.height() - window.height()) // 2)
    fit(window, area)
    maximised = data.get("maximized")
    if not isinstance(maximised, bool):
        maximised = is_small(area)
    if maximised:
        window.showMaximized()
    else:
        window.show()


def remember(window: QMainWindow) -> None:
    """The window's size, place and maximised state, for the next start."""
    save(geometry=bytes(window.saveGeometry().toBase64()).decode("ascii"), maximized=window.isMaximized())
