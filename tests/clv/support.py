"""Test helpers: lifetimes (test-only oracle, ships the CDNOW data) and a BG/NBD simulator."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes imports pkg_resources
    import lifetimes
    from lifetimes import datasets as lifetimes_datasets

__all__ = [
    "Simulated",
    "lifetimes",
    "lifetimes_bgnbd",
    "lifetimes_datasets",
    "lifetimes_gamma_gamma",
    "simulate",
]


def lifetimes_bgnbd(r: float, alpha: float, a: float, b: float) -> lifetimes.BetaGeoFitter:
    model = lifetimes.BetaGeoFitter()
    model.params_ = pd.Series({"r": r, "alpha": alpha, "a": a, "b": b})
    model.predict = model.conditional_expected_number_of_purchases_up_to_time  # fit() sets this alias
    return model


def lifetimes_gamma_gamma(p: float, q: float, gamma: float) -> lifetimes.GammaGammaFitter:
    model = lifetimes.GammaGammaFitter()
    model.params_ = pd.Series({"p": p, "q": q, "v": gamma})
    return model


@dataclass
class Simulated:
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray  # mean of repeat transaction values, 0 without repeats
    holdout: np.ndarray  # repeat transactions in (T, T + holdout_length]


def simulate(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T_range: tuple[float, float],
    p: float = 6.0,
    q: float = 4.0,
    gamma: float = 15.0,
    holdout_length: float = 0.0,
    seed: int,
) -> Simulated:
    """Event-by-event BG/NBD simulation (exponential gaps, a coin flip for drop-out after each
    repeat purchase) with Gamma-Gamma spend drawn per transaction."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    T = rng.uniform(*T_range, n)
    nu = rng.gamma(q, 1 / gamma, n)
    freq = np.zeros(n, dtype=np.int64)
    rec = np.zeros(n)
    holdout = np.zeros(n, dtype=np.int64)
    spend_sum = np.zeros(n)
    now = np.zeros(n)
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1 / lam[active])
        in_calibration = now[active] <= T[active]
        in_holdout = ~in_calibration & (now[active] <= T[active] + holdout_length)
        buyers = active[in_calibration]
        freq[buyers] += 1
        rec[buyers] = now[buyers]
        spend_sum[buyers] += rng.gamma(p, 1 / nu[buyers])
        holdout[active[in_holdout]] += 1
        purchased = active[in_calibration | in_holdout]
        survives = rng.uniform(size=purchased.size) >= drop[purchased]
        active = purchased[survives]
    monetary = np.divide(spend_sum, freq, out=np.zeros(n), where=freq > 0)
    return Simulated(freq, rec, T, monetary, holdout)
