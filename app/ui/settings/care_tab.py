"""Settings › Care (the owner's): the care engine's settings in sections, each with a preview of who
would get what tomorrow under the settings as edited (``care.preview``: the engine's own planning
and dry-run composing; nothing is written until Save).

A section is a small class (``CareSection``) in ``SECTIONS``: its title, the care rules its preview
shows, how it shows the loaded settings (``show``), what it would change (``changes`` for the
config, ``calendar`` for the care calendar) and how it saves. A new kind of care setting is one more
class in the list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, Qt
from PySide6.QtWidgets import (QDateEdit, QGroupBox, QHBoxLayout, QLabel, QListWidget, QPushButton, QSplitter, QStackedWidget,
                               QVBoxLayout, QWidget)

from app.errors import ShopError
from app.ui.settings.owner_password import owner_gated
from app.ui.settings.rows import RowError, row_item
from app.ui.widgets import Status, button_row, pick_table
from app.ui.widgets import Tab as _Tab


RULE_NAMES = {
    "birthday": QT_TRANSLATE_NOOP("CareSettingsTab", "Birthday"),
    "anniversary": QT_TRANSLATE_NOOP("CareSettingsTab", "Anniversary"),
    "member_anniversary": QT_TRANSLATE_NOOP("CareSettingsTab", "Membership anniversary"),
    "holiday": QT_TRANSLATE_NOOP("CareSettingsTab", "Holiday"),
    "tier_care": QT_TRANSLATE_NOOP("CareSettingsTab", "Tier care"),
    "winback": QT_TRANSLATE_NOOP("CareSettingsTab", "Win-back"),
    "repurchase": QT_TRANSLATE_NOOP("CareSettingsTab", "Repurchase"),
    "points_reminder": QT_TRANSLATE_NOOP("CareSettingsTab", "Points about to expire"),
    "followup": QT_TRANSLATE_NOOP("CareSettingsTab", "Service follow-up"),
    "satisfaction": QT_TRANSLATE_NOOP("CareSettingsTab", "Satisfaction"),
}


def tr_care(text: str) -> str:
    """A text marked with QT_TRANSLATE_NOOP("CareSettingsTab", ...) in the reader's language."""
    return QCoreApplication.translate("CareSettingsTab", text)


def rule_name(rule: str) -> str:
    return QCoreApplication.translate("CareSettingsTab", RULE_NAMES[rule]) if rule in RULE_NAMES else rule


@dataclass(frozen=True)
class CareData:
    """Everything the sections show, read in one go on the worker."""
    config: object            # CareConfig
    calendar: tuple           # HolidayEntry, the days that are on
    choices: tuple            # HolidayEntry, every day offered
    next_dates: dict          # key -> the next date (from tomorrow) of every day above
    tiers: tuple              # TierView
    categories: tuple         # category names
    repurchase_template: str  # the shop's "repurchase" template, in the shop's language
    tomorrow: date
    more: dict = field(default_factory=dict)   # section class name -> what its ``read_more`` read


def load_data(ctx, sections=()) -> CareData:
    from app.services import care
    from app.services.admin import shop_admin
    from app.services.base import settings
    from app.services.sales import products
    from app.services.texts import templates

    tomorrow = ctx.today() + timedelta(days=1)
    calendar, choices = care.calendar(ctx), care.choices()
    days = {e.key: e for e in choices + calendar}
    return CareData(care.load_config(ctx), calendar, choices,
                    {k: care.next_date(e, tomorrow) for k, e in days.items()}, tuple(shop_admin.list_tiers(ctx)),
                    tuple(c.name for c in products.categories(ctx)),
                    templates.template_for(ctx, "repurchase", settings.load(ctx).language), tomorrow,
                    {cls.__name__: cls.read_more(ctx) for cls in sections})


