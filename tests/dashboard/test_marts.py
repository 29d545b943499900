"""The dashboard marts add up to the core marts, so filtered numbers can be summed from them."""

from __future__ import annotations

import pandas as pd
import pytest
from e2e.support import query


def test_sessions_daily_adds_up_to_fct_sessions(workspace):
    got = query(
        workspace,
        "select sum(sessions) as n, sum(sessions_with_purchase) as orders, sum(revenue)::double as revenue, "
        "sum(abandoned_cart_sessions) as abandoned from marts.dashboard_sessions_daily",
    ).iloc[0]
    want = query(
        workspace,
        "select count(*) as n, count(*) filter (where is_purchase_session) as orders, sum(revenue)::double as revenue, "
        "count(*) filter (where carts > 0 and purchases = 0) as abandoned from marts.fct_sessions",
    ).iloc[0]
    assert (got.n, got.orders, got.abandoned) == (want.n, want.orders, want.abandoned)
    assert got.revenue == pytest.approx(want.revenue, abs=0.005)


def test_category_daily_adds_up_to_funnel_by_category(workspace):
    got = query(
        workspace,
        "select category_level_1, sum(sessions) as s, sum(sessions_with_view) as v, sum(sessions_with_cart) as c, "
        "sum(sessions_with_purchase) as p, sum(abandoned_cart_sessions) as a "
        "from marts.dashboard_category_daily group by 1 order by 1",
    )
    want = query(
        workspace,
        "select category_level_1, sessions as s, sessions_with_view as v, sessions_with_cart as c, "
        "sessions_with_purchase as p, abandoned_cart_sessions as a from marts.funnel_by_category order by 1",
    )
    assert got.values.tolist() == want.values.tolist()


def test_buyers_daily_holds_every_buyer_and_their_revenue(workspace):
    got = query(
        workspace,
        "select user_id, any_value(segment) as segment, sum(revenue)::double as revenue "
        "from marts.dashboard_buyers_daily group by 1 order by 1",
    )
    want = query(workspace, "select user_id, segment, monetary::double as revenue from marts.dim_user_rfm order by 1")
    assert got.user_id.tolist() == want.user_id.tolist()
    assert got.segment.tolist() == want.segment.tolist()
    assert got.revenue.tolist() == pytest.approx(want.revenue.tolist(), abs=0.005)


def test_buyers_daily_counts_the_orders_and_purchases_of_each_buyer_day_and_category(workspace):
    """Recounted from the purchase events: orders are distinct purchasing sessions (by start day)."""
    got = query(
        workspace,
        "select session_date, user_id, category_level_1, orders, purchases, revenue::double as revenue "
        "from marts.dashboard_buyers_daily order by all",
    )
    want = query(
        workspace,
        """
        select cast(s.session_start as date) as session_date, e.user_id,
            coalesce(c.level_1, 'unknown') as category_level_1,
            count(distinct e.session_key) as orders, count(*) as purchases, sum(e.price)::double as revenue
        from marts.fct_events e
        join marts.fct_sessions s on e.session_key = s.session_key
        left join marts.dim_categories c on e.category_id = c.category_id
        where e.event_type = 'purchase'
        group by all order by all
        """,
    )
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=False, atol=0.005)


def test_segments_follow_the_rule_order(workspace):
    got = query(workspace, "select segment from marts.dashboard_segments order by segment_order").segment.tolist()
    assert got[:3] == ["Champions", "Loyal Customers", "Potential Loyalists"]
    assert got[-2:] == ["Unsegmented", "Prospects"]
