"""Holdout validation of the customer-value model: fit up to a date, compare with what followed."""

from __future__ import annotations

from datetime import date

from estore.errors import EstoreError
from estore.settings import Settings
from estore.warehouse import connect, require_built

CALIBRATION_SUMMARY = "marts.clv_calibration_summary"


def validate_clv(settings: Settings, calibration_end: str):
    """Rebuild the CLV summary with a calibration end date, fit on it and score the holdout.

    The summary model writes to `marts.clv_calibration_summary` when the var
    `clv_calibration_end` is set, so the production `clv_customer_summary` is left alone.
    Returns (an `estore.clv.HoldoutReport`, whether it was published); its tables land in
    `marts.clv_holdout_*`. When the serving snapshot held everything the warehouse did (or only an
    earlier validation was pending), it is published again afterwards (also after a validation
    that failed on the data), so the dashboard does not take the validation for an unfinished
    build; otherwise (files loaded but not built, a build that did not finish) it is left for the
    next `estore build`.
    """
    from estore.serving import mark_unpublished, publish, unpublished_change

    try:
        end = date.fromisoformat(calibration_end)
    except ValueError as exc:
        raise EstoreError(f"--calibration-end {calibration_end!r}: expected a date as YYYY-MM-DD ({exc})") from None
    require_built(settings.warehouse)
    republish = settings.serving.exists() and unpublished_change(settings) in (None, "validate-clv")
    if republish:
        mark_unpublished(settings, "validate-clv")
    try:
        report = _holdout(settings, end)
    except EstoreError:  # a refusal on the data; the production tables are as they were
        if republish:
            publish(settings)
        raise
    if republish:
        publish(settings)
    return report, republish


def _holdout(settings: Settings, end: date):
    from estore.clv import ClvFitError, validate_holdout
    from estore.transform import build

    build(
        settings.warehouse,
        settings.workspace,
        vars={**settings.dbt_vars, "clv_calibration_end": end.isoformat()},
        select="clv_customer_summary",
        threads=settings.threads,
        memory_limit=settings.memory_limit,
    )
    with connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads) as con:
        customers, holdout_days = con.execute(
            f"select count(*), max(holdout_days) from {CALIBRATION_SUMMARY}"
        ).fetchone()
        if not customers or not holdout_days or holdout_days <= 0:
            first, last = con.execute(
                "select cast(min(session_start) as date), cast(max(session_end) as date) from marts.fct_sessions"
            ).fetchone()
            if first is None:
                raise EstoreError("no events in the warehouse yet: `estore run FILES...` first, then validate")
            side = (
                "no purchases up to this date to fit on"
                if not customers
                else "no data after this date to validate against"
            )
            raise EstoreError(
                f"--calibration-end {end}: {side}; pick a date between the first and the last event "
                f"({first} .. {last}), e.g. a few months before the last"
            )
        try:
            return validate_holdout(con, summary_table=CALIBRATION_SUMMARY)
        except ClvFitError as error:
            raise ClvFitError(
                f"--calibration-end {end}: the fit on the data up to this date failed: {error}. "
                "A later date gives it more history."
            ) from None
