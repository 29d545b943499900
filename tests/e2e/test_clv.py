"""Customer value through the real CLI on data with a known truth: the generator draws each
buyer's repeat purchases from BG/NBD and spend from Gamma-Gamma, and records the parameters."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from estore.serving import mark_unpublished, unpublished_change
from estore.settings import load_settings

from .support import clean_events, estore, query

CALIBRATION_END = "2020-01-31"  # six months Oct 2019 - Mar 2020: a 60-day holdout


@pytest.fixture(scope="module")
def clv(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("clv")
    landing, ws = root / "landing", root / "ws"
    gen = estore(
        ws, "generate", "--out", str(landing), "--events", "400000", "--months", "6",
        "--buyer-share", "0.3", "--seed", "5", "--gzip",
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    run = estore(ws, "run", str(landing))
    assert run.returncode == 0, run.stdout + run.stderr
    validation = estore(ws, "validate-clv", "--calibration-end", CALIBRATION_END)
    assert validation.returncode == 0, validation.stdout + validation.stderr
    events = clean_events(landing)
    purchases = events.query("event_type == 'purchase'")
    days = purchases.groupby(["user_id", "date"]).price.sum().rename("value").reset_index()
    truth = json.loads((landing / "generation.json").read_text())["clv_truth"]
    span = (f"{events.date.min():%Y-%m-%d}", f"{events.date.max():%Y-%m-%d}")
    return {"ws": ws, "days": days, "truth": truth, "validation": validation, "span": span}


def test_fit_recovers_the_true_parameters(clv):
    """Maximum likelihood is asymptotically normal, so an unbiased estimate lies within 4
    standard errors of the truth with probability 99.99% per parameter. The data is generated
    at a fixed seed, so the test is deterministic; 4 SE leaves room for the small bias of
    whole-day recency and spend matched to catalogue prices (about 1 SE at this size)."""
    fit = query(clv["ws"], "select * from marts.clv_model_fit order by fit_id desc limit 1").iloc[0]
    truth = {**clv["truth"]["bgnbd"], **clv["truth"]["gamma_gamma"]}
    assert fit.time_unit == clv["truth"]["time_unit"] == "week"
    for name, value in truth.items():
        se = fit[f"{name}_se"]
        assert 0 < se < value, f"{name}: standard error {se} is not informative"
        assert abs(fit[name] - value) < 4 * se, f"{name}: estimate {fit[name]:.4g}, truth {value}, SE {se:.3g}"


def expected_summary(days: pd.DataFrame) -> pd.DataFrame:
    """Each buyer's repeat purchase days (frequency), days from the first to the last purchase day
    (recency), from the first to the last event day (t), and mean spend of the repeat days."""
    first = days.groupby("user_id").date.min()
    last = days.groupby("user_id").date.max()
    as_of = days.date.max()  # purchases happen every day, so the last purchase day is the last event day
    want = days.groupby("user_id").size().sub(1).rename("frequency").to_frame()
    want["recency"] = (last - first).dt.days
    want["t"] = (as_of - first).dt.days
    repeat_value = days.groupby("user_id").value.sum() - days.sort_values("date").groupby("user_id").value.first()
    want["monetary_value"] = (repeat_value / want.frequency).where(want.frequency > 0)
    return want


def test_summary_counts_transaction_days(clv):
    want = expected_summary(clv["days"])
    summary = query(clv["ws"], "select * from marts.clv_customer_summary").set_index("user_id")
    assert sorted(summary.index) == sorted(want.index)
    got = summary.loc[want.index]
    assert (got.frequency.to_numpy() == want.frequency.to_numpy()).all()
    assert np.allclose(got.recency, want.recency) and np.allclose(got.t, want.t)
    assert np.allclose(got.monetary_value.fillna(-1), want.monetary_value.fillna(-1), atol=1e-6)


def test_every_customer_is_scored_and_p_alive_follows_the_fit(clv):
    got = query(clv["ws"], "select * from marts.dim_user_clv").set_index("user_id")
    want = expected_summary(clv["days"])
    assert sorted(got.index) == sorted(want.index)
    # P(alive) of BG/NBD (Fader, Hardie and Lee 2005, eq. 11) with the stored fit, on the summary
    # computed here from the raw files, in the fit's unit (weeks)
    fit = query(clv["ws"], "select * from marts.clv_model_fit order by fit_id desc limit 1").iloc[0]
    x, tx, t = want.frequency, want.recency / 7, want.t / 7
    odds = fit.a / (fit.b + x - 1) * ((fit.alpha + t) / (fit.alpha + tx)) ** (fit.r + x)
    p_alive = (1 / (1 + odds)).where(x > 0, 1.0)
    np.testing.assert_allclose(got.p_alive.loc[want.index], p_alive, rtol=1e-9)
    cols = ["p_alive", "expected_transactions_30d", "expected_transactions_90d", "expected_transactions_365d", "clv"]
    assert np.isfinite(got[cols].to_numpy(dtype=float)).all()
    assert got.p_alive.between(0, 1).all() and (got.clv >= 0).all()
    assert (got.expected_transactions_30d <= got.expected_transactions_90d).all()
    assert (got.expected_transactions_90d <= got.expected_transactions_365d).all()


def test_holdout_validation_against_actual_repeat_days(clv):
    days, end = clv["days"], np.datetime64(CALIBRATION_END)
    first = days.groupby("user_id").date.transform("min")
    calibrated = days[first <= end]
    actual = int((calibrated.date > end).sum())
    summary = query(clv["ws"], "select * from marts.clv_holdout_summary").iloc[0]
    assert summary.customers == calibrated.user_id.nunique()
    assert summary.holdout_days == (days.date.max() - end).days
    assert summary.actual_total == actual
    # the model is the true one, so predicted and actual totals differ by sampling noise (a few %)
    assert summary.predicted_total == pytest.approx(actual, rel=0.15)
    assert "holdout" in clv["validation"].stdout
    production = query(clv["ws"], "select count(*) as n from marts.clv_customer_summary").n[0]
    assert production == days.user_id.nunique()


@pytest.mark.parametrize(
    ("end", "problem"),
    [
        ("2019-09-30", "no purchases up to this date to fit on"),
        ("2020-03-31", "no data after this date to validate against"),
    ],
)
def test_a_calibration_end_outside_the_data_names_the_span(clv, end, problem):
    out = estore(clv["ws"], "validate-clv", "--calibration-end", end)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    first, last = clv["span"]
    want = f"--calibration-end {end}: {problem}; pick a date between the first and the last event ({first} .. {last})"
    assert want in " ".join(out.stderr.split())


def test_a_calibration_period_too_short_to_fit_says_to_pick_a_later_date(clv):
    out = estore(clv["ws"], "validate-clv", "--calibration-end", "2019-10-02")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    message = " ".join(out.stderr.split())
    assert "--calibration-end 2019-10-02: the fit on the data up to this date failed: BG/NBD needs at least" in message
    assert message.endswith("A later date gives it more history.")


def served(workspace, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(workspace / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def test_validation_is_published_only_over_a_snapshot_with_nothing_pending(clv, tmp_path):
    """Over an up-to-date snapshot, validate-clv publishes again (with its tables), so the dashboard
    does not take it for an unfinished build; with changes pending it leaves the snapshot alone."""
    summary = "select customers, holdout_days, actual_total from marts.clv_holdout_summary"
    pd.testing.assert_frame_equal(served(clv["ws"], summary), query(clv["ws"], summary))
    assert unpublished_change(load_settings(clv["ws"])) is None

    ws = tmp_path / "ws"
    shutil.copytree(clv["ws"], ws)
    mark_unpublished(load_settings(ws), "load")  # files loaded that no build has published yet
    out = estore(ws, "validate-clv", "--calibration-end", "2020-01-15")
    assert out.returncode == 0, out.stderr
    assert "not published to the dashboard" in " ".join(out.stderr.split())
    assert query(ws, summary).holdout_days[0] == served(ws, summary).holdout_days[0] + 16
    assert unpublished_change(load_settings(ws)) == "load"

    # a validation that was interrupted left only its own mark: running it again publishes
    mark_unpublished(load_settings(ws), "validate-clv")
    out = estore(ws, "validate-clv", "--calibration-end", "2020-01-15")
    assert out.returncode == 0, out.stderr
    pd.testing.assert_frame_equal(served(ws, summary), query(ws, summary))
    assert unpublished_change(load_settings(ws)) is None
