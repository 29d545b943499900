"""The query library behind the app, the report and the exports: periods and filters, against SQL on the warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import yaml
from e2e.support import query

from estore.dashboard import data
from estore.dashboard.filters import Filters
from estore.errors import EstoreError
from estore.settings import load_settings
from estore.transform import DBT_PROJECT_DIR


def sessions_sql(workspace, first: date, last: date) -> dict[str, float]:
    row = query(
        workspace,
        f"""
        select count(*) as sessions, count(*) filter (where is_purchase_session) as orders,
               coalesce(sum(revenue), 0)::double as revenue,
               count(distinct user_id) filter (where is_purchase_session) as buyers
        from marts.fct_sessions
        where cast(session_start as date) between '{first}' and '{last}'
        """,
    ).iloc[0]
    return {k: float(row[k]) for k in ("sessions", "orders", "revenue", "buyers")}


def test_previous_period_has_the_same_length_just_before():
    f = Filters(date(2019, 11, 1), date(2019, 11, 30), "electronics", "Lost")
    assert f.previous() == Filters(date(2019, 10, 2), date(2019, 10, 31), "electronics", "Lost")
    with pytest.raises(ValueError):
        Filters(date(2019, 11, 2), date(2019, 11, 1))


def test_kpis_of_a_period_and_the_one_before(workspace):
    settings = load_settings(workspace)
    november = Filters(date(2019, 11, 1), date(2019, 11, 30))
    for f in (november, november.previous()):
        got, want = data.kpis(settings, f), sessions_sql(workspace, f.date_from, f.date_to)
        assert (got.sessions, got.orders, got.buyers) == (want["sessions"], want["orders"], want["buyers"])
        assert got.revenue == pytest.approx(want["revenue"], abs=0.005)
        assert got.conversion_rate == pytest.approx(want["orders"] / want["sessions"])


def test_weekly_trend_matches_the_sessions_of_each_week(workspace):
    settings = load_settings(workspace)
    f = data.build_info(settings).full_range()
    weekly = data.trend(settings, f, "week").set_index("period")
    want = query(
        workspace,
        """
        select cast(date_trunc('week', session_start) as date) as period, count(*) as sessions,
               count(*) filter (where is_purchase_session) as orders, sum(revenue)::double as revenue,
               count(distinct user_id) filter (where is_purchase_session) as buyers
        from marts.fct_sessions group by 1 order by 1
        """,
    ).set_index("period")
    want.index = pd.to_datetime(want.index)
    assert len(want) > 4 and weekly.index.is_monotonic_increasing
    got = weekly.loc[weekly.sessions > 0]
    assert list(got.index) == list(want.index)
    for column in ("sessions", "orders", "buyers"):
        assert got[column].tolist() == want[column].tolist(), column
    assert got.revenue.to_numpy() == pytest.approx(want.revenue.to_numpy(), abs=0.005)
    assert (weekly.loc[weekly.sessions == 0, ["orders", "buyers", "revenue"]] == 0).all().all()
    # weeks cut by the first or the last day of the range are marked, so charts do not show a drop
    first, last = pd.Timestamp(f.date_from), pd.Timestamp(f.date_to)
    cut = (weekly.index < first) | (weekly.index + pd.Timedelta(days=6) > last)
    assert weekly.partial.tolist() == cut.tolist() and cut[0] == (first.weekday() != 0)


def test_unknown_filter_values_are_refused_with_the_known_ones(workspace):
    settings = load_settings(workspace)
    info = data.build_info(settings)
    with pytest.raises(EstoreError, match="unknown top-level category 'toys'.*electronics"):
        data.filters_for(settings, info, category="toys")
    with pytest.raises(EstoreError, match="ends before it starts"):
        data.filters_for(settings, info, date_from=date(2019, 11, 2), date_to=date(2019, 11, 1))
    span = f"the data runs from {info.data_from} to {info.data_to}"
    with pytest.raises(EstoreError, match=f"^--from 2019-12-01 is after the last day with data; {span}$"):
        data.filters_for(settings, info, date_from=date(2019, 12, 1))
    with pytest.raises(EstoreError, match=f"^--to 2019-09-30 is before the first day with data; {span}$"):
        data.filters_for(settings, info, date_to=date(2019, 9, 30))


def test_churn_comparison_leaves_unscored_segments_unknown(workspace, monkeypatch):
    """Customers without P(alive) (no CLV fit yet) are unknown, not zero customers alive."""
    settings = load_settings(workspace)
    f = data.build_info(settings).full_range()
    members = data.customers(settings, f)
    unscored = members.segment.value_counts().index[0]
    members.loc[members.segment == unscored, "p_alive"] = float("nan")
    monkeypatch.setattr(data, "customers", lambda *_: members.copy())
    got = data.churn_comparison(settings, f).set_index("segment")
    assert pd.isna(got.loc[unscored, "expected_customers_alive"])
    scored = members[members.segment != unscored].groupby("segment").p_alive.sum()
    assert got.expected_customers_alive.drop(unscored).to_numpy() == pytest.approx(
        scored.loc[got.index.drop(unscored)].to_numpy()
    )


def test_each_segment_carries_the_action_its_rule_suggests(workspace):
    """The actions are the `action` of each default rule in dbt_project.yml, read here with yaml."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    rules = {rule["name"]: rule["action"] for rule in project["vars"]["rfm_segments"]}
    settings = load_settings(workspace)
    summary = data.segment_summary(settings, data.build_info(settings).full_range())
    assert len(summary) > 3 and set(summary.segment) <= set(rules)
    assert dict(zip(summary.segment, summary.suggested_action, strict=True)) == {s: rules[s] for s in summary.segment}
