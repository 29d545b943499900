"""The DuckDB warehouse file: connecting to it and the raw tables the loader owns."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from estore.errors import EstoreError

RAW_DDL = """
create schema if not exists raw;
create sequence if not exists raw.load_id_seq start 1;
create table if not exists raw.load_ledger (
    load_id          bigint primary key,
    path             varchar not null,
    file_name        varchar not null,
    size_bytes       bigint not null,
    content_hash     varchar not null,
    rows_loaded      bigint not null,
    rows_quarantined bigint not null,
    loaded_at        timestamp not null,
    seconds          double not null,
    status           varchar not null
);
create table if not exists raw.events (
    event_time    timestamp not null,
    event_type    varchar not null,
    product_id    bigint not null,
    category_id   bigint not null,
    category_code varchar,
    brand         varchar,
    price         decimal(12, 2) not null,
    user_id       bigint not null,
    user_session  varchar,
    load_id       bigint not null
);
create table if not exists raw.quarantine (
    load_id     bigint not null,
    path        varchar not null,
    line_number bigint,
    raw_line    varchar,
    reason      varchar not null
);
"""


def connect(
    path: Path, *, read_only: bool = False, memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating its folder and the raw tables when writable)."""
    config: dict[str, str | int] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    if not read_only:
        make_folder(path.parent)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        raise EstoreError(in_use_message(path, str(error))) from None
    if not read_only:
        con.execute(RAW_DDL)
    return con


def make_folder(folder: Path) -> None:
    """Create the workspace folder the warehouse lives in, or say it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EstoreError(
            f"cannot create the folder {folder} for the warehouse ({error.strerror}); "
            "pass --workspace (or ESTORE_WORKSPACE) a folder you can write to"
        ) from None


def in_use_message(path: Path, error: str) -> str:
    """What to say when DuckDB cannot lock the warehouse because another process holds it."""
    holder = re.search(r"PID (\d+)", error)
    return (
        f"warehouse {path} is in use by another process{f' (PID {holder[1]})' if holder else ''}: "
        "a load, build or Dagster run writes one at a time; wait for it to finish, then run this again"
    )


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    query = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return bool(con.execute(query, [schema, table]).fetchone()[0])


def require_built(path: Path) -> None:
    """Raise EstoreError, saying what to run, unless the warehouse exists and its models are built."""
    if not path.exists():
        raise EstoreError(f"no warehouse at {path}; run `estore run FILES...` first")
    with connect(path, read_only=True) as con:
        if not table_exists(con, "marts", "fct_events"):
            raise EstoreError(f"the models in {path} are not built yet; run `estore build` first")
