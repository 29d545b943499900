"""Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value").

A customer with x repeat transactions has mean spend m_bar. Individual transaction values are
Gamma(p, nu); nu ~ Gamma(q, gamma) across customers. The density of m_bar given x (note eq. 1a):

    f(m_bar | p, q, gamma, x) = G(px+q) / (G(px) G(q)) * gamma^q m_bar^(px-1) x^(px)
                                / (gamma + m_bar x)^(px+q)

fitted by maximum likelihood on repeat buyers (x > 0, m_bar > 0). The conditional expected
average spend (note eq. 5) is a weighted mean of the population mean p gamma/(q-1) and m_bar:

    E[M | x, m_bar] = (1 - w) p gamma/(q-1) + w m_bar,   w = p x / (p x + q - 1)

so customers with x = 0 get the population mean (w = 0), the standard convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from estore.clv.errors import ClvFitError
from estore.clv.mle import maximize
from estore.clv.rows import XLevels

MIN_REPEAT_BUYERS = 10  # three parameters from fewer spend averages is not an estimate


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_array(self) -> np.ndarray:
        return np.array([self.p, self.q, self.gamma], dtype=float)

    @property
    def population_mean_spend(self) -> float:
        return self.p * self.gamma / (self.q - 1)


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    se: GammaGammaParams
    log_likelihood: float
    customers: int  # repeat buyers with positive spend used in the fit
    converged: bool
    iterations: int


def _loglik_terms_and_grad(
    log_params: np.ndarray,
    x: np.ndarray,
    m: np.ndarray,
    log_m: np.ndarray,
    log_x: np.ndarray,
    levels: XLevels,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer LL and gradient with respect to the log-parameters.

    The gamma/digamma terms depend on x only: they are evaluated once per distinct x.
    """
    p, q, g = np.exp(log_params)
    xs, inverse = levels.values, levels.inverse
    pxs = p * xs
    px = p * x
    lg = (gammaln(pxs + q) - gammaln(pxs) - gammaln(q))[inverse]
    psi_pxq_q = (digamma(pxs + q) - digamma(q))[inverse]
    psi_pxq_px = (digamma(pxs + q) - digamma(pxs))[inverse]
    log_xmg = np.log(x * m + g)
    ll = lg + q * np.log(g) + (px - 1) * log_m + px * log_x - (px + q) * log_xmg
    d_p = (x * (psi_pxq_px + log_m + log_x - log_xmg)).sum()
    d_q = np.sum(psi_pxq_q + np.log(g) - log_xmg)
    d_g = np.sum(q / g - (px + q) / (x * m + g))
    return ll, np.array([d_p, d_q, d_g]) * np.array([p, q, g])


def log_likelihood(params: GammaGammaParams, frequency, monetary_value) -> float:
    """Summed log-likelihood over the customers passed (all must have x > 0 and m > 0)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    ll, _ = _loglik_terms_and_grad(np.log(params.as_array()), x, m, np.log(m), np.log(x), XLevels.of(x))
    return float(np.sum(ll))


def fit_gamma_gamma(frequency, monetary_value) -> GammaGammaFit:
    """MLE on the customers with frequency > 0 and monetary_value > 0 (others are ignored).

    Raises ClvFitError with fewer than MIN_REPEAT_BUYERS such customers, on non-convergence,
    or when q <= 1 (the population mean spend would be infinite).
    """
    x = np.asarray(frequency, dtype=float).ravel()
    m = np.asarray(monetary_value, dtype=float).ravel()
    use = (x > 0) & np.isfinite(m) & (m > 0)
    x, m = x[use], m[use]
    n = len(x)
    if n < MIN_REPEAT_BUYERS:
        raise ClvFitError(f"Gamma-Gamma needs at least {MIN_REPEAT_BUYERS} repeat buyers with positive spend; got {n}")
    log_m, log_x, levels = np.log(m), np.log(x), XLevels.of(x)

    def loglik_grad(phi: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            ll, grad = _loglik_terms_and_grad(phi, x, m, log_m, log_x, levels)
        return float(np.sum(ll)), grad

    # start: p = 1, q = 2 and gamma matching the mean spend (population mean = p gamma/(q-1))
    result = maximize(loglik_grad, np.array([1.0, 2.0, float(np.mean(m))]), float(n))
    theta = result.params
    if not result.converged or not np.all(np.isfinite(theta)) or not np.isfinite(result.log_likelihood):
        raise ClvFitError(
            f"Gamma-Gamma fit did not converge (max gradient {result.max_gradient:.2g}, "
            f"parameters {np.round(theta, 6).tolist()})"
        )
    if theta[1] <= 1:
        raise ClvFitError(f"Gamma-Gamma estimate q = {theta[1]:.3g} <= 1: spend is too heavy-tailed for a finite mean")
    return GammaGammaFit(
        params=GammaGammaParams(*map(float, theta)),
        se=GammaGammaParams(*map(float, result.se)),
        log_likelihood=result.log_likelihood,
        customers=n,
        converged=result.converged,
        iterations=result.iterations,
    )


def expected_average_spend(params: GammaGammaParams, frequency, monetary_value) -> np.ndarray:
    """E[spend per transaction | x, m_bar]; the population mean for x = 0 (m_bar is ignored)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    m = np.where((x > 0) & np.isfinite(m), m, 0.0)
    p, q, _ = params.as_array()
    w = p * x / (p * x + q - 1)
    out = (1 - w) * params.population_mean_spend + w * m
    if not np.all(np.isfinite(out)):
        raise ClvFitError("expected average spend: non-finite values; please report this as a bug")
    return out
