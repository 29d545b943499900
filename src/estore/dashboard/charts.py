"""The plotly figures of the dashboard and the report, built from the DataFrames of estore.dashboard.data.

Segments keep one colour and one order everywhere: the order of the segment rules
(marts.dashboard_segments), coloured from best (green) to worst (red), then grey for the rest.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# best to worst, in the order of the default rfm_segments rules; later segments take the greys
SEGMENT_PALETTE = [
    "#1a7f4b", "#43a047", "#9ccc65", "#29b6f6", "#5c6bc0",
    "#ffb300", "#fb8c00", "#e53935", "#8e1b1b", "#9e9e9e", "#cfcfcf",
]  # fmt: skip
ACCENT = "#3b5bdb"
SECOND = "#f08c00"
STATUS_LABELS = {"active": "Active", "declining": "Declining", "at_risk": "At risk", "churned": "Churned"}
MONEY = ",.2f"


def segment_colors(segments: pd.DataFrame) -> dict[str, str]:
    """segment -> colour, by segment_order (marts.dashboard_segments)."""
    ordered = segments.sort_values("segment_order").segment.tolist()
    return {s: SEGMENT_PALETTE[min(i, len(SEGMENT_PALETTE) - 1)] for i, s in enumerate(ordered)}


def _layout(fig: go.Figure, title: str, height: int = 380, **kwargs) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0, "title": {"text": ""}},
        **kwargs,
    )
    return fig


# --- overview -------------------------------------------------------------------------------


def trend(df: pd.DataFrame, title: str = "Revenue and orders") -> go.Figure:
    """Revenue bars with orders as a line on a second axis; a period only partly inside the date
    range (df.partial) is drawn pale, so its smaller total does not read as a drop."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=df.period,
        y=df.revenue,
        name="Revenue",
        marker={"color": ACCENT, "opacity": [0.35 if p else 1.0 for p in df.partial]},
        customdata=["<br>(part of the period only)" if p else "" for p in df.partial],
        hovertemplate="%{x}<br>%{y:,.2f}%{customdata}<extra></extra>",
    )
    fig.add_scatter(
        x=df.period, y=df.orders, name="Orders", mode="lines", line={"color": SECOND, "width": 2}, secondary_y=True
    )
    fig.update_yaxes(title_text="Revenue", tickformat="~s", secondary_y=False)
    # tickmode auto: a second axis otherwise takes the first one's gridlines, at odd values (148, 296, ...)
    fig.update_yaxes(
        title_text="Orders", secondary_y=True, showgrid=False, rangemode="tozero", tickformat=",d", tickmode="auto"
    )
    return _layout(fig, title, bargap=0.15)


