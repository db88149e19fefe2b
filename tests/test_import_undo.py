"""Undoing an import (import_undo.py): the database back exactly as before the import, ledgers
balanced, and a clear refusal (nothing changed) when anything since touches what it brought in.

The members and sales importers tag their own rows and keep what they replace
(``import_batches.remember``); a change a test makes by hand (an --update's values) is recorded the
same way by ``_tag``, so the undo is tested against the schema as well as against the importers."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, text, update

from app.errors import Conflict, NotFound, PermissionDenied, render
from app.models import AuditLog, Base, ImportBatch, Member, Product
from app.services.admin import import_batches
from app.services.admin.import_products import import_products
from app.services.admin.import_undo import ImportUndoRefused
from app.services.admin.imports import import_members, import_sales
from app.services.admin.integrity import run_check
from app.services.base.context import Actor
from app.services.ledger import countcards, wallet
from app.services.sales import catalog
from app.services.sales.cart import Cart, CartLine, Tender
from app.services.sales.checkout import checkout
from app.services.sales.refunds import refund
from tests.shop import ledger_faults, member, stock_shop

TAGGED = ("members", "sales", "products", "stock_entries", "wallet_entries", "points_entries", "count_cards",
          "count_card_entries")
# rows an undo does not take back by design: the audit trail, the batches themselves, the import till
SKIP = {"audit_log", "import_batches", "import_changes", "tills", "alembic_version"}

MEMBERS = ("姓名,手机号,余额,赠送余额,积分,标签,生日\n"
           "张三,13800138001,100.50,20,300,常客、VIP,1990-03-05\n"
           "李四,13900139002,50,,120,,\n"
           "王五,13700137003,,,,,\n")


def write(tmp_path, name: str, body: str):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _max_ids(ctx) -> dict[str, int]:
    with ctx.tx(write=False) as t:
        return {name: t.s.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {name}")).scalar()
                for name in (*TAGGED, "import_batches")}


def _tag(ctx, kind: str, path, before: dict[str, int], remember=(), counts=None) -> int:
    """The batch the importer recorded since ``before`` (the importers tag their own rows and keep
    what they replace), or, for a change a test makes by hand, a batch as an importer would record it.
    Rows the test wrote for the import afterwards (a count card issued by hand) join the batch."""
    with ctx.tx() as t:
        b = t.s.execute(select(func.max(ImportBatch.id)).where(
            ImportBatch.id > before["import_batches"], ImportBatch.kind == kind)).scalar()
        made = b is None
        if made:
            b = import_batches.begin(t, kind, path)
        for name in TAGGED:
            t.s.execute(text(f"UPDATE {name} SET import_batch_id = :b WHERE id > :id AND import_batch_id IS NULL"),
                        {"b": b, "id": before[name]})
        if made:
            import_batches.remember(t, b, "members", list(remember))
            import_batches.finish(t, b, counts or {"imported": 1})
    return b


def snapshot(ctx) -> dict:
    """Every table's row count, and the members' and products' balances, totals and tiers."""
    out: dict = {}
    with ctx.tx(write=False) as t:
        for table in Base.metadata.sorted_tables:
            if table.name not in SKIP:
                out[table.name] = t.s.execute(select(func.count()).select_from(table)).scalar()
        out["member_rows"] = sorted(tuple(r) for r in t.s.execute(select(
            Member.id, Member.phone, Member.name, Member.wallet_principal, Member.wallet_bonus, Member.points_balance,
            Member.total_spent, Member.visits, Member.last_visit_at, Member.tier_id, Member.updated_at)))
        out["product_rows"] = sorted(tuple(r) for r in t.s.execute(select(
            Product.id, Product.sku, Product.name, Product.price, Product.cost, Product.on_hand, Product.track_stock)))
        out["barcodes"] = sorted(t.s.execute(text("SELECT product_id, barcode FROM product_barcodes")).all())
        out["member_prices"] = sorted(t.s.execute(text("SELECT product_id, tier_id, price FROM member_prices")).all())
        out["search_keys"] = t.s.execute(text("SELECT COUNT(*) FROM product_search_keys")).scalar()
    return out


