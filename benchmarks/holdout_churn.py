"""churn_risk against BG/NBD's p_alive on generated shops with known behaviour (docs/analytics.md).

    .venv/bin/python benchmarks/holdout_churn.py [--members 20000] [--seeds 1 2 3] [--quick] [--json PATH]

Each shop: two years of history plus 90 days. Everything is fitted on the history up to day 730
(the shop's own churn model on its own cut-off at day 640), then scored against who did NOT buy
in days 731-820: ROC AUC of churn_risk, of 1 - p_alive, of BG/NBD's own forecast (1 - the chance
of at least one purchase in 90 days) and of the fixed hand combination. ``--json``: churn_risk's
AUC per shop (mean over the seeds) beside 1 - p_alive's as the floor, target at least 0.80
(docs/analytics.md: 0.83-0.95). ``--quick``: 5,000 members, seed 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import results  # noqa: E402

from app.services.analytics import synthetic  # noqa: E402

SHOPS = {
    "mixed (35% one-time, 25% regulars who quit, 40% BG/NBD)": lambda n, seed: synthetic.mixed_shop(
        n, 820, seed=seed),
    "mostly one-time buyers (60%, 15% regulars)": lambda n, seed: synthetic.mixed_shop(
        n, 820, seed=seed, one_time=0.6, regular=0.15),
    "pure BG/NBD (r 0.8, alpha 40, a 0.6, b 2.5)": lambda n, seed: synthetic.bgnbd_shop(
        n, 820, 0.8, 40.0, 0.6, 2.5, seed=seed),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=None, help="default 20,000; 5,000 with --quick")
    ap.add_argument("--seeds", type=int, nargs="+", default=None, help="default 1 2 3; 1 with --quick")
    ap.add_argument("--quick", action="store_true")
    results.add_json_arg(ap)
    args = ap.parse_args(argv)
    args.members = args.members or (5_000 if args.quick else 20_000)
    args.seeds = args.seeds or ([1] if args.quick else [1, 2, 3])
    figures = []
    print("| shop | seed | members | did not return | churn_risk | 1 - p_alive | BG/NBD forecast | hand |")
    print("|---|---|---|---|---|---|---|---|")
    for name, make in SHOPS.items():
        runs = []
        for seed in args.seeds:
            m, d, v = make(args.members, seed)
            r = synthetic.holdout(m, d, v, as_of=730)
            runs.append(r)
            print(f"| {name} | {seed} | {r['members']:,} | {100 * r['did_not_return']:.0f}% | "
                  f"**{r['auc_churn_risk']:.3f}** | {r['auc_one_minus_p_alive']:.3f} | "
                  f"{r['auc_model_forecast']:.3f} | {r['auc_hand']:.3f} |", flush=True)

        def mean(key: str) -> float:
            return sum(r[key] for r in runs) / len(runs)

        figures.append(results.figure(f"churn_risk ROC AUC: {name}", mean("auc_churn_risk"), "AUC",
                                      floor=mean("auc_one_minus_p_alive"), floor_what="1 - p_alive",
                                      target_min=0.80,
                                      note=f"BG/NBD forecast alone {mean('auc_model_forecast'):.3f}"))
    results.write(args.json, "holdout_churn", figures,
                  setup=f"generated shops of {args.members:,} members, seeds {' '.join(map(str, args.seeds))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
