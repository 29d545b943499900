"""The warehouse step: read the customer summary, fit both models, write the CLV marts.

Reads `marts.clv_customer_summary` (days), fits BG/NBD and Gamma-Gamma in weeks, replaces
`marts.dim_user_clv` and appends one row to `marts.clv_model_fit` in a single transaction:
when anything fails, the previous tables stay exactly as they were.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pyarrow as pa

from estore.clv.bgnbd import BgNbdFit, fit_bgnbd
from estore.clv.errors import ClvFitError
from estore.clv.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from estore.clv.value import DAYS_PER_WEEK, score_customers

SUMMARY_TABLE = "marts.clv_customer_summary"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")

MODEL_FIT_DDL = """
create table if not exists marts.clv_model_fit (
    fit_id               bigint primary key,
    fitted_at            timestamp not null,
    r                    double not null,
    alpha                double not null,
    a                    double not null,
    b                    double not null,
    p                    double not null,
    q                    double not null,
    gamma                double not null,
    r_se                 double,
    alpha_se             double,
    a_se                 double,
    b_se                 double,
    p_se                 double,
    q_se                 double,
    gamma_se             double,
    bgnbd_log_likelihood double not null,
    gg_log_likelihood    double not null,
    customers            bigint not null,
    repeat_customers     bigint not null,
    calibration_end      date,
    time_unit            varchar not null,
    fit_seconds          double not null,
    converged            boolean not null
)
"""


@dataclass(frozen=True)
class ClvRun:
    fit_id: int
    fitted_at: datetime
    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit
    customers: int
    repeat_customers: int
    total_clv: float
    horizon_months: int
    annual_discount_rate: float
    calibration_end: date | None
    fit_seconds: float  # both model fits
    predict_seconds: float  # all dim_user_clv columns
    write_seconds: float


def check_table_name(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ClvFitError(f"not a table name: {name!r} (expected schema.table)")
    return name


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a table, or ClvFitError when it does not exist."""
    check_table_name(table)
    try:
        return [row[0] for row in con.execute(f"describe {table}").fetchall()]
    except duckdb.CatalogException as exc:
        raise ClvFitError(f"customer summary table {table} not found; build the marts first") from exc


def read_columns(con: duckdb.DuckDBPyConnection, sql: str, required: list[str]) -> dict[str, np.ndarray]:
    """fetchnumpy, with ClvFitError when a required column holds NULLs."""
    data = con.execute(sql).fetchnumpy()
    for name in required:
        col = data[name]
        if isinstance(col, np.ma.MaskedArray) and col.mask.any():
            raise ClvFitError(f"{int(col.mask.sum())} customers have NULL {name}")
        data[name] = np.asarray(col)
    return data


def fit_models(
    frequency: np.ndarray, recency_days: np.ndarray, t_days: np.ndarray, monetary_value: np.ndarray
) -> tuple[BgNbdFit, GammaGammaFit]:
    """Both fits, time in weeks (so the parameters compare with the published CDNOW figures)."""
    bgnbd = fit_bgnbd(frequency, recency_days / DAYS_PER_WEEK, t_days / DAYS_PER_WEEK, time_unit="week")
    return bgnbd, fit_gamma_gamma(frequency, monetary_value)


