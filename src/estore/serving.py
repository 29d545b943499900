"""The serving snapshot: a read-only copy of the marts that the dashboard, the report and exports read.

DuckDB locks the warehouse file while the pipeline writes it, so nothing that serves people
reads the warehouse. After each good build `publish` copies the marts into a new file and
renames it over `<workspace>/serving.duckdb` in one step: readers see the previous snapshot or
the new one, never a half-written one, and a crash mid-publish leaves the previous snapshot.
Readers open it read-only for as long as one query takes (`open_serving`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from estore.errors import EstoreError
from estore.settings import Settings
from estore.warehouse import connect

SCHEMA = "marts"
# Event- and session-grain facts stay in the warehouse: the serving copy holds what people look
# at (nothing in the dashboard, report or exports reads them), and copying them after every build
# would cost more than the build of a new month (at 60M events, fct_sessions' 13M rows took 9 s of
# the 11 s publish).
NOT_SERVED = frozenset({"fct_events", "fct_sessions"})


# The warehouse is written (and so its file is modified) by every load and build; the snapshot
# file is renamed into place after them. A warehouse modified this long after the snapshot has
# changes that are not published yet (a load or build is running, or did not finish).
STALE_AFTER_SECONDS = 30


def has_unpublished_changes(settings: Settings) -> bool:
    """Whether the warehouse was modified after the serving snapshot was published."""
    try:
        warehouse = settings.warehouse.stat().st_mtime
        serving = settings.serving.stat().st_mtime
    except FileNotFoundError:
        return False
    return warehouse > serving + STALE_AFTER_SECONDS


@dataclass(frozen=True)
class Published:
    path: Path
    built_at: datetime
    tables: dict[str, int]  # table name -> rows
    seconds: float


def publish(settings: Settings) -> Published:
    """Copy the marts of the warehouse into a fresh serving snapshot and swap it in atomically."""
    started = time.perf_counter()
    final = settings.serving
    temp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    built_at = datetime.now(UTC).replace(tzinfo=None)
    tables: dict[str, int] = {}
    try:
        with connect(settings.warehouse, memory_limit=settings.memory_limit, threads=settings.threads) as con:
            names = [
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables() where database_name = current_database() "
                    "and schema_name = ? order by table_name",
                    [SCHEMA],
                ).fetchall()
            ]
            if not names:
                raise EstoreError(f"{settings.warehouse}: no marts to publish; run `estore build` first")
            con.execute(f"attach '{_sql_path(temp)}' as serving_new")
            try:
                con.execute(f"create schema serving_new.{SCHEMA}")
                for name in names:
                    if name in NOT_SERVED:
                        continue
                    con.execute(f"create table serving_new.{SCHEMA}.{name} as from {SCHEMA}.{name}")
                    tables[name] = con.execute(f"select count(*) from serving_new.{SCHEMA}.{name}").fetchone()[0]
                con.execute(
                    f"create table serving_new.{SCHEMA}.serving_build as "
                    "select ?::timestamp as built_at, min(event_time) as data_from, max(event_time) as data_to, "
                    "count(*) as events, (select count(*) from raw.load_ledger) as files_loaded "
                    f"from {SCHEMA}.fct_events",
                    [built_at],
                )
                con.execute("checkpoint serving_new")
            finally:
                con.execute("detach serving_new")
        _fsync(temp)
        os.replace(temp, final)
        _fsync(final.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        Path(f"{temp}.wal").unlink(missing_ok=True)
        raise
    return Published(final, built_at, tables, time.perf_counter() - started)


@contextmanager
def open_serving(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the serving snapshot; close it as soon as the query is done.

    Raises EstoreError saying what to run when nothing has been published yet.
    """
    path = settings.serving
    if not path.exists():
        raise EstoreError(
            f"no data to show yet: {path} does not exist. "
            "Run `estore run PATH...` (or `make run` for generated sample data) to load files and build the marts."
        )
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
