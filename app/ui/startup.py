"""Start-up dialogs: the first-run set-up (shop name, currency, language, phone region, the owner,
their PIN and the owner's password; language, currency and region proposed from the system locale)
and the staff PIN login. Both call the services on their own TaskRunner, off the UI thread."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QLocale, QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import i18n as languages
from app.errors import PermissionDenied, ShopError, render
from app.i18n import normalise
from app.services.admin import shop_admin
from app.services.base import auth
from app.services.base import region as shop_region
from app.services.base.context import Actor, Ctx
from app.ui import i18n
from app.ui.pickers import CurrencyPicker, RegionPicker
from app.ui import warmup
from app.ui.tasks import TaskRunner
from app.ui.widgets import error_label

PIN_MIN, PIN_MAX = 4, 8


def has_staff(ctx: Ctx) -> bool:
    """Whether the shop has been set up (one quick indexed read at start-up)."""
    return shop_admin.has_staff(ctx)


def _current_lang() -> str:
    """The language the screens speak now: the one installed, else the system's as one ShopCare
    speaks (zh_HK, zh_Hant… -> zh_TW; anything else -> English)."""
    return i18n.current() or normalise(QLocale().name())


def _error_text(exc: BaseException, lang: str) -> str:
    if isinstance(exc, ShopError):
        return render(exc, lang)
    return f"{type(exc).__name__}: {exc}"


def pin_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(PIN_MAX)
    edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,8}"), edit))
    edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData)
    return edit


FIELDS = ("shop", "currency", "region", "owner", "pin", "pin_again", "password", "password_again")


def password_edit(parent: QWidget) -> QLineEdit:
    """A field for the owner's password: shown as dots, never offered to an input method's memory."""
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(auth.PASSWORD_MAX)
    edit.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText)
    return edit


def password_problem(password: str, pin: str | None, lang: str) -> str | None:
    """What is wrong with a new owner's password, from the error catalogue (the service's own rules)."""
    try:
        auth.check_owner_password(password, pin)
    except ShopError as exc:
        return render(exc, lang)
    return None


def _mark(edit: QWidget, bad: bool) -> None:
    if bool(edit.property("invalid")) != bad:
        edit.setProperty("invalid", bad)
        edit.style().unpolish(edit)
        edit.style().polish(edit)


def first_run_proposal(ctx: Ctx, locale: str | None = None, lang: str | None = None) -> shop_region.Proposal:
    """What the first-run screen offers: from ``locale`` when given (a locale name: tests inject one),
    else what ``shopcare init`` stored, else the system's locale (QLocale.system(), which Qt reads from
    the environment: LC_ALL, LANG…); ``lang`` (the --lang option) then wins for the language."""
    proposal = shop_region.propose_from_locale(locale) if locale is not None else (
        shop_region.stored(ctx) or shop_region.propose_from_locale(QLocale.system().name()))
    if lang:
        from dataclasses import replace

        proposal = replace(proposal, language=languages.normalise(lang))
    return proposal


class FirstRunDialog(QDialog):
    """The first start: set up the shop and its owner. ``owner`` holds the new StaffView after accept.

    Language, currency and phone region are proposed from ``locale`` (a name such as "en_US.UTF-8";
    default: as :func:`first_run_proposal` finds it); ``lang`` (the --lang option) wins for the language."""

    def __init__(self, ctx: Ctx, parent: QWidget | None = None, *, tasks: TaskRunner | None = None,
                 locale: str | None = None, lang: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks or TaskRunner(self)
        self.owner = None
        self.proposal = first_run_proposal(ctx, locale, lang)
        self.lang = self.proposal.language
        if self.lang != i18n.current():   # not yet installed (or another language is)
            i18n.install(self.lang)
        # every language's catalogue, compiled while the person reads: choosing another language
        # then only installs it (compiling one on the UI thread froze the dialog 0.1-0.2 s)
        self.tasks.run(warmup.warm_catalogues, pool="io")
        self._touched: set[str] = set()
        self._submitted = False
        self.setMinimumWidth(520)

        self.title = QLabel(self)
        self.title.setProperty("role", "title")
        self.intro = QLabel(self)
        self.intro.setProperty("role", "muted")
        self.intro.setWordWrap(True)

        self.shop_name = QLineEdit(self)
        self.shop_name.setMaxLength(shop_admin.NAME_MAX)
        self.currency = CurrencyPicker(self, self.lang)
        self.currency.set_currency(self.proposal.currency)
        self.currency_code = self.currency.code
        self.language = QComboBox(self)
        for code, name in i18n.LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.lang)))
        self.region = RegionPicker(self, self.lang)
        self.region.set_region(self.proposal.region)
        self.region_code = self.region.code
        self.owner_name = QLineEdit(self)
        self.owner_name.setMaxLength(shop_admin.NAME_MAX)
        self.pin = pin_edit(self)
        self.pin_again = pin_edit(self)
        self.password = password_edit(self)
        self.password_again = password_edit(self)

        self.errors = {key: error_label(self) for key in FIELDS}
        self.form_error = error_label(self)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setVerticalSpacing(6)
        self._labels = [QLabel(self) for _ in range(9)]
        rows = [(self.shop_name, "shop"), (self.language, None), (self.currency, "currency"),
                (self.region, "region"), (self.owner_name, "owner"), (self.pin, "pin"), (self.pin_again, "pin_again"),
                (self.password, "password"), (self.password_again, "password_again")]
        for label, (field, err) in zip(self._labels, rows, strict=True):
            self.form.addRow(label, field)
            if err:
                self.form.addRow("", self.errors[err])
            label.setBuddy(field)

        self.ok = QPushButton(self)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.quit = QPushButton(self)
        self.quit.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit)
        buttons.addWidget(self.ok)

        box = QVBoxLayout(self)
        box.setContentsMargins(28, 24, 28, 20)
        box.addWidget(self.title)
        box.addWidget(self.intro)
        box.addSpacing(10)
        box.addLayout(self.form)
        box.addWidget(self.form_error)
        box.addSpacing(8)
        box.addLayout(buttons)

        self.ok.clicked.connect(self.submit)
        self.quit.clicked.connect(self.reject)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.currency.changed.connect(self._revalidate)
        self.region.changed.connect(self._revalidate)
        for key, edit in self._edits().items():
            edit.textChanged.connect(self._revalidate)
            edit.editingFinished.connect(lambda k=key: self._touch(k))
        self.retranslate()
        self.shop_name.setFocus()

    # --- language ---
    def _language_chosen(self) -> None:
        lang = self.language.currentData()
        if lang and lang != self.lang:
            self.lang = lang
            i18n.install(lang)
            self.retranslate()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Welcome to ShopCare"))
        self.title.setText(self.tr("Set up your shop"))
        self.intro.setText(self.tr("A few details to start with. You can change all of them later in Settings."))
        texts = [self.tr("Shop name"), self.tr("Language"), self.tr("Currency"), self.tr("Phone region"),
                 self.tr("Owner's name"),
                 self.tr("Owner's PIN"), self.tr("PIN again"), self.tr("Owner's password"),
                 self.tr("Password again")]
        for label, text in zip(self._labels, texts, strict=True):
            label.setText(text)
        self.shop_name.setPlaceholderText(self.tr("e.g. Little Tea House"))
        self.owner_name.setPlaceholderText(self.tr("Your name, as staff will see it"))
        self.pin.setPlaceholderText(self.tr("4 to 8 digits"))
        self.pin_again.setPlaceholderText(self.tr("Type the PIN once more"))
        self.password.setPlaceholderText(self.tr("At least 8 characters, not only digits"))
        self.password_again.setPlaceholderText(self.tr("Type the password once more"))
        self.password.setToolTip(self.tr("Asked for exports, balance adjustments and settings; "
                                         "the PIN is for the till"))
        self.ok.setText(self.tr("Set up shop"))
        self.quit.setText(self.tr("Quit"))
        self.currency.retranslate(self.lang)
        self.region.retranslate(self.lang)
        self._revalidate()

    # --- validation ---
    def chosen_currency(self) -> str:
        return self.currency.currency()

    def problems(self) -> dict[str, str]:
        found = {}
        if not self.shop_name.text().strip():
            found["shop"] = self.tr("Type the shop's name")
        if self.currency.problem():
            found["currency"] = self.currency.problem()
        if self.region.problem():
            found["region"] = self.region.problem()
        if not self.owner_name.text().strip():
            found["owner"] = self.tr("Type the owner's name")
        pin = self.pin.text()
        if not (PIN_MIN <= len(pin) <= PIN_MAX and pin.isdigit()):
            found["pin"] = self.tr("A PIN is 4 to 8 digits")
        elif self.pin_again.text() != pin:
            found["pin_again"] = self.tr("The two PINs are not the same")
        password = self.password.text()
        problem = password_problem(password, pin, self.lang)
        if problem:
            found["password"] = problem
        elif self.password_again.text() != password:
            found["password_again"] = self.tr("The two passwords are not the same")
        return found

    def _edits(self) -> dict[str, QWidget]:
        return {"shop": self.shop_name, "currency": self.currency_code, "region": self.region_code,
                "owner": self.owner_name, "pin": self.pin,
                "pin_again": self.pin_again, "password": self.password, "password_again": self.password_again}

    def _touch(self, key: str) -> None:
        self._touched.add(key)
        self._revalidate()

    def _revalidate(self) -> None:
        found = self.problems()
        edits = self._edits()
        for key, label in self.errors.items():
            show = key in found and (self._submitted or key in self._touched)
            label.setText(found.get(key, ""))
            label.setVisible(show)
            _mark(edits[key], show)
        self.form_error.hide()

    # --- set up ---
    def submit(self) -> None:
        self._submitted = True
        self._revalidate()
        found = self.problems()
        if found:
            first = next(k for k in FIELDS if k in found)
            self._edits()[first].setFocus()
            return
        args = (self.ctx, self.shop_name.text(), self.chosen_currency(), self.language.currentData(),
                self.owner_name.text(), self.pin.text(), self.password.text())
        where = self.region.region()
        self._busy(True)
        self.tasks.run(lambda: shop_admin.first_run(*args, region=where), self._done, self._failed)

    def _busy(self, busy: bool) -> None:
        for w in (self.ok, self.quit, self.language, self.currency, self.region):
            w.setEnabled(not busy)
        self.ok.setText(self.tr("Setting up…") if busy else self.tr("Set up shop"))

    def _done(self, owner) -> None:
        self.owner = owner
        self._busy(False)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.form_error.setText(_error_text(exc, self.lang))
        self.form_error.show()

    def reject(self) -> None:
        self.tasks.wait(10_000, pools=("db",))   # the call in flight; not the io pool's warm-up (warmup.py)
        super().reject()


class LoginDialog(QDialog):
    """Staff PIN login; ``actor`` holds who logged in after accept."""

    def __init__(self, ctx: Ctx, parent: QWidget | None = None, *, tasks: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks or TaskRunner(self)
        self.actor: Actor | None = None
        self.lang = _current_lang()
        self.setMinimumWidth(420)
        self.setWindowTitle(self.tr("ShopCare · log in"))

        self.title = QLabel(self.tr("ShopCare"), self)
        self.title.setProperty("role", "title")
        self.hint = QLabel(self.tr("Choose your name and type your PIN, then press Enter."), self)
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        self.staff = QComboBox(self)
        self.staff.setMinimumWidth(220)
        self.pin = pin_edit(self)
        self.pin.setPlaceholderText(self.tr("PIN"))
        self.error = error_label(self)
        self.ok = QPushButton(self.tr("Log in"), self)
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.ok.setEnabled(False)
        self.quit = QPushButton(self.tr("Quit"), self)
        self.quit.setAutoDefault(False)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        staff_label = QLabel(self.tr("Staff"), self)
        staff_label.setBuddy(self.staff)
        pin_label = QLabel(self.tr("PIN"), self)
        pin_label.setBuddy(self.pin)
        form.addRow(staff_label, self.staff)
        form.addRow(pin_label, self.pin)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit)
        buttons.addWidget(self.ok)
        box = QVBoxLayout(self)
        box.setContentsMargins(28, 24, 28, 20)
        box.addWidget(self.title)
        box.addWidget(self.hint)
        box.addSpacing(8)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addSpacing(6)
        box.addLayout(buttons)

        self.ok.clicked.connect(self.submit)
        self.quit.clicked.connect(self.reject)
        self.pin.returnPressed.connect(self.submit)
        self.pin.textChanged.connect(lambda _t: self.error.hide())
        self.staff.currentIndexChanged.connect(lambda _i: (self.error.hide(), self.pin.clear(), self.pin.setFocus()))
        self.pin.setFocus()
        self.tasks.run(self._load, self._loaded, self._failed)

    def _load(self):
        from app.services.base import settings as shop_settings

        return shop_settings.load(self.ctx).shop_name, [s for s in auth.list_staff(self.ctx) if s.active]

    def _loaded(self, result) -> None:
        shop_name, staff = result
        self.title.setText(shop_name)
        self.staff.blockSignals(True)
        self.staff.clear()
        for s in staff:
            self.staff.addItem(s.name, s.name)
        owner = next((i for i, s in enumerate(staff) if s.role == "owner"), 0)
        self.staff.setCurrentIndex(owner)
        self.staff.blockSignals(False)
        self.ok.setEnabled(bool(staff))
        self.pin.setFocus()

    def submit(self) -> None:
        name, pin = self.staff.currentData(), self.pin.text()
        if not name or not self.ok.isEnabled():
            return
        if not (PIN_MIN <= len(pin) <= PIN_MAX):
            self._show(self.tr("A PIN is 4 to 8 digits"))
            return
        self.ok.setEnabled(False)
        self.tasks.run(lambda: self._login(name, pin), self._done, self._failed)

    def _login(self, name: str, pin: str) -> Actor:
        """On the worker: log in; a wrong PIN that just locked the account says so at once."""
        try:
            return auth.login(self.ctx, name, pin)
        except PermissionDenied as exc:
            if exc.code == "pin_wrong" and any(s.name == name and s.locked for s in auth.list_staff(self.ctx)):
                raise PermissionDenied("staff_locked", name=name) from None
            raise

    def _done(self, actor: Actor) -> None:
        self.actor = actor
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(self.staff.count() > 0)
        self.pin.clear()
        self._show(_error_text(exc, self.lang))
        self.pin.setFocus()

    def _show(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def reject(self) -> None:
        self.tasks.wait(10_000, pools=("db",))   # the call in flight; not the io pool's warm-up (warmup.py)
        super().reject()
