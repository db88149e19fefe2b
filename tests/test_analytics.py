"""Member analytics: the BTYD summary against lifetimes, as-of cuts, refunds, BG/NBD against known
parameters and lifetimes, churn_risk on a holdout, the cache, the CLI and its export rights.

The shop's history goes into the real SQLite file through the real history import
(``imports.import_sales``, what ``shopcare import sales`` runs) and real checkouts and refunds.
"""
from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from app.cli import main
from app.errors import PermissionDenied, ValidationError
from app.models import AuditLog
from app.services.admin import imports
from app.services.analytics import bgnbd, churn, model_cache, rfm, synthetic
from app.services.analytics.export import export_member_analytics
from app.services.analytics.members import COLUMNS, analyse, member_rows, overview
from app.services.sales.checkout import Cart, CartLine, Tender, checkout
from app.services.sales.refunds import RefundLine, refund
from tests.shop import member, stock_shop

lifetimes = pytest.importorskip("lifetimes")   # test extra; brings pandas
import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402

START = date(2025, 1, 1)


def phone_of(i: int) -> str:
    return f"139{i:08d}"


def generated_history(n: int = 250, days: int = 420, seed: int = 11):
    """A mixed shop (one-time buyers, BG/NBD customers, regulars who quit) as single purchases with
    times of day; a fifth of the purchase days get a second sale the same day."""
    m, d, v = synthetic.mixed_shop(n, days, seed=seed)
    rng = np.random.default_rng(seed)
    extra = rng.random(len(m)) < 0.2
    m = np.r_[m, m[extra]]
    d = np.r_[d, d[extra]]
    v = np.r_[v, rng.integers(500, 3000, int(extra.sum()))]
    when = [datetime.combine(START + timedelta(days=int(x)), datetime.min.time())
            + timedelta(hours=int(rng.integers(8, 21)), minutes=int(rng.integers(0, 60))) for x in d]
    return pd.DataFrame({"phone": [phone_of(int(x)) for x in m], "when": when, "value": v.astype(np.int64)})


