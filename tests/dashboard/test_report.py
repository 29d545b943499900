"""`estore report`: one HTML file that opens offline in chromium with the headline numbers and charts."""

from __future__ import annotations

import re

import pytest
from e2e.support import estore, query

from . import expected
from .support import ARTIFACTS, number

KPIS = ["revenue", "orders", "buyers", "sessions", "conversion-rate", "average-order-value"]


def open_offline(browser, path):
    """Open a file with every network request refused; returns the page, the requests tried and JS errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    requested, errors = [], []
    page.on("request", lambda r: requested.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requested, errors


def test_report_opens_offline_with_the_numbers_of_the_marts(browser, workspace, tmp_path):
    out = tmp_path / "report.html"
    result = estore(workspace, "report", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.stat().st_size > 1_000_000  # plotly.js is inside
    assert out.read_text().count('<script type="text/javascript">/**') <= 1  # inlined once

    page, requested, errors = open_offline(browser, out)
    assert requested == [] and errors == []
    assert page.evaluate("() => typeof Plotly") == "object"
    want = expected.overview(workspace)
    shown = {k: page.locator(f'[data-kpi="{k}"] .value').inner_text() for k in KPIS}
    assert number(shown["revenue"]) == pytest.approx(want["revenue"], abs=0.005)
    assert number(shown["orders"]) == want["orders"]
    assert number(shown["buyers"]) == want["buyers"]
    assert number(shown["sessions"]) == want["sessions"]
    assert number(shown["conversion-rate"]) == pytest.approx(want["conversion_rate"], abs=0.00005)
    assert number(shown["average-order-value"]) == pytest.approx(want["average_order_value"], abs=0.005)

    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    bars = page.evaluate(
        """() => {
            for (const p of document.querySelectorAll('.js-plotly-plot')) {
                if (p.layout.title.text === 'Total revenue by segment') {
                    return {x: Array.from(p._fullData[0].x), y: Array.from(p._fullData[0].y)};
                }
            }
        }"""
    )
    want_segments = expected.revenue_by_segment(workspace).set_index("segment").revenue
    assert dict(zip(bars["y"], bars["x"], strict=True)) == pytest.approx(want_segments.to_dict(), abs=0.005)
    assert page.locator("#segments tbody tr").count() == len(want_segments)
    # each segment's row ends with the action of its rule (marts.dashboard_segments)
    actions = dict(query(workspace, "select segment, suggested_action from marts.dashboard_segments").values)
    rows = page.locator("#segments tbody tr").all_inner_texts()
    assert {row.split("\t")[0]: row.split("\t")[-1] for row in rows} == {s: actions[s] for s in want_segments.index}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.context.close()


def test_report_with_filters_says_what_it_shows(workspace, tmp_path):
    category = expected.biggest_category(workspace)
    out = tmp_path / "filtered.html"
    result = estore(workspace, "report", "--out", str(out), "--category", category, "--segment", "Champions")
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text()
    assert f"category {category}" in text and "segment Champions" in text
    want = expected.overview(workspace, category=category, segment="Champions")
    assert (
        f'<div class="kpi" data-kpi="revenue"><div class="label">Revenue</div><div class="value">{want["revenue"]:,.2f}'
        in text
    )


def test_report_refuses_an_unknown_segment(workspace, tmp_path):
    result = estore(workspace, "report", "--out", str(tmp_path / "r.html"), "--segment", "Nobody")
    assert result.returncode == 1
    assert "unknown segment 'Nobody'" in result.stderr and "Champions" in result.stderr


def test_report_to_an_unwritable_path_is_named(workspace, tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    result = estore(workspace, "report", "--out", str(tmp_path / "taken" / "r.html"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"--out {tmp_path / 'taken' / 'r.html'}: cannot write it" in result.stderr.replace("\n", "")
    assert list(tmp_path.iterdir()) == [tmp_path / "taken"]  # no temporary file left


def test_key_findings_state_the_numbers_of_the_marts(workspace, tmp_path):
    out = tmp_path / "report.html"
    assert estore(workspace, "report", "--out", str(out)).returncode == 0
    section = re.search(r'<ul id="findings">(.*?)</ul>', out.read_text(), re.S).group(1)
    findings = [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", section)]
    by_segment = expected.revenue_by_segment(workspace).set_index("segment")
    top = by_segment.revenue.idxmax()
    share = by_segment.revenue[top] / by_segment.revenue.sum()
    customers = by_segment.customers[top] / by_segment.customers.sum()
    assert findings[0] == (
        f"{top} are {customers:.1%} of customers and bring {share:.1%} of revenue ({by_segment.revenue[top]:,.2f})."
    )
    # the win-back priority of the default rules: At Risk (not seen lately, the best spenders among those)
    action = query(workspace, "select suggested_action from marts.dashboard_segments where segment = 'At Risk'")
    assert findings[1] == (
        f"{by_segment.customers['At Risk']:,} At Risk customers have not bought lately but have spent "
        f"{by_segment.revenue['At Risk']:,.2f} in all. Suggested: {action.suggested_action[0]}."
    )
    assert findings[2].startswith(
        f"{expected.overview(workspace)['conversion_rate']:.2%} of sessions end in a purchase"
    )


def test_report_lists_customers_to_win_back_and_top_products(browser, workspace, tmp_path):
    out = tmp_path / "report.html"
    assert estore(workspace, "report", "--out", str(out)).returncode == 0
    text = out.read_text()
    # declining or at risk, highest predicted CLV first: computed here from the core marts
    want = query(
        workspace,
        """
        select u.user_id, c.clv
        from marts.dim_users as u
        inner join marts.dim_user_rfm as r on u.user_id = r.user_id
        left join marts.dim_user_clv as c on u.user_id = c.user_id
        where u.activity_status in ('declining', 'at_risk')
        order by c.clv desc nulls last, u.user_id
        """,
    )
    assert len(want) > 20
    assert f"{len(want):,} customers are declining or at risk" in text
    table = re.search(r'<table id="win-back">.*?<tbody>(.*?)</tbody>', text, re.S).group(1)
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    assert [int(row[0]) for row in rows] == want.user_id[:20].tolist()
    assert [number(row[6]) for row in rows] == pytest.approx(want.clv[:20].tolist(), abs=0.005)

    # the top categories and brands by revenue over the whole history, from the events; a product
    # seen under several brands counts for the brand on most of its events (ties: alphabetical)
    def top(column: str) -> dict[str, float]:
        df = query(
            workspace,
            f"""
            with brands as (
                select product_id, brand, count(*) as events from marts.fct_events
                where brand is not null group by product_id, brand
            ),
            canonical as (
                select product_id, arg_min(brand, (-events, brand)) as brand from brands group by product_id
            )
            select coalesce(e.{column}, 'unknown') as name, sum(e.price) as revenue
            from (
                select e.category_code, c.brand, e.price from marts.fct_events as e
                left join canonical as c on e.product_id = c.product_id
                where e.event_type = 'purchase'
            ) as e
            group by 1 order by revenue desc, name limit 10
            """,
        )
        return dict(zip(df.name, df.revenue, strict=True))

    page, _, _ = open_offline(browser, out)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    for title, column in (("Top 10 categories by revenue", "category_code"), ("Top 10 brands by revenue", "brand")):
        bars = page.evaluate(
            """(title) => {
                for (const p of document.querySelectorAll('.js-plotly-plot')) {
                    if (p.layout.title.text.startsWith(title)) {
                        return {x: Array.from(p._fullData[0].x), y: Array.from(p._fullData[0].y)};
                    }
                }
            }""",
            title,
        )
        assert dict(zip(bars["y"], bars["x"], strict=True)) == pytest.approx(top(column), abs=0.005), title
    page.context.close()
