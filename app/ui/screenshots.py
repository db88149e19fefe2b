"""``shopcare --screenshots DIR [--lang en|zh_CN|zh_TW]``: render each main screen offscreen, with the
current database, to PNG files, and exit.

One ``render_<screen>(state, folder)`` per screen, in ``SCREENS``. The screens are driven as a person
drives them; the examples they show (a member with a birthday this week, a sale to refund, the last
day with sales) are picked by a service (``app.services.admin.showcase``), never queried from here."""
from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from app.i18n import LANGUAGES, is_han
from app.services.admin import showcase
from app.services.members import member_list
from app.ui.tasks import process_events


# --- shared -----------------------------------------------------------------------------------------
def _pump() -> None:
    """Run the pending events once.

    A QEventLoop's processEvents, not QCoreApplication.processEvents: on PySide6 6.12 with CPython
    3.11 the static one drops a reference to None on every call, and a few thousand calls abort."""
    from PySide6.QtCore import QEventLoop

    QEventLoop().processEvents()


def _styled() -> None:
    """Rendered outside the app (tests): the same look as the app."""
    from PySide6.QtWidgets import QApplication

    from app.ui import style

    if not QApplication.instance().styleSheet():
        style.apply(QApplication.instance())


def _shot(widget, folder: Path, name: str, saved: list[Path]) -> None:
    """``widget`` as ``<folder>/<name>.png``, added to ``saved``."""
    path = Path(folder) / f"{name}.png"
    widget.grab().save(str(path))
    saved.append(path)


def _close(widget) -> None:
    widget.close()
    widget.deleteLater()


def _wait(state, rounds: int) -> None:
    """Let the worker finish and its results arrive, ``rounds`` times."""
    for _ in range(rounds):
        state.tasks.wait()
        process_events()


def _each_language(state, langs=tuple(LANGUAGES)):
    """Each of ``langs`` in turn, its translations installed and ``state.settings`` in it; the
    shop's own language back afterwards."""
    from app.ui import i18n

    original = state.settings
    try:
        for lang in langs:
            i18n.install(lang)
            state.settings = replace(original, language=lang)
            yield lang
    finally:
        state.settings = original
        i18n.install(original.language)


def _tabs(screen, names, prefix: str, folder: Path, lang: str, saved: list[Path]) -> None:
    """Each of ``screen.tabs`` in turn as ``<prefix>_<name>_<lang>.png``."""
    for i, name in enumerate(names):
        screen.tabs.setCurrentIndex(i)
        process_events()
        _shot(screen, folder, f"{prefix}_{name}_{lang}", saved)


# --- till -------------------------------------------------------------------------------------------
def _settle_till(state, rounds: int = 50) -> None:
    """Let queued results arrive and debounced pricing run."""
    from PySide6.QtCore import QEventLoop

    from app.ui.till.screen import REPRICE_MS

    loop = QEventLoop()
    for _ in range(rounds):
        state.tasks.wait()
        loop.processEvents()
        time.sleep(REPRICE_MS / 1000 + 0.02)
        loop.processEvents()
        state.tasks.wait()
        loop.processEvents()
        if not state.tasks.busy:
            return