def check_green(ctx) -> None:
    report = run_check(ctx)
    assert report.ok, [f.text("en") for f in report.faults]
    assert ledger_faults(ctx.db) == []


def import_members_batch(ctx, tmp_path, *, cards: bool = True) -> int:
    """Members with stored value, points, tags and (as the engine's import writes them) count cards."""
    before = _max_ids(ctx)
    path = write(tmp_path, "members.csv", MEMBERS)
    import_members(ctx, path)
    if cards:
        with ctx.tx() as t:
            mid = t.s.execute(select(Member.id).where(Member.phone == "+8613800138001")).scalar_one()
            pid = t.s.execute(select(Product.id).where(Product.sku == "CUT10")).scalar_one()
            countcards.issue(t, mid, pid, None, 0)
    return _tag(ctx, "members", path, before, counts={"imported": 3})


def member_id(ctx, phone: str) -> int:
    with ctx.tx(write=False) as t:
        return t.s.execute(select(Member.id).where(Member.phone == phone)).scalar_one()


# --- undo puts everything back ----------------------------------------------------------------------
def test_undo_members_with_balances_points_and_count_cards(ctx, tmp_path):
    stock_shop(ctx)
    member(ctx, "13600136000", "老会员")
    before = snapshot(ctx)
    b = import_members_batch(ctx, tmp_path)
    assert snapshot(ctx)["members"] == before["members"] + 3
    check_green(ctx)

    preview = import_batches.undo_preview(ctx)
    assert preview.ok and preview.batch.id == b
    removed = dict(preview.removed)
    assert removed["members"] == 3 and removed["wallet_entries"] == 2 and removed["points_entries"] == 2
    assert removed["count_cards"] == 1 and removed["count_card_entries"] == 1 and removed["member_tags"] == 2
    assert snapshot(ctx)["members"] == before["members"] + 3          # a preview writes nothing

    done = import_batches.undo(ctx)
    assert done.removed == preview.removed and done.batch.status == "undone"
    assert snapshot(ctx) == before
    check_green(ctx)
    with ctx.tx(write=False) as t:
        row = t.s.get(ImportBatch, b)
        assert row.status == "undone" and row.undone_at == ctx.now()
        audit = t.s.execute(select(AuditLog).where(AuditLog.action == "import.undo")).scalar_one()
        assert audit.entity_id == str(b) and '"members": 3' in audit.after


def test_undo_history_onto_existing_members_restores_totals_and_tier(ctx, tmp_path):
    stock_shop(ctx)
    old = member(ctx, "13600136000", "老会员")
    checkout(ctx, Cart((CartLine("COF"),), member_id=old.id), [Tender("cash", 5800)])
    before = snapshot(ctx)
    with ctx.tx(write=False) as t:
        m = t.s.get(Member, old.id)
        kept = [(m.id, {"total_spent": m.total_spent, "visits": m.visits,
                        "last_visit_at": m.last_visit_at.isoformat(), "tier_id": m.tier_id})]
    ids = _max_ids(ctx)
    path = write(tmp_path, "history.csv", "手机号,日期,金额,单号\n"
                                          "13600136000,2025-01-05 10:00,8000.00,R1\n"      # makes them gold
                                          "13600136000,2025-02-05 10:00,120.00,R2\n"
                                          "13500135009,2025-03-01 09:30,45.00,R3\n")       # a new member
    report = import_sales(ctx, path)
    assert report.imported == 3 and report.members_created == 1
    b = _tag(ctx, "sales", path, ids, remember=kept, counts={"imported": 3})
    with ctx.tx(write=False) as t:
        m = t.s.get(Member, old.id)
        assert m.total_spent == 5800 + 812000 and m.visits == 3 and m.tier_id != kept[0][1]["tier_id"]

    result = import_batches.undo(ctx, b)
    assert dict(result.removed) == {"sales": 3, "sale_lines": 3, "payments": 3, "members": 1}
    assert dict(result.restored) == {"members": 1}
    assert snapshot(ctx) == before
    check_green(ctx)
    # the import till's receipt numbers are free again: the same file imports the same way
    assert import_sales(ctx, path).imported == 3


