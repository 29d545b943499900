"""Small hand-made REES46 files for the loader tests, and counts computed without the loader."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import duckdb

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
EVENT_TYPES = ("view", "view", "view", "cart", "purchase")


def good_line(i: int, *, price: str | None = None, event_type: str | None = None) -> str:
    """A valid REES46 line; varies with i so files with different i ranges differ."""
    category_code = "" if i % 3 == 0 else "electronics.smartphone"
    brand = "" if i % 5 == 0 else f"brand{i % 7}"
    session = "" if i % 11 == 0 else f"2c1d3f4e-0000-4000-8000-{i:012d}"
    return ",".join(
        [
            f"2019-10-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d} UTC",
            event_type or EVENT_TYPES[i % len(EVENT_TYPES)],
            str(1000000 + i % 97),
            str(2053013555631882655 + i % 13),
            category_code,
            brand,
            price if price is not None else f"{(i * 37) % 2600}.{i % 100:02d}",
            str(510000000 + i % 53),
            session,
        ]
    )


def write_csv(path: Path, lines: list[str], *, header: str = HEADER, eol: str = "\n") -> Path:
    text = eol.join([header, *lines]) + eol
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def data_lines(path: Path) -> list[str]:
    """The non-empty lines after the header, read with plain Python (independent of DuckDB)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        lines = fh.read().splitlines()
    return [line for line in lines[1:] if line.strip()]


def price_sum(lines: list[str]) -> Decimal:
    return sum((Decimal(line.split(",")[6]) for line in lines), Decimal(0))


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def scalar(warehouse: Path, sql: str, params: list | None = None):
    return query(warehouse, sql, params)[0][0]
