"""Messages › Gateway set to Tencent Cloud SMS, offscreen with pytest-qt on a real SQLite file: the owner types
the SecretId, SecretKey, SdkAppId, signature and a template id per kind; the screen names the kinds that
are switched on but lack a template (and stops naming a care rule once it is switched off); a signature
outside Tencent's rules is refused in the user's language with nothing saved; the Test button sends
through the real SDK to the local fake Tencent server."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="pytest-qt is not installed")

from PySide6.QtCore import Qt  # noqa: E402

from app.services import care  # noqa: E402
from app.services.base import settings as shop_settings  # noqa: E402
from app.services.texts import gateway_config  # noqa: E402
from app.ui import i18n  # noqa: E402
from app.ui.state import AppState  # noqa: E402
from app.ui.texts.screen import MessagesScreen  # noqa: E402
from app.ui.texts.tencent_box import COL_ID, COL_KIND, COL_PARAMS, parse_params  # noqa: E402
from tests.fake_tencent import fake_tencent  # noqa: E402,F401


@pytest.fixture(autouse=True)
def english(qapp, ctx, monkeypatch):
    for var in ("SHOPCARE_SMS_GATEWAY", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "SHOPCARE_SMS_API_BASE"):
        monkeypatch.delenv(var, raising=False)
    shop_settings.update(ctx, language="en")
    i18n.install("en")
    yield
    i18n.install("en")


def settle(qtbot, state, rounds: int = 3) -> None:
    for _ in range(rounds):
        state.tasks.wait()
        qtbot.wait(10)


def open_gateway(qtbot, ctx):
    state = AppState(ctx)
    screen = MessagesScreen(state)
    qtbot.addWidget(screen)
    screen.resize(1180, 760)
    screen.show()
    screen.activated()
    settle(qtbot, state)
    screen.tabs.setCurrentWidget(screen.gateway)
    return screen.gateway, state


def row_of(box, kind: str) -> int:
    return next(r for r in range(box.table.rowCount())
                if box.table.item(r, COL_KIND).data(Qt.ItemDataRole.UserRole) == kind)


def fill(qtbot, tab, fake) -> None:
    tab.kind.setCurrentIndex(tab.kind.findData("tencent"))
    box = tab.tencent
    assert box.isVisible() and not tab.twilio.isVisible()
    qtbot.keyClicks(tab.api_base, fake.url)
    qtbot.keyClicks(box.secret_id, fake.secret_id)
    qtbot.keyClicks(box.secret_key, fake.secret_key)
    qtbot.keyClicks(box.app_id, fake.sdk_app_id)
    box.sign.setText(fake.signs[0])
    box.table.item(row_of(box, "ebill_sale"), COL_ID).setText("100001")
    box.table.item(row_of(box, "ebill_sale"), COL_PARAMS).setText("name，amount, balance {points}")
    box.table.item(row_of(box, "test"), COL_ID).setText("100009")


def test_tencent_settings_are_saved_and_the_kinds_without_a_template_are_named(qtbot, ctx, fake_tencent):
    tab, state = open_gateway(qtbot, ctx)
    fill(qtbot, tab, fake_tencent)
    box = tab.tencent
    assert "Birthday" in box.missing.text() and "E-bill: sale" not in box.missing.text()
    assert "Repurchase reminder" in box.missing.text()
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert tab.status.text() == "Gateway saved."
    assert box.secret_key.text() == "" and "A SecretKey is stored" in box.secret_key.placeholderText()
    saved = gateway_config.load_gateway_config()
    assert saved.kind == "tencent" and saved.has_secret_key and saved.tencent.sign_name == "街角茶咖"
    assert saved.tencent.template("ebill_sale").params == ("name", "amount", "balance", "points")
    assert fake_tencent.secret_key not in gateway_config.path().read_text().split('"tencent"')[1].split("}")[0]

    care.update_config(ctx, enabled=("birthday", "holiday"))       # repurchase and the rest switched off
    tab.load()
    settle(qtbot, state)
    assert "Repurchase reminder" not in box.missing.text() and "Birthday" in box.missing.text()

    qtbot.keyClicks(tab.test_phone, "13900001234")
    qtbot.mouseClick(tab.send_test, Qt.MouseButton.LeftButton)
    settle(qtbot, state, 5)
    assert "accepted as 2433:" in tab.answer.text()
    assert fake_tencent.sent_to("+8613900001234") == ["【街角茶咖】这是一条测试短信，本店短信可以正常送达此号码。"]


def test_a_signature_in_brackets_is_refused_in_the_user_s_language_and_nothing_saved(qtbot, ctx, fake_tencent):
    shop_settings.update(ctx, language="zh_CN")
    i18n.install("zh_CN")
    tab, state = open_gateway(qtbot, ctx)
    fill(qtbot, tab, fake_tencent)
    tab.tencent.sign.setText("【街角茶咖】")
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert "【】" in tab.status.text() and "签名" in tab.status.text()
    assert not gateway_config.path().exists()


def test_parameters_may_be_typed_with_either_comma_spaces_or_braces():
    assert parse_params("name，amount, {balance} points、days") == ("name", "amount", "balance", "points", "days")
    assert parse_params("  ") == ()
