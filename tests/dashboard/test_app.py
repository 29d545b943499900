"""The dashboard as a user sees it: Debian's chromium, driven by Playwright, against `estore dashboard`."""

from __future__ import annotations

import io
import itertools
import math

import duckdb
import pandas as pd
import pytest
from e2e.support import query

from . import expected
from .support import PAGES, axis_ticks, choose, exceptions, metrics, number, open_page, plot, screenshot, wait_for_run

OVERVIEW_KPIS = {
    "Revenue": "revenue",
    "Orders": "orders",
    "Buyers": "buyers",
    "Sessions": "sessions",
    "Conversion rate": "conversion_rate",
    "Average order value": "average_order_value",
}


def built_at(workspace) -> str:
    """When the published snapshot was built (its serving_build row)."""
    with duckdb.connect(str(workspace / "serving.duckdb"), read_only=True) as con:
        (value,) = con.execute("select built_at from marts.serving_build").fetchone()
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_renders_without_an_exception(app, page, workspace, path):
    open_page(page, app, path)
    assert exceptions(page) == []
    assert page.locator("h1").first.inner_text().strip() == PAGES[path]
    assert (
        f"Data built at {built_at(workspace)}" in page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    )
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 2
    screenshot(page, f"{list(PAGES).index(path) + 1}-{path or 'overview'}")


def assert_kpis(page, want: dict[str, float]) -> None:
    shown = metrics(page, expect=OVERVIEW_KPIS)
    for label, key in OVERVIEW_KPIS.items():
        got = number(shown[label])
        if key == "conversion_rate":
            assert got == pytest.approx(want[key], abs=0.00005), label  # shown as 5.89%
        else:
            assert got == pytest.approx(want[key], abs=0.005), label


def test_overview_kpis_equal_the_marts(app, page, workspace):
    open_page(page, app, "")
    assert_kpis(page, expected.overview(workspace))


def test_headline_chart_is_revenue_by_segment_from_the_marts(app, page, workspace):
    open_page(page, app, "customers")
    (bars,) = plot(page, "Total revenue by segment")
    shown = dict(zip(bars["y"], bars["x"], strict=True))
    want = expected.revenue_by_segment(workspace)
    assert set(shown) == set(want.segment)
    for row in want.itertuples():
        assert shown[row.segment] == pytest.approx(row.revenue, abs=0.005), row.segment
    # in the order of the segment rules (Champions first), whatever the revenue
    assert bars["y"][0] == "Champions"


def test_filters_change_the_overview_and_stay_set_on_the_customers_page(app, page, workspace):
    category = expected.biggest_category(workspace)
    open_page(page, app, "")
    everything = metrics(page, expect=OVERVIEW_KPIS)
    choose(page, "Top-level category", category)
    assert_kpis(page, expected.overview(workspace, category=category))
    assert metrics(page)["Revenue"] != everything["Revenue"]
    choose(page, "Segment", "Champions")
    assert_kpis(page, expected.overview(workspace, category=category, segment="Champions"))
    screenshot(page, "7-overview-filtered")
    # the filters stay set on the other pages
    page.get_by_role("link", name="Customers & segments").click()
    page.wait_for_selector('h1:has-text("Customers & segments")')
    wait_for_run(page)
    (bars,) = plot(page, "Total revenue by segment")
    assert bars["y"] == ["Champions"]
    want = expected.overview(workspace, category=category, segment="Champions")
    assert bars["x"][0] == pytest.approx(want["revenue"], abs=0.005)
    assert exceptions(page) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_segment_export_downloads_the_segment_customers(app, page, workspace, fmt):
    open_page(page, app, "customers")
    choose(page, "Segment", "At Risk")  # the sidebar filter picks the segment drilled into
    button = page.locator(f".st-key-segment_customers_{fmt} button")
    with page.expect_download() as download:
        button.click()
    path = download.value.path()
    got = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert download.value.suggested_filename.startswith("customers_at_risk_")
    assert download.value.suggested_filename.endswith(f".{fmt}")
    want = expected.segment_customers(workspace, "At Risk")
    assert len(want) > 0
    got = got.sort_values("user_id").reset_index(drop=True)
    assert got.user_id.tolist() == want.user_id.tolist()
    assert (got.segment == "At Risk").all()
    assert got.revenue.tolist() == pytest.approx(want.revenue.tolist(), abs=0.005)
    assert got.orders.tolist() == want.orders.tolist()
    assert {"p_alive", "predicted_clv", "rfm_score", "activity_status"} <= set(got.columns)
    assert got.p_alive.between(0, 1).all()
    clv = query(workspace, "select user_id, clv from marts.dim_user_clv").set_index("user_id").clv
    assert got.predicted_clv.tolist() == pytest.approx(clv.loc[got.user_id].tolist(), rel=1e-9)


