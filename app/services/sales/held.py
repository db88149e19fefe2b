"""Held carts: put a cart aside and recall it later. Holding touches no balance, points or voucher,
so cancelling a held cart changes nothing else."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.errors import Conflict, NotFound, ValidationError
from app.models import HeldCart
from app.services.sales.checkout import Cart, CartLine
from app.services.base.context import Ctx


@dataclass(frozen=True)
class HeldView:
    id: int
    label: str
    member_id: int | None
    lines: int
    created_at: datetime


def hold(ctx: Ctx, cart: Cart, label: str = "") -> HeldView:
    if not cart.lines:
        raise ValidationError("cart_empty")
    with ctx.tx() as t:
        row = HeldCart(till=t.till, staff_id=t.actor.id, member_id=cart.member_id, label=label[:64],
                       payload=json.dumps(asdict(cart)), status="held", created_at=t.now())
        from app.services.base.setup import ensure_till

        ensure_till(t)
        t.s.add(row)
        t.s.flush()
        return HeldView(row.id, row.label, row.member_id, len(cart.lines), row.created_at)


def list_held(ctx: Ctx) -> list[HeldView]:
    with ctx.tx(write=False) as t:
        rows = t.s.execute(select(HeldCart).where(HeldCart.status == "held").order_by(HeldCart.id)).scalars()
        return [HeldView(r.id, r.label, r.member_id, len(json.loads(r.payload)["lines"]), r.created_at) for r in rows]


def _close(ctx: Ctx, held_id: int, status: str) -> HeldCart:
    with ctx.tx() as t:
        row = t.s.get(HeldCart, held_id)
        if row is None:
            raise NotFound("held_not_found", id=held_id)
        done = t.s.execute(update(HeldCart).where(HeldCart.id == held_id, HeldCart.status == "held")
                           .values(status=status, closed_at=t.now())
                           .execution_options(synchronize_session=False)).rowcount
        if done != 1:
            raise Conflict("held_closed", id=held_id)
        return row


def recall(ctx: Ctx, held_id: int) -> Cart:
    """Take a held cart back to the till (once)."""
    data = json.loads(_close(ctx, held_id, "recalled").payload)
    return Cart(lines=tuple(CartLine(**x) for x in data["lines"]), member_id=data["member_id"],
                discount_bp=data["discount_bp"], discount_amount=data["discount_amount"])


def cancel(ctx: Ctx, held_id: int) -> None:
    _close(ctx, held_id, "cancelled")
