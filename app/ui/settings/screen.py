"""Settings: shop details, this till's receipt printer, points and tiers, top-up bonus rules, and
staff and roles, and (the owner's only) the care settings. Every load and save runs on the task runner; the services check who may change
what (the owner), and their refusals are shown in the user's language."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.ui.settings.bonus_tab import BonusTab
from app.ui.settings.points_tab import PointsTab
from app.ui.settings.printer_tab import PrinterTab
from app.ui.settings.shop_tab import ShopTab
from app.ui.settings.staff_tab import StaffTab
from app.ui.state import AppState
from app.ui.widgets import Tab as _Tab


# --- the screen -------------------------------------------------------------------------------------------
class SettingsScreen(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        title = QLabel(self.tr("Settings"), self)
        title.setProperty("role", "title")
        self.note = QLabel(self.tr("Only the owner can change settings. You can look, and test the printer."), self)
        self.note.setProperty("role", "muted")
        self.tabs = QTabWidget(self)
        self.shop = ShopTab(state, self.tabs)
        self.printer = PrinterTab(state, self.tabs)
        self.points = PointsTab(state, self.tabs)
        self.bonus = BonusTab(state, self.tabs)
        from app.ui.settings.backups_tab import BackupsTab  # its own module; it builds on _Tab from here

        self.backups = BackupsTab(state, self.tabs)
        self.staff: StaffTab | None = None
        self.care = None   # Settings › Care (care_tab.CareSettingsTab): the owner's only, like Staff
        self._loaded = False
        self.tabs.addTab(self.shop, self.tr("Shop"))
        self.tabs.addTab(self.printer, self.tr("Receipt printer"))
        self.tabs.addTab(self.points, self.tr("Points && tiers"))
        self.tabs.addTab(self.bonus, self.tr("Top-up bonus"))
        self.tabs.addTab(self.backups, self.tr("Backups"))
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 14, 18, 14)
        box.addWidget(title)
        box.addWidget(self.note)
        box.addWidget(self.tabs, 1)
        state.actor_changed.connect(lambda _a: self._apply_role())
        self._apply_role()

    def _apply_role(self) -> None:
        owner = self.state.role_allowed("manage_staff")
        if owner and self.staff is None:
            self.staff = StaffTab(self.state, self.tabs)
            self.tabs.addTab(self.staff, self.tr("Staff && roles"))
            if self._loaded:
                self.staff.load()
        elif not owner and self.staff is not None:
            self.tabs.removeTab(self.tabs.indexOf(self.staff))
            self.staff.deleteLater()
            self.staff = None
        self._care_tab(self.state.role_allowed("change_settings"))
        self.note.setVisible(not self.state.role_allowed("change_settings"))
        for tab in self.all_tabs():
            tab.apply_permissions()

    def _care_tab(self, owner: bool) -> None:
        from app.ui.settings.care_tab import TAB_TITLE, CareSettingsTab, tr_care

        if owner and self.care is None:
            self.care = CareSettingsTab(self.state, self.tabs)
            self.tabs.addTab(self.care, tr_care(TAB_TITLE))
            if self._loaded:
                self.care.load()
        elif not owner and self.care is not None:
            self.tabs.removeTab(self.tabs.indexOf(self.care))
            self.care.deleteLater()
            self.care = None

    def all_tabs(self) -> list[_Tab]:
        return [t for t in (self.shop, self.printer, self.points, self.bonus, self.backups, self.staff, self.care)
                if t is not None]

    def activated(self) -> None:
        """Shown: read everything afresh (another till may have changed it)."""
        self._loaded = True
        for tab in self.all_tabs():
            tab.status.clear()
            tab.load()


TAB_FILES = ("shop", "printer", "points", "bonus", "backups", "staff", "care")
