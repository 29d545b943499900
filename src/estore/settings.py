"""Where a run keeps its files and which thresholds it uses.

Precedence, lowest first: built-in defaults (the dbt project's vars), the workspace's
`estore.toml`, environment variables, command-line options.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from estore.errors import EstoreError
from estore.transform import project_vars

DEFAULT_WORKSPACE = Path("estore-data")
CONFIG_FILE = "estore.toml"
_SECTIONS = {
    "duckdb": {"memory_limit", "threads"},
    "dbt": {"vars"},
    "clv": {"horizon_months", "annual_discount_rate"},
    "orchestration": {
        "landing",
        "max_quarantine_share",
        "sensor_interval_seconds",
        "settle_seconds",
        "sensor_stale_minutes",
        "load_attempts",
        "daily_build_cron",
        "weekly_snapshot_cron",
        "timezone",
    },
}


@dataclass(frozen=True)
class OrchestrationSettings:
    """How Dagster (`estore ui`, estore.orchestration) watches the landing location and rebuilds.

    `landing` is a folder (relative paths are inside the workspace) or a gs:// / s3:// URL
    (needs the `cloud` extra). The Slack webhook is a secret, so it comes only from the
    environment (ESTORE_SLACK_WEBHOOK_URL), never from the file.
    """

    landing: str = "landing"
    max_quarantine_share: float = 0.01  # above this share of a file's rows in quarantine, its check fails
    sensor_interval_seconds: int = 30  # how often the landing sensor looks for new files
    settle_seconds: int = 30  # a local file must be unchanged this long before it is loaded (still being copied)
    sensor_stale_minutes: int = 30  # warn when the landing sensor has not ticked for this long
    load_attempts: int = 3  # runs per file version before the sensor gives up on it
    daily_build_cron: str = "0 3 * * *"
    weekly_snapshot_cron: str = "0 4 * * 1"
    timezone: str = "UTC"


@dataclass(frozen=True)
class Settings:
    workspace: Path
    dbt_vars: dict[str, Any] = field(default_factory=dict)
    memory_limit: str | None = None
    threads: int | None = None
    clv_horizon_months: int = 12
    clv_annual_discount_rate: float = 0.10
    orchestration: OrchestrationSettings = field(default_factory=OrchestrationSettings)

    @property
    def warehouse(self) -> Path:
        return self.workspace / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        """The read-only snapshot of the marts that the dashboard and report read (estore.serving)."""
        return self.workspace / "serving.duckdb"

    @property
    def logs_dir(self) -> Path:
        return self.workspace / "logs"

    @property
    def config_file(self) -> Path:
        return self.workspace / CONFIG_FILE

    @property
    def landing(self) -> str:
        """The landing location: an absolute folder path, or a URL such as gs://bucket/prefix."""
        landing = self.orchestration.landing
        if "://" in landing:
            return landing.rstrip("/")
        return str((self.workspace / Path(landing).expanduser()).resolve())

    @property
    def dagster_home(self) -> Path:
        return self.workspace / "dagster"


def load_settings(workspace: Path | str | None = None, cli_vars: dict[str, Any] | None = None) -> Settings:
    """Resolve the workspace (option, then ESTORE_WORKSPACE, then ./estore-data) and its config.

    Every value is checked here, so a bad one stops the command before anything runs, with a
    message naming the option, variable or file and setting.
    """
    ws = Path(workspace or os.environ.get("ESTORE_WORKSPACE") or DEFAULT_WORKSPACE).expanduser().resolve()
    existing = next(folder for folder in (ws, *ws.parents) if folder.exists())
    if not existing.is_dir():
        where = f"workspace {ws}" if existing == ws else f"workspace {ws}: {existing}"
        raise EstoreError(f"{where} is a file, not a folder; pass --workspace (or ESTORE_WORKSPACE) a folder")
    path = ws / CONFIG_FILE
    config = _read_config(path)
    duck = config.get("duckdb", {})
    clv = config.get("clv", {})
    cli_vars = cli_vars or {}
    dbt_vars = {k: _jsonable(v) for k, v in {**config.get("dbt", {}).get("vars", {}), **cli_vars}.items()}
    project_vars.check(dbt_vars, lambda name: f"--var {name}" if name in cli_vars else f"{path}: [dbt.vars] {name}")
    threads = _env_or_file("ESTORE_THREADS", path, "duckdb", duck, "threads")
    memory_limit = _env_or_file("ESTORE_MEMORY_LIMIT", path, "duckdb", duck, "memory_limit")
    if memory_limit:
        _check_memory_limit(*memory_limit)
    discount_rate = clv.get("annual_discount_rate", 0.10)
    if not project_vars.is_number(discount_rate) or not 0 <= discount_rate <= 1:
        raise EstoreError(
            f"{path}: [clv] annual_discount_rate = {discount_rate!r} is not valid; "
            "expected a yearly rate between 0 and 1, e.g. 0.10"
        )
    return Settings(
        workspace=ws,
        dbt_vars=dbt_vars,
        memory_limit=memory_limit[1] if memory_limit else None,
        threads=_whole_number(*threads, least=1) if threads else None,
        clv_horizon_months=_whole_number(f"{path}: [clv] horizon_months", clv.get("horizon_months", 12), least=1),
        clv_annual_discount_rate=float(discount_rate),
        orchestration=_orchestration(path, config.get("orchestration", {})),
    )


