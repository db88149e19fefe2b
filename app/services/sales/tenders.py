"""What each tender pays, pure: the pay dialog's live figures and checkout's payments come from this one plan."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from app.money import round_half_up
from app.services.sales.cart import Tender


# --- what the tenders pay (pure: the pay dialog's live figures and checkout's payments) ----------
@dataclass(frozen=True)
class VoucherValue:
    """What plan_tenders needs of a voucher: ``amount`` (value in minor units) or ``percent`` (value in
    basis points of the total)."""
    kind: str
    value: int


@dataclass(frozen=True)
class PlannedPayment:
    """One non-cash tender: what it pays toward the sale, and what was still due when it came."""
    method: str
    amount: int                 # card / stored value: as given; points: their value; voucher: at most what is due
    due_before: int             # negative once earlier tenders came to more than the total
    points: int = 0             # points: how many
    voucher_code: str = ""      # voucher: its code (upper case)
    worth: int = 0              # voucher: what it takes off the total (percent: rounded half up)


@dataclass(frozen=True)
class TenderPlan:
    total: int
    payments: tuple[PlannedPayment, ...]   # the non-cash tenders, in the order given
    card: int
    wallet: int
    points: int                 # points redeemed
    points_value: int
    voucher: int                # what the vouchers pay
    non_cash: int               # card + stored value + points + vouchers
    cash_tendered: int          # cash handed over
    cash: int                   # cash kept for the sale
    change: int
    remaining: int              # still due after everything
    over: int                   # what the non-cash tenders come to beyond the total (checkout refuses it)


def voucher_discount(total: int, kind: str, value: int) -> int:
    """What a voucher takes off ``total``: its amount, or ``value`` basis points of the total, rounded
    half up (a 12% voucher on 9.99 takes 1.20)."""
    return value if kind == "amount" else round_half_up(total * value, 10_000)


def plan_tenders(total: int, tenders: Iterable[Tender], *, point_value: Callable[[int], int],
                 vouchers: Mapping[str, VoucherValue] | None = None) -> TenderPlan:
    """What each tender pays toward ``total``, the change and what remains, from values already
    checked. Non-cash tenders pay in the order given (a voucher pays at most what is still due: no
    change); cash, wherever it stands, comes last and is the only tender that gives change.

    ``point_value(points)`` is what points pay for (ShopSettings.point_value); ``vouchers`` maps an
    upper-case code to its VoucherValue (a code not in it, not looked up yet, pays nothing)."""
    vouchers = vouchers or {}
    due = total
    steps: list[PlannedPayment] = []
    cash_tendered = 0
    for tender in tenders:
        method = tender.method
        if method == "cash":
            cash_tendered += tender.amount
            continue
        if method == "points":
            step = PlannedPayment("points", point_value(tender.points), due, points=tender.points)
        elif method == "voucher":
            code = (tender.voucher_code or "").strip().upper()
            terms = vouchers.get(code)
            worth = voucher_discount(total, terms.kind, terms.value) if terms else 0
            step = PlannedPayment("voucher", min(worth, max(0, due)), due, voucher_code=code, worth=worth)
        else:
            step = PlannedPayment(method, tender.amount, due)
        steps.append(step)
        due -= step.amount
    cash = min(cash_tendered, max(0, due))

    def paid(method: str) -> int:
        return sum(s.amount for s in steps if s.method == method)

    return TenderPlan(total=total, payments=tuple(steps), card=paid("card"), wallet=paid("wallet"),
                      points=sum(s.points for s in steps), points_value=paid("points"), voucher=paid("voucher"),
                      non_cash=total - due, cash_tendered=cash_tendered, cash=cash, change=cash_tendered - cash,
                      remaining=max(0, due) - cash, over=max(0, -due))
