"""The end-of-day report: every figure recomputed from the rows in plain Python, and the PDF read back."""
from __future__ import annotations

import subprocess
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.models import Member, Message, Payment, PointsEntry, Sale, SaleLine, Staff, Topup, WalletEntry
from app.services.base import auth, settings
from app.services.reports import eod, eod_pdf
from app.services.ledger import points, vouchers, wallet
from app.services.sales.checkout import Cart, CartLine, Tender, checkout, price_cart
from app.services.base.context import Actor
from app.services.sales.refunds import RefundLine, refund, void_sale
from tests.shop import fund, member, stock_shop

DAY = date(2026, 3, 2)   # the conftest clock starts at 10:00 on this day


@pytest.fixture
def busy_day(ctx, clock):
    """A day with every kind of movement the report counts, spread over the hours, with a day before
    and after it that must not leak in."""
    stock_shop(ctx)
    settings.update(ctx, language="en")
    cashier = auth.add_staff(ctx, "Li Na", "cashier", "1357")
    li = ctx.as_actor(Actor(cashier.id, cashier.name, "cashier"))
    a = member(ctx, "13800138000", "王芳", birthday="1990-03-02")
    b = member(ctx, "13900139000", "Tom", birthday="03-03")
    fund(ctx, a.id, principal=50_000, bonus=5_000, points=3_000)

    def at(hh, mm=0, day=DAY):
        clock.set(datetime.combine(day, datetime.min.time()) + timedelta(hours=hh, minutes=mm))

    at(9, 30, DAY - timedelta(days=1))
    checkout(ctx, Cart((CartLine("COF"),)), [Tender("cash", 10_000)])             # yesterday: left out
    due = lambda cart: price_cart(ctx, cart).total  # noqa: E731
    at(10, 5)
    c1 = Cart((CartLine("COF", 2), CartLine("TEA")), member_id=a.id)
    checkout(li, c1, [Tender("wallet", due(c1))])
    at(11, 40)
    s2 = checkout(li, Cart((CartLine("TEA"),)), [Tender("cash", 5_000)])          # walk-in, change given
    at(12, 15)
    voucher = vouchers.issue(ctx, value=1_000, member_id=b.id)
    c3 = Cart((CartLine("MUG"), CartLine("COF")), member_id=b.id)
    checkout(ctx, c3, [Tender("voucher", voucher_code=voucher.code), Tender("card", due(c3) - 1_000)])
    at(14, 0)
    c4 = Cart((CartLine("CUT"), CartLine("TEA", 3)), member_id=a.id)
    s4 = checkout(ctx, c4, [Tender("points", points=2_000), Tender("card", due(c4) - 2_000)])
    at(15, 30)
    refund(ctx, s4.receipt_no, [RefundLine(2, 1)], reason="broken")
    at(16, 0)
    void_sale(ctx, s2.receipt_no, "rang up twice")
    at(17, 10)
    wallet.topup(ctx, b.id, 20_000, "cash")
    t2 = wallet.topup(ctx, a.id, 50_000, "card")
    at(18, 0)
    wallet.refund_topup(ctx, t2.topup_id, "changed mind")
    cash_top = wallet.topup(ctx, b.id, 10_000, "cash")
    wallet.refund_topup(ctx, cash_top.topup_id, "wrong member")
    at(19, 0)
    wallet.cashout(ctx, b.id, "moving away")
    points.adjust(ctx, a.id, -100, "goodwill correction")
    member(ctx, "13700137000", "新会员")
    at(20, 0)
    with ctx.tx() as t:  # the sender's outcomes, as it would leave them
        ids = t.s.execute(select(Message.id).order_by(Message.id)).scalars().all()
        t.s.execute(update(Message).where(Message.id == ids[0]).values(status="sent", sent_at=clock.now(), segments=2))
        t.s.execute(update(Message).where(Message.id == ids[1]).values(status="delivered", sent_at=clock.now()))
        t.s.execute(update(Message).where(Message.id == ids[2]).values(status="failed"))
        t.s.execute(update(Message).where(Message.id == ids[3]).values(due_at=datetime(2026, 3, 3, 9, 0)))
    at(10, 0, DAY + timedelta(days=1))
    checkout(ctx, Cart((CartLine("TEA"),), member_id=a.id), [Tender("card", 3_333)])  # tomorrow: left out
    clock.set(datetime(2026, 3, 2, 22, 0))
    return ctx


