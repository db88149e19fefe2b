"""Settings › Care › Care calendar: the festivals and all 24 solar terms a greeting can go out on,
each with its next date (lunar dates and solar terms by lunar-python), ticked on or off; and days of
the shop's own."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.services.care.holiday_calendar import HolidayEntry
from app.ui.settings.care_tab import CareSection
from app.ui.settings.rows import RowError, row_item, rows_table

C = "CareSettingsTab"
ON, NAME, KIND, RULE, NEXT = range(5)
KINDS = {"festival": QT_TRANSLATE_NOOP("CalendarSection", "Festival"),
         "term": QT_TRANSLATE_NOOP("CalendarSection", "Solar term"),
         "own": QT_TRANSLATE_NOOP("CalendarSection", "The shop's own")}


class CalendarSection(CareSection):
    TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Care calendar")
    HINT = QT_TRANSLATE_NOOP("CareSettingsTab", "Tick the days a greeting goes out to every member with care consent: festivals and "
                                "all 24 solar terms, with their next date; or add a day of the shop's own.")
    RULES = ("holiday",)
    SHOT = "calendar"

    def editor(self) -> QWidget:
        holder = QWidget(self)
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        self.table = rows_table(holder, [self.tr("On"), self.tr("Day"), self.tr("Kind"), self.tr("Rule"),
                                         self.tr("Next")])
        self.table.horizontalHeader().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(40)
        box.addWidget(self.table, 1)
        add = QHBoxLayout()
        self.name_en, self.name_zh, self.rule = QLineEdit(holder), QLineEdit(holder), QLineEdit(holder)
        self.name_en.setPlaceholderText(self.tr("Name (English)"))
        self.name_zh.setPlaceholderText(self.tr("Name (Chinese)"))
        self.rule.setPlaceholderText(self.tr("solar:05-20, lunar:07-07, term:立春, date:2027-06-18"))
        self.add_button = QPushButton(self.tr("Add day"), holder)
        for w, stretch in ((self.name_en, 2), (self.name_zh, 2), (self.rule, 3), (self.add_button, 0)):
            add.addWidget(w, stretch)
        box.addLayout(add)
        self.add_button.clicked.connect(self.add_own)
        self.rule.returnPressed.connect(self.add_own)
        return holder

    def show_data(self, data) -> None:
        super().show_data(data)
        on = {e.key: e for e in data.calendar}
        offered = {e.key for e in data.choices}
        rows = [e for e in data.calendar if e.key not in offered] + list(data.choices)
        far = date.max   # the year ahead in date order (a day with no next date last)
        rows.sort(key=lambda e: data.next_dates.get(e.key) or far)
        self.table.setRowCount(0)
        for e in rows:
            self._add(on.get(e.key, e), e.key in on, data.next_dates.get(e.key), own=e.key not in offered)

    def _kind(self, entry: HolidayEntry, own: bool) -> str:
        if own:
            return "own"
        return "term" if entry.rule.startswith("term:") else "festival"

    def _add(self, entry: HolidayEntry, checked: bool, next_day, *, own: bool) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        tick = row_item("", editable=False, data=entry)
        tick.setFlags(tick.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        tick.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.table.setItem(r, ON, tick)
        self.table.setItem(r, NAME, row_item(self._name(entry), editable=False))
        self.table.setItem(r, KIND, row_item(self.tr(KINDS[self._kind(entry, own)]), editable=False))
        self.table.setItem(r, RULE, row_item(self.rule_text(entry.rule), editable=False))
        day = "" if next_day is None else f"{self.state.date(next_day)}  {self._weekday(next_day)}"
        self.table.setItem(r, NEXT, row_item(day, editable=False))

    def _name(self, entry: HolidayEntry) -> str:
        shown = entry.name(self.state.lang)
        other = entry.name_zh if not self.state.zh else ""
        return f"{shown}  {other}" if other and other != shown else shown

    def _weekday(self, d) -> str:
        from babel.dates import format_date

        return format_date(d, "EEE", locale=self.state.locale)

    def rule_text(self, rule: str) -> str:
        """A rule as the owner reads it: 'Lunar 8/15', 'Every year 3/8', 'Solar term 立春'."""
        kind, _, arg = rule.partition(":")
        if kind in ("solar", "lunar"):
            month, day = (int(x) for x in arg.split("-"))
            text = self.tr("Lunar {month}/{day}") if kind == "lunar" else self.tr("Every year {month}/{day}")
            return text.format(month=month, day=day)
        if kind == "term":   # the Chinese name is the day's name already for a Chinese reader
            return self.tr("Solar term") if self.state.zh else self.tr("Solar term {name}").format(name=arg)
        if kind == "public":
            return self.tr("Public holiday")
        return self.tr("Once, {date}").format(date=arg)

    def add_own(self) -> None:
        """Check the day on the worker (its rule, its next date); added ticked, saved with Save."""
        import re

        from app.services.care import holiday_calendar

        en, zh, rule = self.name_en.text().strip(), self.name_zh.text().strip(), self.rule.text().strip()
        key = re.sub(r"[^a-z0-9]+", "_", en.lower()).strip("_")[:36] or "day"
        taken = {self.table.item(r, ON).data(Qt.ItemDataRole.UserRole).key for r in range(self.table.rowCount())}
        base, n = key, 2
        while key in taken:
            key, n = f"{base}_{n}", n + 1
        entry = HolidayEntry(key, rule, en, zh)
        tomorrow = self.data.tomorrow if self.data else None

        def work():
            checked = holiday_calendar.check_entry(entry)
            return checked, holiday_calendar.next_date(checked, tomorrow) if tomorrow else None

        def added(result) -> None:
            checked, next_day = result
            self._add(checked, True, next_day, own=True)
            self.table.scrollToBottom()
            for w in (self.name_en, self.name_zh, self.rule):
                w.clear()
            self.status.ok(self.tr("{name} added: save to keep it.").format(name=self._name(checked)))

        self.status.clear()
        self.tab.run(work, added, busy=[self.add_button], status=self.status)

    def calendar(self) -> list[HolidayEntry]:
        out = []
        for r in range(self.table.rowCount()):
            item = self.table.item(r, ON)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        if not out and not self.data:
            raise RowError(self.tr("The calendar is not loaded yet."))
        return out

    def showcase_day(self):
        """The next day a greeting goes out."""
        on = {e.key for e in self.data.calendar} if self.data else set()
        days = [d for k, d in (self.data.next_dates.items() if self.data else ()) if k in on and d]
        return min(days) if days else None

    def save_work(self, ctx, changes: dict, calendar):
        from app.services import care

        return care.set_calendar(ctx, calendar)

