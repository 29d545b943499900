"""Loading event files into raw.events exactly once, each file in one transaction.

Per file: check the header (or parquet columns), hash the bytes, look the hash and the path
up in raw.load_ledger, then in ONE transaction: retire the path's old version (with
replace), insert the typed rows in a single streaming DuckDB scan, move the rows that did
not parse or validate to raw.quarantine, skip the file after all if a live load holds the
same rows (the same data in other bytes, e.g. compressed), and write the ledger row. A crash,
kill or Ctrl-C before the commit leaves nothing behind; the next run loads the file cleanly.
A loaded path whose content changed is refused unless replace, also when the new content is
that of another loaded file; with replace, that case only retires the path's old rows.

load() goes on with the other files after a file is refused or skipped; refused files are
reported with status 'refused' (the CLI exits non-zero when any file was refused). Only
problems that are not about a file (no such path, warehouse locked, out of memory, Ctrl-C)
raise.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from estore.ingest import ledger, quarantine
from estore.ingest.discover import discover
from estore.ingest.progress import ProgressCallback, ProgressEvent, QueryProgress, rows_per_byte, timer
from estore.ingest.schema import (
    COLUMN_NAMES,
    EVENT_TYPES,
    REQUIRED,
    TIMESTAMP_FORMAT,
    HeaderProblem,
    csv_columns_sql,
    file_kind,
    header_difference,
    mixed_line_endings,
    read_csv_header,
)
from estore.warehouse import connect

Status = Literal["loaded", "skipped", "replaced", "refused"]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file.

    status: 'loaded' (new rows), 'replaced' (a changed file replaced its earlier rows;
    needs replace=True), 'skipped' (this content is already loaded, at this path or
    another: the message names it) or 'refused' (nothing loaded: the message says why).
    rows_loaded + rows_quarantined = the data lines of the file for loaded/replaced files,
    except when a path's new content is already loaded from another file: its old rows are
    removed, nothing is loaded (0 and 0) and the message names the other file.
    load_id: the load holding the file's rows: its new load, or for a skipped file the live load
    that already holds them; None for a refused file.
    """

    path: str
    status: Status
    rows_loaded: int
    rows_quarantined: int
    seconds: float
    mb_per_s: float
    message: str | None = None
    load_id: int | None = None


class _Refused(Exception):
    """A file problem found inside the transaction: roll back and report the file as refused."""


class _Skipped(Exception):
    """The content is already loaded: roll back and report the file as skipped."""

    def __init__(self, same: ledger.LedgerEntry, message: str) -> None:
        super().__init__(message)
        self.load_id = same.load_id


