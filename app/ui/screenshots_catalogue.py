"""Screenshots of the catalogue: the Products tab (list, editor, import preview) and the Stock tab
with its dialogs. Driven as a person would, on the current database; used by app/ui/screenshots.py."""
from __future__ import annotations

from pathlib import Path

from app.i18n import is_han
from app.services.admin import showcase
from app.ui.screenshots import _close, _each_language, _pump, _settle, _shot, _styled


def render_products(state, folder, langs: tuple[str, ...] | None = None, import_file: str | None = None) -> list[Path]:
    """products_list_<lang> (or products_empty_<lang> in a shop without products), the product editor
    for a new product with an inline error (product_editor_<lang>), an existing one's
    (product_editor_edit_<lang>) and, given ``import_file``, the import preview (product_import_<lang>),
    in each of ``langs`` (default: the current language)."""
    from app.ui.products.products_tab import ProductsTab

    _styled()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    for lang in _each_language(state, langs or (state.lang,)):
        tab = ProductsTab(state)
        tab.resize(1180, 640)
        tab.show()
        _settle(state, 6)
        empty = tab.stack.currentIndex() == 1
        _shot(tab, out, f"products_{'empty' if empty else 'list'}_{lang}", saved)
        for pid, name in ((None, "product_editor"), (tab.selected_id(), "product_editor_edit")):
            if name.endswith("edit") and pid is None:
                continue
            tab.dialog = None
            tab.open_editor(pid)
            _settle(state, 6)
            e = tab.dialog
            if pid is None:
                e.name.setText("拿铁" if is_han(lang) else "Latte 拿铁")
                e.sku.setText("LT01")
                e.barcodes.set_codes(("6901234567892",))
                e.price.setText("28.505")
                for edit in list(e.tier_prices.values())[-1:]:
                    edit.setText("25")
            e.validate()
            _settle(state, 6)
            e.adjustSize()
            _pump()
            _shot(e, out, f"{name}_{lang}", saved)
            _close(e)
        if import_file:
            d = tab.open_import(import_file)        # the import wizard: its preview step
            _settle(state, 10)
            d.next()
            d.next()
            _settle(state, 10)
            _shot(d, out, f"product_import_{lang}", saved)
            _close(d)
        _close(tab)
        _pump()
    return saved


# --- every screen -----------------------------------------------------------------------------------


def render_stock(state, folder: str | Path) -> list[Path]:
    """stock_tab (every tracked product, the busiest one's history), stock_receive (a delivery typed,
    not recorded), stock_stocktake (counts typed, differences shown, not posted) and
    stock_pay_warning (the pay dialog's line for a sale below zero), in the current language, from
    the current database."""
    from app.ui.products.receive_dialog import ReceiveDialog
    from app.ui.products.screen import ProductsScreen
    from app.ui.products.stocktake_dialog import StocktakeDialog

    out, lang, saved = Path(folder), state.lang, []
    screen = ProductsScreen(state)
    screen.resize(1180, 720)
    screen.tabs.setCurrentWidget(screen.stock)
    screen.show()
    screen.activated()
    _settle(state)
    tab = screen.stock
    if tab.any_tracked:
        tab.show_combo.setCurrentIndex(1)
        _settle(state)
        busiest = showcase.busiest_stock(state.ctx)
        tab.list.selectRow(next((i for i, r in enumerate(tab.rows) if r.product_id == busiest), 0))
        _settle(state)
    _shot(screen, out, f"stock_tab_{lang}", saved)
    if tab.any_tracked:
        receive = ReceiveDialog(state)
        receive.show()
        # typed as at the till: the first two characters of the product's Chinese name, else its SKU
        shown = next((r for r in tab.rows if r.product_id == busiest), tab.rows[0])
        receive.finder.query.setText(shown.name[:2] if "\u4e00" <= shown.name[:1] <= "\u9fff" else shown.sku)
        receive.finder.search()
        _settle(state)
        receive.qty.setText("12")
        receive.cost.setText("34.00")
        receive.supplier.setText({"zh_CN": "云南豆仓", "zh_TW": "雲南豆倉"}.get(lang, "Yunnan Bean Co."))
        _pump()
        _shot(receive, out, f"stock_receive_{lang}", saved)
        _close(receive)
        count = StocktakeDialog(state)
        count.resize(860, 560)
        count.show()
        _settle(state)
        for r, row in enumerate(count.rows[:4]):
            count.table.item(r, 3).setText(str(max(0, row.on_hand + (1 if r == 3 else -(r % 3)))))
        _pump()
        _shot(count, out, f"stock_stocktake_{lang}", saved)
        _close(count)
        # the till's pay dialog when a sale takes the product with the least stock below zero
        from app.services.sales import pricing
        from app.services.sales.cart import Cart, CartLine
        from app.ui.till.pay_dialog import PayDialog

        low = min(tab.rows, key=lambda r: r.on_hand)
        cart = Cart((CartLine(low.sku, max(1, low.on_hand + 2)),))
        pay = PayDialog(state, cart, pricing.price_cart(state.ctx, cart))
        pay.show()
        _settle(state)
        _shot(pay, out, f"stock_pay_warning_{lang}", saved)
        _close(pay)
    _close(screen)
    _pump()
    return saved