def render_till(state, folder, langs: tuple[str, ...] | None = None) -> list[Path]:
    """The till with a member and a 4-line cart, the pay dialog mid-split, the refund dialog and the
    member pick list, from the current database, as ``<name>_<lang>.png`` in each of ``langs``
    (default: the language already installed, ``state.lang``)."""
    from app.services.members import members as members_service
    from app.ui import i18n
    from app.ui.till.member_bar import MemberPickDialog
    from app.ui.till.pay_dialog import PayDialog
    from app.ui.till.refund_dialog import RefundDialog
    from app.ui.till.screen import TillScreen

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    original = state.settings
    ctx = state.ctx
    show = showcase.till_showcase(ctx)
    chosen = show.member_id
    picks = members_service.find_members(ctx, show.shared_last4) if show.shared_last4 else []
    if len(picks) < 2 and chosen is not None:
        name = members_service.get_member(ctx, chosen).name[:1]
        picks = members_service.find_members(ctx, name, limit=6)
    try:
        for lang in langs or (state.lang,):
            if langs:
                i18n.install(lang)
            state.settings = replace(original, language=lang)
            till = TillScreen(state)
            till.resize(1280, 760)
            till.show()
            for i, sku in enumerate(show.cart_skus):
                till.scan(sku, 2 if i == 0 else 1)
                _settle_till(state)
            if chosen is not None:
                till.member_bar.attach(chosen)
                _settle_till(state)
            _settle_till(state)
            till.select_row(0)
            _shot(till, folder, f"till_{lang}", saved)

            if chosen is not None and till.model.fresh():
                till.pay()
                _settle_till(state)
                dialog = till.dialog
                if isinstance(dialog, PayDialog):
                    dialog.wallet.setFocus()
                    dialog._default_wallet()
                    plan = dialog.plan()
                    rest = max(0, plan.total - plan.wallet)
                    cash = ((rest // 10000) + 1) * 10000 if rest else 0
                    dialog.cash.setText(state.plain(cash).replace(",", ""))
                    dialog.cash.setFocus()
                    _settle_till(state)
                    _shot(dialog, folder, f"till_pay_{lang}", saved)
                    dialog.reject()
            if show.refund_receipt:
                dialog = RefundDialog(state, show.refund_receipt, till, needs_approval=True)  # as a cashier sees it
                dialog.show()
                _settle_till(state)
                dialog.return_all()
                if dialog.detail is not None and len(dialog.detail.lines) > 1:
                    dialog.set_quantity(dialog.detail.lines[-1].line_no, 0)
                dialog.reason.setCurrentIndex(1)
                _settle_till(state)
                dialog.approver.choose("李店长")
                dialog.pin.setText("2468")
                dialog.run_preview()
                _settle_till(state)
                _shot(dialog, folder, f"till_refund_{lang}", saved)
                dialog.reject()
            if len(picks) >= 2:
                dialog = MemberPickDialog(state, picks, till)
                dialog.show()
                _settle_till(state)
                _shot(dialog, folder, f"till_member_pick_{lang}", saved)
                dialog.reject()
            _close(till)
    finally:
        state.settings = original
        if langs:
            i18n.install(original.language)
    return saved


def render_till_sell(state, folder, langs: tuple[str, ...] | None = None) -> list[Path]:
    """The till selling anything: grid, member prices, open price, points exchange, search, new product."""
    from app.ui.screenshots_till_sell import render

    return render(state, folder, langs)


# --- members ----------------------------------------------------------------------------------------
def _settle(state, rounds: int = 3) -> None:
    for _ in range(rounds):
        state.tasks.wait()
        _pump()


def render_members(state, folder: str | Path) -> list[Path]:
    """members_list, member_page (purchases, top-ups, points, stored value tabs), member_edit (with an
    inline error) and topup dialog, in each language of app.i18n.LANGUAGES, from the current database."""
    from app.ui.members.member_edit import MemberEditDialog
    from app.ui.members.screen import MembersScreen
    from app.ui.members.topup_dialog import TopupDialog

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    # A member with a long history who also holds stored value (else the biggest spender).
    best = member_list.first_page(state.ctx, "", "total_spent", True, 50).rows
    pick = next((r for r in best if r.balance > 0), best[0] if best else None)
    member_id = pick.id if pick else None
    for lang in _each_language(state):
        screen = MembersScreen(state)
        screen.resize(1180, 720)
        screen.show()
        _settle(state)
        _shot(screen, out, f"members_list_{lang}", saved)
        # sorted by points (its column header; read off ix_members_points_sort)
        from app.ui.members.member_model import SORT_COLUMN

        screen._header_clicked(SORT_COLUMN["points"])
        _settle(state)
        _shot(screen, out, f"members_list_points_{lang}", saved)

        if member_id is not None:
            page = screen.open_member(member_id)
            _settle(state)
            for i, tab in enumerate(("purchases", "topups", "points", "wallet")):
                page.tabs.setCurrentIndex(i)
                _pump()
                _shot(page, out, f"member_page_{tab}_{lang}", saved)
            page.close()

            dialog = TopupDialog(state, member_id, pick.name)
            dialog.show()
            dialog.amount.setText("500")
            dialog._ask_preview()
            _settle(state)
            dialog.adjustSize()
            _shot(dialog, out, f"topup_dialog_{lang}", saved)
            dialog.close()

        edit = MemberEditDialog(state, None)
        edit.show()
        edit.name.setText("王芳" if is_han(lang) else "Fang Wang")
        edit.phone.setText("1380013")
        edit.birthday.setText("1990-02-30")
        _pump()
        edit.adjustSize()
        _shot(edit, out, f"member_edit_{lang}", saved)
        edit.close()
        _close(screen)
        _pump()
    return saved


# --- settings and start-up --------------------------------------------------------------------------
def render_settings(state, folder: Path) -> list[Path]:
    """In app/ui/screenshots_office.py (the back office)."""
    from app.ui import screenshots_office

    return screenshots_office.render_settings(state, folder)


def render_startup(state, folder: Path) -> list[Path]:
    """In app/ui/screenshots_office.py (the back office)."""
    from app.ui import screenshots_office

    return screenshots_office.render_startup(state, folder)


# --- receipt ----------------------------------------------------------------------------------------
def render_receipt_preview(state, folder: str | Path) -> list[Path]:
    """receipt_preview_<lang>.png: the latest sale of a member with a card number (else of any member;
    a built-in demo receipt when there is none), laid out for this till's paper in each language of app.i18n.LANGUAGES, with the
    receipt's QR code and the member's below it."""
    from PySide6.QtCore import QSize

    from app.services.base import localconfig
    from app.services.sales.receipt import build_receipt, demo_receipt, latest_receipt_no, layout, qr_blocks
    from app.ui import i18n
    from app.ui.till.receipt_preview import ReceiptPreviewDialog

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    cfg = localconfig.load()
    from app.services.admin.showcase import receipt_with_member_code

    number = receipt_with_member_code(state.ctx) or latest_receipt_no(state.ctx, with_member=True)
    base = build_receipt(state.ctx, number) if number else demo_receipt()
    saved = []
    for lang in LANGUAGES:
        i18n.install(lang)
        receipt = replace(base, lang=lang)
        dialog = ReceiptPreviewDialog(state, layout(receipt, cfg.width_chars), receipt_no=number,
                                      qr_codes=qr_blocks(receipt, cfg.width_chars) if cfg.print_qr else ())
        # tall enough for the whole strip of paper, QR codes included
        dialog.resize(dialog.sizeHint().expandedTo(QSize(440, min(dialog.paper.height() + 170, 1400))))
        dialog.show()
        process_events()
        _shot(dialog, out, f"receipt_preview_{lang}", saved)
        _close(dialog)
    i18n.install(state.lang)
    return saved


# --- messages and care ------------------------------------------------------------------------------
def render_messages(state, folder: Path) -> list[Path]:
    """In app/ui/screenshots_office.py (the back office)."""
    from app.ui import screenshots_office

    return screenshots_office.render_messages(state, folder)


def render_care(state, folder: Path) -> list[Path]:
    """In app/ui/screenshots_office.py (the back office)."""
    from app.ui import screenshots_office

    return screenshots_office.render_care(state, folder)


# --- reports and analytics --------------------------------------------------------------------------
def render_reports(state, folder: str | Path) -> list[Path]:
    """reports_eod (the last day with sales), reports_statement (the best customer's last 90
    days) and the product sales tab, in the current language."""
    from app.ui.reports.screen import ReportsScreen, _qdate

    out = Path(folder)
    lang = state.lang
    last = showcase.last_sale_at(state.ctx)
    screen = ReportsScreen(state)
    screen.resize(1280, 800)
    screen.show()
    saved = []

    def settle():
        for _ in range(200):
            state.tasks.wait()
            process_events()
            if not state.tasks.busy:
                break
        for _ in range(3):  # the pages' layout and the desk's resize, posted by the last answer
            process_events()

    if last is not None:
        screen.day.setDate(_qdate(last.date()))
    screen.make_eod()
    settle()
    _shot(screen, out, f"reports_eod_{lang}", saved)
    # A good customer who came in during the last 60 days: a statement with movements on it.
    since = last - timedelta(days=60) if last is not None else None
    best = [r for r in member_list.first_page(state.ctx, "", "total_spent", True, 100).rows
            if since is not None and r.last_visit_at is not None and r.last_visit_at >= since]
    if best:
        screen.search.setText(best[0].name)
        screen.find_member()
        settle()
        if last is not None:
            screen.end.setDate(_qdate(last.date()))
            screen.start.setDate(_qdate(last.date() - timedelta(days=60)))
        screen.make_statement()
        settle()
        _shot(screen, out, f"reports_statement_{lang}", saved)
    _product_sales(screen, last, settle, out, lang, saved)
    _care_results(screen, last, settle, out, lang, saved)
    screen.close()
    return saved


def _product_sales(screen, last, settle, out: Path, lang: str, saved: list[Path]) -> None:
    """reports_products (the 30 days to the last sale, by product) and reports_categories."""
    from app.ui.reports.screen import _qdate

    panel = screen.products
    screen.tabs.setCurrentWidget(panel)
    if last is not None:
        panel.end.setDate(_qdate(last.date()))
        panel.start.setDate(_qdate(last.date() - timedelta(days=29)))
    panel.reload()
    settle()
    panel.table.setFocus()   # not the date field's selected year
    _shot(screen, out, f"reports_products_{lang}", saved)
    panel.by.setCurrentIndex(panel.by.findData("category"))
    settle()
    _shot(screen, out, f"reports_categories_{lang}", saved)
    screen.tabs.setCurrentIndex(0)


def _care_results(screen, last, settle, out: Path, lang: str, saved: list[Path]) -> None:
    """reports_care: the care results of the 61 days to the last sale."""
    from app.ui.reports.screen import _qdate

    panel = screen.care
    screen.tabs.setCurrentWidget(panel)
    if last is not None:
        panel.end.setDate(_qdate(last.date()))
        panel.start.setDate(_qdate(last.date() - timedelta(days=60)))
    panel.reload()
    settle()
    panel.kinds.setFocus()
    _shot(screen, out, f"reports_care_{lang}", saved)
    screen.tabs.setCurrentIndex(0)


def render_stock(state, folder: str | Path) -> list[Path]:
    """The Stock tab and its dialogs (app/ui/screenshots_catalogue.py)."""
    from app.ui.screenshots_catalogue import render_stock as render

    return render(state, folder)


def render_analytics(state, folder: str | Path) -> list[Path]:
    """analytics_filling_<lang>.png (just opened, being filled) and analytics_<lang>.png in each
    language (app.i18n.LANGUAGES) from the current database."""
    from app.ui.reports.analytics import AnalyticsScreen

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    for lang in _each_language(state):
        screen = AnalyticsScreen(state)
        screen.resize(1180, 760)
        screen.show()
        screen.reload()
        # the first open: the screen at once with its busy bar, the figures still on the worker
        # (nothing delivered yet: no event has been processed since the reload)
        _shot(screen, out, f"analytics_filling_{lang}", saved)
        _wait(state, 3)
        _shot(screen, out, f"analytics_{lang}", saved)
        screen.close()
    return saved


# --- the owner's password ---------------------------------------------------------------------------
def render_owner_password(state, folder) -> list[Path]:
    """In app/ui/screenshots_office.py (the back office)."""
    from app.ui import screenshots_office

    return screenshots_office.render_owner_password(state, folder)


# --- products ---------------------------------------------------------------------------------------
def render_products(state, folder, langs: tuple[str, ...] | None = None, import_file: str | None = None) -> list[Path]:
    """The Products tab, the editor and the import preview (app/ui/screenshots_catalogue.py)."""
    from app.ui.screenshots_catalogue import render_products as render

    return render(state, folder, langs, import_file)


def render_faults(state, folder) -> list[Path]:
    """In app/ui/screenshots_office.py (the back office)."""
    from app.ui import screenshots_office

    return screenshots_office.render_faults(state, folder)


def render_till_day(state, folder) -> list[Path]:
    """The till at 1366×768, the lock screen and the top-up slip (app/ui/screenshots_till_day.py)."""
    from app.ui.screenshots_till_day import render

    return render(state, folder)


def render_import_wizard(state, folder) -> list[Path]:
    """Moving in: the import wizard's steps (app/ui/screenshots_wizard.py)."""
    from app.ui.screenshots_wizard import render

    return render(state, folder)


SCREENS = (render_till, render_till_sell, render_till_day, render_members, render_products, render_stock,
           render_settings, render_startup, render_receipt_preview, render_messages, render_care, render_reports,
           render_analytics, render_owner_password, render_faults, render_import_wizard)


def render_all(folder: Path, *, db_url: str | None = None, lang: str | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.services.base import settings as shop_settings
    from app.services.base.auth import list_staff
    from app.services.base.context import Actor, Ctx
    from app.ui import app as ui_app
    from app.ui import i18n
    from app.ui.main_window import MainWindow
    from app.ui.state import AppState

    ui_app.application([])
    ctx = ui_app.open_shop(db_url)
    cfg = shop_settings.load(ctx)
    lang = lang or cfg.language
    i18n.install(lang)
    owner = next((s for s in list_staff(ctx) if s.role == "owner" and s.active), None)
    actor = Actor(owner.id, owner.name, "owner") if owner else Actor(None, "owner", "owner")
    state = AppState(Ctx(db=ctx.db, actor=actor, till=ctx.till, clock=ctx.clock))
    if state.settings.language != lang:  # render in the language asked for, whatever the shop's setting
        state.settings = replace(state.settings, language=lang)
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.glob("*.png"))
    window = MainWindow(state)
    window.resize(1280, 800)
    window.show()
    process_events()
    state.tasks.wait()
    process_events()
    window.grab().save(str(folder / f"main_{lang}.png"))
    for render in SCREENS:
        render(state, folder)
        state.tasks.wait()
        process_events()
    window.close()
    ctx.db.dispose()
    return sorted(set(folder.glob("*.png")) - before | {folder / f"main_{lang}.png"})