def _env_or_file(env: str, path: Path, section: str, values: dict[str, Any], key: str) -> tuple[str, Any] | None:
    """(where it was set, value) of a setting the environment overrides, or None when unset."""
    if os.environ.get(env):
        return env, os.environ[env]
    if key in values:
        return f"{path}: [{section}] {key}", values[key]
    return None


def _whole_number(where: str, value: Any, *, least: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # environment variables are text
    if not project_vars.is_int(value) or value < least:
        raise EstoreError(f"{where} = {value!r} is not valid; expected a whole number of at least {least}")
    return value


def _check_memory_limit(where: str, value: Any) -> None:
    """DuckDB itself parses the limit, so what passes here is what the warehouse accepts."""
    try:
        duckdb.connect(config={"memory_limit": str(value)}).close()
    except duckdb.Error:
        raise EstoreError(
            f'{where} = {value!r} is not valid; expected an amount of memory DuckDB accepts, e.g. "4GB" or "80%"'
        ) from None


def _orchestration(path: Path, values: dict[str, Any]) -> OrchestrationSettings:
    """The [orchestration] section, checked value by value; ESTORE_LANDING overrides `landing`."""
    defaults = OrchestrationSettings()
    checked: dict[str, Any] = {}
    for key, value in values.items():
        default = getattr(defaults, key)
        if isinstance(default, str):
            ok = isinstance(value, str) and value.strip() != ""
            expected = "a non-empty string"
        elif isinstance(default, float):
            ok = project_vars.is_number(value) and 0 <= value <= 1
            expected = "a number between 0 and 1"
        else:
            least = 0 if key == "settle_seconds" else 1
            ok = project_vars.is_int(value) and value >= least
            expected = f"a whole number of at least {least}"
        if not ok:
            raise EstoreError(f"{path}: [orchestration] {key} = {value!r} is not valid; expected {expected}")
        checked[key] = value
    for key in ("daily_build_cron", "weekly_snapshot_cron"):
        if key in checked and len(checked[key].split()) != 5:
            raise EstoreError(
                f"{path}: [orchestration] {key} = {checked[key]!r} is not a cron schedule; "
                'expected five fields, e.g. "0 3 * * *"'
            )
    if "timezone" in checked:
        try:
            ZoneInfo(checked["timezone"])
        except (ValueError, ZoneInfoNotFoundError):
            raise EstoreError(
                f"{path}: [orchestration] timezone = {checked['timezone']!r} is not a known time zone; "
                'expected an IANA name such as "UTC" or "Europe/Berlin"'
            ) from None
    if os.environ.get("ESTORE_LANDING"):
        checked["landing"] = os.environ["ESTORE_LANDING"]
    return replace(defaults, **checked)


def parse_var(text: str) -> tuple[str, Any]:
    """Parse a `--var key=value` option; the value is read as TOML (numbers, strings, lists).

    TOML has no null, so the word `null` is read as dbt's null: `--var as_of_date=null` unsets a
    date var that estore.toml sets (a var that cannot be null is refused by its check).
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise EstoreError(f"--var {text!r}: expected KEY=VALUE, e.g. --var churn_days=120")
    if raw.strip() == "null":
        return key.strip(), None
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word is taken as a string
    return key.strip(), _jsonable(value)


def _jsonable(value: Any) -> Any:
    """dbt vars travel as JSON: TOML dates become ISO strings."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def _read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        config = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise EstoreError(f"{path}: not valid TOML ({exc}); fix or remove the file") from exc
    for section, values in config.items():
        if section not in _SECTIONS or not isinstance(values, dict):
            raise EstoreError(f"{path}: unknown section [{section}]; known: {', '.join(sorted(_SECTIONS))}")
        if section == "dbt" and not isinstance(values.get("vars", {}), dict):
            raise EstoreError(f"{path}: [dbt] vars must be a table, e.g. [dbt.vars] then churn_days = 120")
        unknown = set(values) - _SECTIONS[section]
        if unknown:
            raise EstoreError(
                f"{path}: unknown setting(s) {', '.join(sorted(unknown))} in [{section}]; "
                f"known: {', '.join(sorted(_SECTIONS[section]))}"
            )
    return config
