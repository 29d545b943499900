"""run_clv and validate_holdout against a real DuckDB file."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from estore.clv import ClvFitError, fit_bgnbd, run_clv, validate_holdout
from estore.clv import warehouse as clv_warehouse

from .support import lifetimes_bgnbd, lifetimes_gamma_gamma, simulate

HOLDOUT_DAYS = 90.0
DIM_COLUMNS = [
    ("user_id", "BIGINT"),
    ("frequency", "INTEGER"),
    ("recency_days", "DOUBLE"),
    ("t_days", "DOUBLE"),
    ("monetary_value", "DOUBLE"),
    ("p_alive", "DOUBLE"),
    ("expected_transactions_30d", "DOUBLE"),
    ("expected_transactions_90d", "DOUBLE"),
    ("expected_transactions_365d", "DOUBLE"),
    ("expected_spend", "DOUBLE"),
    ("clv", "DOUBLE"),
    ("clv_horizon_months", "INTEGER"),
]


def summary_frame(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    """A day-based summary like the warehouse's: whole days, NULL spend for one-time buyers."""
    sim = simulate(
        n,
        r=0.6,
        alpha=40.0,
        a=0.8,
        b=2.5,
        T_range=(20, 200),
        p=6.0,
        q=4.0,
        gamma=300.0,
        holdout_length=HOLDOUT_DAYS,
        seed=seed,
    )
    T = np.floor(sim.T)
    recency = np.where(sim.frequency > 0, np.minimum(np.ceil(sim.recency), T), 0.0)
    return pd.DataFrame(
        {
            "user_id": np.arange(1, n + 1, dtype=np.int64) + 500_000_000,
            "frequency": sim.frequency.astype(np.int32),
            "recency": recency,
            "t": T,
            "monetary_value": np.where(sim.frequency > 0, np.round(sim.monetary_value, 2), np.nan),
            "holdout_transactions": sim.holdout.astype(np.int32),
            "holdout_days": HOLDOUT_DAYS,
        }
    )


def write_summary(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.execute("create schema if not exists marts")
    con.register("summary_frame", frame)
    con.execute(
        """
        create or replace table marts.clv_customer_summary as
        select user_id::bigint as user_id, frequency::integer as frequency, recency::double as recency,
               t::double as t, monetary_value::double as monetary_value,
               holdout_transactions::integer as holdout_transactions, holdout_days::double as holdout_days
        from summary_frame
        """
    )
    con.unregister("summary_frame")


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    frame = summary_frame()
    write_summary(con, frame)
    yield path, con, frame
    con.close()


def dim_user_clv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select * from marts.dim_user_clv order by user_id").df()


def test_run_clv_writes_predictions_that_match_an_independent_computation(warehouse):
    _, con, frame = warehouse
    run = run_clv(con)
    assert con.execute("describe marts.dim_user_clv").fetchall() == [
        (name, kind, "YES", None, None, None) for name, kind in DIM_COLUMNS
    ]
    dim = dim_user_clv(con)
    assert len(dim) == len(frame) == run.customers
    assert run.repeat_customers == int((frame["frequency"] > 0).sum())

    # the model works in weeks: the same fit in days has alpha 7x larger and r, a, b unchanged
    in_days = fit_bgnbd(frame["frequency"], frame["recency"], frame["t"], time_unit="day").params
    p = run.bgnbd.params
    np.testing.assert_allclose([p.r, p.alpha * 7, p.a, p.b], in_days.as_array(), rtol=1e-5)

    bg = lifetimes_bgnbd(p.r, p.alpha, p.a, p.b)
    g = run.gamma_gamma.params
    gg = lifetimes_gamma_gamma(g.p, g.q, g.gamma)
    x = frame["frequency"].to_numpy(float)
    tx, T = frame["recency"].to_numpy() / 7, frame["t"].to_numpy() / 7
    m = frame["monetary_value"].fillna(0).to_numpy()
    np.testing.assert_allclose(dim["p_alive"], bg.conditional_probability_alive(x, tx, T), rtol=1e-9)
    for days in (30, 90, 365):
        expected = bg.conditional_expected_number_of_purchases_up_to_time(days / 7, x, tx, T)
        np.testing.assert_allclose(dim[f"expected_transactions_{days}d"], expected, rtol=1e-7)
    spend = np.asarray(gg.conditional_expected_average_profit(x, m), float)
    np.testing.assert_allclose(dim["expected_spend"], spend, rtol=1e-9)
    month = 365.25 / 12 / 7
    cumulative = [np.zeros(len(x))] + [
        np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(k * month, x, tx, T), float)
        for k in range(1, 13)
    ]
    monthly = 1.1 ** (1 / 12) - 1
    clv = sum(spend * (cumulative[k] - cumulative[k - 1]) / (1 + monthly) ** k for k in range(1, 13))
    np.testing.assert_allclose(dim["clv"], clv, rtol=1e-7)
    assert run.total_clv == pytest.approx(clv.sum(), rel=1e-9)
    assert (dim["clv_horizon_months"] == 12).all()
    # inputs are carried through; spend stays NULL where the summary had NULL
    np.testing.assert_array_equal(dim["user_id"], frame["user_id"])
    assert dim["monetary_value"].isna().sum() == (frame["frequency"] == 0).sum()


