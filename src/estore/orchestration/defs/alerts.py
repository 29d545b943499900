"""Failure alerts: every failed run, and a landing sensor that has stopped ticking.

Alerts go to Slack when ESTORE_SLACK_WEBHOOK_URL is set, and to the log always (estore.orchestration.notify).
"""

from __future__ import annotations

import os
import time

import dagster as dg

# instigator states and ticks have no public import path in Dagster 1.13
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType, TickStatus

from estore.orchestration.keys import LANDING_SENSOR, REFUSED_TAG
from estore.orchestration.notify import notify
from estore.orchestration.resources import definition_settings

UI_URL_ENV = "ESTORE_UI_URL"  # set by `estore ui`, so an alert links to the run


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends every failed run to Slack (ESTORE_SLACK_WEBHOOK_URL) or logs it.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    error = context.failure_event.message if context.failure_event else None
    notify(failure_alert(context.dagster_run, error, os.environ.get(UI_URL_ENV)), log=context.log)


def failure_alert(run: dg.DagsterRun, error: str | None, ui_url: str | None) -> str:
    """The alert for a failed run: job, file, why (a refused file's reason, else Dagster's message), link."""
    partition = run.tags.get("dagster/partition")
    what = f"{run.job_name}" + (f" for {partition}" if partition else "")
    why = run.tags.get(REFUSED_TAG) or error or "no error message"
    link = f" {ui_url.rstrip('/')}/runs/{run.run_id}" if ui_url else ""
    return f"estore run failed: {what} (run {run.run_id[:8]}): {why}{link}"


def _last_good_tick(instance: dg.DagsterInstance, state) -> tuple[bool, float | None]:
    """Whether the sensor is on, and when it last completed a tick (one that raised does not count)."""
    ticks = instance.get_ticks(
        state.instigator_origin_id, state.selector_id, limit=1, statuses=[TickStatus.SUCCESS, TickStatus.SKIPPED]
    )
    running = state.status in (InstigatorStatus.RUNNING, InstigatorStatus.DECLARED_IN_CODE)
    return running, ticks[0].timestamp if ticks else None


def stale_message(last_tick: float | None, now: float, stale_minutes: int, running: bool) -> str | None:
    """Why the landing sensor needs attention, or None when it ticked recently enough."""
    if not running:
        return f"the {LANDING_SENSOR} is stopped: new files are not detected; start it in the UI (Automation)"
    if last_tick is None:
        return None  # it has never run yet: nothing to compare with
    minutes = (now - last_tick) / 60
    if minutes > stale_minutes:
        return (
            f"the {LANDING_SENSOR} has not completed a tick for {minutes:.0f} minutes (limit {stale_minutes}); "
            "new files are not being detected: see its ticks in the UI (Automation) for errors"
        )
    return None


@dg.sensor(
    name="landing_sensor_watchdog",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Warns once when the landing sensor is stopped or has not completed a tick for sensor_stale_minutes.",
)
def landing_sensor_watchdog(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    states = [
        s
        for s in context.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        if s.instigator_name == LANDING_SENSOR
    ]
    if not states:
        return dg.SensorResult(skip_reason=f"the {LANDING_SENSOR} has not run yet")
    # one state per code location that ever held the sensor: watch the running one that ticked last
    ticks = [_last_good_tick(context.instance, state) for state in states]
    running, last_tick = max(ticks, key=lambda tick: (tick[0], tick[1] or 0.0))
    stale_minutes = definition_settings().orchestration.sensor_stale_minutes
    message = stale_message(last_tick, time.time(), stale_minutes, running)
    episode = f"{running}:{last_tick}"  # one alert per stale episode, not one per watchdog tick
    if message is None:
        return dg.SensorResult(skip_reason=f"the {LANDING_SENSOR} ticked recently", cursor=None)
    if context.cursor != episode:
        notify(message, log=context.log)
    return dg.SensorResult(skip_reason=message, cursor=episode)
