"""Turning the paths a user typed (files, folders, globs) into the event files to load."""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable
from pathlib import Path

from estore.errors import EstoreError
from estore.ingest.schema import SUFFIXES, file_kind

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_FILE = re.compile(r"(\d{4})-(" + "|".join(_MONTHS) + r")\b")


def discover(paths: Iterable[str | Path]) -> list[str]:
    """Expand files, folders (recursively) and globs to a list of absolute file paths, in load order.

    Load order: files named like the REES46 months (2019-Oct.csv, 2020-Jan.csv.gz) first, in
    calendar order, so load ids follow time; any other file after them, by path.

    Only .csv, .csv.gz and .parquet files are taken from folders and globs; a file named
    explicitly must have one of those suffixes too. Hidden files and folders (starting with
    '.') inside a folder are skipped. Any argument that matches no event file raises
    EstoreError naming it. Duplicates (the same file reached twice) are listed once.
    """
    found: set[str] = set()
    for raw in paths:
        text = str(raw)
        path = Path(text).expanduser()
        if path.is_file():
            if file_kind(path) is None:
                raise EstoreError(f"{text}: not an event file; expected one of {', '.join(SUFFIXES)}")
            matches = [path]
        elif path.is_dir():
            matches = _files_under(path)
            if not matches:
                raise EstoreError(f"{text}: folder holds no {', '.join(SUFFIXES)} files")
        elif glob.has_magic(text):
            matches = []
            for hit in sorted(glob.glob(str(path), recursive=True)):
                hit_path = Path(hit)
                if hit_path.is_dir():
                    matches.extend(_files_under(hit_path))
                elif hit_path.is_file() and file_kind(hit_path) is not None:
                    matches.append(hit_path)
            if not matches:
                raise EstoreError(f"{text}: no {', '.join(SUFFIXES)} files match this pattern")
        else:
            raise EstoreError(f"{text}: no such file or folder")
        found.update(str(m.resolve()) for m in matches)
    return sorted(found, key=load_order)


def load_order(path: str) -> tuple[int, int, int, str]:
    """Sort key of a file path or URL: REES46 month files in calendar order, then the rest by path."""
    month = _MONTH_FILE.match(Path(path).name)
    if month is None:
        return (1, 0, 0, path)
    return (0, int(month.group(1)), _MONTHS.index(month.group(2)), path)


def _files_under(folder: Path) -> list[Path]:
    out = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file() and file_kind(p) is not None:
            out.append(p)
    return sorted(out)
