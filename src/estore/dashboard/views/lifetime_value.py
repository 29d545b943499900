"""Lifetime value: historical revenue against predicted CLV, its distribution, top customers, P(alive)."""

from __future__ import annotations

import streamlit as st

from estore.dashboard import charts, data, ui
from estore.dashboard import formatting as fmt

TOP = 50


def render(ctx: ui.Context) -> None:
    ui.page_title("Lifetime value", ctx)
    f = ctx.filters
    fit = data.clv_fit(ctx.settings)
    customers = data.customers(ctx.settings, f)
    scored = customers.dropna(subset=["predicted_clv"])
    if fit is None or scored.empty:
        st.info(
            "No customer-value predictions yet: no BG/NBD and Gamma-Gamma fit has succeeded in this workspace. "
            "A fit needs at least 100 customers and 10 repeat buyers; `estore build` prints why the last one "
            "failed. Load more history and run `estore build`."
            if fit is None
            else "No customer with a CLV prediction matches these filters. Widen the filters."
        )
        return
    cols = ui.metric_columns(5, per_row=3)
    ui.metric(cols[0], "Customers scored", fmt.count(len(scored)))
    ui.metric(
        cols[1],
        "Historical revenue",
        fmt.money_compact(scored.revenue.sum()),
        help="Lifetime revenue of these customers.",
    )
    ui.metric(
        cols[2],
        "Predicted CLV",
        fmt.money_compact(scored.predicted_clv.sum()),
        help=f"Discounted value of the next {data.clv_horizon_months(ctx.settings)} months, summed.",
    )
    ui.metric(cols[3], "Mean predicted CLV", fmt.money(scored.predicted_clv.mean()))
    ui.metric(cols[4], "Mean P(alive)", fmt.percent(scored.p_alive.mean(), 1), help="BG/NBD probability still active.")

    st.plotly_chart(charts.clv_scatter(scored, ctx.colors), width="stretch")
    left, right = st.columns(2)
    left.plotly_chart(charts.clv_histogram(scored), width="stretch")
    right.plotly_chart(charts.p_alive_by_segment(scored, ctx.colors), width="stretch")
    right.caption(ui.ONE_TIME_BUYERS_NOTE)

    st.subheader(f"Top {TOP} customers by predicted CLV")
    top = scored.sort_values(["predicted_clv", "user_id"], ascending=[False, True])
    ui.table(top.head(TOP), first=("user_id", "segment", "predicted_clv", "p_alive", "expected_purchases_90d"))
    ui.download_buttons(lambda: top, ui.export_name("customers_by_predicted_clv", f), key="clv_customers")

    with st.expander("The fitted models"):
        st.markdown(
            f"BG/NBD r = {fit.r:.3f}, α = {fit.alpha:.3f}, a = {fit.a:.3f}, b = {fit.b:.3f} "
            f"(log-likelihood {fit.bgnbd_log_likelihood:,.1f}); Gamma-Gamma p = {fit.p:.3f}, q = {fit.q:.3f}, "
            f"γ = {fit.gamma:.3f}. Fitted at {fit.fitted_at:%Y-%m-%d %H:%M} UTC on {fit.customers:,} customers "
            f"({fit.repeat_customers:,} repeat buyers), time unit: {fit.time_unit}; "
            f"converged: {'yes' if fit.converged else 'no'}."
        )
        from estore.clv import BgNbdParams, homogeneous_dropout  # scipy: only when the models are shown

        if note := homogeneous_dropout(BgNbdParams(fit.r, fit.alpha, fit.a, fit.b)):
            st.caption(f"Note: {note}. Predictions depend on that ratio only.")
