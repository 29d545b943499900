"""raw.quarantine: the rows of a file that did not parse or validate, with line and reason.

CSV: DuckDB's CSV reader stores every row it cannot parse or cast in a rejects table
(store_rejects) with its line number (1-based, the header is line 1), the raw line and the
error; those are turned into one quarantine row per line here. Negative prices parse fine,
so they are found after the insert and located by a second, rare scan (see loader).

DuckDB's line numbers are not always those of the file, while its byte offset of each line
is right: it counts records, not lines, so after a quoted value that holds a newline every
number is too low; and DuckDB 2.0.0 numbers the lines of cast errors one too low when the file
also has an unterminated quote, so two bad lines can share a number. In those cases
(number_lines) the rejected lines are numbered again from their offsets by counting the
newlines before each: a rare second read of the file, up to its last rejected line. Whether a
record spans lines is told without reading the file: a newline in a rejected line or in a text
value this load inserted (category_code, brand, user_session). A newline inside a quoted
number or timestamp (which DuckDB parses, ignoring it) is not seen.

Known limits, both from DuckDB 2.0's CSV reader and both measured too costly to work around:
- It casts integers leniently and has no strict option, so an id written as '512000000.5'
  loads rounded and '0x1F', '1e3' or '1_000' load as the number they spell. Reading the ids as
  text and checking them in SQL (a round trip through BIGINT) would quarantine them exactly,
  but cost about 10% more load time on the 10M-event benchmark (estore/COPY 1.09 -> 1.23 for
  CSV), beyond the loader's budget; REES46 files never hold such ids.
- It drops empty fields past the ninth without an error ('...,s0,,,' loads as '...,s0'), so
  such a line is not quarantined; telling it apart needs every line's raw text.

Parquet: rows are checked in SQL and quarantined with their 1-based row number; ids are taken
only when they hold an integer exactly (no rounding of 3.7, no '12.7' or '0x10' strings).
"""

from __future__ import annotations

import csv
import io

import duckdb

from estore.ingest.schema import open_csv

REJECTS_TABLE = "estore_rejects"
REJECTS_SCAN = "estore_reject_scans"
NEG_REJECTS_TABLE = "estore_negative_rejects"
NEG_REJECTS_SCAN = "estore_negative_reject_scans"
CHUNK_BYTES = 1 << 24

# The offending value, as DuckDB quotes it in a CAST error message.
_VALUE = """regexp_extract(error_message, 'Could not convert string "(.*)" to', 1)"""

# One reason per rejects-table row. force_not_null makes an empty required value fail its
# cast with no value in the message: that is "missing <column>".
_REASON = f"""
case
    when error_type = 'CAST' and {_VALUE} = '' then 'missing ' || column_name
    when error_type = 'CAST' and column_name = 'event_time'
        then 'bad timestamp in event_time: ''' || {_VALUE} || ''''
    when error_type = 'CAST' and column_name = 'event_type'
        then 'unknown event_type ''' || {_VALUE} || ''''
    when error_type = 'CAST' and column_name = 'price'
        then 'non-numeric or out-of-range price ''' || {_VALUE} || ''''
    when error_type = 'CAST'
        then 'non-integer ' || column_name || ' ''' || {_VALUE} || ''''
    when error_type in ('MISSING COLUMNS', 'TOO MANY COLUMNS') then 'wrong column count'
    when error_type = 'UNQUOTED VALUE' then 'unterminated quote'
    when error_type = 'INVALID ENCODING' then 'invalid UTF-8'
    when error_type = 'LINE SIZE OVER MAXIMUM' then 'line too long'
    else lower(error_type) || ': ' || error_message
end
"""


def csv_rejects_to_quarantine(con: duckdb.DuckDBPyConnection, load_id: int, path: str) -> int:
    """Move the CSV reader's rejects into raw.quarantine, one row per physical line; returns the count.

    A line with several errors gets them joined with '; '. Wrong column counts say how many
    columns the line had, counted here with Python's csv module (DuckDB's message stops at
    the first surplus column it reports: 10 for a line of 12 whose 10th and 11th are empty).
    An unterminated quote swallows the rest of the file into one rejected value: it is split
    back into its lines, each quarantined with its own number, so rows_loaded +
    rows_quarantined still equals the data lines of the file.
    """
    wrong_count = con.execute(
        f"""select distinct line_byte_position, trim(csv_line, chr(13) || chr(10)) from {REJECTS_TABLE}
            where error_type in ('MISSING COLUMNS', 'TOO MANY COLUMNS')"""
    ).fetchall()
    positions = [position for position, _ in wrong_count]
    fields = [len(next(csv.reader(io.StringIO(text, newline="")), [])) for _, text in wrong_count]
    n = con.execute(
        f"""
        insert into raw.quarantine (load_id, path, line_number, raw_line, reason)
        with counted as (
            select unnest(?::ubigint[]) as line_byte_position, unnest(?::integer[]) as found_columns
        ),
        errors as (
            select
                line,
                trim(csv_line, chr(13) || chr(10)) as raw_line,
                error_type,
                coalesce(column_idx, 0) as column_idx,
                {_REASON} as reason,
                found_columns
            from {REJECTS_TABLE} left join counted using (line_byte_position)
        ),
        per_reason as (
            select
                line,
                any_value(raw_line) as raw_line,
                bool_or(error_type = 'UNQUOTED VALUE') as unterminated,
                reason,
                min(column_idx) as column_idx,
                min(found_columns) as found_columns
            from errors
            group by line, reason
        ),
        per_line as (
            select
                line,
                any_value(raw_line) as raw_line,
                bool_or(unterminated) as unterminated,
                string_agg(
                    case when reason = 'wrong column count'
                        then 'wrong column count: expected 9, found ' || found_columns
                        else reason end,
                    '; ' order by column_idx
                ) as reason
            from per_reason
            group by line
        ),
        single as (
            select line as line_number, raw_line, reason from per_line where not unterminated
        ),
        split as (
            select line, reason, string_split(raw_line, chr(10)) as parts
            from per_line where unterminated
        ),
        unterminated as (
            select
                line + generate_subscripts(parts, 1) - 1 as line_number,
                rtrim(unnest(parts), chr(13)) as raw_line,
                reason || ' (quoted value opened on line ' || line || ')' as reason
            from split
        )
        select ?, ?, line_number, raw_line, reason from single
        union all
        select ?, ?, line_number, raw_line, reason from unterminated where raw_line <> ''
        """,
        [positions, fields, load_id, path, load_id, path],
    ).fetchone()[0]  # type: ignore[index]
    return int(n)


