"""The main window: a navigation bar on the left, one screen at a time on the right.

Screens are built the first time they are shown (the till first), so start-up stays fast."""
from __future__ import annotations

import importlib
import time

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QPushButton,
                               QStackedWidget, QWidget)

from app.ui import window_state
from app.ui.faults import FaultBar
from app.ui.state import AppState
from app.ui.till.lock import TillLock
from app.ui.till.quit_hold import CartKeeper

# key, label (translated at runtime), module, class
SCREENS = [
    ("till", QT_TRANSLATE_NOOP("MainWindow", "Till"), "app.ui.till.screen", "TillScreen"),
    ("members", QT_TRANSLATE_NOOP("MainWindow", "Members"), "app.ui.members.screen", "MembersScreen"),
    ("products", QT_TRANSLATE_NOOP("MainWindow", "Products"), "app.ui.products.screen", "ProductsScreen"),
    ("messages", QT_TRANSLATE_NOOP("MainWindow", "Messages"), "app.ui.texts.screen", "MessagesScreen"),
    ("care", QT_TRANSLATE_NOOP("MainWindow", "Care"), "app.ui.care.screen", "CareScreen"),
    ("reports", QT_TRANSLATE_NOOP("MainWindow", "Reports"), "app.ui.reports.screen", "ReportsScreen"),
    ("analytics", QT_TRANSLATE_NOOP("MainWindow", "Analytics"), "app.ui.reports.analytics", "AnalyticsScreen"),
    # the owner's, looked at least often: last
    ("settings", QT_TRANSLATE_NOOP("MainWindow", "Settings"), "app.ui.settings.screen", "SettingsScreen"),
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
        # A failure nobody foresaw: one sentence and "Open log folder" (its traceback is in the log).
        self.fault_bar = FaultBar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.fault_bar)
        state.tasks.fault.connect(self.fault_bar.show_fault)
        self.status = QLabel(self)
        self.status.setProperty("role", "muted")
        self.statusBar().addPermanentWidget(self.status)
        # Lock / switch cashier, from any screen: Ctrl+L or this button (app/ui/till/lock.py); every
        # F-key already has a job on the till
        self.lock_button = QPushButton(self.tr("Lock / switch cashier (Ctrl+L)"), self)
        self.lock_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lock_button.setStyleSheet("padding: 2px 10px;")
        self.statusBar().addPermanentWidget(self.lock_button)
        state.actor_changed.connect(lambda _a: self._update_status())
        state.settings_changed.connect(self._update_status)
        self._update_status()
        self.resize(*window_state.DEFAULT_SIZE)
        self.till_lock = TillLock(self)
        self.lock_button.clicked.connect(self.till_lock.lock)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.till_lock.lock)
        self.cart_keeper = CartKeeper(self)
        self.show_screen("till")
        self.cart_keeper.announce(self.screens["till"])

    def show_restored(self) -> None:
        """Show as last time (size, place, maximised), fitted to this screen (app/ui/window_state.py)."""
        window_state.show(self)

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
        if getattr(self, "till_lock", None) is not None and self.till_lock.locked:
            return widget   # nothing changes behind the lock screen
        if self.stack.currentWidget() is not widget:
            self.state.forget_owner()  # the owner's password, typed for settings, stays with that screen
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

    def start_background_later(self, limit_ms: int = 3000) -> None:
        """The background sender, the care engine and the day's backup, started once the till is on
        screen and its first loads are in (or after ``limit_ms``), so none of them delays the first
        sale; each imports its modules on its worker."""
        started = time.monotonic()

        def go() -> None:
            if self.state.tasks.busy and (time.monotonic() - started) * 1000 < limit_ms:
                QTimer.singleShot(20, go)
                return
            self.start_background_sender()
            self.start_background_care()
            self.start_daily_backup()
            self.start_warmup()

        QTimer.singleShot(0, go)

    def start_warmup(self) -> None:
        """The other screens' one-off loads (modules, locale data, pypinyin's tables: warmup.py), made on
        a worker once the till is ready, so the first open of each screen has only its own work. Not
        behind the log-in dialog: a PIN typed at once would wait for it (the GIL), and the till
        itself needs none of it."""
        from app.ui import warmup

        ctx = self.state.ctx
        self.state.tasks.run(lambda: warmup.warm_shop(ctx), pool="io")

    def start_background_sender(self):
        """Deliver texts from this app while it runs (app/ui/texts/background_sender.py); its last
        result or error shows in the status bar."""
        from app.ui.texts.background_sender import BackgroundSender

        sender = BackgroundSender(self.state, self)
        self.state.sender = sender
        self.texts_status = QLabel(self)
        self.texts_status.setProperty("role", "muted")
        self.statusBar().addWidget(self.texts_status)
        sender.changed.connect(lambda: self.texts_status.setText(sender.summary()))
        sender.start()
        return sender

    def start_background_care(self):
        """The care engine every few minutes (app/ui/care/background_care.py); what it added shows in
        the status bar."""
        from app.ui.care.background_care import BackgroundCare

        care = BackgroundCare(self.state, self)
        self.state.care = care
        self.care_status = QLabel(self)
        self.care_status.setProperty("role", "muted")
        self.statusBar().addWidget(self.care_status)
        care.changed.connect(lambda: self.care_status.setText(care.summary()))
        care.start()
        return care

    def start_daily_backup(self) -> None:
        """The first start of a day backs the database up (and rotates old backups) on the io
        worker; the outcome shows in the status bar, and a failure never stops the till."""
        from app.services.admin import backup_schedule

        db = self.state.ctx.db
        self.backup_status = QLabel(self)
        self.backup_status.setProperty("role", "muted")
        self.statusBar().addWidget(self.backup_status)

        def done(result) -> None:
            if result.made is not None:
                self.backup_status.setText(self.tr("Backed up: {name}").format(name=result.made.name))

        def failed(exc) -> None:
            self.backup_status.setProperty("role", "error")
            self.backup_status.setText(self.tr("Backup failed: {why}").format(why=self.state.error_text(exc)))
            self.backup_status.style().polish(self.backup_status)

        self.state.tasks.run(lambda: backup_schedule.daily(db), done, failed, pool="io")

    def _update_status(self) -> None:
        s = self.state
        self.status.setText(self.tr("{shop} · till {till} · {who}").format(
            shop=s.settings.shop_name, till=s.ctx.till, who=s.actor.name))

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.cart_keeper.may_close():
            event.ignore()   # the cart is being held first; the window closes again once it is
            return
        window_state.remember(self)
        for worker in (self.state.sender, self.state.care):
            if worker is not None:
                worker.stop()
        # Let a sale being written finish before the window goes; background work on the io pool (a
        # care run's chunk, a text being handed to the gateway) finishes after, with the window gone
        # (app/ui/app.py waits for it before the process ends).
        self.state.tasks.wait(10_000, pools=("db",))
        super().closeEvent(event)
