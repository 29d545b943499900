"""BG/NBD (Fader, Hardie & Lee 2005): repeat purchasing and P(alive) from (x, t_x, T).

Notation: x repeat transactions, t_x time of the last one (recency), T time from the first
transaction to the end of calibration, all in the fit's time unit (weeks in estore).
Parameters: purchase rate lambda ~ Gamma(r, alpha); drop-out probability after each repeat
purchase p ~ Beta(a, b).

Log-likelihood of one customer (FHL 2005 eq. 6, written as in Hardie's note 004):

    A1 = lnG(r+x) - lnG(r) + r ln(alpha)
    A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
    A3 = -(r+x) ln(alpha+T)
    A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+t_x)            (only when x > 0)
    LL = A1 + A2 + log(exp(A3) + [x > 0] exp(A4))

Conditional expectation of the repeat transactions in (T, T+t] (FHL 2005 eq. 10):

    E[Y(t) | x, t_x, T] = P(alive) * (a+b+x-1)/(a-1)
                          * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]
    z = t/(alpha+T+t)

Evaluated through Euler's transformation, which removes the huge 2F1 values for heavy buyers:

    (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)

so the bracket is f = -expm1((a-1) ln(1-z)) - (1-z)^(a-1) (2F1 - 1), both terms O(a-1). At
a = 1 the formula is 0/0 with a finite limit (the expectation is analytic in a); for
|a-1| < A_EPS we interpolate linearly between a = 1 -/+ A_EPS, where the direct formula is
accurate to ~1e-11 and the interpolation error is O(A_EPS^2).

Large a and b (the boundary a, b -> inf at fixed a/(a+b): everyone has the same drop-out
probability). The likelihood then pins down only a/(a+b), so the MLE can stop far out along that
ridge, and the 2F1 above overflows (0 * inf) once (a-1) ln(1 + t/(alpha+T)) > ~700. Given alive,
lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x) independently, and E[Y(t) | lambda, p] =
(1 - exp(-lambda p t))/p; averaging over lambda,

    E[Y(t) | x, t_x, T, alive] = E_p[g(p)],   g(p) = (1 - (1 + p k)^-(r+x)) / p,   k = t/(alpha+T)

(the bracket formula is this expectation in closed form). Beta(a, b+x) has mean p_hat = a/(a+b+x)
and variance v = p_hat (1 - p_hat)/(a+b+x+1), so expanding g about p_hat

    E_p[g(p)] = g(p_hat) + g''(p_hat) v/2 + O(v^2)

g(p_hat) is the fixed-p limit (1/p)(1 - ((alpha+T)/(alpha+T+p t))^(r+x)). Each lambda's term is
c phi(c p) with c = lambda t, phi(u) = (1 - e^-u)/u and u^2 phi''(u) <= 2 phi(u), so the v/2 term is
between 0 and CV2 = v/p_hat^2 = (b+x)/(a (a+b+x+1)) times g; the error left is ~CV2^2 (measured
below 2 CV2^2). The expansion replaces the bracket formula where CV2 <= LIMIT_CV2 (error < 2e-10,
no worse than the 2F1's own rounding there) and, where the bracket formula is not finite, up to
CV2 <= FALLBACK_CV2 (error < 2e-4; the 2F1 overflows only for large a, where CV2 < 1/a is small).

P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), computed
as expit(-log of the second term); it needs no special case at large a, b. The unconditional
E[X(t)] is the same bracket (or expansion) with x = 0, T = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from estore.clv.errors import ClvFitError
from estore.clv.mle import maximize
from estore.clv.rows import XLevels, group_rows

A_EPS = 1e-5  # below this |a - 1| the expectations are interpolated across a = 1
LIMIT_CV2 = 1e-5  # at most this squared CV of the posterior p: the large-(a, b) expansion
FALLBACK_CV2 = 1e-2  # ... or at most this, where the 2F1 formula is not finite
MIN_CUSTOMERS = 100  # fewer customers cannot pin down four parameters
MIN_REPEAT_BUYERS = 10  # the drop-out process (a, b) is only identified through repeat buyers
RIDGE_GRAD_TOL = 1e-4  # max |d mean LL / d log theta| accepted where drop-out hardly varies (see fit_bgnbd)


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b], dtype=float)


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    se: BgNbdParams  # standard errors (NaN when the Hessian is not negative definite)
    log_likelihood: float
    customers: int
    repeat_customers: int
    distinct_rows: int
    converged: bool
    iterations: int
    time_unit: str


def _as_arrays(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return np.broadcast_arrays(x, t_x, T)


def check_rfm(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    """Raise ClvFitError unless 0 <= t_x <= T, x >= 0 integer, and all finite."""
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(T))):
        raise ClvFitError("frequency, recency and T must be finite numbers (no NULLs)")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ClvFitError("frequency must be a non-negative whole number of repeat transactions")
    if np.any(t_x < 0) or np.any(t_x > T * (1 + 1e-12) + 1e-12):
        bad = int(np.sum((t_x < 0) | (t_x > T * (1 + 1e-12) + 1e-12)))
        raise ClvFitError(f"{bad} customers have recency < 0 or recency > T; recency must lie in [0, T]")


def log_likelihood_terms(params: BgNbdParams | np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood."""
    ll, _ = _loglik_and_grad(np.log(_params_array(params)), x, t_x, T, None, want_grad=False)
    return ll


