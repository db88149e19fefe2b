"""The examples the screenshots show come from a service: real picks from a real demo shop."""
from __future__ import annotations

from app.services.admin import showcase
from app.services.admin.demo import build_demo
from app.services.members import members
from app.services.reports import sales


def test_an_empty_shop_has_nothing_to_show(ctx):
    show = showcase.till_showcase(ctx)
    assert show == showcase.TillShowcase((), None, None, None)
    assert showcase.last_sale_at(ctx) is None


def test_the_till_shows_a_member_with_money_and_points_and_a_sale_to_refund(ctx):
    build_demo(ctx, members=60, days=30)
    show = showcase.till_showcase(ctx)
    assert len(show.cart_skus) == 4 and len(set(show.cart_skus)) == 4
    m = members.get_member(ctx, show.member_id)
    assert m.wallet_principal > 5000 and m.points > 100
    if show.shared_last4 is not None:          # several members share these last 4 digits
        assert len(members.find_members(ctx, show.shared_last4)) >= 2
    detail = sales.sale_detail(ctx, show.refund_receipt)
    assert detail.kind == "sale" and detail.member_id is not None and detail.refunded == 0
    assert len(detail.lines) >= 3 and "wallet" in {method for method, _amount in detail.payments}
    newest = max(s.created_at for s in sales.recent_sales(ctx, showcase.last_sale_at(ctx).date()))
    assert showcase.last_sale_at(ctx) == newest
