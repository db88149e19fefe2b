"""Messages › Gateway: the SMS gateway (log only, Twilio, or Tencent Cloud SMS for mainland China) and its
credentials (kept in the keyring), and a test text. Tencent's own part is app/ui/texts/tencent_box.py."""
from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from app.ui import style
from app.ui.settings.owner_password import owner_gated
from app.ui.state import AppState
from app.ui.texts import background_sender
from app.ui.texts.outbox_model import status_label
from app.ui.texts.parts import UNAVAILABLE
from app.ui.texts.tencent_box import TencentBox
from app.ui.widgets import Tab, button_row, capped

# --- the gateway -------------------------------------------------------------------------------------------
GATEWAY_KINDS = [
    ("log", QT_TRANSLATE_NOOP("GatewayTab", "Log only: nothing leaves this computer")),
    ("twilio", QT_TRANSLATE_NOOP("GatewayTab", "Twilio, or a Twilio-compatible gateway")),
    ("tencent", QT_TRANSLATE_NOOP("GatewayTab", "Tencent Cloud SMS (mainland China: approved signature and templates)")),
]


class GatewayTab(Tab):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.modules = background_sender.sending_modules()
        self.has_token = False
        self.kind = QComboBox(self)
        for key, label in GATEWAY_KINDS:
            self.kind.addItem(self.tr(label), key)
        self.account_sid = QLineEdit(self)
        self.account_sid.setPlaceholderText("AC…")
        self.sender = QLineEdit(self)
        self.sender.setPlaceholderText(self.tr("+8613… or a Messaging Service SID (MG…)"))
        self.api_base = QLineEdit(self)
        self.api_base.setPlaceholderText(self.tr("Empty: the provider's own"))
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.save = QPushButton(self.tr("Save gateway"), self)
        self.save.setProperty("primary", True)
        self.save_buttons = [self.save]
        self.test_phone = QLineEdit(self)
        self.test_phone.setPlaceholderText(self.tr("A phone to send a test text to"))
        self.test_text = QLineEdit(self)
        self.test_text.setPlaceholderText(self.tr("Empty: the shop's test text"))
        self.send_test = QPushButton(self.tr("Send test"), self)
        self.answer = QLabel(self)
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer.hide()
        form = QFormLayout()
        form.addRow(self._label(self.tr("Gateway")), self.kind)
        form.addRow(self._label(self.tr("API address")), self.api_base)
        twilio_form = QFormLayout()
        twilio_form.addRow(self._label(self.tr("Account SID")), self.account_sid)
        twilio_form.addRow(self._label(self.tr("Auth token")), self.token)
        twilio_form.addRow(self._label(self.tr("Sender")), self.sender)
        self.twilio = capped(twilio_form, self)
        self.tencent = TencentBox(self, self._label)
        note = QLabel(self.tr("The token and the SecretKey are kept in this computer's keyring (or a private file), "
                              "never in the database, and are never shown again. Settings from the environment "
                              "(SHOPCARE_SMS_GATEWAY, TWILIO_ACCOUNT_SID, TENCENTCLOUD_SECRET_ID, …) override these."),
                      self)
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        test_form = QFormLayout()
        test_form.addRow(self._label(self.tr("Test phone")), self.test_phone)
        test_form.addRow(self._label(self.tr("Test text")), self.test_text)
        # everything in a scroll area: with Tencent's templates the tab is taller than a small screen
        inner = QWidget(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        scroll.viewport().setAutoFillBackground(False)   # the tab's own background shows through
        inner.setAutoFillBackground(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        box = QVBoxLayout(inner)
        if self.modules is None:
            missing = QLabel(QCoreApplication.translate("MessagesScreen", UNAVAILABLE), self)
            missing.setProperty("role", "error")
            box.addWidget(missing)
        box.addWidget(capped(form, self))
        box.addWidget(self.twilio)
        box.addWidget(self.tencent, 1)
        box.addWidget(note)
        box.addLayout(button_row(self.save))
        box.addWidget(self.status)
        box.addSpacing(6)
        box.addWidget(capped(test_form, self))
        box.addLayout(button_row(self.send_test))
        box.addWidget(self.answer)
        self.stretch = QWidget(self)
        box.addWidget(self.stretch, 1)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.save.clicked.connect(self.submit)
        self.send_test.clicked.connect(self.test)
        self._kind_changed()
        self.apply_permissions()

    def _label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setMinimumWidth(130)  # the same for both forms, so their fields line up
        return label

    def can_change(self) -> bool:
        return self.modules is not None and super().can_change()

    def apply_permissions(self) -> None:
        super().apply_permissions()
        self.send_test.setEnabled(self.modules is not None and self.state.role_allowed("manage_outbox"))

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.twilio.setVisible(kind != "tencent")
        self.tencent.setVisible(kind == "tencent")
        self.stretch.setVisible(kind != "tencent")
        for w in (self.account_sid, self.token, self.sender):
            w.setEnabled(kind == "twilio")
        self.api_base.setEnabled(kind != "log")
        self.tencent.set_editable(kind == "tencent")

    def _show_token(self) -> None:
        self.token.clear()
        self.token.setPlaceholderText(self.tr("A token is stored: leave empty to keep it") if self.has_token
                                      else self.tr("The account's auth token"))

    def load(self) -> None:
        if self.modules is None:
            return
        gateway_config = self.modules[0]
        self.run(gateway_config.load_gateway_config, self.show_config, pool="io")
        ctx = self.state.ctx

        def kinds_in_use():
            from app.services.care import text_kinds
            from app.services.texts import tencent_config

            return text_kinds.in_use(ctx, tencent_config.kinds())

        self.run(kinds_in_use, self.tencent.set_in_use)

    def show_config(self, cfg) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(cfg.kind)))
        self.account_sid.setText(cfg.account_sid)
        self.sender.setText(cfg.sender)
        self.api_base.setText(cfg.api_base)
        self.has_token = cfg.has_token
        self._show_token()
        self.tencent.show_config(cfg.tencent, cfg.has_secret_key)
        self._kind_changed()

    @owner_gated("change_texting")
    def submit(self) -> None:
        if self.modules is None:
            self.status.error(QCoreApplication.translate("MessagesScreen", UNAVAILABLE))
            return
        gateway_config = self.modules[0]
        cfg = gateway_config.GatewayConfig(kind=self.kind.currentData(), account_sid=self.account_sid.text().strip(),
                                           sender=self.sender.text().strip(), api_base=self.api_base.text().strip(),
                                           has_token=self.has_token, tencent=self.tencent.config())
        token = self.token.text().strip() or None
        secret_key = self.tencent.key()

        def saved(result) -> None:
            self.show_config(result)
            sender = getattr(self.state, "sender", None)
            if sender is not None:
                sender.gateway_changed()
            self.status.ok(self.tr("Gateway saved."))

        ctx = self.state.ctx
        self.run(lambda: gateway_config.save_gateway_config(ctx, cfg, token, secret_key), saved, pool="io",
                 busy=[self.save])

    def test(self) -> None:
        if self.modules is None:
            self.status.error(QCoreApplication.translate("MessagesScreen", UNAVAILABLE))
            return
        gateway_config, sms, sender = self.modules
        ctx, phone, text = self.state.ctx, self.test_phone.text().strip(), self.test_text.text().strip() or None
        self.answer.setStyleSheet("")
        self.answer.setText(self.tr("Sending…"))
        self.answer.show()

        def work():
            return sender.send_test(ctx, sms.make_gateway(gateway_config.load_gateway_config()), phone, text)

        def done(result) -> None:
            ok = result.status in ("sent", "delivered", "queued")
            self.answer.setStyleSheet(f"color: {style.OK if ok else style.DANGER};")
            self.answer.setText(self.tr("Test text {id}: {status}. Gateway id: {provider}. The gateway said: "
                                        "{answer}").format(id=result.message_id, status=status_label(result.status),
                                                            provider=result.provider_id or "—",
                                                            answer=result.answer or "—"))

        def failed(exc) -> None:
            self.answer.setStyleSheet(f"color: {style.DANGER};")
            self.answer.setText(self.state.error_text(exc))
            self.apply_permissions()

        self.send_test.setEnabled(False)
        self.state.tasks.run(work, lambda r: (done(r), self.apply_permissions()), failed, pool="io")
