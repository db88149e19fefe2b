"""Create or edit a member, with validation while typing.

Each field is checked as it changes with the services' own rules (``members.clean_name``,
``phones.normalize`` in the shop's region, ``members.parse_birthday``); a field that fails turns red
with the reason under it, in the user's language, and Save stays disabled until every field is
valid. Saving runs on the db worker; the service's own refusals (a phone or card number that
belongs to someone else…) come back under the field they concern.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from app.errors import ShopError
from app.services.members import members
from app.services.base import phones
from app.services.members.members import MemberInput, MemberView
from app.ui.widgets import error_label


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class _Field(QWidget):
    """An input with its error line underneath."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        self.editor = editor
        self.error = error_label(self, lines=1)   # keeps its room: the next field never moves
        box.addWidget(editor)
        box.addWidget(self.error)

    def set_error(self, text: str | None) -> None:
        self.editor.setProperty("invalid", bool(text))
        _repolish(self.editor)
        self.error.setText(text or "")
        self.error.setVisible(bool(text))


class MemberEditDialog(QDialog):
    """New member (``member=None``) or edit one. Emits ``saved(MemberView)`` after the service saved."""

    saved = Signal(object)

    def __init__(self, state, member: MemberView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.member = member
        self.result_view: MemberView | None = None
        self._touched: set[str] = set()
        self._errors: dict[str, str] = {}
        self._saving = False
        self.setWindowTitle(self.tr("Edit member") if member else self.tr("New member"))
        self.setMinimumWidth(560)

        outer = QVBoxLayout(self)
        title = QLabel(self.windowTitle(), self)
        title.setProperty("role", "title")
        outer.addWidget(title)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(8)
        outer.addLayout(form)

        self.name = QLineEdit(self)
        self.name.setMaxLength(members.NAME_MAX)
        self.name.setPlaceholderText(self.tr("e.g. 王芳"))
        self.phone = QLineEdit(self)
        self.phone.setPlaceholderText(self.tr("Mobile number, e.g. 138 0013 8000"))
        self.card = QLineEdit(self)
        self.card.setMaxLength(32)
        self.card.setPlaceholderText(self.tr("Optional"))
        self.gender = QComboBox(self)
        for code, label in ((None, self.tr("Not given")), ("F", self.tr("Female")), ("M", self.tr("Male"))):
            self.gender.addItem(label, code)
        self.birthday = QLineEdit(self)
        self.birthday.setPlaceholderText(self.tr("YYYY-MM-DD or MM-DD"))
        self.calendar = QComboBox(self)
        self.calendar.addItem(self.tr("Solar"), "solar")
        self.calendar.addItem(self.tr("Lunar"), "lunar")
        self.calendar.addItem(self.tr("Lunar, leap month"), "lunar_leap")
        bday_row = QWidget(self)
        bday_box = QHBoxLayout(bday_row)
        bday_box.setContentsMargins(0, 0, 0, 0)
        bday_box.addWidget(self.birthday, 1)
        bday_box.addWidget(self.calendar)
        self.wedding = QLineEdit(self)
        self.wedding.setPlaceholderText(self.tr("Optional: YYYY-MM-DD or MM-DD"))
        self.tags = QLineEdit(self)
        self.tags.setPlaceholderText(self.tr("Comma separated, e.g. VIP, tea"))
        self.notes = QPlainTextEdit(self)
        self.notes.setFixedHeight(64)
        self.consent_care = QCheckBox(self.tr("Care texts (birthday, anniversaries, reminders)"), self)
        self.consent_marketing = QCheckBox(self.tr("Marketing texts (offers, campaigns)"), self)
        self.ebill = QCheckBox(self.tr("E-bills after each purchase"), self)
        self.ebill.setChecked(True)

        self.fields = {
            "name": _Field(self.name, self), "phone": _Field(self.phone, self), "card": _Field(self.card, self),
            "birthday": _Field(bday_row, self), "wedding": _Field(self.wedding, self),
        }
        self.fields["birthday"].editor = self.birthday  # the red border goes on the date itself
        form.addRow(self.tr("Name *"), self.fields["name"])
        form.addRow(self.tr("Phone *"), self.fields["phone"])
        form.addRow(self.tr("Card no."), self.fields["card"])
        form.addRow(self.tr("Gender"), self.gender)
        form.addRow(self.tr("Birthday"), self.fields["birthday"])
        if member is None:  # anniversaries are added when the member joins (the service edits them no later)
            form.addRow(self.tr("Wedding anniversary"), self.fields["wedding"])
        else:
            self.fields["wedding"].hide()
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Notes"), self.notes)
        consent = QVBoxLayout()
        consent.setSpacing(4)
        for box in (self.consent_care, self.consent_marketing, self.ebill):
            consent.addWidget(box)
        form.addRow(self.tr("Consent"), consent)

        self.general_error = error_label(self)
        outer.addWidget(self.general_error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(self.tr("Cancel (Esc)"), self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton(self.tr("Save (Ctrl+S)"), self)
        self.save_button.setProperty("primary", True)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)

        if member is not None:
            self._fill(member)
        for key, edit in (("name", self.name), ("phone", self.phone), ("card", self.card),
                          ("birthday", self.birthday), ("wedding", self.wedding)):
            edit.textChanged.connect(lambda _t, k=key: self._changed(k))
        self.calendar.currentIndexChanged.connect(lambda _i: self._changed("birthday"))
        self.validate()

    # --- filling in and checking -----------------------------------------------------------------------
    def _fill(self, m: MemberView) -> None:
        self.name.setText(m.name)
        local = phones.in_region(m.phone, self.state.settings.region)   # shown as typed there: no +1, +86…
        self.phone.setText(phones.national_digits(m.phone) if local else (m.phone or ""))
        self.card.setText(m.card_no or "")
        self.gender.setCurrentIndex(max(0, self.gender.findData(m.gender)))
        if m.birthday:
            b = m.birthday
            self.birthday.setText(f"{b.year:04d}-{b.month:02d}-{b.day:02d}" if b.year else f"{b.month:02d}-{b.day:02d}")
            cal = "lunar_leap" if b.calendar == "lunar" and b.leap_month else b.calendar
            self.calendar.setCurrentIndex(max(0, self.calendar.findData(cal)))
        self.tags.setText(", ".join(m.tags))
        self.notes.setPlainText(m.notes)
        self.consent_care.setChecked(m.consent_care)
        self.consent_marketing.setChecked(m.consent_marketing)
        self.ebill.setChecked(m.ebill_enabled)

    def _changed(self, key: str) -> None:
        self._touched.add(key)
        self.validate()

    def _birthday_value(self):
        cal = self.calendar.currentData()
        return members.parse_birthday(self.birthday.text().strip() or None,
                                      "lunar" if cal.startswith("lunar") else "solar", cal == "lunar_leap")

    def _check(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        checks = {
            "name": lambda: members.clean_name(self.name.text()),
            "phone": lambda: phones.normalize(self.phone.text(), self.state.settings.region),
            "birthday": self._birthday_value,
            "wedding": lambda: members.parse_wedding(self.wedding.text().strip() or None),
        }
        for key, check in checks.items():
            try:
                check()
            except ShopError as exc:
                errors[key] = self.state.error_text(exc)
        return errors

    def validate(self) -> bool:
        """Check every field; show errors on the fields the user has touched; enable Save when all pass."""
        self._errors = self._check()
        for key, field in self.fields.items():
            shown = self._errors.get(key) if (key in self._touched or self.member is not None) else None
            field.set_error(shown)
        ok = not self._errors
        self.save_button.setEnabled(ok and not self._saving)
        if ok:
            self.general_error.hide()
        return ok

    def _tags(self) -> list[str]:
        return [x.strip() for x in self.tags.text().replace("，", ",").split(",") if x.strip()]

    # --- saving --------------------------------------------------------------------------------------
    def save(self) -> None:
        self._touched.update(self.fields)
        if not self.validate() or self._saving:
            return
        bday = self._birthday_value()
        ctx = self.state.ctx
        if self.member is None:
            data = MemberInput(name=self.name.text(), phone=self.phone.text(), card_no=self.card.text() or None,
                               gender=self.gender.currentData(), birthday=bday, notes=self.notes.toPlainText(),
                               tags=tuple(self._tags()), consent_care=self.consent_care.isChecked(),
                               consent_marketing=self.consent_marketing.isChecked(),
                               ebill_enabled=self.ebill.isChecked(), wedding=self.wedding.text().strip() or None)

            def work():
                return members.create_member(ctx, data)
        else:
            member_id = self.member.id
            changes = dict(name=self.name.text(), phone=self.phone.text(), card_no=self.card.text() or None,
                           gender=self.gender.currentData(), birthday=bday, notes=self.notes.toPlainText(),
                           tags=self._tags(), consent_care=self.consent_care.isChecked(),
                           consent_marketing=self.consent_marketing.isChecked(), ebill_enabled=self.ebill.isChecked())

            def work():
                return members.update_member(ctx, member_id, **changes)
        self._saving = True
        self.save_button.setEnabled(False)
        self.state.tasks.run(work, self._saved, self._failed, what=self.tr("saving the member"))

    def _saved(self, view: MemberView) -> None:
        self._saving = False
        self.result_view = view
        self.state.member_changed.emit(view.id)
        self.saved.emit(view)
        self.accept()

    # Which field a service refusal belongs under.
    FIELD_OF = {"phone_duplicate": "phone", "phone_empty": "phone", "phone_letters": "phone",
                "phone_invalid": "phone", "card_duplicate": "card", "name_empty": "name",
                "name_too_long": "name", "birthday_invalid": "birthday"}

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        text = self.state.error_text(exc)
        key = self.FIELD_OF.get(getattr(exc, "code", ""))
        if key and isinstance(exc, ShopError):
            self.fields[key].set_error(text)
            self.fields[key].editor.setFocus()
        else:
            self.general_error.setText(text)
            self.general_error.show()
        self.save_button.setEnabled(key is None)  # a field's refusal: editing that field re-enables Save
