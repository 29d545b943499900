"""The daily build and the weekly snapshot, both running by default ([orchestration] crons, timezone)."""

import dagster as dg

from estore.orchestration.keys import BUILD_JOB, RAW_EVENTS, SNAPSHOT_JOB
from estore.orchestration.resources import definition_settings

_options = definition_settings().orchestration


def _nothing_loaded(context: dg.ScheduleEvaluationContext) -> bool:
    return not context.instance.fetch_materializations(RAW_EVENTS, limit=1).records


@dg.schedule(
    name="daily_build",
    job_name=BUILD_JOB,
    cron_schedule=_options.daily_build_cron,
    execution_timezone=_options.timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rebuilds every model, CLV and the serving snapshot once a day (as-of dates move on).",
)
def daily_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    if _nothing_loaded(context):
        return dg.SkipReason("no file has been loaded yet; nothing to build")
    return dg.RunRequest(tags={"estore/trigger": "daily_build"})


@dg.schedule(
    name="weekly_snapshot",
    job_name=SNAPSHOT_JOB,
    cron_schedule=_options.weekly_snapshot_cron,
    execution_timezone=_options.timezone,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Records the weekly SCD2 snapshots of RFM segments and activity status, then republishes.",
)
def weekly_snapshot(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    if _nothing_loaded(context):
        return dg.SkipReason("no file has been loaded yet; nothing to snapshot")
    return dg.RunRequest(tags={"estore/trigger": "weekly_snapshot"})