def log_likelihood(params: BgNbdParams | np.ndarray, x, t_x, T) -> float:
    """Summed log-likelihood of the customers (x, t_x, T)."""
    return float(np.sum(log_likelihood_terms(params, *_as_arrays(x, t_x, T))))


def _params_array(params: BgNbdParams | np.ndarray) -> np.ndarray:
    return params.as_array() if isinstance(params, BgNbdParams) else np.asarray(params, dtype=float)


def _loglik_and_grad(
    log_params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None,
    *,
    want_grad: bool = True,
    x_levels: XLevels | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer LL and the weighted gradient with respect to the log-parameters.

    The gamma/digamma terms depend on x only; with ``x_levels`` (the distinct x values and each
    row's index into them) they are evaluated once per distinct x and gathered.
    """
    r, alpha, a, b = np.exp(log_params)
    xs, at_x = (x, _identity) if x_levels is None else (x_levels.values, x_levels.gather)
    repeat = x > 0
    b_x1 = b + np.maximum(x, 1) - 1
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    a1 = at_x(gammaln(r + xs) - gammaln(r)) + r * np.log(alpha)
    a2 = at_x(gammaln(a + b) + gammaln(b + xs) - gammaln(b) - gammaln(a + b + xs))
    a3 = -(r + x) * log_at
    a4 = np.log(a) - np.log(b_x1) - (r + x) * log_atx
    ll = a1 + a2 + np.where(repeat, np.logaddexp(a3, a4), a3)
    if not want_grad:
        return ll, None
    w = np.ones_like(x) if weights is None else weights
    w4 = np.where(repeat, expit(a4 - a3), 0.0)  # share of the "dropped out after t_x" term
    w3 = 1.0 - w4
    d_r = at_x(digamma(r + xs) - digamma(r)) + np.log(alpha) - w3 * log_at - w4 * log_atx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    psi_ab_abx = at_x(digamma(a + b) - digamma(a + b + xs))
    d_a = psi_ab_abx + w4 / a
    d_b = psi_ab_abx + at_x(digamma(b + xs) - digamma(b)) - w4 / b_x1
    # (w * d).sum(), not np.dot: a BLAS dot on 1-D arrays is ~10x slower here (thread start-up)
    grad = np.array([(w * d_r).sum(), (w * d_alpha).sum(), (w * d_a).sum(), (w * d_b).sum()])
    return ll, grad * np.array([r, alpha, a, b])  # chain rule to log-parameters


def _identity(values: np.ndarray) -> np.ndarray:
    return values


def fit_bgnbd(frequency, recency, T, *, time_unit: str = "week") -> BgNbdFit:
    """Maximum-likelihood BG/NBD fit; identical (x, t_x, T) rows are merged with weights.

    Raises ClvFitError for fewer than MIN_CUSTOMERS customers or MIN_REPEAT_BUYERS repeat
    buyers, invalid input, non-convergence or non-finite estimates.
    """
    x, t_x, T = _as_arrays(frequency, recency, T)
    x, t_x, T = x.ravel(), t_x.ravel(), T.ravel()
    check_rfm(x, t_x, T)
    n = len(x)
    repeat = int(np.count_nonzero(x > 0))
    if n < MIN_CUSTOMERS or repeat < MIN_REPEAT_BUYERS:
        raise ClvFitError(
            f"BG/NBD needs at least {MIN_CUSTOMERS} customers and {MIN_REPEAT_BUYERS} repeat buyers; "
            f"got {n} customers, {repeat} with repeat purchases"
        )
    if not np.any(T > 0):
        raise ClvFitError("BG/NBD needs customers observed for some time (all T are 0)")
    rows = group_rows(x, t_x, T)
    ux, utx, uT = rows.columns
    w = rows.counts.astype(float)
    levels = XLevels.of(ux)

    def loglik_grad(phi: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            ll, grad = _loglik_and_grad(phi, ux, utx, uT, w, x_levels=levels)
        return float((w * ll).sum()), grad

    # start: r = 1 and alpha matching the mean purchase rate, a = b = 1 (a flat drop-out prior)
    rate = max(float(np.sum(x)), 1.0) / max(float(np.sum(T)), 1e-9)
    result = maximize(loglik_grad, np.array([1.0, 1.0 / rate, 1.0, 1.0]), float(n))
    theta = result.params
    # Where drop-out hardly varies, the likelihood keeps rising, ever more slowly, as a and b grow
    # together (its supremum is the fixed-p model): the search stops short of a zero gradient, or
    # at the bound of a and b. Such a fit is accepted with a looser gradient: the error it leaves
    # in r, alpha and a/(a+b) is far below their standard errors, and predictions there use the
    # fixed-p expansion anyway.
    on_ridge = (
        np.all(np.isfinite(theta))
        and homogeneous_dropout(BgNbdParams(*map(float, theta))) is not None
        and result.max_gradient < RIDGE_GRAD_TOL
    )
    converged = result.converged or bool(on_ridge)
    if not converged or not np.all(np.isfinite(theta)) or not np.isfinite(result.log_likelihood):
        raise ClvFitError(
            "BG/NBD fit did not converge "
            f"(max gradient {result.max_gradient:.2g}, parameters {np.round(theta, 6).tolist()}); "
            "the data may not show enough repeat purchasing"
        )
    return BgNbdFit(
        params=BgNbdParams(*map(float, theta)),
        se=BgNbdParams(*map(float, result.se)),
        log_likelihood=result.log_likelihood,
        customers=n,
        repeat_customers=repeat,
        distinct_rows=len(ux),
        converged=converged,
        iterations=result.iterations,
        time_unit=time_unit,
    )


def homogeneous_dropout(params: BgNbdParams) -> str | None:
    """A note when the fit is on the boundary where every customer drops out with the same
    probability (the squared CV of p ~ Beta(a, b) below 1e-3): only a/(a+b) is identified there,
    so a and b themselves can come out anywhere along that ridge, with no standard errors."""
    if params.b / (params.a * (params.a + params.b + 1)) >= 1e-3:
        return None
    return (
        f"the drop-out probability hardly varies between customers: a/(a+b) = {params.a / (params.a + params.b):.4f} "
        "is what the data identifies, not a and b on their own"
    )


# --- predictions ----------------------------------------------------------------------------


def p_alive(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T); 1 for customers without repeat purchases."""
    x, t_x, T = _as_arrays(x, t_x, T)
    r, alpha, a, b = params.as_array()
    log_odds_dead = np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def expected_transactions(params: BgNbdParams, t, x, t_x, T) -> np.ndarray:
    """E[repeat transactions in (T, T+t] | x, t_x, T] (FHL 2005 eq. 10)."""
    t = np.asarray(t, dtype=float)
    x, t_x, T = _as_arrays(x, t_x, T)
    out = p_alive(params, x, t_x, T) * _expected_if_alive(params, t, x, T)
    return _finite(out, "conditional expected transactions")


def expected_transactions_unconditional(params: BgNbdParams, t) -> np.ndarray:
    """E[X(t)]: repeat transactions in (0, t] of a new customer (FHL 2005 eq. 9)."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return _finite(_expected_if_alive(params, t, zero, zero), "expected transactions")


def _expected_if_alive(params: BgNbdParams, t: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params.as_array()
    if abs(a - 1.0) < A_EPS:
        lo = _expected_if_alive_direct(r, alpha, 1.0 - A_EPS, b, t, x, T)
        hi = _expected_if_alive_direct(r, alpha, 1.0 + A_EPS, b, t, x, T)
        weight = (a - (1.0 - A_EPS)) / (2 * A_EPS)
        return lo + weight * (hi - lo)
    direct = _expected_if_alive_direct(r, alpha, a, b, t, x, T)
    cv2 = (b + x) / (a * (a + b + x + 1))  # squared coefficient of variation of p ~ Beta(a, b+x)
    expand = (cv2 <= LIMIT_CV2) | (~np.isfinite(direct) & (cv2 <= FALLBACK_CV2))
    if not np.any(expand):
        return direct
    return np.where(expand, _expected_if_alive_large_ab(r, alpha, a, b, t, x, T), direct)


def _expected_if_alive_direct(
    r: float, alpha: float, a: float, b: float, t: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """(a+b+x-1)/(a-1) * f with f the Euler-transformed bracket (see the module docstring)."""
    c = a + b + x - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        z = t / (alpha + T + t)
        log_1mz = -np.log1p(t / (alpha + T))
        h = hyp2f1(a + b - 1 - r, a - 1, c, z)
        scale = np.exp((a - 1) * log_1mz)
        f = -np.expm1((a - 1) * log_1mz) - scale * (h - 1.0)
        return c / (a - 1) * f


def _expected_if_alive_large_ab(
    r: float, alpha: float, a: float, b: float, t: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """g(p_hat) + g''(p_hat) v/2 with g(p) = q(p)/p, q(p) = 1 - (1 + p k)^-(r+x) (module docstring)."""
    n = a + b + x
    p = a / n
    v = p * (1 - p) / (n + 1)
    s, k = r + x, t / (alpha + T)
    log_1pk = np.log1p(p * k)
    q = -np.expm1(-s * log_1pk)
    dq = s * k * np.exp(-(s + 1) * log_1pk)
    d2q = -(s + 1) * k / (1 + p * k) * dq
    d2g = d2q / p - 2 * dq / p**2 + 2 * q / p**3
    return q / p + d2g * v / 2


def _finite(values: np.ndarray, what: str) -> np.ndarray:
    """Predictions are never NaN: a non-finite value is a bug, reported as a clear error."""
    if not np.all(np.isfinite(values)):
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise ClvFitError(f"{what}: {bad} non-finite values; please report this as a bug")
    return values