def test_undo_history_without_kept_values_recomputes_totals_from_the_sales_left(ctx, tmp_path):
    stock_shop(ctx)
    old = member(ctx, "13600136000", "老会员")
    checkout(ctx, Cart((CartLine("COF"),), member_id=old.id), [Tender("cash", 5800)])
    before = snapshot(ctx)
    ids = _max_ids(ctx)
    path = write(tmp_path, "h.csv", "手机号,日期,金额\n13600136000,2025-01-05 10:00,12.00\n")
    import_sales(ctx, path)
    b = _tag(ctx, "sales", path, ids)
    import_batches.undo(ctx, b)
    after = snapshot(ctx)
    strip = lambda rows: [r[:-1] for r in rows]                       # noqa: E731 (updated_at moved)
    assert strip(after.pop("member_rows")) == strip(before.pop("member_rows"))
    assert after == before


def test_undo_products_with_opening_stock_and_an_update(ctx, tmp_path):
    stock_shop(ctx)
    before = snapshot(ctx)
    path = write(tmp_path, "p.csv", "name,sku,barcode,price,member price gold,stock,cost\n"
                                    "Oolong 乌龙,OOL,6901,45.00,40,12,20\n"
                                    "Coffee beans 250g 咖啡豆,COF,6900000000000,61.00,55,,30\n")
    result = import_products(ctx, path, update=True)
    assert result.added == 1 and result.updated == 1 and result.opening_stock == 12
    with ctx.tx(write=False) as t:
        batch = import_batches.recent(t)[0]
        assert batch.kind == "products" and batch.status == "done" and batch.counts["added"] == 1
        oolong = t.s.execute(select(Product).where(Product.sku == "OOL")).scalar_one()
        assert oolong.import_batch_id == batch.id and oolong.on_hand == 12
    check_green(ctx)
    preview = import_batches.undo_preview(ctx)
    assert dict(preview.restored) == {"products": 1}
    assert dict(preview.removed)["products"] == 1 and dict(preview.removed)["stock_entries"] == 1
    import_batches.undo(ctx)
    assert snapshot(ctx) == before
    check_green(ctx)
    with ctx.tx(write=False) as t:
        assert catalog.lookup(t, "COF").price == 5800


def test_undo_opening_stock_of_an_existing_product_moves_on_hand_back(ctx, tmp_path):
    catalog.add_product(ctx, sku="JAR", name="Jar", price=500)
    before = snapshot(ctx)
    import_products(ctx, write(tmp_path, "s.csv", "name,sku,price,stock\nJar,JAR,5,7\n"), update=True)
    assert snapshot(ctx)["product_rows"] != before["product_rows"]
    import_batches.undo(ctx)
    assert snapshot(ctx) == before
    check_green(ctx)


# --- refusals -------------------------------------------------------------------------------------
def refused(ctx, batch=None) -> ImportUndoRefused:
    preview = import_batches.undo_preview(ctx, batch)
    assert not preview.ok and isinstance(preview.refusal, ImportUndoRefused)
    state = snapshot(ctx)
    with pytest.raises(ImportUndoRefused) as err:
        import_batches.undo(ctx, batch)
    assert snapshot(ctx) == state                                     # nothing changed
    assert render(err.value, "en") == render(preview.refusal, "en")
    return err.value


def reasons(err: ImportUndoRefused) -> dict[str, int]:
    return {r.code: r.params["count"] for r in err.params["reasons"]}


