"""The shareable report: one HTML file with the headline numbers and the dashboard's main charts.

Everything is inside the file (plotly.js inlined once, styles inline, no fonts or images from the
network), so it opens offline in any browser and can be mailed as is. It reads the serving
snapshot through estore.dashboard.data, like the dashboard; with nothing published yet it still
writes a page, which says what to run.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import plotly.graph_objects as go

from estore.dashboard import charts, data
from estore.dashboard import formatting as fmt
from estore.dashboard.filters import Filters
from estore.errors import EstoreError
from estore.files import write_atomically
from estore.settings import Settings

STYLE = """
body { font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2933; background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { margin: 0 0 4px; font-size: 30px; }
h2 { margin: 40px 0 8px; font-size: 21px; }
.note { color: #616e7c; font-size: 14px; margin: 0 0 24px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; }
.kpi { background: #fff; border: 1px solid #e4e7eb; border-radius: 10px; padding: 14px 16px; }
.kpi .label { color: #616e7c; font-size: 13px; }
.kpi .value { font-size: 24px; font-weight: 600; margin-top: 4px; overflow-wrap: anywhere; }
.chart { background: #fff; border: 1px solid #e4e7eb; border-radius: 10px; padding: 8px; margin-top: 12px; }
.empty { background: #fff; border: 1px solid #e4e7eb; border-left: 4px solid #3b5bdb; border-radius: 10px;
         padding: 16px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 14px; margin-top: 12px; }
th, td { padding: 7px 10px; border-bottom: 1px solid #e4e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f2f5; font-weight: 600; }
code { background: #eef1f6; padding: 1px 5px; border-radius: 4px; }
"""


WIN_BACK_ROWS = 20
TOP_PRODUCTS = 10


@dataclass(frozen=True)
class Report:
    path: Path
    empty: bool  # True when there was no data and the page says what to run
    message: str | None = None


def write_report(settings: Settings, out: Path, filters: Filters | None = None) -> Report:
    """Write the report for the filters (the whole history by default) to `out`, atomically."""
    try:
        info = data.build_info(settings)
    except EstoreError as exc:
        write_atomically(out, _page("estore report", _empty(str(exc))).encode())
        return Report(out, empty=True, message=str(exc))
    f = filters or info.full_range()
    title = f"estore report · {f.date_from:%d %b %Y} – {f.date_to:%d %b %Y}"
    write_atomically(out, _page(title, _body(settings, info, f)).encode())
    return Report(out, empty=False)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _empty(message: str) -> str:
    return (
        "<h1>estore report</h1>"
        f'<div class="empty" id="empty-state"><strong>No data to report yet.</strong> {_inline_code(message)}'
        "<p>To try it on generated sample data: <code>make run</code>, then "
        "<code>estore report --out report.html</code> again.</p></div>"
    )


def _inline_code(text: str) -> str:
    """Escape text and show `backticked` commands as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _body(settings: Settings, info: data.BuildInfo, f: Filters) -> str:
    segments = data.segments(settings)
    colors = charts.segment_colors(segments)
    k = data.kpis(settings, f)
    summary = data.segment_summary(settings, f)
    trend = data.trend(settings, f, "day" if f.days <= 92 else "week")
    total_funnel = data.funnel(settings, f)
    customers = data.customers(settings, f)
    scored = customers.dropna(subset=["predicted_clv"])
    retention = data.cohort_retention(settings, f)
    categories = data.funnel_by(settings, f, "category")
    by_cohort = data.churn_by_cohort(settings, f)
    win_back = data.win_back(customers)
    generated = datetime.now(UTC)

    parts = [
        "<h1>Marketing report</h1>",
        f'<p class="note">Data built at <strong>{info.built_at:%Y-%m-%d %H:%M:%S} UTC</strong> · '
        f"{html.escape(f.describe())} · {info.events:,} events from {info.files_loaded:,} files · "
        f"report written {generated:%Y-%m-%d %H:%M} UTC</p>",
        '<div class="kpis">',
        _kpi("Revenue", fmt.money_compact(k.revenue), "revenue"),
        _kpi("Orders", fmt.count(k.orders), "orders"),
        _kpi("Buyers", fmt.count(k.buyers), "buyers"),
        _kpi("Sessions", fmt.count(k.sessions), "sessions"),
        _kpi("Conversion rate", fmt.percent(k.conversion_rate), "conversion-rate"),
        _kpi("Average order value", fmt.money(k.average_order_value), "average-order-value"),
        "</div>",
        _findings(summary, segments, total_funnel, data.churn_overall(settings), scored),
    ]
    chart = _Charts()
    parts += ["<h2>Trends</h2>", chart(charts.trend(trend))]
    parts += ["<h2>Customers &amp; segments</h2>", chart(charts.revenue_by_segment(summary, colors))]
    parts += [_segment_table(summary), chart(charts.customers_by_segment(summary, colors))]
    if not scored.empty:
        parts += [
            "<h2>Lifetime value</h2>",
            chart(charts.clv_scatter(scored, colors)),
            chart(charts.clv_histogram(scored)),
        ]
    if not retention.empty:
        parts += ["<h2>Retention</h2>", chart(charts.cohort_heatmap(retention))]
    churn_observed = by_cohort.eligible_customers.sum() > 0
    if churn_observed or not win_back.empty:
        parts.append("<h2>Churn</h2>")
        if churn_observed:
            parts.append(chart(charts.churn_by_cohort(by_cohort)))
        if not win_back.empty:
            parts += [
                f'<p class="note">{fmt.count(len(win_back))} customers are declining or at risk: they bought '
                "before but not lately, and have not churned yet. The "
                f"{fmt.count(min(len(win_back), WIN_BACK_ROWS))} with the highest predicted CLV:</p>",
                _win_back_table(win_back.head(WIN_BACK_ROWS)),
            ]
    parts += ["<h2>Funnel</h2>", chart(charts.funnel(total_funnel))]
    parts.append(chart(charts.funnel_rates(categories, "category_level_1", "Funnel by top-level category")))
    category_revenue = data.category_performance(settings, f).head(TOP_PRODUCTS)
    brands = data.brand_performance(settings, TOP_PRODUCTS)
    if not category_revenue.empty:
        title = f"Top {TOP_PRODUCTS} categories by revenue · whole history"
        parts += ["<h2>Products</h2>", chart(charts.top_bars(category_revenue, "category_code", "revenue", title))]
        title = f"Top {TOP_PRODUCTS} brands by revenue · whole history, all categories"
        parts.append(chart(charts.top_bars(brands, "brand", "revenue", title, "#546e7a")))
    return "\n".join(parts)


def _findings(summary, segments, funnel, churn, scored) -> str:
    """Key findings in words, from the numbers the report shows: where revenue comes from, the
    lapsed segment holding the most revenue (and what to do), the funnel, churn and predicted value."""
    items = []
    if not summary.empty:
        top = summary.loc[summary.revenue.idxmax()]
        items.append(
            f"<strong>{html.escape(top.segment)}</strong> are {fmt.percent(top.customer_share, 1)} of customers and "
            f"bring {fmt.percent(top.revenue_share, 1)} of revenue ({fmt.money(top.revenue)})."
        )
        # the win-back priority: of the rules for customers not seen lately, the one for the best spenders
        lapsed = summary.merge(segments.loc[segments.r_score_max <= 2, ["segment", "fm_score_min"]], on="segment")
        if not lapsed.empty:
            row = lapsed.sort_values(["fm_score_min", "lifetime_revenue"], ascending=False).iloc[0]
            action = row.suggested_action
            action = f" Suggested: {html.escape(action)}." if isinstance(action, str) else ""
            items.append(
                f"{fmt.count(row.customers)} <strong>{html.escape(row.segment)}</strong> customers have not bought "
                f"lately but have spent {fmt.money(row.lifetime_revenue)} in all.{action}"
            )
    if funnel.sessions:
        items.append(
            f"{fmt.percent(funnel.conversion_rate)} of sessions end in a purchase; "
            f"{fmt.percent(funnel.cart_abandonment_rate, 1)} of sessions that add to the cart do not buy."
        )
    if churn is not None and churn.eligible_customers:
        items.append(
            f"{fmt.percent(churn.churn_rate, 1)} of the {fmt.count(churn.eligible_customers)} customers old enough "
            "to judge have churned (no purchase in the churn window; whole history)."
        )
    if not scored.empty:
        items.append(
            f"Predicted customer value: {fmt.money(scored.predicted_clv.sum())} over {fmt.count(len(scored))} "
            f"customers (mean {fmt.money(scored.predicted_clv.mean())})."
        )
    if not items:
        return ""
    return '<h2>Key findings</h2><ul id="findings">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


class _Charts:
    """Renders figures as HTML divs; plotly.js goes into the file once, with the first figure."""

    def __init__(self) -> None:
        self.inlined = False

    def __call__(self, fig: go.Figure) -> str:
        config = {"displaylogo": False, "responsive": True}
        div = fig.to_html(full_html=False, include_plotlyjs=not self.inlined, config=config)
        self.inlined = True
        return f'<div class="chart">{div}</div>'


def _kpi(label: str, value: str, key: str) -> str:
    return (
        f'<div class="kpi" data-kpi="{key}"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div></div>'
    )


def _win_back_table(customers) -> str:
    rows = "".join(
        f"<tr><td>{r.user_id}</td><td>{html.escape(r.segment)}</td>"
        f"<td>{html.escape(charts.STATUS_LABELS.get(r.activity_status, r.activity_status))}</td>"
        f"<td>{r.last_purchase_at:%Y-%m-%d}</td><td>{fmt.count(r.orders)}</td><td>{fmt.money(r.revenue)}</td>"
        f"<td>{fmt.money(r.predicted_clv)}</td><td>{fmt.percent(r.p_alive, 1)}</td></tr>"
        for r in customers.itertuples()
    )
    return (
        '<table id="win-back"><thead><tr><th>User id</th><th>Segment</th><th>Status</th><th>Last purchase</th>'
        "<th>Orders</th><th>Lifetime revenue</th><th>Predicted CLV</th><th>P(alive)</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _segment_table(summary) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r.segment)}</td><td>{fmt.count(r.customers)}</td>"
        f"<td>{fmt.percent(r.customer_share, 1)}</td><td>{fmt.money(r.revenue)}</td>"
        f"<td>{fmt.percent(r.revenue_share, 1)}</td><td>{fmt.money(r.revenue_per_customer)}</td>"
        f"<td>{fmt.money(r.mean_predicted_clv)}</td><td>{fmt.percent(r.mean_p_alive, 1)}</td>"
        f"<td>{html.escape(r.suggested_action) if isinstance(r.suggested_action, str) else ''}</td></tr>"
        for r in summary.itertuples()
    )
    return (
        '<table id="segments"><thead><tr><th>Segment</th><th>Customers</th><th>% customers</th><th>Revenue</th>'
        "<th>% revenue</th><th>Revenue per customer</th><th>Mean predicted CLV</th><th>Mean P(alive)</th>"
        "<th>Suggested action</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )
