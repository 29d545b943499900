"""Discounted customer lifetime value from a BG/NBD and a Gamma-Gamma fit, and per-customer scores.

CLV over a horizon of H months with a yearly discount rate d_y (monthly rate
d = (1 + d_y)^(1/12) - 1, so twelve monthly discounts compound to exactly one yearly one):

    CLV = E[spend | x, m_bar] * sum_{m=1..H} (E[Y(m u)] - E[Y((m-1) u)]) / (1 + d)^m

with E[Y(t)] the BG/NBD conditional expected repeat transactions in (T, T+t], u the length of
a month in the model's time unit (30.4375 days = 4.348 weeks by default) and each month's
purchases discounted at its end. This is lifetimes' `customer_lifetime_value` convention (it
takes the monthly rate directly and uses 4.345 weeks per month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from estore.clv.bgnbd import BgNbdParams, expected_transactions, p_alive
from estore.clv.gamma_gamma import GammaGammaParams, expected_average_spend
from estore.clv.rows import group_rows

DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 365.25 / 12
WEEKS_PER_MONTH = DAYS_PER_MONTH / DAYS_PER_WEEK


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """The monthly rate that compounds to the annual one."""
    if annual_discount_rate <= -1:
        raise ValueError("annual_discount_rate must be > -1")
    return (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0


def discounted_transactions(
    params: BgNbdParams,
    x,
    t_x,
    T,
    *,
    horizon_months: int = 12,
    monthly_rate: float,
    periods_per_month: float = WEEKS_PER_MONTH,
) -> np.ndarray:
    """sum_{m=1..H} (E[Y(m u)] - E[Y((m-1) u)]) / (1 + monthly_rate)^m, per customer."""
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1")
    total = np.zeros(np.broadcast(np.asarray(x), np.asarray(t_x), np.asarray(T)).shape)
    previous = np.zeros_like(total)
    for month in range(1, horizon_months + 1):
        current = expected_transactions(params, month * periods_per_month, x, t_x, T)
        total += (current - previous) / (1.0 + monthly_rate) ** month
        previous = current
    return total


def customer_lifetime_value(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency,
    recency,
    T,
    monetary_value,
    *,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    periods_per_month: float = WEEKS_PER_MONTH,
) -> np.ndarray:
    """Discounted expected spend over the horizon (see the module docstring)."""
    spend = expected_average_spend(gamma_gamma, frequency, monetary_value)
    return spend * discounted_transactions(
        bgnbd,
        frequency,
        recency,
        T,
        horizon_months=horizon_months,
        monthly_rate=monthly_discount_rate(annual_discount_rate),
        periods_per_month=periods_per_month,
    )


@dataclass(frozen=True)
class CustomerScores:
    """The per-customer columns of marts.dim_user_clv, aligned with the input arrays."""

    p_alive: np.ndarray
    expected_transactions_30d: np.ndarray
    expected_transactions_90d: np.ndarray
    expected_transactions_365d: np.ndarray
    expected_spend: np.ndarray
    clv: np.ndarray


def score_customers(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: np.ndarray,
    recency_days: np.ndarray,
    t_days: np.ndarray,
    monetary_value: np.ndarray,
    *,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
) -> CustomerScores:
    """All per-customer predictions from day-based inputs and week-based parameters.

    The BG/NBD quantities depend only on (x, t_x, T), so they are computed once per distinct
    history and expanded; the spend model is cheap and runs per customer.
    """
    rows = group_rows(frequency, recency_days, t_days)
    ux, utx_days, uT_days = rows.columns
    utx, uT = utx_days / DAYS_PER_WEEK, uT_days / DAYS_PER_WEEK
    per_row = {
        "p_alive": p_alive(bgnbd, ux, utx, uT),
        "e30": expected_transactions(bgnbd, 30 / DAYS_PER_WEEK, ux, utx, uT),
        "e90": expected_transactions(bgnbd, 90 / DAYS_PER_WEEK, ux, utx, uT),
        "e365": expected_transactions(bgnbd, 365 / DAYS_PER_WEEK, ux, utx, uT),
        "discounted": discounted_transactions(
            bgnbd,
            ux,
            utx,
            uT,
            horizon_months=horizon_months,
            monthly_rate=monthly_discount_rate(annual_discount_rate),
        ),
    }
    spend = expected_average_spend(gamma_gamma, frequency, monetary_value)
    return CustomerScores(
        p_alive=rows.expand(per_row["p_alive"]),
        expected_transactions_30d=rows.expand(per_row["e30"]),
        expected_transactions_90d=rows.expand(per_row["e90"]),
        expected_transactions_365d=rows.expand(per_row["e365"]),
        expected_spend=spend,
        clv=spend * rows.expand(per_row["discounted"]),
    )