def test_csv_export_reads_back_as_text(app, page, workspace):
    """The CSV is plain UTF-8 with a header row, as marketing tools import it."""
    open_page(page, app, "customers")
    with page.expect_download() as download:
        page.locator(".st-key-segment_customers_csv button").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.splitlines()[0].startswith("user_id,segment,r_score,f_score,m_score,rfm_score")
    assert len(pd.read_csv(io.StringIO(text))) == len(expected.segment_customers(workspace, "Champions"))


def visible_table(page, index: int = 0) -> tuple[list[str], list[str]]:
    """The headers and first row of the index-th table as drawn without scrolling sideways (the
    grid's accessible table holds the columns on screen only)."""
    grid = page.get_by_test_id("stDataFrame").nth(index)
    grid.scroll_into_view_if_needed()
    # the grid draws its accessible table after the app is idle: wait for its first cell
    grid.locator("tbody tr td").first.wait_for(state="attached", timeout=30_000)
    return grid.locator("th").all_inner_texts(), grid.locator("tbody tr").first.locator("td").all_inner_texts()


def test_customer_lists_show_what_they_are_sorted_by_without_scrolling(app, page, workspace):
    """A list sorted by predicted CLV shows it (and P(alive)) on screen, with the top customer first."""
    top = query(
        workspace,
        "select c.user_id, c.clv, c.p_alive from marts.dim_user_clv c "
        "inner join marts.dim_user_rfm r on c.user_id = r.user_id order by c.clv desc, c.user_id limit 1",
    ).iloc[0]
    open_page(page, app, "lifetime-value")
    headers, row = visible_table(page)
    assert headers[:4] == ["User id", "Segment", "Predicted CLV", "P(alive)"]
    assert int(row[0]) == top.user_id
    assert float(row[2]) == pytest.approx(top.clv, rel=1e-9)
    assert float(row[3]) == pytest.approx(top.p_alive, rel=1e-9)

    open_page(page, app, "customers")
    headers, row = visible_table(page)  # segments side by side: counts, shares, then what to do
    assert headers[:5] == ["Segment", "Customers", "Customer share", "Revenue", "Revenue share"]
    assert "Suggested action" in headers
    assert row[0] == "Champions"


def nice_steps(ticks: list[float]) -> bool:
    """Evenly spaced by 1, 2, 2.5 or 5 times a power of ten, every tick a multiple of that step."""
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    return (
        any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
        and all(math.isclose(b - a, step) for a, b in itertools.pairwise(ticks))
        and all(math.isclose(t / step, round(t / step), abs_tol=1e-9) for t in ticks)
    )


def test_second_axes_tick_at_round_values(app, page):
    """The orders and conversion-rate axes have ticks of their own, not the first axis' gridlines
    carried over at values like 148, 296, 444."""
    open_page(page, app, "")
    for title in ("Revenue and orders per", "Sessions and conversion rate per"):
        ticks = axis_ticks(page, title, "yaxis2")
        assert len(ticks) >= 3, title
        assert nice_steps(ticks), (title, ticks)
