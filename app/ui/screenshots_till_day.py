"""Pictures of a day at the till (app/ui/screenshots.py calls ``render``): the main window with the
till at 1366×768, the lock screen, and a top-up slip as the on-screen preview shows it, in each
language. Nothing is written to the database: the lock screen is opened without holding a cart."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.i18n import LANGUAGES


def render(state, folder) -> list[Path]:
    from PySide6.QtCore import QSize

    from app.services.admin import showcase
    from app.services.base import localconfig
    from app.services.ledger import wallet
    from app.services.sales import topup_slip
    from app.ui import i18n
    from app.ui.main_window import MainWindow
    from app.ui.screenshots import _close, _settle_till, _shot, process_events
    from app.ui.till.receipt_preview import ReceiptPreviewDialog

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    ctx = state.ctx
    show = showcase.till_showcase(ctx)
    slip = None
    if show.member_id is not None:
        tops = wallet.topups_for(ctx, show.member_id, limit=1)
        if tops:
            slip = topup_slip.build_topup_slip(ctx, tops[0].id)
    width = localconfig.load().width_chars
    original = state.settings
    try:
        for lang in LANGUAGES:
            i18n.install(lang)
            state.settings = replace(original, language=lang)
            window = MainWindow(state)
            # a maximised window on a 1366×768 screen, less the task bar and title bar
            window.resize(1366, 708)
            window.show()
            till = window.screens["till"]
            for i, sku in enumerate(show.cart_skus):
                till.scan(sku, 2 if i == 0 else 1)
                _settle_till(state)
            if show.member_id is not None:
                till.member_bar.attach(show.member_id)
                _settle_till(state)
            till.select_row(0)
            _settle_till(state)
            _shot(window, out, f"till_1366x768_{lang}", saved)
            window.till_lock.screen.open(state.actor.name, state.time(ctx.clock.now()))
            _settle_till(state)
            _shot(window, out, f"till_lock_{lang}", saved)
            window.till_lock.screen.hide()
            till.clear_cart()   # nothing to hold when the window closes
            _close(window)

            shown = replace(slip, lang=lang) if slip is not None else topup_slip.demo_slip(lang)
            dialog = ReceiptPreviewDialog(state, topup_slip.layout_slip(shown, width, lang), title=i18n_title())
            dialog.resize(dialog.sizeHint().expandedTo(QSize(440, 600)))
            dialog.show()
            process_events()
            _shot(dialog, out, f"topup_slip_{lang}", saved)
            _close(dialog)
    finally:
        state.settings = original
        i18n.install(original.language)
    return saved


def i18n_title() -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("TopupSlip", "Top-up slip")
