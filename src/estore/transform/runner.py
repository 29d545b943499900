"""Run `dbt build` on the packaged project in-process and report per-node results.

Everything dbt writes goes to the workspace (target/ under <workspace>/dbt/target, logs under
<workspace>/logs); the packaged project directory is only read.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from estore.errors import EstoreError
from estore.warehouse import connect, in_use_message

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt"
_FAILED = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class NodeResult:
    """One model, snapshot, data test or unit test of a build."""

    name: str
    resource_type: str  # model, snapshot, test, unit_test
    status: str  # success, error, pass, fail, warn, skipped
    seconds: float
    rows: int | None = None  # rows written (models, snapshots) when dbt reports it
    failures: int | None = None  # failing rows (data tests)
    message: str | None = None
    sql: str | None = None  # the compiled query of a data test that failed or warned

    @property
    def failed(self) -> bool:
        return self.status in _FAILED


@dataclass(frozen=True)
class BuildResult:
    success: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)
    target_path: Path | None = None

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.failed]

    @property
    def warnings(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status == "warn"]

    def node(self, name: str) -> NodeResult:
        """The result of the node called `name` (a model, snapshot or test name)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


@dataclass(frozen=True)
class DbtInvocation:
    """What every dbt command on the packaged project needs, for this workspace.

    `args` follow the dbt command name (project, profiles, target and log paths, vars); `env`
    holds the variables the profile reads. The CLI's in-process build and Dagster's dbt assets
    (estore.orchestration) both start from here, so they build the same warehouse.
    """

    args: list[str]
    env: dict[str, str]
    warehouse: Path
    target_path: Path
    log_path: Path

    @property
    def build_args(self) -> list[str]:
        """`dbt build` of every model, snapshot and data test. Not the unit tests: dbt advises
        running those in development and CI only, since their inputs never change."""
        return ["build", *self.args, "--exclude-resource-type", "unit_test"]


