"""Count cards (次卡): issue, use, restore, revoke, expiry, listing; cache == ledger throughout."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, InsufficientFunds, NotFound, PermissionDenied, ValidationError
from app.models import CountCard, CountCardEntry, Product
from app.services.ledger import countcards
from app.services.members import members
from app.services.members.members import MemberInput


def new_member(ctx, phone="13800138000", name="Wang Fang"):
    return members.create_member(ctx, MemberInput(name=name, phone=phone)).id


@pytest.fixture
def shop(ctx):
    """A haircut service, a wash service, and a 10-haircut package valid 90 days."""
    with ctx.tx() as t:
        cut = Product(sku="CUT", name="Haircut", price=5_000, kind="service")
        wash = Product(sku="WASH", name="Hair wash", price=2_000, kind="service")
        t.s.add_all([cut, wash])
        t.s.flush()
        pkg = Product(sku="CUT10", name="10 haircuts", price=40_000, kind="count_card", card_uses=10,
                      card_valid_days=90, card_service_id=cut.id)
        forever = Product(sku="WASH5", name="5 washes", price=8_000, kind="count_card", card_uses=5,
                          card_valid_days=None, card_service_id=wash.id)
        t.s.add_all([pkg, forever])
        t.s.flush()
        return {"cut": cut.id, "wash": wash.id, "pkg": pkg.id, "forever": forever.id}


def assert_card_ledger(ctx):
    """Every card's cached uses_left equals the sum of its entries, within 0..uses_total."""
    with ctx.tx(write=False) as t:
        sums = dict(t.s.execute(select(CountCardEntry.card_id, func.sum(CountCardEntry.uses))
                                .group_by(CountCardEntry.card_id)).all())
        for c in t.s.execute(select(CountCard)).scalars():
            assert c.uses_left == sums.get(c.id, 0), c.id
            assert 0 <= c.uses_left <= c.uses_total


def issue(ctx, mid, product_id, price=40_000):
    with ctx.tx() as t:
        return countcards.issue(t, mid, t.s.get(Product, product_id), None, price)


def use(ctx, card_id, mid, service_id):
    with ctx.tx() as t:
        return countcards.use(t, card_id, mid, service_id, None)


def entries(ctx, card_id):
    with ctx.tx(write=False) as t:
        return [(e.kind, e.uses) for e in t.s.execute(select(CountCardEntry).where(CountCardEntry.card_id == card_id)
                                                      .order_by(CountCardEntry.id)).scalars()]


def test_issue_posts_sold_entry_and_sets_expiry(ctx, shop):
    mid = new_member(ctx)
    card = issue(ctx, mid, shop["pkg"])
    assert (card.uses_total, card.uses_left, card.price_paid) == (10, 10, 40_000)
    assert card.expires_on == date(2026, 5, 31)          # 2026-03-02 + 90 days
    assert card.service_id == shop["cut"] and card.service_name == "Haircut"
    assert entries(ctx, card.id) == [("sold", 10)]
    forever = issue(ctx, mid, shop["forever"], 8_000)
    assert forever.expires_on is None and forever.uses_left == 5
    assert_card_ledger(ctx)


def test_issue_refuses_a_product_that_is_not_a_package(ctx, shop):
    mid = new_member(ctx)
    with ctx.tx() as t:
        with pytest.raises(ValidationError) as ei:
            countcards.issue(t, mid, t.s.get(Product, shop["cut"]), None, 5_000)
        assert ei.value.code == "countcard_product_invalid"
    with ctx.tx(write=False) as t:
        assert t.s.execute(select(func.count()).select_from(CountCard)).scalar() == 0


def test_use_one_visit_at_a_time_until_empty(ctx, shop):
    mid = new_member(ctx)
    with ctx.tx() as t:
        card = countcards.issue(t, mid, shop["pkg"], None, 40_000)  # a product id works too
    for left in range(9, -1, -1):
        assert use(ctx, card.id, mid, shop["cut"]).uses_left == left
    with pytest.raises(InsufficientFunds) as ei:
        use(ctx, card.id, mid, shop["cut"])
    assert ei.value.code == "countcard_empty"
    assert entries(ctx, card.id) == [("sold", 10)] + [("used", -1)] * 10
    assert_card_ledger(ctx)


def test_use_refusals_change_nothing(ctx, shop, clock):
    mid = new_member(ctx)
    other = new_member(ctx, "13800138009", "Other")
    card = issue(ctx, mid, shop["pkg"])
    with pytest.raises(ValidationError) as ei:
        use(ctx, card.id, other, shop["cut"])
    assert ei.value.code == "countcard_not_yours"
    with pytest.raises(ValidationError) as ei:
        use(ctx, card.id, mid, shop["wash"])
    assert ei.value.code == "countcard_wrong_service"
    assert "Hair wash" in str(ei.value)
    with pytest.raises(NotFound) as ei:
        use(ctx, 999, mid, shop["cut"])
    assert ei.value.code == "countcard_not_found"
    clock.set(datetime(2026, 5, 31, 20, 0))               # last valid day: still usable
    assert use(ctx, card.id, mid, shop["cut"]).uses_left == 9
    clock.set(datetime(2026, 6, 1, 9, 0))                 # the day after: expired
    with pytest.raises(Conflict) as ei:
        use(ctx, card.id, mid, shop["cut"])
    assert ei.value.code == "countcard_expired" and "2026-05-31" in str(ei.value)
    assert entries(ctx, card.id) == [("sold", 10), ("used", -1)]
    assert_card_ledger(ctx)


