"""The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each
purchase they drop out with probability p ~ Beta(a, b). Fitted by maximum likelihood on the
summary (x = repeat purchase days, t_x = recency, T = age, all in days): the log-likelihood is
vectorised over members (gammaln/betaln), minimised by L-BFGS-B over the log-parameters with its
analytic gradient. ``penalizer`` adds ``penalizer * sum(params**2)`` to the mean negative
log-likelihood, as lifetimes' ``penalizer_coef`` does (on the same time scale), so a fit on thin
data cannot run off to extreme values.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

# log-parameters stay in [-LOG_BOUND, LOG_BOUND]: keeps a degenerate fit finite.
LOG_BOUND = 12.0


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float      # in days
    a: float
    b: float
    log_likelihood: float = 0.0   # mean per member, at the optimum (penalty left out)
    members: int = 0
    converged: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def _time_scale(T: np.ndarray) -> float:
    """Fit on time scaled so the oldest member is 10 units old (lifetimes does the same)."""
    top = float(np.max(T)) if len(T) else 0.0
    return 10.0 / top if top > 0 else 1.0


def log_likelihood(params, x, tx, T) -> np.ndarray:
    """Each member's log-likelihood under (r, alpha, a, b); x, tx, T as float arrays."""
    r, alpha, a, b = params
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    ln_a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0))
                     - (r + x) * np.log(alpha + tx), -np.inf)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


class _Data:
    """Members condensed to distinct (x, t_x, T) patterns with their counts (Fader & Hardie's own
    trick: a shop has far fewer patterns than members), and the distinct x values, so the special
    functions of x run once per value."""

    def __init__(self, x, tx, T) -> None:
        x = np.asarray(x, dtype=np.int64)
        tx = np.asarray(tx, dtype=float)
        T = np.asarray(T, dtype=float)
        keys = np.stack([x.astype(float), tx, T], axis=1)
        patterns, counts = np.unique(keys, axis=0, return_counts=True)
        self.n = len(x)
        self.weight = counts.astype(float)
        self.x = patterns[:, 0]
        self.tx = patterns[:, 1]
        self.T = patterns[:, 2]
        self.xs, self.x_index = np.unique(self.x, return_inverse=True)
        self.repeat = self.x > 0


def _objective(log_params, d: _Data, penalizer):
    """Mean negative log-likelihood + penalty, and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    xs, ix, x, w = d.xs, d.x_index, d.x, d.weight
    # terms of x alone, per distinct x
    g_r = (gammaln(r + xs) - gammaln(r))[ix]
    g_beta = (betaln(a, b + xs) - betaln(a, b))[ix]
    psi_rx = digamma(r + xs)[ix]
    psi_bx = digamma(b + xs)[ix]
    psi_abx = digamma(a + b + xs)[ix]
    bx1 = np.where(d.repeat, b + x - 1, 1.0)
    la3 = np.log(alpha + d.T)
    la4 = np.log(alpha + d.tx)
    ln_a3 = -(r + x) * la3
    ln_a4 = np.where(d.repeat, np.log(a) - np.log(bx1) - (r + x) * la4, -np.inf)
    mix = np.logaddexp(ln_a3, ln_a4)
    w4 = np.exp(ln_a4 - mix)          # share of the "dropped out after t_x" branch
    w3 = 1.0 - w4
    ll = g_r + r * np.log(alpha) + g_beta + mix
    d_r = psi_rx - digamma(r) + np.log(alpha) - w3 * la3 - w4 * la4
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + d.T) + w4 / (alpha + d.tx))
    d_a = digamma(a + b) - psi_abx + w4 / a
    d_b = psi_bx - psi_abx - digamma(b) + digamma(a + b) - w4 / bx1
    params = np.array([r, alpha, a, b])
    grad = -np.array([w @ d_r, w @ d_alpha, w @ d_a, w @ d_b]) / d.n + 2 * penalizer * params
    value = -(w @ ll) / d.n + penalizer * float(np.sum(params ** 2))
    return value, grad * params   # chain rule: d/d(log p) = p * d/dp


def fit(frequency, recency, T, *, penalizer: float = 0.0, initial=(1.0, 1.0, 1.0, 1.0)) -> BgNbdParams:
    """Maximum-likelihood (r, alpha, a, b) for members' (x, t_x, T) in days."""
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    if len(x) == 0:
        raise ValueError("no members to fit")
    scale = _time_scale(T)
    data = _Data(x, tx * scale, T * scale)
    start = np.log(np.asarray(initial, dtype=float))
    res = minimize(_objective, start, args=(data, penalizer), jac=True, method="L-BFGS-B",
                   bounds=[(-LOG_BOUND, LOG_BOUND)] * 4, options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8})
    r, alpha, a, b = np.exp(res.x)
    mean_ll = -float(_objective(res.x, data, 0.0)[0])
    return BgNbdParams(r=float(r), alpha=float(alpha / scale), a=float(a), b=float(b),
                       log_likelihood=mean_ll, members=len(x), converged=bool(res.success))


def _odds_dead(p: BgNbdParams, x, tx, T) -> np.ndarray:
    """(a / (b + x - 1)) * ((alpha + T) / (alpha + t_x))^(r + x) for repeat buyers, 0 for the rest."""
    repeat = x > 0
    ln = np.log(p.a) - np.log(np.where(repeat, p.b + x - 1, 1.0)) + (p.r + x) * (
        np.log(p.alpha + T) - np.log(p.alpha + tx))
    return np.where(repeat, np.exp(np.minimum(ln, 700.0)), 0.0)


def p_alive(p: BgNbdParams, frequency, recency, T) -> np.ndarray:
    """P(still a customer | history). 1 for a one-time buyer: the model lets nobody drop out
    before their first repeat purchase."""
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return 1.0 / (1.0 + _odds_dead(p, x, tx, T))


def expected_purchases(p: BgNbdParams, t: float, frequency, recency, T) -> np.ndarray:
    """Expected number of purchase days in the next ``t`` days (equation 10 of the paper)."""
    x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    a1, b1, c1 = p.r + x, p.b + x, p.a + p.b + x - 1
    z = t / (p.alpha + T + t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln_h = np.log(hyp2f1(a1, b1, c1, z))
        # Euler's transformation where the series overflows
        alt = np.log(hyp2f1(c1 - a1, c1 - b1, c1, z)) + (c1 - a1 - b1) * np.log1p(-z)
        ln_h = np.where(np.isfinite(ln_h), ln_h, alt)
        head = (p.a + p.b + x - 1) / (p.a - 1)
        tail = 1.0 - np.exp(ln_h + (p.r + x) * np.log((p.alpha + T) / (p.alpha + T + t)))
    return np.maximum(head * tail / (1.0 + _odds_dead(p, x, tx, T)), 0.0)
