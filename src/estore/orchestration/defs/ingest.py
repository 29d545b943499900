"""Landed files and raw events: one partition per landed file, loaded exactly once by the library.

The load is estore.pipeline.load, the function `estore load` calls: the ingest ledger decides
whether the file is new (loaded), already there (skipped) or changed (refused), so a retried or
repeated run never duplicates rows. Two checks per file: its rows are all accounted for, and its
quarantined share stays under [orchestration] max_quarantine_share.
"""

from pathlib import Path

import dagster as dg

from estore import pipeline
from estore.orchestration.audit import audit_load
from estore.orchestration.keys import FILES, LANDED_FILES, LOAD_JOB, RAW_EVENTS, RAW_LEDGER, REFUSED_TAG
from estore.orchestration.landing import local_copy, location_of
from estore.orchestration.notify import notify
from estore.orchestration.resources import EstoreResource

landed_files = dg.AssetSpec(
    LANDED_FILES,
    partitions_def=FILES,
    group_name="raw",
    description=(
        "Event files in the landing location (a folder, or a gs:// / s3:// URL). Written by whoever "
        "delivers the data; the landing sensor records each new file version as an observation."
    ),
)


@dg.multi_asset(
    name="raw_events",
    partitions_def=FILES,
    specs=[
        dg.AssetSpec(
            RAW_EVENTS,
            deps=[LANDED_FILES],
            group_name="raw",
            description=(
                "raw.events and raw.quarantine: the rows of one landed file (good rows, and refused lines "
                "with their reason), loaded exactly once in one transaction by estore.pipeline.load."
            ),
        ),
        dg.AssetSpec(
            RAW_LEDGER,
            deps=[LANDED_FILES],
            group_name="raw",
            description="raw.load_ledger: one row per loaded file version, the ground truth of what is loaded.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "rows_accounted_for",
            asset=RAW_EVENTS,
            description="Rows in raw.events plus rows in raw.quarantine for the file's load equal its data lines.",
        ),
        dg.AssetCheckSpec(
            "quarantine_share",
            asset=RAW_EVENTS,
            description="The share of the file's rows sent to raw.quarantine is at most max_quarantine_share.",
        ),
    ],
)
def raw_events(context: dg.AssetExecutionContext, estore: EstoreResource):
    settings = estore.settings()
    key = context.partition_key
    with local_copy(settings.landing, key, settings.dagster_home / "downloads") as path:
        [result] = pipeline.load(settings, [str(path)])
        context.log.info(f"{key}: {result.status}; {result.message or ''}".rstrip("; "))
        if result.status == "refused":  # the file itself is wrong: the landing sensor does not retry it
            context.instance.add_run_tags(context.run_id, {REFUSED_TAG: (result.message or "refused")[:1000]})
            raise dg.Failure(description=result.message, metadata={"file": location_of(settings.landing, key)})
        assert result.load_id is not None  # a loaded, replaced or skipped file names the load holding it
        audit = audit_load(settings, Path(path), result.load_id)

    metadata = {
        "file": location_of(settings.landing, key),
        "status": result.status,  # loaded, replaced or skipped (this content was already loaded)
        "rows_loaded": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "seconds": round(result.seconds, 2),
        "message": result.message or "",
        "load_id": audit.load_id,
    }
    yield dg.MaterializeResult(asset_key=RAW_EVENTS, metadata=metadata)
    yield dg.MaterializeResult(asset_key=RAW_LEDGER, metadata={"status": result.status, "load_id": audit.load_id})
    limit = settings.orchestration.max_quarantine_share
    accounted = dg.AssetCheckResult(
        check_name="rows_accounted_for",
        passed=audit.accounted_for,
        metadata={
            "load_id": audit.load_id,
            "data_lines_in_file": audit.data_lines,
            "rows_in_raw_events": audit.rows_loaded,
            "rows_in_quarantine": audit.rows_quarantined,
            "unaccounted": audit.data_lines - audit.rows_loaded - audit.rows_quarantined,
        },
    )
    share = dg.AssetCheckResult(
        check_name="quarantine_share",
        passed=audit.quarantine_share <= limit,
        metadata={
            "quarantine_share": dg.MetadataValue.float(audit.quarantine_share),
            "max_quarantine_share": dg.MetadataValue.float(limit),
            "rows_in_quarantine": audit.rows_quarantined,
            "data_lines_in_file": audit.data_lines,
        },
    )
    yield accounted
    yield share
    if not audit.accounted_for:
        notify(
            f"{key}: {audit.data_lines:,} data lines in the file but {audit.rows_loaded:,} loaded + "
            f"{audit.rows_quarantined:,} quarantined (load {audit.load_id})",
            log=context.log,
        )
    if audit.quarantine_share > limit:
        notify(
            f"{key}: {audit.quarantine_share:.2%} of the rows went to raw.quarantine (limit {limit:.2%}); "
            f"see raw.quarantine where load_id = {audit.load_id}",
            log=context.log,
        )


load_file_job = dg.define_asset_job(
    LOAD_JOB,
    selection=dg.AssetSelection.assets(RAW_EVENTS, RAW_LEDGER),
    partitions_def=FILES,
    description="Load one landed file (a partition) into raw.events, exactly once.",
)
