"""Resources bound for every asset, sensor and schedule."""

import dagster as dg

from estore.orchestration.resources import EstoreResource, dbt_resource, definition_settings


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "estore": EstoreResource(workspace=str(definition_settings().workspace)),
            "dbt": dbt_resource(),
        }
    )
