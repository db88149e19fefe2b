"""The main window: a navigation bar on the left, one screen at a time on the right.

Screens are built the first time they are shown (the till first), so start-up stays fast."""
from __future__ import annotations

import importlib

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget,
                               QWidget)

from app.ui.state import AppState

# key, label (translated at runtime), module, class
SCREENS = [
    ("till", QT_TRANSLATE_NOOP("MainWindow", "Till"), "app.ui.till", "TillScreen"),
    ("members", QT_TRANSLATE_NOOP("MainWindow", "Members"), "app.ui.members", "MembersScreen"),
    ("settings", QT_TRANSLATE_NOOP("MainWindow", "Settings"), "app.ui.settings", "SettingsScreen"),
    ("analytics", QT_TRANSLATE_NOOP("MainWindow", "Analytics"), "app.ui.analytics", "AnalyticsScreen"),
]


class MainWindow(QMainWindow):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setWindowTitle(f"ShopCare · {state.settings.shop_name}")
        body = QWidget(self)
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.nav = QListWidget(body)
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(150)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stack = QStackedWidget(body)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(body)
        self.screens: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for i, (key, label, _module, _cls) in enumerate(SCREENS):
            item = QListWidgetItem(QCoreApplication.translate("MainWindow", label))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
            holder = QWidget(self.stack)
            self._placeholders[key] = holder
            self.stack.addWidget(holder)
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda k=key: self.show_screen(k))
        self.nav.currentRowChanged.connect(lambda r: self.show_screen(SCREENS[r][0]))
        self.status = QLabel(self)
        self.status.setProperty("role", "muted")
        self.statusBar().addPermanentWidget(self.status)
        state.actor_changed.connect(lambda _a: self._update_status())
        state.settings_changed.connect(self._update_status)
        self._update_status()
        self.resize(1280, 800)
        self.show_screen("till")

    def screen(self, key: str) -> QWidget:
        """The screen for ``key``, built on first use."""
        if key not in self.screens:
            _k, _label, module, cls = next(s for s in SCREENS if s[0] == key)
            widget = getattr(importlib.import_module(module), cls)(self.state, self.stack)
            holder = self._placeholders.pop(key)
            index = self.stack.indexOf(holder)
            self.stack.removeWidget(holder)
            holder.deleteLater()
            self.stack.insertWidget(index, widget)
            self.screens[key] = widget
        return self.screens[key]

    def show_screen(self, key: str) -> QWidget:
        widget = self.screen(key)
        self.stack.setCurrentWidget(widget)
        row = [s[0] for s in SCREENS].index(key)
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)
        activated = getattr(widget, "activated", None)
        if callable(activated):
            QTimer.singleShot(0, activated)
        return widget

    def _update_status(self) -> None:
        s = self.state
        self.status.setText(self.tr("{shop} · till {till} · {who}").format(
            shop=s.settings.shop_name, till=s.ctx.till, who=s.actor.name))

    def closeEvent(self, event) -> None:  # noqa: N802
        self.state.tasks.wait(10_000)  # let a sale being written finish before we go
        super().closeEvent(event)
