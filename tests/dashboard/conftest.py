"""One small built workspace, one running dashboard and one browser for all the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.support import estore

from .support import chromium, running_app


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """150k generated events over two months, loaded and built (marts, CLV, serving snapshot)."""
    root = tmp_path_factory.mktemp("dashboard")
    landing, ws = root / "landing", root / "ws"
    gen = estore(ws, "generate", "--out", str(landing), "--events", "150000", "--seed", "23", "--gzip")
    assert gen.returncode == 0, gen.stderr
    run = estore(ws, "run", str(landing))
    assert run.returncode == 0, run.stdout + run.stderr
    return ws


@pytest.fixture(scope="session")
def empty_workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("empty") / "ws"


@pytest.fixture(scope="session")
def app(workspace) -> str:
    with running_app(workspace) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()
