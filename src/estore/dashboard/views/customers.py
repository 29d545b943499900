"""Customers & segments: customers and revenue per RFM segment, the RFM grid, and one segment in detail."""

from __future__ import annotations

import streamlit as st

from estore.dashboard import charts, data, ui
from estore.dashboard import formatting as fmt

SHOWN_ROWS = 1000
# what the segments are compared by, then what to do about each; the CLV sums follow
SEGMENT_COLUMNS = (
    "segment", "customers", "customer_share", "revenue", "revenue_share", "revenue_per_customer",
    "mean_predicted_clv", "mean_p_alive", "suggested_action",
)  # fmt: skip


def render(ctx: ui.Context) -> None:
    ui.page_title("Customers & segments", ctx)
    f = ctx.filters
    summary = data.segment_summary(ctx.settings, f)
    if summary.empty:
        st.info("No customer bought in this period, category and segment. Widen the filters.")
        return
    total_customers, total_revenue = int(summary.customers.sum()), float(summary.revenue.sum())
    cols = st.columns(4)
    ui.metric(cols[0], "Customers", fmt.count(total_customers), help="Customers who bought in the period and category.")
    ui.metric(cols[1], "Revenue", fmt.money_compact(total_revenue), help="Their revenue in the period and category.")
    ui.metric(cols[2], "Revenue per customer", fmt.money(total_revenue / total_customers))
    ui.metric(cols[3], "Segments", fmt.count(len(summary)))

    left, right = st.columns([3, 2])
    left.plotly_chart(charts.revenue_by_segment(summary, ctx.colors), width="stretch", key="headline")
    right.plotly_chart(charts.customers_by_segment(summary, ctx.colors), width="stretch")

    st.subheader("Segments side by side")
    table = summary.drop(columns=["segment_order"])
    ui.table(table, first=SEGMENT_COLUMNS)
    ui.download_buttons(lambda: table, ui.export_name("segments", f), key="segments")

    st.plotly_chart(charts.rfm_heatmap(data.rfm_grid(ctx.settings, f)), width="stretch")

    migration = data.segment_migration(ctx.settings)
    if migration.empty:
        st.caption("Segment movement between builds appears once a second build has recorded segments.")
    else:
        st.plotly_chart(charts.segment_migration(migration), width="stretch")
        st.caption("All customers (not filtered); 'New' were not customers yet at the first snapshot.")

    st.subheader("Drill down into a segment")
    names = summary.segment.tolist()
    segment = st.selectbox(
        "Segment to drill into", names, index=names.index(f.segment) if f.segment in names else 0, key="drill"
    )
    members = data.customers(ctx.settings, f, segment=segment)
    row = summary.set_index("segment").loc[segment]
    cols = ui.metric_columns(5)
    ui.metric(cols[0], "Customers", fmt.count(row.customers), help=f"{fmt.percent(row.customer_share, 1)} of customers")
    ui.metric(
        cols[1], "Revenue", fmt.money_compact(row.revenue), help=f"{fmt.percent(row.revenue_share, 1)} of revenue"
    )
    ui.metric(cols[2], "Revenue per customer", fmt.money(row.revenue_per_customer))
    ui.metric(cols[3], "Mean predicted CLV", fmt.money(row.mean_predicted_clv))
    ui.metric(cols[4], "Mean P(alive)", fmt.percent(row.mean_p_alive, 1))
    if isinstance(row.suggested_action, str):
        st.info(f"**Suggested action for {segment}:** {row.suggested_action}")
    st.caption(
        f"{len(members):,} customers of {segment} who bought in the period and category, by lifetime revenue"
        + (f" (the first {SHOWN_ROWS:,} shown; the download has all)." if len(members) > SHOWN_ROWS else ".")
    )
    ui.table(
        members.head(SHOWN_ROWS), first=("user_id", "revenue", "period_revenue", "orders", "predicted_clv", "p_alive")
    )
    name = ui.export_name(f"customers_{ui.slug(segment)}", f)
    ui.download_buttons(lambda: data.customers(ctx.settings, f, segment=segment), name, key="segment_customers")
