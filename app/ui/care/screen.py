"""The Care screen: today's care actions (the care texts going out, the calls to make, the gifts to
prepare), the call list with open complaints, campaigns with their results and a new-campaign
dialog with a live preview of reach and cost, the service knowledge base, and the follow-up and
satisfaction settings.

Every read and write runs on the db worker (``state.tasks``), never on the UI thread.
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.ui.care.calls_tab import CallsTab
from app.ui.care.campaigns_tab import CampaignsTab
from app.ui.care.followups_tab import FollowupsTab
from app.ui.care.knowledge_tab import KnowledgeTab
from app.ui.care.parts import CareTab
from app.ui.care.today_tab import TodayTab
from app.ui.state import AppState


class CareScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Care"), self)
        title.setProperty("role", "title")
        self.tabs = QTabWidget(self)
        self.today = TodayTab(state, self.tabs)
        self.calls = CallsTab(state, self.tabs)
        self.campaigns = CampaignsTab(state, self.tabs)
        self.knowledge = KnowledgeTab(state, self.tabs)
        self.knowledge.calls_tab = self.calls
        self.followups = FollowupsTab(state, self.tabs)
        self.tabs.addTab(self.today, self.tr("Today"))
        self.tabs.addTab(self.calls, self.tr("Call list"))
        self.tabs.addTab(self.campaigns, self.tr("Campaigns"))
        self.tabs.addTab(self.knowledge, self.tr("Knowledge base"))
        self.tabs.addTab(self.followups, self.tr("Follow-ups"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self.activated())

    def all_tabs(self) -> list[CareTab]:
        return [self.today, self.calls, self.campaigns, self.knowledge, self.followups]

    def activated(self) -> None:
        """Shown: read everything afresh (the care engine and other tills change it)."""
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()


TAB_FILES = ("today", "calls", "campaigns", "knowledge", "followups")