def test_second_run_appends_a_fit_row_and_failures_keep_previous_results(warehouse, monkeypatch):
    path, con, frame = warehouse
    first = run_clv(con)
    con.close()
    con = duckdb.connect(str(path))  # the results are in the file, not only in the session
    second = run_clv(con, horizon_months=6, annual_discount_rate=0.2)
    fits = con.execute("select fit_id, r, alpha, a, b, p, q, gamma, customers, time_unit from marts.clv_model_fit").df()
    assert fits["fit_id"].tolist() == [first.fit_id, second.fit_id] == [1, 2]
    assert fits["customers"].tolist() == [len(frame)] * 2 and set(fits["time_unit"]) == {"week"}
    row = fits.iloc[1]
    assert row["r"] == second.bgnbd.params.r and row["gamma"] == second.gamma_gamma.params.gamma
    before = dim_user_clv(con)
    assert (before["clv_horizon_months"] == 6).all()

    # 1) a summary that cannot support a fit: nobody bought twice
    no_repeat = frame.assign(frequency=0, recency=0.0, monetary_value=np.nan)
    write_summary(con, no_repeat)
    with pytest.raises(ClvFitError, match="repeat buyers"):
        run_clv(con)
    pd.testing.assert_frame_equal(dim_user_clv(con), before)
    assert con.execute("select count(*) from marts.clv_model_fit").fetchone()[0] == 2

    # 2) a failure half-way through writing: the transaction is rolled back
    write_summary(con, frame)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(clv_warehouse, "_append_fit_row", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_clv(con, horizon_months=3)
    pd.testing.assert_frame_equal(dim_user_clv(con), before)
    assert con.execute("select count(*) from marts.clv_model_fit").fetchone()[0] == 2
    con.close()


def test_missing_summary_table_raises(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        with pytest.raises(ClvFitError, match="not found"):
            run_clv(con)
        assert con.execute("select count(*) from information_schema.tables").fetchone()[0] == 0


def test_validate_holdout_totals_and_buckets(warehouse):
    _, con, frame = warehouse
    report = validate_holdout(con)
    p = report.fit.params
    x = frame["frequency"].to_numpy(float)
    tx, T = frame["recency"].to_numpy() / 7, frame["t"].to_numpy() / 7
    predicted = np.asarray(
        lifetimes_bgnbd(p.r, p.alpha, p.a, p.b).conditional_expected_number_of_purchases_up_to_time(
            HOLDOUT_DAYS / 7, x, tx, T
        ),
        float,
    )
    actual = frame["holdout_transactions"].to_numpy(float)
    assert report.predicted_total == pytest.approx(predicted.sum(), rel=1e-9)
    assert report.actual_total == actual.sum()
    assert report.mae == pytest.approx(np.mean(np.abs(predicted - actual)), rel=1e-9)
    assert report.rmse == pytest.approx(np.sqrt(np.mean((predicted - actual) ** 2)), rel=1e-9)
    assert report.correlation == pytest.approx(np.corrcoef(predicted, actual)[0, 1], rel=1e-9)
    # the data follow the model, so the forecast is close in total
    assert report.predicted_total == pytest.approx(report.actual_total, rel=0.1)

    expected = (
        pd.DataFrame({"bucket": np.minimum(x, 7).astype(int), "actual": actual, "predicted": predicted})
        .groupby("bucket")
        .agg(customers=("actual", "size"), actual_mean=("actual", "mean"), predicted_mean=("predicted", "mean"))
        .reset_index()
    )
    stored = con.execute("select * from marts.clv_holdout_by_frequency order by bucket_order").df()
    assert stored["frequency_bucket"].tolist() == [str(b) if b < 7 else "7+" for b in expected["bucket"]]
    np.testing.assert_array_equal(stored["customers"], expected["customers"])
    np.testing.assert_allclose(stored["actual_mean"], expected["actual_mean"], rtol=1e-12)
    np.testing.assert_allclose(stored["predicted_mean"], expected["predicted_mean"], rtol=1e-9)
    summary = con.execute(
        "select customers, holdout_days, predicted_total, actual_total from marts.clv_holdout_summary"
    )
    assert summary.fetchall() == [(len(frame), HOLDOUT_DAYS, report.predicted_total, report.actual_total)]
    per_customer = con.execute("select sum(actual), sum(predicted), count(*) from marts.clv_holdout_customers")
    assert per_customer.fetchone() == pytest.approx((actual.sum(), predicted.sum(), len(frame)), rel=1e-12)
    text = report.render()
    assert "7+" in text and f"{report.predicted_total:,.1f}" in text
