"""What every screen shares: the service context, the task runner, settings, language and formats."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from babel.dates import format_date, format_datetime, format_time
from PySide6.QtCore import QObject, Signal

from app.errors import ShopError, render
from app.i18n import babel_locale, is_han, pick
from app.money import format_int, format_money, format_plain
from app.services.base import settings as shop_settings
from app.services.base.context import Actor, Ctx
from app.ui.tasks import DOING, TaskRunner, fault_text


class AppState(QObject):
    sale_recorded = Signal(object)     # a checkout.SaleResult or refunds.RefundResult
    member_changed = Signal(int)       # member id whose data changed
    settings_changed = Signal()
    actor_changed = Signal(object)

    def __init__(self, ctx: Ctx, tasks: TaskRunner | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks or TaskRunner(self)
        self.settings = shop_settings.load(ctx)
        self.sender = None   # the app's background sender (app/ui/texts/background_sender.py) once started
        self.care = None     # the app's care engine runs (app/ui/care/background_care.py) once started

    # --- who and where ---
    @property
    def actor(self) -> Actor:
        return self.ctx.actor

    def set_actor(self, actor: Actor) -> None:
        self.ctx = replace(self.ctx, actor=actor, owner_ok=None)
        self.actor_changed.emit(actor)

    # --- the owner's password, kept while a settings screen is shown ---
    def keep_owner(self, ctx: Ctx) -> None:
        """Use ``ctx`` (from auth.confirm_owner) for the calls that follow, until ``forget_owner``."""
        self.ctx = ctx

    def forget_owner(self) -> None:
        """Leaving the screen: the next change asks for the owner's password again."""
        if self.ctx.owner_ok is not None:
            self.ctx = self.ctx.without_owner()

    def reload_settings(self) -> None:
        self.settings = shop_settings.load(self.ctx)
        self.settings_changed.emit()

    @property
    def lang(self) -> str:
        return self.settings.language

    @property
    def zh(self) -> bool:
        return is_han(self.lang)

    # --- formats (only the edge formats), in the shop's language and region (en + GB: 28 Nov 2026) ---
    @property
    def locale(self) -> str:
        return self.settings.format_locale

    def money(self, minor: int | None) -> str:
        return "" if minor is None else format_money(minor, self.settings.currency, self.locale)

    def plain(self, minor: int | None) -> str:
        return "" if minor is None else format_plain(minor, self.settings.currency, self.locale)

    def number(self, value: int | None) -> str:
        return "" if value is None else format_int(value, self.locale)

    def date(self, d: date | None) -> str:
        return "" if d is None else format_date(d, "medium", locale=self.locale)

    def datetime(self, dt: datetime | None) -> str:
        if dt is None:
            return ""
        return format_datetime(dt, "yyyy-MM-dd HH:mm", locale=babel_locale(self.lang))

    def time(self, dt: datetime | None) -> str:
        return "" if dt is None else format_time(dt, "HH:mm", locale=babel_locale(self.lang))

    def tier_name(self, en: str | None, zh: str | None) -> str:
        """A tier's name as this reader sees it: the shop's own, or a default one in their Chinese."""
        return pick(self.lang, en or "", zh or "", context="tier")

    def error_text(self, exc: BaseException) -> str:
        """A failure in the user's language: the catalogue for ShopErrors; anything else is one plain
        sentence naming what the task was doing, never the raw exception (its traceback is in the
        log: app/ui/tasks.py)."""
        if isinstance(exc, ShopError):
            return render(exc, self.lang)
        return fault_text(getattr(exc, DOING, None))

    def role_allowed(self, action: str) -> bool:
        from app.services.base import permissions

        return permissions.allowed(self.ctx, action)
