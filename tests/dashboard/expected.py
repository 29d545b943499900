"""The numbers the dashboard should show, computed here with plain SQL on the warehouse's core marts
(fct_events, fct_sessions, dim_users, dim_user_rfm, dim_categories): never through estore.dashboard."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from e2e.support import query


def overview(workspace: Path, category: str | None = None, segment: str | None = None) -> dict[str, float]:
    """Revenue, orders, buyers, sessions over the whole history, optionally in one top-level category
    (a session counts when it has an event there; an order when it bought there) and one segment."""
    cat = "coalesce(c.level_1, 'unknown') = '{}'".format(category.replace("'", "''")) if category else "true"
    seg = "r.segment = '{}'".format(segment.replace("'", "''")) if segment else "true"
    row = query(
        workspace,
        f"""
        with ev as (
            select e.session_key, e.user_id, e.event_type, e.price
            from marts.fct_events e
            left join marts.dim_categories c on e.category_id = c.category_id
            left join marts.dim_user_rfm r on e.user_id = r.user_id
            where {cat} and {seg}
        )
        select
            coalesce(sum(price) filter (where event_type = 'purchase'), 0)::double as revenue,
            count(distinct session_key) filter (where event_type = 'purchase') as orders,
            count(distinct user_id) filter (where event_type = 'purchase') as buyers,
            count(distinct session_key) as sessions
        from ev
        """,
    ).iloc[0]
    out = {k: float(row[k]) for k in ("revenue", "orders", "buyers", "sessions")}
    out["conversion_rate"] = out["orders"] / out["sessions"]
    out["average_order_value"] = out["revenue"] / out["orders"]
    return out


def revenue_by_segment(workspace: Path) -> pd.DataFrame:
    return query(
        workspace,
        "select segment, count(*) as customers, sum(monetary)::double as revenue "
        "from marts.dim_user_rfm group by segment order by segment",
    )


def segment_customers(workspace: Path, segment: str) -> pd.DataFrame:
    return query(
        workspace,
        "select r.user_id, r.monetary::double as revenue, r.frequency as orders, r.r_score, r.f_score, r.m_score "
        f"from marts.dim_user_rfm r where r.segment = '{segment}' order by r.user_id",
    )


def biggest_category(workspace: Path) -> str:
    """The top-level category (not 'unknown') with the most revenue."""
    return query(
        workspace,
        """
        select c.level_1, sum(e.price) as revenue
        from marts.fct_events e join marts.dim_categories c on e.category_id = c.category_id
        where e.event_type = 'purchase' and c.level_1 is not null
        group by 1 order by 2 desc limit 1
        """,
    ).level_1[0]
