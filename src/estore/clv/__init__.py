"""Customer value: BG/NBD + Gamma-Gamma fits, predictions, discounted CLV, holdout validation.

Numpy/scipy only. The warehouse summary arrives in days; the models work in weeks.
"""

from estore.clv.bgnbd import (
    BgNbdFit,
    BgNbdParams,
    expected_transactions,
    expected_transactions_unconditional,
    fit_bgnbd,
    homogeneous_dropout,
    p_alive,
)
from estore.clv.errors import ClvFitError
from estore.clv.gamma_gamma import GammaGammaFit, GammaGammaParams, expected_average_spend, fit_gamma_gamma
from estore.clv.holdout import HoldoutReport, validate_holdout
from estore.clv.value import customer_lifetime_value, monthly_discount_rate, score_customers
from estore.clv.warehouse import ClvRun, run_clv

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "ClvFitError",
    "ClvRun",
    "GammaGammaFit",
    "GammaGammaParams",
    "HoldoutReport",
    "customer_lifetime_value",
    "expected_average_spend",
    "expected_transactions",
    "expected_transactions_unconditional",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "homogeneous_dropout",
    "monthly_discount_rate",
    "p_alive",
    "run_clv",
    "score_customers",
    "validate_holdout",
]
