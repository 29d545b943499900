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
    p_alive,
)
from estore.clv.bgnbd import log_likelihood

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