def load(
    paths: list[str],
    warehouse: Path,
    *,
    replace: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[FileResult]:
    """Load the files (files, folders or globs; see discover) into the warehouse, each exactly once.

    Returns one FileResult per file, in path order. Refused files do not stop the others.
    progress, when given, receives ProgressEvents at the start and end of each file and about
    twice a second while one loads (those come from a background thread).
    Raises EstoreError when a path matches no file; re-raises KeyboardInterrupt after rolling
    back the file being loaded.
    """
    files = discover(paths)
    con = connect(Path(warehouse), memory_limit=memory_limit, threads=threads)
    try:
        return [_load_file(con, path, replace=replace, progress=progress) for path in files]
    finally:
        con.close()


def _load_file(
    con: duckdb.DuckDBPyConnection, path: str, *, replace: bool, progress: ProgressCallback | None
) -> FileResult:
    elapsed = timer()
    file = Path(path)
    kind = file_kind(file) or "csv"
    stat = file.stat()
    size = stat.st_size

    def emit(stage: str, rows: int | None = None, fraction: float | None = None) -> None:
        if progress is not None:
            progress(ProgressEvent(path, stage, size, rows, fraction, elapsed()))

    def result(
        status: Status,
        loaded: int = 0,
        quarantined: int = 0,
        message: str | None = None,
        load_id: int | None = None,
    ) -> FileResult:
        seconds = elapsed()
        rate = size / 1e6 / seconds if status in ("loaded", "replaced") and seconds > 0 else 0.0
        emit(status, loaded, 1.0)
        return FileResult(path, status, loaded, quarantined, seconds, rate, message, load_id)

    emit("hashing", 0, 0.0)
    problem = _format_problem(con, file, kind)
    if problem:
        return result("refused", message=f"{path}: {problem}; nothing loaded")
    # Same content means same size: only when a live file version has this size is the hash
    # needed before loading (to skip it). Otherwise hash in a thread while the rows load, so
    # the file is read from disk once (the ledger row needs the hash only at commit).
    hasher: ledger.BackgroundHash | None = None
    content_hash = ledger.hash_file(file) if ledger.size_is_loaded(con, size) else None

    con.begin()
    try:
        previous = ledger.loaded_at_path(con, path)
        same = ledger.loaded_by_hash(con, content_hash) if content_hash else None
        if same is not None and (previous is None or same.load_id == previous.load_id):
            raise _Skipped(same, _skip_message(same, path))
        # From here on a file at a loaded path has other content than was loaded from it.
        if previous is not None and not replace:
            raise _Refused(
                f"{path}: content changed since it was loaded (load {previous.load_id}, "
                f"{previous.loaded_at:%Y-%m-%d %H:%M} UTC); pass --replace to replace its rows"
            )
        if content_hash is None:
            hasher = ledger.BackgroundHash(file)
        load_id = ledger.next_load_id(con)
        if previous is not None:
            ledger.retire_path(con, path)
        same_rows = False
        if same is None:
            if kind == "parquet":
                loaded, quarantined = _load_parquet(con, path, load_id, emit)
            else:
                loaded, quarantined = _load_csv(con, file, kind, load_id, emit)
            same = ledger.loaded_with_same_rows(con, load_id, loaded, quarantined)
            if same is not None and previous is None:
                raise _Skipped(same, _skip_message(same, path, same_rows=True))
            if same is not None:
                ledger.drop_load(con, load_id)
                same_rows = True
        if same is not None:  # a changed path whose new content is already loaded from another file
            assert previous is not None
            con.commit()  # the old version's rows stay removed; nothing new is loaded
            return result("replaced", message=_moved_message(previous, same, same_rows), load_id=same.load_id)
        if hasher is not None:
            content_hash = hasher.result()
            same = ledger.loaded_by_hash(con, content_hash)
            if same is not None:  # cannot happen (no live version has this size); never load twice
                raise _Skipped(same, _skip_message(same, path))
        now = file.stat()
        if (now.st_size, now.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            raise _Refused(f"{path}: the file changed while it was being loaded; nothing loaded, try again")
        assert content_hash is not None
        ledger.record(
            con,
            load_id=load_id,
            path=path,
            size_bytes=size,
            content_hash=content_hash,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
            seconds=elapsed(),
        )
        con.commit()
    except (duckdb.InterruptException, RuntimeError) as error:
        con.rollback()
        # Ctrl-C while DuckDB runs a statement interrupts it and surfaces as "Query interrupted"
        # rather than KeyboardInterrupt: hand the caller the KeyboardInterrupt it expects.
        if isinstance(error, duckdb.InterruptException) or "interrupted" in str(error).lower():
            raise KeyboardInterrupt(f"{path}: load interrupted; nothing of this file was kept") from error
        raise
    except _Skipped as skip:
        con.rollback()
        return result("skipped", message=str(skip), load_id=skip.load_id)
    except _Refused as refusal:
        con.rollback()
        return result("refused", message=str(refusal))
    except duckdb.Error as error:
        con.rollback()
        # DuckDB's readers report a damaged file as one of these; a plain duckdb.Error is what the
        # parquet reader raises for corrupt pages ("Parquet file is likely corrupted", "Out of
        # buffer"). Anything else (out of memory, an internal error, a bug) is not about the file.
        if type(error) is duckdb.Error or isinstance(error, _UNREADABLE):
            return result("refused", message=f"{path}: {_unreadable(file, kind, error)}; nothing loaded")
        raise
    except BaseException:  # KeyboardInterrupt, SystemExit, bugs: undo this file, then stop
        con.rollback()
        raise
    finally:
        if hasher is not None:
            hasher.cancel()
        quarantine.drop_rejects(con)
    status: Status = "replaced" if previous is not None else "loaded"
    note = f"replaced load {previous.load_id}" if previous is not None else None
    if quarantined:
        qnote = f"{quarantined:,} bad row(s) in raw.quarantine (load_id {load_id})"
        note = f"{note}; {qnote}" if note else qnote
    return result(status, loaded, quarantined, note, load_id)


def _skip_message(same: ledger.LedgerEntry, path: str, same_rows: bool = False) -> str:
    where = "this path" if same.path == path else same.path
    what = "same rows, in other bytes (another compression or format)," if same_rows else "same content"
    return (
        f"{what} already loaded from {where} (load {same.load_id}, "
        f"{same.loaded_at:%Y-%m-%d %H:%M} UTC, {same.rows_loaded:,} rows); nothing loaded"
    )


def _moved_message(previous: ledger.LedgerEntry, same: ledger.LedgerEntry, same_rows: bool) -> str:
    what = "the same rows, in other bytes," if same_rows else "its new content"
    return (
        f"replaced load {previous.load_id}, whose rows are removed; {what} already loaded from {same.path} "
        f"(load {same.load_id}, {same.loaded_at:%Y-%m-%d %H:%M} UTC, {same.rows_loaded:,} rows); nothing new loaded"
    )


def _format_problem(con: duckdb.DuckDBPyConnection, file: Path, kind: str) -> str | None:
    """Why the file cannot be loaded at all (wrong header or columns, empty, unreadable), or None."""
    if kind == "parquet":
        try:
            names = [
                r[0]
                for r in con.execute(
                    "select name from parquet_schema(?) where name <> 'schema' and num_children is null",
                    [str(file)],
                ).fetchall()
            ]
        except duckdb.Error as error:
            return f"not a readable parquet file ({str(error).strip().splitlines()[0]})"
        missing = [c for c in COLUMN_NAMES if c not in names]
        extra = [c for c in names if c not in COLUMN_NAMES]
        if missing or extra:
            parts = []
            if missing:
                parts.append("missing column(s) " + ", ".join(missing))
            if extra:
                parts.append("unexpected column(s) " + ", ".join(repr(c) for c in extra))
            return "parquet columns do not match the REES46 schema: " + "; ".join(parts)
        return None
    if kind == "csv" and _starts_with(file, b"\x1f\x8b"):
        return "is gzip-compressed but named .csv; rename it to end in .csv.gz"
    try:
        header = read_csv_header(file)
    except HeaderProblem as problem:
        return str(problem)
    except (OSError, EOFError, zlib.error) as error:
        if kind == "csv.gz" and isinstance(error, gzip.BadGzipFile | EOFError | zlib.error):
            return f"not a valid gzip file ({error}); re-download or re-compress it"
        return f"could not be read ({error})"
    if header is None:
        return "file is empty (no header line)"
    difference = header_difference(header)
    if difference:
        return f"header does not match the REES46 schema: {difference}"
    return None


_UNREADABLE = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)


def _unreadable(file: Path, kind: str, error: duckdb.Error) -> str:
    """Why DuckDB could not read the file, from its error (the first line of it)."""
    first = str(error).strip().splitlines()[0]
    if kind == "csv.gz" and "gzip" in first.lower():
        return f"not a valid gzip file ({first}); re-download or re-compress it"
    if kind != "parquet" and "state machine reached an invalid state" in first and mixed_line_endings(file):
        return "mixed line endings (CRLF and LF); convert the file to one kind, e.g. with dos2unix, and load it again"
    return f"could not be read ({first})"


def _starts_with(file: Path, magic: bytes) -> bool:
    with open(file, "rb") as fh:
        return fh.read(len(magic)) == magic


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_options(kind: str) -> str:
    return (
        "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"compression = '{'gzip' if kind == 'csv.gz' else 'none'}'"
    )


def _load_csv(
    con: duckdb.DuckDBPyConnection, file: Path, kind: str, load_id: int, emit: Callable[..., None]
) -> tuple[int, int]:
    """One typed streaming scan into raw.events; unparseable rows go to the rejects table."""
    quarantine.drop_rejects(con)
    source = _sql_string(str(file))
    per_byte = rows_per_byte(file, kind)
    size = file.stat().st_size
    emit("loading", 0, 0.0)
    required = ", ".join(f"'{c}'" for c in REQUIRED)
    sql = f"""
        insert into raw.events
            (event_time, event_type, product_id, category_id, category_code, brand, price,
             user_id, user_session, load_id)
        select event_time, event_type::varchar, product_id, category_id, category_code, brand, price,
               user_id, user_session, {load_id}
        from read_csv({source}, {_csv_options(kind)}, columns = {csv_columns_sql()},
                      timestampformat = '{TIMESTAMP_FORMAT}', force_not_null = [{required}],
                      store_rejects = true, rejects_table = '{quarantine.REJECTS_TABLE}',
                      rejects_scan = '{quarantine.REJECTS_SCAN}')
    """
    with QueryProgress(con, lambda f: emit("loading", int(f * size * per_byte), f)):
        inserted = con.execute(sql).fetchone()[0]  # type: ignore[index]
    emit("quarantine", int(inserted), 1.0)
    negative = con.execute("delete from raw.events where load_id = ? and price < 0", [load_id]).fetchone()[0]  # type: ignore[index]
    rejects = [quarantine.REJECTS_TABLE]
    if negative:
        # Rare: find the lines of the negative prices with a rescan that reads price as an
        # unsigned integer, so exactly those lines (and the non-numeric ones) are rejected.
        types = {name: "VARCHAR" for name in COLUMN_NAMES} | {"price": "UBIGINT"}
        con.execute(f"""
            select max(price) from read_csv({source}, {_csv_options(kind)},
                columns = {csv_columns_sql(types)}, store_rejects = true,
                rejects_table = '{quarantine.NEG_REJECTS_TABLE}',
                rejects_scan = '{quarantine.NEG_REJECTS_SCAN}')
        """).fetchall()
        rejects.append(quarantine.NEG_REJECTS_TABLE)
    quarantine.number_lines(con, load_id, str(file), rejects)
    quarantined = quarantine.csv_rejects_to_quarantine(con, load_id, str(file))
    if negative:
        located = quarantine.negative_prices_to_quarantine(con, load_id, str(file))
        if located != negative:
            raise RuntimeError(f"{file}: {negative} rows have a negative price but the rescan located {located}")
        quarantined += located
    return int(inserted) - int(negative), quarantined


def _load_parquet(
    con: duckdb.DuckDBPyConnection, path: str, load_id: int, emit: Callable[..., None]
) -> tuple[int, int]:
    """Parquet: cast and check in SQL; valid rows to raw.events, the rest to raw.quarantine.

    line_number is the 1-based row number in the file. event_time may be a timestamp (with
    or without time zone; converted to UTC) or a string in the REES46 format.
    """
    source = _sql_string(path)
    described = con.execute(f"describe from read_parquet({source})").fetchall()
    types = {row[0]: str(row[1]) for row in described}
    event_time_type = types["event_time"].upper()
    if event_time_type.startswith("TIMESTAMP WITH TIME ZONE"):
        event_time = "timezone('UTC', event_time)"
    elif event_time_type.startswith("TIMESTAMP") or event_time_type == "DATE":
        event_time = "event_time::timestamp"
    else:
        event_time = f"try_strptime(event_time::varchar, '{TIMESTAMP_FORMAT}')::timestamp"
    event_types = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    event_type_ok = f"case when t_event_type in ({event_types}) then 1 end"
    checked = f"""
        select
            {event_time} as t_event_time,
            event_type::varchar as t_event_type,
            {_integer_sql("product_id", types["product_id"])} as t_product_id,
            {_integer_sql("category_id", types["category_id"])} as t_category_id,
            nullif(category_code::varchar, '') as t_category_code,
            nullif(brand::varchar, '') as t_brand,
            try_cast(price as decimal(12, 2)) as t_price,
            {_integer_sql("user_id", types["user_id"])} as t_user_id,
            nullif(user_session::varchar, '') as t_user_session,
            file_row_number + 1 as line_number,
            concat_ws(',', {", ".join(f"coalesce({c}::varchar, '')" for c in COLUMN_NAMES)}) as raw_line,
            nullif(concat_ws('; ',
                {_check("event_time", "t_event_time", "bad timestamp in event_time:")},
                {_check("event_type", event_type_ok, "unknown event_type")},
                {_check("product_id", "t_product_id", "non-integer product_id")},
                {_check("category_id", "t_category_id", "non-integer category_id")},
                {_check("price", "t_price", "non-numeric or out-of-range price")},
                case when t_price < 0 then 'negative price ' || t_price::varchar end,
                {_check("user_id", "t_user_id", "non-integer user_id")}
            ), '') as reason
        from read_parquet({source}, file_row_number = true)
    """
    emit("loading", 0, 0.0)
    with QueryProgress(con, lambda f: emit("loading", None, f)):
        loaded = con.execute(f"""
            insert into raw.events
                (event_time, event_type, product_id, category_id, category_code, brand, price,
                 user_id, user_session, load_id)
            select t_event_time, t_event_type, t_product_id, t_category_id, t_category_code, t_brand,
                   t_price, t_user_id, t_user_session, {load_id}
            from ({checked}) where reason is null
        """).fetchone()[0]  # type: ignore[index]
    emit("quarantine", int(loaded), 1.0)
    quarantined = con.execute(f"""
        insert into raw.quarantine (load_id, path, line_number, raw_line, reason)
        select {load_id}, {source}, line_number, raw_line, reason from ({checked}) where reason is not null
    """).fetchone()[0]  # type: ignore[index]
    return int(loaded), int(quarantined)


_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


def _integer_sql(column: str, type_name: str) -> str:
    """SQL: a parquet id column as BIGINT, NULL unless it holds exactly an integer.

    A plain cast would round 3.7 to 4 and read the strings '12.7', '0x10', '1e3' or '1_000' as
    numbers; a fractional number or a string other than an optionally signed run of digits is
    NULL here, so the row is quarantined as a non-integer id.
    """
    kind = type_name.upper()
    if kind in _INTEGER_TYPES:
        return f"try_cast({column} as bigint)"
    if kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL"):
        return f"case when {column} = trunc({column}) then try_cast({column} as bigint) end"
    return f"case when regexp_full_match({column}::varchar, '-?[0-9]+') then try_cast({column}::varchar as bigint) end"


def _check(column: str, typed: str, bad: str) -> str:
    """SQL: 'missing <column>' when empty, "<bad> '<value>'" when it does not cast, else NULL."""
    value = f"{column}::varchar"
    return (
        f"case when {column} is null or {value} = '' then 'missing {column}' "
        f"when ({typed}) is null then '{bad} ' || chr(39) || {value} || chr(39) end"
    )
