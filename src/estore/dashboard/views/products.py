"""Products: revenue by top-level category over time, category and brand performance."""

from __future__ import annotations

import streamlit as st

from estore.dashboard import charts, data, ui


def render(ctx: ui.Context) -> None:
    ui.page_title("Products", ctx)
    f = ctx.filters
    trend = data.category_trend(ctx.settings, f, "day" if f.days <= 45 else "week")
    if trend.empty:
        st.info("No sales match these filters. Widen the date range or clear the segment.")
    else:
        st.plotly_chart(charts.category_trend(trend), width="stretch")
        st.caption("Date range and segment applied; the category filter does not narrow this chart.")

    st.subheader("Category performance" + (f": {f.category}" if f.category else ""))
    st.caption("Per category code over the whole history; the category filter selects the top-level category.")
    categories = data.category_performance(ctx.settings, f)
    left, right = st.columns([2, 3])
    left.plotly_chart(
        charts.top_bars(categories.head(15), "category_code", "revenue", "Top categories by revenue · whole history"),
        width="stretch",
    )
    with right:
        ui.table(categories, height=460)

    st.subheader("Brand performance")
    st.caption("The 20 brands with the most revenue over the whole history ('unknown': products without a brand).")
    brands = data.brand_performance(ctx.settings)
    left, right = st.columns([2, 3])
    left.plotly_chart(
        charts.top_bars(brands, "brand", "revenue", "Top brands by revenue · whole history, not filtered", "#546e7a"),
        width="stretch",
    )
    with right:
        ui.table(brands, height=460)