def test_refused_when_an_imported_member_bought_since_in_every_language(ctx, tmp_path):
    stock_shop(ctx)
    import_members_batch(ctx, tmp_path)
    mid = member_id(ctx, "+8613800138001")
    checkout(ctx, Cart((CartLine("TEA"),), member_id=mid), [Tender("wallet", 3333)])
    err = refused(ctx)
    # the sale paid with stored value, earned points and queued its e-bill: each is said
    assert reasons(err) == {"undo_members_bought": 1, "undo_members_wallet": 1, "undo_members_points": 1,
                            "undo_members_texts": 1}
    assert "1 of these members has bought since" in render(err, "en")
    assert "Nothing was changed" in render(err, "en")
    zh, tw = render(err, "zh_CN"), render(err, "zh_TW")
    assert "1" in zh and "会员" in zh and "Nothing" not in zh
    assert "會員" in tw and "儲值" in tw


def test_refused_after_a_top_up(ctx, tmp_path):
    stock_shop(ctx)
    import_members_batch(ctx, tmp_path)
    wallet.topup(ctx, member_id(ctx, "+8613900139002"), 10000)
    err = refused(ctx)
    got = reasons(err)
    assert got["undo_members_wallet"] == 1 and "undo_members_bought" not in got
    assert "1 of these members has topped up or spent stored value since" in render(err, "en")


def test_refused_after_a_count_card_use_and_points_redeemed(ctx, tmp_path):
    stock_shop(ctx)
    import_members_batch(ctx, tmp_path)
    a, b = member_id(ctx, "+8613800138001"), member_id(ctx, "+8613900139002")
    card = countcards.cards_for(ctx, a)[0]
    checkout(ctx, Cart((CartLine("CUT", count_card_id=card.id),), member_id=a), [])
    checkout(ctx, Cart((CartLine("GIFT"),), member_id=b), [Tender("points", points=100), Tender("cash", 10000)])
    got = reasons(refused(ctx))
    assert got["undo_cards_used"] == 1 and got["undo_members_bought"] == 2 and got["undo_members_points"] == 1


def test_refused_when_products_were_sold_or_edited_since(ctx, tmp_path):
    stock_shop(ctx)
    import_products(ctx, write(tmp_path, "p.csv", "name,sku,price,stock\nOolong,OOL,45,12\nPu'er,PUE,80,\n"
                                                  "Mug 马克杯,MUG,35,\n"), update=True)
    checkout(ctx, Cart((CartLine("OOL", qty=2),)), [Tender("cash", 9000)])
    with ctx.tx() as t:
        t.s.execute(update(Product).where(Product.sku == "MUG").values(price=3100))
    err = refused(ctx)
    assert reasons(err) == {"undo_products_sold": 1, "undo_products_stock": 1, "undo_products_changed": 1}
    assert "1 of these products has been sold since" in render(err, "en")


def test_refused_when_imported_sales_were_refunded(ctx, tmp_path):
    stock_shop(ctx)
    ids = _max_ids(ctx)
    path = write(tmp_path, "h.csv", "手机号,日期,金额,单号\n13500135009,2025-03-01 09:30,45.00,R3\n")
    import_sales(ctx, path)
    b = _tag(ctx, "sales", path, ids)
    with ctx.tx(write=False) as t:
        receipt = t.s.execute(text("SELECT receipt_no FROM sales WHERE import_batch_id = :b"), {"b": b}).scalar()
    refund(ctx, receipt, reason="test")
    got = reasons(refused(ctx, b))
    assert got["undo_sales_refunded"] == 1


def test_a_later_import_first_then_twice_refused(ctx, tmp_path):
    stock_shop(ctx)
    first = import_members_batch(ctx, tmp_path, cards=False)
    import_products(ctx, write(tmp_path, "p.csv", "name,sku,price\nOolong,OOL,45\n"))
    with pytest.raises(Conflict) as err:
        import_batches.undo(ctx, first)
    assert err.value.code == "import_undo_later" and err.value.params["later"] == first + 1
    assert "later import " + str(first + 1) in render(err.value, "en")
    assert import_batches.undo_preview(ctx, first).refusal.code == "import_undo_later"
    import_batches.undo(ctx)                   # the latest: the products
    import_batches.undo(ctx)                   # then the members
    with pytest.raises(Conflict) as err:
        import_batches.undo(ctx, first)
    assert err.value.code == "import_undo_already"
    with pytest.raises(NotFound) as err:
        import_batches.undo(ctx)
    assert err.value.code == "import_undo_none"
    with pytest.raises(NotFound):
        import_batches.undo(ctx, 999)
    check_green(ctx)