def test_restore_use_gives_one_back_but_never_past_total(ctx, shop):
    mid = new_member(ctx)
    card = issue(ctx, mid, shop["pkg"])
    use(ctx, card.id, mid, shop["cut"])
    with ctx.tx() as t:
        assert countcards.restore_use(t, card.id, None).uses_left == 10
    with ctx.tx() as t:
        with pytest.raises(Conflict) as ei:
            countcards.restore_use(t, card.id, None)
        assert ei.value.code == "countcard_full"
    assert entries(ctx, card.id) == [("sold", 10), ("used", -1), ("refund", 1)]
    assert_card_ledger(ctx)


def test_revoke_only_whole_unused_card(ctx, shop):
    mid = new_member(ctx)
    whole = issue(ctx, mid, shop["pkg"])
    with ctx.tx() as t:
        v = countcards.revoke(t, whole.id, None)
    assert v.uses_left == 0 and not v.usable
    assert entries(ctx, whole.id) == [("sold", 10), ("refund", -10)]
    with ctx.tx() as t:
        with pytest.raises(Conflict) as ei:
            countcards.revoke(t, whole.id, None)
        assert ei.value.code == "countcard_closed"
    used = issue(ctx, mid, shop["pkg"])
    use(ctx, used.id, mid, shop["cut"])
    with ctx.tx() as t:
        with pytest.raises(Conflict) as ei:
            countcards.revoke(t, used.id, None)
        assert ei.value.code == "countcard_partly_used"
        assert "1/10" in str(ei.value) or "(1 of 10)" in str(ei.value)
    assert entries(ctx, used.id) == [("sold", 10), ("used", -1)]
    assert_card_ledger(ctx)


def test_expire_due_is_idempotent_and_only_past_cards(ctx, shop, clock):
    mid = new_member(ctx)
    card = issue(ctx, mid, shop["pkg"])            # expires 2026-05-31
    empty = issue(ctx, mid, shop["pkg"])
    for _ in range(10):
        use(ctx, empty.id, mid, shop["cut"])
    forever = issue(ctx, mid, shop["forever"], 8_000)
    use(ctx, card.id, mid, shop["cut"])
    r = countcards.expire_due(ctx, date(2026, 5, 31))
    assert (r.cards, r.uses) == (0, 0)             # not past its date yet
    r = countcards.expire_due(ctx, date(2026, 6, 1))
    assert (r.cards, r.uses) == (1, 9)
    assert countcards.expire_due(ctx, date(2026, 6, 1)).cards == 0
    assert countcards.expire_due(ctx, date(2030, 1, 1)).cards == 0   # the card without expiry stays
    assert entries(ctx, card.id)[-1] == ("expired", -9)
    assert entries(ctx, forever.id) == [("sold", 5)]
    assert_card_ledger(ctx)


def test_expire_due_needs_permission(cashier_ctx):
    with pytest.raises(PermissionDenied):
        countcards.expire_due(cashier_ctx, date(2026, 6, 1))


def test_cards_for_lists_usable_first(ctx, shop, clock):
    mid = new_member(ctx)
    other = new_member(ctx, "13800138009", "Other")
    a = issue(ctx, mid, shop["pkg"])
    b = issue(ctx, mid, shop["forever"], 8_000)
    issue(ctx, other, shop["pkg"])
    for _ in range(5):
        use(ctx, b.id, mid, shop["wash"])
    listed = countcards.cards_for(ctx, mid)
    assert [c.id for c in listed] == [a.id, b.id]          # the used-up one last
    assert [c.usable for c in listed] == [True, False]
    clock.set(datetime(2026, 6, 1, 9, 0))
    listed = countcards.cards_for(ctx, mid)
    assert [c.id for c in listed] == [a.id, b.id]          # soonest expiry first among unusable
    assert all(not c.usable for c in listed)
    assert next(c for c in listed if c.id == a.id).expired
    assert countcards.cards_for(ctx, mid, usable_only=True) == []
    clock.set(datetime(2026, 3, 3, 9, 0))
    assert [c.id for c in countcards.cards_for(ctx, mid, usable_only=True, service_id=shop["cut"])] == [a.id]
    assert countcards.cards_for(ctx, mid, service_id=shop["wash"])[0].uses_left == 0
    with pytest.raises(NotFound):
        countcards.cards_for(ctx, 4242)
