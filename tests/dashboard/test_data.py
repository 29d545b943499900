"""The query library behind the app, the report and the exports: periods and filters, against SQL on the warehouse."""

from __future__ import annotations

from datetime import date

import pytest
from e2e.support import query

from estore.dashboard import data
from estore.dashboard.filters import Filters
from estore.errors import EstoreError
from estore.settings import load_settings


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


def test_trend_adds_up_to_the_period(workspace):
    settings = load_settings(workspace)
    f = data.build_info(settings).full_range()
    weekly = data.trend(settings, f, "week")
    total = data.kpis(settings, f)
    assert weekly.sessions.sum() == total.sessions
    assert weekly.revenue.sum() == pytest.approx(total.revenue, abs=0.01)
    # buyers are distinct per week, so weeks add up to at least the buyers of the whole period
    assert weekly.buyers.sum() >= total.buyers


def test_unknown_filter_values_are_refused_with_the_known_ones(workspace):
    settings = load_settings(workspace)
    info = data.build_info(settings)
    with pytest.raises(EstoreError, match="unknown top-level category 'toys'.*electronics"):
        data.filters_for(settings, info, category="toys")
    with pytest.raises(EstoreError, match="ends before it starts"):
        data.filters_for(settings, info, date_from=date(2019, 11, 2), date_to=date(2019, 11, 1))
