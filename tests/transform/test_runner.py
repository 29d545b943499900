"""Build options (vars) and failures surfacing as EstoreError."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime

import pandas as pd
import pytest

from estore.errors import EstoreError
from estore.transform import build

from .conftest import month_one
from .support import _event, expected_events, expected_rfm, expected_users, read, write_warehouse


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = tmp_path_factory.mktemp("runner")
    write_warehouse(ws / "warehouse.duckdb", {1: month_one()})
    return ws


def test_vars_change_thresholds_and_bins(workspace):
    wh = workspace / "warehouse.duckdb"
    as_of = "2019-11-15"
    result = build(wh, workspace, vars={"as_of_date": as_of, "rfm_bins": 3, "active_days": 20})
    events = expected_events(read(wh, "select * from raw.events"), live_loads={1})
    assert result.node("fct_events").rows == len(events)
    users = expected_users(events, as_of=pd.Timestamp(as_of), thresholds=(20, 60, 90))
    got = read(wh, "select * from marts.dim_users").set_index("user_id").sort_index()
    assert (got["activity_status"] == users["activity_status"]).all()
    rfm = read(wh, "select * from marts.dim_user_rfm").set_index("user_id").sort_index()
    want = expected_rfm(users, bins=3, segments=[])
    assert rfm.index.tolist() == want.index.tolist()
    for score in ("r_score", "f_score", "m_score"):
        assert rfm[score].tolist() == want[score].tolist(), score
    assert rfm["r_score"].max() == 3


def test_churn_is_judged_only_after_churn_days_even_with_a_shorter_observation_window(workspace):
    """churn_days 120 with the default 90-day observation window: a buyer whose first purchase is
    100 days old cannot have churned yet, so is not counted (counting them diluted the rate)."""
    wh = workspace / "warehouse.duckdb"
    as_of = pd.Timestamp("2020-02-10")
    build(wh, workspace, vars={"as_of_date": str(as_of.date()), "churn_days": 120})
    events = expected_events(read(wh, "select * from raw.events"), live_loads={1})
    users = expected_users(events, as_of=as_of, thresholds=(30, 60, 120))
    buyers = users[users["first_purchase_at"].notna()]
    eligible = buyers[buyers["first_purchase_at"].dt.normalize() <= as_of - pd.Timedelta(days=120)]
    churned = eligible[eligible["activity_status"] == "churned"]
    assert 0 < len(eligible) < len(buyers)  # the window cuts through the month's buyers
    overall = read(wh, "select * from marts.metrics_churn where cohort_month = 'overall'").iloc[0]
    assert (overall["eligible_customers"], overall["churned_customers"]) == (len(eligible), len(churned))
    assert overall["churn_rate"] == pytest.approx(len(churned) / len(eligible))


def test_own_segment_rules_build_and_assign_by_the_first_matching_rule(workspace):
    wh = workspace / "warehouse.duckdb"
    rules = [
        {"name": "Best", "r": [4, 5], "fm": [3, 5], "action": "Thank them"},
        {"name": "Rest", "r": [1, 5], "fm": [1, 5]},
    ]
    build(wh, workspace, vars={"rfm_segments": rules})
    rfm = read(wh, "select * from marts.dim_user_rfm")
    best = (rfm.r_score >= 4) & (rfm.fm_score >= 3)
    assert best.any() and (~best).any()
    assert rfm.segment.tolist() == ["Best" if b else "Rest" for b in best]
    segments = read(wh, "select segment, suggested_action from marts.dashboard_segments order by segment_order")
    assert segments.segment.tolist()[:2] == ["Best", "Rest"]
    assert segments.suggested_action.tolist()[0] == "Thank them"


def test_counts_are_64_bit_integers_and_rates_double(workspace):
    """No 128-bit integers (pandas and the exports read them as floats: 3.0 orders) or 4-byte floats."""
    wh = workspace / "warehouse.duckdb"
    build(wh, workspace)
    odd = read(
        wh,
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema in ('marts', 'intermediate') and data_type in ('HUGEINT', 'FLOAT')",
    )
    assert odd.empty, odd.to_string()
    orders = read(wh, "select orders from marts.dim_users")["orders"]
    assert orders.dtype == "int64"


def test_an_as_of_date_before_the_last_event_fails_naming_both(workspace):
    wh = workspace / "warehouse.duckdb"
    build(wh, workspace)
    last = pd.Timestamp(read(wh, "select max(event_time) as t from raw.events")["t"][0]).date()
    day_before = last - pd.Timedelta(days=1)
    with pytest.raises(EstoreError) as error:
        build(wh, workspace, vars={"as_of_date": str(day_before)}, select="dim_users")
    assert f"as_of_date {day_before} is before the last event ({last}): set it on or after" in str(error.value)
    build(wh, workspace, vars={"as_of_date": str(last)}, select="dim_users")  # the last day itself is fine
    assert read(wh, "select min(days_since_last_event) as d from marts.dim_users")["d"][0] == 0


def test_failing_data_test_raises_estore_error_naming_it(workspace):
    wh = workspace / "warehouse.duckdb"
    write_warehouse(wh, {2: [{**_event(datetime(2019, 10, 5), "view", 1, 1, "neg"), "price": -1.0}]})
    with pytest.raises(EstoreError) as error:
        build(wh, workspace, select="stg_events")
    # the one test that checks stg_events' columns fails, and the error shows the offending column
    assert "test column_checks_stg_events: Got 1 result" in str(error.value)
    assert "column_name=price, rule=non_negative, failing_rows=1" in str(error.value)


def test_staging_tests_read_a_new_load_when_fct_events_is_empty(tmp_path):
    """The staging tests read the loads newer than every load in fct_events; when fct_events was
    built empty (its only load had no session id), a later load is still checked."""
    wh = tmp_path / "warehouse.duckdb"
    write_warehouse(wh, {1: [_event(datetime(2019, 10, 4), "view", 1, 1, None)]})
    build(wh, tmp_path)
    assert read(wh, "select count(*) as n from marts.fct_events")["n"][0] == 0
    write_warehouse(wh, {2: [{**_event(datetime(2019, 10, 5), "view", 1, 1, "neg"), "price": -1.0}]})
    with pytest.raises(EstoreError, match="column_name=price, rule=non_negative, failing_rows=1"):
        build(wh, tmp_path, select="stg_events")


class _Outcome:
    def __init__(self, exception=None):
        self.success, self.result, self.exception = exception is None, None, exception


def _fake_dbt(monkeypatch, invoke):
    import dbt.cli.main

    class Runner:
        def __init__(self, callbacks=None):
            pass

        def invoke(self, args):
            return invoke()

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)


def test_ctrl_c_that_dbt_swallows_still_stops_the_build(workspace, monkeypatch):
    """dbt's partial-parse reader catches every exception, a Ctrl-C included, then parses again and
    builds on: the build must still stop as interrupted, not finish and publish."""

    def swallowing():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the signal arrives here
        except BaseException:  # as the reader does
            pass
        return _Outcome()

    _fake_dbt(monkeypatch, swallowing)
    with pytest.raises(KeyboardInterrupt):
        build(workspace / "warehouse.duckdb", workspace)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back as it was


def test_a_warehouse_taken_by_another_process_during_the_build_is_named(workspace, monkeypatch):
    lock = 'IO Error: Could not set lock on file "x": Conflicting lock is held in python (PID 4242).'
    _fake_dbt(monkeypatch, lambda: _Outcome(RuntimeError(lock)))
    with pytest.raises(EstoreError) as error:
        build(workspace / "warehouse.duckdb", workspace)
    assert "is in use by another process (PID 4242): a load, build or Dagster run writes one at a time" in str(
        error.value
    )
