"""A printed receipt: what it says (``Receipt``, built from the database) and how it reads as text.

``build_receipt(ctx, receipt_no)`` gathers one sale or refund; ``layout(receipt, width, lang)``
turns it into lines of text for 58 mm (32 columns) or 80 mm (48 columns) paper. Chinese and other
wide characters take two columns (``unicodedata.east_asian_width``), long names wrap, amounts are
right-aligned. Receipts are printed in the shop's language, so the labels come from the small
table below, not from Qt. No Qt and no escpos here: the adapters print the lines.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import i18n
from app.errors import PAYMENT_METHODS, NotFound, method_name
from app.i18n import NC_
from app.models import Member, Sale, Staff
from app.money import format_int, format_plain
from app.safe_text import clean, printable
from app.services.base import phones
from app.services.base.context import Ctx
from app.services.base.settings import load as load_settings


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    qty: int
    unit_price: int
    discount: int          # tier + manual discount of this line (positive on a sale)
    line_total: int
    exchange_points: int | None = None   # points the line was exchanged for (积分兑换)


@dataclass(frozen=True)
class ReceiptPayment:
    method: str            # cash, card, wallet, points, voucher, count_card, other
    amount: int            # applied to the sale (negative on a refund)
    tendered: int | None = None   # cash handed over
    change: int = 0               # cash given back
    points: int | None = None     # points redeemed
    reference: str | None = None  # voucher code, card slip number


@dataclass(frozen=True)
class Receipt:
    shop_name: str
    receipt_no: str
    created_at: datetime
    till: str
    cashier: str
    lines: tuple[ReceiptLine, ...]
    subtotal: int
    tier_discount: int
    manual_discount: int
    total: int
    payments: tuple[ReceiptPayment, ...]
    change: int
    currency: str = "CNY"
    lang: str = "zh_CN"
    member_name: str | None = None
    member_phone: str | None = None    # masked: 138****5678, never the full number
    points_earned: int = 0             # negative on a refund (points taken back)
    # The member's balances as they are NOW (when the receipt is built), not as they were at the time
    # of the sale: on a reprint of an old receipt they show today's points and stored value.
    points_balance: int | None = None
    wallet_balance: int | None = None
    is_refund: bool = False
    original_receipt_no: str | None = None
    reprint: bool = False
    printed_at: datetime | None = None   # when a reprint was made
    qr_payload: str | None = None
    approver: str | None = None        # a refund's approving manager (the cashier stays ``cashier``)
    member_qr: str | None = None       # the member's card number, printed as a QR code the till scans

    @property
    def has_cash(self) -> bool:
        return any(p.method == "cash" and p.amount for p in self.payments)


def build_receipt(ctx: Ctx, receipt_no: str, *, reprint: bool = False) -> Receipt:
    """The receipt of sale (or refund) ``receipt_no``; NotFound('sale_not_found') when there is none.

    The points and stored-value balances are the member's balances as of now (see Receipt)."""
    cfg = load_settings(ctx)
    number = (receipt_no or "").strip()
    with ctx.tx(write=False) as t:
        sale = t.s.execute(select(Sale).where(Sale.receipt_no == number)).scalar()
        if sale is None:
            raise NotFound("sale_not_found", receipt=number)
        cashier = ""
        if sale.staff_id is not None:
            cashier = t.s.execute(select(Staff.name).where(Staff.id == sale.staff_id)).scalar() or ""
        approver = None
        if sale.approved_by is not None and sale.kind == "refund":
            approver = t.s.execute(select(Staff.name).where(Staff.id == sale.approved_by)).scalar()
        member = t.s.get(Member, sale.member_id) if sale.member_id else None
        original = None
        if sale.original_sale_id is not None:
            original = t.s.execute(select(Sale.receipt_no).where(Sale.id == sale.original_sale_id)).scalar()
        # Every string from the database made printable here: a name holding ESC p 0 would open the
        # cash drawer, and rows written before input was checked exist (see app/safe_text.py).
        lines = tuple(ReceiptLine(printable(x.name), x.qty, x.unit_price, x.tier_discount + x.manual_discount,
                                  x.line_total, x.exchange_points) for x in sale.lines)
        payments = []
        for p in sale.payments:
            change = (p.tendered - p.amount) if (p.method == "cash" and p.tendered is not None) else 0
            payments.append(ReceiptPayment(p.method, p.amount, p.tendered, max(change, 0), p.points,
                                           printable(p.reference) if p.reference is not None else None))
        known = member is not None and member.erased_at is None
        return Receipt(
            shop_name=printable(cfg.shop_name), receipt_no=printable(sale.receipt_no), created_at=sale.created_at,
            till=printable(sale.till), cashier=printable(cashier), lines=lines, subtotal=sale.subtotal, tier_discount=sale.tier_discount,
            manual_discount=sale.manual_discount, total=sale.total, payments=tuple(payments),
            change=sale.change_given, currency=cfg.currency, lang=cfg.language,
            member_name=printable(member.name) if known else None,
            member_phone=printable(phones.mask(member.phone)) if known and member.phone else None,
            points_earned=sale.points_earned,
            points_balance=member.points_balance if known else None,
            wallet_balance=(member.wallet_principal + member.wallet_bonus) if known else None,
            is_refund=sale.kind == "refund", original_receipt_no=printable(original) if original else None,
            reprint=reprint, printed_at=ctx.now() if reprint else None, qr_payload=printable(sale.receipt_no),
            approver=printable(approver) if approver else None,
            member_qr=printable(member.card_no) if known and member.card_no else None)


