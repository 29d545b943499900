"""The Dagster resources every asset, sensor and schedule uses, and the settings loaded at definition time."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from estore.settings import Settings, load_settings
from estore.transform.runner import DBT_PROJECT_DIR


class EstoreResource(dg.ConfigurableResource):
    """The estore workspace the assets work on (its estore.toml is read on every use)."""

    workspace: str

    def settings(self) -> Settings:
        return load_settings(self.workspace)


@cache
def definition_settings() -> Settings:
    """The workspace settings when definitions load (ESTORE_WORKSPACE, set by `estore ui`).

    Sensor intervals, schedules and the dbt manifest are fixed at load time; everything a run
    does reads the settings again through EstoreResource.
    """
    return load_settings()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )
