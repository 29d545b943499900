"""The landing and build sensors, tick by tick, on a small workspace of their own (no dbt runs)."""

from __future__ import annotations

import gzip
import re

import dagster as dg
import pytest

from estore.orchestration.defs.alerts import failure_alert
from estore.orchestration.keys import BUILD_JOB, CUSTOMER_VALUE, FILES, IDENTITY_TAG, LOAD_JOB, RAW_EVENTS, REFUSED_TAG
from estore.orchestration.resources import EstoreResource, dbt_resource

from .conftest import ORCHESTRATION_TOML, land
from .support import content_identity, data_lines, query, run_sensor


@pytest.fixture
def setup(tmp_path, defs):
    """A fresh workspace and instance, and the definitions with their estore resource on that workspace."""
    # imported once `defs` has loaded the modules for the test workspace (they read it at import)
    from estore.orchestration.defs.clv import customer_value
    from estore.orchestration.defs.ingest import landed_files, load_file_job, raw_events
    from estore.orchestration.defs.jobs import build_job
    from estore.orchestration.defs.sensors import build_after_loads, landing_sensor
    from estore.orchestration.defs.serving import serving_snapshot
    from estore.orchestration.defs.transform import dbt_models, dbt_models_after_clv

    ws = tmp_path / "ws"
    (ws / "landing").mkdir(parents=True)
    (ws / "estore.toml").write_text(ORCHESTRATION_TOML)
    resources = {"estore": EstoreResource(workspace=str(ws))}
    small = dg.Definitions(
        assets=[landed_files, raw_events, dbt_models, dbt_models_after_clv, customer_value, serving_snapshot],
        jobs=[load_file_job, build_job],
        sensors=[landing_sensor, build_after_loads],
        resources={**resources, "dbt": dbt_resource()},
    )
    with dg.instance_for_test() as instance:
        yield ws, instance, small, resources


def tick(small, instance, cursor, resources, name="landing_sensor"):
    return run_sensor(small, name, instance, cursor, resources)


def load(small, instance, request) -> dg.ExecuteInProcessResult:
    return small.resolve_job_def(LOAD_JOB).execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=dict(request.tags), raise_on_error=False
    )


def raw_events_materialization(run: dg.ExecuteInProcessResult):
    [materialization] = [
        e.event_specific_data.materialization
        for e in run.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == dg.AssetKey(["raw", "events"])
    ]
    return materialization


def test_nothing_new_means_no_run(setup):
    ws, instance, small, resources = setup
    result = tick(small, instance, None, resources)
    assert result.run_requests == []
    assert "no new file" in str(result.skip_reason)
    assert instance.get_dynamic_partitions(FILES.name) == []


def test_one_new_file_is_one_partition_and_one_load(setup, generated):
    ws, instance, small, resources = setup
    path = land(generated[0], ws / "landing", "2019/Oct.csv.gz")
    result = tick(small, instance, None, resources)
    [request] = result.run_requests
    assert request.partition_key == "2019/Oct.csv.gz"
    assert request.run_key == f"2019/Oct.csv.gz@{content_identity(path)}"
    assert instance.get_dynamic_partitions(FILES.name) == ["2019/Oct.csv.gz"]
    [observation] = result.asset_events
    assert observation.metadata["size_bytes"].value == path.stat().st_size

    assert load(small, instance, request).success
    loaded, quarantined = query(ws / "warehouse.duckdb", "select rows_loaded, rows_quarantined from raw.load_ledger")[0]
    assert loaded + quarantined == data_lines(path)
    # the same file again on the next tick: nothing to do, the run key was used once
    again = tick(small, instance, result.cursor, resources)
    assert again.run_requests == []
    # the build sensor asks for one build for the load
    build = tick(small, instance, None, {}, name="build_after_loads")
    [materialization] = instance.fetch_materializations(RAW_EVENTS, limit=10).records
    assert [(r.run_key, r.tags["estore/loads"]) for r in build.run_requests] == [
        (f"after-loads-{materialization.storage_id}", "1")
    ]
    assert build.cursor == str(materialization.storage_id)


def well_formed(line: str) -> bool:
    fields = line.split(",")
    if len(fields) != 9 or fields[1] not in ("view", "cart", "purchase"):
        return False
    if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", fields[0]):
        return False
    try:
        return float(fields[6]) >= 0
    except ValueError:
        return False


