"""Property: whatever a members, history or products file holds, importing it and undoing the import
leaves every table as it was (row counts, members' balances, totals and tiers, products, barcodes,
member prices), and the ledgers balanced. One database for all examples: each example starts where
the last undo left it, so a trace an undo left behind would show in the next one too."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.admin import import_batches
from app.services.admin.import_products import import_products
from app.services.admin.imports import import_members, import_sales
from app.services.sales import products as product_service
from tests.shop import member, stock_shop
from tests.test_import_undo import _max_ids, _tag, check_green, snapshot

phones = st.integers(min_value=0, max_value=40).map(lambda n: f"1380013{n:04d}")
member_rows = st.lists(st.tuples(phones, st.integers(0, 50_000), st.integers(0, 5_000), st.integers(0, 900),
                                 st.sampled_from(["", "常客", "VIP、常客"])), max_size=8, unique_by=lambda r: r[0])
history_rows = st.lists(st.tuples(phones, st.integers(1, 28), st.integers(1, 99_999)), max_size=10)
product_rows = st.lists(st.tuples(st.sampled_from(["COF", "TEA", "NEW1", "NEW2", "NEW3"]), st.integers(1, 99_999),
                                  st.one_of(st.none(), st.integers(0, 50)), st.sampled_from(["", "Coffee", "茶叶"])),
                        max_size=5, unique_by=lambda r: r[0])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(kind=st.sampled_from(["members", "sales", "products"]), members=member_rows, history=history_rows,
       items=product_rows)
def test_import_then_undo_leaves_every_table_as_it_was(ctx, tmp_path, kind, members, history, items):
    with ctx.tx(write=False) as t:
        from sqlalchemy import text
        fresh = t.s.execute(text("SELECT COUNT(*) FROM products")).scalar() == 0
    if fresh:
        stock_shop(ctx)
        product_service.add_category(ctx, "Coffee")
        member(ctx, "13800130001", "老会员")           # a phone the files may name: history onto her
    before = snapshot(ctx)
    path = tmp_path / f"{kind}.csv"
    if kind == "members":
        rows = [r for r in members if r[0] != "13800130001"]
        if not rows:
            return
        path.write_text("姓名,手机号,余额,赠送余额,积分,标签\n" + "".join(
            f"M{p[-4:]},{p},{b / 100:.2f},{bo / 100:.2f},{pt},{tag}\n" for p, b, bo, pt, tag in rows), encoding="utf-8")
        ids = _max_ids(ctx)
        import_members(ctx, path)
        _tag(ctx, "members", path, ids)
    elif kind == "sales":
        if not history:
            return
        path.write_text("手机号,日期,金额\n" + "".join(
            f"{p},2025-02-{d:02d} 10:{i:02d},{a / 100:.2f}\n" for i, (p, d, a) in enumerate(history)), encoding="utf-8")
        with ctx.tx(write=False) as t:
            from sqlalchemy import select

            from app.models import Member
            kept = [(m.id, {"total_spent": m.total_spent, "visits": m.visits, "tier_id": m.tier_id,
                            "last_visit_at": m.last_visit_at.isoformat() if m.last_visit_at else None})
                    for m in t.s.execute(select(Member).where(Member.phone.in_(
                        ["+86" + p for p, _, _ in history]))).scalars()]
        ids = _max_ids(ctx)
        import_sales(ctx, path)
        _tag(ctx, "sales", path, ids, remember=kept)
    else:
        if not items:
            return
        path.write_text("name,sku,price,stock,category\n" + "".join(
            f"P {sku},{sku},{price / 100:.2f},{'' if stock is None else stock},{cat}\n"
            for sku, price, stock, cat in items), encoding="utf-8")
        result = import_products(ctx, path, update=True, add_categories=True, skip_bad=True)
        if not (result.added or result.updated or result.new_categories):
            import_batches.undo(ctx)               # a batch that changed nothing undoes to nothing
            assert snapshot(ctx) == before
            return
    check_green(ctx)
    import_batches.undo(ctx)
    assert snapshot(ctx) == before
    check_green(ctx)
