"""Where a run keeps its files and which thresholds it uses.

Precedence, lowest first: built-in defaults (the dbt project's vars), the workspace's
`estore.toml`, environment variables, command-line options.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from estore.errors import EstoreError

DEFAULT_WORKSPACE = Path("estore-data")
CONFIG_FILE = "estore.toml"
_SECTIONS = {
    "duckdb": {"memory_limit", "threads"},
    "dbt": {"vars"},
    "clv": {"horizon_months", "annual_discount_rate"},
}


@dataclass(frozen=True)
class Settings:
    workspace: Path
    dbt_vars: dict[str, Any] = field(default_factory=dict)
    memory_limit: str | None = None
    threads: int | None = None
    clv_horizon_months: int = 12
    clv_annual_discount_rate: float = 0.10

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


def load_settings(workspace: Path | str | None = None, cli_vars: dict[str, Any] | None = None) -> Settings:
    """Resolve the workspace (option, then ESTORE_WORKSPACE, then ./estore-data) and its config."""
    ws = Path(workspace or os.environ.get("ESTORE_WORKSPACE") or DEFAULT_WORKSPACE).expanduser().resolve()
    config = _read_config(ws / CONFIG_FILE)
    duck = config.get("duckdb", {})
    clv = config.get("clv", {})
    threads = os.environ.get("ESTORE_THREADS") or duck.get("threads")
    return Settings(
        workspace=ws,
        dbt_vars={k: _jsonable(v) for k, v in {**config.get("dbt", {}).get("vars", {}), **(cli_vars or {})}.items()},
        memory_limit=os.environ.get("ESTORE_MEMORY_LIMIT") or duck.get("memory_limit"),
        threads=int(threads) if threads else None,
        clv_horizon_months=int(clv.get("horizon_months", 12)),
        clv_annual_discount_rate=float(clv.get("annual_discount_rate", 0.10)),
    )


def parse_var(text: str) -> tuple[str, Any]:
    """Parse a `--var key=value` option; the value is read as TOML (numbers, strings, lists)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise EstoreError(f"--var {text!r}: expected KEY=VALUE, e.g. --var churn_days=120")
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
        unknown = set(values) - _SECTIONS[section]
        if unknown:
            raise EstoreError(
                f"{path}: unknown setting(s) {', '.join(sorted(unknown))} in [{section}]; "
                f"known: {', '.join(sorted(_SECTIONS[section]))}"
            )
    return config
