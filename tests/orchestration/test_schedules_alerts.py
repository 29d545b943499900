"""Schedules, failure alerts and the [orchestration] settings."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from estore.errors import EstoreError
from estore.orchestration.keys import BUILD_JOB, RAW_EVENTS, SNAPSHOT_JOB
from estore.orchestration.notify import WEBHOOK_ENV, notify
from estore.settings import load_settings


@pytest.mark.parametrize(
    ("name", "job", "cron"), [("daily_build", BUILD_JOB, "0 3 * * *"), ("weekly_snapshot", SNAPSHOT_JOB, "0 4 * * 1")]
)
def test_schedules_are_on_and_build_only_once_data_is_loaded(defs, name, job, cron):
    schedule = defs.resolve_schedule_def(name)
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (job, cron, "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 11, 30, 3))
        assert isinstance(schedule(context), dg.SkipReason)  # nothing loaded yet
        instance.report_runless_asset_event(dg.AssetMaterialization(RAW_EVENTS))
        request = schedule(context)
        assert isinstance(request, dg.RunRequest)
        assert request.tags["estore/trigger"] == name


def test_weekly_snapshot_runs_the_dbt_snapshots_and_republishes(defs):
    job = defs.resolve_job_def(SNAPSHOT_JOB)
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"snapshots/snap_user_rfm_segment", "snapshots/snap_user_activity_status", "serving_snapshot"} <= keys
    assert "marts/fct_events" not in keys and "raw/events" not in keys


def test_every_sensor_and_schedule_is_on_by_default(defs):
    sensors = {s.name: s.default_status for s in defs.get_repository_def().sensor_defs}
    assert sensors == dict.fromkeys(
        ["landing_sensor", "build_after_loads", "alert_on_run_failure", "landing_sensor_watchdog"],
        dg.DefaultSensorStatus.RUNNING,
    )


def test_stale_sensor_message(defs):
    from estore.orchestration.defs.alerts import stale_message  # after `defs` loaded the modules

    now = 10_000.0
    assert stale_message(now - 60, now, stale_minutes=30, running=True) is None
    assert "not completed a tick for 40 minutes" in stale_message(now - 40 * 60, now, stale_minutes=30, running=True)
    assert "is stopped" in stale_message(now - 60, now, stale_minutes=30, running=False)
    assert stale_message(None, now, stale_minutes=30, running=True) is None


def test_alert_goes_to_the_slack_webhook(monkeypatch):
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv(WEBHOOK_ENV, f"http://127.0.0.1:{server.server_port}/hook")
        assert notify("load_file for 2019-Oct.csv.gz failed") is True
    finally:
        server.shutdown()
    assert received == [{"text": "load_file for 2019-Oct.csv.gz failed"}]


def test_alert_without_webhook_is_a_log_line(monkeypatch, caplog):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    assert notify("build failed") is False
    assert "ESTORE ALERT: build failed" in caplog.text and WEBHOOK_ENV in caplog.text
    monkeypatch.setenv(WEBHOOK_ENV, "http://127.0.0.1:9/unreachable")  # nothing listens: logged, not raised
    assert notify("build failed again") is False
    assert "Slack webhook failed" in caplog.text


def test_orchestration_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("ESTORE_LANDING", raising=False)
    (tmp_path / "estore.toml").write_text(
        '[orchestration]\nlanding = "incoming"\nmax_quarantine_share = 0.2\nsensor_interval_seconds = 5\n'
    )
    settings = load_settings(tmp_path)
    assert settings.landing == str(tmp_path / "incoming")
    assert settings.orchestration.max_quarantine_share == 0.2
    assert settings.orchestration.sensor_interval_seconds == 5
    assert settings.dagster_home == tmp_path / "dagster"
    monkeypatch.setenv("ESTORE_LANDING", "gs://bucket/rees46/")
    assert load_settings(tmp_path).landing == "gs://bucket/rees46"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("max_quarantine_share = 5", "max_quarantine_share = 5 is not valid; expected a number between 0 and 1"),
        ('sensor_interval_seconds = "often"', "sensor_interval_seconds = 'often' is not valid"),
        ("load_attempts = 0", "load_attempts = 0 is not valid; expected a whole number of at least 1"),
        ('daily_build_cron = "daily"', "daily_build_cron = 'daily' is not a cron schedule"),
        ('timezone = "Mars/Olympus"', "timezone = 'Mars/Olympus' is not a known time zone"),
        ("landings = 'x'", "unknown setting(s) landings in [orchestration]"),
    ],
)
def test_bad_orchestration_setting_names_file_and_key(tmp_path, line, message):
    (tmp_path / "estore.toml").write_text(f"[orchestration]\n{line}\n")
    with pytest.raises(EstoreError) as exc:
        load_settings(tmp_path)
    assert str(tmp_path / "estore.toml") in str(exc.value)
    assert message in str(exc.value)


def test_watchdog_alerts_once_when_the_landing_sensor_is_stopped(defs, monkeypatch):
    """A stopped landing sensor: one alert, not one per watchdog tick."""
    from dagster._core.remote_origin import (
        InProcessCodeLocationOrigin,
        RemoteInstigatorOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.scheduler.instigation import InstigatorState, InstigatorStatus, InstigatorType
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    alerts: list[str] = []
    monkeypatch.setattr("estore.orchestration.defs.alerts.notify", lambda message, log=None: alerts.append(message))
    watchdog = defs.resolve_sensor_def("landing_sensor_watchdog")
    location = InProcessCodeLocationOrigin(LoadableTargetOrigin(module_name="estore.orchestration.definitions"))
    origin = RemoteInstigatorOrigin(RemoteRepositoryOrigin(location, "__repository__"), "landing_sensor")
    with dg.instance_for_test() as instance:
        assert "has not run yet" in str(watchdog(dg.build_sensor_context(instance=instance)).skip_reason)
        instance.add_instigator_state(InstigatorState(origin, InstigatorType.SENSOR, InstigatorStatus.STOPPED))
        first = watchdog(dg.build_sensor_context(instance=instance))
        again = watchdog(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert "is stopped" in str(first.skip_reason) and "is stopped" in str(again.skip_reason)
    assert len(alerts) == 1 and "landing_sensor is stopped" in alerts[0]