def import_history(ctx, df: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "history.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["phone", "datetime", "amount"])
        for row in df.itertuples():
            w.writerow([row.phone, row.when.strftime("%Y-%m-%d %H:%M:%S"), f"{row.value / 100:.2f}"])
    report = imports.import_sales(ctx, path)
    assert report.imported == len(df)


def rows_by_phone(ctx, a) -> dict[str, dict]:
    return {r[2]: dict(zip(COLUMNS, r)) for r in member_rows(ctx, a)}


def test_summary_columns_match_lifetimes_on_a_generated_shop(ctx, clock, tmp_path):
    df = generated_history()
    import_history(ctx, df, tmp_path)
    as_of = START + timedelta(days=400)       # later purchases exist and must not count
    clock.set(datetime.combine(START + timedelta(days=430), datetime.min.time()))
    a = analyse(ctx, as_of)
    ours = rows_by_phone(ctx, a)

    seen = df[df["when"] < datetime.combine(as_of + timedelta(days=1), datetime.min.time())].copy()
    seen["phone"] = "+86" + seen["phone"]
    ref = summary_data_from_transaction_data(seen, "phone", "when", monetary_value_col="value",
                                             observation_period_end=as_of.isoformat(), freq="D")
    assert set(ours) == set(ref.index)
    assert len(ours) > 150 and (ref["frequency"] == 0).sum() > 20 and (ref["frequency"] > 3).sum() > 20
    per_member = seen.groupby("phone")["value"].agg(["count", "sum"])
    for phone, r in ours.items():
        x = ref.loc[phone]
        assert (r["frequency"], r["recency"], r["T"]) == (x["frequency"], x["recency"], x["T"]), phone
        assert abs(r["monetary"] - x["monetary_value"]) <= 0.5, phone     # ours: rounded to a minor unit
        assert (r["orders"], r["total_spent"]) == tuple(per_member.loc[phone]), phone
        first = seen[seen.phone == phone]["when"].min().date()
        assert r["first_purchase"] == first


def test_same_day_purchases_are_one_purchase_day_and_refunds_count_net(ctx, clock):
    stock_shop(ctx)
    m = member(ctx)
    other = member(ctx, phone="13900139000", name="李雷")

    def sell(day: int, hour: int, qty: int = 1, who=m):
        clock.set(datetime(2026, 3, 1 + day, hour, 0))
        return checkout(ctx, Cart((CartLine("TEA", qty),), member_id=who.id), [Tender("cash", 3333 * qty)])

    sell(0, 9)
    sell(0, 17, 2)                     # same day: one purchase day worth 3 teas
    partly = sell(4, 10, 3)
    gone = sell(8, 11)                 # refunded in full below: not a purchase
    sell(9, 12)
    sell(9, 19)
    sell(2, 10, who=other)
    clock.set(datetime(2026, 3, 12, 9))
    refund(ctx, partly.receipt_no, [RefundLine(1, 1)], reason="one broken")
    refund(ctx, gone.receipt_no, None, reason="changed mind")
    clock.set(datetime(2026, 3, 21, 9))
    a = analyse(ctx)
    r = rows_by_phone(ctx, a)[m.phone]
    # purchase days: Mar 1 (3 teas), Mar 5 (2 teas net), Mar 10 (2 teas); Mar 9 refunded in full
    assert r["first_purchase"] == date(2026, 3, 1) and r["last_purchase"] == date(2026, 3, 10)
    assert (r["frequency"], r["recency"], r["T"]) == (2, 9, 20)
    assert r["orders"] == 5
    assert r["total_spent"] == 7 * 3333
    assert r["monetary"] == 2 * 3333            # mean of the repeat days: (2 + 2 teas) / 2
    assert rows_by_phone(ctx, a)[other.phone]["frequency"] == 0
    assert rows_by_phone(ctx, a)[other.phone]["monetary"] == 0
    # two members are too few for a model: no p_alive, churn_risk from the rhythm alone
    assert a.params is None and r["p_alive"] is None and r["expected_purchases_90d"] is None
    assert a.scores.models.churn.method == "hand" and 0.0 <= r["churn_risk"] <= 1.0


def test_a_past_as_of_reproduces_what_the_shop_knew_then(ctx, clock, tmp_path):
    stock_shop(ctx)
    df = generated_history(n=150, days=300, seed=3)
    cut = START + timedelta(days=250)
    before = df[df["when"] < datetime.combine(cut + timedelta(days=1), datetime.min.time())]
    import_history(ctx, before, tmp_path)
    # later: more history arrives, a sale from before the cut is refunded, time moves on
    m = member(ctx, phone="13700137000", name="韩梅梅")
    clock.set(datetime.combine(cut, datetime.min.time()) + timedelta(hours=10))
    early = checkout(ctx, Cart((CartLine("COF"),), member_id=m.id), [Tender("cash", 5800)])
    then = list(member_rows(ctx, analyse(ctx, cut, refit=True)))
    # later: more history arrives, that sale from the as-of day is refunded, time moves on
    clock.set(datetime.combine(START + timedelta(days=320), datetime.min.time()))
    later = df[df["when"] >= datetime.combine(cut + timedelta(days=1), datetime.min.time())]
    (tmp_path / "later").mkdir()
    import_history(ctx, later, tmp_path / "later")
    refund(ctx, early.receipt_no, None, reason="returned long after")
    again = list(member_rows(ctx, analyse(ctx, cut, refit=True)))
    assert again == then                               # the refund came after the as-of date
    assert next(r for r in again if r[2] == m.phone)[COLUMNS.index("total_spent")] == 5800
    today = list(member_rows(ctx, analyse(ctx)))
    assert len(today) == df["phone"].nunique()          # her only sale is refunded in full by now
    assert m.phone not in {r[2] for r in today}


def test_bgnbd_fit_recovers_known_parameters_and_agrees_with_lifetimes():
    truth = dict(r=0.8, alpha=40.0, a=0.6, b=2.5)
    m, d, v = synthetic.bgnbd_shop(20_000, 730, **truth, seed=7)
    from app.services.analytics.purchases import group_days
    from app.services.analytics.summary import summarise

    s = summarise(group_days(m, d, v), 729)
    fit = bgnbd.fit(s.frequency, s.recency, s.T)
    assert fit.converged
    for name, tol in (("r", 0.15), ("alpha", 0.15), ("a", 0.25), ("b", 0.25)):
        assert abs(getattr(fit, name) / truth[name] - 1) < tol, (name, getattr(fit, name))
    ref = BetaGeoFitter().fit(s.frequency, s.recency, s.T)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(ref.params_[name], rel=1e-3)
    assert np.allclose(bgnbd.p_alive(fit, s.frequency, s.recency, s.T),
                       ref.conditional_probability_alive(s.frequency, s.recency, s.T), atol=1e-4)
    assert np.allclose(bgnbd.expected_purchases(fit, 90, s.frequency, s.recency, s.T),
                       ref.conditional_expected_number_of_purchases_up_to_time(90, s.frequency, s.recency, s.T),
                       atol=1e-4)
    # the fast objective (day grid, per-x terms) is the plain per-member formula, averaged
    point = (0.7, 1.3, 0.5, 2.0)
    scale = bgnbd._time_scale(s.T)
    plain = bgnbd.log_likelihood(point, s.frequency.astype(float), s.recency * scale, s.T * scale).mean()
    fast = bgnbd._objective(np.log(point), bgnbd._Data(s.frequency, s.recency, s.T, scale), 0.0)[0]
    assert fast == pytest.approx(-plain, rel=1e-12)
    # one-time buyers are certainly alive under the model: what churn_risk corrects
    assert np.all(bgnbd.p_alive(fit, s.frequency, s.recency, s.T)[s.frequency == 0] == 1.0)


def test_penalised_fit_matches_lifetimes_penalizer():
    m, d, v = synthetic.bgnbd_shop(3000, 365, 0.5, 20.0, 1.2, 3.0, seed=2)
    from app.services.analytics.purchases import group_days
    from app.services.analytics.summary import summarise

    s = summarise(group_days(m, d, v), 364)
    fit = bgnbd.fit(s.frequency, s.recency, s.T, penalizer=0.01)
    ref = BetaGeoFitter(penalizer_coef=0.01).fit(s.frequency, s.recency, s.T)
    # lifetimes' own penalised objective (same time scale): ours is at its minimum at least as well
    scale = 1.0 / s.T.max()

    def objective(r, alpha, a, b):
        return BetaGeoFitter._negative_log_likelihood(np.log([r, alpha * scale, a, b]), s.frequency,
                                                      s.recency * scale, s.T * scale, np.ones(len(s)), 0.01)

    assert objective(fit.r, fit.alpha, fit.a, fit.b) <= objective(*ref.params_[["r", "alpha", "a", "b"]]) + 1e-9
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit, name) == pytest.approx(ref.params_[name], rel=0.05)