def _rows(db, model):
    with db.session(write=False) as s:
        return s.execute(select(model)).scalars().all()


def test_every_figure_reconciles_with_the_rows(busy_day, db):
    r = eod.eod_report(busy_day, DAY)
    start, end = datetime(2026, 3, 2), datetime(2026, 3, 3)
    inday = lambda at: at is not None and start <= at < end  # noqa: E731
    sales = [s for s in _rows(db, Sale) if inday(s.created_at)]
    kept = [s for s in sales if s.kind == "sale"]
    voids = [s for s in sales if s.kind == "refund" and s.note.startswith("void: ")]
    refunds = [s for s in sales if s.kind == "refund" and s not in voids]
    assert (r.sales.count, r.sales.amount) == (len(kept), sum(s.total for s in kept)) == (4, r.sales.amount)
    assert (r.refunds.count, r.refunds.amount) == (1, sum(s.total for s in refunds))
    assert (r.voids.count, r.voids.amount) == (1, sum(s.total for s in voids))
    assert r.net_sales == sum(s.total for s in sales)
    assert r.member_sales.amount + r.walkin_sales.amount == r.sales.amount
    assert r.walkin_sales.count == 1 and r.member_sales.count == 3
    assert r.discounts == sum(s.tier_discount + s.manual_discount for s in kept)
    ids = {s.id for s in sales}
    pays = [p for p in _rows(db, Payment) if p.sale_id in ids]
    by_method = defaultdict(int)
    for p in pays:
        by_method[p.method] += p.amount
    assert r.by_method == dict(by_method)
    assert sum(r.by_method.values()) == r.net_sales
    hours = [0] * 24
    for s in sales:
        hours[s.created_at.hour] += s.total
    assert list(r.by_hour) == hours and hours[10] > 0 and hours[9] == 0

    topups = [t for t in _rows(db, Topup) if inday(t.created_at)]
    assert (r.topped_up.count, r.topped_up.amount) == (3, sum(t.amount for t in topups))
    assert r.cash_topups == sum(t.amount for t in topups if t.pay_method == "cash") == 30_000
    entries = _rows(db, WalletEntry)
    today = [e for e in entries if inday(e.created_at)]
    kind_sum = lambda kinds: sum(e.principal + e.bonus for e in today if e.kind in kinds)  # noqa: E731
    assert r.topup_bonus == sum(e.bonus for e in today if e.kind == "topup")
    assert r.wallet_spent == kind_sum({"spend"}) < 0
    assert r.wallet_refunded == kind_sum({"refund"})
    assert r.wallet_paid_out == kind_sum({"cashout", "topup_refund"})
    topup_cash = {t.id for t in _rows(db, Topup) if t.pay_method == "cash"}
    cash_out = sum(e.principal for e in today if e.kind == "cashout") + sum(
        e.principal for e in today if e.kind == "topup_refund" and e.topup_id in topup_cash)
    assert r.cash_paid_out == cash_out < 0
    assert r.cash_sales == by_method["cash"]
    assert r.cash_expected == by_method["cash"] + 30_000 + cash_out
    upto = [e for e in entries if e.created_at < end]
    assert r.outstanding_principal == sum(e.principal for e in upto)
    assert r.outstanding_bonus == sum(e.bonus for e in upto)
    # At the close of today the liability is what the members hold now minus tomorrow's movements.
    members = _rows(db, Member)
    later = [e for e in entries if e.created_at >= end]
    assert r.outstanding_principal + r.outstanding_bonus == (
        sum(m.wallet_principal + m.wallet_bonus for m in members) - sum(e.principal + e.bonus for e in later))

    pts = [e for e in _rows(db, PointsEntry)]
    pday = Counter()
    for e in pts:
        if inday(e.created_at):
            pday[e.kind] += e.points
    assert (r.points_issued, r.points_redeemed, r.points_expired) == (pday["earn"], pday["redeem"], pday["expire"])
    assert r.points_redeemed == -2_000 and r.points_issued > 0
    assert r.points_other == pday["refund"] + pday["adjust"] + pday["opening"]
    assert r.points_outstanding == sum(e.points for e in pts if e.created_at < end)

    assert (r.vouchers_redeemed.count, r.vouchers_redeemed.amount) == (1, 1_000)
    assert r.new_members == sum(1 for m in members if inday(m.created_at)) == 3
    msgs = _rows(db, Message)
    assert r.texts_sent == 2 and r.text_segments == sum(m.segments for m in msgs if m.status in ("sent", "delivered"))
    assert r.texts_failed == 1 and r.texts_deferred == 1

    lines = [ln for ln in _rows(db, SaleLine) if ln.sale_id in ids]
    net = defaultdict(int)
    for ln in lines:
        net[ln.sku] += ln.line_total
    expected_top = sorted(net.items(), key=lambda kv: (-kv[1], kv[0]))
    assert [(p.sku, p.amount) for p in r.top_products] == expected_top
    staff = {st.id: st.name for st in _rows(db, Staff)}
    per = defaultdict(int)
    for s in sales:
        per[staff.get(s.staff_id, "")] += s.total
    assert {c.name: c.amount for c in r.cashiers} == dict(per)
    assert [m.name for m in r.birthdays_today] == ["王芳"] and r.birthdays_today[0].note == "36"
    assert [m.name for m in r.birthdays_tomorrow] == ["Tom"]


