"""Overview: the headline numbers with their change against the previous period, and daily trends."""

from __future__ import annotations

import streamlit as st

from estore.dashboard import charts, data, ui
from estore.dashboard import formatting as fmt


def render(ctx: ui.Context) -> None:
    ui.page_title("Overview", ctx)
    f = ctx.filters
    now, before = data.kpis(ctx.settings, f), data.kpis(ctx.settings, f.previous())
    compare = before.sessions > 0
    cards = [
        ("Revenue", fmt.money_compact(now.revenue), fmt.change(now.revenue, before.revenue), "Sum of purchase prices."),
        ("Orders", fmt.count(now.orders), fmt.change(now.orders, before.orders), "Sessions with a purchase."),
        ("Buyers", fmt.count(now.buyers), fmt.change(now.buyers, before.buyers), "Distinct customers who bought."),
        ("Sessions", fmt.count(now.sessions), fmt.change(now.sessions, before.sessions), "Sessions started."),
        (
            "Conversion rate",
            fmt.percent(now.conversion_rate),
            fmt.point_change(now.conversion_rate, before.conversion_rate),
            "Orders / sessions.",
        ),
        (
            "Average order value",
            fmt.money(now.average_order_value),
            fmt.change(now.average_order_value, before.average_order_value),
            "Revenue / orders.",
        ),
    ]
    columns = ui.metric_columns(len(cards), per_row=3)
    for column, (label, value, delta, help_text) in zip(columns, cards, strict=True):
        ui.metric(column, label, value, delta if compare else None, help_text)
    previous = f.previous()
    if compare:
        st.caption(f"Changes compare with the previous {f.days} days: {previous.date_from} – {previous.date_to}.")
    else:
        st.caption(
            f"No change shown: there is no data in the previous {f.days} days ({previous.date_from} – "
            f"{previous.date_to}). Narrow the date range to compare periods."
        )
    if now.sessions == 0:
        st.info("No sessions match these filters. Widen the date range or clear the category and segment.")
        return
    default = 0 if f.days <= 92 else 1
    grains = ["day", "week", "month"]
    grain = st.segmented_control("Granularity", grains, default=grains[default], key="overview_grain") or "day"
    trend = data.trend(ctx.settings, f, grain)
    left, right = st.columns(2)
    left.plotly_chart(charts.trend(trend, f"Revenue and orders per {grain}"), width="stretch")
    right.plotly_chart(charts.sessions_trend(trend, f"Sessions and conversion rate per {grain}"), width="stretch")
    with st.expander(f"The numbers per {grain}"):
        ui.table(trend.rename(columns={"period": grain}))