class PreviewBox(QGroupBox):
    """Who would get what tomorrow: member, masked phone, rule, the text (or the task)."""

    def __init__(self, section: "CareSection") -> None:
        super().__init__(section)
        self.section = section
        self.setTitle(self.tr("Who would get what (tomorrow, or the day chosen)"))
        self.summary = QLabel(self)
        self.summary.setProperty("role", "muted")
        self.summary.setWordWrap(True)
        self.button = QPushButton(self.tr("Preview with these settings"), self)
        self.day = QDateEdit(self)
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setToolTip(self.tr("The day to preview (tomorrow unless chosen)"))
        self.table = pick_table(self, [self.tr("Member"), self.tr("Phone"), self.tr("Rule"), self.tr("Text or task")], 3)
        self.table.setWordWrap(True)
        box = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.day)
        top.addWidget(self.button)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        self.button.clicked.connect(lambda: self.section.refresh_preview())
        self.day.dateChanged.connect(lambda _d: self.section.refresh_preview())

    def set_first_day(self, tomorrow: date) -> None:
        """Tomorrow by default; any later day may be chosen (not a past one: the run does not look back)."""
        first = QDate(tomorrow.year, tomorrow.month, tomorrow.day)
        self.day.blockSignals(True)
        self.day.setMinimumDate(first)
        if self.day.date() < first:
            self.day.setDate(first)
        self.day.blockSignals(False)

    def chosen_day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def show_preview(self, report) -> None:
        state = self.section.state
        self.table.setRowCount(0)
        for r, row in enumerate(report.rows):
            self.table.insertRow(r)
            for c, text in enumerate((row.member, row.phone, rule_name(row.rule), row.text)):
                self.table.setItem(r, c, row_item(text, editable=False))
        if not report.planned:
            text = self.tr("Nothing due on {day} under these settings.")
        elif report.looked_at < report.planned:
            text = self.tr("{day}: {planned} due. Of the first {looked}, {going} would go out; {done} done already, "
                           "{no_consent} without consent, {missed} too late.")
        else:
            text = self.tr("{day}: {planned} due. {going} would go out; {done} done already, {no_consent} without "
                           "consent, {missed} too late.")
        if report.planned:
            if len(report.rows) < report.going:
                text += " " + self.tr("The first {shown} are listed.")
        n = state.number
        self.summary.setText(text.format(day=state.date(report.on), planned=n(report.planned), going=n(report.going),
                                         done=n(report.done), no_consent=n(report.no_consent),
                                         missed=n(report.missed), looked=n(report.looked_at),
                                         shown=n(len(report.rows))))
        self.table.resizeRowsToContents()


class CareSection(QWidget):
    """One section of Settings › Care. Subclasses set ``TITLE`` and ``RULES``, build their editor in
    ``editor()``, fill it in ``show_data()``, say what they change in ``changes()`` (and ``calendar()``),
    and may override ``save_work`` (default: ``care.update_config(**changes)``)."""

    TITLE = ""                      # QT_TRANSLATE_NOOP("CareSettingsTab", ...)
    HINT = ""                       # a line under the title, same context
    RULES: tuple[str, ...] = ()     # the care rules the preview shows
    SHOT = ""                       # its screenshot: docs/screenshots/settings_care_<SHOT>_<lang>.png

    def __init__(self, tab: "CareSettingsTab") -> None:
        super().__init__(tab)
        self.tab = tab
        self.state = tab.state
        self.data: CareData | None = None
        title = QLabel(tr_care(self.TITLE), self)
        title.setStyleSheet("font-weight: 600; font-size: 15px;")
        hint = QLabel(tr_care(self.HINT), self)
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        self.save_button = QPushButton(QCoreApplication.translate("CareSettingsTab", "Save"), self)
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(lambda: self.submit())
        self.status = Status(self)
        self.preview = PreviewBox(self)
        top = QWidget(self)
        box = QVBoxLayout(top)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(title)
        if self.HINT:
            box.addWidget(hint)
        box.addWidget(self.editor(), 1)
        box.addLayout(button_row(*self.buttons(), self.save_button))
        box.addWidget(self.status)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)   # the owner may give either more room
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([380, 240])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.splitter)

    # --- what a section provides -----------------------------------------------------------------
    def editor(self) -> QWidget:  # pragma: no cover - each section overrides
        raise NotImplementedError

    @classmethod
    def read_more(cls, ctx) -> object:
        """More to read (on the worker) for this section; found in ``data.more[cls.__name__]``."""
        return None

    def buttons(self) -> list[QWidget]:
        """Buttons of its own, left of Save."""
        return []

    def show_data(self, data: CareData) -> None:
        self.data = data
        self.preview.set_first_day(data.tomorrow)

    def changes(self) -> dict:
        """The care settings as edited (may raise RowError with a sentence for the user)."""
        return {}

    def calendar(self):
        """The care calendar as edited, or None when the section does not edit it."""
        return None

    def save_work(self, ctx, changes: dict, calendar):
        from app.services import care

        return care.update_config(ctx, **changes)

    def showcase_day(self) -> date | None:
        """The day its screenshot previews (None: tomorrow)."""
        return None

    # --- shared ----------------------------------------------------------------------------------
    def read(self) -> tuple[dict, object] | None:
        try:
            return self.changes(), self.calendar()
        except RowError as exc:
            self.status.error(exc.text)
        except ShopError as exc:
            self.status.error(self.state.error_text(exc))
        return None

    def refresh_preview(self) -> None:
        from app.services import care

        read = self.read()
        if read is None:
            return
        changes, calendar = read
        ctx, rules, on = self.state.ctx, self.RULES, self.preview.chosen_day() if self.data else None
        self.tab.run(lambda: care.preview(ctx, rules, on=on, limit=100, calendar=calendar, **changes),
                     self.preview.show_preview, busy=[self.preview.button], status=self.status)

    @owner_gated("change_settings")
    def submit(self) -> None:
        read = self.read()
        if read is None:
            return
        changes, calendar = read
        ctx = self.state.ctx

        def work():
            self.save_work(ctx, changes, calendar)
            return load_data(ctx, self.tab.section_classes)

        def saved(data: CareData) -> None:
            self.tab.show_data(data, only=self)   # other sections keep what is being edited there
            self.status.ok(QCoreApplication.translate("CareSettingsTab", "Saved."))
            self.refresh_preview()

        self.status.clear()
        self.tab.run(work, saved, busy=[self.save_button], status=self.status)


