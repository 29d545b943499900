"""The dashboard never waits for the pipeline: it reads the published snapshot only, says when that
was built, and shows a newly published build on the next page load."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from estore.serving import mark_unpublished
from estore.settings import load_settings

from . import expected
from .support import exceptions, metrics, number, open_page, screenshot, stop_group

HOLD_LOCK = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(120)"


def built_at(workspace) -> str:
    with duckdb.connect(str(workspace / "serving.duckdb"), read_only=True) as con:
        (value,) = con.execute("select built_at from marts.serving_build").fetchone()
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


def test_pages_render_while_a_build_holds_the_warehouse(app, page, workspace):
    warehouse = workspace / "warehouse.duckdb"
    revenue = expected.overview(workspace)["revenue"]  # read before the writer takes the lock
    # a writer holds DuckDB's lock on the warehouse and has marked it changed, as `estore build` does
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        mark_unpublished(load_settings(workspace), "build")
        for path in ("", "customers", "churn"):
            open_page(page, app, path)
            assert exceptions(page) == []
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "a build is running, or the last one did not finish" in text
        assert "You are seeing the last good build" in text and built_at(workspace) in text
        screenshot(page, "8-while-building")
        open_page(page, app, "")
        assert number(metrics(page, expect=["Revenue"])["Revenue"]) == pytest.approx(revenue, abs=0.005)
    finally:
        stop_group(writer)
        mark_unpublished(load_settings(workspace), None)


def test_a_new_snapshot_shows_on_the_next_page_load(app, page, workspace):
    open_page(page, app, "")
    old = built_at(workspace)
    assert old in page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
    time.sleep(1)  # the caption shows seconds
    publish = "import sys; from estore.settings import load_settings; from estore.serving import publish; "
    publish += "publish(load_settings(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", publish, str(workspace)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    new = built_at(workspace)
    assert new != old
    open_page(page, app, "")
    assert new in page.locator('[data-testid="stCaptionContainer"]').first.inner_text()
