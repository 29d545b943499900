"""Fixtures for the loader tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "ws" / "warehouse.duckdb"