def test_who_may_undo(ctx, tmp_path):
    stock_shop(ctx)
    import_members_batch(ctx, tmp_path, cards=False)
    with pytest.raises(PermissionDenied):
        import_batches.undo(ctx.as_actor(Actor(None, "cashier", "cashier")))
    with pytest.raises(PermissionDenied):              # members: the owner's (the import permission)
        import_batches.undo(ctx.as_actor(Actor(None, "manager", "manager")))
    import_batches.undo(ctx)
    import_products(ctx, write(tmp_path, "p.csv", "name,sku,price\nOolong,OOL,45\n"))
    import_batches.undo(ctx.as_actor(Actor(None, "manager", "manager")))      # products: a manager's too


# --- a sale racing an undo --------------------------------------------------------------------------
def _sell(url: str, member_id: int, till: str, start, q) -> None:
    from app.db import Database
    from app.errors import ShopError
    from app.services.base.context import Ctx, FixedClock

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "cashier", "cashier"), till=till, clock=FixedClock(datetime(2026, 3, 2, 12)))
    start.wait()
    try:
        checkout(ctx, Cart((CartLine("TEA"),), member_id=member_id), [Tender("wallet", 3333)])
        q.put((till, "sold"))
    except ShopError as exc:
        q.put((till, "refused:" + exc.code))
    except Exception as exc:                     # an integrity error: the member went away under it
        q.put((till, "failed:" + type(exc).__name__))
    finally:
        db.dispose()


def _undo(url: str, member_id: int, till: str, start, q) -> None:
    from app.db import Database
    from app.errors import ShopError
    from app.services.base.context import Ctx, FixedClock

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), till=till, clock=FixedClock(datetime(2026, 3, 2, 12)))
    start.wait()
    try:
        import_batches.undo(ctx)
        q.put((till, "undone"))
    except ShopError as exc:
        q.put((till, "refused:" + exc.code))
    finally:
        db.dispose()


