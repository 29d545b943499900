"""How the packaged dbt project appears in Dagster: its manifest, asset keys and groups.

dbt sources map onto the assets that write them: `raw.events` and `raw.load_ledger` onto the
two outputs of the load (one transaction writes both) and `estore_clv.dim_user_clv` onto the CLV asset,
so the lineage runs landed files → raw events → dbt models → CLV → models after CLV → serving.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from estore.orchestration.keys import CUSTOMER_VALUE, RAW_EVENTS, RAW_LEDGER
from estore.orchestration.manifest import ensure_manifest
from estore.orchestration.resources import definition_settings
from estore.pipeline import AFTER_CLV

AFTER_CLV_SELECTOR = f"tag:{AFTER_CLV}"


class EstoreTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "raw":
                return RAW_LEDGER if dbt_resource_props["name"] == "load_ledger" else RAW_EVENTS
            if dbt_resource_props["source_name"] == "estore_clv":
                return CUSTOMER_VALUE
        return dg.AssetKey([_schema(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _schema(dbt_resource_props)


TRANSLATOR = EstoreTranslator()


@cache
def manifest_path() -> Path:
    return ensure_manifest(definition_settings())


@cache
def _manifest() -> dict[str, Any]:
    return json.loads(manifest_path().read_text())


def model_key(name: str) -> dg.AssetKey:
    """The asset key of a dbt model or snapshot by name."""
    for props in _manifest()["nodes"].values():
        if props["resource_type"] in {"model", "snapshot"} and props["name"] == name:
            return TRANSLATOR.get_asset_key(props)
    raise KeyError(f"no dbt model or snapshot called {name}")


def keys_where(resource_type: str | None = None, schema: str | None = None) -> list[dg.AssetKey]:
    """Asset keys of the dbt models/snapshots of a resource type and/or schema."""
    return [
        TRANSLATOR.get_asset_key(props)
        for props in _manifest()["nodes"].values()
        if props["resource_type"] in {"model", "snapshot"}
        and (resource_type is None or props["resource_type"] == resource_type)
        and (schema is None or _schema(props) == schema)
    ]


def _schema(props: Mapping[str, Any]) -> str:
    return str(props.get("config", {}).get("schema") or props.get("schema") or "main")
