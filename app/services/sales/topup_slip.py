"""The top-up slip (充值小票): the member's proof of stored value paid in, printed on the receipt
printer after the top-up has committed (never undoing it), like a sale's receipt.

It says the amount paid, the bonus, how it was paid, the balance right after this top-up (the sum
of the member's wallet ledger up to its entry, so a reprint shows the same figure), the member
with a masked phone, the time and the cashier. Printed in the shop's language.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app import i18n
from app.errors import NotFound, ShopError, method_name
from app.i18n import NC_
from app.models import Member, Staff, Topup, WalletEntry
from app.money import format_plain
from app.safe_text import clean, printable
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.localconfig import TillConfig
from app.services.base.ports import ReceiptPrinter
from app.services.base.settings import load as load_settings
from app.services.sales.printing import PrintOutcome, _failed
from app.services.sales.receipt import center, two_columns, wrap

log = logging.getLogger(__name__)

LABELS: dict[str, str] = {
    "title": NC_("slip:title", "TOP-UP SLIP"),
    "reprint": NC_("slip:reprint", "*** REPRINT ***"),
    "number": NC_("slip:number", "Top-up no."),
    "time": NC_("slip:time", "Time"),
    "till": NC_("slip:till", "Till"),
    "cashier": NC_("slip:cashier", "Cashier"),
    "member": NC_("slip:member", "Member"),
    "amount": NC_("slip:amount", "Paid in"),
    "bonus": NC_("slip:bonus", "Bonus"),
    "added": NC_("slip:added", "Added to stored value"),
    "method": NC_("slip:method", "Paid by"),
    "balance": NC_("slip:balance", "New balance"),
    "refunded": NC_("slip:refunded", "This top-up has been refunded"),
    "thanks": NC_("slip:thanks", "Thank you, see you soon!"),
    "field": NC_("slip:field", "{label}: {value}"),
}


@dataclass(frozen=True)
class TopupSlip:
    shop_name: str
    topup_id: int
    created_at: datetime
    till: str
    cashier: str
    member_name: str
    member_phone: str        # masked: 138****5678
    amount: int
    bonus: int
    pay_method: str          # cash or card
    balance_after: int       # principal + bonus right after this top-up
    currency: str = "CNY"
    lang: str = "zh_CN"
    refunded: bool = False
    reprint: bool = False

    @property
    def heading(self) -> str:
        return self.shop_name


def label(key: str, lang: str, **params: object) -> str:
    return i18n.entry(lang, LABELS[key], context="slip:" + key, **params)


def build_topup_slip(ctx: Ctx, topup_id: int, *, reprint: bool = False) -> TopupSlip:
    """The slip of top-up ``topup_id``; NotFound('topup_not_found') when there is none."""
    cfg = load_settings(ctx)
    with ctx.tx(write=False) as t:
        row = t.s.get(Topup, topup_id) if isinstance(topup_id, int) and not isinstance(topup_id, bool) else None
        if row is None:
            raise NotFound("topup_not_found", id=topup_id)
        member = t.s.get(Member, row.member_id)
        entry_id = t.s.execute(select(func.min(WalletEntry.id)).where(WalletEntry.topup_id == row.id,
                                                                     WalletEntry.kind == "topup")).scalar()
        balance = t.s.execute(select(func.coalesce(func.sum(WalletEntry.principal + WalletEntry.bonus), 0))
                              .where(WalletEntry.member_id == row.member_id,
                                     WalletEntry.id <= (entry_id or 0))).scalar()
        cashier = ""
        if row.staff_id is not None:
            cashier = t.s.execute(select(Staff.name).where(Staff.id == row.staff_id)).scalar() or ""
        known = member is not None and member.erased_at is None
        return TopupSlip(
            shop_name=printable(cfg.shop_name), topup_id=row.id, created_at=row.created_at,
            till=printable(row.till or ""), cashier=printable(cashier),
            member_name=printable(member.name) if known else "",
            member_phone=printable(phones.mask(member.phone)) if known and member.phone else "",
            amount=row.amount, bonus=row.bonus, pay_method=row.pay_method, balance_after=int(balance),
            currency=cfg.currency, lang=cfg.language, refunded=row.status == "refunded", reprint=reprint)


def layout_slip(slip: TopupSlip, width_chars: int, lang: str | None = None, *,
                include_shop_name: bool = True) -> list[str]:
    """The slip as lines no wider than ``width_chars`` columns (32 on 58 mm paper, 48 on 80 mm)."""
    w = max(int(width_chars), 16)
    lang = lang or slip.lang

    def money(minor: int) -> str:
        return format_plain(minor, slip.currency, lang)

    def field(key: str, value: object) -> list[str]:
        return wrap(label("field", lang, label=label(key, lang), value=value), w)

    rule = "-" * w
    out: list[str] = []
    if include_shop_name:
        out += center(slip.shop_name, w)
    out += center(label("title", lang), w)
    if slip.reprint:
        out += center(label("reprint", lang), w)
    out.append(rule)
    out += field("number", slip.topup_id)
    out += field("time", f"{slip.created_at:%Y-%m-%d %H:%M:%S}")
    out += field("till", slip.till)
    if slip.cashier:
        out += field("cashier", slip.cashier)
    if slip.member_name or slip.member_phone:
        out += field("member", " ".join(x for x in (slip.member_name, slip.member_phone) if x))
    out.append(rule)
    out += two_columns(label("amount", lang), money(slip.amount), w)
    out += two_columns(label("bonus", lang), money(slip.bonus), w)
    out += two_columns(label("added", lang), money(slip.amount + slip.bonus), w)
    out += two_columns(label("method", lang), method_name(slip.pay_method, lang), w)
    out.append(rule)
    out += two_columns(label("balance", lang), money(slip.balance_after), w)
    if slip.refunded:
        out += wrap(label("refunded", lang), w)
    out.append(rule)
    out += center(label("thanks", lang), w)
    return [clean(line) for line in out]


def print_topup_slip(ctx: Ctx, topup_id: int, printer: ReceiptPrinter, cfg: TillConfig, *,
                     reprint: bool = False) -> PrintOutcome:
    """Build and print the slip of ``topup_id``; the outcome, never an exception (the top-up is
    already recorded). The drawer opens for cash paid in, on the first print only."""
    lines: tuple[str, ...] = ()
    try:
        slip = build_topup_slip(ctx, topup_id, reprint=reprint)
        lines = tuple(layout_slip(slip, cfg.width_chars))
        drawer = bool(cfg.open_drawer and slip.pay_method == "cash" and not reprint)
        printer.print_slip(slip.heading, layout_slip(slip, cfg.width_chars, include_shop_name=False),
                           open_drawer=drawer)
    except Exception as exc:  # never into the top-up: report it
        if not isinstance(exc, ShopError):
            log.exception("printing the slip of top-up %s failed", topup_id)
        return _failed(exc, lines, None)
    return PrintOutcome(True, preview_lines=lines, drawer_opened=drawer)


def demo_slip(lang: str = "zh_CN") -> TopupSlip:
    """A believable slip that needs no database: for layout previews and screenshots."""
    return TopupSlip(shop_name="街角茶咖 Corner Tea & Coffee", topup_id=1024, created_at=datetime(2026, 3, 2, 10, 20, 0),
                     till="T1", cashier="李娜", member_name="王芳", member_phone="138****8000", amount=50000,
                     bonus=5000, pay_method="cash", balance_after=80000, lang=lang)