def test_churn_risk_beats_p_alive_on_a_holdout():
    m, d, v = synthetic.mixed_shop(8000, 730 + 90, seed=21)
    result = synthetic.holdout(m, d, v, as_of=730)
    assert result["method"] == "logistic"
    assert result["one_time_buyers"] > 0.3
    assert result["auc_churn_risk"] > 0.85
    assert result["auc_churn_risk"] > result["auc_one_minus_p_alive"] + 0.2
    assert result["auc_churn_risk"] >= result["auc_hand"] - 0.01


def test_roc_auc_by_hand():
    assert churn.roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert churn.roc_auc([1, 1, 1], [True, False, True]) == pytest.approx(0.5)


def test_quintiles_share_ties_and_segments_follow_the_rules():
    assert list(rfm.quintile_scores([0, 0, 0, 0, 0, 0, 1, 2, 3, 4])) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert list(rfm.quintile_scores([1, 2, 3, 4, 5], higher_is_better=False)) == [5, 4, 3, 2, 1]
    grid = {(5, 5, 5): "champions", (3, 4, 1): "loyal", (5, 1, 1): "new", (4, 2, 3): "potential",
            (3, 1, 1): "potential", (2, 5, 5): "cant_lose", (1, 4, 2): "at_risk", (2, 3, 5): "at_risk",
            (2, 2, 2): "hibernating", (1, 1, 5): "lost"}
    r, f, m = (np.array([k[i] for k in grid]) for i in range(3))
    assert list(rfm.segments(r, f, m)) == list(grid.values())


def test_value_curve_top20_share():
    curve = rfm.value_curve([900] + [10] * 9 + [0] * 0)
    assert curve.top20_share == pytest.approx(910 / 990)
    assert curve.points[0] == (0.0, 0.0) and curve.points[-1] == (1.0, 1.0)
    ys = [y for _x, y in curve.points]
    assert ys == sorted(ys)


def test_models_are_cached_and_refitted_when_asked_or_stale(ctx, clock, tmp_path):
    import_history(ctx, generated_history(n=200, days=300, seed=5), tmp_path)
    clock.set(datetime.combine(START + timedelta(days=300), datetime.min.time()))
    first = analyse(ctx)
    assert first.refitted and first.params is not None
    record = model_cache.load(ctx)
    assert record is not None and record[1]["as_of"] == first.as_of.isoformat()
    again = analyse(ctx)
    assert not again.refitted and again.params == first.params
    assert analyse(ctx, refit=True).refitted
    clock.set(clock.now() + timedelta(days=30))       # a month on: stale
    assert analyse(ctx).refitted
    look_back = analyse(ctx, START + timedelta(days=200))
    assert look_back.refitted                        # a fit of later data is never used for the past
    assert model_cache.load(ctx)[1]["as_of"] == (START + timedelta(days=330)).isoformat()


