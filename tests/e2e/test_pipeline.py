"""The whole pipeline through the real CLI: generate, run (load + build), then every headline
number recomputed independently from the raw files with pandas and compared with the marts."""

from __future__ import annotations

import json
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from transform.support import expected_rfm, expected_users

from .support import clean_events, estore, query, read_files


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("e2e")
    landing, workspace = root / "landing", root / "ws"
    gen = estore(workspace, "generate", "--out", str(landing), "--events", "150000", "--seed", "11", "--gzip")
    assert gen.returncode == 0, gen.stderr
    first = estore(workspace, "run", str(landing))
    assert first.returncode == 0, first.stdout + first.stderr
    return {"landing": landing, "workspace": workspace, "first": first}


@pytest.fixture(scope="module")
def expected(pipeline) -> pd.DataFrame:
    """Clean events the way the docs say the pipeline treats them: exact duplicates once,
    rows without a session dropped, sessions split after 60 minutes of inactivity."""
    ev = clean_events(pipeline["landing"])
    ev = ev.sort_values(["user_session", "user_id", "ts"])
    gap = ev.groupby(["user_session", "user_id"]).ts.diff()
    ev["session_no"] = (gap > pd.Timedelta(minutes=60)).groupby([ev.user_session, ev.user_id]).cumsum()
    return ev


@pytest.fixture(scope="module")
def expected_segments(expected) -> pd.DataFrame:
    """Each buyer's RFM scores and segment: the same pandas oracle as the dbt tests, fed with these
    independently cleaned events."""
    events = expected.drop(columns="event_time").rename(columns={"ts": "event_time", "session_no": "session_start"})
    users = expected_users(events)
    return expected_rfm(users.assign(revenue=users.revenue.round(2))).rename(
        columns={"days_since_last_purchase": "recency_days", "orders": "frequency", "revenue": "monetary"}
    )


def marts(pipeline, sql: str) -> pd.DataFrame:
    return query(pipeline["workspace"], sql)


def test_every_data_line_is_loaded_or_quarantined(pipeline):
    valid, lines = read_files(pipeline["landing"])
    ledger = marts(pipeline, "select file_name, rows_loaded, rows_quarantined from raw.load_ledger")
    got = {r.file_name: r.rows_loaded + r.rows_quarantined for r in ledger.itertuples()}
    assert got == lines
    assert ledger.rows_loaded.sum() == len(valid) == marts(pipeline, "select count(*) as n from raw.events").n[0]
    manifest = json.loads((pipeline["landing"] / "generation.json").read_text())
    malformed = sum(manifest["dirt"]["malformed_lines"].values())
    assert ledger.rows_quarantined.sum() == malformed


def test_events_users_buyers_revenue(pipeline, expected):
    ev = expected
    purchases = ev[ev.event_type == "purchase"]
    got = marts(
        pipeline,
        """select (select count(*) from marts.fct_events) as events,
                  (select count(*) from marts.dim_users) as users,
                  (select count(*) from marts.dim_users where orders > 0) as buyers,
                  (select sum(revenue) from marts.dim_users) as revenue""",
    ).iloc[0]
    assert got.events == len(ev)
    assert got.users == ev.user_id.nunique()
    assert got.buyers == purchases.user_id.nunique()
    assert float(got.revenue) == pytest.approx(purchases.price.sum(), abs=0.005)


def test_session_conversion_rate(pipeline, expected):
    sessions = expected.groupby(["user_session", "user_id", "session_no"]).event_type.agg(
        lambda s: (s == "purchase").any()
    )
    got = marts(
        pipeline,
        "select count(*) as n, count(*) filter (where is_purchase_session) as buying from marts.fct_sessions",
    ).iloc[0]
    assert got.n == len(sessions)
    assert got.buying == sessions.sum()
    assert got.buying / got.n == pytest.approx(sessions.mean(), abs=1e-12)


def test_rfm_scores_and_segments(pipeline, expected_segments):
    want = expected_segments
    got = marts(
        pipeline,
        "select user_id, recency_days, frequency, monetary, r_score, f_score, m_score, segment from marts.dim_user_rfm",
    ).set_index("user_id")
    assert len(got) == len(want)
    got = got.loc[want.index]
    assert (got.recency_days.to_numpy() == want.recency_days.to_numpy()).all()
    assert (got.frequency.to_numpy() == want.frequency.to_numpy()).all()
    assert np.allclose(got.monetary.astype(float), want.monetary, atol=0.005)
    for col in ("r_score", "f_score", "m_score", "segment"):
        mismatch = (got[col].to_numpy() != want[col].to_numpy()).sum()
        assert mismatch == 0, f"{col}: {mismatch} of {len(want)} users differ"
    assert set(want.segment) >= {"Champions", "Lost"}


def printed(out: str, label: str) -> list[str]:
    """The cells after `label` in the row of a printed table that starts with it."""
    [row] = [line for line in out.splitlines() if re.match(rf"[│┃] {re.escape(label)} +[│┃]", line)]
    return [cell.strip() for cell in row.strip("│┃ ").split("│")[1:]]


