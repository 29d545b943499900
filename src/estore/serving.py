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
from estore.warehouse import connect, make_folder

SCHEMA = "marts"
# Event- and session-grain facts stay in the warehouse: the serving copy holds what people look
# at (nothing in the dashboard, report or exports reads them), and copying them after every build
# would cost more than the build of a new month (at 60M events, fct_sessions' 13M rows took 9 s of
# the 11 s publish).
NOT_SERVED = frozenset({"fct_events", "fct_sessions"})
# what dbt leaves when a build is interrupted while it swaps a table in; never published
DBT_LEFTOVERS = ("__dbt_backup", "__dbt_tmp")


# What changed the warehouse since the last publish: a load, build or validate-clv writes its
# kind into this file before it changes anything, and the publish that follows removes it, unless
# a load came in meanwhile (its rows are not built yet). A crash leaves it behind, so the
# dashboard says that the last step did not finish until a build publishes again.
UNPUBLISHED = ".unpublished"


def mark_unpublished(settings: Settings, kind: str | None) -> None:
    """Record that `kind` ('load', 'build' or 'validate-clv') is about to change the warehouse.

    None: nothing is pending (the mark is removed).
    """
    path = settings.workspace / UNPUBLISHED
    try:
        if kind is None:
            path.unlink(missing_ok=True)
            return
        make_folder(path.parent)
        temp = path.with_name(f"{UNPUBLISHED}.{os.getpid()}.tmp")
        temp.write_text(kind + "\n")
        temp.replace(path)
    except OSError as error:
        raise EstoreError(
            f"workspace {settings.workspace}: cannot write {UNPUBLISHED} there ({error.strerror}); "
            "use a writable --workspace"
        ) from None


def unpublished_change(settings: Settings) -> str | None:
    """The kind of the last change not published yet (a load, build or validate-clv), or None when the
    serving snapshot holds everything the warehouse does."""
    try:
        words = (settings.workspace / UNPUBLISHED).read_text().split()
    except FileNotFoundError:
        return None
    return words[0] if words else "build"


@dataclass(frozen=True)
class Published:
    path: Path
    built_at: datetime
    tables: dict[str, int]  # table name -> rows
    seconds: float


def publish(settings: Settings) -> Published:
    """Copy the marts of the warehouse into a fresh serving snapshot and swap it in atomically.

    Also removes leftovers of publishes that were killed (their temporary files), and the mark of
    unpublished changes, unless a load came in since the step being published started.
    """
    started = time.perf_counter()
    final = settings.serving
    temp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    _remove_leftovers(final)
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
                    if name in NOT_SERVED or name.endswith(DBT_LEFTOVERS):
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
        if unpublished_change(settings) != "load":
            mark_unpublished(settings, None)
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


def _remove_leftovers(final: Path) -> None:
    """Delete the temporary files of publishes whose process is gone (killed mid-publish)."""
    for leftover in final.parent.glob(f".{final.name}.*.tmp*"):
        pid = leftover.name.removeprefix(f".{final.name}.").split(".")[0]
        if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    return True


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
