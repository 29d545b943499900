"""The serving snapshot the dashboard and report read: estore.serving.publish after a good build."""

import dagster as dg

from estore.orchestration.dbt_project import keys_where
from estore.orchestration.keys import CUSTOMER_VALUE, SERVING
from estore.orchestration.resources import EstoreResource
from estore.serving import publish


@dg.asset(
    key=SERVING,
    deps=[*keys_where(schema="marts"), CUSTOMER_VALUE],
    group_name="serving",
    description=(
        "<workspace>/serving.duckdb: a read-only copy of the marts, swapped in atomically. Only a run "
        "whose models all built gets here, so the dashboard always shows the last good build."
    ),
)
def serving_snapshot(estore: EstoreResource) -> dg.MaterializeResult:
    published = publish(estore.settings())
    return dg.MaterializeResult(
        metadata={
            "path": str(published.path),
            "built_at": published.built_at.isoformat(),
            "tables": len(published.tables),
            "rows": dg.MetadataValue.json(published.tables),
            "seconds": round(published.seconds, 2),
        }
    )
