"""Gamma-Gamma spend model and discounted CLV, against the published CDNOW figures and lifetimes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estore.clv import (
    BgNbdParams,
    ClvFitError,
    GammaGammaParams,
    customer_lifetime_value,
    expected_average_spend,
    fit_gamma_gamma,
    monthly_discount_rate,
)

from .support import lifetimes_bgnbd, lifetimes_gamma_gamma, simulate

CDNOW_BG = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def test_cdnow_gamma_gamma_reproduces_published_estimates(cdnow_monetary):
    fit = fit_gamma_gamma(cdnow_monetary["frequency"], cdnow_monetary["monetary_value"])
    p = fit.params
    assert [f"{v:.3g}" for v in (p.p, p.q, p.gamma)] == ["6.25", "3.74", "15.4"]
    assert p.gamma == pytest.approx(15.44, abs=0.01)
    assert fit.customers == 946  # repeat buyers only
    assert fit.converged and np.all(np.isfinite(fit.se.as_array()))


def test_expected_spend_matches_lifetimes_and_uses_the_population_mean_for_one_time_buyers(cdnow_monetary):
    x = cdnow_monetary["frequency"].to_numpy(float)
    m = cdnow_monetary["monetary_value"].to_numpy(float)
    oracle = lifetimes_gamma_gamma(CDNOW_GG.p, CDNOW_GG.q, CDNOW_GG.gamma)
    ours = expected_average_spend(CDNOW_GG, x, m)
    np.testing.assert_allclose(ours, np.asarray(oracle.conditional_expected_average_profit(x, m)), rtol=1e-6)
    population_mean = 6.25 * 15.44 / (3.74 - 1)
    np.testing.assert_allclose(ours[x == 0], population_mean, rtol=1e-12)
    # a NULL spend for a one-time buyer does not matter
    assert expected_average_spend(CDNOW_GG, 0, np.nan) == pytest.approx(population_mean)


def test_clv_matches_lifetimes_with_the_same_discount_convention(cdnow_monetary):
    """lifetimes takes a monthly rate and 4.345 weeks per month; pass the same to ours."""
    df = cdnow_monetary
    x, tx, T, m = (df[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    monthly = monthly_discount_rate(0.10)
    assert (1 + monthly) ** 12 == pytest.approx(1.10, rel=1e-14)
    theirs = lifetimes_gamma_gamma(CDNOW_GG.p, CDNOW_GG.q, CDNOW_GG.gamma).customer_lifetime_value(
        lifetimes_bgnbd(CDNOW_BG.r, CDNOW_BG.alpha, CDNOW_BG.a, CDNOW_BG.b),
        df["frequency"],
        df["recency"],
        df["T"],
        df["monetary_value"],
        time=12,
        discount_rate=monthly,
        freq="W",
    )
    ours = customer_lifetime_value(
        CDNOW_BG, CDNOW_GG, x, tx, T, m, horizon_months=12, annual_discount_rate=0.10, periods_per_month=4.345
    )
    np.testing.assert_allclose(ours, theirs.to_numpy(float), rtol=1e-6)


def test_clv_formula_by_hand_for_one_customer():
    """Sum over months of the expected purchases in that month times spend, discounted monthly."""
    oracle = lifetimes_bgnbd(CDNOW_BG.r, CDNOW_BG.alpha, CDNOW_BG.a, CDNOW_BG.b)
    x, tx, T, m, months, u = 3.0, 20.0, 39.0, 40.0, 6, 30.4375 / 7
    spend = (1 - 6.25 * 3 / (6.25 * 3 + 2.74)) * 6.25 * 15.44 / 2.74 + 6.25 * 3 / (6.25 * 3 + 2.74) * m
    cumulative = [0.0] + [
        float(np.asarray(oracle.conditional_expected_number_of_purchases_up_to_time(k * u, x, tx, T)).item())
        for k in range(1, months + 1)
    ]
    monthly = 1.05 ** (1 / 12) - 1
    expected = sum(spend * (cumulative[k] - cumulative[k - 1]) / (1 + monthly) ** k for k in range(1, months + 1))
    ours = customer_lifetime_value(CDNOW_BG, CDNOW_GG, x, tx, T, m, horizon_months=months, annual_discount_rate=0.05)
    assert float(ours) == pytest.approx(expected, rel=1e-9)


def test_simulated_spend_recovers_the_true_parameters():
    sim = simulate(20_000, r=0.5, alpha=5.0, a=0.8, b=2.5, T_range=(10, 60), p=6.0, q=4.0, gamma=15.0, seed=11)
    fit = fit_gamma_gamma(sim.frequency, sim.monetary_value)
    z = (fit.params.as_array() - np.array([6.0, 4.0, 15.0])) / fit.se.as_array()
    assert np.all(np.abs(z) < 4), z


def test_too_few_repeat_buyers_raise():
    x = pd.Series([0] * 200 + [2] * 9)
    m = pd.Series([0.0] * 200 + [10.0] * 9)
    with pytest.raises(ClvFitError, match="at least 10 repeat buyers"):
        fit_gamma_gamma(x, m)


def test_spend_without_a_finite_mean_raises():
    """q < 1: the population mean spend p gamma / (q - 1) does not exist."""
    sim = simulate(5000, r=0.5, alpha=5.0, a=0.8, b=2.5, T_range=(10, 60), p=6.0, q=0.6, gamma=15.0, seed=5)
    with pytest.raises(ClvFitError, match="q = "):
        fit_gamma_gamma(sim.frequency, sim.monetary_value)
