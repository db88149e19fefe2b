"""What a member's balance query (a reply of 余额 / BAL: texts/sender.py) is answered with: stored
value, points and those about to expire, and the uses left on each count card, as the values of the
``balance_reply`` template. The ledger knows the balances; the sender (lower down) is handed this
function by whoever runs it (``shopcare outbox send``, the app's background sender)."""
from __future__ import annotations

from datetime import timedelta

from babel.dates import format_date
from sqlalchemy import func, or_, select

from app import i18n, money
from app.models import CountCard, Member, PointsEntry, Product
from app.services.base.context import Ctx
from app.services.ledger import points

EXPIRING_WITHIN_DAYS = 30    # points that lapse within this many days are named in the answer


def values(t: Ctx, m: Member, cfg) -> dict[str, str]:
    """The ``balance_reply`` placeholders for member ``m`` in the shop's language, read in ``t``."""
    lang, today = cfg.language, t.today()
    until = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    expiring = points.due_to_expire(t, m.id, until) if m.points_balance > 0 else 0
    note = ""
    if expiring > 0:
        last = t.s.execute(select(func.max(PointsEntry.expires_on)).where(
            PointsEntry.member_id == m.id, PointsEntry.points > 0, PointsEntry.expires_on >= today,
            PointsEntry.expires_on <= until)).scalar() or until
        note = i18n.T_(lang, " ({points} of them expire by {date})",
                       points=money.format_int(expiring, lang),
                       date=format_date(last, "medium", locale=cfg.format_locale))
    cards = t.s.execute(select(Product.name, CountCard.uses_left).join(Product, Product.id == CountCard.product_id)
                        .where(CountCard.member_id == m.id, CountCard.uses_left > 0,
                               or_(CountCard.expires_on.is_(None), CountCard.expires_on >= today))
                        .order_by(CountCard.id)).all()
    sep = "、" if i18n.is_han(lang) else ", "
    card_text = sep.join(i18n.T_(lang, "{card} {uses} left", card=name, uses=uses)
                         for name, uses in cards) or i18n.T_(lang, "no count cards")
    return {
        "name": m.name,
        "balance": money.format_plain(m.wallet_principal + m.wallet_bonus, cfg.currency, lang),
        "points": money.format_int(m.points_balance, lang),
        "points_note": note,
        "cards": card_text,
    }
