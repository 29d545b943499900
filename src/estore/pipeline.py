"""The steps a run chains together: load files, build the dbt models, fit customer value.

The CLI (and any orchestrator) calls these functions; no step's logic lives anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from estore.settings import Settings
from estore.warehouse import connect


@dataclass(frozen=True)
class BuildOutcome:
    dbt: Any  # estore.transform.BuildResult
    clv: Any | None  # estore.clv.ClvRun, None when the fit was not possible
    clv_message: str | None  # why there is no new fit, when there is none


def load(settings: Settings, paths: list[str], *, replace: bool = False, progress: Callable | None = None):
    """Load event files into the warehouse exactly once; returns one result per file."""
    from estore.ingest import load as ingest_load

    return ingest_load(
        paths,
        settings.warehouse,
        replace=replace,
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        progress=progress,
    )


def build(
    settings: Settings, *, full_refresh: bool = False, select: str | None = None, progress: Callable | None = None
) -> BuildOutcome:
    """Build every dbt model, then fit the customer-value models on the fresh summary."""
    from estore.clv import ClvFitError, run_clv
    from estore.transform import build as dbt_build

    result = dbt_build(
        settings.warehouse,
        settings.workspace,
        vars=settings.dbt_vars,
        select=select,
        full_refresh=full_refresh,
        threads=settings.threads,
        memory_limit=settings.memory_limit,
        progress=progress,
    )
    if select is not None:
        return BuildOutcome(result, None, "customer value not refitted: --select builds only part of the models")
    with connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads) as con:
        try:
            clv = run_clv(
                con,
                horizon_months=settings.clv_horizon_months,
                annual_discount_rate=settings.clv_annual_discount_rate,
            )
        except ClvFitError as exc:
            return BuildOutcome(result, None, f"customer value not refitted, previous results kept: {exc}")
    return BuildOutcome(result, clv, None)
