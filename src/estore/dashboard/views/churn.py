"""Churn & retention: cohort retention, churn by cohort month, activity status, rule vs BG/NBD churn."""

from __future__ import annotations

import streamlit as st

from estore.dashboard import charts, data, ui
from estore.dashboard import formatting as fmt


def render(ctx: ui.Context) -> None:
    ui.page_title("Churn & retention", ctx)
    f = ctx.filters
    comparison = data.churn_comparison(ctx.settings, f)
    overall = data.churn_overall(ctx.settings)
    customers = int(comparison.customers.sum())
    churned = int(comparison.rule_churned_customers.sum())
    cols = st.columns(4)
    observed = overall is not None and overall.eligible_customers > 0
    ui.metric(
        cols[0],
        "Churn rate (all cohorts)",
        fmt.percent(overall.churn_rate, 1) if observed else "–",
        help="metrics_churn: churned / customers whose first purchase is old enough to have churned "
        "(churn_observation_days, or churn_days when larger, before the as-of date); the whole history, not filtered.",
        inverse=True,
    )
    ui.metric(cols[1], "Churned by rule", fmt.count(churned), help="No purchase for more than churn_days.")
    ui.metric(cols[2], "Alive by rule", fmt.count(customers - churned), help="Customers of these filters not churned.")
    ui.metric(
        cols[3],
        "Expected alive (BG/NBD)",
        fmt.count(comparison.expected_customers_alive.sum())
        if comparison.expected_customers_alive.notna().any()
        else "–",
        help="Sum of P(alive) over the customers of these filters.",
    )

    if observed:
        st.caption(
            f"Churn rate: {overall.churned_customers:,.0f} of the {overall.eligible_customers:,.0f} customers "
            "whose first purchase is old enough to judge (churn_observation_days, or churn_days when larger, "
            "before the as-of date), over the whole history and all customers. The other cards follow the filters."
        )

    retention = data.cohort_retention(ctx.settings, f)
    st.caption(
        "Cohorts and churn rates are per first-purchase month (date range applied to the cohort month); "
        "the category and segment filters apply to the customer charts below them."
    )
    if retention.empty:
        st.info("No first-purchase cohort starts in this date range.")
    else:
        st.plotly_chart(charts.cohort_heatmap(retention), width="stretch")
    by_cohort = data.churn_by_cohort(ctx.settings, f)
    if by_cohort.eligible_customers.sum() > 0:
        st.plotly_chart(charts.churn_by_cohort(by_cohort), width="stretch")
    else:
        st.info(
            "No churn rate by cohort yet: churn is counted only for customers whose first purchase is at least "
            "churn_observation_days (90 by default), or churn_days when larger, before the last event. "
            "Load more history."
        )

    if comparison.empty:
        st.info("No customer bought in this period, category and segment.")
        return
    left, right = st.columns(2)
    left.plotly_chart(charts.activity_status(data.activity_status(ctx.settings, f), ctx.colors), width="stretch")
    right.plotly_chart(charts.churn_comparison(comparison), width="stretch")
    right.caption(ui.ONE_TIME_BUYERS_NOTE)
    ui.table(comparison.drop(columns=["segment_order"]))

    st.subheader("Customers to win back")
    at_risk = data.win_back(data.customers(ctx.settings, f))
    st.caption(
        f"{len(at_risk):,} customers are declining or at risk (their last purchase is 31–90 days old by default), "
        "highest predicted CLV first."
    )
    ui.table(at_risk.head(1000), first=("user_id", "segment", "activity_status", "predicted_clv", "p_alive"))
    ui.download_buttons(lambda: at_risk, ui.export_name("customers_at_risk", f), key="at_risk")