def test_export_is_owner_only_and_audited(ctx, cashier_ctx, clock, tmp_path):
    import_history(ctx, generated_history(n=60, days=200, seed=9), tmp_path)
    clock.set(datetime.combine(START + timedelta(days=200), datetime.min.time()))
    out = tmp_path / "members.csv"
    with pytest.raises(PermissionDenied):
        export_member_analytics(cashier_ctx, out)
    assert not out.exists()
    with ctx.db.session(write=False) as s:
        assert not s.execute(select(AuditLog).where(AuditLog.action == "analytics.export")).first()
    result = export_member_analytics(ctx, out)
    assert result.rows > 30
    with ctx.db.session(write=False) as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "analytics.export")).scalar_one()
        assert '"rows": %d' % result.rows in row.after
    with pytest.raises(ValidationError) as e:
        export_member_analytics(ctx, tmp_path / "members.pdf")
    assert e.value.code == "export_format"


def test_cli_rfm_writes_the_columns_and_prints_a_summary(ctx, clock, tmp_path, capsys):
    import_history(ctx, generated_history(n=120, days=300, seed=4), tmp_path)
    url = ctx.db.url
    out = tmp_path / "rfm.csv"
    as_of = (START + timedelta(days=290)).isoformat()
    assert main(["--db", url, "--lang", "en", "rfm", "--as-of", as_of, "-o", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["member_id", "name", "phone", "first_purchase", "last_purchase", "orders", "total_spent",
                       "frequency", "recency", "T", "monetary", "segment", "p_alive", "expected_purchases_90d",
                       "churn_risk"]
    body = rows[1:]
    assert len(body) > 80
    assert all(r[2].startswith("+86139") for r in body)                # the full phone, for the owner
    assert all(r[6].count(".") == 1 and len(r[6].split(".")[1]) == 2 for r in body)   # major units
    assert all(r[11] in rfm.SEGMENTS for r in body)
    assert all(0.0 <= float(r[14]) <= 1.0 and 0.0 <= float(r[12]) <= 1.0 for r in body)
    assert max(r[4] for r in body) <= as_of
    xlsx = tmp_path / "rfm.xlsx"
    assert main(["--db", url, "rfm", "--as-of", as_of, "-o", str(xlsx)]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
    got = list(sheet.iter_rows(values_only=True))
    assert list(got[0]) == rows[0] and len(got) == len(rows)
    capsys.readouterr()
    assert main(["--db", url, "--lang", "en", "rfm", "--as-of", as_of]) == 0
    text = capsys.readouterr().out
    assert f"{len(body)} members who have bought" in text and "top 20% of members bring" in text
    assert "champions" in text and "BG/NBD: r=" in text
    assert main(["--db", url, "--lang", "en", "rfm", "--as-of", "2999-01-01"]) == 2
    assert "after today" in capsys.readouterr().err


def test_overview_lists_valuable_members_at_risk(ctx, clock, tmp_path):
    import_history(ctx, generated_history(n=200, days=400, seed=8), tmp_path)
    clock.set(datetime.combine(START + timedelta(days=400), datetime.min.time()))
    ov = overview(ctx)
    assert sum(c for _k, c in ov.segment_counts) == ov.members
    assert ov.at_risk and all(m.churn_risk >= 0.5 for m in ov.at_risk)
    value = [m.churn_risk * m.total_spent for m in ov.at_risk]
    assert value == sorted(value, reverse=True)
    assert all("*" in m.masked_phone for m in ov.at_risk)           # the screen shows masked phones


def test_bgnbd_agrees_with_lifetimes_where_nobody_drops_out():
    """Steady buyers who hardly ever leave, a large alpha, the app's own small penalty: where a penalty
    weighed on a time scale ten times lifetimes' moved the fit far from it (r 1.93 against 3.09, p_alive
    off by 0.34 here; r 2.37 against 4.41 on the benchmark shop). On lifetimes' scale they agree."""
    from app.services.analytics.purchases import group_days
    from app.services.analytics.scoring import PENALIZER
    from app.services.analytics.summary import summarise

    m, d, v = synthetic.bgnbd_shop(5000, 730, 4.4, 900.0, 0.02, 50.0, seed=11)
    s = summarise(group_days(m, d, v), 729)
    fit = bgnbd.fit(s.frequency, s.recency, s.T, penalizer=PENALIZER)
    ref = BetaGeoFitter(penalizer_coef=PENALIZER).fit(s.frequency, s.recency, s.T)
    for name in ("r", "alpha"):
        assert getattr(fit, name) == pytest.approx(ref.params_[name], rel=0.01), name
    assert np.allclose(bgnbd.p_alive(fit, s.frequency, s.recency, s.T),
                       ref.conditional_probability_alive(s.frequency, s.recency, s.T), atol=0.02)
