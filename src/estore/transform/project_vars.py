"""The dbt project's vars (declared with their defaults in dbt_project.yml) and the check of overrides.

An override from `--var` or estore.toml is checked before dbt runs: a misspelt name would be
ignored by dbt, and a value of the wrong kind would fail deep inside a model's SQL or, worse,
build without an error and mean nothing (a negative session timeout).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from estore.errors import EstoreError
from estore.transform.runner import DBT_PROJECT_DIR

# the least value of each whole-number var
_WHOLE_NUMBERS = {
    "session_timeout_minutes": 1,
    "active_days": 1,
    "declining_days": 1,
    "churn_days": 1,
    "churn_observation_days": 0,
    "rfm_bins": 2,
    "cohort_max_months": 1,
}
_DATES = {"as_of_date", "clv_calibration_end", "migration_from_date", "migration_to_date"}
_DATE = "%Y-%m-%d"
_BOUNDS = {"session_quality_event_bounds", "session_quality_duration_bounds_seconds"}


@cache
def declared() -> dict[str, Any]:
    """Every var of the dbt project with its default."""
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def check(values: Mapping[str, Any], where: Callable[[str], str]) -> None:
    """Raise EstoreError for an unknown var or an invalid value; `where(name)` says where it was set."""
    known = declared()
    for name, value in values.items():
        if name not in known:
            raise EstoreError(f"{where(name)}: unknown dbt var {name!r}; known: {', '.join(sorted(known))}")
        expected = _problem(name, value)
        if expected:
            shown = "null" if value is None else repr(value)
            raise EstoreError(f"{where(name)} = {shown} is not valid; expected {expected}")
    merged = {**known, **values}
    days = [(name, merged[name]) for name in ("active_days", "declining_days", "churn_days")]
    if not days[0][1] <= days[1][1] <= days[2][1]:
        overridden = ", ".join(where(name) for name, _ in days if name in values)
        raise EstoreError(
            "the activity thresholds must not decrease, but "
            + " <= ".join(f"{name} ({value})" for name, value in days)
            + f" does not hold; set by {overridden}"
        )


def _problem(name: str, value: Any) -> str | None:
    """What a valid value of var `name` looks like, if `value` is not one."""
    if name in _WHOLE_NUMBERS:
        least = _WHOLE_NUMBERS[name]
        return None if is_int(value) and value >= least else f"a whole number of at least {least}"
    if name in _DATES:
        return None if value is None or _parses(value, _DATE) else "a date as YYYY-MM-DD, or null"
    if name in _BOUNDS:
        ok = isinstance(value, list) and value and all(is_int(v) and v >= 0 for v in value)
        ok = ok and all(a < b for a, b in zip(value, value[1:], strict=False))
        return None if ok else "a non-empty list of increasing whole numbers of at least 0, e.g. [1, 5, 20]"
    if name == "rfm_segments":
        ok = isinstance(value, list) and value and all(_is_rule(rule) for rule in value)
        return None if ok else 'a list of rules like {name = "Champions", r = [4, 5], fm = [4, 5], action = "..."}'
    raise AssertionError(f"dbt var {name} has no check")  # tests/transform/test_project_vars.py


def is_int(value: Any) -> bool:
    """A whole number, not a bool (settings.py checks its own values with this and is_number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _parses(value: Any, *formats: str) -> bool:
    """Whether `value` is a string in one of the strptime `formats`."""
    for text_format in formats:
        try:
            datetime.strptime(value, text_format)
        except (TypeError, ValueError):
            continue
        return True
    return False


def _is_rule(rule: Any) -> bool:
    """A segment rule: a name, inclusive [min, max] bounds of r_score and fm_score, and optionally
    the action suggested for its customers."""
    if not isinstance(rule, dict) or not {"name", "r", "fm"} <= set(rule) <= {"name", "r", "fm", "action"}:
        return False
    if not isinstance(rule["name"], str) or not rule["name"].strip():
        return False
    if not isinstance(rule.get("action", ""), str):
        return False
    for bounds in (rule["r"], rule["fm"]):
        numbers = isinstance(bounds, list) and len(bounds) == 2 and all(is_number(b) for b in bounds)
        if not numbers or bounds[0] > bounds[1]:
            return False
    return True


def is_number(value: Any) -> bool:
    """A number, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)
