"""Placeholder: the products tab (filled by its own change)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

from app.ui.widgets import Tab


class ProductsTab(Tab):
    def __init__(self, state, parent=None) -> None:
        super().__init__(state, parent)
        box = QVBoxLayout(self)
        box.addWidget(QLabel("…", self))
        box.addWidget(self.status)

    def load(self) -> None:
        pass
