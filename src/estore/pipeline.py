"""The steps a run chains together: load files, build the dbt models, fit customer value, publish.

The CLI (and any orchestrator) calls these functions; no step's logic lives anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from estore.errors import EstoreError
from estore.settings import Settings
from estore.warehouse import connect, table_exists

AFTER_CLV = "after_clv"  # dbt tag of the models that read the customer-value fit


@dataclass(frozen=True)
class BuildOutcome:
    dbt: Any  # estore.transform.BuildResult
    clv: Any | None  # estore.clv.ClvRun, None when the fit was not possible
    clv_message: str | None  # why there is no new fit, when there is none
    published: Any  # estore.serving.Published: the snapshot the dashboard now reads


def load(settings: Settings, paths: list[str], *, replace: bool = False, progress: Callable | None = None):
    """Load event files into the warehouse exactly once; returns one result per file.

    Marks the warehouse as changed but not published (estore.serving) before it loads, and puts
    the mark back as it was when no file changed anything.
    """
    from estore.ingest import load as ingest_load
    from estore.serving import mark_unpublished, unpublished_change

    before = unpublished_change(settings)
    mark_unpublished(settings, "load")
    results = ingest_load(
        paths,
        settings.warehouse,
        replace=replace,
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        progress=progress,
    )
    if not any(r.status in ("loaded", "replaced") for r in results):
        mark_unpublished(settings, before)
    return results


def build(
    settings: Settings, *, full_refresh: bool = False, select: str | None = None, progress: Callable | None = None
) -> BuildOutcome:
    """Build every dbt model, fit the customer-value models, build the models that read the fit, publish.

    Models tagged `after_clv` read `marts.dim_user_clv`, which the fit writes, so they are
    built in a second, short dbt invocation once the fit is in. Only a build that succeeded
    is published to the serving snapshot; a failed one raises and leaves the last good one.
    """
    from estore.serving import mark_unpublished, publish
    from estore.transform import build as dbt_build

    _require_loaded(settings)
    mark_unpublished(settings, "build")

    def dbt(**kwargs):
        return dbt_build(
            settings.warehouse,
            settings.workspace,
            vars=settings.dbt_vars,
            full_refresh=full_refresh,
            threads=settings.threads,
            memory_limit=settings.memory_limit,
            progress=progress,
            **kwargs,
        )

    if select is not None:
        result = dbt(select=select)
        if not result.nodes:
            raise EstoreError(
                f"--select {select!r} matches no model, snapshot or test; nothing built or published. "
                "Name a model (e.g. --select fct_sessions) or use dbt's selection syntax (fct_sessions+, tag:after_clv)"
            )
        message = "customer value not refitted: --select builds part of the models"
        return BuildOutcome(result, None, message, publish(settings))
    result = dbt(exclude=f"tag:{AFTER_CLV}")
    clv, message = fit_customer_value(settings)
    after = dbt(select=f"tag:{AFTER_CLV}")
    result = replace(result, nodes=result.nodes + after.nodes, seconds=result.seconds + after.seconds)
    return BuildOutcome(result, clv, message, publish(settings))


def _require_loaded(settings: Settings) -> None:
    """Refuse to build a warehouse no file was ever loaded into: there is nothing to build."""
    loaded = False
    if settings.warehouse.exists():
        with connect(settings.warehouse, read_only=True) as con:
            if table_exists(con, "raw", "load_ledger"):
                (loaded,) = con.execute("select count(*) > 0 from raw.load_ledger").fetchone()
    if not loaded:
        raise EstoreError(
            f"nothing to build: no file has been loaded into {settings.warehouse} yet; "
            "`estore load PATH...` first, or `estore run PATH...` to load and build"
        )


def fit_customer_value(settings: Settings) -> tuple[Any | None, str | None]:
    """Fit BG/NBD + Gamma-Gamma on marts.clv_customer_summary and write marts.dim_user_clv.

    Returns (the fit, None), or (None, why) when the data does not allow a fit (too few repeat
    buyers, say): the previous results, if any, are kept. With no fit at all the after_clv models
    still build, from an empty stg_clv__dim_user_clv.
    """
    from estore.clv import ClvFitError, run_clv

    with connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads) as con:
        try:
            clv = run_clv(
                con,
                horizon_months=settings.clv_horizon_months,
                annual_discount_rate=settings.clv_annual_discount_rate,
            )
        except ClvFitError as exc:
            kept = "previous results kept" if table_exists(con, "marts", "dim_user_clv") else "no earlier fit"
            return None, f"customer value not refitted, {kept}: {exc}"
    return clv, None