def test_valuable_members_who_stopped_coming_are_listed(ctx, clock):
    stock_shop(ctx)
    regular = member(ctx, "13800138001", "常客")
    gone = member(ctx, "13800138002", "老顾客")
    once = member(ctx, "13800138003", "一次")
    for week in range(10):   # both came weekly for ten weeks, then one of them stopped
        clock.set(datetime(2026, 1, 1, 10) + timedelta(weeks=week))
        for m in (regular, gone):
            checkout(ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("card", 5_800)])
    checkout(ctx, Cart((CartLine("COF", 9),), member_id=once.id), [Tender("card", 52_200)])
    for week in range(10, 30):
        clock.set(datetime(2026, 1, 1, 10) + timedelta(weeks=week))
        checkout(ctx, Cart((CartLine("COF"),), member_id=regular.id), [Tender("card", 5_800)])
    r = eod.eod_report(ctx, clock.now().date())
    assert [m.name for m in r.at_risk] == ["老顾客"]
    assert int(r.at_risk[0].note) == 20 * 7


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_the_pdf_carries_the_figures_in_the_shops_language_with_an_embedded_font(busy_day, tmp_path, lang):
    r = eod.eod_report(busy_day, DAY)
    out = eod_pdf.write_eod_pdf(r, tmp_path / "eod.pdf", lang)
    text = _pdf_text(out)
    title = "会员日结报表" if lang == "zh_CN" else "End-of-day member report"
    assert title in text
    for minor in (r.net_sales, r.outstanding_principal + r.outstanding_bonus, r.cash_expected):
        assert f"{minor / 100:,.2f}" in text
    assert "王芳" in text and "138****8000" in text and "13800138000" not in text   # phones masked
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    # The CJK font is embedded (as a subset); anything not embedded is one of the PDF's standard 14
    # (reportlab's canvas starts each page in Helvetica).
    assert any(r[1] == "TrueType" and r[-5] == "yes" and r[-4] == "yes" for r in rows), fonts
    assert all(r[-5] == "yes" or r[0] in ("Helvetica", "Times-Roman", "Courier") for r in rows), fonts
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True)
    assert (tmp_path / "p-1.png").stat().st_size > 5_000


def test_an_empty_day_is_a_short_clean_report(ctx, tmp_path):
    r = eod.eod_report(ctx, date(2026, 3, 1))
    assert (r.sales.count, r.net_sales, r.by_method, r.top_products) == (0, 0, {}, ())
    text = _pdf_text(eod_pdf.write_eod_pdf(r, tmp_path / "empty.pdf", "en"))
    assert "None" in text and "0.00" in text


def test_lunar_birthdays_are_listed_on_the_day_they_fall(ctx):
    from lunar_python import Solar

    lunar = Solar.fromYmd(2026, 3, 2).getLunar()   # what the day is in the lunar calendar
    member(ctx, "13800138001", "农历寿星", birthday=f"农历1980-{abs(lunar.getMonth()):02d}-{lunar.getDay():02d}")
    member(ctx, "13800138002", "公历寿星", birthday="1980-03-02")
    member(ctx, "13800138003", "农历明天", birthday=f"农历{abs(lunar.getMonth()):02d}-{lunar.getDay() + 1:02d}")
    r = eod.eod_report(ctx, DAY)
    assert sorted(m.name for m in r.birthdays_today) == ["公历寿星", "农历寿星"]
    assert {m.name: m.note for m in r.birthdays_today} == {"公历寿星": "46", "农历寿星": str(lunar.getYear() - 1980)}
    assert [m.name for m in r.birthdays_tomorrow] == ["农历明天"]


