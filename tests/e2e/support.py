"""Running the real CLI and reading generated files back independently of the pipeline."""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

COLUMNS = [
    "event_time", "event_type", "product_id", "category_id", "category_code",
    "brand", "price", "user_id", "user_session",
]  # fmt: skip


def estore(workspace: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-m", "estore", "--workspace", str(workspace), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def read_files(landing: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Valid rows of every file (strings, duplicates kept) and the data-line count per file."""
    frames, lines_per_file = [], {}
    for path in sorted(landing.glob("*.csv.gz")):
        text = gzip.decompress(path.read_bytes()).decode()
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == COLUMNS
        lines_per_file[path.name] = len(rows) - 1
        frames.append(pd.DataFrame([r for r in rows[1:] if len(r) == len(COLUMNS)], columns=COLUMNS))
    df = pd.concat(frames, ignore_index=True)
    ts = pd.to_datetime(df.event_time, format="%Y-%m-%d %H:%M:%S UTC", errors="coerce")
    price = pd.to_numeric(df.price, errors="coerce")
    ok = ts.notna() & df.event_type.isin(["view", "cart", "purchase"]) & price.notna() & (price >= 0)
    for col in ("product_id", "category_id", "user_id"):
        ok &= df[col].str.fullmatch(r"\d+")
    return df[ok].copy(), lines_per_file


def clean_events(landing: Path) -> pd.DataFrame:
    """Events the way the docs say the pipeline keeps them: valid rows, exact duplicates once,
    rows without a session dropped; typed columns plus `ts` and `date`."""
    valid, _ = read_files(landing)
    ev = valid.drop_duplicates(subset=COLUMNS)
    ev = ev[ev.user_session != ""].copy()
    ev["ts"] = pd.to_datetime(ev.event_time, format="%Y-%m-%d %H:%M:%S UTC")
    ev["price"] = ev.price.astype(float)
    ev["user_id"] = ev.user_id.astype("int64")
    ev["date"] = ev.ts.dt.normalize()
    return ev


def query(workspace: Path, sql: str) -> pd.DataFrame:
    """Run SQL on a workspace's warehouse, read-only."""
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()
