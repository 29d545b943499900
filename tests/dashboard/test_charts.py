"""The figures: what they plot comes from the DataFrame as given, in segment order."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from estore.dashboard import charts, formatting

SEGMENTS = pd.DataFrame({"segment": ["Champions", "At Risk", "Lost", "Prospects"], "segment_order": [1, 2, 3, 4]})


def test_segment_colours_follow_the_segment_order():
    colors = charts.segment_colors(SEGMENTS.sample(frac=1, random_state=1))
    assert list(colors) == ["Champions", "At Risk", "Lost", "Prospects"]
    assert list(colors.values()) == charts.SEGMENT_PALETTE[:4]


def test_revenue_by_segment_lists_segments_in_rule_order():
    summary = pd.DataFrame(
        {"segment": ["Lost", "Champions"], "segment_order": [3, 1], "revenue": [10.0, 30.0], "customers": [5, 1]}
    )
    summary["revenue_share"] = summary.revenue / summary.revenue.sum()
    (bar,) = charts.revenue_by_segment(summary, charts.segment_colors(SEGMENTS)).data
    assert list(bar.y) == ["Champions", "Lost"] and list(bar.x) == [30.0, 10.0]
    assert list(bar.text) == ["30.00 (75.0%)", "10.00 (25.0%)"]


def test_segment_migration_puts_customers_in_from_to_cells():
    at = {"from_date": datetime(2020, 1, 1), "to_date": datetime(2020, 2, 1)}
    cells = [("New", 0, "Champions", 1, 4), ("Champions", 1, "At Risk", 2, 2), ("Champions", 1, "Champions", 1, 7)]
    df = pd.DataFrame(
        [
            {**at, "from_segment": a, "from_order": ao, "to_segment": b, "to_order": bo, "customers": n}
            for a, ao, b, bo, n in cells
        ]
    )
    (heat,) = charts.segment_migration(df).data
    assert list(heat.y) == ["New", "Champions"] and list(heat.x) == ["Champions", "At Risk"]
    z = np.array(heat.z, dtype=float)
    assert z[0, 0] == 4 and np.isnan(z[0, 1]) and z[1, 0] == 7 and z[1, 1] == 2


def test_clv_histogram_draws_the_top_percent_in_the_last_bar():
    customers = pd.DataFrame({"predicted_clv": np.r_[np.arange(1, 1000, dtype=float), 1e6]})
    fig = charts.clv_histogram(customers)
    assert max(fig.data[0].x) < 1e6 and len(fig.data[0].x) == 1000
    assert "top 1%" in fig.layout.title.text


def test_numbers_are_written_for_people():
    assert formatting.money(69194.734) == "69,194.73"
    assert formatting.money_compact(1_083_441_697.1) == "1,083.44M"
    assert formatting.percent(0.05889) == "5.89%"
    assert formatting.change(110, 100) == "+10.0%" and formatting.change(1, 0) is None
    assert formatting.point_change(0.06, 0.05) == "+1.00 pp"
    assert formatting.money(None) == formatting.percent(float("nan")) == "–"


def test_funnel_stages_never_widen():
    """Sessions that bought without a cart event still count as having reached the cart."""
    f = pd.Series(
        {"sessions": 1000, "sessions_with_view": 999, "sessions_with_cart": 100, "sessions_with_purchase": 60,
         "cart_and_purchase_sessions": 45}
    )  # fmt: skip
    (stages,) = charts.funnel(f).data
    assert list(stages.y) == ["Sessions", "Reached the cart", "Purchased"]
    assert list(stages.x) == [1000, 100 + 60 - 45, 60]


def test_rfm_heatmap_shows_every_score_even_without_customers():
    grid = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [1, 1, 5], "customers": [10, 4, 2]})
    (heat,) = charts.rfm_heatmap(grid).data
    assert list(heat.x) == ["F1", "F2", "F3", "F4", "F5"] and list(heat.y) == ["R1", "R2", "R3", "R4", "R5"]
    z = np.array(heat.z, dtype=float)  # row i is R(i+1), drawn from the bottom up
    assert z[4, 0] == 10 and z[0, 0] == 4 and z[2, 4] == 2 and np.isnan(z).sum() == 22


def test_category_trend_keeps_the_top_categories_and_sums_the_rest():
    periods = pd.to_datetime(["2019-10-01", "2019-10-02"])
    revenue = {"a": [50, 60], "b": [40, 40], "c": [5, 1], "d": [2, 3]}
    df = pd.DataFrame(
        [
            {"period": p, "category_level_1": c, "revenue": v[i]}
            for c, v in revenue.items()
            for i, p in enumerate(periods)
        ]
    )
    fig = charts.category_trend(df, top=2)
    lines = {trace.name: list(trace.y) for trace in fig.data}
    assert lines == {"a": [50, 60], "b": [40, 40], "Other": [7, 4]}
    assert "top 2" in fig.layout.title.text


def test_activity_status_is_labelled_for_people_in_its_order():
    df = pd.DataFrame(
        {"activity_status": ["churned", "at_risk", "active"], "segment": ["Lost", "At Risk", "Champions"],
         "customers": [3, 2, 1]}
    )  # fmt: skip
    fig = charts.activity_status(df, charts.segment_colors(SEGMENTS))
    shown = {trace.name: list(trace.x) for trace in fig.data}
    assert shown == {"Champions": ["Active"], "At Risk": ["At risk"], "Lost": ["Churned"]}
    assert list(fig.layout.xaxis.categoryarray) == ["Active", "Declining", "At risk", "Churned"]


def test_clv_scatter_draws_small_segments_on_top_and_lists_them_in_rule_order():
    sizes = {"Champions": 3, "At Risk": 5, "Lost": 40}
    customers = pd.DataFrame(
        [
            {"user_id": i, "segment": s, "revenue": 10.0 + i, "predicted_clv": 5.0 + i, "p_alive": 0.5}
            for i, s in enumerate(s for s, n in sizes.items() for _ in range(n))
        ]
    )
    fig = charts.clv_scatter(customers, charts.segment_colors(SEGMENTS))
    # plotly draws later traces over earlier ones: the biggest segment first
    assert [t.name for t in fig.data] == ["Lost", "At Risk", "Champions"]
    assert [len(t.x) for t in fig.data] == [40, 5, 3]
    by_rank = sorted(fig.data, key=lambda t: t.legendrank)
    assert [t.name for t in by_rank] == ["Champions", "At Risk", "Lost"]
