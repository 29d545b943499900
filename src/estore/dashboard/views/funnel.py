"""Funnel: view -> cart -> purchase, overall and by category, brand and segment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from estore.dashboard import charts, data, ui
from estore.dashboard import formatting as fmt


def render(ctx: ui.Context) -> None:
    ui.page_title("Funnel", ctx)
    f = ctx.filters
    total = data.funnel(ctx.settings, f)
    if total.sessions == 0:
        st.info("No sessions match these filters. Widen the date range or clear the category and segment.")
        return
    cols = st.columns(5)
    ui.metric(cols[0], "Sessions", fmt.count(total.sessions))
    ui.metric(cols[1], "View → cart", fmt.percent(total.view_to_cart_rate), help="Sessions with a view that carted.")
    ui.metric(
        cols[2], "Cart → purchase", fmt.percent(total.cart_to_purchase_rate), help="Carting sessions that bought."
    )
    ui.metric(
        cols[3], "Cart abandonment", fmt.percent(total.cart_abandonment_rate), help="Carted, did not buy.", inverse=True
    )
    ui.metric(cols[4], "Session conversion", fmt.percent(total.conversion_rate), help="Sessions with a purchase.")

    left, right = st.columns([2, 3])
    left.plotly_chart(charts.funnel(total), width="stretch")
    grain = "day" if f.days <= 92 else "week"
    right.plotly_chart(charts.conversion_trend(data.funnel_trend(ctx.settings, f, grain)), width="stretch")

    by_category, by_segment, by_brand = st.tabs(["By category", "By segment", "By brand"])
    with by_category:
        df = data.funnel_by(ctx.settings, f, "category")
        st.caption(
            "A session counts once in every top-level category it has an event in, with its events there "
            "(so categories do not add up to the total). Date range and segment applied."
        )
        st.plotly_chart(charts.funnel_rates(df, "category_level_1", "Funnel by top-level category"), width="stretch")
        ui.table(df, first=_rates_first(df))
    with by_segment:
        df = data.funnel_by(ctx.settings, f, "segment")
        st.caption(
            "Sessions of each segment's customers. Segments are made of buyers, so their cart → purchase rates are "
            "high by construction and Prospects' is zero: compare view → cart here. Date range and category applied."
        )
        st.plotly_chart(charts.funnel_rates(df, "segment", "Funnel by segment"), width="stretch")
        df = df.drop(columns=["segment_order"])
        ui.table(df, first=_rates_first(df))
    with by_brand:
        df = data.funnel_by_brand(ctx.settings)
        st.caption("The 15 brands with the most sessions, over the whole history (not filtered).")
        df = df.assign(conversion_rate=df.sessions_with_purchase / df.sessions)
        st.plotly_chart(
            charts.funnel_rates(df, "brand", "Funnel by brand · whole history, not filtered"), width="stretch"
        )
        ui.table(df, first=_rates_first(df))


def _rates_first(df) -> list[str]:
    """The columns to show first: the group, its sessions and the rates (what the table is read for)."""
    rates = [c for c in df.columns if c.endswith("_rate")]
    return [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])] + ["sessions", *rates]