class CareSettingsTab(_Tab):
    """The sections listed on the left, the chosen one on the right."""

    def __init__(self, state, parent: QWidget | None = None) -> None:
        from app.ui.settings.care_sections import SECTIONS

        super().__init__(state, parent)
        self.data: CareData | None = None
        self.section_classes = tuple(SECTIONS)
        self.list = QListWidget(self)
        self.list.setMaximumWidth(210)
        self.stack = QStackedWidget(self)
        self.sections: list[CareSection] = []
        for cls in self.section_classes:
            section = cls(self)
            self.sections.append(section)
            self.list.addItem(tr_care(cls.TITLE))
            self.stack.addWidget(section)
        self.save_buttons = [s.save_button for s in self.sections]
        outer = QVBoxLayout(self)
        box = QHBoxLayout()
        box.addWidget(self.list)
        box.addWidget(self.stack, 1)
        outer.addLayout(box, 1)
        outer.addWidget(self.status)
        self.list.currentRowChanged.connect(self._chosen)
        self.list.setCurrentRow(0)

    def run(self, fn, on_done=None, *, busy: list[QWidget] | None = None, status: Status | None = None,
            pool: str = "db", what: str | None = None) -> None:
        """As the base tab's, its refusal shown on ``status`` (a section's own line) or the tab's."""
        status = status or self.status
        busy = busy or []
        for w in busy:
            w.setEnabled(False)

        def done(result) -> None:
            for w in busy:
                w.setEnabled(True)
            self.apply_permissions()
            if on_done is not None:
                on_done(result)

        def failed(exc) -> None:
            for w in busy:
                w.setEnabled(True)
            self.apply_permissions()
            status.error(self.state.error_text(exc))

        self.state.tasks.run(fn, done, failed, pool=pool, owner=self, what=what)

    def _chosen(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        if self.data is not None and 0 <= row < len(self.sections):
            self.sections[row].refresh_preview()

    def section(self, cls) -> CareSection:
        return next(s for s in self.sections if isinstance(s, cls))

    def load(self) -> None:
        ctx = self.state.ctx

        def loaded(data: CareData) -> None:
            self.show_data(data)
            self.current().refresh_preview()

        classes = self.section_classes
        self.run(lambda: load_data(ctx, classes), loaded)

    def current(self) -> CareSection:
        return self.sections[max(0, self.stack.currentIndex())]

    def show_data(self, data: CareData, *, only: CareSection | None = None) -> None:
        """Every section shows ``data``; after a save, ``only`` the saved one does (the others keep
        their unsaved edits and just learn the new data)."""
        self.data = data
        for s in self.sections:
            if only is None or s is only:
                s.show_data(data)
            else:
                s.data = data
        self.apply_permissions()


TAB_TITLE = QT_TRANSLATE_NOOP("CareSettingsTab", "Care")   # the tab's name in Settings