def sessions_trend(df: pd.DataFrame, title: str = "Sessions and conversion rate") -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=df.period, y=df.sessions, name="Sessions", mode="lines", line={"color": ACCENT, "width": 2})
    fig.add_scatter(
        x=df.period,
        y=df.conversion_rate,
        name="Conversion rate",
        mode="lines",
        line={"color": SECOND, "width": 2, "dash": "dot"},
        secondary_y=True,
        hovertemplate="%{x}<br>%{y:.2%}<extra></extra>",
    )
    fig.update_yaxes(title_text="Sessions", tickformat="~s", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(
        title_text="Conversion rate",
        tickformat=".1%",
        secondary_y=True,
        showgrid=False,
        rangemode="tozero",
        tickmode="auto",
    )
    return _layout(fig, title)


# --- customers & segments -------------------------------------------------------------------


def revenue_by_segment(summary: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """The headline chart: total revenue per segment, in segment order, labelled with money and share."""
    df = summary.sort_values("segment_order")
    fig = go.Figure(
        go.Bar(
            x=df.revenue,
            y=df.segment,
            orientation="h",
            marker_color=[colors.get(s, "#999") for s in df.segment],
            text=[f"{r:,.2f} ({s:.1%})" for r, s in zip(df.revenue, df.revenue_share, strict=True)],
            textposition="auto",
            customdata=df.customers,
            hovertemplate="%{y}<br>revenue %{x:,.2f}<br>%{customdata:,} customers<extra></extra>",
        )
    )
    fig.update_yaxes(categoryorder="array", categoryarray=list(df.segment)[::-1])
    fig.update_xaxes(title_text="Revenue", tickformat="~s")
    return _layout(fig, "Total revenue by segment", height=max(320, 42 * len(df) + 80))


def customers_by_segment(summary: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    df = summary.sort_values("segment_order")
    fig = go.Figure(
        go.Treemap(
            labels=df.segment,
            parents=[""] * len(df),
            values=df.customers,
            marker_colors=[colors.get(s, "#999") for s in df.segment],
            texttemplate="%{label}<br>%{value:,} customers<br>%{percentRoot:.1%}",
            hovertemplate="%{label}<br>%{value:,} customers<extra></extra>",
            sort=False,
        )
    )
    return _layout(fig, "Customers by segment", height=max(320, 42 * len(df) + 80))


def rfm_heatmap(grid: pd.DataFrame) -> go.Figure:
    """Customers per R and F score; every score from 1 to the highest is shown, empty ones too (tied
    frequencies, such as many one-time buyers, leave some F scores without customers)."""
    scores = range(1, int(max(grid.r_score.max(), grid.f_score.max(), 1)) + 1)
    # rows from R1 up: plotly draws the first row at the bottom, so the most recent are on top
    pivot = grid.pivot(index="r_score", columns="f_score", values="customers").reindex(
        index=list(scores), columns=list(scores)
    )
    fig = go.Figure(
        go.Heatmap(
            z=pivot.values,
            x=[f"F{c}" for c in pivot.columns],
            y=[f"R{r}" for r in pivot.index],
            colorscale="Blues",
            texttemplate="%{z:,}",
            hovertemplate="%{y} %{x}<br>%{z:,} customers<extra></extra>",
            colorbar={"title": "customers"},
        )
    )
    fig.update_xaxes(title_text="Frequency score (higher: more orders)", type="category")
    fig.update_yaxes(title_text="Recency score (higher: more recent)", type="category")
    return _layout(fig, "Customers by recency (R) and frequency (F) score", height=380)


def segment_migration(df: pd.DataFrame) -> go.Figure:
    """Customers moving from segment (rows) to segment (columns) between two builds."""
    rows = list(dict.fromkeys(df.sort_values("from_order").from_segment))
    columns = list(dict.fromkeys(df.sort_values("to_order").to_segment))
    pivot = df.pivot(index="from_segment", columns="to_segment", values="customers").reindex(
        index=rows, columns=columns
    )
    fig = go.Figure(
        go.Heatmap(
            z=pivot.values,
            x=columns,
            y=rows,
            colorscale="Purples",
            texttemplate="%{z:,}",
            hovertemplate="%{y} → %{x}<br>%{z:,} customers<extra></extra>",
            colorbar={"title": "customers"},
        )
    )
    fig.update_yaxes(autorange="reversed", title_text=f"Segment on {df.from_date.iloc[0]:%Y-%m-%d}")
    fig.update_xaxes(title_text=f"Segment on {df.to_date.iloc[0]:%Y-%m-%d}", side="top")
    return _layout(fig, "Segment movement between builds", height=max(360, 36 * len(rows) + 140))


# --- lifetime value -------------------------------------------------------------------------


def clv_scatter(customers: pd.DataFrame, colors: dict[str, str], sample: int = 5000) -> go.Figure:
    df = customers.dropna(subset=["predicted_clv"])
    if len(df) > sample:
        df = df.sample(sample, random_state=0)
    fig = px.scatter(
        df,
        x="revenue",
        y="predicted_clv",
        color="segment",
        color_discrete_map=colors,
        category_orders={"segment": list(colors)},
        opacity=0.6,
        hover_data={"user_id": True, "p_alive": ":.2f", "revenue": ":,.2f", "predicted_clv": ":,.2f"},
        labels={"revenue": "Historical revenue", "predicted_clv": "Predicted CLV", "segment": "Segment"},
        log_x=True,
        log_y=True,
    )
    fig.update_traces(marker={"size": 5})
    # the biggest segments drawn first, so the smaller ones stay visible on top; the legend keeps
    # the segments' order
    sizes, rank = df.segment.value_counts(), {s: i for i, s in enumerate(colors)}
    fig.data = sorted(fig.data, key=lambda t: -sizes.get(t.name, 0))
    for trace in fig.data:
        trace.legendrank = rank.get(trace.name, len(rank))
    fig.update_xaxes(dtick=1, tickformat=",")  # one tick per power of ten
    fig.update_yaxes(dtick=1, tickformat=",")
    title = "Historical revenue vs predicted CLV" + (
        f" (a sample of {sample:,} customers)" if len(customers) > sample else ""
    )
    return _layout(fig, title, height=460)


def clv_histogram(customers: pd.DataFrame) -> go.Figure:
    """CLV is heavily skewed: the top 1% are drawn in the last bar so the body of the distribution shows."""
    clv = customers.predicted_clv.dropna()
    cap = float(clv.quantile(0.99)) if len(clv) >= 100 else float(clv.max())
    title = "Distribution of predicted CLV"
    if cap < clv.max():
        title += f" (top 1%, above {cap:,.0f}, in the last bar)"
    fig = go.Figure(
        go.Histogram(
            x=clv.clip(upper=cap),
            nbinsx=50,
            marker_color=ACCENT,
            hovertemplate="CLV %{x}<br>%{y:,} customers<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Predicted CLV")
    fig.update_yaxes(title_text="Customers")
    return _layout(fig, title, bargap=0.05)


def p_alive_by_segment(customers: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    df = customers.dropna(subset=["p_alive"])
    fig = px.box(
        df,
        x="segment",
        y="p_alive",
        color="segment",
        color_discrete_map=colors,
        category_orders={"segment": list(colors)},
        labels={"p_alive": "P(alive)", "segment": ""},
        points=False,
    )
    fig.update_layout(showlegend=False)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _layout(fig, "P(alive) by segment")


# --- churn & retention ----------------------------------------------------------------------


def cohort_heatmap(retention: pd.DataFrame) -> go.Figure:
    df = retention.copy()
    df["cohort"] = pd.to_datetime(df.cohort_month).dt.strftime("%Y-%m")
    pivot = df.pivot(index="cohort", columns="months_since_first_purchase", values="retention_rate")
    sizes = df.groupby("cohort").cohort_customers.first().reindex(pivot.index)
    fig = go.Figure(
        go.Heatmap(
            z=pivot.values,
            x=[f"M{m}" for m in pivot.columns],
            y=[f"{c} ({n:,})" for c, n in zip(pivot.index, sizes, strict=True)],
            colorscale="Greens",
            zmin=0,
            zmax=max(0.3, float(df.loc[df.months_since_first_purchase > 0, "retention_rate"].max() or 0)),
            texttemplate="%{z:.1%}",
            hovertemplate="cohort %{y}<br>%{x}: %{z:.1%} retained<extra></extra>",
            colorbar={"title": "retained", "tickformat": ".0%"},
        )
    )
    fig.update_yaxes(autorange="reversed", title_text="First-purchase month (customers)")
    fig.update_xaxes(title_text="Months since first purchase", side="top")
    return _layout(fig, "Cohort retention", height=max(320, 34 * len(pivot) + 120))


def churn_by_cohort(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=df.cohort_month,
            y=df.churn_rate,
            marker_color="#e53935",
            customdata=df[["eligible_customers", "churned_customers"]],
            text=[
                f"{v:.1%} of {n:,.0f}" if pd.notna(v) else "too recent"
                for v, n in zip(df.churn_rate, df.eligible_customers, strict=True)
            ],
            textposition="outside",
            hovertemplate="%{x}: %{y:.1%} churned<br>%{customdata[1]:,.0f} of %{customdata[0]:,.0f}<extra></extra>",
        )
    )
    fig.update_yaxes(tickformat=".0%", title_text="Churn rate")
    fig.update_xaxes(type="category", title_text="First-purchase month")
    return _layout(fig, "Churn rate by first-purchase cohort")


def activity_status(df: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    fig = px.bar(
        df.assign(activity_status=df.activity_status.map(STATUS_LABELS).fillna(df.activity_status)),
        x="activity_status",
        y="customers",
        color="segment",
        color_discrete_map=colors,
        category_orders={"activity_status": list(STATUS_LABELS.values()), "segment": list(colors)},
        labels={"activity_status": "", "customers": "Customers", "segment": "Segment"},
    )
    return _layout(fig, "Customers by activity status")


def churn_comparison(df: pd.DataFrame) -> go.Figure:
    """Horizontal bars per segment (in segment order, top to bottom), so no label is cut."""
    fig = go.Figure()
    for column, name, color in [
        ("rule_churn_rate", "Rule: no purchase in the churn window", "#e53935"),
        ("mean_probabilistic_churn", "BG/NBD: mean 1 − P(alive)", "#8e24aa"),
    ]:
        fig.add_bar(y=df.segment, x=df[column], name=name, marker_color=color, orientation="h")
    fig.update_xaxes(tickformat=".0%", title_text="Churned", range=[0, 1])
    fig.update_yaxes(categoryorder="array", categoryarray=list(df.segment)[::-1])
    fig.update_traces(hovertemplate="%{y}<br>%{x:.1%}<extra></extra>")
    return _layout(
        fig, "Rule-based vs probabilistic churn by segment", barmode="group", height=max(380, 44 * len(df) + 120)
    )


# --- funnel ---------------------------------------------------------------------------------


def funnel(f: pd.Series) -> go.Figure:
    """Sessions, those that reached the cart (carted, or bought without a cart event), those that
    bought: each stage within the one before, so the bars never widen."""
    reached_cart = f.sessions_with_cart + f.sessions_with_purchase - f.cart_and_purchase_sessions
    fig = go.Figure(
        go.Funnel(
            y=["Sessions", "Reached the cart", "Purchased"],
            x=[f.sessions, reached_cart, f.sessions_with_purchase],
            texttemplate="%{value:,} (%{percentInitial:.1%})",
            hovertemplate="%{y}: %{value:,} sessions, %{percentInitial:.1%} of all, "
            "%{percentPrevious:.1%} of the stage before<extra></extra>",
            marker={"color": ["#90a4ae", SECOND, "#1a7f4b"]},
        )
    )
    return _layout(fig, "Sessions → cart → purchase", height=300)


def funnel_rates(df: pd.DataFrame, label: str, title: str, colors: dict[str, str] | None = None) -> go.Figure:
    """Conversion rates per row of a funnel_by table (view→cart, cart→purchase, session conversion),
    as horizontal bars in the table's order, top to bottom, so no label is cut."""
    rates = {
        "view_to_cart_rate": ("View → cart", ACCENT),
        "cart_to_purchase_rate": ("Cart → purchase", SECOND),
        "conversion_rate": ("Session conversion", "#1a7f4b"),
    }
    fig = go.Figure()
    for column, (name, color) in rates.items():
        fig.add_bar(
            y=df[label],
            x=df[column],
            name=name,
            orientation="h",
            marker_color=color,
            customdata=df.sessions,
            hovertemplate="%{y}<br>" + name + " %{x:.1%}<br>%{customdata:,} sessions<extra></extra>",
        )
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=list(df[label])[::-1])
    return _layout(fig, title, barmode="group", height=max(380, 48 * len(df) + 120))


def conversion_trend(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for column, name, color in [
        ("view_to_cart_rate", "View → cart", ACCENT),
        ("cart_to_purchase_rate", "Cart → purchase", SECOND),
        ("conversion_rate", "Session conversion", "#1a7f4b"),
    ]:
        fig.add_scatter(x=df.period, y=df[column], name=name, mode="lines", line={"color": color, "width": 2})
    fig.update_yaxes(tickformat=".0%")
    fig.update_traces(hovertemplate="%{x}<br>%{y:.2%}<extra></extra>")
    return _layout(fig, "Funnel rates over time")


# --- products -------------------------------------------------------------------------------


def category_trend(df: pd.DataFrame, top: int = 6) -> go.Figure:
    """Revenue per period of the `top` categories with the most revenue, the rest summed as Other."""
    ranked = df.groupby("category_level_1").revenue.sum().sort_values(ascending=False).index
    kept = list(ranked[:top])
    df = df.assign(category=df.category_level_1.where(df.category_level_1.isin(kept), "Other"))
    df = df.groupby(["period", "category"], as_index=False).revenue.sum()
    order = kept + (["Other"] if len(ranked) > top else [])
    fig = px.line(
        df,
        x="period",
        y="revenue",
        color="category",
        category_orders={"category": order},
        labels={"period": "", "revenue": "Revenue", "category": "Category"},
        color_discrete_sequence=px.colors.qualitative.Dark2,
    )
    fig.update_traces(line={"width": 2}, hovertemplate="%{x}<br>%{y:,.2f}<extra></extra>")
    fig.update_yaxes(tickformat="~s", rangemode="tozero")
    return _layout(fig, f"Revenue by top-level category (top {top}, the rest as Other)", height=420)


def top_bars(df: pd.DataFrame, label: str, value: str, title: str, color: str = ACCENT) -> go.Figure:
    df = df.sort_values(value, ascending=True)
    fig = go.Figure(
        go.Bar(
            x=df[value],
            y=df[label],
            orientation="h",
            marker_color=color,
            text=[f"{v:,.2f}" for v in df[value]],
            textposition="auto",
            hovertemplate="%{y}<br>%{x:,.2f}<extra></extra>",
        )
    )
    fig.update_yaxes(type="category")
    fig.update_xaxes(tickformat="~s")
    return _layout(fig, title, height=max(320, 26 * len(df) + 90))
