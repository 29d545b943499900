"""Reading generated files back independently of the generator."""

from __future__ import annotations

import gzip
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

COLUMNS = [
    "event_time", "event_type", "product_id", "category_id", "category_code",
    "brand", "price", "user_id", "user_session",
]  # fmt: skip
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")
PRICE_RE = re.compile(r"^\d+\.\d{2}$")


def malformed_kinds(df: pd.DataFrame) -> pd.Series:
    """Why a loader would quarantine each 9-field line (None when well formed), vectorised."""
    t = df["event_time"]
    parsed = pd.to_datetime(t, format="%Y-%m-%d %H:%M:%S UTC", errors="coerce")
    kind = pd.Series(None, index=df.index, dtype=object)
    kind[~df["price"].str.match(PRICE_RE)] = "non_numeric_price"
    kind[~df["event_type"].isin(["view", "cart", "purchase"])] = "unknown_event_type"
    kind[~t.str.match(TIME_RE) | parsed.isna()] = "bad_timestamp"
    return kind


@dataclass
class Dataset:
    out: Path
    manifest: dict
    lines: dict[str, list[str]]  # file name -> data lines (header excluded)
    good: pd.DataFrame  # well-formed rows of all files, in file order, duplicates kept (all strings)
    malformed: dict[str, int]

    @property
    def clean(self) -> pd.DataFrame:
        """Well-formed rows with exact duplicate lines removed."""
        return self.good.drop_duplicates(subset=COLUMNS)


def read_dataset(out: Path) -> Dataset:
    manifest = json.loads((out / "generation.json").read_text())
    lines: dict[str, list[str]] = {}
    frames: list[pd.DataFrame] = []
    malformed: dict[str, int] = {}
    for f in manifest["files"]:
        path = out / f["name"]
        text = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        all_lines = text.decode().split("\n")
        assert all_lines[-1] == "", "the file ends with a newline"
        data = all_lines[1:-1]
        lines[f["name"]] = data
        commas = pd.Series(data, dtype=str).str.count(",")
        nine = commas == len(COLUMNS) - 1
        malformed["wrong_column_count"] = malformed.get("wrong_column_count", 0) + int((~nine).sum())
        kept = "\n".join(line for line, ok in zip(data, nine, strict=True) if ok)
        df = pd.read_csv(io.StringIO(kept), names=COLUMNS, header=None, dtype=str, keep_default_na=False)
        kind = malformed_kinds(df)
        for k, v in kind.value_counts().items():
            malformed[k] = malformed.get(k, 0) + int(v)
        df = df[kind.isna()].copy()
        df["file"] = f["name"]
        frames.append(df)
    good = pd.concat(frames, ignore_index=True)
    return Dataset(out, manifest, lines, good, {k: v for k, v in malformed.items() if v})
