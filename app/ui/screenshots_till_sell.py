"""The till selling anything, for docs/screenshots (called by screenshots.render_till_sell): at
1366 × 768, the favourites grid beside a cart with member prices on its lines, an open-price line and
a line exchanged for points; the search list; the open-price key; a new product from an unknown code."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.i18n import is_han
from app.services.admin import showcase
from app.ui.screenshots import _close, _settle_till, _shot


def render(state, folder, langs: tuple[str, ...] | None = None) -> list[Path]:
    from PySide6.QtCore import QEventLoop

    from app.ui import i18n
    from app.ui.till.new_product_dialog import NewProductDialog
    from app.ui.till.open_price_dialog import OpenPriceDialog
    from app.ui.till.screen import TillScreen

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    original = state.settings
    show = showcase.till_sell_showcase(state.ctx)
    try:
        for lang in langs or (state.lang,):
            if langs:
                i18n.install(lang)
            state.settings = replace(original, language=lang)
            till = TillScreen(state)
            till.resize(1366, 768)
            till.show()
            _settle_till(state)
            if show.member_id is not None:
                till.member_bar.attach(show.member_id)
                _settle_till(state)
            for sku in show.member_price_skus:
                till.scan(sku)
                _settle_till(state)
            till.add_open_line(1500, "")
            _settle_till(state)
            if show.exchange_sku:
                till.scan(show.exchange_sku)
                _settle_till(state)
                till.exchange_points()
                _settle_till(state)
            till.select_row(till.model.rowCount() - 1)
            _settle_till(state)
            _shot(till, folder, f"till_sell_{lang}", saved)

            till.entry.setText(show.search)
            till.search_list.search()
            _settle_till(state)
            till.search_list.setCurrentRow(0)
            QEventLoop().processEvents()
            _shot(till, folder, f"till_search_{lang}", saved)
            till.search_list.close_list()
            till.entry.clear()

            dialog = OpenPriceDialog(state, till)
            dialog.show()
            _settle_till(state)
            dialog.amount.setText("15")
            _shot(dialog, folder, f"till_open_price_{lang}", saved)
            dialog.reject()

            dialog = NewProductDialog(state, "6901234567892", till)
            dialog.show()
            _settle_till(state)
            dialog.name.setText("乌龙茶饮料 500ml" if is_han(lang) else "Oolong tea drink 500ml")
            dialog.price.setText("6.50")
            _shot(dialog, folder, f"till_new_product_{lang}", saved)
            dialog.reject()
            _close(till)
    finally:
        state.settings = original
        if langs:
            i18n.install(original.language)
    return saved

