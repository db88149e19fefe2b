"""The Messages screen: the outbox (filters, counts by status, send again, cancel, and the texts
whose sending is unknown to settle), the customers' replies to read, the template editor with a live preview and SMS parts, the
texting rules (quiet hours, daily cap, opt-out lines) and the gateway with a test text.

Every read and write runs on the task runner (database on "db", gateway calls on "io"). The
gateway settings, gateways and sender are the sending side's modules, imported when used: without
them the screen still works for the outbox and templates and says sending is not available.
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.ui.state import AppState
from app.ui.texts.gateway_tab import GatewayTab
from app.ui.texts.outbox_tab import OutboxTab
from app.ui.texts.replies_tab import RepliesTab
from app.ui.texts.templates_tab import TemplatesTab
from app.ui.texts.texting_tab import TextingTab
from app.ui.widgets import Tab


# --- the screen -------------------------------------------------------------------------------------------
class MessagesScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Messages"), self)
        title.setProperty("role", "title")
        self.tabs = QTabWidget(self)
        self.outbox = OutboxTab(state, self.tabs)
        self.replies = RepliesTab(state, self.tabs)
        self.templates = TemplatesTab(state, self.tabs)
        self.texting = TextingTab(state, self.tabs)
        self.gateway = GatewayTab(state, self.tabs)
        self.tabs.addTab(self.outbox, self.tr("Outbox"))
        self.tabs.addTab(self.replies, self.replies.tab_title())
        self.tabs.addTab(self.templates, self.tr("Templates"))
        self.tabs.addTab(self.texting, self.tr("Texting rules"))
        self.tabs.addTab(self.gateway, self.tr("Gateway"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self._apply_role())
        self._apply_role()

    def all_tabs(self) -> list[Tab]:
        return [self.outbox, self.replies, self.templates, self.texting, self.gateway]

    def _apply_role(self) -> None:
        for tab in self.all_tabs():
            tab.apply_permissions()

    def activated(self) -> None:
        """Shown: read everything afresh (the sender and other tills change the outbox)."""
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()


TAB_FILES = ("outbox", "replies", "templates", "texting", "gateway")
