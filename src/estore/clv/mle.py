"""Shared maximum-likelihood machinery: optimise on log-parameters, polish, standard errors.

Each model supplies ``loglik_grad(log_params) -> (summed log-likelihood, gradient with respect
to the log-parameters)``. We minimise the negative *mean* log-likelihood with L-BFGS-B (bounded
log-parameters so the search cannot overflow), then polish with a few damped Newton steps on a
finite-difference Hessian of the analytic gradient. Standard errors come from the inverse of the
numerical Hessian of the summed log-likelihood on the natural parameter scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

LogLikGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]

LOG_BOUND = 25.0  # |log parameter| limit: parameters in [1.4e-11, 7.2e10]
GRAD_TOL = 1e-6  # max |d mean LL / d log theta| accepted as converged


@dataclass(frozen=True)
class MleResult:
    params: np.ndarray  # natural scale
    se: np.ndarray  # natural scale, NaN where the Hessian is not negative definite
    log_likelihood: float
    converged: bool
    iterations: int
    max_gradient: float


def maximize(loglik_grad: LogLikGrad, x0: np.ndarray, n_obs: float) -> MleResult:
    """Maximise a log-likelihood given on log-parameters starting from natural-scale ``x0``."""

    def objective(phi: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = loglik_grad(phi)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(phi)
        return -ll / n_obs, -grad / n_obs

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    res = minimize(
        objective,
        np.log(np.asarray(x0, dtype=float)),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    phi = np.asarray(res.x, dtype=float)
    iterations = int(res.nit)
    phi, polish_iterations = _newton_polish(objective, phi)
    iterations += polish_iterations
    ll, grad = loglik_grad(phi)
    max_gradient = float(np.max(np.abs(grad / n_obs))) if np.all(np.isfinite(grad)) else np.inf
    at_bound = bool(np.any(np.abs(phi) >= LOG_BOUND - 1e-6))
    converged = bool(np.isfinite(ll) and max_gradient < GRAD_TOL and not at_bound)
    theta = np.exp(phi)
    return MleResult(
        params=theta,
        se=_standard_errors(loglik_grad, theta),
        log_likelihood=float(ll),
        converged=converged,
        iterations=iterations,
        max_gradient=max_gradient,
    )


def _newton_polish(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], phi: np.ndarray, max_steps: int = 20
) -> tuple[np.ndarray, int]:
    """Damped Newton steps on the log scale; stops when the gradient no longer shrinks."""
    f, g = objective(phi)
    steps = 0
    for _ in range(max_steps):
        if not np.isfinite(f) or np.max(np.abs(g)) < 1e-12:
            break
        hess = _jacobian(lambda p: objective(p)[1], phi, rel_step=1e-5)
        hess = (hess + hess.T) / 2
        try:
            np.linalg.cholesky(hess)  # a Newton step is a descent step only on a convex patch
            step = -np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        accepted = False
        for damping in (1.0, 0.5, 0.25, 0.125):
            cand = np.clip(phi + damping * step, -LOG_BOUND, LOG_BOUND)
            f_new, g_new = objective(cand)
            if np.isfinite(f_new) and f_new <= f + 1e-15 * abs(f):
                phi, f, g, accepted = cand, f_new, g_new, True
                break
        steps += 1
        if not accepted:
            break
    return phi, steps


def _standard_errors(loglik_grad: LogLikGrad, theta: np.ndarray) -> np.ndarray:
    """sqrt(diag(inv(-H))) with H the Hessian of the summed log-likelihood in natural parameters."""

    def grad_natural(t: np.ndarray) -> np.ndarray:
        return loglik_grad(np.log(t))[1] / t  # dLL/dtheta = dLL/dlog(theta) / theta

    try:
        hess = _jacobian(grad_natural, theta, rel_step=1e-5)
        hess = (hess + hess.T) / 2
        cov = np.linalg.inv(-hess)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError):
        return np.full(len(theta), np.nan)
    var = np.diag(cov)
    return np.where(np.isfinite(var) & (var > 0), np.sqrt(np.abs(var)), np.nan)


def _jacobian(fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, rel_step: float) -> np.ndarray:
    """Central finite differences of a vector function (columns = partial derivatives)."""
    n = len(x)
    jac = np.empty((n, n))
    for i in range(n):
        h = rel_step * max(abs(x[i]), 1e-3)
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        jac[:, i] = (fun(up) - fun(down)) / (2 * h)
    return jac
