"""Files that cannot be loaded at all are refused with a message naming the file and the fix;
the other files of the same command still load."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_files import HEADER, good_line, query, write_csv

from estore.ingest import load
from estore.ingest.schema import mixed_line_endings


def _good(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "z-good.csv", [good_line(i) for i in range(7)])


def _assert_only_good_loaded(warehouse: Path, good: Path) -> None:
    assert query(warehouse, "select path, rows_loaded from raw.load_ledger") == [(str(good), 7)]
    assert query(warehouse, "select count(*) from raw.events") == [(7,)]


def test_gzip_whose_deflate_stream_fails_at_once_is_refused_and_the_next_file_loads(
    tmp_path: Path, warehouse: Path
) -> None:
    data = bytearray(gzip.compress((HEADER + "\n" + good_line(1) + "\n").encode(), mtime=0))
    data[10] |= 0x06  # the first deflate block header (no file name stored): block type 3, invalid
    bad = tmp_path / "a-bad.csv.gz"
    bad.write_bytes(bytes(data))
    good = _good(tmp_path)
    results = load([str(bad), str(good)], warehouse)
    assert [(r.status, r.rows_loaded) for r in results] == [("refused", 0), ("loaded", 7)]
    assert results[0].message == (
        f"{bad}: not a valid gzip file (Error -3 while decompressing data: invalid block type); "
        "re-download or re-compress it; nothing loaded"
    )
    _assert_only_good_loaded(warehouse, good)


def test_truncated_gzip_says_so(tmp_path: Path, warehouse: Path) -> None:
    f = write_csv(tmp_path / "a.csv.gz", [good_line(i) for i in range(2000)])
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])  # the header line decompresses; DuckDB finds the cut
    [r] = load([str(f)], warehouse)
    assert r.status == "refused"
    assert r.message == (
        f"{f}: not a valid gzip file (IO Error: Unexpected end of GZIP stream: {f}); "
        "re-download or re-compress it; nothing loaded"
    )


def _parquet(path: Path, n: int = 2000) -> Path:
    table = pa.table(
        {
            "event_time": [f"2019-10-01 00:00:{i % 60:02d} UTC" for i in range(n)],
            "event_type": ["view"] * n,
            "product_id": pa.array(range(n), pa.int64()),
            "category_id": pa.array([2053013555631882655] * n, pa.int64()),
            "category_code": ["a.b"] * n,
            "brand": [f"x{i}" for i in range(n)],
            "price": [12.5] * n,
            "user_id": pa.array(range(512000000, 512000000 + n), pa.int64()),
            "user_session": [f"s{i}" for i in range(n)],
        }
    )
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize(
    "at,error",
    [
        (0.1, "Invalid Input Error: Failed to read file"),  # a duckdb.InvalidInputException
        (0.2, "Parquet file is likely corrupted, dictionary offset out of range"),  # a plain duckdb.Error
    ],
)
def test_corrupt_parquet_is_refused_and_the_next_file_loads(
    tmp_path: Path, warehouse: Path, at: float, error: str
) -> None:
    bad = _parquet(tmp_path / "a-bad.parquet")
    data = bytearray(bad.read_bytes())
    start = int(len(data) * at)
    for i in range(start, start + 8):  # damage a data page; the footer (the schema) stays readable
        data[i] ^= 0x5A
    bad.write_bytes(bytes(data))
    good = _good(tmp_path)
    results = load([str(bad), str(good)], warehouse)
    assert [(r.status, r.rows_loaded) for r in results] == [("refused", 0), ("loaded", 7)]
    message = results[0].message or ""
    assert message.startswith(f"{bad}: could not be read ({error}") and message.endswith("); nothing loaded")
    _assert_only_good_loaded(warehouse, good)


def _mixed(path: Path, n: int, crlf_at: int, eol: str = "\n", other: str = "\r\n") -> Path:
    """A file of n good lines ended by eol, except data line crlf_at, ended by other."""
    text = HEADER + eol + "".join(good_line(i) + (other if i == crlf_at else eol) for i in range(n))
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize(
    "name,n,at,eol,other",
    [
        ("a.csv", 3, 1, "\n", "\r\n"),
        ("a.csv", 3, 1, "\r\n", "\n"),
        ("a.csv.gz", 3, 1, "\n", "\r\n"),
        ("a.csv", 60_000, 50_000, "\n", "\r\n"),  # past DuckDB's first buffers
    ],
)
def test_mixed_line_endings_are_refused_with_the_fix(
    tmp_path: Path, warehouse: Path, name: str, n: int, at: int, eol: str, other: str
) -> None:
    bad = _mixed(tmp_path / name, n, at, eol, other)
    good = _good(tmp_path)
    results = load([str(bad), str(good)], warehouse)
    assert [(r.status, r.rows_loaded) for r in results] == [("refused", 0), ("loaded", 7)]
    assert results[0].message == (
        f"{bad}: mixed line endings (CRLF and LF); convert the file to one kind, e.g. with dos2unix, "
        "and load it again; nothing loaded"
    )
    _assert_only_good_loaded(warehouse, good)


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 1 << 20])
def test_line_endings_are_told_apart_across_chunk_boundaries(tmp_path: Path, chunk_bytes: int) -> None:
    crlf = write_csv(tmp_path / "crlf.csv", [good_line(i) for i in range(3)], eol="\r\n")
    lf = write_csv(tmp_path / "lf.csv", [good_line(i) for i in range(3)])
    mixed = _mixed(tmp_path / "mixed.csv", 3, 2)
    assert [mixed_line_endings(f, chunk_bytes) for f in (crlf, lf, mixed)] == [False, False, True]


@pytest.mark.parametrize("name,top", [("a.csv", "\n"), ("b.csv", "\r\n\r\n"), ("c.csv.gz", " \n")])
def test_blank_first_line_is_refused_saying_so(tmp_path: Path, warehouse: Path, name: str, top: str) -> None:
    text = top + HEADER + "\n" + good_line(1) + "\n"
    bad = tmp_path / name
    bad.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    [r] = load([str(bad)], warehouse)
    assert (r.status, r.message) == (
        "refused",
        f"{bad}: the first line is blank; the header must be the first line: "
        "delete the blank line(s) at the top and load it again; nothing loaded",
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_is_refused_saying_so(tmp_path: Path, warehouse: Path, encoding: str) -> None:
    bad = tmp_path / "a.csv"
    bad.write_bytes((HEADER + "\n" + good_line(1) + "\n").encode(encoding))
    [r] = load([str(bad)], warehouse)
    assert (r.status, r.message) == (
        "refused",
        f"{bad}: the file looks UTF-16 encoded; save it as UTF-8 and load it again; nothing loaded",
    )


def test_utf8_with_byte_order_mark_loads(tmp_path: Path, warehouse: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes((HEADER + "\n" + good_line(1) + "\n").encode("utf-8-sig"))
    [r] = load([str(f)], warehouse)
    assert (r.status, r.rows_loaded) == ("loaded", 1)