def dbt_invocation(
    warehouse: Path,
    workspace: Path,
    *,
    vars: Mapping[str, Any] | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    target_path: Path | None = None,
) -> DbtInvocation:
    """The arguments and environment for a dbt command on `warehouse`, writing only into `workspace`.

    `target_path` defaults to <workspace>/dbt/target; both it and <workspace>/logs are created.
    """
    warehouse = Path(warehouse).resolve()
    workspace = Path(workspace).resolve()
    target_path = Path(target_path).resolve() if target_path else workspace / "dbt" / "target"
    log_path = workspace / "logs"
    target_path.mkdir(parents=True, exist_ok=True)
    log_path.mkdir(parents=True, exist_ok=True)
    args = [
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(log_path),
        "--vars", json.dumps(dict(vars or {}), default=str),
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
    ]  # fmt: skip
    env = {
        "ESTORE_WAREHOUSE": str(warehouse),
        "ESTORE_DUCKDB_THREADS": str(threads or os.cpu_count() or 1),
        "ESTORE_DUCKDB_MEMORY_LIMIT": memory_limit or _default_memory_limit(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return DbtInvocation(args, env, warehouse, target_path, log_path)


def build(
    warehouse: Path,
    workspace: Path,
    *,
    vars: Mapping[str, Any] | None = None,
    select: str | None = None,
    exclude: str | None = None,
    full_refresh: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build every model, snapshot and data test (or the `select`ed ones) of the packaged dbt project.

    `vars` override the project's vars (see dbt_project.yml); `threads` and `memory_limit`
    configure DuckDB. `progress` is called with a node's name when dbt starts it. Raises
    EstoreError naming each failing model or test with dbt's message. dbt's unit tests are not
    run: their inputs are fixed, so they prove nothing new on a data build (see `unit_test`).
    """
    invocation = dbt_invocation(warehouse, workspace, vars=vars, threads=threads, memory_limit=memory_limit)
    args = invocation.build_args
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if full_refresh:
        args.append("--full-refresh")
    return _invoke(invocation, args, threads=threads, memory_limit=memory_limit, progress=progress)


def unit_test(warehouse: Path, workspace: Path) -> BuildResult:
    """Run the dbt unit tests of the packaged project (hand-made rows in, expected rows out).

    dbt reads the column types of a unit test's inputs from the warehouse, so it must hold a
    build. Raises EstoreError naming each failing unit test.
    """
    invocation = dbt_invocation(warehouse, workspace)
    return _invoke(invocation, ["test", *invocation.args, "--select", "test_type:unit"])


def _invoke(
    invocation: DbtInvocation,
    args: list[str],
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run one dbt command in-process and collect its per-node results."""
    log_path = invocation.log_path
    # make sure the raw schema exists, so a fresh warehouse builds (to empty marts)
    connect(invocation.warehouse, memory_limit=memory_limit, threads=threads).close()

    args = [*args, "--log-level", "none", "--log-level-file", "info", "--no-use-colors"]
    callbacks = [_progress_callback(progress)] if progress else []

    from dbt.cli.main import dbtRunner  # imported here: importing dbt costs seconds

    started = time.perf_counter()
    try:
        with environment(invocation.env), _noticing_ctrl_c() as interrupted:
            outcome = dbtRunner(callbacks=callbacks).invoke(args)
    finally:
        _release_warehouse()
    seconds = time.perf_counter() - started

    # Ctrl-C: dbt stopped and handed it back, or something in dbt swallowed it (dbt's partial-parse
    # reader catches every exception and parses again) and the build went on
    if isinstance(outcome.exception, KeyboardInterrupt) or interrupted.is_set():
        raise KeyboardInterrupt(
            f"dbt {args[0]} stopped; no model is half-written (each is as it was or as this build made it) "
            f"and the next build brings the rest up to date (log: {log_path / 'dbt.log'})"
        ) from outcome.exception
    if outcome.exception is not None:
        if "Could not set lock" in str(outcome.exception):  # another process took the warehouse meanwhile
            raise EstoreError(in_use_message(invocation.warehouse, str(outcome.exception)))
        raise EstoreError(f"dbt {args[0]} could not run: {outcome.exception} (log: {log_path / 'dbt.log'})")
    nodes, tables = _node_results(outcome.result)
    nodes = _with_row_counts(invocation.warehouse, nodes, tables)
    result = BuildResult(
        success=bool(outcome.success), seconds=seconds, nodes=nodes, target_path=invocation.target_path
    )
    if not result.success:
        raise EstoreError(_failure_message(args[0], result, log_path, invocation.warehouse))
    return result


@contextmanager
def _noticing_ctrl_c() -> Iterator[threading.Event]:
    """An event set when SIGINT arrives during the block; the signal is then handled as before."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
        yield interrupted
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        interrupted.set()
        (previous if callable(previous) else signal.default_int_handler)(signum, frame)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _release_warehouse() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the life of the process.

    Without this the warehouse file stays open (and locked against other processes) after the
    build, and estore's own connect() with other settings fails in this process.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            env.close()


def _default_memory_limit() -> str:
    """DuckDB's own default (80% of RAM), made explicit for the profile."""
    import duckdb

    with duckdb.connect() as con:
        return str(con.execute("select current_setting('memory_limit')").fetchone()[0])


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block (dbt reads its profile from them)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _progress_callback(progress: Callable[[str], None]) -> Callable[[Any], None]:
    def on_event(event: Any) -> None:
        if event.info.name == "NodeStart":
            node_info = event.data.node_info
            progress(node_info.node_name)

    return on_event


def _node_results(execution: Any) -> tuple[list[NodeResult], dict[str, str]]:
    """Per-node results, and the schema of every node materialized as a table."""
    results = getattr(execution, "results", None) or []
    nodes = []
    tables = {}
    for r in results:
        node = r.node
        response = r.adapter_response or {}
        rows = response.get("rows_affected") if isinstance(response, dict) else None
        resource_type = str(getattr(node.resource_type, "value", node.resource_type))
        failures = r.failures if resource_type in {"test", "unit_test"} else None
        status = str(getattr(r.status, "value", r.status))
        sql = getattr(node, "compiled_code", None) if resource_type == "test" and status in {"fail", "warn"} else None
        materialized = getattr(getattr(node, "config", None), "materialized", None)
        if resource_type in {"model", "snapshot"} and materialized in {"table", "incremental", "snapshot"}:
            tables[node.name] = node.schema
        nodes.append(
            NodeResult(
                name=node.name,
                resource_type=resource_type,
                status=status,
                seconds=float(r.execution_time or 0.0),
                rows=rows if isinstance(rows, int) and rows >= 0 else None,
                failures=failures,
                message=r.message,
                sql=sql,
            )
        )
    return nodes, tables


def _failure_message(command: str, result: BuildResult, log_path: Path, warehouse: Path) -> str:
    lines = [f"dbt {command} failed ({len(result.failed)} failing node(s)):"]
    for n in result.failed:
        lines.append(f"  - {n.resource_type} {n.name}: {(n.message or n.status).strip()}")
        if n.sql:
            lines.extend(f"      {row}" for row in _failing_rows(warehouse, n.sql))
    skipped = [n.name for n in result.nodes if n.status == "skipped"]
    if skipped:
        lines.append(f"  {len(skipped)} node(s) skipped because of them")
    if len(lines) == 1:
        lines.append("  no node failed; see the log")
    if any("out of sync" in (n.message or "") for n in result.failed):
        lines.append(
            "  an incremental table has other columns than this estore version builds (a warehouse from an "
            "older version): rebuild it with `estore build --full-refresh`"
        )
    lines.append(f"log: {log_path / 'dbt.log'}")
    return "\n".join(lines)


def _failing_rows(warehouse: Path, sql: str, limit: int = 5) -> list[str]:
    """The first rows a failed data test returned, as `column=value, ...` lines."""
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            cursor = con.execute(f"select * from ({sql}) as failing limit {limit + 1}")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except duckdb.Error as error:  # the rows are a courtesy: the failure is reported either way
        return [f"(could not list the failing rows: {error})"]
    shown = [", ".join(f"{k}={v}" for k, v in zip(names, row, strict=True)) for row in rows[:limit]]
    return shown + (["..."] if len(rows) > limit else [])


def _with_row_counts(warehouse: Path, nodes: list[NodeResult], tables: dict[str, str]) -> list[NodeResult]:
    """Add row counts of the tables just built (dbt-duckdb reports no rows affected)."""
    built = {n.name for n in nodes if n.status == "success" and n.name in tables}
    if not built:
        return nodes
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {}
        for name in built:
            counts[name] = con.execute(f'select count(*) from "{tables[name]}"."{name}"').fetchone()[0]
    return [replace(n, rows=counts[n.name]) if n.name in counts else n for n in nodes]
