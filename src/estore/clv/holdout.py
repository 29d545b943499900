"""Holdout validation: fit BG/NBD on the calibration period, compare with what happened next.

The summary table carries, besides the calibration columns, `holdout_transactions` (repeat
transaction days after calibration end) and `holdout_days` (the holdout length). For each
customer we predict E[Y(holdout_days) | x, t_x, T] and compare with the actual count: per
customer, by calibration frequency (0..6 and 7+, like FHL 2005's conditional-expectations
figure) and overall (totals, MAE, RMSE, correlation). They are written to (replacing)
`marts.clv_holdout_customers`, `marts.clv_holdout_by_frequency` and `marts.clv_holdout_summary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from estore.clv.bgnbd import BgNbdFit, expected_transactions, fit_bgnbd
from estore.clv.rows import group_rows
from estore.clv.value import DAYS_PER_WEEK
from estore.clv.warehouse import SUMMARY_TABLE, read_columns, table_columns

TOP_BUCKET = 7  # calibration frequencies >= 7 share the last bucket, "7+"


@dataclass(frozen=True)
class HoldoutReport:
    fit: BgNbdFit
    customers: pd.DataFrame  # user_id, frequency, recency_days, t_days, holdout_days, actual, predicted
    by_frequency: pd.DataFrame  # frequency_bucket, customers, actual/predicted mean and total
    holdout_days: float
    actual_total: float
    predicted_total: float
    mae: float
    rmse: float
    correlation: float | None

    def render(self) -> str:
        p = self.fit.params
        lines = [
            f"BG/NBD on {self.fit.customers:,} customers ({self.fit.repeat_customers:,} repeat buyers): "
            f"r={p.r:.4g} alpha={p.alpha:.4g} a={p.a:.4g} b={p.b:.4g} (time in {self.fit.time_unit}s)",
            f"holdout {self.holdout_days:g} days: predicted {self.predicted_total:,.1f} repeat transactions, "
            f"actual {self.actual_total:,.0f} ({_ratio(self.predicted_total, self.actual_total)})",
            f"per customer: MAE {self.mae:.4f}, RMSE {self.rmse:.4f}, correlation "
            + (f"{self.correlation:.4f}" if self.correlation is not None else "n/a"),
            "",
            f"{'calibration frequency':>22} {'customers':>10} {'actual mean':>12} {'predicted mean':>15}",
        ]
        for row in self.by_frequency.itertuples(index=False):
            lines.append(
                f"{row.frequency_bucket:>22} {row.customers:>10,} {row.actual_mean:>12.4f} {row.predicted_mean:>15.4f}"
            )
        return "\n".join(lines)


def _ratio(predicted: float, actual: float) -> str:
    return f"{predicted / actual - 1:+.1%} vs actual" if actual else "no actual transactions"


def validate_holdout(
    con: duckdb.DuckDBPyConnection, *, summary_table: str = SUMMARY_TABLE, write: bool = True
) -> HoldoutReport:
    """Fit on calibration columns, predict the holdout, compare; optionally write the two marts."""
    columns = table_columns(con, summary_table)
    missing = {"holdout_transactions", "holdout_days"} - set(columns)
    if missing:
        raise ValueError(f"{summary_table} has no {', '.join(sorted(missing))} column(s) for a holdout")
    data = read_columns(
        con,
        f"select user_id, frequency, recency, t, holdout_transactions, holdout_days from {summary_table}",
        ["user_id", "frequency", "recency", "t", "holdout_transactions", "holdout_days"],
    )
    x = data["frequency"].astype(float)
    recency, t_days = data["recency"].astype(float), data["t"].astype(float)
    holdout_days = data["holdout_days"].astype(float)
    actual = data["holdout_transactions"].astype(float)

    fit = fit_bgnbd(x, recency / DAYS_PER_WEEK, t_days / DAYS_PER_WEEK, time_unit="week")
    rows = group_rows(x, recency, t_days, holdout_days)
    ux, urec, ut, uh = rows.columns
    predicted = rows.expand(
        expected_transactions(fit.params, uh / DAYS_PER_WEEK, ux, urec / DAYS_PER_WEEK, ut / DAYS_PER_WEEK)
    )

    customers = pd.DataFrame(
        {
            "user_id": data["user_id"],
            "frequency": data["frequency"],
            "recency_days": recency,
            "t_days": t_days,
            "holdout_days": holdout_days,
            "actual": actual,
            "predicted": predicted,
        }
    )
    bucket = np.minimum(x, TOP_BUCKET).astype(int)
    by_frequency = (
        pd.DataFrame({"bucket": bucket, "actual": actual, "predicted": predicted})
        .groupby("bucket", sort=True)
        .agg(
            customers=("actual", "size"),
            actual_mean=("actual", "mean"),
            predicted_mean=("predicted", "mean"),
            actual_total=("actual", "sum"),
            predicted_total=("predicted", "sum"),
        )
        .reset_index()
    )
    by_frequency.insert(0, "frequency_bucket", [f"{b}+" if b == TOP_BUCKET else str(b) for b in by_frequency["bucket"]])
    by_frequency = by_frequency.rename(columns={"bucket": "bucket_order"})
    by_frequency["customers"] = by_frequency["customers"].astype("int64")

    error = predicted - actual
    correlation = None
    if len(actual) > 1 and np.std(actual) > 0 and np.std(predicted) > 0:
        correlation = float(np.corrcoef(predicted, actual)[0, 1])
    distinct_days = np.unique(holdout_days)
    report = HoldoutReport(
        fit=fit,
        customers=customers,
        by_frequency=by_frequency,
        holdout_days=float(distinct_days[0]) if len(distinct_days) == 1 else float(np.mean(holdout_days)),
        actual_total=float(np.sum(actual)),
        predicted_total=float(np.sum(predicted)),
        mae=float(np.mean(np.abs(error))),
        rmse=float(np.sqrt(np.mean(error**2))),
        correlation=correlation,
    )
    if write:
        _write(con, report)
    return report


def _write(con: duckdb.DuckDBPyConnection, report: HoldoutReport) -> None:
    p, se = report.fit.params, report.fit.se
    summary = pa.table(
        {
            "validated_at": [datetime.now(UTC).replace(tzinfo=None)],
            "customers": [report.fit.customers],
            "repeat_customers": [report.fit.repeat_customers],
            "holdout_days": [report.holdout_days],
            "actual_total": [report.actual_total],
            "predicted_total": [report.predicted_total],
            "mae": [report.mae],
            "rmse": [report.rmse],
            "correlation": pa.array([report.correlation], type=pa.float64()),
            "r": [p.r],
            "alpha": [p.alpha],
            "a": [p.a],
            "b": [p.b],
            "r_se": [se.r],
            "alpha_se": [se.alpha],
            "a_se": [se.a],
            "b_se": [se.b],
            "bgnbd_log_likelihood": [report.fit.log_likelihood],
            "time_unit": [report.fit.time_unit],
        }
    )
    by_frequency = pa.Table.from_pandas(report.by_frequency, preserve_index=False)
    customers = pa.Table.from_pandas(report.customers, preserve_index=False)
    con.begin()
    try:
        con.execute("create schema if not exists marts")
        for name, table in (
            ("clv_holdout_summary", summary),
            ("clv_holdout_by_frequency", by_frequency),
            ("clv_holdout_customers", customers),
        ):
            con.register("_estore_clv_holdout", table)
            try:
                con.execute(f"create or replace table marts.{name} as select * from _estore_clv_holdout")
            finally:
                con.unregister("_estore_clv_holdout")
        con.commit()
    except BaseException:
        con.rollback()
        raise
