"""What the screens would otherwise load on the UI thread the first time they open, loaded on a
worker instead: by the main window once the till is ready (``MainWindow.start_warmup``, with the
background services), and by the first-run dialog for its languages. Not behind the log-in dialog:
a PIN typed at once waited for it (the GIL), and the till itself needs none of it (the number and
currency shapes and the compiled catalogue come from the user's cache).

The UI-thread watchdog (tests/ui_watchdog.py) found the first build of the till, of the member page
and of Settings › Care spending their time on one-off loads, not on their own work: the screens'
modules and what they import, babel's locale data for the shop's formats (number symbols, currency
and date patterns: app/money.py checks its plain formatting against babel once per locale) and the
compiled translation catalogue, pypinyin's tables for search keys; and full garbage collections
walking all of those. Each is loaded once per process and kept (modules, lru caches), so loading them
here first, then freezing them (:func:`freeze`), leaves the screens only their own work.

``warm`` is plain Python, safe on any thread: it creates no Qt object (importing a module of
widget classes defines the classes; it makes no widget).
"""
from __future__ import annotations

import importlib
from datetime import date, datetime

# The screens the window opens first, and the dialogs of the till's first sale (their modules import
# the rest of their screen).
MODULES = ("app.ui.main_window", "app.ui.till.screen", "app.ui.till.pay_dialog", "app.ui.till.refund_dialog",
           "app.ui.members.screen", "app.ui.members.member_page", "app.ui.care.screen",
           "app.ui.members.member_edit", "app.ui.members.topup_dialog", "app.ui.members.adjust_dialog",
           "app.ui.reports.screen", "app.ui.settings.screen", "app.ui.settings.backups_tab",
           "app.ui.settings.care_tab", "app.ui.settings.care_sections", "app.ui.settings.owner_password",
           "app.ui.startup")


def warm_catalogues(languages=None) -> None:
    """Compile (or read from the user's cache) the catalogues of ``languages`` (default: all)."""
    from app import i18n

    for lang in languages or i18n.LANGUAGES:
        for domain in i18n.DOMAINS:
            i18n.translations(i18n.normalise(lang), domain)


def warm_formats(lang: str, region: str | None, currency: str) -> None:
    """babel's data for the shop's formats: numbers, amounts, dates, as the screens format them."""
    from babel.dates import format_date, format_datetime

    from app import i18n
    from app.money import format_int, format_money, format_plain
    from app.services.base.region import format_locale

    locale = format_locale(lang, region)
    format_int(0, locale)
    format_plain(0, currency, locale)
    format_money(0, currency, locale)
    format_date(date(2026, 1, 1), "medium", locale=locale)
    format_date(date(2026, 1, 1), "EEE", locale=locale)
    format_datetime(datetime(2026, 1, 1, 9), "yyyy-MM-dd HH:mm", locale=i18n.babel_locale(lang))


def warm(lang: str, region: str | None = None, currency: str = "CNY") -> None:
    """Everything above, for a shop in ``lang`` / ``region`` / ``currency``; then the objects loaded
    so far are set aside from the garbage collector (see :func:`freeze`)."""
    from app.services.sales.search_keys import product_keys

    warm_catalogues([lang])
    warm_formats(lang, region, currency)
    for name in MODULES:
        importlib.import_module(name)
    product_keys("乌龙茶 Oolong", "WARM")   # pypinyin's tables (search keys)
    freeze()


def freeze() -> None:
    """Move every object alive now (modules, pypinyin's and babel's tables, the catalogues: hundreds
    of thousands of objects that live as long as the process) out of the collector's sight.

    A full collection walks every tracked object while holding the GIL: with those tables loaded it
    took 50-220 ms, on the UI thread or, from a worker, with the UI thread waiting for the GIL. The
    watchdog caught it as stalls at random places in screens' builds. Frozen objects are never
    freed; these never would be anyway. No ``gc.collect()`` first: it is that same pause."""
    import gc

    gc.freeze()


def warm_shop(ctx) -> None:
    """:func:`warm` for the shop ``ctx`` opens (its settings read in this worker's own transaction)."""
    from app.services.base import settings as shop_settings

    cfg = shop_settings.load(ctx)
    warm(cfg.language, cfg.region, cfg.currency)
