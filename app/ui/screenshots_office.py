"""Screenshots of the back office: settings, the first run, messages, care, the owner's password and
the fault bar. The helpers they share live in app/ui/screenshots.py, which lists every screen."""
from __future__ import annotations

from pathlib import Path

from app.errors import PermissionDenied, ValidationError
from app.ui.screenshots import _close, _shot, _styled, _tabs, _wait
from app.ui.tasks import process_events

def render_settings(state, folder: Path) -> list[Path]:
    """Each settings tab, with the current database, in the current language."""
    from app.ui.settings.audit_key_box import SAMPLE_KEY
    from app.ui.settings.screen import TAB_FILES, SettingsScreen

    _styled()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    screen = SettingsScreen(state)
    screen.resize(1100, 720)
    screen.show()
    screen.activated()
    state.tasks.wait()
    process_events()
    state.tasks.wait()
    process_events()
    if screen.printer.kind.currentData() == "preview":  # show what a test page looks like (nothing is written)
        screen.printer.test_print()
        state.tasks.wait()
        process_events()
    saved: list[Path] = []
    _tabs(screen, TAB_FILES[:screen.tabs.count()], "settings", folder, state.lang, saved)
    # Backups with the audit key shown: an example key, never the real one, in a picture
    screen.tabs.setCurrentWidget(screen.backups)
    box = screen.backups.audit_key
    box.shown(SAMPLE_KEY)
    box.other.setText(SAMPLE_KEY[:35])
    box.apply_permissions()
    process_events()
    _shot(screen, folder, f"settings_audit_key_{state.lang}", saved)
    if screen.care is not None:   # Settings › Care: each section with its preview of tomorrow
        screen.tabs.setCurrentWidget(screen.care)
        for i, section in enumerate(screen.care.sections):
            screen.care.list.setCurrentRow(i)
            _wait(state, 3)
            day = section.showcase_day()   # a day with something to show (the calendar: its next greeting)
            if day is not None:
                from PySide6.QtCore import QDate

                section.preview.day.setDate(QDate(day.year, day.month, day.day))
                _wait(state, 3)
            section.preview.table.scrollToTop()
            _shot(screen, folder, f"settings_care_{section.SHOT}_{state.lang}", saved)
    _close(screen)
    return saved


def render_startup(state, folder: Path) -> list[Path]:
    """The first-run dialog (filled in) and the login dialog, in the current language."""
    from app.errors import render
    from app.ui.startup import FirstRunDialog, LoginDialog

    _styled()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lang = state.lang
    saved = []
    first = FirstRunDialog(state.ctx, lang=lang)
    first.currency.set_currency(state.settings.currency)
    first.region.set_region(state.settings.region)
    first.shop_name.setText(state.settings.shop_name)
    first.owner_name.setText(state.actor.name if state.actor.id else "Li Na")
    first.pin.setText("2468")
    first.pin_again.setText("2486")
    first.password.setText("tea-house-2026")
    first.password_again.setText("tea-house-2026")
    first._touch("pin_again")
    first.shop_name.deselect()
    first.adjustSize()
    first.show()
    process_events()
    _shot(first, folder, f"first_run_{lang}", saved)
    _close(first)

    login = LoginDialog(state.ctx)
    login.show()
    login.tasks.wait()
    process_events()
    login.pin.setText("1234")
    login._show(render(PermissionDenied("pin_wrong"), lang))
    login.adjustSize()
    process_events()
    _shot(login, folder, f"login_{lang}", saved)
    _close(login)
    return saved


def render_messages(state, folder: Path) -> list[Path]:
    """Each tab in the current language: the outbox with a text to settle chosen, the template
    editor on a birthday text with its preview."""
    from app.services.texts import templates
    from app.ui.texts.screen import TAB_FILES, MessagesScreen

    _styled()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    screen = MessagesScreen(state)
    screen.resize(1180, 760)
    screen.show()
    screen.activated()
    _wait(state, 3)
    rows = screen.outbox.model.rows
    pick = next((i for i, r in enumerate(rows) if r.status == "unknown"), None)
    if pick is not None:
        screen.outbox.table.setCurrentIndex(screen.outbox.model.index(pick, 0))
    screen.templates.kind.setCurrentIndex(screen.templates.kind.findData("birthday"))
    screen.templates.lang.setCurrentIndex(screen.templates.lang.findData(templates._lang(state.lang)))
    _wait(state, 2)
    saved: list[Path] = []
    _tabs(screen, TAB_FILES, "messages", folder, state.lang, saved)
    _tencent_gateway(screen, folder, state.lang, saved)
    _close(screen)
    return saved