@pytest.mark.parametrize("attempt", range(3))
def test_a_sale_racing_an_undo_leaves_no_half_state(ctx, tmp_path, attempt):
    stock_shop(ctx)
    before = snapshot(ctx)
    import_members_batch(ctx, tmp_path)
    mid = member_id(ctx, "+8613800138001")
    from app.services.base import setup
    from app.services.base.context import Ctx
    setup.ensure_defaults(Ctx(db=ctx.db, till="T2"))

    import multiprocessing as mp
    spawn = mp.get_context("spawn")
    start, q = spawn.Event(), spawn.Queue()
    procs = [spawn.Process(target=_sell, args=(ctx.db.url, mid, "T2", start, q)),
             spawn.Process(target=_undo, args=(ctx.db.url, mid, "T9", start, q))]
    for p in procs:
        p.start()
    start.set()
    results = dict(q.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    sold, undone = results["T2"] == "sold", results["T9"] == "undone"
    assert sold != undone, results                                  # exactly one of them went through
    if undone:
        assert snapshot(ctx) == before
    else:
        assert results["T9"] == "refused:import_undo_refused"
        with ctx.tx(write=False) as t:
            m = t.s.get(Member, mid)
            assert m.wallet_principal + m.wallet_bonus == 10050 + 2000 - 3333
    check_green(ctx)


def test_refused_when_an_imported_member_was_edited_since(ctx, clock, tmp_path):
    from datetime import timedelta

    from app.services.members.members import update_member

    stock_shop(ctx)
    import_members_batch(ctx, tmp_path, cards=False)
    clock.set(clock.now() + timedelta(minutes=5))
    update_member(ctx, member_id(ctx, "+8613700137003"), notes="likes oolong")
    err = refused(ctx)
    assert reasons(err) == {"undo_members_edited": 1}
    assert "1 of these members has been edited since" in render(err, "en")


def test_undo_of_an_update_puts_the_members_values_back(ctx, tmp_path):
    """What the engine's --update keeps (import_batches.remember: the changed columns, dates as ISO
    text) comes back exactly; the member, who was there before, stays."""
    old = member(ctx, "13600136000", "老会员", notes="first visit 2019")
    before = snapshot(ctx)
    ids = _max_ids(ctx)
    with ctx.tx(write=False) as t:
        m = t.s.get(Member, old.id)
        kept = [(m.id, {"name": m.name, "name_key": m.name_key, "notes": m.notes, "card_no": m.card_no,
                        "join_date": m.join_date.isoformat(), "updated_at": m.updated_at.isoformat()})]
    with ctx.tx() as t:                             # the import's --update
        t.s.execute(update(Member).where(Member.id == old.id).values(
            name="王老板", name_key="王老板", notes="", card_no="C900", join_date=datetime(2018, 1, 2).date()))
    b = _tag(ctx, "members", tmp_path / "m.csv", ids, remember=kept)
    result = import_batches.undo(ctx, b)
    assert result.removed == () and dict(result.restored) == {"members": 1}
    assert snapshot(ctx) == before


# --- a sale and an undo at the same moment: whichever holds the database first wins, whole ------------
def _undo_once(url: str, q) -> None:
    from app.db import Database
    from app.errors import ShopError
    from app.services.base.context import Ctx, FixedClock

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "owner", "owner"), till="T9", clock=FixedClock(datetime(2026, 3, 2, 12)))
    q.put("started")
    try:
        import_batches.undo(ctx)
        q.put("undone")
    except ShopError as exc:
        q.put("refused:" + exc.code)
    finally:
        db.dispose()


def _sell_once(url: str, member_id: int, q) -> None:
    from app.db import Database
    from app.errors import ShopError
    from app.services.base.context import Ctx, FixedClock

    db = Database(url)
    ctx = Ctx(db=db, actor=Actor(None, "cashier", "cashier"), till="T2", clock=FixedClock(datetime(2026, 3, 2, 12)))
    q.put("started")
    try:
        checkout(ctx, Cart((CartLine("TEA"),), member_id=member_id), [Tender("wallet", 3333)])
        q.put("sold")
    except ShopError as exc:
        q.put("refused:" + exc.code)
    except Exception as exc:                        # noqa: BLE001 (the member went away under the sale)
        q.put("failed:" + type(exc).__name__)
    finally:
        db.dispose()


def _held(ctx, tmp_path, first: str):
    """``first`` (a sale or the undo) runs in this process and holds its transaction open while the
    other one starts in another process and waits; then the first commits. Returns the other's outcome."""
    import multiprocessing as mp
    import time

    from app.services.base import setup
    from app.services.base.context import Ctx

    stock_shop(ctx)
    import_members_batch(ctx, tmp_path)
    setup.ensure_defaults(Ctx(db=ctx.db, till="T2"))
    mid = member_id(ctx, "+8613800138001")
    spawn = mp.get_context("spawn")
    q = spawn.Queue()
    with ctx.tx() as t:
        if first == "sale":
            checkout(t, Cart((CartLine("TEA"),), member_id=mid), [Tender("wallet", 3333)])
            other = spawn.Process(target=_undo_once, args=(ctx.db.url, q))
        else:
            import_batches.undo(t)
            other = spawn.Process(target=_sell_once, args=(ctx.db.url, mid, q))
        other.start()
        assert q.get(timeout=60) == "started"
        time.sleep(1.5)                              # it is waiting on the database, not finished
        assert q.empty()
    outcome = q.get(timeout=60)
    other.join(30)
    return outcome, mid


