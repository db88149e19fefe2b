"""Messages › Templates: the shop's own text for each kind of message, with preview, length and SMS segments."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.errors import ShopError
from app.services.texts import templates
from app.ui import style
from app.ui.settings.owner_password import owner_gated
from app.ui.state import AppState
from app.ui.texts.outbox_model import kind_label
from app.ui.widgets import Tab, button_row

TEMPLATE_KINDS = list(templates.KINDS)


LANG_NAMES = {"zh_CN": QT_TRANSLATE_NOOP("TemplatesTab", "Chinese"), "en": QT_TRANSLATE_NOOP("TemplatesTab", "English")}


CATEGORY_NOTES = {
    "transactional": QT_TRANSLATE_NOOP(
        "TemplatesTab", "A service text: it goes unless the member turned e-bills off, without an opt-out line."),
    "care": QT_TRANSLATE_NOOP(
        "TemplatesTab", "A care text: only to members who agreed to care texts. The shop signature and the "
                        "opt-out line are added when the text leaves them out."),
    "marketing": QT_TRANSLATE_NOOP(
        "TemplatesTab", "A marketing text: only to members who agreed to offers. The shop signature and the "
                        "opt-out line are added when the text leaves them out."),
}


# --- templates ----------------------------------------------------------------------------------------
class TemplatesTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.kind = QComboBox(self)
        for k in TEMPLATE_KINDS:
            self.kind.addItem(kind_label(k), k)
        self.lang = QComboBox(self)
        for code in LANG_NAMES:  # the languages a template is kept in (app/services/texts/templates.py)
            self.lang.addItem(self.tr(LANG_NAMES[code]), code)
        self.lang.setCurrentIndex(max(0, self.lang.findData(templates._lang(state.lang))))
        self.which = QLabel(self)
        self.which.setProperty("role", "muted")
        self.category_note = QLabel(self)
        self.category_note.setWordWrap(True)
        self.category_note.setProperty("role", "muted")
        self.editor = QPlainTextEdit(self)
        self.editor.setMaximumHeight(110)
        self.error = QLabel(self)
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.placeholder_row = QHBoxLayout()
        self.placeholder_row.setSpacing(4)
        self.placeholder_buttons: list[QPushButton] = []
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview.setMinimumHeight(70)
        self.preview.setStyleSheet("background: #eef5ff; border: 1px solid #c9d8f0; border-radius: 10px; "
                                   "padding: 10px 12px; font-size: 15px;")
        self.counter = QLabel(self)
        self.save = QPushButton(self.tr("Save text"), self)
        self.save.setProperty("primary", True)
        self.reset = QPushButton(self.tr("Back to the default"), self)
        self.save_buttons = [self.save, self.reset]

        pickers = QHBoxLayout()
        pickers.addWidget(QLabel(self.tr("Text for"), self))
        pickers.addWidget(self.kind)
        pickers.addWidget(QLabel(self.tr("in"), self))
        pickers.addWidget(self.lang)
        pickers.addSpacing(12)
        pickers.addWidget(self.which)
        pickers.addStretch(1)
        insert = QHBoxLayout()
        insert.addWidget(QLabel(self.tr("Insert:"), self))
        insert.addLayout(self.placeholder_row)
        insert.addStretch(1)
        preview_head = QLabel(self.tr("Preview with sample values (what the customer's phone shows)"), self)
        preview_head.setProperty("role", "muted")
        box = QVBoxLayout(self)
        box.addLayout(pickers)
        box.addWidget(self.category_note)
        box.addWidget(self.editor)
        box.addLayout(insert)
        box.addWidget(self.error)
        box.addWidget(preview_head)
        box.addWidget(self.preview)
        box.addWidget(self.counter)
        box.addLayout(button_row(self.save, self.reset))
        box.addWidget(self.status)
        box.addStretch(1)

        self.kind.currentIndexChanged.connect(lambda _i: self.load())
        self.lang.currentIndexChanged.connect(lambda _i: self.load())
        self.editor.textChanged.connect(self.update_preview)
        self.save.clicked.connect(self.submit)
        self.reset.clicked.connect(self.reset_to_default)
        self._show_kind()

    def current(self) -> tuple[str, str]:
        return self.kind.currentData(), self.lang.currentData()

    def _show_kind(self) -> None:
        kind, _lang = self.current()
        spec = templates.KINDS[kind]
        self.category_note.setText(self.tr(CATEGORY_NOTES[spec.category]))
        for b in self.placeholder_buttons:
            self.placeholder_row.removeWidget(b)
            b.hide()  # until deleted it would still be drawn, at the tab's corner
            b.deleteLater()
        self.placeholder_buttons = []
        for name in spec.placeholders:
            b = QPushButton("{" + name + "}", self)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setStyleSheet("padding: 3px 8px; font-size: 13px;")
            b.clicked.connect(lambda _c=False, n=name: self.editor.insertPlainText("{" + n + "}"))
            self.placeholder_row.addWidget(b)
            self.placeholder_buttons.append(b)

    def load(self) -> None:
        self._show_kind()
        kind, lang = self.current()
        ctx = self.state.ctx

        def shown(result) -> None:
            if (kind, lang) != self.current():
                return  # the pickers moved on meanwhile
            text, custom = result
            self.editor.setPlainText(text)
            self._show_which(custom)
            self.update_preview()

        self.run(lambda: (templates.template_for(ctx, kind, lang), templates.is_custom(ctx, kind, lang)), shown)

    def _show_which(self, custom: bool) -> None:
        self.which.setText(self.tr("The shop's own text") if custom else self.tr("The default text"))

    def problem(self) -> str | None:
        kind, _lang = self.current()
        try:
            templates.validate(kind, self.editor.toPlainText().strip())
        except ShopError as exc:
            return self.state.error_text(exc)
        return None

    def update_preview(self) -> None:
        """Per keystroke, on the UI thread: pure string work, no database."""
        kind, lang = self.current()
        text = self.editor.toPlainText()
        problem = self.problem()
        self.error.setText(problem or "")
        self.error.setVisible(problem is not None)
        p = templates.preview_text(self.state.settings, kind, lang, text)
        self.preview.setText(p.text)
        per = 70 if p.encoding == "UCS-2" else 160
        self.counter.setText(self.tr("{chars} characters · {segments} SMS part(s) · {encoding} "
                                     "({per} characters fit in one text)").format(
            chars=self.state.number(p.chars), segments=self.state.number(p.segments), encoding=p.encoding,
            per=per))
        self.counter.setStyleSheet(f"color: {style.DANGER if p.segments > 1 else style.MUTED};")
        self.last_preview = p

    @owner_gated("change_settings")
    def submit(self) -> None:
        kind, lang = self.current()
        text = self.editor.toPlainText()
        problem = self.problem()
        if problem:
            self.status.error(problem)
            return
        ctx = self.state.ctx

        def saved(custom: bool) -> None:
            self._show_which(custom)
            self.status.ok(self.tr("Saved: new texts use it now."))

        def work():
            templates.save_template(ctx, kind, lang, text)
            return templates.is_custom(ctx, kind, lang)

        self.run(work, saved, busy=self.save_buttons)

    @owner_gated("change_settings")
    def reset_to_default(self) -> None:
        kind, lang = self.current()
        ctx = self.state.ctx

        def done(text: str) -> None:
            self.editor.setPlainText(text)
            self._show_which(False)
            self.status.ok(self.tr("Back to the default text."))

        def work():
            templates.reset_template(ctx, kind, lang)
            return templates.template_for(ctx, kind, lang)

        self.run(work, done, busy=self.save_buttons)