def _tencent_gateway(screen, folder: Path, lang: str, saved: list[Path]) -> None:
    """Messages › Gateway set to Tencent Cloud SMS, filled in as a shop would (nothing is saved): two
    kinds still without an approved template are named."""
    from app.services.texts.tencent_config import TencentConfig, TencentTemplate, default_params

    tab = screen.gateway
    screen.tabs.setCurrentWidget(tab)
    ids = {"ebill_sale": "2134701", "ebill_refund": "2134702", "ebill_topup": "2134703", "birthday": "2134710",
           "holiday": "2134711", "tier_care": "2134712", "campaign": "2134720", "satisfaction": "2134730",
           "test": "2134799"}
    cfg = TencentConfig(secret_id="AKID" + "x" * 32, sdk_app_id="1400006666", sign_name="街角茶咖",
                        templates=tuple(TencentTemplate(k, v, default_params(k)) for k, v in ids.items()))
    tab.tencent.show_config(cfg, has_key=True)
    tab.kind.setCurrentIndex(tab.kind.findData("tencent"))
    tab.tencent.set_in_use(("ebill_sale", "ebill_refund", "ebill_topup", "birthday", "holiday", "tier_care",
                            "winback", "repurchase", "campaign", "satisfaction", "test"))
    process_events()
    _shot(screen, folder, f"messages_gateway_tencent_{lang}", saved)


def render_care(state, folder: Path) -> list[Path]:
    """Each tab in the current language, from the current database: the campaign with the most
    vouchers used chosen, a call-list task chosen, the knowledge base on a Chinese search."""
    from app.ui.care.screen import TAB_FILES, CareScreen

    _styled()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    screen = CareScreen(state)
    screen.resize(1180, 760)
    screen.show()
    screen.activated()
    screen.knowledge.query.setText("茶" if state.zh else "tea")
    _wait(state, 3)
    screen.knowledge.timer.stop()
    screen.knowledge.load()
    _wait(state, 1)
    rows = screen.campaigns.rows
    if rows:
        best = max(range(len(rows)), key=lambda i: rows[i].results.vouchers_redeemed)
        screen.campaigns.table.selectRow(best)
    if screen.calls.tasks_data:
        screen.calls.tasks.selectRow(0)
    if screen.today.data and screen.today.data.texts:
        screen.today.texts.selectRow(0)
    saved: list[Path] = []
    _tabs(screen, TAB_FILES, "care", folder, state.lang, saved)
    _close(screen)
    return saved


def render_owner_password(state, folder) -> list[Path]:
    """The owner's password asked for a manager's adjustment (after one wrong try), and the dialog that
    changes it, in the current language."""
    from app.services.base.context import Actor
    from app.ui.settings.owner_password import OwnerPasswordDialog, SetOwnerPasswordDialog

    _styled()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lang = state.lang
    saved = []
    manager = state.ctx.as_actor(Actor(None, "李店长" if state.zh else "Mia", "manager"))
    ask = OwnerPasswordDialog(state, "adjust_balance", ctx=manager)
    ask.show()
    state.tasks.wait()
    process_events()
    ask.password.setText("tea-house")
    ask.show_error(state.error_text(PermissionDenied("owner_password_wrong", left=4)))
    ask.adjustSize()
    process_events()
    _shot(ask, folder, f"owner_password_{lang}", saved)
    _close(ask)

    change = SetOwnerPasswordDialog(state, True)
    change.old.setText("corner-tea-2026")
    change.new.setText("corner-tea-2027")
    change.again.setText("corner-tea-2072")
    change.error.setText(state.error_text(ValidationError("owner_password_mismatch")))
    change.error.show()
    change.show()
    change.old.deselect()
    change.adjustSize()
    process_events()
    _shot(change, folder, f"owner_password_change_{lang}", saved)
    _close(change)
    return saved


def render_faults(state, folder) -> list[Path]:
    """fault_bar_<lang>.png: the main window as a failure nobody foresaw leaves it, in the current language."""
    from PySide6.QtCore import QCoreApplication

    from app.ui.main_window import MainWindow
    from app.ui.tasks import fault_text

    window = MainWindow(state)
    window.resize(1280, 800)
    window.show()
    window.fault_bar.show_fault(fault_text(QCoreApplication.translate("FaultBar", "printing the receipt")))
    process_events()
    state.tasks.wait()
    process_events()
    path = Path(folder) / f"fault_bar_{state.lang}.png"
    window.grab().save(str(path))
    _close(window)
    return [path]
