"""checkout's pricing steps, one at a time, on frozen line inputs (the whole cart: tests/test_checkout.py)."""
from __future__ import annotations

import dataclasses

import pytest

from app.models import Tier
from app.services.sales.checkout import LineInput, price_line

COFFEE = LineInput(line_no=1, product_id=1, sku="COF", name="Coffee", kind="goods", qty=3, list_price=3333,
                   override=None, count_card_id=None, discount_eligible=True, points_eligible=True)
GOLD = Tier(discount_bp=500)   # 5% off


@pytest.mark.parametrize("line,tier,bp,expect", [
    # unit, gross, tier discount (half up per line), percent discount on the price after tier
    (COFFEE, None, 0, (3333, 9999, 0, 0)),
    (COFFEE, GOLD, 0, (3333, 9999, 500, 0)),                      # 499.95 -> 500
    (COFFEE, GOLD, 1000, (3333, 9999, 500, 950)),                 # 10% of 94.99 -> 9.50
    (dataclasses.replace(COFFEE, override=3000), GOLD, 1000, (3000, 9000, 0, 0)),     # a typed price: no discounts
    (dataclasses.replace(COFFEE, discount_eligible=False), GOLD, 1000, (3333, 9999, 0, 0)),
    (dataclasses.replace(COFFEE, count_card_id=7), GOLD, 1000, (3333, 9999, 0, 0)),  # a count card pays it
])
def test_each_step(line, tier, bp, expect):
    x = price_line(line, tier, bp)
    assert (x.unit_price, x.gross, x.tier_discount, x.percent_discount) == expect
    assert x.after_discounts == (x.gross - x.tier_discount - x.percent_discount if line.discountable else 0)


def test_a_line_input_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        COFFEE.qty = 4
