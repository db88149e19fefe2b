"""The sections of Settings › Care, in the order listed: one class each (app/ui/settings/care_tab.py
``CareSection``). A new kind of care setting adds its class here."""
from __future__ import annotations

from app.ui.settings.care_calendar import CalendarSection
from app.ui.settings.care_plans import TierPlansSection
from app.ui.settings.care_timing import FollowupSection, RepurchaseSection, TimingSection, WinbackSection

SECTIONS = [TierPlansSection, CalendarSection, RepurchaseSection, TimingSection, WinbackSection, FollowupSection]
