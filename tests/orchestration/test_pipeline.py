"""In-process materialization on a temporary workspace, checked against the CLI on the same files.

Two files land (November, December), the landing sensor requests one load per file, the build
sensor one build; the warehouse then equals the one `estore run` builds from the same files. A
third file lands (October, late): only its partition loads, and the models update to what the
CLI gets after loading it too.
"""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest

from estore.orchestration.keys import BUILD_JOB, FILES, IDENTITY_TAG, LANDING_SENSOR, LOAD_JOB, RAW_EVENTS
from estore.orchestration.resources import EstoreResource

from .conftest import land
from .support import assert_same_tables, content_identity, data_lines, fingerprints, query, run_sensor


def load_requested(defs, instance, requests) -> list[dg.ExecuteInProcessResult]:
    job = defs.resolve_job_def(LOAD_JOB)
    return [
        job.execute_in_process(instance=instance, partition_key=r.partition_key, tags=dict(r.tags)) for r in requests
    ]


def cli_run(workspace, *files) -> subprocess.Popen:
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), "run", *map(str, files)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_files_load_once_and_models_match_the_cli(defs, workspace, generated, instance, tmp_path_factory):
    from estore.orchestration.defs.transform import dbt_models, dbt_models_after_clv  # after `defs` loaded them

    cli_ws = tmp_path_factory.mktemp("cli-ws")
    third, first, second = generated  # October arrives after November and December
    cli = cli_run(cli_ws, first, second)  # in parallel with the Dagster runs below
    resources = {"estore": EstoreResource(workspace=str(workspace))}
    landing = workspace / "landing"
    warehouse = workspace / "warehouse.duckdb"

    # two files land: one partition and one load request each, keyed by path and content hash
    land(first, landing)
    land(second, landing)
    tick = run_sensor(defs, LANDING_SENSOR, instance, None, resources)
    assert sorted(r.run_key for r in tick.run_requests) == sorted(
        f"{f.name}@{content_identity(f)}" for f in (first, second)
    )
    assert sorted(instance.get_dynamic_partitions(FILES.name)) == sorted([first.name, second.name])
    assert all(r.success for r in load_requested(defs, instance, tick.run_requests))

    ledger = query(warehouse, "select file_name, rows_loaded, rows_quarantined from raw.load_ledger order by load_id")
    by_name = {path.name: path for path in (first, second)}
    assert sorted(name for name, *_ in ledger) == sorted(by_name)
    for name, loaded, quarantined in ledger:
        assert loaded + quarantined == data_lines(by_name[name])

    # both loads done: one build for both, and none once it has been requested
    build = run_sensor(defs, "build_after_loads", instance, None, {})
    assert len(build.run_requests) == 1
    assert run_sensor(defs, "build_after_loads", instance, build.cursor, {}).run_requests == []
    result = defs.resolve_job_def(BUILD_JOB).execute_in_process(instance=instance)
    assert result.success
    checks = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    # every dbt data test of the two dbt asset groups ran as an asset check; only warn-severity ones may fail
    assert len(checks) == len(dbt_models.check_keys) + len(dbt_models_after_clv.check_keys)
    failed = [e.event_specific_data for e in checks if not e.event_specific_data.passed]
    assert all(c.severity == dg.AssetCheckSeverity.WARN for c in failed)
    # the one warn-level test: rows without user_session, which the models drop
    assert [c.check_name for c in failed] == ["not_null_stg_events_user_session"]

    assert cli.wait(timeout=600) == 0, cli.stdout.read()
    cli_ledger = "select file_name, rows_loaded, rows_quarantined from raw.load_ledger order by file_name"
    assert query(cli_ws / "warehouse.duckdb", cli_ledger) == sorted(ledger)
    dagster_marts = fingerprints(warehouse)
    assert_same_tables(dagster_marts, fingerprints(cli_ws / "warehouse.duckdb"))
    served = fingerprints(workspace / "serving.duckdb", schemas=("marts",))
    assert {k: v for k, v in served.items() if k != "marts.serving_build"} == {
        k: v
        for k, v in dagster_marts.items()
        if k.startswith("marts.") and k not in ("marts.fct_events", "marts.fct_sessions")
    }

    # a third file lands: only its partition is requested and loaded; the earlier loads stay as they were
    cli = cli_run(cli_ws, third)
    land(third, landing)
    tick = run_sensor(defs, LANDING_SENSOR, instance, tick.cursor, resources)
    assert [r.partition_key for r in tick.run_requests] == [third.name]
    assert tick.run_requests[0].tags[IDENTITY_TAG] == content_identity(third)
    assert all(r.success for r in load_requested(defs, instance, tick.run_requests))
    assert (
        query(warehouse, "select file_name, rows_loaded, rows_quarantined from raw.load_ledger order by load_id")[:2]
        == ledger
    )
    assert len(query(warehouse, "select * from raw.load_ledger")) == 3

    build = run_sensor(defs, "build_after_loads", instance, build.cursor, {})
    assert len(build.run_requests) == 1
    assert defs.resolve_job_def(BUILD_JOB).execute_in_process(instance=instance).success
    assert cli.wait(timeout=600) == 0, cli.stdout.read()
    updated = fingerprints(warehouse)
    assert updated["marts.fct_events"][0] > dagster_marts["marts.fct_events"][0]
    assert_same_tables(updated, fingerprints(cli_ws / "warehouse.duckdb"))

    # nothing new: no request; every partition's latest materialization says what the ledger says
    assert run_sensor(defs, LANDING_SENSOR, instance, tick.cursor, resources).run_requests == []
    statuses = {
        r.partition_key: r.asset_materialization.metadata["status"].value
        for r in instance.fetch_materializations(RAW_EVENTS, limit=10).records
    }
    assert statuses == {first.name: "loaded", second.name: "loaded", third.name: "loaded"}

    # the two per-file checks ran in every load and passed, with the file's own line count
    runs = instance.get_runs(dg.RunsFilter(job_name=LOAD_JOB))
    assert len(runs) == 3
    for run in runs:
        checks = {
            e.dagster_event.event_specific_data.check_name: e.dagster_event.event_specific_data
            for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        }
        assert set(checks) == {"rows_accounted_for", "quarantine_share"}
        assert all(c.passed for c in checks.values())
        meta = checks["rows_accounted_for"].metadata
        assert meta["unaccounted"].value == 0
        assert meta["data_lines_in_file"].value == data_lines(landing / run.tags["dagster/partition"])