def test_a_sale_holding_the_member_makes_the_waiting_undo_refuse(ctx, tmp_path):
    outcome, mid = _held(ctx, tmp_path, "sale")
    assert outcome == "refused:import_undo_refused"
    with ctx.tx(write=False) as t:
        assert t.s.get(Member, mid) is not None
        assert t.s.execute(select(func.count()).select_from(ImportBatch).where(ImportBatch.status == "done")).scalar() == 1
    check_green(ctx)


def test_an_undo_in_progress_makes_the_waiting_sale_fail_whole(ctx, tmp_path):
    outcome, mid = _held(ctx, tmp_path, "undo")
    print("the waiting sale:", outcome)
    assert outcome != "sold" and outcome.split(":")[0] in ("refused", "failed")
    with ctx.tx(write=False) as t:
        assert t.s.get(Member, mid) is None
        assert t.s.execute(text("SELECT COUNT(*) FROM sales")).scalar() == 0
    check_green(ctx)


def test_categories_the_import_added_go_with_it_unless_used_since(ctx, tmp_path):
    stock_shop(ctx)
    before = snapshot(ctx)
    path = write(tmp_path, "c.csv", "name,sku,price,category\nOolong,OOL,45,茶叶\nPu'er,PUE,80,茶叶\n")
    assert import_products(ctx, path, add_categories=True).new_categories == ("茶叶",)
    assert dict(import_batches.undo_preview(ctx).removed)["categories"] == 1
    import_batches.undo(ctx)
    assert snapshot(ctx) == before
    check_green(ctx)

    import_products(ctx, path, add_categories=True)
    catalog.add_product(ctx, sku="LJ", name="Longjing", price=9000, category="茶叶")
    err = refused(ctx)
    assert reasons(err) == {"undo_categories_used": 1}
    assert "1 of the categories it added has been used or changed since" in render(err, "en")


def _history(ctx, path) -> int:
    """A history import as the engine writes it: the touched members' totals kept first."""
    phones = ["+86" + line.split(",")[0] for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    with ctx.tx(write=False) as t:
        kept = [(m.id, {"total_spent": m.total_spent, "visits": m.visits, "tier_id": m.tier_id,
                        "last_visit_at": m.last_visit_at.isoformat() if m.last_visit_at else None})
                for m in t.s.execute(select(Member).where(Member.phone.in_(phones))).scalars()]
    ids = _max_ids(ctx)
    import_sales(ctx, path)
    return _tag(ctx, "sales", path, ids, remember=kept)


def test_moving_in_undo_the_history_and_import_it_again(ctx, tmp_path):
    """The issue's newcomer: members with balances, then two years of history; the history undone and
    imported again; then everything undone, newest first, back to the empty shop."""
    stock_shop(ctx)
    empty = snapshot(ctx)
    import_members_batch(ctx, tmp_path)
    with_members = snapshot(ctx)
    path = write(tmp_path, "history.csv", "手机号,日期,金额\n"
                                          "13800138001,2024-01-05 10:00,3000.00\n"
                                          "13900139002,2024-06-05 10:00,120.00\n"
                                          "13800138001,2025-11-05 10:00,80.00\n"
                                          "13500135009,2025-03-01 09:30,45.00\n")
    first = _history(ctx, path)
    with_history = snapshot(ctx)
    assert with_history["sales"] == 4 and with_history["members"] == with_members["members"] + 1
    import_batches.undo(ctx, first)
    assert snapshot(ctx) == with_members
    second = _history(ctx, path)
    assert second > first
    again = snapshot(ctx)
    strip = lambda s: {k: v for k, v in s.items() if k != "member_rows"}          # noqa: E731 (new ids)
    assert strip(again) == strip(with_history)
    check_green(ctx)
    import_batches.undo(ctx)                       # the history again
    import_batches.undo(ctx)                       # the members
    assert snapshot(ctx) == empty
    check_green(ctx)
    with ctx.tx(write=False) as t:
        assert [b.status for b in import_batches.recent(t)] == ["undone", "undone", "undone"]
