"""Starting the dashboard, driving Debian's chromium with Playwright, reading what a user sees."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ESTORE_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip
PAGES = {  # url path -> title; the default page (Overview) is at the root
    "": "Overview",
    "customers": "Customers & segments",
    "lifetime-value": "Lifetime value",
    "churn": "Churn & retention",
    "funnel": "Funnel",
    "products": "Products",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout} s")
        time.sleep(0.3)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_app(workspace: Path):
    """`estore dashboard` for the workspace on a free port, in its own session; stopped (whole group) after."""
    port = free_port()
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), "dashboard", "--port", str(port)]
    log = open(workspace.parent / f"dashboard-{port}.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process)
        log.close()


def stop_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


@contextmanager
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --- reading a Streamlit page -----------------------------------------------------------------

IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.dataset.testScriptState !== 'notRunning' || app.dataset.testConnectionState !== 'CONNECTED') {
        return false;
    }
    // plotly draws after the run: every chart must have its data
    return Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
        .every(c => { const p = c.querySelector('.js-plotly-plot'); return p && p._fullData; });
}"""


def wait_for_run(page: Page, timeout: float = 60) -> None:
    """Wait until the app has been idle, with every chart drawn, for 0.75 s: a navigation or a widget
    change can take two script runs, with a moment of idleness between them."""
    deadline = time.monotonic() + timeout
    idle_checks = 0
    while idle_checks < 3:
        idle_checks = idle_checks + 1 if page.evaluate(IDLE) else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app at {page.url} did not finish running within {timeout} s")
        page.wait_for_timeout(250)


def open_page(page: Page, base: str, path: str) -> None:
    """Go to a page and wait until its script ran (its title is there and the app is idle) and charts are drawn."""
    page.goto(f"{base}/{path}")
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    wait_for_run(page)


def exceptions(page: Page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def metrics(page: Page, expect: Iterable[str] = (), timeout: float = 30) -> dict[str, str]:
    """KPI label -> displayed value, for the first card of each label on the page.

    Waits up to `timeout` seconds for a card of every label in `expect`: once in CI the overview
    had been idle for 0.75 s and its KPI cards were not there yet (as plot() found with a chart).
    """
    labels = list(expect)
    try:
        page.wait_for_function(
            """(labels) => {
            const shown = new Set(Array.from(document.querySelectorAll('[data-testid="stMetricLabel"]'))
                .map(e => e.innerText.trim()));
            return labels.every(label => shown.has(label));
        }""",
            arg=labels,
            timeout=timeout * 1000,
        )
    except PlaywrightTimeoutError:
        pass  # the lookup below names what is missing
    out: dict[str, str] = {}
    for card in page.query_selector_all('[data-testid="stMetric"]'):
        label = card.query_selector('[data-testid="stMetricLabel"]').inner_text().strip()
        out.setdefault(label, card.query_selector('[data-testid="stMetricValue"]').inner_text().strip())
    return out


def plot(page: Page, title: str, timeout: float = 30) -> list[dict]:
    """The traces (x, y) of the plotly chart whose title contains `title` (as plotly.js decoded them).

    Waits up to `timeout` seconds for it: once in CI the chart was not drawn yet when the test
    looked, although wait_for_run had seen the app idle for 0.75 s.
    """
    try:
        traces = page.wait_for_function(
            """(title) => {
            for (const p of document.querySelectorAll('.js-plotly-plot')) {
                const t = p.layout && p.layout.title && p.layout.title.text;
                if (t && t.includes(title)) {
                    return p._fullData.map(d => ({x: Array.from(d.x || []), y: Array.from(d.y || [])}));
                }
            }
            return null;
        }""",
            arg=title,
            timeout=timeout * 1000,
        ).json_value()
    except PlaywrightTimeoutError:
        traces = None
    assert traces is not None, f"no chart titled {title!r} on the page within {timeout} s"
    return traces


def axis_ticks(page: Page, title: str, axis: str) -> list[float]:
    """The tick values plotly.js drew on `axis` ('yaxis2', say) of the chart whose title contains `title`."""
    plot(page, title)  # waits until it is drawn
    return page.evaluate(
        """([title, axis]) => {
        for (const p of document.querySelectorAll('.js-plotly-plot')) {
            const t = p.layout && p.layout.title && p.layout.title.text;
            if (t && t.includes(title)) return p._fullLayout[axis]._vals.map(v => v.x);
        }
    }""",
        [title, axis],
    )


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of the sidebar's selectbox with this label (a filter)."""
    page.get_by_test_id("stSidebar").get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_run(page)


def screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is made as tall as it first."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stMainBlockContainer', 'stAppViewContainer']"
        ".map(id => document.querySelector(`[data-testid=${id}]`)).filter(Boolean).map(e => e.scrollHeight),"
        " document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12000)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def number(text: str) -> float:
    """'69,194.73' -> 69194.73; '5.89%' -> 0.0589."""
    text = text.strip()
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))
