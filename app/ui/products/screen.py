"""The Products screen: the catalogue in one tab, stock in the other. Each tab reads and writes
through the task runner; the screen only holds them and reloads them when shown."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.ui.products.products_tab import ProductsTab
from app.ui.products.stock_tab import StockTab
from app.ui.state import AppState


class ProductsScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Products"), self)
        title.setProperty("role", "title")
        self.tabs = QTabWidget(self)
        self.products = ProductsTab(state, self.tabs)
        self.stock = StockTab(state, self.tabs)
        self.tabs.addTab(self.products, self.tr("Products"))
        self.tabs.addTab(self.stock, self.tr("Stock"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self._apply_role())
        self._apply_role()

    def all_tabs(self):
        return [self.products, self.stock]

    def _apply_role(self) -> None:
        for tab in self.all_tabs():
            tab.apply_permissions()

    def activated(self) -> None:
        """Shown: read afresh (other tills sell and receive stock meanwhile)."""
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()