def run_clv(
    con: duckdb.DuckDBPyConnection,
    *,
    summary_table: str = SUMMARY_TABLE,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
) -> ClvRun:
    """Fit, predict and write `marts.dim_user_clv` and a `marts.clv_model_fit` row.

    Raises ClvFitError (tables untouched) when the summary is missing or cannot support a fit.
    `calibration_end` is taken from the summary's `calibration_end` column when it has one.
    """
    columns = table_columns(con, summary_table)
    data = read_columns(
        con,
        f"select user_id, frequency, recency, t, monetary_value from {summary_table}",
        ["user_id", "frequency", "recency", "t"],
    )
    calibration_end = None
    if "calibration_end" in columns:
        calibration_end = con.execute(f"select max(calibration_end)::date from {summary_table}").fetchone()[0]
    frequency = data["frequency"].astype(float)
    recency, t_days = data["recency"].astype(float), data["t"].astype(float)
    monetary_raw = data["monetary_value"]
    monetary = np.ma.filled(np.ma.asarray(monetary_raw, dtype=float), 0.0)

    started = time.perf_counter()
    bgnbd, gamma_gamma = fit_models(frequency, recency, t_days, monetary)
    fit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    scores = score_customers(
        bgnbd.params,
        gamma_gamma.params,
        frequency,
        recency,
        t_days,
        monetary,
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
    )
    predict_seconds = time.perf_counter() - started

    started = time.perf_counter()
    monetary_mask = np.ma.getmaskarray(monetary_raw) if isinstance(monetary_raw, np.ma.MaskedArray) else None
    table = pa.table(
        {
            "user_id": pa.array(data["user_id"]),
            "frequency": pa.array(data["frequency"]),
            "recency_days": pa.array(recency),
            "t_days": pa.array(t_days),
            "monetary_value": pa.array(np.ma.getdata(monetary_raw).astype(float), mask=monetary_mask),
            "p_alive": pa.array(scores.p_alive),
            "expected_transactions_30d": pa.array(scores.expected_transactions_30d),
            "expected_transactions_90d": pa.array(scores.expected_transactions_90d),
            "expected_transactions_365d": pa.array(scores.expected_transactions_365d),
            "expected_spend": pa.array(scores.expected_spend),
            "clv": pa.array(scores.clv),
        }
    )
    fitted_at = datetime.now(UTC).replace(tzinfo=None)
    con.begin()
    try:
        con.execute("create schema if not exists marts")
        con.register("_estore_clv_scores", table)
        try:
            con.execute(
                f"""
                create or replace table marts.dim_user_clv as
                select user_id::bigint as user_id, frequency::integer as frequency,
                       recency_days, t_days, monetary_value, p_alive,
                       expected_transactions_30d, expected_transactions_90d,
                       expected_transactions_365d, expected_spend, clv,
                       {int(horizon_months)}::integer as clv_horizon_months
                from _estore_clv_scores
                """
            )
        finally:
            con.unregister("_estore_clv_scores")
        fit_id = _append_fit_row(con, bgnbd, gamma_gamma, fitted_at, calibration_end, fit_seconds)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return ClvRun(
        fit_id=fit_id,
        fitted_at=fitted_at,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        customers=bgnbd.customers,
        repeat_customers=bgnbd.repeat_customers,
        total_clv=float(np.sum(scores.clv)),
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
        calibration_end=calibration_end,
        fit_seconds=fit_seconds,
        predict_seconds=predict_seconds,
        write_seconds=time.perf_counter() - started,
    )


def _append_fit_row(
    con: duckdb.DuckDBPyConnection,
    bgnbd: BgNbdFit,
    gamma_gamma: GammaGammaFit,
    fitted_at: datetime,
    calibration_end: date | None,
    fit_seconds: float,
) -> int:
    con.execute(MODEL_FIT_DDL)
    fit_id = int(con.execute("select coalesce(max(fit_id), 0) + 1 from marts.clv_model_fit").fetchone()[0])
    b, g = bgnbd, gamma_gamma

    def se(value: float) -> float | None:
        return value if np.isfinite(value) else None

    values = [
        fit_id,
        fitted_at,
        b.params.r,
        b.params.alpha,
        b.params.a,
        b.params.b,
        g.params.p,
        g.params.q,
        g.params.gamma,
        se(b.se.r),
        se(b.se.alpha),
        se(b.se.a),
        se(b.se.b),
        se(g.se.p),
        se(g.se.q),
        se(g.se.gamma),
        b.log_likelihood,
        g.log_likelihood,
        b.customers,
        b.repeat_customers,
        calibration_end,
        b.time_unit,
        fit_seconds,
        b.converged and g.converged,
    ]
    con.execute(f"insert into marts.clv_model_fit values ({', '.join('?' * len(values))})", values)
    return fit_id