def _many_birthdays(ctx, db, n):
    """n members with their birthday on DAY, each a different total spent."""
    ids = []
    for i in range(n):
        v = member(ctx, f"1370000{i:04d}", f"寿星{i:02d}", birthday="1990-03-02")
        ids.append(v.id)
    with db.engine.begin() as conn:
        for i, mid in enumerate(ids):
            conn.execute(update(Member).where(Member.id == mid).values(total_spent=(i * 7919) % 100_000))
    return ids


def test_long_lists_show_their_top_and_say_how_many_more_and_where(ctx, db, tmp_path):
    settings.update(ctx, language="en")
    _many_birthdays(ctx, db, eod.LIST_TOP + 17)
    r = eod.eod_report(ctx, DAY)
    assert len(r.birthdays_today) == eod.LIST_TOP and r.birthdays_today_count == eod.LIST_TOP + 17
    spent = [m.value for m in r.birthdays_today]
    assert spent == sorted(spent, reverse=True)     # the most valuable first
    with db.session(write=False) as s:
        best = s.execute(select(Member.total_spent).order_by(Member.total_spent.desc()).limit(eod.LIST_TOP)).scalars().all()
    assert spent == best
    out = eod_pdf.write_eod_pdf(r, tmp_path / "eod.pdf", "en")
    text = " ".join(_pdf_text(out).split())
    assert "and 17 more" in text and "report eod --date 2026-03-02 -o lists.csv" in text
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) <= 6


def test_the_whole_lists_go_to_a_private_audited_csv_and_only_the_owner_may(ctx, db, tmp_path, cashier_ctx):
    import csv
    import stat

    from app.errors import PermissionDenied
    from app.models import AuditLog
    from app.services.reports import eod_lists

    _many_birthdays(ctx, db, eod.LIST_TOP + 5)
    member(ctx, "13600136000", "=HYPERLINK(\"x\")", birthday="03-03")
    out = tmp_path / "lists.csv"
    n = eod_lists.export_eod_lists(ctx, out, DAY)
    assert n == eod.LIST_TOP + 6
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["list"] for r in rows] == ["birthdays-today"] * (eod.LIST_TOP + 5) + ["birthdays-tomorrow"]
    assert rows[0]["phone"].startswith("+86137") and rows[0]["age"] == "36"          # the full number: to call
    assert rows[-1]["name"].startswith("'=")                                        # never a formula
    spent = [float(r["total_spent"]) for r in rows[:-1]]
    assert spent == sorted(spent, reverse=True)
    with db.session(write=False) as s:
        audit = s.execute(select(AuditLog).where(AuditLog.action == "reports.eod_lists.export")).scalars().all()
    assert len(audit) == 1
    only = eod_lists.export_eod_lists(ctx, tmp_path / "tomorrow.csv", DAY, ["birthdays-tomorrow"])
    assert only == 1
    with pytest.raises(PermissionDenied):
        eod_lists.export_eod_lists(cashier_ctx, tmp_path / "no.csv", DAY)
    assert not (tmp_path / "no.csv").exists()


def test_the_lists_queries_read_their_indexes(ctx, db, clock):
    """SQLite's plans: the at-risk count and top from ix_members_at_risk alone (the last-visit index
    it picked matched most members and read each row: 357 ms at 200,000), birthdays by their index."""
    from sqlalchemy import event

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan checked is SQLite's (PostgreSQL chooses by its statistics)")
    _many_birthdays(ctx, db, 3)
    seen: list[tuple[str, tuple]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM members" in statement and ("julianday" in statement or "birthday_month" in statement):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        eod.eod_report(ctx, DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    risk = [x for x in seen if "julianday" in x[0]]
    born = [x for x in seen if "birthday_month" in x[0]]
    assert len(risk) == 2 and len(born) == 4, seen
    with db.engine.connect() as conn:
        for statement, parameters in risk + born:
            plan = " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            index = "ix_members_at_risk" if "julianday" in statement else "ix_members_birthday"
            assert f"INDEX {index}" in plan, plan
            assert "TEMP B-TREE" not in plan or index == "ix_members_birthday", plan
            if index == "ix_members_at_risk":
                assert "COVERING INDEX" in plan, plan
