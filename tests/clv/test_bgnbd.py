"""BG/NBD: CDNOW estimates, agreement with lifetimes, parameter recovery, numerical edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.special import betaln

from estore.clv import (
    BgNbdParams,
    ClvFitError,
    expected_transactions,
    expected_transactions_unconditional,
    fit_bgnbd,
    homogeneous_dropout,
    p_alive,
)
from estore.clv.bgnbd import _expected_if_alive_direct, log_likelihood

from .support import lifetimes_bgnbd, simulate

CDNOW = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def sig3(value: float) -> str:
    return f"{value:.3g}"


def test_cdnow_fit_reproduces_published_estimates(cdnow):
    fit = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    p = fit.params
    assert [sig3(v) for v in (p.r, p.alpha, p.a, p.b)] == ["0.243", "4.41", "0.793", "2.43"]
    assert round(fit.log_likelihood, 1) == -9582.4
    assert fit.converged and fit.time_unit == "week"
    assert (fit.customers, fit.repeat_customers) == (2357, 946)
    assert fit.distinct_rows < fit.customers  # identical histories were merged
    # the merged, weighted likelihood equals the plain per-customer sum
    assert log_likelihood(p, cdnow["frequency"], cdnow["recency"], cdnow["T"]) == pytest.approx(
        fit.log_likelihood, rel=1e-12
    )
    # standard errors: positive, and the estimate is many SEs from zero for every parameter
    se = fit.se.as_array()
    assert np.all(np.isfinite(se)) and np.all(p.as_array() / se > 3)


def test_standard_errors_match_the_hessian_of_the_likelihood(cdnow):
    """SE = sqrt(diag(inv(-H))), H computed here by plain finite differences of the summed LL."""
    x, tx, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    fit = fit_bgnbd(x, tx, T)
    theta = fit.params.as_array()
    h = 1e-4 * theta
    steps = np.diag(h)

    def ll(delta: np.ndarray) -> float:
        return log_likelihood(theta + delta, x, tx, T)

    hess = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = steps[i], steps[j]
            hess[i, j] = (ll(ei + ej) - ll(ei - ej) - ll(-ei + ej) + ll(-ei - ej)) / (4 * h[i] * h[j])
    expected = np.sqrt(np.diag(np.linalg.inv(-hess)))
    np.testing.assert_allclose(fit.se.as_array(), expected, rtol=1e-3)


def test_predictions_match_lifetimes_on_all_cdnow_customers(cdnow):
    x, tx, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    oracle = lifetimes_bgnbd(CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b)
    for t in (1.0, 4.345, 39.0, 52.0, 104.0):
        ours = expected_transactions(CDNOW, t, x, tx, T)
        theirs = oracle.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T)
        np.testing.assert_allclose(ours, np.asarray(theirs, float), rtol=1e-6, atol=0)
    np.testing.assert_allclose(
        p_alive(CDNOW, x, tx, T), np.asarray(oracle.conditional_probability_alive(x, tx, T), float), rtol=1e-6
    )
    ts = np.array([1.0, 39.0, 78.0])
    np.testing.assert_allclose(
        expected_transactions_unconditional(CDNOW, ts),
        np.asarray(oracle.expected_number_of_purchases_up_to_time(ts), float),
        rtol=1e-6,
    )


def test_simulated_data_recovers_the_true_parameters():
    true = BgNbdParams(r=0.5, alpha=5.0, a=0.8, b=2.5)
    sim = simulate(20_000, r=true.r, alpha=true.alpha, a=true.a, b=true.b, T_range=(10, 60), seed=7)
    fit = fit_bgnbd(sim.frequency, sim.recency, sim.T)
    z = (fit.params.as_array() - true.as_array()) / fit.se.as_array()
    # an MLE is asymptotically normal: |z| < 4 fails with probability ~6e-5 per parameter
    assert np.all(np.abs(z) < 4), z
    assert np.all(fit.se.as_array() / true.as_array() < 0.1)  # 20k customers pin them down


# --- edge cases -------------------------------------------------------------------------------


def reference_expectation(params: BgNbdParams, t: float, x: float, tx: float, T: float) -> float:
    """E[Y(t)|x,t_x,T] = P(alive) * E_p[(1 - (1 + p t/(alpha+T))^-(r+x)) / p], p ~ Beta(a, b+x).

    The drop-out probability given alive is Beta(a, b+x) and the purchase rate Gamma(r+x,
    alpha+T); averaging (1 - exp(-lambda p t))/p over the rate gives the integrand. The integral
    is done numerically with the substitution u = p^a (removes the p^(a-1) singularity).
    """
    r, alpha, a, b = params.as_array()
    s, k, bx = r + x, t / (alpha + T), b + x

    def integrand(u: float) -> float:
        p = u ** (1 / a)
        if p == 0:
            return s * k * np.exp(-betaln(a, bx)) / a
        log_w = (bx - 1) * np.log1p(-p) - betaln(a, bx) - np.log(a)
        return -np.expm1(-s * np.log1p(p * k)) / p * np.exp(log_w)

    scale = (1 / (a + bx)) ** a  # where the posterior of p puts its mass, in u
    points = [min(scale * f, 0.5) for f in (0.01, 0.1, 1, 10, 100)]
    value, _ = integrate.quad(integrand, 0, 1, points=points, limit=1000, epsabs=0, epsrel=1e-12)
    return float(p_alive(params, x, tx, T)) * value


@pytest.mark.parametrize("a", [0.793, 1.0, 1.0 + 1e-9, 1.0 - 1e-9, 1.5])
@pytest.mark.parametrize(
    ("x", "tx", "T"),
    [
        (0, 0.0, 30.0),  # no repeat purchases
        (0, 0.0, 0.0),  # first purchase on the last calibration day
        (5, 30.0, 30.0),  # recency == T
        (3000, 77.9, 78.0),  # thousands of transactions
        (2, 10.0, 39.0),
    ],
)
def test_expected_transactions_match_a_numeric_integral(a, x, tx, T):
    params = BgNbdParams(r=0.243, alpha=4.414, a=a, b=2.426)
    for t in (1.0, 52.0, 200.0):
        ours = float(expected_transactions(params, t, x, tx, T))
        assert np.isfinite(ours)
        assert ours == pytest.approx(reference_expectation(params, t, x, tx, T), rel=1e-7)


def test_a_equal_to_one_is_continuous_and_matches_the_closed_form_limit():
    """At a = 1 and x = 0, T = 0: E[X(t)] = b * E_p[...] has the limit formula
    E = b * integral_0^1 (1 - (1 + p t/alpha)^-r)/p (1-p)^(b-1) dp (Beta(1, b) density b(1-p)^(b-1))."""
    r, alpha, b, t = 0.243, 4.414, 2.426, 39.0
    limit, _ = integrate.quad(
        lambda p: -np.expm1(-r * np.log1p(p * t / alpha)) / p * b * (1 - p) ** (b - 1), 0, 1, epsrel=1e-13
    )
    values = [
        float(expected_transactions_unconditional(BgNbdParams(r, alpha, a, b), t))
        for a in (1 - 1e-6, 1 - 1e-9, 1.0, 1 + 1e-9, 1 + 1e-6)
    ]
    np.testing.assert_allclose(values, limit, rtol=1e-6)
    assert values == sorted(values, reverse=True)  # decreasing in a, no jump at the seam


def test_p_alive_edge_cases():
    params = CDNOW
    assert p_alive(params, 0, 0.0, 30.0) == 1.0
    # heavy buyer who bought at the very end: alive; heavy buyer silent for a long time: dead
    assert p_alive(params, 3000, 78.0, 78.0) == pytest.approx(1 / (1 + params.a / (params.b + 2999)))
    assert p_alive(params, 3000, 10.0, 78.0) < 1e-100
    assert np.isfinite(expected_transactions(params, 52.0, 3000, 10.0, 78.0))


# --- the boundary a, b -> infinity (no heterogeneity in drop-out) ------------------------------


def fixed_p_expectation(r: float, alpha: float, p: float, t, x, T):
    """E[Y(t) | alive] when every customer drops out with the same p: (1 - exp(-lambda p t))/p
    averaged over lambda ~ Gamma(r+x, alpha+T) is (1 - ((alpha+T)/(alpha+T+p t))^(r+x))/p."""
    return (1 - ((alpha + T) / (alpha + T + p * t)) ** (r + x)) / p


def beta_averaged_fixed_p(params: BgNbdParams, t: float, x: float, T: float) -> float:
    """E[Y(t) | alive] as the fixed-p expectation averaged over p ~ Beta(a, b+x), by quadrature over
    +/- 40 standard deviations of that (concentrated) Beta density, normalised numerically. The
    density is taken relative to its mode, so its logarithm stays small (no rounding noise)."""
    r, alpha, a, b = params.as_array()
    bx = b + x
    mean, mode = a / (a + bx), (a - 1) / (a + bx - 2)
    sd = np.sqrt(mean * (1 - mean) / (a + bx + 1))
    lo, hi = max(mean - 40 * sd, 0.0), min(mean + 40 * sd, 1.0)

    def density(p: float) -> float:
        d = p - mode
        return np.exp((a - 1) * np.log1p(d / mode) + (bx - 1) * np.log1p(-d / (1 - mode)))

    def quad(f) -> float:
        points = [mean - sd, mean, mean + sd]
        return integrate.quad(f, lo, hi, points=points, limit=500, epsabs=0, epsrel=1e-13)[0]

    weighted = quad(lambda p: fixed_p_expectation(r, alpha, p, t, x, T) * density(p))
    return weighted / quad(density)


def test_fixed_p_limit_is_approached_as_a_plus_b_grows():
    """At a/(a+b) = 3/43 and growing a+b the exact (2F1) predictions approach the fixed-p closed
    form; the gap is O(1/(a+b)): below CV^2 = (b+x)/(a (a+b+x+1)), the posterior spread of p."""
    r, alpha = 0.3405, 6.893
    for x, tx, T, t in [(0, 0.0, 0.0, 1.0), (5, 6.0, 8.0, 1.0), (20, 7.0, 8.0, 4.3)]:
        gaps = []
        for a in (30.0, 100.0, 300.0, 1000.0):
            params = BgNbdParams(r, alpha, a, a * 40 / 3)
            cv2 = (params.b + x) / (a * (a + params.b + x + 1))
            assert cv2 > 1e-4  # the 2F1 formula's regime
            exact = float(expected_transactions(params, t, x, tx, T) / p_alive(params, x, tx, T))
            limit = fixed_p_expectation(r, alpha, a / (a + params.b), t, x, T)
            gap = abs(limit / exact - 1)
            assert gap < 10 * cv2
            gaps.append(gap)
        assert gaps == sorted(gaps, reverse=True)
        assert gaps[-1] < gaps[0] / 20  # a+b grew 33-fold
        assert gaps[-1] < 5e-4
    # new customers (x = 0, T = 0)
    gaps = []
    for a in (30.0, 300.0, 3000.0):
        params = BgNbdParams(r, alpha, a, a * 40 / 3)
        limit = fixed_p_expectation(r, alpha, a / (a + params.b), 1.0, 0, 0.0)
        gaps.append(abs(limit / float(expected_transactions_unconditional(params, 1.0)) - 1))
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 1e-7


# r and alpha as fitted on the repro data (estore generate --events 200000 --months 3 --seed 7,
# October and November), where the fit ran off to the a, b -> infinity boundary
BOUNDARY_R, BOUNDARY_ALPHA = 0.3405, 6.893


@pytest.mark.parametrize(("a", "b"), [(1_000.0, 13_333.0), (27_091.0, 392_796.0), (1e8, 1.45e9)])
def test_predictions_at_the_boundary_equal_the_fixed_p_closed_form(a, b):
    params = BgNbdParams(BOUNDARY_R, BOUNDARY_ALPHA, a, b)
    p = a / (a + b)
    x = np.array([0, 0, 1, 1, 2, 5, 20, 3000], dtype=float)
    tx = np.array([0.0, 0.0, 1.0, 7.5, 3.0, 8.0, 8.5, 8.6])
    T = np.array([0.0, 8.0, 8.0, 8.0, 8.6, 8.6, 8.6, 8.6])
    alive = p_alive(params, x, tx, T)
    # P(alive) with a fixed p: dropping out after the last purchase has odds p/(1-p) ((alpha+T)/(alpha+t_x))^(r+x)
    odds = p / (1 - p) * ((BOUNDARY_ALPHA + T) / (BOUNDARY_ALPHA + tx)) ** (BOUNDARY_R + x)
    np.testing.assert_allclose(alive, np.where(x > 0, 1 / (1 + odds), 1.0), rtol=x.max() / b)
    for t in (30 / 7, 90 / 7, 365 / 7, 200.0):
        ours = expected_transactions(params, t, x, tx, T)
        assert np.all(np.isfinite(ours))
        closed = alive * fixed_p_expectation(BOUNDARY_R, BOUNDARY_ALPHA, p, t, x, T)
        cv2 = (b + x) / (a * (a + b + x + 1))
        np.testing.assert_allclose(ours, closed, rtol=float(np.max(3 * cv2 + x / (a + b))))
        for i in range(len(x)):
            averaged = float(alive[i]) * beta_averaged_fixed_p(params, t, x[i], T[i])
            assert float(ours[i]) == pytest.approx(averaged, rel=2 * cv2[i] ** 2 + 1e-9)  # bgnbd docstring
    new = expected_transactions_unconditional(params, np.array([1.0, 52.0]))
    averaged = [beta_averaged_fixed_p(params, t, 0, 0.0) for t in (1.0, 52.0)]
    np.testing.assert_allclose(new, averaged, rtol=2 * (b / (a * (a + b + 1))) ** 2 + 1e-9)


def test_expected_transactions_stay_increasing_and_concave_across_the_switch_of_formulas():
    """At the repro's a, b the 2F1 formula overflows beyond t ~ 0.4 weeks, so a CLV horizon's
    months mix both formulas. E[Y(t)] must stay increasing and concave in t (the purchase rate
    of survivors, E[lambda exp(-lambda p t)], decreases), with no jump where the formula changes."""
    params = BgNbdParams(BOUNDARY_R, BOUNDARY_ALPHA, 27_091.0, 392_796.0)
    t = np.concatenate([np.linspace(0.05, 2.0, 40), 4.348 * np.arange(1, 13)])
    for x, tx, T in [(0, 0.0, 8.0), (3, 5.0, 8.0)]:
        with np.errstate(all="ignore"):
            direct = _expected_if_alive_direct(BOUNDARY_R, BOUNDARY_ALPHA, params.a, params.b, t, x, T)
        assert np.isfinite(direct[0]) and not np.isfinite(direct[-1])  # the grid crosses the switch
        values = np.array([float(expected_transactions(params, ti, x, tx, T)) for ti in t])
        slopes = np.diff(values) / np.diff(t)
        assert np.all(slopes > 0)
        assert np.all(np.diff(slopes) < 1e-9 * slopes[1:])


# --- failures ---------------------------------------------------------------------------------


def test_too_few_repeat_buyers_raise():
    rng = np.random.default_rng(1)
    T = rng.uniform(1, 40, 500)
    x = np.zeros(500)
    x[:5] = 1  # five repeat buyers only
    tx = np.where(x > 0, T / 2, 0.0)
    with pytest.raises(ClvFitError, match="repeat buyers"):
        fit_bgnbd(x, tx, T)


def test_too_few_customers_raise(cdnow):
    small = cdnow.iloc[:50]
    with pytest.raises(ClvFitError, match="at least 100 customers"):
        fit_bgnbd(small["frequency"], small["recency"], small["T"])


def test_recency_after_T_is_rejected(cdnow):
    bad = cdnow.copy()
    bad.loc[0, "recency"] = bad.loc[0, "T"] + 1
    with pytest.raises(ClvFitError, match="recency"):
        fit_bgnbd(bad["frequency"], bad["recency"], bad["T"])


def test_non_convergence_raises(cdnow, monkeypatch):
    """If the optimiser cannot reach a zero gradient the fit is refused, not returned."""
    from estore.clv import bgnbd, mle

    def stalled(loglik_grad, x0, n_obs):
        return mle.MleResult(
            params=np.asarray(x0, float),
            se=np.full(4, np.nan),
            log_likelihood=loglik_grad(np.log(x0))[0],
            converged=False,
            iterations=2000,
            max_gradient=0.3,
        )

    monkeypatch.setattr(bgnbd, "maximize", stalled)
    with pytest.raises(ClvFitError, match="did not converge"):
        fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_a_fit_where_drop_out_does_not_vary_says_so():
    """Beta(a, b) with squared CV b/(a (a+b+1)) below 1e-3: only a/(a+b) is identified."""
    note = homogeneous_dropout(BgNbdParams(0.3405, 6.893, 27_091.0, 392_796.0))
    assert note is not None and f"a/(a+b) = {27_091 / (27_091 + 392_796):.4f}" in note
    assert homogeneous_dropout(BgNbdParams(0.243, 4.414, 0.793, 2.426)) is None  # CDNOW-like: CV^2 ~ 0.7
    assert homogeneous_dropout(BgNbdParams(1.0, 1.0, 100.0, 900.0)) is None  # 900/(100*1001) ~ 9e-3
    assert homogeneous_dropout(BgNbdParams(1.0, 1.0, 1000.0, 9000.0)) is not None  # ~ 9e-4


@pytest.mark.parametrize("seed", [6, 8, 12, 13])
def test_data_whose_drop_out_does_not_vary_is_fitted(seed):
    """Every customer drops out with p = 0.235: the likelihood rises ever more slowly as a and b
    grow together, and the search used to stop short of its tolerance and refuse the fit (these
    seeds did). The fit is accepted on that ridge, and recovers what the data identifies."""
    sim = simulate(4000, r=0.21, alpha=3.6, a=2e9, b=6.5e9, T_range=(0.5, 17), seed=seed)
    fit = fit_bgnbd(sim.frequency, sim.recency, sim.T)
    assert homogeneous_dropout(fit.params) is not None
    assert fit.params.a / (fit.params.a + fit.params.b) == pytest.approx(2 / 8.5, abs=0.03)
    assert fit.params.r == pytest.approx(0.21, rel=0.25) and fit.params.alpha == pytest.approx(3.6, rel=0.3)
