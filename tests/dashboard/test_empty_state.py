"""With nothing loaded yet, the app and the report say which command to run, never a stack trace."""

from __future__ import annotations

from e2e.support import estore

from .support import exceptions, open_page, running_app, screenshot


def test_app_on_an_empty_workspace_says_what_to_run(browser, empty_workspace):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    with running_app(empty_workspace) as url:
        open_page(page, url, "")
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert exceptions(page) == []
        assert "No data to show yet" in text
        assert "estore run" in text
        assert "Traceback" not in text
        screenshot(page, "0-empty-workspace")
    context.close()


def test_report_on_an_empty_workspace_says_what_to_run(browser, empty_workspace, tmp_path):
    out = tmp_path / "report.html"
    result = estore(empty_workspace, "report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "estore run" in result.stderr
    page = browser.new_page()
    page.goto(out.as_uri())
    message = page.locator("#empty-state").inner_text()
    assert "No data to report yet" in message and "estore run" in message
    page.close()


def test_export_on_an_empty_workspace_says_what_to_run(empty_workspace, tmp_path):
    result = estore(empty_workspace, "export", "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 1
    assert "estore run" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.csv").exists()
