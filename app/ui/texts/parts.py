"""What the message tabs share: the search debounce, the sentence for a build without a sending side, a field flagged in colour."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QWidget

DEBOUNCE_MS = 300


UNAVAILABLE = QT_TRANSLATE_NOOP("MessagesScreen", "Sending texts is not available in this build: the gateway "
                                                  "and sender modules are missing.")


def flag(widget: QWidget, color: str) -> None:
    widget.setStyleSheet(f"background: {color}; border: 1px solid #e0c27a; border-radius: 6px; padding: 8px 10px;")
