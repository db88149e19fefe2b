"""The members list service: keyset pages, searches, counts; and the member page's history."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from app.errors import PermissionDenied
from app.models import Member
from app.services.admin import demo
from app.services.reports import member_history
from app.services.members import member_list, members
from app.services.ledger import wallet
from app.services.members.member_list import first_page, next_page, parse_query
from tests.shop import member


def _shop(ctx, db, n=23):
    """n members with distinct names, phones, spend and balances; every 4th never visited."""
    ids = []
    for i in range(n):
        v = member(ctx, phone=f"1390000{i:04d}", name=f"{'王李张'[i % 3]}{chr(0x4e00 + i)}",
                   tags=("vip",) if i % 5 == 0 else (), card_no=f"C{i:03d}")
        ids.append(v.id)
        with db.engine.begin() as conn:
            conn.execute(update(Member).where(Member.id == v.id).values(
                total_spent=(i * 7919) % 1000, wallet_principal=(i * 31) % 17, wallet_bonus=i % 3,
                points_balance=(i * 37) % 11,
                last_visit_at=None if i % 4 == 0 else datetime(2026, 1, 1) + timedelta(hours=(i * 13) % 29)))
    return ids


def _walk(ctx, query, sort, desc, size):
    page = first_page(ctx, query, sort, desc, size)
    seen = [r.id for r in page.rows]
    pages = 1
    while page.cursor is not None:
        page = next_page(ctx, query, sort, page.cursor, desc, size)
        seen += [r.id for r in page.rows]
        pages += 1
        assert pages < 100
    return seen


@pytest.mark.parametrize("sort", member_list.SORTS)
@pytest.mark.parametrize("desc", [True, False])
def test_pages_walk_every_member_once_in_order(ctx, db, sort, desc):
    _shop(ctx, db)
    with db.session(write=False) as s:
        rows = s.query(Member).all()
        key = {"last_visit": lambda m: m.last_visit_at, "name": lambda m: m.name_key,
               "total_spent": lambda m: m.total_spent, "balance": lambda m: m.wallet_principal + m.wallet_bonus,
               "points": lambda m: m.points_balance}[sort]
        with_value = sorted((m for m in rows if key(m) is not None), key=lambda m: (key(m), m.id), reverse=desc)
        without = sorted((m for m in rows if key(m) is None), key=lambda m: m.id, reverse=desc)
        expected = [m.id for m in with_value + without]  # never-visited members come last either way
    assert _walk(ctx, "", sort, desc, 5) == expected
    assert _walk(ctx, "", sort, desc, 200) == expected


def test_first_page_counts_and_says_when_there_is_no_more(ctx, db):
    _shop(ctx, db)
    page = first_page(ctx, "", limit=10)
    assert (len(page.rows), page.total, page.total_exact) == (10, 23, True)
    assert page.cursor is not None
    page = first_page(ctx, "", limit=50)
    assert (len(page.rows), page.total, page.cursor) == (23, 23, None)
    with ctx.tx(write=False) as t:
        assert member_list.count(t, parse_query("王"), cap=3) == (3, False)
        assert member_list.count(t, parse_query("王"), cap=30) == (8, True)


def test_search_by_phone_last4_card_name_and_tag(ctx, db):
    ids = _shop(ctx, db)
    assert [r.id for r in first_page(ctx, "0007").rows] == [ids[7]]                # last 4 digits
    assert [r.id for r in first_page(ctx, "139 0000 0012").rows] == [ids[12]]      # full phone
    assert [r.id for r in first_page(ctx, "+86 13900000012").rows] == [ids[12]]
    assert [r.id for r in first_page(ctx, "C005").rows] == [ids[5]]                # card number
    wang = {r.name for r in first_page(ctx, "王").rows}
    assert len(wang) == 8 and all(n.startswith("王") for n in wang)               # Chinese name prefix
    assert {r.id for r in first_page(ctx, "#vip").rows} == {ids[i] for i in range(0, 23, 5)}
    assert {r.id for r in first_page(ctx, "vip").rows} == {ids[i] for i in range(0, 23, 5)}
    nobody = first_page(ctx, "赵")
    assert (nobody.rows, nobody.total, nobody.cursor) == ((), 0, None)
    row = first_page(ctx, "0007").rows[0]
    assert row.masked_phone == "139****0007" and row.tier_name_zh == "普通会员"


def test_a_search_pages_too_and_erased_members_are_left_out(ctx, db):
    ids = _shop(ctx, db)
    got = _walk(ctx, "王", "name", False, 3)
    assert len(got) == 8 == len(set(got))
    with db.engine.begin() as conn:
        conn.execute(update(Member).where(Member.id == ids[0]).values(erased_at=datetime(2026, 2, 1)))
    assert ids[0] not in _walk(ctx, "", "last_visit", True, 4)
    assert first_page(ctx, "").total == 22
    assert member_list.member_row(ctx, ids[0]) is None
    assert member_list.member_row(ctx, ids[1]).id == ids[1]


def test_parse_query():
    assert parse_query("").kind == "all" and parse_query("  ").kind == "all"
    assert parse_query("#").kind == "all"
    assert (parse_query("#茶友").kind, parse_query("#茶友").text) == ("tag", "茶友")
    assert parse_query("5678") == member_list.Query("last4", "5678")
    assert parse_query("138-0013-8000").phone == "+8613800138000"
    assert parse_query("88000001").kind == "card"       # 8 digits, not a valid phone: a card number
    assert parse_query("12").kind == "card"
    assert parse_query("wang fang").kind == "text"


def test_member_page_history_newest_first(ctx, clock):
    demo.build_demo(ctx, members=12, days=30)
    page = member_list.first_page(ctx, "", "total_spent", True, 1)
    mid = page.rows[0].id
    wallet.topup(ctx, mid, 50_000, "card")
    data = member_history.member_page(ctx, mid, limit=5)
    assert data.member.id == mid
    assert 0 < len(data.purchases) <= 5
    times = [p.created_at for p in data.purchases]
    assert times == sorted(times, reverse=True)
    assert data.purchases[0].items and data.purchases[0].methods and data.purchases[0].receipt_no
    assert data.topups[0].amount == 50_000 and data.topups[0].bonus == 5_000 and data.topups[0].pay_method == "card"
    assert data.wallet[0].kind == "topup" and (data.wallet[0].principal, data.wallet[0].bonus) == (50_000, 5_000)
    assert [w.id for w in data.wallet] == sorted((w.id for w in data.wallet), reverse=True)
    assert all(p.receipt_no for p in data.points if p.kind == "earn")
    assert len(data.wallet) <= 5 and len(data.points) <= 5
    assert data.consent.ebill_enabled == data.member.ebill_enabled


def test_member_page_of_a_new_member_is_empty_but_complete(ctx):
    v = member(ctx, consent_care=True)
    data = member_history.member_page(ctx, v.id)
    assert (data.purchases, data.topups, data.points, data.wallet, data.messages, data.contacts,
            data.count_cards) == ((),) * 7
    assert data.consent.care and data.consent.care_source == "counter" and data.consent.care_at is not None
    assert data.referrer_name is None


def test_adjust_is_refused_to_a_cashier_by_the_service(ctx, cashier_ctx):
    v = member(ctx)
    with pytest.raises(PermissionDenied):
        wallet.adjust(cashier_ctx, v.id, 100, 0, "test")
    assert members.get_member(ctx, v.id).wallet_principal == 0


@pytest.mark.parametrize("sort,index", [("total_spent", "ix_members_spent_sort"), ("balance", "ix_members_balance_sort"),
                                        ("points", "ix_members_points_sort"), ("last_visit", "ix_members_visit_sort")])
def test_a_page_sorted_by_spend_balance_points_or_visit_is_read_off_its_index(ctx, db, sort, index):
    """SQLite answers the list's own statement from the sort index, without sorting the table (a
    full sort took 88 ms at 200,000 members; docs/benchmarks.md)."""
    from sqlalchemy import event

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan checked is SQLite's (PostgreSQL chooses by its statistics)")
    _shop(ctx, db)
    seen: list[tuple[str, tuple]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "members" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        page = first_page(ctx, "", sort, True, limit=5)
        next_page(ctx, "", sort, page.cursor, True, limit=5)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert len(seen) == 2 and page.rows
    with db.engine.connect() as conn:
        for statement, parameters in seen:
            plan = " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert f"SCAN members USING INDEX {index}" in plan or f"SEARCH members USING INDEX {index}" in plan, plan
