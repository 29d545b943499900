"""Every number the dashboard, the report and the exports show: queries on the serving snapshot.

Each function takes the settings (and the filters), opens the read-only snapshot for as long as
its queries take (estore.serving.open_serving) and returns plain values or DataFrames. Filtered
numbers come from the dashboard marts (models/marts/dashboard), whose grain keeps them additive:
sessions, orders and revenue per day x category x segment, and buyers per day x category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from estore.dashboard.filters import Filters
from estore.errors import EstoreError
from estore.serving import open_serving
from estore.settings import Settings
from estore.warehouse import table_exists

# tables this package reads that only a build with the dashboard models publishes
REQUIRED = (
    "serving_build",
    "dashboard_segments",
    "dashboard_sessions_daily",
    "dashboard_category_daily",
    "dashboard_buyers_daily",
)
GRAINS = {"day": "day", "week": "week", "month": "month"}
_FREQUENCIES = {"day": "D", "week": "7D", "month": "MS"}


@dataclass(frozen=True)
class BuildInfo:
    built_at: datetime
    data_from: date
    data_to: date
    events: int
    files_loaded: int

    def full_range(self) -> Filters:
        return Filters(self.data_from, self.data_to)


@dataclass(frozen=True)
class Kpis:
    revenue: float
    orders: int
    buyers: int
    sessions: int
    purchases: int

    @property
    def conversion_rate(self) -> float | None:
        return self.orders / self.sessions if self.sessions else None

    @property
    def average_order_value(self) -> float | None:
        return self.revenue / self.orders if self.orders else None


def query(settings: Settings, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    with open_serving(settings) as con:
        return con.execute(sql, params or []).df()


def build_info(settings: Settings) -> BuildInfo:
    """When the snapshot was built and what it covers; EstoreError saying what to run when there is none."""
    with open_serving(settings) as con:
        missing = [t for t in REQUIRED if not table_exists(con, "marts", t)]
        if missing:
            raise EstoreError(
                f"the published data predates the dashboard (no marts.{', marts.'.join(missing)}). "
                "Run `estore build` to rebuild the marts and publish them."
            )
        row = con.execute(
            "select built_at, data_from, data_to, events, files_loaded from marts.serving_build"
        ).fetchone()
    if row is None or row[1] is None:
        raise EstoreError("the warehouse holds no events yet. Run `estore run PATH...` to load files and build.")
    built_at, data_from, data_to, events, files = row
    return BuildInfo(built_at, data_from.date(), data_to.date(), int(events), int(files))


def filters_for(
    settings: Settings,
    info: BuildInfo,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    category: str | None = None,
    segment: str | None = None,
) -> Filters:
    """Filters from options (the CLI's), checked against the snapshot; unset dates take the data's range."""
    if category is not None and category not in (known := categories(settings)):
        raise EstoreError(f"unknown top-level category {category!r}; known: {', '.join(known)}")
    if segment is not None and segment not in (known := buyer_segments(settings)):
        raise EstoreError(f"unknown segment {segment!r}; known: {', '.join(known)}")
    span = f"the data runs from {info.data_from} to {info.data_to}"
    if date_from is not None and date_to is None and date_from > info.data_to:
        raise EstoreError(f"--from {date_from} is after the last day with data; {span}")
    if date_to is not None and date_from is None and date_to < info.data_from:
        raise EstoreError(f"--to {date_to} is before the first day with data; {span}")
    try:
        return Filters(date_from or info.data_from, date_to or info.data_to, category, segment)
    except ValueError as exc:
        raise EstoreError(str(exc)) from exc


def segments(settings: Settings) -> pd.DataFrame:
    """segment, segment_order, is_buyer_segment, suggested_action: the order (and so the colours) of
    segments everywhere. A snapshot published before segments had actions has none."""
    df = query(settings, "select * from marts.dashboard_segments order by segment_order")
    return df if "suggested_action" in df else df.assign(suggested_action=None)


def buyer_segments(settings: Settings) -> list[str]:
    """The RFM segments a customer can be in, in rule order (no Prospects)."""
    df = segments(settings)
    return df.loc[df.is_buyer_segment & (df.segment != "Unsegmented"), "segment"].tolist()


def categories(settings: Settings) -> list[str]:
    """Top-level categories with sessions, alphabetical ('unknown' for events without a category code)."""
    sql = "select distinct category_level_1 from marts.dashboard_category_daily order by category_level_1"
    return query(settings, sql).category_level_1.tolist()


# --- filters as SQL -------------------------------------------------------------------------


def _where(f: Filters, *, category: bool = True, segment: bool = True) -> tuple[str, list[Any]]:
    clauses, params = ["session_date between ? and ?"], [f.date_from, f.date_to]
    if category and f.category:
        clauses.append("category_level_1 = ?")
        params.append(f.category)
    if segment and f.segment:
        clauses.append("segment = ?")
        params.append(f.segment)
    return " and ".join(clauses), params


def _sessions_table(f: Filters) -> str:
    """Sessions of all categories add up only at session grain; one category at session x category grain."""
    return "marts.dashboard_category_daily" if f.category else "marts.dashboard_sessions_daily"


# --- overview -------------------------------------------------------------------------------


def kpis(settings: Settings, f: Filters) -> Kpis:
    where, params = _where(f)
    with open_serving(settings) as con:
        sessions, orders, revenue, purchases = con.execute(
            f"select coalesce(sum(sessions), 0), coalesce(sum(sessions_with_purchase), 0), coalesce(sum(revenue), 0), "
            f"coalesce(sum(purchases), 0) from {_sessions_table(f)} where {where}",
            params,
        ).fetchone()
        buyers = con.execute(
            f"select count(distinct user_id) from marts.dashboard_buyers_daily where {where}", params
        ).fetchone()[0]
    return Kpis(float(revenue), int(orders), int(buyers), int(sessions), int(purchases))


def trend(settings: Settings, f: Filters, grain: str = "day") -> pd.DataFrame:
    """Per day (week, month): sessions, orders, revenue, buyers, conversion_rate, average_order_value."""
    unit = GRAINS[grain]
    where, params = _where(f)
    period = f"cast(date_trunc('{unit}', session_date) as date)"
    with open_serving(settings) as con:
        sessions = con.execute(
            f"select {period} as period, sum(sessions)::bigint as sessions, "
            "sum(sessions_with_purchase)::bigint as orders, "
            f"sum(revenue)::double as revenue from {_sessions_table(f)} where {where} group by 1",
            params,
        ).df()
        buyers = con.execute(
            f"select {period} as period, count(distinct user_id) as buyers "
            f"from marts.dashboard_buyers_daily where {where} group by 1",
            params,
        ).df()
    df = _every_period(sessions.merge(buyers, on="period", how="left"), f, grain)
    for column in ("sessions", "orders", "buyers"):
        df[column] = df[column].fillna(0).astype("int64")
    df["revenue"] = df.revenue.fillna(0).astype(float)
    df["conversion_rate"] = df.orders / df.sessions.where(df.sessions > 0)
    df["average_order_value"] = df.revenue / df.orders.where(df.orders > 0)
    return df


def _every_period(df: pd.DataFrame, f: Filters, grain: str) -> pd.DataFrame:
    """One row per period of the range, periods without sessions included (as NaN), in order."""
    start = {  # the start of the first period, as date_trunc gives it (weeks start on Monday)
        "day": f.date_from,
        "week": f.date_from - timedelta(days=f.date_from.weekday()),
        "month": f.date_from.replace(day=1),
    }[grain]
    periods = pd.date_range(start, pd.Timestamp(f.date_to), freq=_FREQUENCIES[grain])
    df = df.assign(period=pd.to_datetime(df.period))
    df = df.set_index("period").reindex(periods).rename_axis("period").reset_index()
    # a period only partly inside the range (a week or month cut by its first or last day)
    ends = df.period.shift(-1).fillna(periods[-1] + pd.tseries.frequencies.to_offset(_FREQUENCIES[grain]))
    df["partial"] = (df.period < pd.Timestamp(f.date_from)) | (ends > pd.Timestamp(f.date_to) + pd.Timedelta(days=1))
    return df


# --- customers ------------------------------------------------------------------------------

CUSTOMER_COLUMNS = [
    "user_id", "segment", "r_score", "f_score", "m_score", "rfm_score", "recency_days", "orders", "revenue",
    "period_revenue", "average_order_value", "first_purchase_at", "last_purchase_at", "activity_status",
    "p_alive", "expected_purchases_90d", "predicted_clv",
]  # fmt: skip


WIN_BACK_STATUSES = ("declining", "at_risk")


def customers(settings: Settings, f: Filters, *, segment: str | None = None) -> pd.DataFrame:
    """One row per customer who bought in the period (and category, and segment) of the filters.

    Columns: CUSTOMER_COLUMNS. revenue and orders are lifetime (dim_user_rfm monetary and
    frequency); period_revenue is what they spent in the period and category; p_alive,
    expected_purchases_90d and predicted_clv come from the CLV fit (NULL when there is none).
    `segment` overrides the segment of the filters. Sorted by lifetime revenue, highest first.
    """
    segment = segment or f.segment
    where, params = _where(f, segment=False)
    seg_clause = "and rfm.segment = ?" if segment else ""
    if segment:
        params.append(segment)
    with open_serving(settings) as con:
        clv = (
            "clv.p_alive, clv.expected_transactions_90d, clv.clv"
            if table_exists(con, "marts", "dim_user_clv")
            else "null::double, null::double, null::double"
        )
        clv_join = "left join marts.dim_user_clv as clv on rfm.user_id = clv.user_id" if "clv." in clv else ""
        df = con.execute(
            f"""
            with period as (
                select user_id, sum(revenue) as period_revenue
                from marts.dashboard_buyers_daily
                where {where}
                group by user_id
            )
            select rfm.user_id, rfm.segment, rfm.r_score, rfm.f_score, rfm.m_score, rfm.rfm_score,
                   rfm.recency_days::bigint, rfm.frequency::bigint as orders, rfm.monetary::double as revenue,
                   period.period_revenue::double as period_revenue,
                   users.avg_order_value::double as average_order_value,
                   users.first_purchase_at, users.last_purchase_at, users.activity_status,
                   {clv}
            from period
            inner join marts.dim_user_rfm as rfm on period.user_id = rfm.user_id
            inner join marts.dim_users as users on rfm.user_id = users.user_id
            {clv_join}
            where true {seg_clause}
            order by rfm.monetary desc, rfm.user_id
            """,
            params,
        ).df()
    df.columns = CUSTOMER_COLUMNS
    return df


def win_back(df: pd.DataFrame) -> pd.DataFrame:
    """Of a customers() frame, those declining or at risk (not churned yet), highest predicted CLV
    first (unscored last): the ones worth winning back."""
    return (
        df[df.activity_status.isin(WIN_BACK_STATUSES)]
        .sort_values(["predicted_clv", "user_id"], ascending=[False, True], na_position="last")
        .reset_index(drop=True)
    )


def segment_summary(settings: Settings, f: Filters) -> pd.DataFrame:
    """Per segment (rule order): customers, revenue in the period, shares, per-customer means, CLV, P(alive),
    and the action its rule suggests (var rfm_segments)."""
    df = customers(settings, f)
    order = segments(settings)
    grouped = (
        df.groupby("segment")
        .agg(
            customers=("user_id", "size"),
            revenue=("period_revenue", "sum"),
            lifetime_revenue=("revenue", "sum"),
            predicted_clv=("predicted_clv", "sum"),
            mean_predicted_clv=("predicted_clv", "mean"),
            mean_p_alive=("p_alive", "mean"),
        )
        .reset_index()
    )
    out = order[["segment", "segment_order"]].merge(grouped, on="segment", how="inner")
    out["customer_share"] = out.customers / max(out.customers.sum(), 1)
    total = out.revenue.sum()
    out["revenue_share"] = out.revenue / total if total else 0.0
    out["revenue_per_customer"] = out.revenue / out.customers
    out = out.merge(order[["segment", "suggested_action"]], on="segment", how="left")
    return out.sort_values("segment_order").reset_index(drop=True)


def rfm_grid(settings: Settings, f: Filters) -> pd.DataFrame:
    """Customers and revenue per (r_score, f_score) cell of the filtered customers."""
    df = customers(settings, f)
    return (
        df.groupby(["r_score", "f_score"]).agg(customers=("user_id", "size"), revenue=("revenue", "sum")).reset_index()
    )


def segment_migration(settings: Settings) -> pd.DataFrame:
    """segment_migration (customers from segment x to segment between two RFM snapshots), in segment order;
    empty until two builds have recorded segments ('New' = not a customer at the first snapshot)."""
    df = query(
        settings,
        "select m.*, coalesce(f.segment_order, 0) as from_order, t.segment_order as to_order "
        "from marts.segment_migration as m "
        "left join marts.dashboard_segments as f on m.from_segment = f.segment "
        "left join marts.dashboard_segments as t on m.to_segment = t.segment "
        "where m.from_date < m.to_date order by from_order, to_order",
    )
    return df


def clv_fit(settings: Settings) -> pd.Series | None:
    """The latest CLV fit (clv_model_fit), None when the models were never fitted."""
    with open_serving(settings) as con:
        if not table_exists(con, "marts", "clv_model_fit"):
            return None
        df = con.execute("select * from marts.clv_model_fit order by fit_id desc limit 1").df()
    return None if df.empty else df.iloc[0]


def clv_horizon_months(settings: Settings) -> int | None:
    """The horizon of the predicted CLV in months (dim_user_clv.clv_horizon_months)."""
    with open_serving(settings) as con:
        if not table_exists(con, "marts", "dim_user_clv"):
            return None
        return con.execute("select max(clv_horizon_months) from marts.dim_user_clv").fetchone()[0]


# --- churn and retention --------------------------------------------------------------------


def cohort_retention(settings: Settings, f: Filters) -> pd.DataFrame:
    """cohort_retention rows of the cohorts whose first-purchase month overlaps the date range."""
    return query(
        settings,
        "select * from marts.cohort_retention "
        "where cohort_month between date_trunc('month', ?::date) and ? "
        "order by cohort_month, months_since_first_purchase",
        [f.date_from, f.date_to],
    )


def churn_by_cohort(settings: Settings, f: Filters) -> pd.DataFrame:
    """metrics_churn per first-purchase month in the date range (the 'overall' row excluded)."""
    df = query(settings, "select * from marts.metrics_churn where cohort_month <> 'overall' order by cohort_month")
    months = pd.to_datetime(df.cohort_month + "-01")
    keep = (months >= pd.Timestamp(f.date_from).to_period("M").to_timestamp()) & (months <= pd.Timestamp(f.date_to))
    return df[keep].reset_index(drop=True)


def churn_overall(settings: Settings) -> pd.Series | None:
    df = query(settings, "select * from marts.metrics_churn where cohort_month = 'overall'")
    return None if df.empty else df.iloc[0]


def churn_comparison(settings: Settings, f: Filters) -> pd.DataFrame:
    """Per segment of the filtered customers: rule-based churn rate next to the mean BG/NBD churn
    probability (1 - P(alive)), and customers alive each way (as churn_comparison_segments)."""
    df = customers(settings, f)
    df["is_churned"] = df.activity_status == "churned"
    df["probabilistic_churn"] = 1 - df.p_alive
    out = (
        df.groupby("segment")
        .agg(
            customers=("user_id", "size"),
            rule_churned_customers=("is_churned", "sum"),
            mean_probabilistic_churn=("probabilistic_churn", "mean"),
            expected_customers_alive=("p_alive", "sum"),
            scored=("p_alive", "count"),
        )
        .reset_index()
    )
    # no P(alive) in a segment (no fit yet): unknown, not zero customers alive
    out["expected_customers_alive"] = out.expected_customers_alive.where(out.pop("scored") > 0)
    out["rule_churn_rate"] = out.rule_churned_customers / out.customers
    out["rule_customers_alive"] = out.customers - out.rule_churned_customers
    order = segments(settings)[["segment", "segment_order"]]
    return order.merge(out, on="segment").sort_values("segment_order").reset_index(drop=True)


def activity_status(settings: Settings, f: Filters) -> pd.DataFrame:
    """Customers per activity status (active, declining, at_risk, churned) and segment."""
    df = customers(settings, f)
    return df.groupby(["activity_status", "segment"]).size().rename("customers").reset_index()


# --- funnel ---------------------------------------------------------------------------------

FUNNEL_COLUMNS = [
    "sessions", "sessions_with_view", "sessions_with_cart", "sessions_with_purchase", "view_and_cart_sessions",
    "cart_and_purchase_sessions", "view_and_purchase_sessions", "abandoned_cart_sessions",
]  # fmt: skip
FUNNEL_COUNTS = ", ".join(f"sum({c})::bigint as {c}" for c in FUNNEL_COLUMNS) + ", sum(revenue)::double as revenue"


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    views, carts, sessions = (df[c].where(df[c] > 0) for c in ("sessions_with_view", "sessions_with_cart", "sessions"))
    df["view_to_cart_rate"] = df.view_and_cart_sessions / views
    df["cart_to_purchase_rate"] = df.cart_and_purchase_sessions / carts
    df["view_to_purchase_rate"] = df.view_and_purchase_sessions / views
    df["cart_abandonment_rate"] = df.abandoned_cart_sessions / carts
    df["conversion_rate"] = df.sessions_with_purchase / sessions
    df["revenue"] = df.revenue.astype(float)
    return df


def funnel(settings: Settings, f: Filters) -> pd.Series:
    """The whole view -> cart -> purchase funnel of the filters (sessions, stage counts, rates)."""
    where, params = _where(f)
    df = query(settings, f"select {FUNNEL_COUNTS} from {_sessions_table(f)} where {where}", params).fillna(0)
    return _with_rates(df).iloc[0]


def funnel_by(settings: Settings, f: Filters, by: str) -> pd.DataFrame:
    """The funnel per 'category' (top-level, session x category grain) or per 'segment'."""
    if by == "category":
        where, params = _where(f, category=False)
        sql = (
            f"select category_level_1, {FUNNEL_COUNTS} from marts.dashboard_category_daily "
            f"where {where} group by 1 order by sessions desc"
        )
    elif by == "segment":
        where, params = _where(f)
        sql = (
            f"select seg.segment, min(seg.segment_order) as segment_order, {FUNNEL_COUNTS} "
            f"from {_sessions_table(f)} as d inner join marts.dashboard_segments as seg using (segment) "
            f"where {where} group by 1 order by 2"
        )
    else:
        raise ValueError(f"funnel_by: unknown dimension {by!r}")
    return _with_rates(query(settings, sql, params))


def funnel_by_brand(settings: Settings, top: int = 15) -> pd.DataFrame:
    """funnel_by_brand (all time) for the brands with the most sessions."""
    return query(settings, "select * from marts.funnel_by_brand order by sessions desc, brand limit ?", [top])


def funnel_trend(settings: Settings, f: Filters, grain: str = "day") -> pd.DataFrame:
    where, params = _where(f)
    period = f"cast(date_trunc('{GRAINS[grain]}', session_date) as date)"
    df = query(
        settings,
        f"select {period} as period, {FUNNEL_COUNTS} from {_sessions_table(f)} where {where} group by 1 order by 1",
        params,
    )
    return _with_rates(df)


# --- products -------------------------------------------------------------------------------


def category_trend(settings: Settings, f: Filters, grain: str = "week") -> pd.DataFrame:
    """Revenue and orders per period and top-level category (date range and segment applied)."""
    where, params = _where(f, category=False)
    period = f"cast(date_trunc('{GRAINS[grain]}', session_date) as date)"
    return query(
        settings,
        f"select {period} as period, category_level_1, sum(revenue)::double as revenue, "
        "sum(sessions_with_purchase)::bigint as orders "
        f"from marts.dashboard_category_daily where {where} group by 1, 2 order by 1, 2",
        params,
    )


def category_performance(settings: Settings, f: Filters) -> pd.DataFrame:
    """category_performance (all time) per category code, of the selected top-level category only."""
    if f.category:
        sql, params = "select * from marts.category_performance where category_level_1 = ?", [f.category]
    else:
        sql, params = "select * from marts.category_performance", []
    return query(settings, sql + " order by revenue desc, category_code", params)


def brand_performance(settings: Settings, top: int = 20) -> pd.DataFrame:
    return query(settings, "select * from marts.brand_performance order by revenue desc, brand limit ?", [top])