def latest_receipt_no(ctx: Ctx, *, with_member: bool = False, till: str | None = None) -> str | None:
    """The newest sale's receipt number (of one till, and with a member, when asked); None if none."""
    q = select(Sale.receipt_no).where(Sale.kind == "sale")
    if with_member:
        q = q.where(Sale.member_id.is_not(None))
    if till:
        q = q.where(Sale.till == till)
    with ctx.tx(write=False) as t:
        return t.s.execute(q.order_by(Sale.created_at.desc(), Sale.id.desc()).limit(1)).scalar()


# --- text layout -----------------------------------------------------------------------------------
# label -> English (msgctxt receipt:<label>; translations in the shopcare PO). Receipts follow the
# shop's language, not the UI's.
LABELS: dict[str, str] = {
    "receipt": NC_("receipt:receipt", "Receipt"),
    "time": NC_("receipt:time", "Time"),
    "till": NC_("receipt:till", "Till"),
    "cashier": NC_("receipt:cashier", "Cashier"),
    "approved_by": NC_("receipt:approved_by", "Approved by"),
    "item": NC_("receipt:item", "Item"),
    "amount": NC_("receipt:amount", "Amount"),
    "discount": NC_("receipt:discount", "Discount"),
    "exchanged": NC_("receipt:exchanged", "Points exchanged"),
    "subtotal": NC_("receipt:subtotal", "Subtotal"),
    "tier_discount": NC_("receipt:tier_discount", "Member discount"),
    "manual_discount": NC_("receipt:manual_discount", "Discount"),
    "total": NC_("receipt:total", "TOTAL"),
    "refund_total": NC_("receipt:refund_total", "REFUND TOTAL"),
    "tendered": NC_("receipt:tendered", "Cash tendered"),
    "change": NC_("receipt:change", "Change"),
    "member": NC_("receipt:member", "Member"),
    "phone": NC_("receipt:phone", "Phone"),
    "points_earned": NC_("receipt:points_earned", "Points earned"),
    "points_reversed": NC_("receipt:points_reversed", "Points taken back"),
    "points_balance": NC_("receipt:points_balance", "Points balance"),
    "wallet_balance": NC_("receipt:wallet_balance", "Stored value balance"),
    "refund": NC_("receipt:refund", "*** REFUND ***"),
    "original": NC_("receipt:original", "Original receipt"),
    "reprint": NC_("receipt:reprint", "*** REPRINT ***"),
    "reprinted": NC_("receipt:reprinted", "Reprinted"),
    "thanks": NC_("receipt:thanks", "Thank you, see you soon!"),
    "field": NC_("receipt:field", "{label}: {value}"),
    "points_used": NC_("receipt:points_used", "{points} pts"),
    "member_qr": NC_("receipt:member_qr", "Member code: show it at the till"),
}
METHODS = PAYMENT_METHODS   # one name per payment method: app/errors.py


def label(key: str, lang: str, **params: object) -> str:
    return i18n.entry(lang, LABELS[key], context="receipt:" + key, **params)


def items_line(count: int, lang: str) -> str:
    """"1 item" / "3 items": the plural the language uses."""
    return i18n.ngettext(lang, "{n} item", "{n} items", count).format(n=format_int(count, lang))


def char_width(ch: str) -> int:
    """Columns a character takes on a receipt printer: 2 for wide/full-width (Chinese), 0 for
    combining marks and control characters, else 1."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


# A token is one wide character, a run of other non-space characters, or a run of spaces.
_TOKENS = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
                     r"|[^\s\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]+"
                     r"|\s+")


def wrap(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` display columns: at spaces between words, between any two Chinese
    characters, and inside a word only when the word alone is wider than the line."""
    text = " ".join((text or "").split())
    if not text:
        return [""]
    lines: list[str] = []
    cur, cur_w = "", 0
    for tok in _TOKENS.findall(text):
        w = text_width(tok)
        if tok.isspace():
            if cur and cur_w + w <= width:
                cur, cur_w = cur + tok, cur_w + w
            elif cur:
                lines.append(cur)
                cur, cur_w = "", 0
            continue
        if cur_w + w <= width:
            cur, cur_w = cur + tok, cur_w + w
            continue
        if cur:
            lines.append(cur.rstrip())
            cur, cur_w = "", 0
        while w > width:  # a word longer than the line: cut it by characters
            head, head_w = "", 0
            for ch in tok:
                if head_w + char_width(ch) > width:
                    break
                head, head_w = head + ch, head_w + char_width(ch)
            lines.append(head)
            tok = tok[len(head):]
            w = text_width(tok)
        cur, cur_w = tok, w
    if cur.strip():
        lines.append(cur.rstrip())
    return lines or [""]


