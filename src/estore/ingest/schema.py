"""The REES46 event-file format: column names, their types, and the header check."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import BinaryIO

#: Column names in file order with the DuckDB type each is read as.
#: event_type is read as an ENUM so an unknown value fails the cast and lands in the
#: CSV reader's rejects table (with its line number) at no cost to the happy path.
EVENT_TYPES: tuple[str, ...] = ("view", "cart", "purchase")
EVENT_TYPE_ENUM = "ENUM(" + ", ".join(f"''{t}''" for t in EVENT_TYPES) + ")"  # quoted for a SQL literal

COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_time", "TIMESTAMP"),
    ("event_type", EVENT_TYPE_ENUM),
    ("product_id", "BIGINT"),
    ("category_id", "BIGINT"),
    ("category_code", "VARCHAR"),
    ("brand", "VARCHAR"),
    ("price", "DECIMAL(12,2)"),
    ("user_id", "BIGINT"),
    ("user_session", "VARCHAR"),
)
COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in COLUMNS)

#: Columns that may not be empty. Read with force_not_null, so an empty value is '' rather
#: than NULL and fails its cast: the row is rejected as "missing <column>".
REQUIRED: tuple[str, ...] = ("event_time", "event_type", "product_id", "category_id", "price", "user_id")

#: REES46 writes `2019-10-01 00:00:04 UTC`; anything else is a bad timestamp.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S UTC"

SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")


def file_kind(path: Path | str) -> str | None:
    """'csv', 'csv.gz' or 'parquet' from the file name (case-insensitive); None for anything else."""
    name = Path(path).name.lower()
    if name.endswith(".csv.gz"):
        return "csv.gz"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def open_csv(path: Path | str) -> BinaryIO:
    """A .csv or .csv.gz file opened for reading its bytes (decompressed when gzipped)."""
    return gzip.open(path, "rb") if file_kind(path) == "csv.gz" else open(path, "rb")


def csv_columns_sql(types: dict[str, str] | None = None) -> str:
    """The `columns={...}` struct literal for read_csv; `types` overrides some columns' types."""
    types = types or {}
    return "{" + ", ".join(f"'{name}': '{types.get(name, t)}'" for name, t in COLUMNS) + "}"


class HeaderProblem(ValueError):
    """The first line of a CSV file cannot be its header: the message says why and what to do."""


def read_csv_header(path: Path, limit: int = 1 << 20) -> list[str] | None:
    """The column names in the first line of a .csv or .csv.gz file; None if the file is empty.

    Raises HeaderProblem when the first line is blank (DuckDB would take it for the header) or
    the file looks UTF-16 encoded (a byte-order mark, or NUL bytes in the first line).
    """
    with open_csv(path) as fh:
        first = fh.readline(limit)
    if not first:
        return None
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        raise HeaderProblem("the file looks UTF-16 encoded; save it as UTF-8 and load it again")
    text = first.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise HeaderProblem(
            "the first line is blank; the header must be the first line: "
            "delete the blank line(s) at the top and load it again"
        )
    return next(csv.reader([text]))


def mixed_line_endings(path: Path, chunk_bytes: int = 1 << 24) -> bool:
    """Whether a .csv or .csv.gz file ends some lines with CRLF and others with a bare LF.

    DuckDB's CSV reader fails on such a file ("The CSV Parser state machine reached an invalid
    state"): this reads the file (stopping once both kinds are seen) to say so. Only called
    after that failure.
    """
    crlf = lf = 0
    last = b""
    with open_csv(path) as fh:
        while chunk := fh.read(chunk_bytes):
            pairs = chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            crlf += pairs
            lf += chunk.count(b"\n") - pairs
            if crlf and lf:
                return True
            last = chunk[-1:]
    return False


def header_difference(found: list[str] | tuple[str, ...]) -> str | None:
    """None when `found` is exactly the REES46 header, otherwise a sentence saying what differs."""
    expected = list(COLUMN_NAMES)
    found = list(found)
    if found == expected:
        return None
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if len(found) == 1 and found[0].split(separator) == expected:
            return f"the columns are separated by {name}; REES46 files separate them by commas (re-export it as CSV)"
    problems = []
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if extra:
        problems.append("unexpected column(s) " + ", ".join(repr(c) for c in extra))
    if not missing and not extra:
        if len(found) != len(set(found)):
            dups = sorted({c for c in found if found.count(c) > 1})
            problems.append("duplicated column(s) " + ", ".join(dups))
        else:
            problems.append("columns in the wrong order")
    return "; ".join(problems) + f" (expected {','.join(expected)}; found {','.join(found)})"
