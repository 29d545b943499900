"""The landing location: which event files are there, what identifies each version, how to fetch one.

A landing location is a local folder (the default, `<workspace>/landing`) or a URL that fsspec
understands (`gs://bucket/prefix`, `s3://bucket/prefix`; install the `cloud` extra). Each file
is known by its key, the path below the landing root with '/' separators, which is also its
Dagster partition. A file version's identity is its content hash for local files (xxh3-128,
the hash the ingest ledger records) and the store's etag / md5 for URLs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estore.errors import EstoreError
from estore.ingest.discover import load_order
from estore.ingest.ledger import hash_file
from estore.ingest.schema import file_kind, open_csv

# Object stores name a content fingerprint differently; the first one present is the identity.
_ETAG_FIELDS = ("ETag", "etag", "md5Hash", "md5", "crc32c", "generation", "version_id")


@dataclass(frozen=True)
class LandedFile:
    key: str  # path below the landing root, '/'-separated: the Dagster partition key
    location: str  # absolute local path or full URL
    size: int
    modified: float  # seconds since the epoch
    identity: str  # 'xxh3:<hash>' (local) or 'etag:<value>' (URL)


def is_url(landing: str) -> bool:
    return "://" in landing


def scan(
    landing: str,
    *,
    known: Mapping[str, LandedFile] | None = None,
    settle_seconds: float = 0,
    hash_budget_seconds: float | None = None,
    now: float | None = None,
) -> list[LandedFile]:
    """The event files under `landing`, in the order `estore load` takes them, each with its identity.

    A local file whose size and modification time match its entry in `known` keeps that
    identity without being hashed again. Once `hash_budget_seconds` have been spent hashing,
    files not hashed yet are left for the next call (a sensor tick must end in time, and a
    backfill of many large files can take minutes to hash). Files modified less than
    `settle_seconds` ago are left out (they may still be being copied); hidden files and
    folders (starting with '.') too.
    """
    now = time.time() if now is None else now
    known = known or {}
    if is_url(landing):
        found = _scan_url(landing)
    else:
        found = _scan_folder(Path(landing), known, now - settle_seconds, hash_budget_seconds)
    return sorted((f for f in found if now - f.modified >= settle_seconds), key=lambda f: load_order(f.key))


def location_of(landing: str, key: str) -> str:
    """The local path or URL of the file with this key."""
    if is_url(landing):
        return f"{landing.rstrip('/')}/{key}"
    return str(Path(landing) / key)


@contextmanager
def local_copy(landing: str, key: str, downloads: Path) -> Iterator[Path]:
    """The file as a local path: itself for a folder, a download under `downloads` for a URL.

    The download is removed afterwards; the ledger then names the download path, which is the
    same for every version of the key (a changed object is refused like a changed local file).
    """
    location = location_of(landing, key)
    if not is_url(landing):
        path = Path(location)
        if not path.is_file():
            raise EstoreError(f"{location}: the landed file is gone; nothing loaded")
        yield path
        return
    fs, remote = filesystem(location)
    target = downloads / key
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    try:
        fs.get_file(remote, str(partial))
        partial.replace(target)
        yield target
    finally:
        partial.unlink(missing_ok=True)
        target.unlink(missing_ok=True)


def count_data_lines(path: Path) -> int:
    """Non-empty lines after the header (CSV, CSV.gz) or rows (parquet), read without DuckDB.

    The independent count the ingest check compares with rows loaded + rows quarantined.
    """
    if file_kind(path) == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    with open_csv(path) as fh:
        fh.readline()  # header
        return sum(1 for line in fh if line.strip())


def _scan_folder(
    folder: Path, known: Mapping[str, LandedFile], settled_before: float, hash_budget_seconds: float | None
) -> list[LandedFile]:
    if not folder.is_dir():
        raise EstoreError(
            f"landing folder {folder} does not exist; create it, or set [orchestration] landing "
            "in estore.toml (or ESTORE_LANDING) to the folder or bucket files arrive in"
        )
    files = []
    started, hashed = time.monotonic(), 0
    for path in sorted(folder.rglob("*"), key=lambda p: load_order(str(p))):  # hashed in load order
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or file_kind(path) is None or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_mtime > settled_before:
            continue  # still being written, perhaps: not hashed now
        key = rel.as_posix()
        seen = known.get(key)
        if seen is not None and (seen.size, seen.modified) == (stat.st_size, stat.st_mtime):
            identity = seen.identity
        elif hashed and hash_budget_seconds is not None and time.monotonic() - started > hash_budget_seconds:
            continue  # hashed on a later call (each call hashes at least one file)
        else:
            identity = f"xxh3:{hash_file(path)}"
            hashed += 1
        files.append(LandedFile(key, str(path), stat.st_size, stat.st_mtime, identity))
    return files


def _scan_url(landing: str) -> list[LandedFile]:
    fs, root = filesystem(landing)
    root = root.rstrip("/")
    files = []
    for name, info in fs.find(root, detail=True).items():
        rel = name[len(root) :].lstrip("/") if name.startswith(root) else name
        if not rel or any(part.startswith(".") for part in rel.split("/")) or file_kind(rel) is None:
            continue
        etag = next((str(info[f]).strip('"') for f in _ETAG_FIELDS if info.get(f)), None)
        modified = _timestamp(info)
        if etag is None:  # no fingerprint from this store: size and time are the best identity left
            etag = f"{info.get('size')}-{modified}"
        files.append(
            LandedFile(rel, f"{landing.rstrip('/')}/{rel}", int(info.get("size") or 0), modified, f"etag:{etag}")
        )
    return files


def _timestamp(info: Mapping[str, Any]) -> float:
    for field in ("mtime", "LastModified", "updated", "last_modified", "created"):
        value = info.get(field)
        if value is None:
            continue
        if isinstance(value, int | float):
            return float(value)
        if hasattr(value, "timestamp"):
            return float(value.timestamp())
        try:
            from datetime import datetime

            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
        except ValueError:
            continue
    return 0.0


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of a gs:// or s3:// landing URL and the path inside it."""
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - fsspec usually comes with dagster
        raise EstoreError(
            f"landing {url} is a URL: install the cloud extra (.tools/bin/uv sync --frozen --extra cloud) to read it"
        ) from exc
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise EstoreError(
            f"landing {url}: no filesystem for this URL ({exc}); install the cloud extra "
            "(.tools/bin/uv sync --frozen --extra cloud) for gs:// and s3://"
        ) from exc
    return fs, path
