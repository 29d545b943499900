"""Customer lists for activation in marketing tools, as CSV or Parquet.

The dashboard's download buttons and `estore export` both call these; the list itself comes from
estore.dashboard.data.customers (the serving snapshot, never the warehouse).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from estore.dashboard import data
from estore.dashboard.filters import Filters
from estore.errors import EstoreError
from estore.files import write_atomically
from estore.settings import Settings

MIME = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def customer_list(settings: Settings, segment: str | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """Customers of a segment (all buyers when None) who bought in the filters' period and category.

    Without filters: every customer of the segment over the whole history. One row per customer
    with user_id, segment, R/F/M scores, lifetime orders and revenue, revenue in the period,
    activity status, P(alive), expected purchases in 90 days and predicted CLV.
    """
    info = data.build_info(settings)
    filters = filters or info.full_range()
    data.filters_for(settings, info, category=filters.category, segment=segment)  # checks the names
    return data.customers(settings, filters, segment=segment)


def to_bytes(df: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "csv":
        return df.to_csv(index=False).encode()
    if fmt == "parquet":
        buffer = io.BytesIO()
        df.to_parquet(buffer, index=False)
        return buffer.getvalue()
    raise EstoreError(f"unknown export format {fmt!r}; use one of: {', '.join(MIME)}")


def write(df: pd.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write df to path as CSV or Parquet, atomically. The format is fmt, else the suffix's
    (.csv or .parquet), else CSV; a fmt that contradicts a .csv or .parquet suffix is refused."""
    suffix = path.suffix.lstrip(".").lower()
    if fmt is not None and suffix in MIME and fmt.lower() != suffix:
        raise EstoreError(f"--format {fmt} does not match --out {path}: name the file .{fmt.lower()}, or drop --format")
    write_atomically(path, to_bytes(df, (fmt or (suffix if suffix in MIME else "csv")).lower()))
    return path
