"""One generated set of three monthly files, one Dagster workspace and its definitions for all tests here.

Definitions read the workspace when they load (ESTORE_WORKSPACE), so it is set once, before the
first import of estore.orchestration.definitions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .support import estore

SEED = 7
ORCHESTRATION_TOML = """
[orchestration]
settle_seconds = 0
load_attempts = 2
max_quarantine_share = 0.05
"""


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> list[Path]:
    """Three monthly .csv.gz files (60,000 events), in calendar order: October, November, December 2019."""
    out = tmp_path_factory.mktemp("generated")
    done = estore(out / "ws", "generate", "--out", str(out), "--events", "60000", "--months", "3",
                  "--seed", str(SEED), "--gzip")  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = [out / f"2019-{month}.csv.gz" for month in ("Oct", "Nov", "Dec")]
    assert sorted(out.glob("*.csv.gz")) == sorted(files)
    return files


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("dagster-ws")
    (ws / "estore.toml").write_text(ORCHESTRATION_TOML)
    (ws / "landing").mkdir()
    return ws


@pytest.fixture(scope="session")
def defs(workspace):
    """The code location's Definitions, loaded for `workspace`."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ESTORE_WORKSPACE", str(workspace))
        mp.delenv("ESTORE_LANDING", raising=False)
        mp.delenv("ESTORE_SLACK_WEBHOOK_URL", raising=False)
        from estore.orchestration.definitions import defs as load
        from estore.orchestration.resources import definition_settings

        definition_settings.cache_clear()
        loaded = load()
    return loaded


def land(source: Path, landing: Path, name: str | None = None) -> Path:
    target = landing / (name or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