def test_a_file_with_too_many_bad_rows_loads_and_fails_its_quarantine_check(setup, generated):
    ws, instance, small, resources = setup
    with gzip.open(generated[0], "rt") as f:
        header, *lines = f.read().splitlines()
    lines = [line for line in lines if well_formed(line)][:2000]  # the generator's own dirt left out
    bad = set(range(0, len(lines), 10))  # every tenth row has a non-numeric price: 10% > max 5%
    rows = [",".join([*line.split(",")[:6], "n/a", *line.split(",")[7:]]) if i in bad else line
            for i, line in enumerate(lines)]  # fmt: skip
    (ws / "landing" / "dirty.csv").write_text("\n".join([header, *rows]) + "\n")
    [request] = tick(small, instance, None, resources).run_requests
    result = load(small, instance, request)
    assert result.success  # the good rows are in; the check says what is wrong
    checks = {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["rows_accounted_for"].passed
    assert not checks["quarantine_share"].passed
    assert checks["quarantine_share"].metadata["quarantine_share"].value == pytest.approx(len(bad) / len(lines))
    assert query(ws / "warehouse.duckdb", "select rows_loaded, rows_quarantined from raw.load_ledger") == [
        (len(lines) - len(bad), len(bad))
    ]
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("10.00% of the rows went to raw.quarantine (limit 5.00%)" in m for m in logged)  # the alert


def test_renamed_duplicate_is_not_loaded_again(setup, generated):
    ws, instance, small, resources = setup
    land(generated[0], ws / "landing", "oct.csv.gz")
    first = tick(small, instance, None, resources)
    assert load(small, instance, first.run_requests[0]).success

    land(generated[0], ws / "landing", "october-copy.csv.gz")  # same bytes, new name
    second = tick(small, instance, first.cursor, resources)
    assert second.run_requests == []
    assert instance.get_dynamic_partitions(FILES.name) == ["oct.csv.gz"]
    assert query(ws / "warehouse.duckdb", "select count(*) from raw.load_ledger") == [(1,)]
    # a renamed copy landing together with its original is caught in the same tick too
    land(generated[1], ws / "landing", "nov.csv.gz")
    land(generated[1], ws / "landing", "nov-again.csv.gz")
    third = tick(small, instance, second.cursor, resources)
    assert [r.partition_key for r in third.run_requests] == ["nov-again.csv.gz"]


def test_same_rows_in_other_bytes_are_skipped_and_audited_against_the_first_load(setup, generated):
    ws, instance, small, resources = setup
    land(generated[0], ws / "landing", "oct.csv.gz")
    first = tick(small, instance, None, resources)
    assert load(small, instance, first.run_requests[0]).success
    (ws / "landing" / "oct.csv").write_bytes(gzip.decompress(generated[0].read_bytes()))  # the same rows, unzipped
    second = tick(small, instance, first.cursor, resources)
    [request] = second.run_requests  # other bytes: the sensor cannot tell, the loader can
    run = load(small, instance, request)
    assert run.success
    materialization = raw_events_materialization(run)
    [(first_load,)] = query(ws / "warehouse.duckdb", "select load_id from raw.load_ledger")
    assert materialization.metadata["status"].value == "skipped"
    assert materialization.metadata["load_id"].value == first_load
    checks = {c.check_name: c.passed for c in run.get_asset_check_evaluations()}
    assert checks == {"rows_accounted_for": True, "quarantine_share": True}
    rows = "select (select count(*) from raw.events) + (select count(*) from raw.quarantine)"
    assert query(ws / "warehouse.duckdb", rows) == [(data_lines(generated[0]),)]  # the rows of one load, not two


def test_a_refused_file_is_not_retried_and_its_alert_says_why(setup):
    ws, instance, small, resources = setup
    bad = ws / "landing" / "broken.csv.gz"
    bad.write_bytes(gzip.compress(b"not,the,rees46,header\n1,2,3,4\n"))
    first = tick(small, instance, None, resources)
    [request] = first.run_requests
    assert not load(small, instance, request).success  # refused: wrong header
    [run] = instance.get_runs(dg.RunsFilter(job_name=LOAD_JOB))
    assert run.tags[REFUSED_TAG].startswith(f"{ws / 'landing' / 'broken.csv.gz'}: header does not match")
    alert = failure_alert(run, "Execution of run for load_file failed.", "http://127.0.0.1:3000")
    assert alert == (
        f"estore run failed: load_file for broken.csv.gz (run {run.run_id[:8]}): {run.tags[REFUSED_TAG]} "
        f"http://127.0.0.1:3000/runs/{run.run_id}"
    )
    assert tick(small, instance, first.cursor, resources).run_requests == []  # retrying cannot help


def test_failed_load_is_retried_on_a_later_tick_then_given_up(setup, generated, monkeypatch):
    """A load that fails for another reason (the warehouse, the disk) is retried load_attempts times."""
    ws, instance, small, resources = setup
    alerts: list[str] = []
    monkeypatch.setattr("estore.orchestration.defs.sensors.notify", lambda message, log=None: alerts.append(message))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("estore.orchestration.defs.ingest.pipeline.load", disk_full)
    bad = land(generated[0], ws / "landing", "broken.csv.gz")
    first = tick(small, instance, None, resources)
    [request] = first.run_requests
    assert not load(small, instance, request).success
    [run] = instance.get_runs(dg.RunsFilter(job_name=LOAD_JOB))
    assert REFUSED_TAG not in run.tags

    second = tick(small, instance, first.cursor, resources)
    [retry] = second.run_requests
    assert retry.run_key == f"broken.csv.gz@{content_identity(bad)}#retry1"
    assert retry.tags[IDENTITY_TAG] == content_identity(bad)
    assert not load(small, instance, retry).success

    third = tick(small, instance, second.cursor, resources)  # load_attempts = 2: given up, with an alert
    assert third.run_requests == []
    assert len(alerts) == 1 and "broken.csv.gz: load failed 2 times" in alerts[0]
    assert tick(small, instance, third.cursor, resources).run_requests == []
    monkeypatch.undo()

    # the disk has room again and a new version of the file lands: a new identity, a new first request
    fixed = land(generated[2], ws / "landing", "broken.csv.gz")
    fourth = tick(small, instance, third.cursor, resources)
    assert [r.run_key for r in fourth.run_requests] == [f"broken.csv.gz@{content_identity(fixed)}"]
    assert load(small, instance, fourth.run_requests[0]).success
    assert query(ws / "warehouse.duckdb", "select file_name, status from raw.load_ledger") == [
        ("broken.csv.gz", "loaded")
    ]


def test_a_repeated_load_run_adds_no_rows(setup, generated):
    """A retry of a load that had committed (e.g. the run died after the commit) is skipped by the ledger."""
    ws, instance, small, resources = setup
    land(generated[0], ws / "landing")
    [request] = tick(small, instance, None, resources).run_requests
    assert load(small, instance, request).success
    before = query(ws / "warehouse.duckdb", "select count(*) from raw.events")
    again = load(small, instance, request)
    assert again.success
    materialization = raw_events_materialization(again)
    assert materialization.metadata["status"].value == "skipped"
    assert query(ws / "warehouse.duckdb", "select count(*) from raw.events") == before
    assert query(ws / "warehouse.duckdb", "select count(*) from raw.load_ledger") == [(1,)]


def test_build_waits_for_loads_in_flight_and_builds_once(setup, generated):
    ws, instance, small, resources = setup
    for path in generated[:2]:
        land(path, ws / "landing")
    requests = tick(small, instance, None, resources).run_requests
    assert load(small, instance, requests[0]).success
    # the second load has not finished (its run exists, not started): no build yet
    job = small.resolve_job_def(LOAD_JOB)
    queued = instance.create_run_for_job(
        job, status=dg.DagsterRunStatus.NOT_STARTED, tags={"dagster/partition": requests[1].partition_key}
    )
    waiting = tick(small, instance, None, {}, name="build_after_loads")
    assert waiting.run_requests == [] and "waiting" in str(waiting.skip_reason)
    instance.report_run_canceled(queued)
    assert load(small, instance, requests[1]).success
    build = tick(small, instance, waiting.cursor, {}, name="build_after_loads")
    assert len(build.run_requests) == 1  # one build for both files
    assert tick(small, instance, build.cursor, {}, name="build_after_loads").run_requests == []


def test_build_without_enough_data_for_a_fit_still_publishes(setup):
    """As `estore build`: no CLV fit is possible (no data yet), the run succeeds and says why."""
    ws, instance, small, _ = setup
    result = small.resolve_job_def(BUILD_JOB).execute_in_process(instance=instance)
    assert result.success
    [fit] = [m.metadata for m in _materializations(result, CUSTOMER_VALUE)]
    assert fit["refitted"].value is False
    assert fit["reason"].value.startswith("customer value not refitted, no earlier fit: ")
    # the models after the fit built empty, and the snapshot was published
    assert query(ws / "warehouse.duckdb", "select count(*) from marts.churn_comparison_users") == [(0,)]
    assert query(ws / "serving.duckdb", "select events, files_loaded from marts.serving_build") == [(0, 0)]


def _materializations(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> list:
    return [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == key
    ]


def test_url_landing_through_fsspec(tmp_path, generated):
    """A URL landing location lists, identifies and fetches files through fsspec (memory:// here)."""
    import fsspec

    from estore.orchestration.landing import local_copy, scan

    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/in/2019-Oct.csv.gz", generated[0].read_bytes())
    fs.pipe("/bucket/in/.hidden.csv.gz", b"x")
    [found] = scan("memory://bucket/in")
    assert found.key == "2019-Oct.csv.gz" and found.size == generated[0].stat().st_size
    assert found.identity.startswith("etag:")
    with local_copy("memory://bucket/in", found.key, tmp_path / "downloads") as path:
        assert path.read_bytes() == generated[0].read_bytes()
    assert not (tmp_path / "downloads" / found.key).exists()


def test_scan_hashes_within_a_budget_and_reuses_known_hashes(tmp_path, generated):
    """Hashing stops once the budget is spent (at least one file per call); known files are not rehashed."""
    from estore.ingest.discover import load_order
    from estore.orchestration.landing import scan

    files = sorted(generated, key=lambda p: load_order(p.name))  # scan lists and hashes in load order
    for path in files:
        land(path, tmp_path)
    first = scan(str(tmp_path), hash_budget_seconds=0)
    assert [f.key for f in first] == [files[0].name]
    assert first[0].identity == content_identity(files[0])
    second = scan(str(tmp_path), known={f.key: f for f in first}, hash_budget_seconds=0)
    assert [f.key for f in second] == [p.name for p in files[:2]]
    everything = scan(str(tmp_path), known={f.key: f for f in second})
    assert [f.identity for f in everything] == [content_identity(p) for p in files]
    # a file still being written (modified within settle_seconds) is not listed yet
    assert scan(str(tmp_path), settle_seconds=3600) == []