def pad_right(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def center(text: str, width: int) -> list[str]:
    out = []
    for line in wrap(text, width):
        gap = width - text_width(line)
        out.append(" " * (gap // 2) + line)
    return out


def two_columns(left: str, right: str, width: int) -> list[str]:
    """``left`` and ``right`` on one line, ``right`` flush right; ``left`` wraps when both do not fit."""
    rw = text_width(right)
    if text_width(left) + (1 if left and right else 0) + rw <= width:
        return [left + " " * (width - text_width(left) - rw) + right]
    if rw >= width - 4:  # no room beside it: the right part gets a line of its own
        return wrap(left, width) + [" " * max(0, width - rw) + right]
    lines = wrap(left, width - rw - 1)
    last = lines[-1]
    return lines[:-1] + [last + " " * (width - text_width(last) - rw) + right]


def layout(receipt: Receipt, width_chars: int, lang: str | None = None, *, include_shop_name: bool = True) -> list[str]:
    """The receipt as lines of text no wider than ``width_chars`` display columns (32 for 58 mm paper,
    48 for 80 mm). ``lang`` defaults to the receipt's (the shop's) language."""
    w = max(int(width_chars), 16)
    lang = lang or receipt.lang
    cur = receipt.currency

    def money(minor: int) -> str:
        return format_plain(minor, cur, lang)

    def lbl(key: str, **params: object) -> str:
        return label(key, lang, **params)

    rule = "-" * w
    out: list[str] = []
    if include_shop_name:
        out += center(receipt.shop_name, w)
    if receipt.reprint:
        out += center(lbl("reprint"), w)
    if receipt.is_refund:
        out += center(lbl("refund"), w)
    out.append(rule)

    def field(key: str, value: object) -> str:
        return lbl("field", label=lbl(key), value=value)

    out += wrap(field('receipt', receipt.receipt_no), w)
    if receipt.is_refund and receipt.original_receipt_no:
        out += wrap(field('original', receipt.original_receipt_no), w)
    out += wrap(field('time', f"{receipt.created_at:%Y-%m-%d %H:%M:%S}"), w)
    till = field('till', receipt.till)
    if receipt.cashier:
        out += two_columns(till, field('cashier', receipt.cashier), w)
    else:
        out += wrap(till, w)
    if receipt.approver:
        out += wrap(field('approved_by', receipt.approver), w)
    out.append(rule)
    out += two_columns(lbl("item"), lbl("amount"), w)
    out.append(rule)
    for line in receipt.lines:
        out += wrap(line.name, w)
        detail = f"  {format_int(line.qty, lang)} x {money(line.unit_price)}"
        out += two_columns(detail, money(line.qty * line.unit_price), w)
        if line.discount:
            out += two_columns(f"  {lbl('discount')}", money(-line.discount), w)
        if line.exchange_points:
            out += two_columns(f"  {lbl('exchanged')}", format_int(line.exchange_points, lang), w)
    out.append(rule)
    count = sum(abs(x.qty) for x in receipt.lines)
    out += wrap(items_line(count, lang), w)
    out += two_columns(lbl("subtotal"), money(receipt.subtotal), w)
    if receipt.tier_discount:
        out += two_columns(lbl("tier_discount"), money(-receipt.tier_discount), w)
    if receipt.manual_discount:
        out += two_columns(lbl("manual_discount"), money(-receipt.manual_discount), w)
    # Plain amounts, even the total: "¥" (U+00A5) is not in the GBK set most receipt printers know.
    out += two_columns(lbl("refund_total" if receipt.is_refund else "total"), money(receipt.total), w)
    out.append(rule)
    for p in receipt.payments:
        name = method_name(p.method, lang)
        if p.method == "points" and p.points:
            name += " (" + lbl("points_used", points=format_int(abs(p.points), lang)) + ")"
        elif p.method == "voucher" and p.reference:
            name += f" {p.reference}"
        out += two_columns(name, money(p.amount), w)
        if p.method == "cash" and p.tendered is not None and p.tendered != p.amount:
            out += two_columns(f"  {lbl('tendered')}", money(p.tendered), w)
            out += two_columns(f"  {lbl('change')}", money(p.change), w)
    if receipt.member_name is not None:
        out.append(rule)
        who = receipt.member_name + (f" {receipt.member_phone}" if receipt.member_phone else "")
        out += wrap(field('member', who), w)
        if receipt.points_earned:
            key = "points_reversed" if receipt.points_earned < 0 else "points_earned"
            out += two_columns(lbl(key), format_int(abs(receipt.points_earned), lang), w)
        if receipt.points_balance is not None:
            out += two_columns(lbl("points_balance"), format_int(receipt.points_balance, lang), w)
        if receipt.wallet_balance is not None:
            out += two_columns(lbl("wallet_balance"), money(receipt.wallet_balance), w)
    out.append(rule)
    if receipt.reprint and receipt.printed_at is not None:
        out += wrap(field('reprinted', f"{receipt.printed_at:%Y-%m-%d %H:%M:%S}"), w)
    out += center(lbl("thanks"), w)
    # A Receipt may be made elsewhere than build_receipt (the UI, tests): no line leaves here with a
    # control character. They take no columns (char_width), so removing them keeps the layout.
    return [clean(line) for line in out]


def qr_blocks(receipt: Receipt, width_chars: int, lang: str | None = None) -> list[tuple[list[str], str]]:
    """What prints below the text, as (caption lines, QR payload): the receipt's number, then the
    member's code (their card number: scanned at the till, it attaches the member)."""
    lang = lang or receipt.lang
    out: list[tuple[list[str], str]] = []
    if receipt.qr_payload:
        out.append(([], clean(receipt.qr_payload)))
    if receipt.member_qr:
        out.append(([clean(x) for x in center(label("member_qr", lang), width_chars)], clean(receipt.member_qr)))
    return out


def demo_receipt(lang: str = "zh_CN") -> Receipt:
    """A believable receipt that needs no database: for test prints and layout previews."""
    return Receipt(
        shop_name="街角茶咖 Corner Tea & Coffee", receipt_no="T1-000128", created_at=datetime(2026, 3, 2, 10, 15, 0),
        till="T1", cashier="李娜",
        lines=(ReceiptLine("Coffee beans 250g 咖啡豆", 2, 5800, 580, 11020),
               ReceiptLine("Green tea 绿茶", 1, 3300, 0, 3300)),
        subtotal=14900, tier_discount=580, manual_discount=0, total=14320,
        payments=(ReceiptPayment("wallet", 10000), ReceiptPayment("cash", 4320, 5000, 680)), change=680,
        lang=lang, member_name="王芳", member_phone="138****8000", points_earned=143, points_balance=1268,
        wallet_balance=25000, qr_payload="T1-000128", member_qr="8800012345")
