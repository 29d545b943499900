"""The dbt manifest Dagster reads to know the models, parsed into the workspace before definitions load.

dagster-dbt needs a manifest.json to turn dbt nodes into assets. It is parsed (no database
connection, no network) into <workspace>/dbt/target/dagster/parse and parsed again only when
a file of the packaged dbt project changed since, so loading definitions costs a JSON read.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

from estore.errors import EstoreError
from estore.settings import Settings
from estore.transform.runner import DBT_PROJECT_DIR, dbt_invocation, environment


def dagster_target(settings: Settings, name: str) -> Path:
    """dbt's target folder for Dagster's dbt invocations called `name` (inside the workspace)."""
    return settings.workspace / "dbt" / "target" / "dagster" / name


def ensure_manifest(settings: Settings) -> Path:
    """The path of an up-to-date manifest.json for the packaged dbt project; parses when needed."""
    target = dagster_target(settings, "parse")
    target.mkdir(parents=True, exist_ok=True)
    manifest = target / "manifest.json"
    stamp_file = target / "estore-parse.json"
    stamp = {"project_dir": str(DBT_PROJECT_DIR), "newest_source": _newest_source()}
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # webserver, daemon and run workers may load at once
        if manifest.exists() and stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp:
            return manifest
        invocation = dbt_invocation(
            settings.warehouse,
            settings.workspace,
            vars=settings.dbt_vars,
            threads=settings.threads,
            memory_limit=settings.memory_limit,
            target_path=target,
        )
        from dbt.cli.main import dbtRunner  # imported here: importing dbt costs seconds

        with environment(invocation.env):
            outcome = dbtRunner().invoke(["parse", *invocation.args, "--log-level", "none", "--no-use-colors"])
        if not outcome.success or not manifest.exists():
            detail = outcome.exception or "see the log"
            raise EstoreError(f"dbt parse failed: {detail} (log: {invocation.log_path / 'dbt.log'})")
        stamp_file.write_text(json.dumps(stamp))
    return manifest


def _newest_source() -> int:
    return max(p.stat().st_mtime_ns for p in DBT_PROJECT_DIR.rglob("*") if p.is_file())