def number_lines(con: duckdb.DuckDBPyConnection, load_id: int, path: str, tables: list[str]) -> None:
    """Make the line numbers in the rejects tables those of the file (see the module docstring).

    tables: the rejects tables of this load's scans of the file (the first scan's, and the
    negative-price rescan's when there was one); both get the same numbering, so a line
    rejected by both has the same number in each.
    """
    rejects = " union all ".join(f"select line, line_byte_position, error_type, csv_line from {t}" for t in tables)
    shared = " or ".join(
        f"(select count(distinct line) <> count(distinct line_byte_position) from {t})" for t in tables
    )
    found, suspect = con.execute(
        f"""select count(*) > 0,
                   bool_or(error_type = 'UNQUOTED VALUE')
                   or bool_or(contains(trim(csv_line, chr(13) || chr(10)), chr(10)))
                   or {shared}
            from ({rejects})"""
    ).fetchone()  # type: ignore[misc]
    if not found:
        return
    if not suspect:
        (suspect,) = con.execute(
            """select exists (select 1 from raw.events where load_id = ? and (contains(category_code, chr(10))
                   or contains(brand, chr(10)) or contains(user_session, chr(10))))""",
            [load_id],
        ).fetchone()  # type: ignore[misc]
    if suspect:
        _number_lines_from_offsets(con, path, tables)


def _number_lines_from_offsets(con: duckdb.DuckDBPyConnection, path: str, tables: list[str]) -> None:
    """Set each reject's line to 1 + the newlines before its line_byte_position.

    DuckDB's offset of a line lies between the newline that ends the line before and the line's
    last byte (it is one past the line's first byte for LF endings, on it for CRLF), so counting
    the newlines strictly before it gives the line's number either way.
    """
    union = " union ".join(f"select line_byte_position from {t}" for t in tables)
    offsets = [o for (o,) in con.execute(f"select distinct line_byte_position from ({union}) order by 1").fetchall()]
    lines: list[int] = []
    newlines, read = 0, 0
    with open_csv(path) as f:
        for offset in offsets:  # ascending: one pass over the file, up to the last offset
            while read < offset and (chunk := f.read(min(CHUNK_BYTES, offset - read))):
                newlines += chunk.count(b"\n")
                read += len(chunk)
            lines.append(newlines + 1)
    for table in tables:
        con.execute(
            f"""update {table} set line = numbered.line
                from (select unnest(?::ubigint[]) as line_byte_position, unnest(?::ubigint[]) as line) as numbered
                where {table}.line_byte_position = numbered.line_byte_position""",
            [offsets, lines],
        )


def rejected_line_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"select count(distinct line) from {REJECTS_TABLE}").fetchone()[0]  # type: ignore[index]


def negative_prices_to_quarantine(con: duckdb.DuckDBPyConnection, load_id: int, path: str) -> int:
    """Quarantine the lines a price-as-UBIGINT rescan rejected for a negative price.

    The rescan (see loader) reads price as an unsigned integer, so exactly the negative
    prices (and the non-numeric ones already rejected by the first scan) fail; the value is
    taken back from the error message and kept only when it is a negative decimal.
    """
    n = con.execute(
        f"""
        insert into raw.quarantine (load_id, path, line_number, raw_line, reason)
        select ?, ?, line, trim(csv_line, chr(13) || chr(10)),
               'negative price ' || {_VALUE}
        from {NEG_REJECTS_TABLE}
        where error_type = 'CAST' and column_name = 'price'
          and try_cast({_VALUE} as decimal(12, 2)) < 0
          and line not in (select line from {REJECTS_TABLE})
        """,
        [load_id, path],
    ).fetchone()[0]  # type: ignore[index]
    return int(n)


def drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    for table in (REJECTS_TABLE, REJECTS_SCAN, NEG_REJECTS_TABLE, NEG_REJECTS_SCAN):
        con.execute(f"drop table if exists temp.main.{table}")
