"""Streamlit pieces every page shares: the context, the sidebar filters, headers, KPI cards, exports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from estore import exports
from estore.dashboard import data
from estore.dashboard.filters import Filters
from estore.serving import unpublished_change
from estore.settings import Settings

ALL_CATEGORIES = "All categories"
ALL_SEGMENTS = "All segments"
ONE_TIME_BUYERS_NOTE = (
    "BG/NBD sees a customer drop out only after a repeat purchase, so it gives every one-time buyer "
    "P(alive) = 100%. For them the rule (no purchase in the churn window) is the better guide."
)


@dataclass(frozen=True)
class Context:
    settings: Settings
    info: data.BuildInfo
    filters: Filters
    colors: dict[str, str]  # segment -> colour, in segment order


def sidebar_filters(settings: Settings, info: data.BuildInfo) -> Filters:
    """Date range, top-level category and segment; kept in the session, so they apply on every page."""
    sidebar = st.sidebar
    sidebar.header("Filters")
    kept = st.session_state.get("date_range") or ()
    if any(not info.data_from <= day <= info.data_to for day in kept):
        del st.session_state["date_range"]  # a newer build covers other dates: start from its whole range
    picked = sidebar.date_input(
        "Date range",
        value=(info.data_from, info.data_to),
        min_value=info.data_from,
        max_value=info.data_to,
        key="date_range",
        help="Sessions count on the day they start; customers count when they bought in the range.",
    )
    dates = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
    date_from, date_to = (dates[0], dates[-1]) if dates else (info.data_from, info.data_to)
    categories = [ALL_CATEGORIES, *data.categories(settings)]
    segments = [ALL_SEGMENTS, *data.buyer_segments(settings)]
    for key, options in (("category", categories), ("segment", segments)):
        if st.session_state.get(key, options[0]) not in options:
            del st.session_state[key]  # gone from the newer build
    category = sidebar.selectbox("Top-level category", categories, key="category", help=_CATEGORY_HELP)
    segment = sidebar.selectbox("Segment", segments, key="segment", help="Current RFM segment.")
    sidebar.button("Reset filters", on_click=_reset, width="stretch")
    return Filters(
        date_from,
        date_to,
        None if category == ALL_CATEGORIES else category,
        None if segment == ALL_SEGMENTS else segment,
    )


_CATEGORY_HELP = "First level of the category code; 'unknown' for products without a category code."


def _reset() -> None:
    for key in ("date_range", "category", "segment"):
        st.session_state.pop(key, None)


def build_note(ctx: Context) -> None:
    """The caption under every page title: which build the numbers come from, and whether a newer one is coming."""
    info = ctx.info
    st.caption(
        f"Data built at **{info.built_at:%Y-%m-%d %H:%M:%S} UTC** · events {info.data_from:%d %b %Y} – "
        f"{info.data_to:%d %b %Y} · {info.events:,} events from {info.files_loaded:,} files · "
        f"showing {ctx.filters.describe()}"
    )
    change = unpublished_change(ctx.settings)
    if change is not None:
        what = (
            "files were loaded that no build has published yet (or a load is running)"
            if change == "load"
            else f"a {change} is running, or the last one did not finish"
        )
        st.info(
            f"The warehouse has changed since this data was published: {what}. You are seeing the last good "
            f"build ({info.built_at:%Y-%m-%d %H:%M:%S} UTC); the new numbers appear when `estore build` publishes them."
        )


def page_title(title: str, ctx: Context) -> None:
    st.title(title)
    build_note(ctx)


def metric(column, label: str, value: str, delta: str | None = None, help: str | None = None, inverse=False) -> None:
    column.metric(label, value, delta=delta, delta_color="inverse" if inverse else "normal", help=help, border=True)


def metric_columns(n: int, per_row: int = 4) -> list:
    """n KPI card slots in balanced rows of at most per_row, so that the numbers are never cut."""
    rows = -(-n // per_row)
    size = -(-n // rows)
    slots = [column for _ in range(rows) for column in st.columns(size)]
    return slots[:n]


def table(df: pd.DataFrame, height: int | str = "auto", first: Sequence[str] = ()) -> None:
    """A table with readable headers and money, rates and counts formatted by column name.

    `first`: the columns to show leftmost (what the table is sorted or read by), so that they are
    on screen without scrolling; the others follow in the frame's order.
    """
    config = {c: _column(c, df[c]) for c in df.columns}
    if "period_revenue" in df:  # a customer list: its revenue is the customer's whole history
        config["revenue"] = st.column_config.NumberColumn("Lifetime revenue", format="%,.2f")
    order = [*first, *(c for c in df.columns if c not in first)]
    st.dataframe(df, hide_index=True, height=height, column_config=config, column_order=order)


_MONEY_WORDS = ("revenue", "clv", "order_value", "spend", "monetary", "spent")
_LABELS = {"p_alive": "P(alive)", "mean_p_alive": "Mean P(alive)", "rfm_score": "RFM", "category_level_1": "Category"}


def _column(name: str, values: pd.Series):
    label = _LABELS.get(name) or name.replace("_", " ").capitalize().replace("clv", "CLV").replace(" 90d", " (90 days)")
    if name.endswith(("_rate", "_share")) or name in ("p_alive", "mean_p_alive", "mean_probabilistic_churn"):
        return st.column_config.NumberColumn(label, format="percent")
    if any(word in name for word in _MONEY_WORDS):
        return st.column_config.NumberColumn(label, format="%,.2f")
    if name == "user_id":
        return st.column_config.NumberColumn(label, format="%d")
    if name.startswith("expected_customers"):  # a count, even when a sum of probabilities
        return st.column_config.NumberColumn(label, format="%,.0f")
    if name == "suggested_action":
        return st.column_config.TextColumn(label, width="large")
    if name in ("day", "week", "month"):  # a period's first day
        return st.column_config.DateColumn(label, format="YYYY-MM-DD")
    if pd.api.types.is_float_dtype(values):
        return st.column_config.NumberColumn(label, format="%,.2f")
    if pd.api.types.is_integer_dtype(values) and not name.endswith("_score"):
        return st.column_config.NumberColumn(label, format="%,d")
    return st.column_config.Column(label)


def download_buttons(frame: Callable[[], pd.DataFrame], name: str, key: str) -> None:
    """CSV and Parquet downloads of a customer (or segment) list, made only when clicked."""
    left, right, _ = st.columns([1, 1, 3])
    for column, fmt in ((left, "csv"), (right, "parquet")):
        column.download_button(
            f"Download {'CSV' if fmt == 'csv' else 'Parquet'}",
            data=lambda fmt=fmt: exports.to_bytes(frame(), fmt),
            file_name=f"{name}.{fmt}",
            mime=exports.MIME[fmt],
            key=f"{key}_{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def export_name(prefix: str, f: Filters) -> str:
    parts = [prefix, f"{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}"]
    if f.category:
        parts.append(slug(f.category))
    return "_".join(parts)


def empty_state(message: str) -> None:
    st.title("estore marketing dashboard")
    st.info(f"**No data to show yet.** {message}", icon=":material/info:")
    st.markdown(
        "To try it on generated sample data: `make run` (or `estore generate --out landing --gzip` then "
        "`estore run landing`). Then reload this page."
    )
