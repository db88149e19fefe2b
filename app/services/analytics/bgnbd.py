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
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, log_expit

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
    """Fit on time scaled so the oldest member is 1 unit old, as lifetimes does (``1 / T.max()``): the
    penalty on alpha then weighs what it weighs there, and the fits agree."""
    top = float(np.max(T)) if len(T) else 0.0
    return 1.0 / top if top > 0 else 1.0


def log_likelihood(params, x, tx, T) -> np.ndarray:
    """Each member's log-likelihood under (r, alpha, a, b), the formula as written (x, tx, T float
    arrays); the fit uses the same, rearranged for speed in ``_objective``."""
    r, alpha, a, b = params
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    ln_a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0))
                     - (r + x) * np.log(alpha + tx), -np.inf)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


class _Data:
    """What the likelihood needs, arranged so that one evaluation is a few passes over the repeat
    buyers and dot products over the day grid: t_x and T are whole days, so log(alpha + t) and
    1/(alpha + t) are computed once per day on a grid and gathered; terms of x alone are computed
    once per distinct x and weighted by its count; one-time buyers (x = 0, whose likelihood depends
    on T alone) are counted per T."""

    def __init__(self, x, tx, T, scale: float) -> None:
        x = np.asarray(x, dtype=np.int64)
        tx = np.asarray(tx, dtype=np.int64)
        T = np.asarray(T, dtype=np.int64)
        self.n = len(x)
        self.grid = np.arange(int(T.max()) + 1 if len(T) else 1, dtype=float) * scale
        once = x == 0
        self.once_T = np.bincount(T[once], minlength=len(self.grid)).astype(float)
        rep = ~once
        self.n_rep = int(rep.sum())
        x, tx, T = x[rep], tx[rep], T[rep]
        self.xs, self.ix = np.unique(x, return_inverse=True)
        self.x_count = np.bincount(self.ix, minlength=len(self.xs)).astype(float)
        self.x = x.astype(float)
        self.tx, self.T = tx, T
        self.rep_T = np.bincount(T, minlength=len(self.grid)).astype(float)
        self.rep_T_x = np.bincount(T, weights=self.x, minlength=len(self.grid))


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """A dot product without BLAS: OpenBLAS wakes its threads for every long ``@``, and on a busy
    2-core till that costs milliseconds a call, 20x the arithmetic."""
    return float(np.einsum("i,i->", u, v))


def _objective(log_params, d: _Data, penalizer):
    """Mean negative log-likelihood + penalty, and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    xs, nx = d.xs.astype(float), d.x_count
    log_g = np.log(alpha + d.grid)        # log(alpha + t) for every whole day t
    inv_g = 1.0 / (alpha + d.grid)
    n_once = d.n - d.n_rep
    # one-time buyers: ll = r log(alpha) - r log(alpha + T)
    ll = n_once * r * np.log(alpha) - r * (_dot(d.once_T, log_g))
    g_r = n_once * np.log(alpha) - _dot(d.once_T, log_g)
    g_alpha = n_once * r / alpha - r * (_dot(d.once_T, inv_g))
    g_a = g_b = 0.0
    if d.n_rep:
        la3, la4 = log_g[d.T], log_g[d.tx]
        diff = la3 - la4
        c_x = np.log(a) - np.log(b + xs - 1)
        u = c_x[d.ix] + (r + d.x) * diff          # log(A4 / A3)
        w4 = expit(u)                             # share of the "dropped out after t_x" branch
        sum_w4_x = np.bincount(d.ix, weights=w4, minlength=len(xs))
        # repeat buyers: ll = lnA1 + lnA2 + lnA3 + log(1 + A4/A3)
        sum_la3 = _dot(d.rep_T, log_g)
        sum_x_la3 = _dot(d.rep_T_x, log_g)
        ll += (_dot(nx, gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b))
               + d.n_rep * r * np.log(alpha) - r * sum_la3 - sum_x_la3 - np.sum(log_expit(-u)))
        g_r += _dot(nx, digamma(r + xs)) - d.n_rep * digamma(r) + d.n_rep * np.log(alpha) - sum_la3 + _dot(w4, diff)
        inv3, inv4 = inv_g[d.T], inv_g[d.tx]
        g_alpha += (d.n_rep * r / alpha - (r * _dot(d.rep_T, inv_g) + _dot(d.rep_T_x, inv_g))
                    - _dot((r + d.x) * w4, inv4 - inv3))
        psi_abx = digamma(a + b + xs)
        g_a = d.n_rep * digamma(a + b) - _dot(nx, psi_abx) + sum_w4_x.sum() / a
        g_b = (_dot(nx, digamma(b + xs) - psi_abx) - d.n_rep * (digamma(b) - digamma(a + b))
               - _dot(sum_w4_x, 1.0 / (b + xs - 1)))
    params = np.array([r, alpha, a, b])
    grad = -np.array([g_r, g_alpha, g_a, g_b]) / d.n + 2 * penalizer * params
    value = -ll / d.n + penalizer * float(np.sum(params ** 2))
    return value, grad * params   # chain rule: d/d(log p) = p * d/dp


def fit(frequency, recency, T, *, penalizer: float = 0.0, start: BgNbdParams | None = None) -> BgNbdParams:
    """Maximum-likelihood (r, alpha, a, b) for members' (x, t_x, T) in whole days; ``start``: a
    nearby earlier fit to begin from (fewer iterations)."""
    x, tx, T = (np.asarray(v) for v in (frequency, recency, T))
    if len(x) == 0:
        raise ValueError("no members to fit")
    if not all(np.issubdtype(v.dtype, np.integer) or np.all(v == np.round(v)) for v in (x, tx, T)):
        raise ValueError("frequency, recency and T are whole numbers of days")
    scale = _time_scale(T)
    data = _Data(x, tx, T, scale)
    initial = (1.0, 1.0, 1.0, 1.0) if start is None else (start.r, start.alpha * scale, start.a, start.b)
    x0 = np.clip(np.log(np.asarray(initial, dtype=float)), -LOG_BOUND, LOG_BOUND)
    res = minimize(_objective, x0, args=(data, penalizer), jac=True, method="L-BFGS-B",
                   bounds=[(-LOG_BOUND, LOG_BOUND)] * 4, options={"maxiter": 2000, "ftol": 1e-11, "gtol": 1e-7})
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
    # the hypergeometric part depends on (x, T) only: computed once per distinct pair
    span = float(T.max()) + 1.0 if len(T) else 1.0
    keys, back = np.unique(x * span + T, return_inverse=True)   # exact: whole numbers < 2**53
    px, pT = np.floor(keys / span), np.mod(keys, span)
    a1, b1, c1 = p.r + px, p.b + px, p.a + p.b + px - 1
    z = t / (p.alpha + pT + t)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln_h = np.log(hyp2f1(a1, b1, c1, z))
        # Euler's transformation where the series overflows
        alt = np.log(hyp2f1(c1 - a1, c1 - b1, c1, z)) + (c1 - a1 - b1) * np.log1p(-z)
        ln_h = np.where(np.isfinite(ln_h), ln_h, alt)
        head = (p.a + p.b + px - 1) / (p.a - 1)
        tail = 1.0 - np.exp(ln_h + (p.r + px) * np.log((p.alpha + pT) / (p.alpha + pT + t)))
    numerator = (head * tail)[back.reshape(-1)]
    return np.maximum(numerator / (1.0 + _odds_dead(p, x, tx, T)), 0.0)
