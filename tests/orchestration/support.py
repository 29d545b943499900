"""Helpers for the orchestration tests: the real CLI, file facts read with plain Python, warehouse fingerprints."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import xxhash

# columns that hold the time of a build or fit, not data: they differ between any two builds
# (a snapshot's dbt_scd_id is a hash of the key and that time; segment_migration's dates are
# snapshot times)
TIME_COLUMNS = {
    "built_at", "fitted_at", "fit_seconds", "dbt_valid_from", "dbt_valid_to", "dbt_updated_at", "dbt_scd_id",
    "from_date", "to_date",
}  # fmt: skip
FLOAT_TYPES = {"DOUBLE", "FLOAT"}


def estore(workspace: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ESTORE_WORKSPACE", None)
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


def data_lines(path: Path) -> int:
    """Non-empty lines after the header of a .csv.gz, read with plain Python."""
    text = gzip.decompress(path.read_bytes()).decode()
    return sum(1 for line in text.splitlines()[1:] if line.strip())


def content_identity(path: Path) -> str:
    return "xxh3:" + xxhash.xxh3_128(path.read_bytes()).hexdigest()


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def fingerprints(database: Path, schemas: tuple[str, ...] = ("marts", "snapshots")) -> dict[str, tuple]:
    """Per table: row count, the sum of every floating-point column, and a hash of the rows' other
    columns that does not depend on their order (build and fit times left out). Floating-point
    sums are compared with a tolerance, since two builds may add them up in another order."""
    out: dict[str, tuple] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in "
            f"({', '.join(repr(s) for s in schemas)}) order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_name",
                [schema, table],
            ).fetchall()
            floats = [c for c, kind in columns if kind in FLOAT_TYPES and c not in TIME_COLUMNS]
            exact = [f'"{c}"' for c, kind in columns if kind not in FLOAT_TYPES and c not in TIME_COLUMNS]
            measures = ["count(*)", f"sum(hash({', '.join(exact)}))" if exact else "0"]
            measures += [f'sum("{c}")' for c in floats]
            row = con.execute(f'select {", ".join(measures)} from "{schema}"."{table}"').fetchone()
            out[f"{schema}.{table}"] = (row[0], row[1], dict(zip(floats, row[2:], strict=True)))
    return out


def assert_same_tables(actual: dict[str, tuple], expected: dict[str, tuple]) -> None:
    assert sorted(actual) == sorted(expected)
    for name, (rows, content, sums) in expected.items():
        got_rows, got_content, got_sums = actual[name]
        assert got_rows == rows, f"{name}: {got_rows} rows, expected {rows}"
        assert got_content == content, f"{name}: the rows differ in a column that is not floating-point"
        for column, value in sums.items():
            got = got_sums[column]
            if value is None or got is None:
                assert got == value, f"{name}.{column}: {got} != {value}"
            else:
                assert abs(got - value) <= 1e-6 * max(1.0, abs(value)), f"{name}.{column}: {got} != {value}"


def run_sensor(defs: dg.Definitions, name: str, instance: dg.DagsterInstance, cursor: str | None, resources: dict):
    """Evaluate a sensor once and apply its partition requests, as the daemon would.

    Returns a SensorResult (a SkipReason becomes a SensorResult with no run requests).
    """
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources, definitions=defs)
    result = defs.resolve_sensor_def(name)(context)
    if isinstance(result, dg.SkipReason):
        result = dg.SensorResult(skip_reason=result, cursor=cursor)
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result
