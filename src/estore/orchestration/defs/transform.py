"""Every dbt model, snapshot and test as Dagster assets and asset checks (dagster-dbt).

Two groups of dbt nodes, as in estore.pipeline.build: everything except the models tagged
after_clv, then (once the CLV asset has fitted) the after_clv models. dbt runs with the same
arguments and environment as the CLI's build (estore.transform.runner.dbt_invocation).
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from estore.orchestration.dbt_project import AFTER_CLV_SELECTOR, TRANSLATOR, manifest_path
from estore.orchestration.manifest import dagster_target
from estore.orchestration.resources import EstoreResource
from estore.serving import mark_unpublished
from estore.transform.runner import dbt_invocation, environment
from estore.warehouse import connect


def run_dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, estore: EstoreResource) -> Iterator[Any]:
    """`dbt build` of the nodes this run selected, streaming their materializations and test results.

    Both dbt steps share one target folder (runs go one at a time), so the second one reuses
    dbt's partial parse of the first instead of parsing the project again.
    """
    settings = estore.settings()
    invocation = dbt_invocation(
        settings.warehouse,
        settings.workspace,
        vars=settings.dbt_vars,
        threads=settings.threads,
        memory_limit=settings.memory_limit,
        target_path=dagster_target(settings, "build"),
    )
    # a fresh warehouse gets its raw tables, so a build before the first file gives empty marts
    connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads).close()
    mark_unpublished(settings, "build")  # until the serving asset publishes
    with environment(invocation.env):  # dagster-dbt hands os.environ to the dbt process it starts
        run = dbt.cli(
            [*invocation.build_args, "--log-format-file", "text"],
            context=context,
            target_path=invocation.target_path,
        )
    yield from run.stream()


@dbt_assets(
    manifest=manifest_path(),
    exclude=AFTER_CLV_SELECTOR,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_models",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, estore: EstoreResource):
    yield from run_dbt_build(context, dbt, estore)


@dbt_assets(
    manifest=manifest_path(),
    select=AFTER_CLV_SELECTOR,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_models_after_clv",
)
def dbt_models_after_clv(context: dg.AssetExecutionContext, dbt: DbtCliResource, estore: EstoreResource):
    yield from run_dbt_build(context, dbt, estore)