def test_summary_is_printed(pipeline, expected, expected_segments):
    out = pipeline["first"].stdout
    purchases = expected[expected.event_type == "purchase"]
    sessions = expected.groupby(["user_session", "user_id", "session_no"]).event_type.agg(
        lambda s: (s == "purchase").any()
    )
    assert printed(out, "events") == [f"{len(expected):,}"]
    assert printed(out, "users") == [f"{expected.user_id.nunique():,}"]
    buyers = purchases.user_id.nunique()
    assert printed(out, "buyers") == [f"{buyers:,} ({buyers / expected.user_id.nunique():.1%} of users)"]
    assert printed(out, "revenue") == [f"{purchases.price.sum():,.2f}"]
    assert printed(out, "sessions") == [f"{len(sessions):,}"]
    assert printed(out, "session conversion") == [f"{sessions.mean():.2%}"]
    segments = expected_segments.groupby("segment").agg(customers=("frequency", "size"), revenue=("monetary", "sum"))
    for row in segments.itertuples():
        customers, _, revenue, _ = printed(out, row.Index)
        assert customers == f"{row.customers:,}" and revenue == f"{row.revenue:,.2f}", row.Index
    where = pipeline["workspace"] / "warehouse.duckdb"
    assert f"warehouse: {where}" in out


def test_second_run_loads_nothing_and_changes_nothing(pipeline):
    tables = ["raw.events", "raw.load_ledger", "marts.fct_events", "marts.fct_sessions", "marts.dim_users",
              "marts.dim_user_rfm", "marts.dim_products"]  # fmt: skip

    def content(table: str) -> pd.DataFrame:
        rows = marts(pipeline, f"select * from {table}").drop(columns="built_at", errors="ignore")
        return rows.sort_values(list(rows.columns)).reset_index(drop=True)

    before = {table: content(table) for table in tables}
    again = estore(pipeline["workspace"], "run", str(pipeline["landing"]))
    assert again.returncode == 0, again.stderr
    files = sorted(path.name for path in pipeline["landing"].glob("*.csv.gz"))
    assert len(files) == 2 and all(re.search(rf"{re.escape(name)} .*skipped", again.stdout) for name in files)
    for table in tables:
        pd.testing.assert_frame_equal(content(table), before[table], obj=table)


def test_one_cohort_row(pipeline, expected):
    buys = expected[expected.event_type == "purchase"].copy()
    buys["month"] = buys.ts.dt.to_period("M")
    first = buys.groupby("user_id").month.min()
    october = first[first == pd.Period("2019-10", "M")].index
    november = buys[buys.user_id.isin(october) & (buys.month == pd.Period("2019-11", "M"))]
    row = marts(
        pipeline,
        "select * from marts.cohort_retention "
        "where cohort_month = date '2019-10-01' and months_since_first_purchase = 1",
    ).iloc[0]
    assert row.cohort_customers == len(october)
    assert row.customers_retained == november.user_id.nunique()
    assert row.retention_rate == pytest.approx(november.user_id.nunique() / len(october))
    assert float(row.revenue) == pytest.approx(november.price.sum(), abs=0.005)
    cumulative = buys[buys.user_id.isin(october)].price.sum() / len(october)
    assert row.cumulative_revenue_per_customer == pytest.approx(cumulative)


def test_one_funnel_row(pipeline, expected):
    sessions = expected.groupby(["user_session", "user_id", "session_no"]).agg(
        start=("ts", "min"),
        cart=("event_type", lambda s: (s == "cart").any()),
        purchase=("event_type", lambda s: (s == "purchase").any()),
    )
    day = sessions[sessions.start.dt.normalize() == pd.Timestamp("2019-11-15")]
    row = marts(pipeline, "select * from marts.funnel_daily where session_date = date '2019-11-15'").iloc[0]
    assert row.sessions == len(day)
    assert row.sessions_with_cart == day.cart.sum()
    assert row.sessions_with_purchase == day.purchase.sum()
    carting = day[day.cart]
    assert row.cart_abandonment_rate == pytest.approx((~carting.purchase).mean())


def test_the_serving_snapshot_holds_the_built_marts(pipeline):
    """Every served table equals its mart row for row (compared in both directions)."""
    workspace = pipeline["workspace"]
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"attach '{workspace / 'serving.duckdb'}' as served (read_only)")
        served = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'served' and table_name != 'serving_build'"
        ).fetchall()]  # fmt: skip
        marts = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() and schema_name = 'marts'"
        ).fetchall()]  # fmt: skip
        assert sorted(served) == sorted(set(marts) - {"fct_events", "fct_sessions"})
        for table in served:
            diff = con.execute(
                f"select count(*) from ((from marts.{table} except all from served.marts.{table}) "
                f"union all (from served.marts.{table} except all from marts.{table}))"
            ).fetchone()[0]
            assert diff == 0, table
        events = con.execute("select count(*) from marts.fct_events").fetchone()[0]
        assert con.execute("select events from served.marts.serving_build").fetchone()[0] == events
