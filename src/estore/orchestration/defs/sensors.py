"""Sensors that turn landed files into loads and loads into one rebuild.

landing_sensor: every new file version in the landing location becomes a partition and a load
run. Its run key is the file's identity (`<key>@<content hash or etag>`), never a time, so a
file is requested once; a run that failed is requested again on a later tick (`#retry<n>`) up to
[orchestration] load_attempts times. The ledger decides what is actually loaded, so a retry
never duplicates rows. A renamed copy of a file already seen is recorded and not loaded.

build_after_loads: once loads have succeeded and none is still queued or running, one build run
covers all of them, so several files arriving together cause one rebuild, not one per file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import dagster as dg

from estore.orchestration.keys import (
    BUILD_JOB,
    FILES,
    IDENTITY_TAG,
    LANDED_FILES,
    LANDING_SENSOR,
    LOAD_JOB,
    RAW_EVENTS,
    REFUSED_TAG,
)
from estore.orchestration.landing import LandedFile, scan
from estore.orchestration.notify import notify
from estore.orchestration.resources import EstoreResource, definition_settings

UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
HASH_BUDGET = 20  # seconds of hashing per tick (Dagster gives a sensor tick 60 s); the rest on the next tick
_BAD_KEY_PARTS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")  # not allowed in partition keys


@dataclass
class LandingCursor:
    """What the landing sensor remembers between ticks (stored as the sensor's JSON cursor)."""

    seen: dict[str, LandedFile] = field(default_factory=dict)  # key -> last scan (saves re-hashing)
    requested: dict[str, str] = field(default_factory=dict)  # key -> identity whose load was requested
    done: dict[str, str] = field(default_factory=dict)  # key -> identity loaded, or recorded as a duplicate
    gave_up: dict[str, str] = field(default_factory=dict)  # key -> identity that failed load_attempts times

    @classmethod
    def parse(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(
            seen={k: LandedFile(k, *v) for k, v in raw.get("seen", {}).items()},
            requested=raw.get("requested", {}),
            done=raw.get("done", {}),
            gave_up=raw.get("gave_up", {}),
        )

    def dump(self) -> str:
        seen = {k: [f.location, f.size, f.modified, f.identity] for k, f in self.seen.items()}
        return json.dumps(
            {"seen": seen, "requested": self.requested, "done": self.done, "gave_up": self.gave_up}, sort_keys=True
        )


def load_run_key(key: str, identity: str, failed_runs: int) -> str:
    """`<key>@<identity>` for the first request of a file version, `#retry<n>` after n failed runs."""
    return f"{key}@{identity}" + (f"#retry{failed_runs}" if failed_runs else "")


@dg.sensor(
    name=LANDING_SENSOR,
    job_name=LOAD_JOB,
    minimum_interval_seconds=definition_settings().orchestration.sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing location; each new file version becomes a partition and one load run.",
)
def landing_sensor(context: dg.SensorEvaluationContext, estore: EstoreResource) -> dg.SensorResult:
    settings = estore.settings()
    options = settings.orchestration
    state = LandingCursor.parse(context.cursor)
    files = scan(
        settings.landing, known=state.seen, settle_seconds=options.settle_seconds, hash_budget_seconds=HASH_BUDGET
    )
    state.seen = {f.key: f for f in files}
    partitions = set(context.instance.get_dynamic_partitions(FILES.name))

    # identities already taken by a key: a later file with the same content is a renamed copy
    owners = {identity: key for key, identity in {**state.done, **state.requested}.items()}
    new_partitions: list[str] = []
    observations: list[dg.AssetObservation] = []
    requests: list[dg.RunRequest] = []
    for f in files:
        if state.done.get(f.key) == f.identity or state.gave_up.get(f.key) == f.identity:
            continue
        if any(part in f.key for part in _BAD_KEY_PARTS):
            context.log.warning(f"{f.key}: skipped, the name holds characters Dagster cannot use in a partition key")
            continue
        owner = owners.setdefault(f.identity, f.key)
        if owner != f.key:
            context.log.info(f"{f.key}: same content as {owner}; not loaded again")
            state.done[f.key] = f.identity
            continue
        if f.key not in partitions:
            new_partitions.append(f.key)
            observations.append(
                dg.AssetObservation(
                    LANDED_FILES,
                    partition=f.key,
                    metadata={"location": f.location, "size_bytes": f.size, "identity": f.identity},
                )
            )
        runs = context.instance.get_runs(
            dg.RunsFilter(job_name=LOAD_JOB, tags={"dagster/partition": f.key, IDENTITY_TAG: f.identity})
        )
        if any(r.status == dg.DagsterRunStatus.SUCCESS for r in runs):
            state.done[f.key] = f.identity
            state.requested.pop(f.key, None)
            continue
        if any(r.status in UNFINISHED for r in runs):
            continue
        refusal = next((r.tags[REFUSED_TAG] for r in runs if REFUSED_TAG in r.tags), None)
        failed = sum(r.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED) for r in runs)
        if refusal is not None or failed >= options.load_attempts:
            state.gave_up[f.key] = f.identity
            state.requested.pop(f.key, None)
            if refusal is not None:  # the loader refused the file: trying again cannot help (its alert says why)
                context.log.info(f"{f.key}: refused, not retried: {refusal}")
            else:
                notify(
                    f"{f.location}: load failed {failed} times; not retried again. Fix the file (or the "
                    "warehouse) and land it again, or launch the load_file job for this partition by hand.",
                    log=context.log,
                )
            continue
        state.requested[f.key] = f.identity
        requests.append(
            dg.RunRequest(
                run_key=load_run_key(f.key, f.identity, failed),
                partition_key=f.key,
                tags={IDENTITY_TAG: f.identity},
            )
        )
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[FILES.build_add_request(new_partitions)] if new_partitions else [],
        asset_events=observations,
        cursor=state.dump(),
        skip_reason=None if requests else f"no new file to load in {settings.landing}",
    )


@dg.sensor(
    name="build_after_loads",
    job_name=BUILD_JOB,
    minimum_interval_seconds=definition_settings().orchestration.sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One build run after new rows were loaded, once no load is queued or running.",
)
def build_after_loads(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    after = int(context.cursor) if context.cursor else None
    newest, changed = after, 0
    while True:
        page = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=RAW_EVENTS, after_storage_id=newest), limit=500, ascending=True
        )
        for record in page.records:
            newest = record.storage_id
            materialization = record.asset_materialization
            status = materialization.metadata.get("status") if materialization else None
            changed += getattr(status, "value", None) in ("loaded", "replaced")
        if not page.has_more:
            break
    if newest == after:
        return dg.SkipReason("no load since the last build")
    in_flight = context.instance.get_runs(dg.RunsFilter(job_name=LOAD_JOB, statuses=UNFINISHED), limit=1)
    if in_flight:
        return dg.SkipReason("waiting for the loads still queued or running, to build once for all of them")
    if not changed:
        return dg.SensorResult(cursor=str(newest), skip_reason="the new loads added no rows (content already loaded)")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"after-loads-{newest}", tags={"estore/loads": str(changed)})],
        cursor=str(newest),
    )
