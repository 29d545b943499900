"""The build and the weekly snapshot: which assets each run materializes."""

import dagster as dg

from estore.orchestration.dbt_project import keys_where
from estore.orchestration.keys import BUILD_JOB, LANDED_FILES, RAW_EVENTS, RAW_LEDGER, SNAPSHOT_JOB

build_job = dg.define_asset_job(
    BUILD_JOB,
    # every asset but the files and the load: dbt models with no upstream (built from vars) included
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(LANDED_FILES, RAW_EVENTS, RAW_LEDGER),
    description=(
        "Everything after the raw events, as `estore build`: dbt models and tests, the CLV fit, the "
        "models that read it, then the serving snapshot."
    ),
)

snapshot_job = dg.define_asset_job(
    SNAPSHOT_JOB,
    selection=dg.AssetSelection.assets(*keys_where(resource_type="snapshot")).downstream(),
    description=(
        "dbt snapshots (SCD2 history of RFM segments and activity status), the models that read them "
        "(segment migration) and the serving snapshot: a weekly point in history even when no file lands."
    ),
)
